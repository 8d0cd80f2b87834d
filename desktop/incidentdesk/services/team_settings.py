"""Changing what the whole team shares: the limits, the priority matrix and SLA targets (for
admins), and the catalogs (for leads and admins); each change validated and recorded with who
made it and when."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import peewee as pw

from incidentdesk.domain import team_settings as rules
from incidentdesk.domain.enums import Priority, Role, Severity, Urgency
from incidentdesk.domain.permissions import Capability, Permission
from incidentdesk.domain.priority import PriorityMatrix
from incidentdesk.domain.validation import FieldError, ValidationFailed
from incidentdesk.intake.rules import Rule, RuleService
from incidentdesk.services.access import permission, require
from incidentdesk.services.catalog import CatalogService, NamedItem, _require_name
from incidentdesk.services.clock import Clock
from incidentdesk.services.errors import NotFound
from incidentdesk.services.settings import SettingsService
from incidentdesk.storage import models as m
from incidentdesk.storage import settings_schema as keys
from incidentdesk.storage.database import Store, store_operations

HISTORY_LIMIT = 200


@dataclass(frozen=True)
class TeamSettings:
    """What the settings window shows, read in one go."""

    role: Role
    settings_permission: Permission  # the limits, the priority matrix, the SLA targets
    catalogs_permission: Permission  # services, categories, teams, monitoring sources
    attachment_max_bytes: int
    priority_cells: dict[tuple[Severity, Urgency], int]
    sla_targets: dict[str, dict[str, int]]
    monitoring_sources: list[str]
    services: list[NamedItem]
    categories: list[NamedItem]
    teams: list[NamedItem]  # in escalation order


@dataclass(frozen=True)
class SettingChange:
    changed_at: datetime
    actor: str
    setting: str
    old_value: str
    new_value: str


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


@store_operations
class TeamSettingsService:
    def __init__(self, store: Store, actor_id: int, clock: Clock) -> None:
        self._store = store
        self._actor_id = actor_id
        self._clock = clock

    # Reading

    def role(self) -> Role:
        person = m.User.get_or_none(m.User.id == self._actor_id)
        return Role(person.role) if person is not None else Role.STAFF

    def current(self) -> TeamSettings:
        settings, catalog = SettingsService(self._store), CatalogService(self._store)
        matrix = settings.priority_matrix()
        return TeamSettings(
            role=self.role(),
            settings_permission=permission(self._actor_id, Capability.CHANGE_TEAM_SETTINGS),
            catalogs_permission=permission(self._actor_id, Capability.EDIT_CATALOGS),
            attachment_max_bytes=settings.attachment_max_bytes(),
            priority_cells={cell: priority.value for cell, priority in matrix.cells.items()},
            sla_targets=settings.sla_targets(),
            monitoring_sources=settings.monitoring_sources(),
            services=catalog.services(),
            categories=catalog.categories(),
            teams=catalog.teams(),
        )

    def history(self, limit: int = HISTORY_LIMIT) -> list[SettingChange]:
        query: Any = (
            m.SettingChange.select(m.SettingChange, m.User.name.alias("actor_name"))
            .join(m.User, pw.JOIN.LEFT_OUTER, on=(m.SettingChange.actor == m.User.id))
            .order_by(m.SettingChange.changed_at.desc(), m.SettingChange.id.desc())
            .limit(limit)
            .dicts()
        )
        return [
            SettingChange(
                row["changed_at"],
                row["actor_name"] or "someone no longer listed",
                row["setting"],
                row["old_value"],
                row["new_value"],
            )
            for row in query.iterator()
        ]

    # Changing (the catalogs: leads and admins; the rest: admins)

    def _record(self, setting: str, old: Any, new: Any) -> None:
        m.SettingChange.insert(
            changed_at=self._clock(),
            actor=self._actor_id,
            setting=setting,
            old_value=_shown(old),
            new_value=_shown(new),
        ).execute()

    def _write_setting(self, key: str, value: Any) -> bool:
        """Store ``value`` under ``key`` and record the change; False if it was already so."""
        row = m.Setting.get_or_none(m.Setting.key == key)
        old = json.loads(row.value) if row else keys.DEFAULT_SETTINGS[key]
        if old == value:
            return False
        m.Setting.insert(key=key, value=json.dumps(value)).on_conflict(
            conflict_target=[m.Setting.key], update={m.Setting.value: json.dumps(value)}
        ).execute()
        self._record(key, old, value)
        return True

    def update(
        self,
        *,
        attachment_max_bytes: int | None = None,
        priority_cells: Mapping[tuple[Severity, Urgency], int] | None = None,
        sla_targets: Mapping[str, Mapping[str, int]] | None = None,
        monitoring_sources: list[str] | None = None,
    ) -> list[str]:
        """Check every setting given, then store those that differ, in one transaction;
        returns the keys changed. Nothing is stored if any is refused. The monitoring sources
        are a catalog, which leads may change too."""
        if (attachment_max_bytes, priority_cells, sla_targets) != (None, None, None):
            require(self._actor_id, Capability.CHANGE_TEAM_SETTINGS)
        if monitoring_sources is not None:
            require(self._actor_id, Capability.EDIT_CATALOGS)
        errors: list[FieldError] = []
        if attachment_max_bytes is not None:
            errors += rules.attachment_limit_errors(attachment_max_bytes)
        if priority_cells is not None:
            errors += rules.priority_matrix_errors(priority_cells)
        if sla_targets is not None:
            errors += rules.sla_target_errors(sla_targets)
        if monitoring_sources is not None:
            monitoring_sources = [name.strip() for name in monitoring_sources]
            errors += rules.monitoring_source_errors(monitoring_sources)
        if errors:
            raise ValidationFailed(errors)
        values: dict[str, Any] = {}
        if attachment_max_bytes is not None:
            values[keys.ATTACHMENT_MAX_BYTES] = attachment_max_bytes
        if priority_cells is not None:
            cells = {cell: Priority(value) for cell, value in priority_cells.items()}
            values[keys.PRIORITY_MATRIX] = PriorityMatrix(cells).to_json()
        if sla_targets is not None:
            values[keys.SLA_TARGETS] = {
                severity.label: {
                    key: int(sla_targets[severity.label][key]) for key, _ in rules.SLA_CLOCKS
                }
                for severity in Severity
            }
        if monitoring_sources is not None:
            values[keys.MONITORING_SOURCES] = monitoring_sources
        with self._store.write():
            return [key for key, value in values.items() if self._write_setting(key, value)]

    def set_intake_rules(self, rules: Sequence[Rule]) -> bool:
        """Replace the rules that alerts from monitoring follow (``intake/rules.py``);
        False when they were already so."""
        require(self._actor_id, Capability.CHANGE_TEAM_SETTINGS)
        return RuleService(self._store, self._clock).replace(rules, self._actor_id)

    def add(self, catalog: str, name: str) -> int:
        """Add a service, category or team (at the end of the escalation order)."""
        require(self._actor_id, Capability.EDIT_CATALOGS)
        service = CatalogService(self._store)
        with self._store.write():
            if catalog == "services":
                new_id = service.create_service(name)
            elif catalog == "categories":
                new_id = service.create_category(name)
            elif catalog == "teams":
                last = m.Team.select(pw.fn.MAX(m.Team.escalation_order)).scalar() or 0
                new_id = service.create_team(name, escalation_order=last + 1)
            else:
                raise ValueError(f"no catalog called {catalog!r}")
            self._record(f"{catalog}.add", "", name.strip())
        return new_id

    def rename(self, catalog: str, item_id: int, name: str) -> None:
        require(self._actor_id, Capability.EDIT_CATALOGS)
        model, label = _CATALOGS[catalog]
        name = _require_name(name, "name", label)
        with self._store.write():
            row = model.get_or_none(model.id == item_id)
            if row is None:
                raise NotFound(f"That {label} no longer exists; someone may have removed it.")
            if row.name == name:
                return
            clash = model.select().where((model.name == name) & (model.id != item_id)).exists()
            if clash:
                raise ValidationFailed(
                    [FieldError("name", f"There is already a {label} called '{name}'.")]
                )
            model.update(name=name).where(model.id == item_id).execute()
            self._record(f"{catalog}.rename", row.name, name)

    def set_escalation_order(self, team_ids: list[int]) -> None:
        """The teams in the order an incident is escalated through them, first first."""
        require(self._actor_id, Capability.EDIT_CATALOGS)
        with self._store.write():
            known = {team.id: team.name for team in m.Team.select(m.Team.id, m.Team.name)}
            if sorted(team_ids) != sorted(known):
                raise ValidationFailed(
                    [
                        FieldError(
                            "escalation_order",
                            "Escalation order: the teams changed meanwhile; reopen the settings "
                            "and order them again.",
                        )
                    ]
                )
            old = [
                team.name for team in m.Team.select().order_by(m.Team.escalation_order, m.Team.name)
            ]
            for position, team_id in enumerate(team_ids, start=1):
                m.Team.update(escalation_order=position).where(m.Team.id == team_id).execute()
            new = [known[team_id] for team_id in team_ids]
            if old != new:
                self._record("teams.escalation_order", old, new)


_CATALOGS: dict[str, tuple[type[m.Team] | type[m.Service] | type[m.Category], str]] = {
    "services": (m.Service, "service"),
    "categories": (m.Category, "category"),
    "teams": (m.Team, "team"),
}
