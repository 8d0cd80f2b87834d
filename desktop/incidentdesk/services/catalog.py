"""Teams, people, services and categories: the lists incidents refer to."""

from __future__ import annotations

from dataclasses import dataclass

import peewee as pw

from incidentdesk.domain.enums import Role, SourceKind
from incidentdesk.domain.validation import FieldError, ValidationFailed
from incidentdesk.services.settings import SettingsService
from incidentdesk.storage import models as m
from incidentdesk.storage.database import Store, store_operations

NAME_MAX_LENGTH = 100


@dataclass(frozen=True)
class NamedItem:
    id: int
    name: str


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    login: str
    email: str
    team_id: int | None
    role: Role


def _require_name(name: str, field: str, label: str) -> str:
    cleaned = name.strip()
    if not cleaned:
        raise ValidationFailed([FieldError(field, f"Give the {label} a name.")])
    unprintable = any(ord(char) < 32 or "\ud800" <= char <= "\udfff" for char in cleaned)
    if len(cleaned) > NAME_MAX_LENGTH or unprintable:
        raise ValidationFailed(
            [
                FieldError(
                    field, f"A {label} name is one line of at most {NAME_MAX_LENGTH} characters."
                )
            ]
        )
    return cleaned


def _require_team(team_id: int | None) -> None:
    # Checked first: the insert's failure would be taken for a duplicate name.
    if team_id is not None and not m.Team.select().where(m.Team.id == team_id).exists():
        raise ValidationFailed(
            [FieldError("team", "That team does not exist; pick one from the list.")]
        )


@store_operations
class CatalogService:
    def __init__(self, store: Store) -> None:
        self._store = store

    def teams(self) -> list[NamedItem]:
        query = m.Team.select(m.Team.id, m.Team.name).order_by(m.Team.escalation_order, m.Team.name)
        return [NamedItem(id_, name) for id_, name in query.tuples().iterator()]

    def services(self) -> list[NamedItem]:
        query = m.Service.select(m.Service.id, m.Service.name).order_by(m.Service.name)
        return [NamedItem(id_, name) for id_, name in query.tuples().iterator()]

    def categories(self) -> list[NamedItem]:
        query = (
            m.Category.select(m.Category.id, m.Category.name)
            .where(m.Category.active)
            .order_by(m.Category.position, m.Category.name)
        )
        return [NamedItem(id_, name) for id_, name in query.tuples().iterator()]

    def monitoring_sources(self, limit: int = 30) -> list[str]:
        """The monitoring systems incidents came from, the most frequent first, followed by
        the team's list (Settings → Catalogs) of ones not seen yet, so the list grows as the
        team logs."""
        query = (
            m.Incident.select(m.Incident.source_name, pw.fn.COUNT(m.Incident.id))
            .where(
                (m.Incident.source_kind == SourceKind.MONITORING.value)
                & (m.Incident.source_name != "")
            )
            .group_by(m.Incident.source_name)
            .order_by(pw.fn.COUNT(m.Incident.id).desc(), m.Incident.source_name)
            .limit(limit)
        )
        seen = [name for name, _ in query.tuples().iterator()]
        listed = SettingsService(self._store).monitoring_sources()
        return seen + [name for name in listed if name not in seen]

    def people(self) -> list[Person]:
        return [
            Person(row.id, row.name, row.login, row.email, row.team_id, Role(row.role))
            for row in m.User.select().order_by(m.User.name)
        ]

    def _create_unique(self, model: type[m.BaseModel], label: str, **values: object) -> int:
        try:
            with self._store.write():
                return int(model.insert(**values).execute())
        except pw.IntegrityError as error:
            raise ValidationFailed(
                [FieldError("name", f"There is already a {label} called '{values['name']}'.")]
            ) from error

    def create_team(self, name: str, escalation_order: int = 0, description: str = "") -> int:
        name = _require_name(name, "name", "team")
        return self._create_unique(
            m.Team, "team", name=name, escalation_order=escalation_order, description=description
        )

    def create_service(self, name: str, team_id: int | None = None, description: str = "") -> int:
        name = _require_name(name, "name", "service")
        _require_team(team_id)
        return self._create_unique(
            m.Service, "service", name=name, team=team_id, description=description
        )

    def create_category(self, name: str) -> int:
        name = _require_name(name, "name", "category")
        position = (m.Category.select(pw.fn.MAX(m.Category.position)).scalar() or 0) + 1
        return self._create_unique(m.Category, "category", name=name, position=position)

    def create_person(
        self,
        name: str,
        login: str,
        email: str = "",
        team_id: int | None = None,
        role: Role = Role.STAFF,
    ) -> int:
        name = _require_name(name, "name", "person")
        login = _require_name(login, "login", "login")
        _require_team(team_id)
        try:
            with self._store.write():
                return int(
                    m.User.insert(
                        name=name, login=login, email=email, team=team_id, role=role.value
                    ).execute()
                )
        except pw.IntegrityError as error:
            raise ValidationFailed(
                [FieldError("login", f"Someone already has the login '{login}'.")]
            ) from error

    def ensure_person(self, login: str, name: str) -> int:
        """The id of the person with ``login``, adding them on first use."""
        existing = m.User.get_or_none(m.User.login == login)
        if existing is not None:
            return int(existing.id)
        with self._store.write():
            m.User.insert(name=name or login, login=login).on_conflict_ignore().execute()
        return int(m.User.get(m.User.login == login).id)
