"""The domain's vocabularies: priority matrix, incident keys, enum labels."""

from __future__ import annotations

import json

import pytest

from incidentdesk.domain.enums import (
    OPEN_STATUSES,
    EntryKind,
    EscalationLevel,
    ImpactScope,
    Priority,
    Severity,
    SourceKind,
    Status,
    Urgency,
)
from incidentdesk.domain.keys import format_key, parse_key
from incidentdesk.domain.priority import PriorityMatrix


def test_the_default_matrix_lowers_priority_one_step_per_step_of_severity_or_urgency() -> None:
    matrix = PriorityMatrix()
    assert matrix.priority(Severity.SEV1, Urgency.HIGH) is Priority.P1
    assert matrix.priority(Severity.SEV1, Urgency.MEDIUM) is Priority.P2
    assert matrix.priority(Severity.SEV2, Urgency.HIGH) is Priority.P2
    assert matrix.priority(Severity.SEV3, Urgency.MEDIUM) is Priority.P4
    assert matrix.priority(Severity.SEV3, Urgency.LOW) is Priority.P5
    assert matrix.priority(Severity.SEV5, Urgency.HIGH) is Priority.P5
    assert matrix.priority(Severity.SEV5, Urgency.LOW) is Priority.P5
    assert len(matrix.cells) == len(Severity) * len(Urgency)


def test_the_default_matrix_never_ranks_a_worse_or_more_urgent_incident_lower() -> None:
    matrix = PriorityMatrix()
    for severity in Severity:
        for urgency in Urgency:
            here = matrix.priority(severity, urgency)
            if severity < Severity.SEV5:
                assert here <= matrix.priority(Severity(severity + 1), urgency)
            if urgency < Urgency.LOW:
                assert here <= matrix.priority(severity, Urgency(urgency + 1))


def test_an_edited_matrix_survives_a_json_round_trip() -> None:
    cells = dict(PriorityMatrix().cells)
    cells[(Severity.SEV4, Urgency.HIGH)] = Priority.P1
    cells[(Severity.SEV1, Urgency.LOW)] = Priority.P5
    edited = PriorityMatrix(cells)

    stored = json.loads(json.dumps(edited.to_json()))
    restored = PriorityMatrix.from_json(stored)

    assert dict(restored.cells) == cells
    assert stored["SEV4/HIGH"] == 1
    assert restored.priority(Severity.SEV1, Urgency.LOW) is Priority.P5


def test_a_partial_matrix_in_json_keeps_the_defaults_for_missing_cells() -> None:
    restored = PriorityMatrix.from_json({"SEV5/LOW": 1})
    assert restored.priority(Severity.SEV5, Urgency.LOW) is Priority.P1
    assert restored.priority(Severity.SEV2, Urgency.HIGH) is Priority.P2


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("INC-42", 42),
        ("inc-42", 42),
        ("INC42", 42),
        ("  INC-7  ", 7),
        ("INC-000123", 123),
        ("INC-999999999999", 999_999_999_999),
    ],
)
def test_parse_key_reads_keys(text: str, number: int) -> None:
    assert parse_key(text) == number


@pytest.mark.parametrize(
    "text",
    ["", "42", "INC-", "INC-4x", "XINC-4", "INC-1 INC-2", "INC--4", "INC-1234567890123"],
)
def test_parse_key_refuses_what_is_not_a_key(text: str) -> None:
    assert parse_key(text) is None


@pytest.mark.parametrize("number", [1, 42, 100_000])
def test_format_and_parse_key_are_inverse(number: int) -> None:
    assert format_key(number) == f"INC-{number}"
    assert parse_key(format_key(number)) == number


def test_enum_labels() -> None:
    assert [severity.label for severity in Severity] == ["SEV1", "SEV2", "SEV3", "SEV4", "SEV5"]
    assert [priority.label for priority in Priority] == ["P1", "P2", "P3", "P4", "P5"]
    assert [urgency.label for urgency in Urgency] == ["High", "Medium", "Low"]
    assert Status.INVESTIGATING.label == "Investigating"
    assert SourceKind.MONITORING.label == "Monitoring system"
    assert ImpactScope.ALL.label == "All customers"
    assert EscalationLevel.L2.label == "L2"
    assert EscalationLevel.VENDOR.label == "Vendor"
    assert EntryKind.FIELD_CHANGE.label == "Field change"
    assert EntryKind.ACTION_TAKEN.label == "Action taken"
    for severity in Severity:
        assert severity.description


def test_major_incidents_are_sev1_and_sev2() -> None:
    assert [severity.is_major for severity in Severity] == [True, True, False, False, False]


def test_open_statuses_exclude_closed_and_cancelled() -> None:
    assert set(OPEN_STATUSES) == set(Status) - {Status.CLOSED, Status.CANCELLED}
    assert not Status.CLOSED.is_open
    assert Status.RECOVERED.is_open


def test_keys_take_only_ascii_digits() -> None:
    assert parse_key("INC-٣") is None
    assert parse_key("INC-３") is None
