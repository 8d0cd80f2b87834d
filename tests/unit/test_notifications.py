"""What is news to the person using a desk (services/notifications.py), on both engines: a
new major incident, an escalation to them or their team, an incident assigned to them; never
their own changes, nor closed incidents; and a flood told as one."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from incidentdesk.domain.enums import EntryKind, Severity
from incidentdesk.domain.incident import Incident
from incidentdesk.domain.lifecycle import Step
from incidentdesk.services import notifications
from incidentdesk.services.desk import Desk
from incidentdesk.services.lifecycle import StepRequest
from incidentdesk.services.notifications import (
    Happening,
    NotificationKind,
    NotificationPacer,
    NotificationWatch,
    worded,
)
from incidentdesk.services.timeline import add_entry
from incidentdesk.storage import models as m
from tests.factories import make_draft, minutes_ago

ALL_KINDS = frozenset(NotificationKind)


@pytest.fixture
def colleague(desk: Desk) -> int:
    return desk.catalog.create_person("Cleo Colleague", "cleo")


@pytest.fixture
def platform(desk: Desk) -> int:
    """The team the person using the desk belongs to."""
    team = desk.catalog.create_team("Platform")
    m.User.update(team=team).where(m.User.id == desk.actor_id).execute()
    return team


@pytest.fixture
def watch(desk: Desk) -> NotificationWatch:
    started = NotificationWatch(desk.store, desk.actor_id)
    started.start()
    return started


def log(desk: Desk, actor_id: int, severity: Severity = Severity.SEV3, **changes) -> Incident:
    return desk.incidents.create(
        make_draft(title=f"{severity.label} trouble", severity=severity, **changes), actor_id
    )


def edit(desk: Desk, incident: Incident, actor_id: int, **changes) -> Incident:
    edited, _ = desk.incidents.update(
        incident.id,
        replace(incident.draft, **changes),
        incident.version,
        actor_id,
        base=incident.draft,
    )
    return edited


def escalate(desk: Desk, incident: Incident, actor_id: int, **where) -> Incident:
    return desk.lifecycle.take(
        incident.id, StepRequest(Step.ESCALATE, note="Needs the platform team", **where), actor_id
    )


def news(watch: NotificationWatch, *incidents: Incident) -> list[tuple[NotificationKind, str]]:
    return [(h.kind, h.what) for h in watch.check([incident.id for incident in incidents])]


def test_a_major_incident_logged_by_someone_else_is_news(
    desk: Desk, watch: NotificationWatch, colleague: int
) -> None:
    major = log(desk, colleague, Severity.SEV1)
    minor = log(desk, colleague, Severity.SEV3)
    assert news(watch, major, minor) == [(NotificationKind.NEW_MAJOR, "New SEV1 incident")]
    # Read once: the next check of the same incidents has nothing new.
    assert news(watch, major, minor) == []


def test_the_persons_own_changes_are_never_news(
    desk: Desk, watch: NotificationWatch, platform: int
) -> None:
    mine = log(desk, desk.actor_id, Severity.SEV1)
    mine = edit(desk, mine, desk.actor_id, assignee_id=desk.actor_id)
    escalate(desk, mine, desk.actor_id, to_team_id=platform, to_person_id=desk.actor_id)
    assert news(watch, mine) == []


def test_what_was_there_before_the_start_is_no_news(desk: Desk, colleague: int) -> None:
    earlier = log(desk, colleague, Severity.SEV1)
    late = NotificationWatch(desk.store, desk.actor_id)
    assert not late.started
    assert late.check([earlier.id]) == []  # the first check only starts
    assert late.started
    assert late.check([earlier.id]) == []


def test_a_severity_raised_to_major_is_news_and_one_lowered_is_not(
    desk: Desk, watch: NotificationWatch, colleague: int
) -> None:
    raised = edit(desk, log(desk, desk.actor_id, Severity.SEV3), colleague, severity=Severity.SEV2)
    to_sev1 = edit(desk, log(desk, desk.actor_id, Severity.SEV2), colleague, severity=Severity.SEV1)
    lowered = edit(desk, log(desk, desk.actor_id, Severity.SEV1), colleague, severity=Severity.SEV2)
    still_minor = edit(
        desk, log(desk, desk.actor_id, Severity.SEV5), colleague, severity=Severity.SEV3
    )
    assert news(watch, raised, to_sev1, lowered, still_minor) == [
        (NotificationKind.NEW_MAJOR, "Raised to SEV2"),
        (NotificationKind.NEW_MAJOR, "Raised to SEV1"),
    ]


def test_an_incident_assigned_to_the_person_by_someone_else_is_news(
    desk: Desk, watch: NotificationWatch, colleague: int
) -> None:
    to_me = edit(desk, log(desk, colleague), colleague, assignee_id=desk.actor_id)
    to_them = edit(desk, log(desk, colleague), colleague, assignee_id=colleague)
    assert news(watch, to_me, to_them) == [(NotificationKind.ASSIGNED, "Assigned to you")]


def test_an_assignment_taken_back_before_it_was_read_is_no_news(
    desk: Desk, watch: NotificationWatch, colleague: int
) -> None:
    incident = edit(desk, log(desk, colleague), colleague, assignee_id=desk.actor_id)
    edit(desk, incident, colleague, assignee_id=colleague)
    assert news(watch, incident) == []


def test_escalations_to_the_person_or_their_team_are_news(
    desk: Desk, watch: NotificationWatch, colleague: int, platform: int
) -> None:
    database = desk.catalog.create_team("Database")
    to_me = escalate(desk, log(desk, colleague), colleague, to_person_id=desk.actor_id)
    to_my_team = escalate(desk, log(desk, colleague), colleague, to_team_id=platform)
    elsewhere = escalate(desk, log(desk, colleague), colleague, to_team_id=database)
    assert news(watch, to_me, to_my_team, elsewhere) == [
        (NotificationKind.ESCALATED, "Escalated to you (L2)"),
        (NotificationKind.ESCALATED, "Escalated to Platform (L2)"),
    ]


def test_a_person_in_no_team_hears_of_no_team_escalation(
    desk: Desk, watch: NotificationWatch, colleague: int
) -> None:
    team = desk.catalog.create_team("Platform")
    incident = escalate(desk, log(desk, colleague), colleague, to_team_id=team)
    assert news(watch, incident) == []


def test_escalations_recorded_by_name_only_are_read_by_name(
    desk: Desk, watch: NotificationWatch, colleague: int, platform: int
) -> None:
    """Entries written before the ids were recorded (and by the demo generator)."""
    mine = edit(desk, log(desk, colleague), colleague, assignee_id=desk.actor_id)
    theirs = log(desk, colleague)
    watch.check([mine.id, theirs.id])
    me = m.User.get_by_id(desk.actor_id).name
    for incident, details in (
        (mine, {"to_person": me, "to_team": "", "level": 3}),
        (theirs, {"to_person": "", "to_team": "Platform", "level": "not a level"}),
    ):
        with desk.store.write():
            add_entry(
                incident.id,
                EntryKind.ESCALATION,
                "Escalated",
                details,
                colleague,
                minutes_ago(1),
                minutes_ago(1),
            )
    assert news(watch, mine, theirs) == [
        (NotificationKind.ESCALATED, "Escalated to you (L3)"),
        (NotificationKind.ESCALATED, "Escalated to Platform"),
    ]


def test_closed_and_cancelled_incidents_are_no_news(
    desk: Desk, watch: NotificationWatch, colleague: int
) -> None:
    cancelled = log(desk, colleague, Severity.SEV1)
    desk.lifecycle.take(cancelled.id, StepRequest(Step.CANCEL, note="False alarm"), colleague)
    assert news(watch, cancelled) == []


def test_entries_committed_out_of_order_are_still_read_for_their_incident(
    desk: Desk, watch: NotificationWatch, colleague: int
) -> None:
    """Each incident has its own mark: reading a later entry of another incident first (a
    transaction that committed earlier) does not skip this one's."""
    first = log(desk, colleague, Severity.SEV1)
    second = log(desk, colleague, Severity.SEV2)
    assert news(watch, second) == [(NotificationKind.NEW_MAJOR, "New SEV2 incident")]
    assert news(watch, first) == [(NotificationKind.NEW_MAJOR, "New SEV1 incident")]


def test_unreadable_details_and_unknown_incidents_are_left_out(
    desk: Desk, watch: NotificationWatch, colleague: int
) -> None:
    incident = log(desk, colleague)
    with desk.store.write():
        for details in ({"field": "severity", "old": "SEV9", "new": "bad"}, {"field": "assignee"}):
            add_entry(
                incident.id,
                EntryKind.FIELD_CHANGE,
                "odd",
                details,
                colleague,
                minutes_ago(1),
                minutes_ago(1),
            )
    assert news(watch, incident) == []
    assert watch.check([999_999]) == []
    assert watch.check([]) == []


def test_a_person_removed_meanwhile_hears_of_nothing(desk: Desk, colleague: int) -> None:
    watch = NotificationWatch(desk.store, colleague)
    watch.start()
    incident = log(desk, desk.actor_id, Severity.SEV1)
    m.User.delete().where(m.User.id == colleague).execute()
    assert news(watch, incident) == []


def test_a_flood_is_read_in_parts_and_told_as_one(
    desk: Desk, watch: NotificationWatch, colleague: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(notifications, "_IDS_PER_QUERY", 2)
    flood = [log(desk, colleague, Severity.SEV2) for _ in range(5)]
    happenings = watch.check([incident.id for incident in flood])
    assert len(happenings) == 5
    [told] = worded(happenings, ALL_KINDS)
    assert told.title == "5 new SEV2 incidents"
    newest_first = [incident.id for incident in reversed(flood)]
    assert told.incident_ids == tuple(newest_first)
    lines = told.body.splitlines()
    assert lines[0] == f"{flood[-1].key} (SEV2) SEV2 trouble"
    assert lines[-1] == "and 2 more"
    assert len(lines) == 4


def test_an_assigned_sev1_logged_by_someone_else_is_told_once(
    desk: Desk, watch: NotificationWatch, colleague: int
) -> None:
    incident = log(desk, colleague, Severity.SEV1, assignee_id=desk.actor_id)
    incident = edit(desk, incident, colleague, assignee_id=colleague)
    incident = edit(desk, incident, colleague, assignee_id=desk.actor_id)
    happenings = watch.check([incident.id])
    assert {h.kind for h in happenings} == {NotificationKind.NEW_MAJOR, NotificationKind.ASSIGNED}
    [told] = worded(happenings, ALL_KINDS)
    assert (told.kind, told.title, told.body) == (
        NotificationKind.ASSIGNED,
        f"Assigned to you: {incident.key}",
        "SEV1 trouble",
    )
    [major] = worded(happenings, {NotificationKind.NEW_MAJOR})
    assert major.title == f"New SEV1 incident: {incident.key}"


# Wording and pacing, without a database


def happening(kind: NotificationKind, number: int, severity: Severity = Severity.SEV2) -> Happening:
    return Happening(kind, number * 10, number, f"Trouble {number}", severity, "Assigned to you")


def test_each_kind_is_one_notification_with_the_most_severe_first() -> None:
    told = worded(
        [
            happening(NotificationKind.NEW_MAJOR, 1, Severity.SEV2),
            happening(NotificationKind.NEW_MAJOR, 2, Severity.SEV1),
            happening(NotificationKind.ASSIGNED, 3),
            happening(NotificationKind.ASSIGNED, 4),
        ],
        ALL_KINDS,
    )
    assert [(n.kind, n.title, n.incident_ids) for n in told] == [
        (NotificationKind.ASSIGNED, "2 incidents assigned to you", (40, 30)),
        (NotificationKind.NEW_MAJOR, "2 new SEV1 or SEV2 incidents", (20, 10)),
    ]
    assert told[1].incident_id == 20
    escalated = worded([happening(NotificationKind.ESCALATED, n) for n in (1, 2)], ALL_KINDS)
    assert escalated[0].title == "2 incidents escalated to you or your team"


def test_kinds_turned_off_are_not_told() -> None:
    assert worded([happening(NotificationKind.ASSIGNED, 1)], {NotificationKind.NEW_MAJOR}) == []
    assert worded([], ALL_KINDS) == []


def test_the_pacer_holds_what_follows_a_notification_and_tells_it_as_one() -> None:
    pacer = NotificationPacer(quiet_s=10)
    first = pacer.offer([happening(NotificationKind.NEW_MAJOR, 1)], ALL_KINDS, now=100)
    assert [n.incident_ids for n in first] == [(10,)]
    assert pacer.next_due() is None
    assert pacer.offer([happening(NotificationKind.NEW_MAJOR, 2)], ALL_KINDS, now=101) == []
    assert pacer.offer([happening(NotificationKind.NEW_MAJOR, 3)], ALL_KINDS, now=102) == []
    # Another kind is not held back by this one.
    assigned = pacer.offer([happening(NotificationKind.ASSIGNED, 4)], ALL_KINDS, now=103)
    assert [n.kind for n in assigned] == [NotificationKind.ASSIGNED]
    assert pacer.next_due() == 110
    assert pacer.due(ALL_KINDS, now=109) == []
    [later] = pacer.due(ALL_KINDS, now=110)
    assert (later.title, later.incident_ids) == ("2 new SEV2 incidents", (30, 20))
    assert pacer.next_due() is None
    # Shown at 110: the quiet time starts again from there.
    assert pacer.offer([happening(NotificationKind.NEW_MAJOR, 5)], ALL_KINDS, now=115) == []


def test_what_is_held_for_a_kind_turned_off_meanwhile_is_dropped() -> None:
    pacer = NotificationPacer(quiet_s=10)
    pacer.offer([happening(NotificationKind.ASSIGNED, 1)], ALL_KINDS, now=0)
    pacer.offer([happening(NotificationKind.ASSIGNED, 2)], ALL_KINDS, now=1)
    assert pacer.due({NotificationKind.NEW_MAJOR}, now=20) == []
    assert pacer.next_due() is None
    assert pacer.offer([happening(NotificationKind.ASSIGNED, 3)], set(), now=21) == []


def test_escalation_details_hold_the_ids_of_whom_they_reach(
    desk: Desk, colleague: int, platform: int
) -> None:
    incident = escalate(desk, log(desk, colleague), colleague, to_team_id=platform)
    row = (
        m.TimelineEntry.select()
        .where(
            m.TimelineEntry.incident == incident.id,
            m.TimelineEntry.kind == EntryKind.ESCALATION.value,
        )
        .get()
    )
    details = json.loads(row.details)
    assert (details["to_team_id"], details["to_person_id"]) == (platform, None)
