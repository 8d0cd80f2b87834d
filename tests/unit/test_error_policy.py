"""Every expected failure is a ServiceError with a sentence to show; anything else is named
as a fault of the program (ui/failures.py, which is Qt-free)."""

from __future__ import annotations

import errno

import pytest

from incidentdesk.charts.report import EmptyReport
from incidentdesk.errors import ServiceError
from incidentdesk.services.errors import (
    AttachmentRefused,
    FieldError,
    NotAllowed,
    NotFound,
    ValidationFailed,
)
from incidentdesk.services.postmortems import ActionItemChanged
from incidentdesk.storage.database import (
    ConnectionLost,
    DatabaseOpenError,
    DatabaseUnavailable,
    SchemaTooNew,
)
from incidentdesk.storage.locations import BadDatabaseAddress, parse_location
from incidentdesk.storage.secrets import KeyringUnavailable
from incidentdesk.ui.failures import error_text, fault_details, is_expected

EXPECTED = (
    NotFound("Incident 7 does not exist."),
    NotAllowed("Only a lead can waive a postmortem"),
    ActionItemChanged("Someone else changed the action item."),
    AttachmentRefused("big.log is larger than the limit of 10 MB."),
    DatabaseOpenError("There is no database at /tmp/x.db."),
    SchemaTooNew("x.db was written by a newer Incident Desk."),
    DatabaseUnavailable("The disk holding x.db is full, so nothing was changed."),
    ConnectionLost("The connection to the PostgreSQL server was lost."),
    KeyringUnavailable("No system keyring is available"),
    EmptyReport("No incidents match these filters."),
)


@pytest.mark.parametrize("error", EXPECTED, ids=lambda error: type(error).__name__)
def test_every_expected_failure_is_a_service_error_shown_as_its_sentence(
    error: ServiceError,
) -> None:
    assert isinstance(error, ServiceError)
    assert is_expected(error)
    text = error_text(error)
    assert text.startswith(str(error).rstrip("."))
    assert text.endswith(".")
    assert "Traceback" not in text
    assert "did not expect" not in text


def test_the_older_bases_still_catch_what_they_caught() -> None:
    """Code that catches a peewee error, a LookupError or a ValueError still does."""
    import peewee as pw

    assert isinstance(DatabaseUnavailable("gone"), pw.OperationalError)
    assert isinstance(NotFound("gone"), LookupError)
    assert isinstance(AttachmentRefused("no"), ValueError)
    assert isinstance(NotAllowed("no"), PermissionError)


def test_a_bad_address_is_a_service_error_with_its_own_words() -> None:
    with pytest.raises(BadDatabaseAddress) as refused:
        parse_location("ftp://example.com/incidents")
    assert is_expected(refused.value)
    assert error_text(refused.value).rstrip(".") == str(refused.value).rstrip(".")


def test_a_validation_failure_shows_each_fields_sentence_without_field_names() -> None:
    error = ValidationFailed(
        [FieldError("title", "Give the incident a title."), FieldError("severity", "Pick one.")]
    )
    assert error_text(error) == "Give the incident a title. Pick one."
    assert "title:" in str(error)  # the log keeps the field names


def test_the_disk_refusing_a_file_is_expected_and_says_which_file() -> None:
    error = PermissionError(errno.EACCES, "Permission denied", "/reports/march.pdf")
    assert is_expected(error)
    assert error_text(error) == "Permission denied (/reports/march.pdf)."


@pytest.mark.parametrize(
    ("error", "named"),
    [
        (KeyError("severity"), "KeyError: 'severity'"),
        (RuntimeError("line one\nline two"), "RuntimeError: line one"),
        (ZeroDivisionError(), "ZeroDivisionError"),
    ],
)
def test_anything_else_is_named_as_a_fault_of_the_program(error: Exception, named: str) -> None:
    assert not is_expected(error)
    text = error_text(error)
    assert f"({named})" in text
    assert "did not expect" in text
    assert "Nothing you typed is lost" in text
    assert "line two" not in text


def test_a_faults_details_are_its_whole_traceback() -> None:
    def fail() -> None:
        raise KeyError("severity")

    try:
        fail()
    except KeyError as error:
        details = fault_details(error)
    assert details.startswith("Traceback (most recent call last):")
    assert "in fail" in details
    assert details.endswith("KeyError: 'severity'")
