"""The catalog (teams, services, categories, people) and the team-wide settings."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from incidentdesk.domain.enums import DEFAULT_CATEGORIES, Priority, Role, Severity, Urgency
from incidentdesk.domain.priority import PriorityMatrix
from incidentdesk.domain.validation import ValidationFailed
from incidentdesk.services.catalog import NAME_MAX_LENGTH, CatalogService
from incidentdesk.services.desk import Desk
from incidentdesk.storage import models as m
from incidentdesk.storage.settings_schema import DEFAULT_SLA_TARGETS


def refusal(error: pytest.ExceptionInfo[ValidationFailed]) -> tuple[str, str]:
    [only] = error.value.errors
    return only.field, only.message


def test_teams_services_and_categories_are_listed_in_order(desk: Desk) -> None:
    catalog = desk.catalog
    network = catalog.create_team("Network Operations", escalation_order=2)
    desk_team = catalog.create_team("Service Desk", escalation_order=0)
    catalog.create_team("Database Team", escalation_order=2)
    catalog.create_service("VPN", network)
    catalog.create_service("  Billing  ")
    catalog.create_category("Capacity")

    assert [team.name for team in catalog.teams()] == [
        "Service Desk",
        "Database Team",
        "Network Operations",
    ]
    assert catalog.teams()[0].id == desk_team
    assert [service.name for service in catalog.services()] == ["Billing", "VPN"]  # trimmed
    assert [category.name for category in catalog.categories()] == [
        *DEFAULT_CATEGORIES,
        "Capacity",
    ]


@pytest.mark.parametrize(
    ("create", "label"),
    [
        (lambda c: c.create_team("Platform SRE"), "team"),
        (lambda c: c.create_service("Checkout API"), "service"),
        (lambda c: c.create_category("Capacity"), "category"),
    ],
)
def test_a_duplicate_name_is_refused_with_a_clear_message(
    desk: Desk, create: Callable[[CatalogService], int], label: str
) -> None:
    create(desk.catalog)
    with pytest.raises(ValidationFailed) as refused:
        create(desk.catalog)
    field, message = refusal(refused)
    assert field == "name"
    assert message.startswith(f"There is already a {label} called '")
    # The failed insert left the database usable.
    assert desk.catalog.create_team("Afterwards") > 0


def test_a_default_category_cannot_be_added_twice(desk: Desk) -> None:
    with pytest.raises(ValidationFailed) as refused:
        desk.catalog.create_category(" Outage ")
    assert refusal(refused) == ("name", "There is already a category called 'Outage'.")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Give the team a name."),
        ("   ", "Give the team a name."),
        ("x" * (NAME_MAX_LENGTH + 1), f"A team name is one line of at most {NAME_MAX_LENGTH}"),
        ("two\nlines", f"A team name is one line of at most {NAME_MAX_LENGTH}"),
        ("broken \ud800 unicode", f"A team name is one line of at most {NAME_MAX_LENGTH}"),
    ],
)
def test_bad_names_are_refused(desk: Desk, name: str, message: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        desk.catalog.create_team(name)
    field, text = refusal(refused)
    assert field == "name"
    assert text.startswith(message)
    assert m.Team.select().count() == 0


def test_people_have_unique_logins(desk: Desk) -> None:
    team = desk.catalog.create_team("Payments Engineering")
    noah = desk.catalog.create_person(
        "Noah Schmidt", "noah", "noah@example.com", team_id=team, role=Role.LEAD
    )
    with pytest.raises(ValidationFailed) as refused:
        desk.catalog.create_person("Noah Other", "noah")
    assert refusal(refused) == ("login", "Someone already has the login 'noah'.")

    people = {person.login: person for person in desk.catalog.people()}
    assert people["noah"].id == noah
    assert people["noah"].team_id == team
    assert people["noah"].role is Role.LEAD
    assert people["noah"].email == "noah@example.com"


@pytest.mark.parametrize(
    "create",
    [
        lambda c: c.create_service("Orphan", team_id=9999),
        lambda c: c.create_person("Orphan", "orphan", team_id=9999),
    ],
    ids=["service", "person"],
)
def test_an_unknown_team_is_named_not_mistaken_for_a_duplicate(
    desk: Desk, create: Callable[[CatalogService], int]
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        create(desk.catalog)
    field, message = refusal(refused)
    assert field == "team"
    assert "already" not in message


def test_ensure_person_adds_once(desk: Desk) -> None:
    first = desk.catalog.ensure_person("amara", "Amara Okafor")
    again = desk.catalog.ensure_person("amara", "Someone Else")
    assert first == again
    assert [p.name for p in desk.catalog.people() if p.login == "amara"] == ["Amara Okafor"]
    assert desk.catalog.ensure_person("tester", "Ignored") == desk.actor_id


def test_settings_have_defaults_and_round_trip(desk: Desk) -> None:
    settings = desk.settings
    assert settings.priority_matrix() == PriorityMatrix()
    assert settings.attachment_max_bytes() == 25 * 1024 * 1024
    assert settings.sla_targets() == DEFAULT_SLA_TARGETS

    cells = dict(PriorityMatrix().cells)
    cells[(Severity.SEV3, Urgency.HIGH)] = Priority.P1
    settings.set_priority_matrix(PriorityMatrix(cells))
    settings.set_attachment_max_bytes(10 * 1024 * 1024)

    assert dict(settings.priority_matrix().cells) == cells
    assert settings.attachment_max_bytes() == 10 * 1024 * 1024
    # Stored in the database, so every client sees them.
    assert m.Setting.get_by_id("attachment_max_bytes").value == str(10 * 1024 * 1024)
