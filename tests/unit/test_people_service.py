"""The people of a database: who arrives, an admin adding people and changing them, every bad
input refused with its field named, at least one admin kept, each change recorded."""

from __future__ import annotations

import pytest

from incidentdesk.domain.enums import Role
from incidentdesk.domain.validation import ValidationFailed
from incidentdesk.services.desk import Desk, open_desk
from incidentdesk.services.errors import NotFound
from incidentdesk.services.people import PeopleService, PersonDetails, arrive
from incidentdesk.storage import models as m
from tests.conftest import FIXED_NOW


@pytest.fixture
def admin(desk: Desk) -> PeopleService:
    """The fixture's person, the first on the database and so its admin."""
    return PeopleService(desk.store, desk.actor_id, lambda: FIXED_NOW)


def test_the_first_person_is_the_admin_and_the_next_arrive_as_staff(database_address: str) -> None:
    first = open_desk(database_address, login="ada")
    try:
        second = arrive(first.store, "bea")
        again = arrive(first.store, "ada")
        roles = {p.login: p.role for p in first.catalog.people()}
        assert again == first.actor_id
        assert second != first.actor_id
    finally:
        first.close()
    assert roles == {"ada": Role.ADMIN, "bea": Role.STAFF}


def test_a_database_left_without_an_admin_gets_the_next_to_arrive(desk: Desk) -> None:
    """A database from before roles were enforced (or filled by the intake receiver)."""
    m.User.update(role=Role.STAFF.value).execute()
    monitoring = desk.catalog.ensure_person("monitoring", "Monitoring")
    assert m.User.get_by_id(monitoring).role == Role.STAFF.value  # the receiver never is one
    assert arrive(desk.store, desk.catalog.people()[-1].login)
    assert m.User.select().where(m.User.role == Role.ADMIN.value).count() == 1


def test_on_postgres_the_person_is_the_server_login(postgres_schema_address: str) -> None:
    desk = open_desk(postgres_schema_address)
    try:
        [me] = desk.catalog.people()
        assert me.login == desk.store.location.user  # type: ignore[union-attr]
        assert me.id == desk.actor_id
    finally:
        desk.close()


def test_an_admin_adds_and_changes_people_and_each_change_is_recorded(
    desk: Desk, admin: PeopleService
) -> None:
    team = desk.catalog.create_team("Platform")
    bea = admin.add(PersonDetails(" Bea Lee ", " bea ", " bea@example.org ", team, Role.STAFF))
    people = {p.login: p for p in admin.listing().people}
    assert (people["bea"].name, people["bea"].email, people["bea"].team_id) == (
        "Bea Lee",
        "bea@example.org",
        team,
    )
    assert admin.listing().manage.allowed

    assert admin.change(bea, PersonDetails("Bea Lee", "bea", "bea@example.org", None, Role.LEAD))
    assert not admin.change(
        bea, PersonDetails("Bea Lee", "bea", "bea@example.org", None, Role.LEAD)
    )
    assert {p.login: p.role for p in admin.listing().people}["bea"] is Role.LEAD

    history = desk.team_settings.history()
    assert [(c.setting, c.old_value, c.new_value) for c in history] == [
        (
            "people.change",
            "Bea Lee (bea) · staff · Platform · bea@example.org",
            "Bea Lee (bea) · lead · no team · bea@example.org",
        ),
        ("people.add", "", "Bea Lee (bea) · staff · Platform · bea@example.org"),
    ]
    assert {c.actor for c in history} == {"tester"}


@pytest.mark.parametrize(
    ("details", "field", "message"),
    [
        (PersonDetails("", "bea"), "name", "Give the person's name."),
        (PersonDetails("Bea", "  "), "login", "Give the login."),
        (PersonDetails("Bea", "bea lee"), "login", "A login has no spaces"),
        (PersonDetails("B\nea", "bea"), "name", "is one line of at most 100 characters"),
        (PersonDetails("x" * 101, "bea"), "name", "at most 100 characters"),
        (PersonDetails("Bea", "b" * 101), "login", "at most 100 characters"),
        (PersonDetails("Bea", "bea", "bea.example.org"), "email", "looks wrong"),
        (PersonDetails("Bea", "bea", "bea @example.org"), "email", "looks wrong"),
        (PersonDetails("Bea", "bea", "@"), "email", "looks wrong"),
        (PersonDetails("Bea", "bea", team_id=9999), "team", "That team does not exist"),
        (PersonDetails("Bea", "TESTER"), "login", "tester already has the login 'TESTER'"),
        (PersonDetails("Bea\ud800", "bea"), "name", "at most 100 characters"),
    ],
)
def test_bad_details_are_refused_with_the_field_named(
    admin: PeopleService, details: PersonDetails, field: str, message: str
) -> None:
    before = admin.listing().people
    with pytest.raises(ValidationFailed) as refused:
        admin.add(details)
    assert refused.value.errors[0].field == field
    assert message in refused.value.message
    assert admin.listing().people == before


def test_a_role_that_is_not_one_is_refused(admin: PeopleService) -> None:
    with pytest.raises(ValidationFailed) as refused:
        admin.add(PersonDetails("Bea", "bea", role="owner"))  # type: ignore[arg-type]
    assert refused.value.errors[0].field == "role"


def test_the_last_admin_cannot_be_demoted_but_one_of_two_can(
    desk: Desk, admin: PeopleService
) -> None:
    me = m.User.get_by_id(desk.actor_id)
    as_staff = PersonDetails(me.name, me.login, me.email, None, Role.STAFF)
    with pytest.raises(ValidationFailed) as refused:
        admin.change(desk.actor_id, as_staff)
    assert refused.value.errors[0].field == "role"
    assert "only admin" in refused.value.message
    assert m.User.get_by_id(desk.actor_id).role == Role.ADMIN.value

    admin.add(PersonDetails("Ada Admin", "ada", role=Role.ADMIN))
    assert admin.change(desk.actor_id, as_staff)
    assert m.User.get_by_id(desk.actor_id).role == Role.STAFF.value
    assert not admin.listing().manage.allowed  # it holds at once


def test_a_login_taken_by_another_and_a_person_gone_are_refused(
    desk: Desk, admin: PeopleService
) -> None:
    bea = admin.add(PersonDetails("Bea", "bea"))
    with pytest.raises(ValidationFailed, match="tester already has the login 'tester'"):
        admin.change(bea, PersonDetails("Bea", "tester"))
    admin.change(bea, PersonDetails("Bea", "Bea"))  # their own login, in other case
    with pytest.raises(NotFound):
        admin.change(9999, PersonDetails("Nobody", "nobody"))
