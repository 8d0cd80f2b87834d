"""Team-wide settings: they round-trip, staff are refused by the service itself, bad values
are refused with the field named, and every change is recorded with who and when."""

from __future__ import annotations

import pytest

from incidentdesk.domain.enums import Priority, Role, Severity, Urgency
from incidentdesk.domain.validation import ValidationFailed
from incidentdesk.services.desk import Desk
from incidentdesk.services.errors import NotAllowed
from incidentdesk.services.team_settings import TeamSettingsService
from incidentdesk.storage import models as m
from incidentdesk.storage.settings_schema import DEFAULT_SLA_TARGETS
from tests.conftest import FIXED_NOW


def as_role(desk: Desk, role: Role) -> TeamSettingsService:
    m.User.update(role=role.value).where(m.User.id == desk.actor_id).execute()
    return TeamSettingsService(desk.store, desk.actor_id, lambda: FIXED_NOW)


def default_cells(desk: Desk) -> dict[tuple[Severity, Urgency], int]:
    return dict(as_role(desk, Role.ADMIN).current().priority_cells)


def test_settings_round_trip_and_take_effect(desk: Desk) -> None:
    admin = as_role(desk, Role.ADMIN)
    cells = default_cells(desk)
    cells[(Severity.SEV3, Urgency.LOW)] = 4
    cells[(Severity.SEV4, Urgency.LOW)] = 5
    targets = {severity: dict(minutes) for severity, minutes in DEFAULT_SLA_TARGETS.items()}
    targets["SEV1"]["acknowledge_minutes"] = 3
    changed = admin.update(
        attachment_max_bytes=10 * 1024 * 1024,
        priority_cells=cells,
        sla_targets=targets,
        monitoring_sources=["Grafana", " Opsgenie "],
    )
    assert set(changed) == {
        "attachment_max_bytes",
        "priority_matrix",
        "sla_targets",
        "monitoring_sources",
    }
    read = admin.current()
    assert read.attachment_max_bytes == 10 * 1024 * 1024
    assert read.priority_cells == cells
    assert read.sla_targets == targets
    assert read.monitoring_sources == ["Grafana", "Opsgenie"]
    # What the rest of the program reads is what was saved.
    assert desk.settings.attachment_max_bytes() == 10 * 1024 * 1024
    assert desk.settings.priority_matrix().priority(Severity.SEV3, Urgency.LOW) is Priority.P4
    assert desk.settings.sla_targets()["SEV1"]["acknowledge_minutes"] == 3
    assert desk.catalog.monitoring_sources()[:2] == ["Grafana", "Opsgenie"]
    # Saving the same values again changes, and records, nothing.
    assert admin.update(attachment_max_bytes=10 * 1024 * 1024, sla_targets=targets) == []
    assert len(admin.history()) == 4


def test_every_change_is_recorded_with_who_and_when(desk: Desk) -> None:
    admin = as_role(desk, Role.ADMIN)
    m.User.update(name="Ada Admin").where(m.User.id == desk.actor_id).execute()
    admin.update(attachment_max_bytes=1024 * 1024)
    team = admin.add("teams", "Platform")
    admin.rename("teams", team, "Platform SRE")
    history = admin.history()
    assert [(change.setting, change.old_value, change.new_value) for change in history] == [
        ("teams.rename", "Platform", "Platform SRE"),
        ("teams.add", "", "Platform"),
        ("attachment_max_bytes", str(25 * 1024 * 1024), str(1024 * 1024)),
    ]
    assert {change.actor for change in history} == {"Ada Admin"}
    assert {change.changed_at for change in history} == {FIXED_NOW}


@pytest.mark.parametrize("role", [Role.STAFF, Role.LEAD])
def test_the_team_settings_are_refused_to_all_but_admins(desk: Desk, role: Role) -> None:
    service = as_role(desk, role)
    with pytest.raises(NotAllowed) as refused:
        service.update(attachment_max_bytes=1024 * 1024)
    assert refused.value.message == (
        "Only an admin can change the team's settings (priority matrix, SLA targets, limits), "
        f"and you are {role.value}; ask an admin of this database to do it."
    )
    with pytest.raises(NotAllowed):
        # One refused setting refuses the whole save, a catalog given with it too.
        service.update(sla_targets=DEFAULT_SLA_TARGETS, monitoring_sources=["Homegrown pager"])
    assert desk.settings.attachment_max_bytes() == 25 * 1024 * 1024
    sources = desk.settings.monitoring_sources()
    assert "Homegrown pager" not in sources
    assert service.history() == []
    assert service.current().role is role  # reading stays open to everyone
    assert not service.current().settings_permission.allowed


def test_staff_are_refused_the_catalogs_by_the_service(desk: Desk) -> None:
    admin = as_role(desk, Role.ADMIN)
    admin.add("teams", "Platform")
    service = as_role(desk, Role.STAFF)
    message = (
        "Only a lead or an admin can change the catalogs (services, categories, teams), and "
        "you are staff; ask a lead or an admin of this database to do it."
    )
    for refused_call in (
        lambda: service.add("services", "Checkout"),
        lambda: service.rename("categories", 1, "Outages"),
        lambda: service.set_escalation_order([]),
        lambda: service.update(monitoring_sources=[]),
    ):
        with pytest.raises(NotAllowed) as refused:
            refused_call()
        assert refused.value.message == message
    assert [change.setting for change in service.history()] == ["teams.add"]
    assert not service.current().catalogs_permission.allowed


def test_a_lead_edits_the_catalogs_but_not_the_team_settings(desk: Desk) -> None:
    lead = as_role(desk, Role.LEAD)
    team = lead.add("teams", "Platform")
    lead.add("teams", "Support")
    lead.rename("teams", team, "Platform Engineering")
    lead.set_escalation_order([t.id for t in reversed(lead.current().teams)])
    lead.update(monitoring_sources=["Nagios"])  # a catalog, for leads too
    assert [t.name for t in lead.current().teams] == ["Support", "Platform Engineering"]
    assert desk.settings.monitoring_sources() == ["Nagios"]
    current = lead.current()
    assert current.catalogs_permission.allowed
    assert not current.settings_permission.allowed
    with pytest.raises(NotAllowed):
        lead.update(attachment_max_bytes=1024 * 1024)


def test_an_invalid_priority_matrix_is_refused_with_the_cell_named(desk: Desk) -> None:
    admin = as_role(desk, Role.ADMIN)
    out_of_range = default_cells(desk)
    out_of_range[(Severity.SEV2, Urgency.MEDIUM)] = 7
    with pytest.raises(ValidationFailed) as refused:
        admin.update(priority_cells=out_of_range)
    assert [error.field for error in refused.value.errors] == ["priority_matrix.SEV2/MEDIUM"]
    assert refused.value.message == (
        "Priority matrix, SEV2 × Medium: choose a priority from P1 to P5 (it was 7)."
    )
    upside_down = default_cells(desk)
    upside_down[(Severity.SEV4, Urgency.HIGH)] = 1
    with pytest.raises(ValidationFailed) as refused:
        admin.update(priority_cells=upside_down)
    assert refused.value.errors[0].field == "priority_matrix.SEV4/HIGH"
    assert "P1 would come before P3 of the worse severity SEV3" in refused.value.message
    missing = default_cells(desk)
    del missing[(Severity.SEV5, Urgency.LOW)]
    with pytest.raises(ValidationFailed, match="SEV5 × Low: choose a priority"):
        admin.update(priority_cells=missing)
    assert admin.current().priority_cells == default_cells(desk)
    assert admin.history() == []


@pytest.mark.parametrize(
    ("severity", "key", "value", "message"),
    [
        ("SEV2", "recover_minutes", 0, "SLA targets, SEV2 recover: choose from 1 minute"),
        ("SEV1", "acknowledge_minutes", -5, "SLA targets, SEV1 acknowledge: choose from"),
        (
            "SEV3",
            "recover_minutes",
            30,
            "SLA targets, SEV3 recover: 30 min is sooner than acknowledge (60 min)",
        ),
        ("SEV4", "resolve_minutes", "soon", "SLA targets, SEV4 resolve: give a number"),
    ],
)
def test_an_invalid_sla_target_is_refused_with_the_field_named(
    desk: Desk, severity: str, key: str, value: object, message: str
) -> None:
    admin = as_role(desk, Role.ADMIN)
    targets = {name: dict(minutes) for name, minutes in DEFAULT_SLA_TARGETS.items()}
    targets[severity][key] = value  # type: ignore[assignment]
    with pytest.raises(ValidationFailed) as refused:
        admin.update(sla_targets=targets, attachment_max_bytes=1024 * 1024)
    assert [error.field for error in refused.value.errors] == [f"sla_targets.{severity}.{key}"]
    assert refused.value.message.startswith(message)
    assert desk.settings.sla_targets() == DEFAULT_SLA_TARGETS
    assert desk.settings.attachment_max_bytes() == 25 * 1024 * 1024  # nothing stored


def test_bad_limits_and_sources_name_their_field(desk: Desk) -> None:
    admin = as_role(desk, Role.ADMIN)
    with pytest.raises(ValidationFailed) as refused:
        admin.update(attachment_max_bytes=10)
    assert refused.value.errors[0].field == "attachment_max_bytes"
    assert refused.value.message.startswith("Attachment size limit: choose from 64 KB to 2 GB")
    with pytest.raises(ValidationFailed, match="a name is listed twice"):
        admin.update(monitoring_sources=["Grafana", "grafana"])
    with pytest.raises(ValidationFailed, match="each is one line"):
        admin.update(monitoring_sources=["Grafana", "  "])


def test_catalogs_and_the_escalation_order(desk: Desk) -> None:
    admin = as_role(desk, Role.ADMIN)
    first, second = admin.add("teams", "Support"), admin.add("teams", "Platform")
    assert [team.name for team in admin.current().teams] == ["Support", "Platform"]
    admin.set_escalation_order([second, first])
    assert [team.name for team in desk.catalog.teams()] == ["Platform", "Support"]
    with pytest.raises(ValidationFailed) as refused:
        admin.set_escalation_order([second])
    assert refused.value.errors[0].field == "escalation_order"
    service = admin.add("services", "Checkout")
    with pytest.raises(ValidationFailed, match="There is already a service called 'Checkout'"):
        admin.add("services", "Checkout")
    other = admin.add("services", "Search")
    with pytest.raises(ValidationFailed, match="There is already a service called 'Checkout'"):
        admin.rename("services", other, "Checkout")
    with pytest.raises(ValidationFailed, match="Give the category a name"):
        admin.rename("categories", desk.catalog.categories()[0].id, "  ")
    admin.add("categories", "Capacity")
    assert "Capacity" in [category.name for category in admin.current().categories]
    assert [item.name for item in admin.current().services] == ["Checkout", "Search"]
    assert service != other
