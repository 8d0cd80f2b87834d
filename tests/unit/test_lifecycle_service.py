"""Moving incidents through their lifecycle on both engines: milestones, timeline entries,
refusals with reasons, escalations, conflicts and corrections by a lead."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from incidentdesk.domain.enums import (
    ActionKind,
    EntryKind,
    EscalationLevel,
    Role,
    Severity,
    Status,
)
from incidentdesk.domain.incident import Incident
from incidentdesk.domain.lifecycle import Step
from incidentdesk.domain.timeline import TimelineEntry
from incidentdesk.domain.validation import ValidationFailed
from incidentdesk.services import lifecycle as lifecycle_module
from incidentdesk.services.desk import Desk
from incidentdesk.services.errors import EditConflict, NotAllowed, NotFound
from incidentdesk.services.lifecycle import StepOption, StepRequest
from incidentdesk.services.postmortems import PostmortemText
from incidentdesk.storage import models as m
from tests.conftest import FIXED_NOW, LoseReplies
from tests.factories import make_draft

REPORTED = FIXED_NOW - timedelta(hours=2)


def at(minutes: float) -> datetime:
    """``minutes`` after the incidents below were first reported."""
    return REPORTED + timedelta(minutes=minutes)


@pytest.fixture
def clocked(desk: Desk) -> Desk:
    """The same database, with services whose clock stands still at FIXED_NOW."""
    return Desk(desk.store, desk.actor_id, clock=lambda: FIXED_NOW)


def new_incident(desk: Desk, severity: Severity = Severity.SEV3, **changes: Any) -> Incident:
    draft = make_draft(reported_at=REPORTED, severity=severity, **changes)
    return desk.incidents.create(draft, desk.actor_id)


def take(
    desk: Desk, incident: Incident, step: Step, *, write_id: str | None = None, **request: Any
) -> Incident:
    return desk.lifecycle.take(
        incident.id, StepRequest(step, **request), desk.actor_id, write_id=write_id
    )


def entries(desk: Desk, incident: Incident, kind: EntryKind | None = None) -> list[TimelineEntry]:
    return [
        entry for entry in desk.timeline.entries(incident.id) if kind is None or entry.kind is kind
    ]


def lead(desk: Desk, role: Role = Role.LEAD) -> int:
    return desk.catalog.create_person(f"Lena {role.value}", f"lena-{role.value}", role=role)


def test_options_are_every_step_with_why_not(clocked: Desk) -> None:
    incident = new_incident(clocked)

    options = clocked.lifecycle.options(incident.id)

    assert [option.step for option in options] == list(Step)
    allowed = [option.step for option in options if option.allowed]
    assert allowed == [Step.TRIAGE, Step.ACKNOWLEDGE, Step.ESCALATE, Step.RECOVER, Step.CANCEL]
    assert StepOption(Step.TRIAGE, True, "") in options
    assert StepOption(Step.CLOSE, False, "Only a recovered incident can be closed.") in options
    assert (
        StepOption(
            Step.REOPEN, False, "Only a recovered, closed or cancelled incident can be reopened."
        )
        in options
    )


def test_options_follow_the_postmortem_of_a_major_incident(clocked: Desk) -> None:
    incident = new_incident(clocked, Severity.SEV2)
    take(clocked, incident, Step.RECOVER, at=at(30), note="Failed over")
    take(clocked, incident, Step.START_POSTMORTEM, at=at(40))
    close = next(o for o in clocked.lifecycle.options(incident.id) if o.step is Step.CLOSE)
    assert not close.allowed
    assert "needs a root cause and at least one action item" in close.reason

    view = clocked.postmortems.get(incident.id)
    assert view is not None
    clocked.postmortems.save_text(
        incident.id,
        PostmortemText(root_cause="Expired certificate"),
        view.version,
        None,
        base=view.text,
    )
    close = next(o for o in clocked.lifecycle.options(incident.id) if o.step is Step.CLOSE)
    assert close.reason == (
        "The postmortem of a SEV2 incident needs at least one action item before it can be "
        "closed (or a lead's waiver)."
    )


def test_the_first_response_sets_acknowledged_at_once_at_the_time_given(clocked: Desk) -> None:
    incident = new_incident(clocked)

    triaged = take(clocked, incident, Step.TRIAGE, at=at(5))
    assert triaged.status is Status.TRIAGED
    assert triaged.milestones.acknowledged_at == at(5)
    assert triaged.version == incident.version + 1
    assert triaged.updated_at == FIXED_NOW

    investigating = take(clocked, incident, Step.ACKNOWLEDGE, at=at(9))
    assert investigating.status is Status.INVESTIGATING
    assert investigating.milestones.acknowledged_at == at(5)  # not moved by a later response
    assert investigating.version == incident.version + 2

    changes = entries(clocked, incident, EntryKind.STATUS_CHANGE)
    assert [(e.body, e.occurred_at) for e in changes] == [
        ("Incident logged", REPORTED),
        ("Logged → Triaged", at(5)),
        ("Triaged → Investigating", at(9)),
    ]
    assert changes[1].details == {"from": "logged", "to": "triaged", "step": "triage"}
    assert changes[2].details == {"from": "triaged", "to": "investigating", "step": "acknowledge"}
    assert changes[2].recorded_at == FIXED_NOW
    assert changes[2].author_name == "tester"


def test_acknowledging_straight_from_logged_and_the_default_time_is_now(clocked: Desk) -> None:
    incident = new_incident(clocked)

    acknowledged = take(clocked, incident, Step.ACKNOWLEDGE)

    assert acknowledged.status is Status.INVESTIGATING
    assert acknowledged.milestones.acknowledged_at == FIXED_NOW


def test_recover_close_and_reopen_a_minor_incident(clocked: Desk) -> None:
    incident = new_incident(clocked)
    take(clocked, incident, Step.ACKNOWLEDGE, at=at(3))

    recovered = take(clocked, incident, Step.RECOVER, at=at(30), note="  Rolled back 4.2  ")
    assert recovered.status is Status.RECOVERED
    assert recovered.milestones.recovered_at == at(30)

    closed = take(clocked, incident, Step.CLOSE, at=at(45))  # minor: no postmortem needed
    assert closed.status is Status.CLOSED
    assert closed.milestones.closed_at == at(45)
    assert closed.milestones.postmortem_at is None

    reopened = take(clocked, incident, Step.REOPEN, at=at(60), note="It is back")
    assert reopened.status is Status.INVESTIGATING
    assert reopened.milestones.acknowledged_at == at(3)  # the first response stays
    assert reopened.milestones.recovered_at is None
    assert reopened.milestones.closed_at is None
    assert reopened.version == incident.version + 4

    bodies = [e.body for e in entries(clocked, incident, EntryKind.STATUS_CHANGE)]
    assert bodies[-3:] == [
        "Investigating → Recovered: Rolled back 4.2",
        "Recovered → Closed",
        "Closed → Investigating: It is back",
    ]


def test_starting_the_postmortem_creates_it(clocked: Desk) -> None:
    incident = new_incident(clocked, Severity.SEV2)
    take(clocked, incident, Step.RECOVER, at=at(30), note="Failed over")
    assert clocked.postmortems.get(incident.id) is None

    started = take(clocked, incident, Step.START_POSTMORTEM, at=at(50))

    assert started.status is Status.POSTMORTEM
    assert started.milestones.postmortem_at == at(50)
    view = clocked.postmortems.get(incident.id)
    assert view is not None
    assert view.text == PostmortemText()
    assert entries(clocked, incident)[-1].details == {
        "from": "recovered",
        "to": "postmortem",
        "step": "start_postmortem",
    }


def test_cancel_as_a_duplicate_by_key_and_reopen(clocked: Desk) -> None:
    original = new_incident(clocked, title="Checkout down")
    duplicate = new_incident(clocked, title="Cannot pay")

    cancelled = take(
        clocked,
        duplicate,
        Step.CANCEL,
        at=at(20),
        note=" Same as the checkout outage ",
        duplicate_of_number=original.number,
    )

    assert cancelled.status is Status.CANCELLED
    assert cancelled.milestones.cancelled_at == at(20)
    assert cancelled.cancel_reason == "Same as the checkout outage"
    assert m.Incident.get_by_id(duplicate.id).duplicate_of_id == original.id
    last = entries(clocked, duplicate)[-1]
    assert last.body == "Logged → Cancelled: Same as the checkout outage"
    assert last.details == {
        "from": "logged",
        "to": "cancelled",
        "step": "cancel",
        "duplicate_of": original.id,
    }

    reopened = take(clocked, duplicate, Step.REOPEN, at=at(30), note="Not the same after all")
    assert reopened.status is Status.INVESTIGATING
    assert reopened.milestones.cancelled_at is None
    assert reopened.cancel_reason == ""
    assert m.Incident.get_by_id(duplicate.id).duplicate_of_id is None
    # The cancellation stays in the log.
    assert last in entries(clocked, duplicate)


def test_cancel_without_a_duplicate(clocked: Desk) -> None:
    incident = new_incident(clocked)
    cancelled = take(clocked, incident, Step.CANCEL, at=at(5), note="False alarm")
    assert cancelled.cancel_reason == "False alarm"
    assert m.Incident.get_by_id(incident.id).duplicate_of_id is None
    assert entries(clocked, incident)[-1].details["duplicate_of"] is None


def test_escalate_moves_the_incident_along_the_escalation_order(clocked: Desk) -> None:
    catalog = clocked.catalog
    # Created out of order: the escalation order, not the id or the name, decides.
    vendor = catalog.create_team("Acme Support", escalation_order=3)
    front = catalog.create_team("Service Desk", escalation_order=1)
    second = catalog.create_team("Platform", escalation_order=2)
    alice = catalog.create_person("Alice Front", "alice", team_id=front)
    bob = catalog.create_person("Bob Platform", "bob", team_id=second)
    incident = new_incident(clocked, team_id=front, assignee_id=alice)

    suggestion = clocked.lifecycle.suggest_escalation(incident.id)
    assert (suggestion.team_id, suggestion.team_name) == (second, "Platform")
    assert suggestion.level is EscalationLevel.L2

    escalated = take(
        clocked,
        incident,
        Step.ESCALATE,
        at=at(10),
        note="Needs database access",
        to_team_id=second,
        to_person_id=bob,
    )

    assert escalated.status is Status.INVESTIGATING
    assert escalated.milestones.acknowledged_at == at(10)
    assert (escalated.team_name, escalated.assignee_name) == ("Platform", "Bob Platform")
    assert escalated.draft.escalation_level is EscalationLevel.L2
    assert escalated.version == incident.version + 1
    escalation, status_change = entries(clocked, incident)[-2:]
    assert escalation.kind is EntryKind.ESCALATION
    assert escalation.body == "Escalated to Platform / Bob Platform (L2): Needs database access"
    assert escalation.occurred_at == at(10)
    assert escalation.details == {
        "from_team": "Service Desk",
        "from_person": "Alice Front",
        "to_team": "Platform",
        "to_person": "Bob Platform",
        "to_team_id": second,
        "to_person_id": bob,
        "level": 2,
        "reason": "Needs database access",
    }
    assert status_change.kind is EntryKind.STATUS_CHANGE
    assert status_change.details["from"] == "logged"
    assert status_change.details["to"] == "investigating"

    suggestion = clocked.lifecycle.suggest_escalation(incident.id)
    assert (suggestion.team_id, suggestion.team_name) == (vendor, "Acme Support")
    assert suggestion.level is EscalationLevel.L3

    # Escalating again keeps it investigating: an escalation entry, no status change.
    again = take(
        clocked,
        incident,
        Step.ESCALATE,
        at=at(20),
        note="Vendor bug",
        to_team_id=vendor,
        level=EscalationLevel.VENDOR,
    )
    assert again.team_name == "Acme Support"
    assert again.assignee_name == "Bob Platform"  # no person named: the assignee stays
    assert again.draft.escalation_level is EscalationLevel.VENDOR
    assert again.version == incident.version + 2
    latest = entries(clocked, incident)[-1]
    assert latest.kind is EntryKind.ESCALATION
    assert latest.body == "Escalated to Acme Support (Vendor): Vendor bug"
    assert latest.details["from_team"] == "Platform"
    assert latest.details["to_person"] == ""
    assert latest.details["level"] == 4
    assert len(entries(clocked, incident, EntryKind.STATUS_CHANGE)) == 2

    # After the last team there is nobody to suggest; the level stays at the top.
    suggestion = clocked.lifecycle.suggest_escalation(incident.id)
    assert (suggestion.team_id, suggestion.team_name) == (None, "")
    assert suggestion.level is EscalationLevel.VENDOR


def test_without_a_team_the_first_team_is_suggested(clocked: Desk) -> None:
    clocked.catalog.create_team("Second line", escalation_order=2)
    first = clocked.catalog.create_team("First line", escalation_order=1)
    incident = new_incident(clocked)

    suggestion = clocked.lifecycle.suggest_escalation(incident.id)

    assert (suggestion.team_id, suggestion.team_name, suggestion.level) == (
        first,
        "First line",
        EscalationLevel.L2,
    )


def test_escalating_to_a_person_only(clocked: Desk) -> None:
    carol = clocked.catalog.create_person("Carol DBA", "carol")
    incident = new_incident(clocked)
    escalated = take(clocked, incident, Step.ESCALATE, note="DBA needed", to_person_id=carol)
    assert escalated.assignee_name == "Carol DBA"
    assert escalated.team_name == ""
    assert entries(clocked, incident, EntryKind.ESCALATION)[0].body == (
        "Escalated to Carol DBA (L2): DBA needed"
    )


def test_missing_notes_and_targets_are_refused_naming_the_field(clocked: Desk) -> None:
    incident = new_incident(clocked)
    team = clocked.catalog.create_team("Platform")
    cases: list[tuple[StepRequest, list[str]]] = [
        (StepRequest(Step.RECOVER, note="   "), ["note"]),
        (StepRequest(Step.CANCEL), ["note"]),
        (StepRequest(Step.REOPEN), ["note"]),
        (StepRequest(Step.ESCALATE, to_team_id=team), ["note"]),
        (StepRequest(Step.ESCALATE, note="Needs help"), ["to"]),
        (StepRequest(Step.ESCALATE), ["note", "to"]),
        (StepRequest(Step.ESCALATE, note="Needs help", to_team_id=9999), ["to"]),
        (StepRequest(Step.ESCALATE, note="Needs help", to_person_id=9999), ["to"]),
        (StepRequest(Step.CANCEL, note="Duplicate", duplicate_of_number=9999), ["duplicate_of"]),
        (
            StepRequest(Step.CANCEL, note="Duplicate", duplicate_of_number=incident.number),
            ["duplicate_of"],
        ),
        (StepRequest(Step.ACKNOWLEDGE, note="x" * 20_001), ["note"]),
        (StepRequest(Step.ACKNOWLEDGE, note="a\x00b"), ["note"]),
    ]
    for request, fields in cases:
        with pytest.raises(ValidationFailed) as refused:
            clocked.lifecycle.take(incident.id, request, clocked.actor_id)
        assert [error.field for error in refused.value.errors] == fields, request

    assert clocked.incidents.get(incident.id) == incident
    assert len(entries(clocked, incident)) == 1
    messages = {}
    for step in (Step.RECOVER, Step.CANCEL, Step.REOPEN, Step.ESCALATE):
        with pytest.raises(ValidationFailed) as refused:
            clocked.lifecycle.take(incident.id, StepRequest(step), clocked.actor_id)
        messages[step] = refused.value.errors[0].message
    assert messages == {
        Step.RECOVER: "Say what was repaired.",
        Step.CANCEL: "Say why the incident is cancelled.",
        Step.REOPEN: "Say why the incident is reopened.",
        Step.ESCALATE: "Say why it is escalated.",
    }


def test_times_before_the_report_or_in_the_future_are_refused(clocked: Desk) -> None:
    incident = new_incident(clocked)
    cases = {
        "before the report": (REPORTED - timedelta(minutes=1), "before the incident"),
        "in the future": (FIXED_NOW + timedelta(minutes=6), "in the future"),
        "without a time zone": (at(5).replace(tzinfo=None), "no time zone"),
    }
    for moment, message in cases.values():
        with pytest.raises(ValidationFailed) as refused:
            take(clocked, incident, Step.ACKNOWLEDGE, at=moment)
        [error] = refused.value.errors
        assert error.field == "at"
        assert message in error.message

    # Exactly at the report, and a few minutes ahead (clock skew), are fine.
    assert take(clocked, incident, Step.ACKNOWLEDGE, at=REPORTED).milestones.acknowledged_at == (
        REPORTED
    )
    ahead = FIXED_NOW + timedelta(minutes=4)
    assert take(clocked, incident, Step.RECOVER, at=ahead, note="ok").milestones.recovered_at == (
        ahead
    )


def test_a_step_the_table_refuses_is_not_allowed_with_the_reason(clocked: Desk) -> None:
    incident = new_incident(clocked)
    take(clocked, incident, Step.ACKNOWLEDGE, at=at(1))

    with pytest.raises(NotAllowed, match=r"^Only a newly logged incident is triaged\.$"):
        take(clocked, incident, Step.TRIAGE, at=at(2))
    with pytest.raises(NotAllowed, match="Only a recovered incident can be closed"):
        take(clocked, incident, Step.CLOSE, at=at(2))
    assert clocked.incidents.get(incident.id).version == incident.version + 1


def test_a_major_incident_closes_only_after_its_postmortem(clocked: Desk) -> None:
    incident = new_incident(clocked, Severity.SEV2)
    take(clocked, incident, Step.ACKNOWLEDGE, at=at(2))
    take(clocked, incident, Step.RECOVER, at=at(40), note="Restarted the pool")

    with pytest.raises(NotAllowed) as refused:
        take(clocked, incident, Step.CLOSE, at=at(50))
    assert str(refused.value) == (
        "A major incident (SEV2) cannot skip the postmortem: start it, "
        "or have a lead waive it with a reason."
    )

    take(clocked, incident, Step.START_POSTMORTEM, at=at(60))
    with pytest.raises(NotAllowed, match="needs a root cause and at least one action item"):
        take(clocked, incident, Step.CLOSE, at=at(70))

    view = clocked.postmortems.get(incident.id)
    assert view is not None
    clocked.postmortems.save_text(
        incident.id,
        PostmortemText(root_cause="Pool too small"),
        view.version,
        clocked.actor_id,
        base=view.text,
    )
    with pytest.raises(NotAllowed, match="needs at least one action item"):
        take(clocked, incident, Step.CLOSE, at=at(70))
    clocked.postmortems.add_action_item(
        incident.id, "Alert on pool saturation", ActionKind.DETECT, None, None, clocked.actor_id
    )

    closed = take(clocked, incident, Step.CLOSE, at=at(80))
    assert closed.status is Status.CLOSED
    assert closed.milestones.closed_at == at(80)
    assert closed.milestones.postmortem_at == at(60)

    # Reopened: the milestones after the first response go, the postmortem itself stays.
    reopened = take(clocked, incident, Step.REOPEN, at=at(90), note="Pool exhausted again")
    assert reopened.milestones == replace(
        closed.milestones, recovered_at=None, postmortem_at=None, closed_at=None
    )
    view = clocked.postmortems.get(incident.id)
    assert view is not None
    assert view.text.root_cause == "Pool too small"
    assert len(view.action_items) == 1


def test_a_leads_waiver_lets_a_major_incident_close_from_recovered(clocked: Desk) -> None:
    incident = new_incident(clocked, Severity.SEV1)
    take(clocked, incident, Step.RECOVER, at=at(15), note="Provider fixed it")
    clocked.postmortems.waive(incident.id, "Provider outage, their RCA covers it", lead(clocked))

    closed = take(clocked, incident, Step.CLOSE, at=at(20))

    assert closed.status is Status.CLOSED
    assert closed.milestones.postmortem_at is None


def test_a_concurrent_change_is_an_edit_conflict_and_nothing_is_written(
    clocked: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = clocked.catalog.create_team("Platform")
    incident = new_incident(clocked, Severity.SEV2)
    original_state = lifecycle_module.postmortem_state

    def someone_else_saves_meanwhile(incident_id: int) -> Any:
        # Read after the step read the incident, written before it writes: another writer.
        m.Incident.update(version=m.Incident.version + 1, title="Changed elsewhere").where(
            m.Incident.id == incident_id
        ).execute()
        return original_state(incident_id)

    monkeypatch.setattr(lifecycle_module, "postmortem_state", someone_else_saves_meanwhile)

    with pytest.raises(EditConflict) as conflict:
        take(clocked, incident, Step.ESCALATE, at=at(5), note="Help", to_team_id=team)

    # The whole step was rolled back, including the escalation entry written before the check.
    monkeypatch.undo()
    assert conflict.value.current.key == incident.key
    assert clocked.incidents.get(incident.id) == incident
    assert len(entries(clocked, incident)) == 1


def test_a_missing_incident_is_not_found(clocked: Desk) -> None:
    with pytest.raises(NotFound):
        clocked.lifecycle.options(9999)
    with pytest.raises(NotFound):
        clocked.lifecycle.take(9999, StepRequest(Step.ACKNOWLEDGE), clocked.actor_id)
    with pytest.raises(NotFound):
        clocked.lifecycle.suggest_escalation(9999)


def test_a_lead_corrects_a_milestone_and_the_correction_is_logged(clocked: Desk) -> None:
    incident = new_incident(clocked)
    take(clocked, incident, Step.ACKNOWLEDGE, at=at(20))
    before = clocked.incidents.get(incident.id)

    staff = clocked.catalog.create_person("Sam Staff", "sam")
    with pytest.raises(NotAllowed, match="Only a lead or an admin"):
        clocked.lifecycle.correct_milestone(
            incident.id, "acknowledged_at", at(5), staff, "Paged at 9:05"
        )
    assert clocked.incidents.get(incident.id) == before

    lena = lead(clocked)
    corrected = clocked.lifecycle.correct_milestone(
        incident.id, "acknowledged_at", at(5), lena, "  Paged by phone first  "
    )

    assert corrected.milestones.acknowledged_at == at(5)
    assert corrected.version == before.version + 1
    entry = entries(clocked, incident)[-1]
    assert entry.kind is EntryKind.FIELD_CHANGE
    assert entry.author_name == "Lena lead"
    old, new = at(20).isoformat(timespec="minutes"), at(5).isoformat(timespec="minutes")
    assert entry.body == f"Acknowledged time corrected: {old} → {new} (Paged by phone first)"
    assert entry.details == {
        "field": "acknowledged_at",
        "old": at(20).isoformat(),
        "new": at(5).isoformat(),
        "reason": "Paged by phone first",
    }

    admin = lead(clocked, Role.ADMIN)
    take(clocked, incident, Step.RECOVER, at=at(60), note="Fixed")
    corrected = clocked.lifecycle.correct_milestone(
        incident.id, "recovered_at", at(50), admin, "Graphs show recovery at 50"
    )
    assert corrected.milestones.recovered_at == at(50)


def test_corrections_that_cannot_be_made(clocked: Desk) -> None:
    incident = new_incident(clocked)
    lena = lead(clocked)
    correct = clocked.lifecycle.correct_milestone

    with pytest.raises(NotAllowed, match="Recovered has not happened yet"):
        correct(incident.id, "recovered_at", at(5), lena, "Typo")
    with pytest.raises(NotAllowed, match="Closed has not happened yet"):
        correct(incident.id, "closed_at", at(5), lena, "Typo")
    with pytest.raises(ValueError, match="Unknown milestone"):
        correct(incident.id, "reported_at", at(5), lena, "Typo")

    take(clocked, incident, Step.ACKNOWLEDGE, at=at(20))
    refusals = [
        (at(5), "  ", "reason"),
        (FIXED_NOW + timedelta(hours=1), "Typo", "at"),
        (at(5).replace(tzinfo=None), "Typo", "at"),
        (REPORTED - timedelta(seconds=1), "Typo", "at"),
    ]
    for moment, reason, field in refusals:
        with pytest.raises(ValidationFailed) as refused:
            correct(incident.id, "acknowledged_at", moment, lena, reason)
        assert [error.field for error in refused.value.errors] == [field]
    assert clocked.incidents.get(incident.id).milestones.acknowledged_at == at(20)
    assert len(entries(clocked, incident, EntryKind.FIELD_CHANGE)) == 0


# Applied once: a step or correction sent again with its write id


def test_a_step_sent_again_with_its_id_is_taken_once_and_another_id_is_another_step(
    clocked: Desk,
) -> None:
    team = clocked.catalog.create_team("Platform")
    incident = new_incident(clocked)
    acknowledged = take(clocked, incident, Step.ACKNOWLEDGE, at=at(5), write_id="ack-1")
    # The incident has left Logged, and its version moved: neither refused nor logged twice.
    assert take(clocked, incident, Step.ACKNOWLEDGE, at=at(5), write_id="ack-1") == acknowledged
    assert len(entries(clocked, incident, EntryKind.STATUS_CHANGE)) == 2

    escalation = {"at": at(10), "note": "Needs a DBA", "to_team_id": team}
    take(clocked, incident, Step.ESCALATE, **escalation, write_id="escalate-1")
    take(clocked, incident, Step.ESCALATE, **escalation, write_id="escalate-1")
    assert len(entries(clocked, incident, EntryKind.ESCALATION)) == 1
    escalated_again = take(clocked, incident, Step.ESCALATE, **escalation, write_id="escalate-2")
    assert len(entries(clocked, incident, EntryKind.ESCALATION)) == 2
    assert escalated_again.draft.escalation_level is EscalationLevel.L3


def test_a_step_whose_reply_was_lost_is_sent_again_and_taken_once(
    clocked: Desk, lose_replies: LoseReplies
) -> None:
    incident = new_incident(clocked)
    take(clocked, incident, Step.ACKNOWLEDGE, at=at(5))
    lost = lose_replies(clocked, times=1)
    recovered = take(clocked, incident, Step.RECOVER, at=at(30), note="Fixed", write_id="r")
    assert lost.count == 1
    assert recovered.status is Status.RECOVERED
    assert recovered.version == incident.version + 2
    assert [entry.body for entry in entries(clocked, incident, EntryKind.STATUS_CHANGE)] == [
        "Incident logged",
        "Logged → Investigating",
        "Investigating → Recovered: Fixed",
    ]


def test_a_correction_sent_again_with_its_id_is_made_once(
    clocked: Desk, lose_replies: LoseReplies
) -> None:
    incident = new_incident(clocked)
    take(clocked, incident, Step.ACKNOWLEDGE, at=at(20))
    lena = lead(clocked)
    correct = clocked.lifecycle.correct_milestone
    lost = lose_replies(clocked, times=1)
    corrected = correct(
        incident.id, "acknowledged_at", at(5), lena, "Paged", was=at(20), write_id="fix-1"
    )
    assert lost.count == 1
    assert corrected.milestones.acknowledged_at == at(5)
    # Sent once more by the person: not refused for the time it corrected itself.
    again = correct(
        incident.id, "acknowledged_at", at(5), lena, "Paged", was=at(20), write_id="fix-1"
    )
    assert again == corrected
    assert len(entries(clocked, incident, EntryKind.FIELD_CHANGE)) == 1
    # Another save of the same correction is checked as ever: the time shown has changed.
    with pytest.raises(EditConflict):
        correct(incident.id, "acknowledged_at", at(5), lena, "Paged", was=at(20), write_id="x")
