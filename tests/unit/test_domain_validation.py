"""Validation of incident drafts: each broken rule is reported once, naming its field."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from incidentdesk.domain.incident import IncidentDraft, Links
from incidentdesk.domain.validation import (
    CLOCK_SKEW_ALLOWANCE,
    DESCRIPTION_MAX_LENGTH,
    LINK_MAX_LENGTH,
    SHORT_TEXT_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    FieldError,
    ValidationFailed,
    require_valid,
    validate_draft,
)
from tests.conftest import FIXED_NOW
from tests.factories import make_draft


def draft(**changes: object) -> IncidentDraft:
    return make_draft(**{"reported_at": FIXED_NOW - timedelta(hours=1), **changes})


def fields_of(errors: list[FieldError]) -> list[str]:
    return [error.field for error in errors]


def test_a_complete_draft_is_valid() -> None:
    valid = draft(
        description="Line one\nLine two\r\n\tindented",
        source_name="Datadog",
        source_contact="ops@example.com",
        links=Links(
            chat="https://chat.example.com/inc-1",
            bridge="https://meet.example.com/x",
            ticket="jira://PROJ-1",
        ),
    )
    assert validate_draft(valid, FIXED_NOW) == []
    require_valid(valid, FIXED_NOW)  # does not raise


@pytest.mark.parametrize("title", ["", "   ", "\t", "\u3000"])
def test_an_empty_title_is_refused(title: str) -> None:
    errors = validate_draft(draft(title=title), FIXED_NOW)
    assert errors == [FieldError("title", "Give the incident a title.")]


def test_the_reported_time_may_be_a_little_ahead_but_not_beyond_the_clock_skew() -> None:
    just_inside = draft(reported_at=FIXED_NOW + CLOCK_SKEW_ALLOWANCE)
    assert validate_draft(just_inside, FIXED_NOW) == []

    beyond = draft(reported_at=FIXED_NOW + CLOCK_SKEW_ALLOWANCE + timedelta(seconds=1))
    errors = validate_draft(beyond, FIXED_NOW)
    assert fields_of(errors) == ["reported_at"]
    assert "future" in errors[0].message


def test_a_reported_time_without_time_zone_is_refused() -> None:
    naive = draft(reported_at=datetime(2026, 1, 1, 12, 0))
    errors = validate_draft(naive, FIXED_NOW)
    assert fields_of(errors) == ["reported_at"]
    assert "time zone" in errors[0].message


@pytest.mark.parametrize(
    ("field", "limit"),
    [
        ("title", TITLE_MAX_LENGTH),
        ("description", DESCRIPTION_MAX_LENGTH),
        ("source_name", SHORT_TEXT_MAX_LENGTH),
        ("source_contact", SHORT_TEXT_MAX_LENGTH),
    ],
)
def test_text_up_to_the_limit_is_accepted_and_one_more_character_is_refused(
    field: str, limit: int
) -> None:
    assert validate_draft(draft(**{field: "x" * limit}), FIXED_NOW) == []
    errors = validate_draft(draft(**{field: "x" * (limit + 1)}), FIXED_NOW)
    assert fields_of(errors) == [field]
    assert f"{limit:,}" in errors[0].message
    assert f"{limit + 1:,}" in errors[0].message


@pytest.mark.parametrize("field", ["title", "description", "source_name", "source_contact"])
def test_a_nul_character_is_refused_in_every_text_field(field: str) -> None:
    errors = validate_draft(draft(**{field: "before\x00after"}), FIXED_NOW)
    assert fields_of(errors) == [field]
    assert "NUL" in errors[0].message


@pytest.mark.parametrize("field", ["title", "source_name", "source_contact"])
@pytest.mark.parametrize("line_break", ["\n", "\r", "\r\n"])
def test_single_line_fields_refuse_line_breaks(field: str, line_break: str) -> None:
    errors = validate_draft(draft(**{field: f"one{line_break}two"}), FIXED_NOW)
    assert fields_of(errors) == [field]
    assert "single line" in errors[0].message


@pytest.mark.parametrize("field", ["title", "description", "source_name", "source_contact"])
@pytest.mark.parametrize("control", ["\x01", "\x07", "\x1b", "\x1f", "\x7f"])
def test_invisible_control_characters_are_refused(field: str, control: str) -> None:
    errors = validate_draft(draft(**{field: f"bell{control}here"}), FIXED_NOW)
    assert fields_of(errors) == [field]
    assert "control characters" in errors[0].message


def test_tabs_and_line_breaks_are_allowed_in_the_description() -> None:
    assert validate_draft(draft(description="a\tb\nc\r\nd\re"), FIXED_NOW) == []


@pytest.mark.parametrize("field", ["title", "description", "source_name", "source_contact"])
def test_a_lone_surrogate_is_refused(field: str) -> None:
    errors = validate_draft(draft(**{field: "broken \ud83d text"}), FIXED_NOW)
    assert fields_of(errors) == [field]
    assert "surrogate" in errors[0].message


@pytest.mark.parametrize("link", ["chat", "bridge", "ticket"])
@pytest.mark.parametrize(
    "url",
    [
        "not a link",
        "www.example.com",
        "https://example.com/with space",
        "https://example.com/\nsecond-line",
        "https://example.com/\x00",
        "https://example.com/" + "x" * LINK_MAX_LENGTH,
    ],
)
def test_bad_links_are_refused_naming_the_link(link: str, url: str) -> None:
    errors = validate_draft(draft(links=Links(**{link: url})), FIXED_NOW)
    assert fields_of(errors) == [f"links.{link}"]


@pytest.mark.parametrize("url", ["", "https://example.com/a?b=c", "  https://example.com/x  "])
def test_empty_or_full_addresses_are_accepted_as_links(url: str) -> None:
    assert validate_draft(draft(links=Links(chat=url)), FIXED_NOW) == []


def test_every_broken_rule_is_reported_at_once() -> None:
    broken = draft(
        title="",
        description="\x00",
        source_name="a\nb",
        reported_at=FIXED_NOW + timedelta(days=1),
        links=Links(ticket="nope"),
    )
    with pytest.raises(ValidationFailed) as caught:
        require_valid(broken, FIXED_NOW)
    assert fields_of(caught.value.errors) == [
        "title",
        "description",
        "source_name",
        "reported_at",
        "links.ticket",
    ]
    # The exception's text lists each field with its message, for logs.
    text = str(caught.value)
    for error in caught.value.errors:
        assert f"{error.field}: {error.message}" in text


def test_a_validation_failure_is_a_value_error() -> None:
    assert issubclass(ValidationFailed, ValueError)
