"""The escalation and communication log: append-only, in the order things happened."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from incidentdesk.domain.enums import Audience, Channel, EntryKind
from incidentdesk.domain.timeline import ENTRY_BODY_MAX_LENGTH, NewEntry
from incidentdesk.domain.validation import ValidationFailed
from incidentdesk.services.desk import Desk
from incidentdesk.services.errors import NotFound
from tests.conftest import FIXED_NOW
from tests.factories import make_draft


@pytest.fixture
def clocked(desk: Desk) -> Desk:
    return Desk(desk.store, desk.actor_id, clock=lambda: FIXED_NOW)


def at(minutes: int) -> datetime:
    """``minutes`` after the incident below was reported."""
    return FIXED_NOW - timedelta(hours=2) + timedelta(minutes=minutes)


@pytest.fixture
def incident_id(clocked: Desk) -> int:
    draft = make_draft(reported_at=at(0))
    return clocked.incidents.create(draft, clocked.actor_id).id


def test_entries_come_back_in_the_order_they_happened(clocked: Desk, incident_id: int) -> None:
    append = clocked.timeline.append
    append(incident_id, NewEntry(EntryKind.NOTE, "third", at(30)), clocked.actor_id)
    append(incident_id, NewEntry(EntryKind.FINDING, "first", at(10)), clocked.actor_id)
    append(incident_id, NewEntry(EntryKind.NOTE, "second, typed first", at(20)), None)
    append(incident_id, NewEntry(EntryKind.NOTE, "second, typed later", at(20)), None)

    entries = clocked.timeline.entries(incident_id)

    assert [entry.body for entry in entries] == [
        "Incident logged",
        "first",
        "second, typed first",
        "second, typed later",
        "third",
    ]
    assert all(entry.recorded_at == FIXED_NOW for entry in entries)
    assert [entry.author_name for entry in entries[1:]] == ["tester", "", "", "tester"]


def test_an_appended_entry_is_returned_as_stored(clocked: Desk, incident_id: int) -> None:
    details = {"audience": Audience.EXTERNAL.value, "channel": Channel.STATUS_PAGE.value, "n": 1}
    entry = clocked.timeline.append(
        incident_id,
        NewEntry(
            EntryKind.COMMUNICATION,
            "Wir untersuchen Fehler beim Bezahlen. 🙏",
            at(15),
            details=details,
            pinned=True,
        ),
        clocked.actor_id,
    )
    assert entry.kind is EntryKind.COMMUNICATION
    assert entry.body == "Wir untersuchen Fehler beim Bezahlen. 🙏"
    assert entry.details == details
    assert entry.pinned is True
    assert entry.occurred_at == at(15)
    assert entry.incident_id == incident_id
    assert clocked.timeline.entries(incident_id)[-1] == entry


def test_a_correction_must_amend_an_entry_of_the_same_incident(
    clocked: Desk, incident_id: int
) -> None:
    original = clocked.timeline.append(
        incident_id, NewEntry(EntryKind.NOTE, "Rolled back 1.4", at(5)), clocked.actor_id
    )
    correction = clocked.timeline.append(
        incident_id,
        NewEntry(EntryKind.NOTE, "Rolled back 1.3, not 1.4", at(6), amends_id=original.id),
        clocked.actor_id,
    )
    assert correction.amends_id == original.id

    other = clocked.incidents.create(make_draft(reported_at=at(0)), clocked.actor_id)
    for amends_id in (original.id, 99_999):
        with pytest.raises(ValidationFailed) as refused:
            clocked.timeline.append(
                other.id,
                NewEntry(EntryKind.NOTE, "wrong place", at(7), amends_id=amends_id),
                clocked.actor_id,
            )
        assert [error.field for error in refused.value.errors] == ["amends"]
    assert len(clocked.timeline.entries(other.id)) == 1


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        (NewEntry(EntryKind.NOTE, "   ", at(1)), "body"),
        (NewEntry(EntryKind.FINDING, "", at(1)), "body"),
        (NewEntry(EntryKind.NOTE, "x" * (ENTRY_BODY_MAX_LENGTH + 1), at(1)), "body"),
        (NewEntry(EntryKind.NOTE, "nul \x00 inside", at(1)), "body"),
        (NewEntry(EntryKind.NOTE, "pasted \ud83d half an emoji", at(1)), "body"),
        (NewEntry(EntryKind.NOTE, "no zone", datetime(2026, 1, 1, 12, 0)), "occurred_at"),
    ],
    ids=["blank note", "empty finding", "too long", "NUL", "lone surrogate", "naive time"],
)
def test_bad_entries_are_refused_naming_the_field(
    clocked: Desk, incident_id: int, entry: NewEntry, field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        clocked.timeline.append(incident_id, entry, clocked.actor_id)
    assert [error.field for error in refused.value.errors] == [field]
    assert len(clocked.timeline.entries(incident_id)) == 1


def test_appending_to_a_missing_incident_is_not_found(clocked: Desk) -> None:
    with pytest.raises(NotFound):
        clocked.timeline.append(999, NewEntry(EntryKind.NOTE, "hello", at(1)), clocked.actor_id)
