"""Postmortems on both engines: sections with optimistic locking, action items, waivers and
the pinned timeline."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from incidentdesk.domain.enums import ActionKind, ActionStatus, EntryKind, Role, Severity
from incidentdesk.domain.incident import Incident
from incidentdesk.domain.lifecycle import Step
from incidentdesk.domain.timeline import NewEntry
from incidentdesk.domain.validation import ValidationFailed
from incidentdesk.services.desk import Desk
from incidentdesk.services.errors import NotAllowed, NotFound
from incidentdesk.services.lifecycle import StepRequest
from incidentdesk.services.postmortems import (
    ActionItemChanged,
    ActionItemView,
    PostmortemChanged,
    PostmortemText,
)
from incidentdesk.storage import models as m
from tests.conftest import FIXED_NOW, LoseReplies
from tests.factories import make_draft

REPORTED = FIXED_NOW - timedelta(hours=3)


@pytest.fixture
def clocked(desk: Desk) -> Desk:
    return Desk(desk.store, desk.actor_id, clock=lambda: FIXED_NOW)


def major_incident(desk: Desk, *, start: bool = True) -> Incident:
    """A SEV2 incident that has recovered, its postmortem started if ``start``."""
    incident = desk.incidents.create(
        make_draft(reported_at=REPORTED, severity=Severity.SEV2), desk.actor_id
    )
    request = StepRequest(Step.RECOVER, at=REPORTED + timedelta(hours=1), note="Failed over")
    desk.lifecycle.take(incident.id, request, desk.actor_id)
    if start:
        desk.lifecycle.take(incident.id, StepRequest(Step.START_POSTMORTEM), desk.actor_id)
    return desk.incidents.get(incident.id)


def test_sections_are_saved_with_optimistic_locking(clocked: Desk) -> None:
    incident = major_incident(clocked)
    view = clocked.postmortems.get(incident.id)
    assert view is not None
    assert (view.version, view.text, view.action_items, view.waiver_reason) == (
        1,
        PostmortemText(),
        [],
        "",
    )

    text = PostmortemText(
        summary="Checkout failed for 40 minutes.",
        root_cause="A **certificate** expired; $5 of tooling would have caught it.",
        went_well="Paging worked.\n\n- fast failover",
    )
    saved = clocked.postmortems.save_text(
        incident.id, text, view.version, clocked.actor_id, base=view.text
    )

    assert saved.text == text
    assert saved.version == 2
    assert saved.updated_at == FIXED_NOW
    assert clocked.postmortems.get(incident.id) == saved
    entry = clocked.timeline.entries(incident.id)[-1]
    assert entry.kind is EntryKind.FIELD_CHANGE
    assert entry.body == "Postmortem edited: Summary, Root cause, What went well"
    assert entry.details == {
        "field": "postmortem",
        "sections": ["Summary", "Root cause", "What went well"],
    }
    assert entry.author_name == "tester"

    # Someone still on version 1 saves: a conflict, and their text is not written.
    stale = replace(text, summary="My summary")
    with pytest.raises(PostmortemChanged) as changed_meanwhile:
        clocked.postmortems.save_text(
            incident.id, stale, view.version, clocked.actor_id, base=view.text
        )
    assert clocked.postmortems.get(incident.id) == saved
    assert changed_meanwhile.value.current == saved  # what to merge with
    assert changed_meanwhile.value.changed_by == "tester"
    assert changed_meanwhile.value.changed_at == FIXED_NOW

    # Saving what is already there changes nothing and logs nothing.
    entry_count = len(clocked.timeline.entries(incident.id))
    assert clocked.postmortems.save_text(incident.id, text, saved.version, None, base=text) == saved
    assert len(clocked.timeline.entries(incident.id)) == entry_count

    again = clocked.postmortems.save_text(
        incident.id,
        replace(text, contributing_factors="No expiry alert"),
        saved.version,
        None,
        base=text,
    )
    assert again.version == 3
    assert clocked.timeline.entries(incident.id)[-1].body == (
        "Postmortem edited: Contributing factors"
    )


def test_bad_sections_and_a_missing_postmortem_are_refused(clocked: Desk) -> None:
    incident = major_incident(clocked, start=False)
    assert clocked.postmortems.get(incident.id) is None
    with pytest.raises(NotFound, match="no postmortem yet"):
        clocked.postmortems.save_text(
            incident.id, PostmortemText(summary="x"), 1, None, base=PostmortemText()
        )
    with pytest.raises(NotFound, match="no postmortem yet"):
        clocked.postmortems.add_action_item(
            incident.id, "Fix", ActionKind.CORRECT, None, None, None
        )

    too_long = PostmortemText(impact="x" * 100_001, went_badly="a\x00b")
    with pytest.raises(ValidationFailed) as refused:
        clocked.postmortems.save_text(incident.id, too_long, 1, None, base=PostmortemText())
    assert [(e.field, e.message) for e in refused.value.errors] == [
        ("impact", "Impact is too long or holds a NUL character."),
        ("went_badly", "What went badly is too long or holds a NUL character."),
    ]


def test_action_items(clocked: Desk) -> None:
    incident = major_incident(clocked)
    owner = clocked.catalog.create_person("Olga Owner", "olga")
    due = date(2026, 12, 15)

    item = clocked.postmortems.add_action_item(
        incident.id, "  Alert 14 days before expiry  ", ActionKind.DETECT, owner, due, None
    )

    assert item == ActionItemView(
        item.id, "Alert 14 days before expiry", ActionKind.DETECT, owner, "Olga Owner", due,
        ActionStatus.OPEN,
    )  # fmt: skip
    unowned = clocked.postmortems.add_action_item(
        incident.id, "Automate renewal", ActionKind.PREVENT, None, None, clocked.actor_id
    )
    view = clocked.postmortems.get(incident.id)
    assert view is not None
    assert view.action_items == [item, unowned]
    assert unowned.owner_name == ""
    notes = [e for e in clocked.timeline.entries(incident.id) if e.kind is EntryKind.NOTE]
    assert [n.body for n in notes] == [
        "Action item added (Detect): Alert 14 days before expiry",
        "Action item added (Prevent): Automate renewal",
    ]
    assert notes[1].details == {"action_item": unowned.id}

    refusals = [
        ("   ", None, "title", "Say what is to be done."),
        ("x" * 201, None, "title", "at most 200 characters"),
        ("Two\nlines", None, "title", "one line"),
        ("Fix it", 9999, "owner", "not known"),
    ]
    for title, owner_id, field, message in refusals:
        with pytest.raises(ValidationFailed) as refused:
            clocked.postmortems.add_action_item(
                incident.id, title, ActionKind.CORRECT, owner_id, None, None
            )
        [error] = refused.value.errors
        assert error.field == field
        assert message in error.message
    assert m.ActionItem.select().count() == 2


def test_setting_an_action_items_status_logs_a_note(clocked: Desk) -> None:
    incident = major_incident(clocked)
    item = clocked.postmortems.add_action_item(
        incident.id, "Rotate keys", ActionKind.CORRECT, None, None, None
    )

    clocked.postmortems.set_action_status(
        item.id, ActionStatus.IN_PROGRESS, clocked.actor_id, was=ActionStatus.OPEN
    )
    clocked.postmortems.set_action_status(
        item.id, ActionStatus.DONE, clocked.actor_id, was=ActionStatus.IN_PROGRESS
    )
    clocked.postmortems.set_action_status(  # no-op
        item.id, ActionStatus.DONE, clocked.actor_id, was=ActionStatus.IN_PROGRESS
    )

    view = clocked.postmortems.get(incident.id)
    assert view is not None
    assert view.action_items[0].status is ActionStatus.DONE
    notes = [e for e in clocked.timeline.entries(incident.id) if e.kind is EntryKind.NOTE]
    assert [n.body for n in notes[1:]] == [
        "Action item “Rotate keys”: Open → In progress",
        "Action item “Rotate keys”: In progress → Done",
    ]
    assert notes[-1].details == {"action_item": item.id, "status": "done"}
    assert notes[-1].author_name == "tester"
    with pytest.raises(NotFound):
        clocked.postmortems.set_action_status(9999, ActionStatus.DONE, None, was=ActionStatus.OPEN)


def test_an_action_item_set_by_a_colleague_is_not_put_back_from_an_old_copy(
    clocked: Desk,
) -> None:
    incident = major_incident(clocked)
    item = clocked.postmortems.add_action_item(
        incident.id, "Rotate keys", ActionKind.CORRECT, None, None, None
    )
    clocked.postmortems.set_action_status(item.id, ActionStatus.DONE, None, was=item.status)
    with pytest.raises(ActionItemChanged, match="was set to done by someone else"):
        clocked.postmortems.set_action_status(
            item.id, ActionStatus.IN_PROGRESS, clocked.actor_id, was=item.status
        )
    view = clocked.postmortems.get(incident.id)
    assert view is not None
    assert view.action_items[0].status is ActionStatus.DONE


@pytest.mark.parametrize(
    ("status", "due_on", "overdue"),
    [
        (ActionStatus.OPEN, date(2026, 11, 26), True),
        (ActionStatus.IN_PROGRESS, date(2026, 1, 1), True),
        (ActionStatus.OPEN, date(2026, 11, 27), False),  # due today is not late yet
        (ActionStatus.OPEN, date(2026, 11, 28), False),
        (ActionStatus.DONE, date(2026, 11, 26), False),
        (ActionStatus.OPEN, None, False),
    ],
)
def test_is_overdue(status: ActionStatus, due_on: date | None, overdue: bool) -> None:
    item = ActionItemView(1, "Fix", ActionKind.PREVENT, None, "", due_on, status)
    assert item.is_overdue(date(2026, 11, 27)) is overdue


def test_only_a_lead_waives_a_postmortem_with_a_reason(clocked: Desk) -> None:
    incident = major_incident(clocked, start=False)
    lena = clocked.catalog.create_person("Lena Lead", "lena", role=Role.LEAD)

    staff = clocked.catalog.create_person("Sam Staff", "sam")
    with pytest.raises(NotAllowed, match="Only a lead or an admin"):
        clocked.postmortems.waive(incident.id, "Vendor outage", staff)
    with pytest.raises(ValidationFailed) as refused:
        clocked.postmortems.waive(incident.id, "  ", lena)
    assert refused.value.errors[0].field == "reason"
    with pytest.raises(NotFound):
        clocked.postmortems.waive(9999, "Vendor outage", lena)
    assert clocked.postmortems.get(incident.id) is None

    view = clocked.postmortems.waive(incident.id, " Vendor outage; their RCA covers it ", lena)

    assert view.waiver_reason == "Vendor outage; their RCA covers it"
    assert view.waived_by_name == "Lena Lead"
    entry = clocked.timeline.entries(incident.id)[-1]
    assert (entry.kind, entry.body, entry.author_name) == (
        EntryKind.NOTE,
        "Postmortem waived: Vendor outage; their RCA covers it",
        "Lena Lead",
    )
    closed = clocked.lifecycle.take(incident.id, StepRequest(Step.CLOSE), clocked.actor_id)
    assert closed.status.value == "closed"


def test_pinned_entries_form_the_postmortem_timeline(clocked: Desk) -> None:
    incident = major_incident(clocked)
    append = clocked.timeline.append
    first = append(
        incident.id,
        NewEntry(EntryKind.FINDING, "Certificate expired", REPORTED + timedelta(minutes=10)),
        None,
    )
    append(incident.id, NewEntry(EntryKind.NOTE, "Coffee", REPORTED + timedelta(minutes=5)), None)
    early = append(
        incident.id,
        NewEntry(EntryKind.NOTE, "Alert fired", REPORTED + timedelta(minutes=1), pinned=True),
        None,
    )

    clocked.timeline.set_pinned(first.id, True)
    view = clocked.postmortems.get(incident.id)
    assert view is not None
    assert [entry.body for entry in view.pinned] == ["Alert fired", "Certificate expired"]

    clocked.timeline.set_pinned(early.id, False)
    view = clocked.postmortems.get(incident.id)
    assert view is not None
    assert [entry.id for entry in view.pinned] == [first.id]


def test_a_save_writes_only_the_sections_changed_from_where_it_started(clocked: Desk) -> None:
    incident = major_incident(clocked)
    view = clocked.postmortems.get(incident.id)
    assert view is not None
    theirs = clocked.postmortems.save_text(
        incident.id, replace(view.text, impact="Theirs"), view.version, None, base=view.text
    )

    mine = replace(view.text, summary="Mine")
    saved = clocked.postmortems.save_text(
        incident.id, mine, theirs.version, clocked.actor_id, base=view.text
    )

    assert (saved.text.summary, saved.text.impact) == ("Mine", "Theirs")
    assert clocked.timeline.entries(incident.id)[-1].body == "Postmortem edited: Summary"


# Applied once: postmortem saves sent again with their write id


def notes_of(desk: Desk, incident: Incident) -> list[str]:
    return [e.body for e in desk.timeline.entries(incident.id) if e.kind is EntryKind.NOTE]


def test_sections_sent_again_with_their_id_are_saved_once(
    clocked: Desk, lose_replies: LoseReplies
) -> None:
    incident = major_incident(clocked)
    view = clocked.postmortems.get(incident.id)
    assert view is not None
    text = PostmortemText(root_cause="A certificate expired.")
    lost = lose_replies(clocked, times=1)
    saved = clocked.postmortems.save_text(
        incident.id, text, view.version, clocked.actor_id, base=view.text, write_id="s"
    )
    assert lost.count == 1
    # By the person, at the version the editing started from: not a conflict with itself.
    again = clocked.postmortems.save_text(
        incident.id, text, view.version, clocked.actor_id, base=view.text, write_id="s"
    )
    assert again == saved
    assert (saved.text, saved.version) == (text, view.version + 1)
    edits = [e for e in clocked.timeline.entries(incident.id) if e.kind is EntryKind.FIELD_CHANGE]
    assert [e.body for e in edits] == ["Postmortem edited: Root cause"]
    with pytest.raises(PostmortemChanged):
        clocked.postmortems.save_text(
            incident.id, text, view.version, clocked.actor_id, base=view.text, write_id="other"
        )


def test_an_action_item_sent_again_with_its_id_is_added_once(
    clocked: Desk, lose_replies: LoseReplies
) -> None:
    incident = major_incident(clocked)
    item = ("Alert before expiry", ActionKind.DETECT, None, date(2026, 12, 15), None)
    lost = lose_replies(clocked, times=1)
    added = clocked.postmortems.add_action_item(incident.id, *item, write_id="a")
    assert lost.count == 1
    assert clocked.postmortems.add_action_item(incident.id, *item, write_id="a") == added
    assert notes_of(clocked, incident) == ["Action item added (Detect): Alert before expiry"]
    # The same item with another id is a second one: someone meant to add it twice.
    second = clocked.postmortems.add_action_item(incident.id, *item, write_id="b")
    view = clocked.postmortems.get(incident.id)
    assert view is not None
    assert view.action_items == [added, second]


def test_an_action_items_status_sent_again_with_its_id_leaves_a_colleagues_change(
    clocked: Desk, lose_replies: LoseReplies
) -> None:
    incident = major_incident(clocked)
    item = clocked.postmortems.add_action_item(
        incident.id, "Rotate keys", ActionKind.CORRECT, None, None, None
    )
    lost = lose_replies(clocked, times=1)
    clocked.postmortems.set_action_status(
        item.id, ActionStatus.DONE, clocked.actor_id, was=ActionStatus.OPEN, write_id="done"
    )
    assert lost.count == 1
    # A colleague reopens it before the person, not told, sends theirs again.
    clocked.postmortems.set_action_status(item.id, ActionStatus.OPEN, None, was=ActionStatus.DONE)
    clocked.postmortems.set_action_status(
        item.id, ActionStatus.DONE, clocked.actor_id, was=ActionStatus.OPEN, write_id="done"
    )
    view = clocked.postmortems.get(incident.id)
    assert view is not None
    assert view.action_items[0].status is ActionStatus.OPEN  # the colleague's word is the last
    assert notes_of(clocked, incident)[1:] == [
        "Action item “Rotate keys”: Open → Done",
        "Action item “Rotate keys”: Done → Open",
    ]


def test_a_waiver_sent_again_with_its_id_is_logged_once(
    clocked: Desk, lose_replies: LoseReplies
) -> None:
    incident = major_incident(clocked, start=False)
    lena = clocked.catalog.create_person("Lena Lead", "lena", role=Role.LEAD)
    lost = lose_replies(clocked, times=1)
    waived = clocked.postmortems.waive(incident.id, "Vendor outage", lena, write_id="w")
    assert lost.count == 1
    assert clocked.postmortems.waive(incident.id, "Vendor outage", lena, write_id="w") == waived
    assert notes_of(clocked, incident) == ["Postmortem waived: Vendor outage"]
    clocked.postmortems.waive(incident.id, "Vendor outage", lena, write_id="w2")
    assert notes_of(clocked, incident) == ["Postmortem waived: Vendor outage"] * 2
