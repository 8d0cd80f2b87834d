"""A save with an id of its own is applied once, however often it is sent (``write_id``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from incidentdesk.domain.enums import EntryKind, Severity
from incidentdesk.domain.timeline import NewEntry
from incidentdesk.services.desk import Desk
from incidentdesk.services.incidents import IncidentQuery
from incidentdesk.storage import applied_writes
from incidentdesk.storage import models as m
from incidentdesk.storage.database import ConnectionLost
from tests.conftest import LoseReplies
from tests.factories import make_draft


def field_changes(desk: Desk, incident_id: int) -> int:
    with desk.store.bound():
        return (
            m.TimelineEntry.select()
            .where(
                (m.TimelineEntry.incident == incident_id)
                & (m.TimelineEntry.kind == EntryKind.FIELD_CHANGE.value)
            )
            .count()
        )


def test_a_new_incident_sent_twice_with_one_id_is_logged_once(desk: Desk) -> None:
    draft = make_draft(title="Checkout returns 502")
    first = desk.incidents.create(draft, desk.actor_id, write_id="save-1")
    again = desk.incidents.create(draft, desk.actor_id, write_id="save-1")
    assert again.id == first.id
    assert again.key == first.key
    assert desk.incidents.count(IncidentQuery()) == 1


def test_saves_with_different_ids_or_none_are_each_applied(desk: Desk) -> None:
    draft = make_draft(title="Checkout returns 502")
    desk.incidents.create(draft, desk.actor_id, write_id="save-1")
    desk.incidents.create(draft, desk.actor_id, write_id="save-2")
    desk.incidents.create(draft, desk.actor_id)
    desk.incidents.create(draft, desk.actor_id)
    assert desk.incidents.count(IncidentQuery()) == 4


def test_an_edit_sent_twice_with_one_id_is_applied_once(desk: Desk) -> None:
    base = make_draft(title="Checkout returns 502")
    incident = desk.incidents.create(base, desk.actor_id)
    edited = replace(base, title="Checkout returns 502 for card payments", severity=Severity.SEV2)
    updated, changes = desk.incidents.update(
        incident.id, edited, incident.version, desk.actor_id, base=base, write_id="edit-1"
    )
    assert len(changes) == 3  # the title, the severity and the priority it brings
    again, changes_again = desk.incidents.update(
        incident.id, edited, incident.version, desk.actor_id, base=base, write_id="edit-1"
    )
    assert changes_again == []  # neither a conflict with itself nor a second set of entries
    assert again.version == updated.version == incident.version + 1
    assert field_changes(desk, incident.id) == 3


def test_a_save_whose_reply_was_lost_is_sent_again_and_applied_once(
    desk: Desk, lose_replies: LoseReplies
) -> None:
    """The commit reached the database, but the connection ended before its answer came."""
    lost = lose_replies(desk, times=1)
    incident = desk.incidents.create(make_draft(title="Lost reply"), desk.actor_id, write_id="w")
    assert lost.count == 1
    assert desk.incidents.count(IncidentQuery()) == 1
    assert desk.incidents.get(incident.id).title == "Lost reply"


def test_a_save_cut_off_before_it_committed_is_sent_again_and_applied(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    database: Any = desk.store.database
    commit: Callable[[], None] = database.commit
    cut: list[bool] = []

    def lose_the_first_commit() -> None:
        if not cut:
            cut.append(True)
            database.rollback()
            raise ConnectionLost("The connection was lost before the save committed.")
        commit()

    monkeypatch.setattr(database, "commit", lose_the_first_commit)
    desk.incidents.create(make_draft(title="Cut off"), desk.actor_id, write_id="w")
    assert desk.incidents.count(IncidentQuery()) == 1


def test_a_lost_save_without_an_id_is_not_sent_again(desk: Desk, lose_replies: LoseReplies) -> None:
    lost = lose_replies(desk)
    with pytest.raises(ConnectionLost):
        desk.incidents.create(make_draft(title="No id"), desk.actor_id)
    assert lost.count == 1


def test_a_save_lost_twice_says_it_may_have_been_saved(
    desk: Desk, lose_replies: LoseReplies
) -> None:
    lost = lose_replies(desk)
    with pytest.raises(ConnectionLost, match="may or may not have been"):
        desk.incidents.create(make_draft(title="Twice"), desk.actor_id, write_id="w")
    lost.restore()
    desk.incidents.create(make_draft(title="Twice"), desk.actor_id, write_id="w")
    assert desk.incidents.count(IncidentQuery()) == 1  # the person's retry: still once


@pytest.mark.parametrize("write_id", ["", "x" * 65])
def test_a_malformed_write_id_is_refused_and_nothing_is_saved(desk: Desk, write_id: str) -> None:
    with pytest.raises(ValueError, match="a write id has 1 to 64 characters"):
        desk.incidents.create(make_draft(), desk.actor_id, write_id=write_id)
    assert desk.incidents.count(IncidentQuery()) == 0


def test_ids_older_than_a_week_are_forgotten(desk: Desk) -> None:
    desk.incidents.create(make_draft(), desk.actor_id, write_id="old")
    desk.incidents.create(make_draft(), desk.actor_id, write_id="new")
    later = datetime.now(UTC) + applied_writes.KEPT_FOR - timedelta(hours=1)
    with desk.store.write():
        m.AppliedWrite.update(applied_at=later - applied_writes.KEPT_FOR * 2).where(
            m.AppliedWrite.write_id == "old"
        ).execute()
        applied_writes.prune(later)
        kept = [row.write_id for row in m.AppliedWrite.select()]
    assert kept == ["new"]


def test_a_timeline_entry_sent_twice_with_one_id_is_added_once(desk: Desk) -> None:
    incident = desk.incidents.create(make_draft(), desk.actor_id)
    entry = NewEntry(EntryKind.NOTE, "Rolled back release 2026.12.1", datetime.now(UTC))
    first = desk.timeline.append(incident.id, entry, desk.actor_id, write_id="note-1")
    again = desk.timeline.append(incident.id, entry, desk.actor_id, write_id="note-1")
    assert again == first
    notes = [e for e in desk.timeline.entries(incident.id) if e.kind is EntryKind.NOTE]
    assert [note.body for note in notes] == ["Rolled back release 2026.12.1"]


def test_a_timeline_entry_whose_reply_was_lost_is_added_once(
    desk: Desk, lose_replies: LoseReplies
) -> None:
    incident = desk.incidents.create(make_draft(), desk.actor_id)
    lost = lose_replies(desk, times=1)
    entry = NewEntry(EntryKind.NOTE, "Paged the database team", datetime.now(UTC))
    desk.timeline.append(incident.id, entry, desk.actor_id, write_id="note-2")
    assert lost.count == 1
    notes = [e for e in desk.timeline.entries(incident.id) if e.kind is EntryKind.NOTE]
    assert len(notes) == 1
