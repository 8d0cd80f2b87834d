"""The people of a database and their roles: who arrives, and an admin adding people and
changing their role, team and details. Each change is checked, keeps at least one admin, and
is recorded with the team's settings changes (``setting_change``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import peewee as pw

from incidentdesk.domain.enums import Role
from incidentdesk.domain.permissions import Capability, Permission
from incidentdesk.domain.validation import FieldError, ValidationFailed
from incidentdesk.services.access import permission, require
from incidentdesk.services.catalog import NAME_MAX_LENGTH, CatalogService, NamedItem, Person
from incidentdesk.services.clock import Clock
from incidentdesk.services.errors import NotFound
from incidentdesk.storage import models as m
from incidentdesk.storage.database import Store, store_operations

EMAIL_MAX_LENGTH = 200
LOGIN_MAX_LENGTH = 100


@dataclass(frozen=True)
class PersonDetails:
    """What an admin gives for a person; ``team_id`` None is no team."""

    name: str
    login: str
    email: str = ""
    team_id: int | None = None
    role: Role = Role.STAFF


@dataclass(frozen=True)
class PeopleListing:
    """What the People tab shows, read in one go."""

    people: list[Person]
    teams: list[NamedItem]
    manage: Permission  # whether this person may add people and change them


def email_errors(email: str) -> list[FieldError]:
    """An empty address is allowed (not everyone gives one); a given one must look right."""
    if email and (
        "@" not in email.strip("@")
        or any(char.isspace() for char in email)
        or len(email) > EMAIL_MAX_LENGTH
    ):
        return [
            FieldError("email", "The e-mail address looks wrong; write it as name@example.org.")
        ]
    return []


def _one_line(text: str, field: str, label: str, limit: int) -> list[FieldError]:
    if not text:
        return [FieldError(field, f"Give the {label}.")]
    broken = any(ord(char) < 32 or "\ud800" <= char <= "\udfff" for char in text)
    if len(text) > limit or broken:
        return [FieldError(field, f"The {label} is one line of at most {limit} characters.")]
    return []


def checked_details(details: PersonDetails) -> PersonDetails:
    """The details cleaned of outer spaces, or every field's problem named."""
    name, login, email = details.name.strip(), details.login.strip(), details.email.strip()
    errors = _one_line(name, "name", "person's name", NAME_MAX_LENGTH)
    errors += _one_line(login, "login", "login", LOGIN_MAX_LENGTH)
    if not errors and any(char.isspace() for char in login):
        errors.append(FieldError("login", "A login has no spaces (it is how they sign in)."))
    errors += email_errors(email)
    if not isinstance(details.role, Role):
        errors.append(FieldError("role", "Pick a role: staff, lead or admin."))
    if (
        details.team_id is not None
        and not m.Team.select().where(m.Team.id == details.team_id).exists()
    ):
        errors.append(FieldError("team", "That team does not exist; pick one from the list."))
    if errors:
        raise ValidationFailed(errors)
    return PersonDetails(name, login, email, details.team_id, details.role)


def _described(row: m.User | PersonDetails, team_names: dict[int, str]) -> str:
    """One line for the record of changes: name (login), role, team, e-mail."""
    team_id = row.team_id
    team = team_names.get(team_id, "no team") if team_id is not None else "no team"
    email = row.email or "no e-mail"
    return f"{row.name} ({row.login}) · {Role(row.role).value} · {team} · {email}"


def arrive(store: Store, login: str) -> int:
    """The id of the person with ``login``, added as staff if the database does not know
    them; made admin if the database has no admin yet. Writes only in those two cases."""
    with store.bound():
        person = m.User.get_or_none(m.User.login == login)
        has_admin = m.User.select().where(m.User.role == Role.ADMIN.value).exists()
    if person is not None and has_admin:
        return int(person.id)
    with store.write():
        if person is None:
            m.User.insert(name=login, login=login).on_conflict_ignore().execute()
            person = m.User.get(m.User.login == login)
        if not m.User.select().where(m.User.role == Role.ADMIN.value).exists():
            m.User.update(role=Role.ADMIN.value).where(m.User.id == person.id).execute()
    return int(person.id)


@store_operations
class PeopleService:
    def __init__(self, store: Store, actor_id: int, clock: Clock) -> None:
        self._store = store
        self._actor_id = actor_id
        self._clock = clock

    # Reading: open to everyone

    def listing(self) -> PeopleListing:
        catalog = CatalogService(self._store)
        return PeopleListing(
            catalog.people(),
            catalog.teams(),
            permission(self._actor_id, Capability.MANAGE_PEOPLE),
        )

    # Changing: admins only

    def add(self, details: PersonDetails) -> int:
        """Add a person; their login is how the database knows them (on PostgreSQL, the
        server login they connect with)."""
        with self._store.write():
            require(self._actor_id, Capability.MANAGE_PEOPLE)
            details = checked_details(details)
            self._refuse_taken_login(details.login, None)
            new_id = int(
                m.User.insert(
                    name=details.name,
                    login=details.login,
                    email=details.email,
                    team=details.team_id,
                    role=details.role.value,
                ).execute()
            )
            self._record("people.add", "", _described(details, self._team_names()))
        return new_id

    def change(self, person_id: int, details: PersonDetails) -> bool:
        """Save a person's details, role and team; False if nothing differed. Refuses to
        leave the database without an admin."""
        with self._store.write():
            require(self._actor_id, Capability.MANAGE_PEOPLE)
            details = checked_details(details)
            row = m.User.get_or_none(m.User.id == person_id)
            if row is None:
                raise NotFound("That person is no longer listed; reopen the settings.")
            self._refuse_taken_login(details.login, person_id)
            if row.role == Role.ADMIN.value and details.role is not Role.ADMIN:
                self._refuse_last_admin(person_id)
            values: dict[str, Any] = {
                "name": details.name,
                "login": details.login,
                "email": details.email,
                "team_id": details.team_id,
                "role": details.role.value,
            }
            if all(getattr(row, field) == value for field, value in values.items()):
                return False
            teams = self._team_names()
            before = _described(row, teams)
            values["team"] = values.pop("team_id")
            m.User.update(**values).where(m.User.id == person_id).execute()
            self._record("people.change", before, _described(details, teams))
        return True

    @staticmethod
    def _refuse_taken_login(login: str, person_id: int | None) -> None:
        # Compared without case: PostgreSQL folds unquoted role names to lower case, and two
        # logins told apart only by case are a mistake waiting to happen.
        taken = m.User.select(m.User.name).where(pw.fn.LOWER(m.User.login) == login.lower())
        if person_id is not None:
            taken = taken.where(m.User.id != person_id)
        holder = taken.scalar()
        if holder is not None:
            raise ValidationFailed(
                [FieldError("login", f"{holder} already has the login '{login}'; pick another.")]
            )

    @staticmethod
    def _refuse_last_admin(person_id: int) -> None:
        others = m.User.select().where((m.User.role == Role.ADMIN.value) & (m.User.id != person_id))
        if not others.exists():
            raise ValidationFailed(
                [
                    FieldError(
                        "role",
                        "This is the database's only admin: make someone else an admin first, "
                        "so that someone can still manage its people and settings.",
                    )
                ]
            )

    @staticmethod
    def _team_names() -> dict[int, str]:
        return {int(team.id): str(team.name) for team in m.Team.select(m.Team.id, m.Team.name)}

    def _record(self, setting: str, old: str, new: str) -> None:
        m.SettingChange.insert(
            changed_at=self._clock(),
            actor=self._actor_id,
            setting=setting,
            old_value=old,
            new_value=new,
        ).execute()
