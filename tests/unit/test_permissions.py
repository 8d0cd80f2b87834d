"""Roles against capabilities: the table itself, the sentences of its refusals, and every
role against every guarded action in the services, on both engines; a refused action leaves
the database as it was."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

import incidentdesk
from incidentdesk.domain.enums import EntryKind, Role, Severity, Status
from incidentdesk.domain.lifecycle import Step
from incidentdesk.domain.permissions import MINIMUM_ROLE, Capability, decide, has
from incidentdesk.domain.timeline import NewEntry
from incidentdesk.services.desk import Desk
from incidentdesk.services.errors import NotAllowed
from incidentdesk.services.lifecycle import StepRequest
from incidentdesk.services.people import PeopleService, PersonDetails
from incidentdesk.services.team_settings import TeamSettingsService
from incidentdesk.storage import models as m
from tests.conftest import FIXED_NOW
from tests.factories import make_draft

ALLOWED = {
    Role.STAFF: set(),
    Role.LEAD: {
        Capability.RERANK,
        Capability.CORRECT_MILESTONES,
        Capability.WAIVE_POSTMORTEM,
        Capability.EDIT_CATALOGS,
    },
    Role.ADMIN: set(Capability),
}


@pytest.mark.parametrize("role", [*Role, None])
@pytest.mark.parametrize("capability", list(Capability))
def test_the_table_gives_each_role_what_the_issue_says(
    role: Role | None, capability: Capability
) -> None:
    expected = role is not None and capability in ALLOWED[role]
    decision = decide(role, capability)
    assert has(role, capability) is expected
    assert decision.allowed is expected
    assert (decision.reason == "") is expected


def test_every_capability_has_a_minimum_role() -> None:
    assert set(MINIMUM_ROLE) == set(Capability)


def test_a_refusal_says_who_may_and_whom_to_ask() -> None:
    assert decide(Role.STAFF, Capability.RERANK).reason == (
        "Only a lead or an admin can re-rank incidents on the board, and you are staff; ask "
        "a lead or an admin of this database to do it, or to make you a lead."
    )
    assert decide(Role.LEAD, Capability.MANAGE_PEOPLE, ["Ada"]).reason == (
        "Only an admin can add people or change their role and team, and you are lead; ask "
        "Ada to do it."
    )
    names = ["Ada", "Bea", "Cem", "Dan"]
    assert (
        "ask Ada, Bea, Cem or another to do it"
        in decide(Role.STAFF, Capability.WAIVE_POSTMORTEM, names).reason
    )
    assert "you are not one of its people" in decide(None, Capability.EDIT_CATALOGS).reason


# Every guarded action, on a fresh set-up of its own, and whether it changed the database.


@dataclass
class Setting:
    desk: Desk
    person: int
    incident_id: int
    recovered_id: int
    major_id: int


def _set_up(desk: Desk, role: Role, number: int) -> Setting:
    """Incidents to act on (by the fixture's admin), and a person of ``role`` to act."""
    login = f"pat-{role.value}-{number}"
    person = desk.catalog.create_person(f"Pat {number}", login, role=role)
    first = desk.incidents.create(make_draft(title="First"), desk.actor_id)
    second = desk.incidents.create(make_draft(title="Second"), desk.actor_id)
    desk.lifecycle.take(first.id, StepRequest(Step.ACKNOWLEDGE), desk.actor_id)
    desk.lifecycle.take(second.id, StepRequest(Step.ACKNOWLEDGE), desk.actor_id)
    major = desk.incidents.create(make_draft(severity=Severity.SEV1), desk.actor_id)
    return Setting(desk, person, first.id, second.id, major.id)


def _rerank(s: Setting) -> object:
    card = s.desk.incidents.get(s.incident_id)
    return s.desk.board.rerank(s.incident_id, None, s.recovered_id, card.version, s.person)


def _correct(s: Setting) -> object:
    acknowledged = s.desk.incidents.get(s.incident_id).milestones.acknowledged_at
    assert acknowledged is not None
    moment = acknowledged - timedelta(minutes=1)
    return s.desk.lifecycle.correct_milestone(
        s.incident_id, "acknowledged_at", moment, s.person, "Paged by phone"
    )


def _service(s: Setting) -> TeamSettingsService:
    return TeamSettingsService(s.desk.store, s.person, lambda: FIXED_NOW)


ACTIONS: dict[str, tuple[Capability, Callable[[Setting], object]]] = {
    "re-rank": (Capability.RERANK, _rerank),
    "correct a milestone": (Capability.CORRECT_MILESTONES, _correct),
    "waive": (
        Capability.WAIVE_POSTMORTEM,
        lambda s: s.desk.postmortems.waive(s.major_id, "Vendor's RCA covers it", s.person),
    ),
    "add a service": (Capability.EDIT_CATALOGS, lambda s: _service(s).add("services", "Search")),
    "rename a category": (
        Capability.EDIT_CATALOGS,
        lambda s: _service(s).rename("categories", 1, "Outages"),
    ),
    "order the teams": (Capability.EDIT_CATALOGS, lambda s: _service(s).set_escalation_order([])),
    "list monitoring sources": (
        Capability.EDIT_CATALOGS,
        lambda s: _service(s).update(monitoring_sources=["Nagios"]),
    ),
    "change the attachment limit": (
        Capability.CHANGE_TEAM_SETTINGS,
        lambda s: _service(s).update(attachment_max_bytes=1024 * 1024),
    ),
    "add a person": (
        Capability.MANAGE_PEOPLE,
        lambda s: _people(s).add(PersonDetails("Bea Staff", "bea")),
    ),
    "make someone a lead": (
        Capability.MANAGE_PEOPLE,
        lambda s: _people(s).change(s.desk.actor_id, _details(s, Role.LEAD)),
    ),
}


def _people(s: Setting) -> PeopleService:
    return PeopleService(s.desk.store, s.person, lambda: FIXED_NOW)


def _details(s: Setting, role: Role) -> PersonDetails:
    row = m.User.get_by_id(s.desk.actor_id)
    return PersonDetails(row.name, row.login, row.email, row.team_id, role)


def _snapshot() -> tuple[object, ...]:
    """What any guarded action changes."""
    return (
        list(m.Incident.select(m.Incident.id, m.Incident.version).tuples()),
        m.TimelineEntry.select().count(),
        list(m.User.select(m.User.login, m.User.role).order_by(m.User.id).tuples()),
        list(m.Setting.select().order_by(m.Setting.key).tuples()),
        m.SettingChange.select().count(),
        m.Postmortem.select().count(),
        m.Service.select().count(),
        list(m.Category.select(m.Category.name).tuples()),
    )


@pytest.mark.parametrize("role", list(Role))
def test_every_role_against_every_guarded_action(desk: Desk, role: Role) -> None:
    """Staff are refused everything here, leads the people and the team settings, admins
    nothing; a refusal says why and changes nothing."""
    for number, (action, (capability, act)) in enumerate(ACTIONS.items()):
        setting = _set_up(desk, role, number)
        if capability in ALLOWED[role]:
            act(setting)
            continue
        before = _snapshot()
        with pytest.raises(NotAllowed) as refused:
            act(setting)
        assert refused.value.message.startswith("Only "), action
        assert f"you are {role.value}" in refused.value.message, action
        assert _snapshot() == before, action


def test_staff_do_everything_else_the_timeline_and_the_lifecycle_included(desk: Desk) -> None:
    staff = desk.catalog.create_person("Sam Staff", "sam")
    incident = desk.incidents.create(make_draft(), staff)
    desk.timeline.append(incident.id, NewEntry(EntryKind.NOTE, "Looking at it", FIXED_NOW), staff)
    stepped = desk.lifecycle.take(incident.id, StepRequest(Step.ACKNOWLEDGE), staff)
    assert stepped.status is Status.INVESTIGATING
    current = desk.incidents.get(incident.id)
    desk.incidents.update(
        incident.id, make_draft(title="Renamed"), current.version, staff, base=current.draft
    )
    assert desk.incidents.get(incident.id).title == "Renamed"


def test_a_role_changed_holds_at_once_for_an_open_desk(desk: Desk) -> None:
    lead = desk.catalog.create_person("Lena Lead", "lena", role=Role.LEAD)
    assert desk.board.may_rerank(lead).allowed
    m.User.update(role=Role.STAFF.value).where(m.User.id == lead).execute()
    refusal = desk.board.may_rerank(lead)
    assert not refusal.allowed
    assert "ask tester to do it" in refusal.reason  # the fixture's person, its first admin


def test_no_window_adds_people_or_catalog_entries_past_the_checks() -> None:
    """The unchecked set-up helpers stay out of the GUI, which goes through the services
    that check the role (TeamSettingsService, PeopleService)."""
    ui = Path(incidentdesk.__file__).parent / "ui"
    for path in sorted(ui.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        for unchecked in ("catalog.create_", "ensure_person", "arrive("):
            assert unchecked not in text, f"{path.name} calls {unchecked}"
