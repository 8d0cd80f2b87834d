"""Logging, editing, reading, listing and searching incidents."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import peewee as pw

from incidentdesk.domain.enums import (
    EntryKind,
    EscalationLevel,
    ImpactScope,
    Priority,
    Severity,
    SourceKind,
    Status,
    Urgency,
)
from incidentdesk.domain.incident import (
    Impact,
    Incident,
    IncidentDraft,
    IncidentRow,
    Links,
    Milestones,
)
from incidentdesk.domain.keys import parse_key
from incidentdesk.domain.priority import PriorityMatrix
from incidentdesk.domain.validation import FieldError, ValidationFailed, require_valid
from incidentdesk.services.clock import Clock, utc_now
from incidentdesk.services.errors import EditConflict, NotFound
from incidentdesk.services.sent_once import sent_once
from incidentdesk.services.settings import SettingsService
from incidentdesk.services.timeline import add_entry
from incidentdesk.storage import models as m
from incidentdesk.storage.applied_writes import earlier_save, record_applied
from incidentdesk.storage.counters import allocate_incident_number
from incidentdesk.storage.database import Store, store_operations
from incidentdesk.storage.prepared import PreparedQuery, slot
from incidentdesk.storage.search import search_condition

if TYPE_CHECKING:
    from incidentdesk.services.attachments import PreparedFile

RANK_STEP = 1024.0


def board_rank_for(number: int) -> float:
    """A new incident's place on the board: after every older one of the same priority."""
    return number * RANK_STEP


def incident_record(incident_id: int) -> m.Incident:
    """The stored incident, or NotFound."""
    record = m.Incident.get_or_none(m.Incident.id == incident_id)
    if record is None:
        raise NotFound(f"Incident {incident_id} does not exist.")
    return record


class SortKey(StrEnum):
    KEY = "key"
    TITLE = "title"
    SEVERITY = "severity"
    PRIORITY = "priority"
    STATUS = "status"
    SERVICE = "service"
    ASSIGNEE = "assignee"
    REPORTED_AT = "reported_at"


@dataclass(frozen=True)
class IncidentQuery:
    """Which incidents a list shows and in what order; all filtering happens in SQL."""

    statuses: frozenset[Status] = frozenset()
    text: str = ""
    severities: frozenset[Severity] = frozenset()
    service_ids: frozenset[int] = frozenset()
    team_ids: frozenset[int] = frozenset()
    assignee_ids: frozenset[int] = frozenset()
    category_ids: frozenset[int] = frozenset()
    ids: frozenset[int] = frozenset()
    source_kinds: frozenset[SourceKind] = frozenset()
    sort: SortKey = SortKey.PRIORITY
    descending: bool = False


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    old: str
    new: str
    changed_by: str = ""  # known for changes made in the form, from their timeline entries
    changed_at: datetime | None = None


_ASSIGNEE = m.User.alias("assignee")
_REPORTER = m.User.alias("reporter")

_FIELD_LABELS = {
    "title": "Title",
    "description": "Description",
    "source_kind": "Source",
    "source_name": "Source name",
    "source_contact": "Source contact",
    "reported_by": "Reported by",
    "reported_at": "First reported",
    "service": "Service",
    "category": "Category",
    "impact_scope": "People affected",
    "impact_financial": "Financial impact",
    "impact_security": "Security impact",
    "impact_compliance": "Compliance impact",
    "severity": "Severity",
    "urgency": "Urgency",
    "priority": "Priority",
    "assignee": "Assignee",
    "team": "Team",
    "escalation_level": "Escalation level",
    "chat_url": "Chat channel",
    "bridge_url": "Video bridge",
    "ticket_url": "Ticket",
}


def draft_columns(draft: IncidentDraft) -> dict[str, Any]:
    """The incident's columns that a person edits in the form, as stored."""
    return {
        "title": draft.title,
        "description": draft.description,
        "source_kind": draft.source_kind.value,
        "source_name": draft.source_name,
        "source_contact": draft.source_contact,
        "reported_by": draft.reported_by_id,
        "reported_at": draft.reported_at,
        "service": draft.service_id,
        "category": draft.category_id,
        "impact_scope": draft.impact.scope.value,
        "impact_financial": draft.impact.financial,
        "impact_security": draft.impact.security,
        "impact_compliance": draft.impact.compliance,
        "severity": draft.severity.value,
        "urgency": draft.urgency.value,
        "assignee": draft.assignee_id,
        "team": draft.team_id,
        "escalation_level": draft.escalation_level.value,
        "chat_url": draft.links.chat,
        "bridge_url": draft.links.bridge,
        "ticket_url": draft.links.ticket,
    }


def draft_from_columns(columns: dict[str, Any]) -> IncidentDraft:
    """The inverse of ``draft_columns``."""
    return IncidentDraft(
        title=columns["title"],
        description=columns["description"],
        reported_at=columns["reported_at"],
        severity=Severity(columns["severity"]),
        urgency=Urgency(columns["urgency"]),
        source_kind=SourceKind(columns["source_kind"]),
        source_name=columns["source_name"],
        source_contact=columns["source_contact"],
        reported_by_id=columns["reported_by"],
        service_id=columns["service"],
        category_id=columns["category"],
        impact=Impact(
            ImpactScope(columns["impact_scope"]),
            columns["impact_financial"],
            columns["impact_security"],
            columns["impact_compliance"],
        ),
        assignee_id=columns["assignee"],
        team_id=columns["team"],
        escalation_level=EscalationLevel(columns["escalation_level"]),
        links=Links(columns["chat_url"], columns["bridge_url"], columns["ticket_url"]),
    )


def edited_columns(base: IncidentDraft, edited: IncidentDraft) -> dict[str, Any]:
    """The columns ``edited`` changed from ``base``, the copy the edit started from."""
    before, after = draft_columns(base), draft_columns(edited)
    return {name: value for name, value in after.items() if before[name] != value}


def with_columns(draft: IncidentDraft, columns: dict[str, Any]) -> IncidentDraft:
    """``draft`` with ``columns`` put over it."""
    return draft_from_columns({**draft_columns(draft), **columns})


def _draft_from_record(record: m.Incident) -> IncidentDraft:
    return draft_from_columns({name: record.__data__[name] for name in _EDITED_COLUMNS})


_EDITED_COLUMNS = tuple(name for name in _FIELD_LABELS if name != "priority")
_NEW_INCIDENT_COLUMNS = (
    "number",
    "board_rank",
    "status",
    "created_at",
    "updated_at",
    "version",
    "priority",
    *_EDITED_COLUMNS,
)
# Built once per database: peewee building this insert of 28 columns costs more than
# running it (storage/prepared.py).
_INSERT_INCIDENT = PreparedQuery(
    m.Incident,
    lambda: m.Incident.insert(
        {
            getattr(m.Incident, name): slot(name, getattr(m.Incident, name))
            for name in _NEW_INCIDENT_COLUMNS
        }
    ).returning(m.Incident.id),
)


_REFERENCES: tuple[tuple[str, type[m.Record], str], ...] = (
    ("service_id", m.Service, "That service is not in the catalog; pick one from the list."),
    ("category_id", m.Category, "That category does not exist; pick one from the list."),
    ("team_id", m.Team, "That team does not exist; pick one from the list."),
    ("assignee_id", m.User, "That person is not known; pick one from the list."),
    ("reported_by_id", m.User, "That person is not known; pick one from the list."),
)


def _check_references(draft: IncidentDraft) -> None:
    errors = []
    for attribute, model, message in _REFERENCES:
        value = getattr(draft, attribute)
        if value is not None and not model.select().where(model.id == value).exists():
            errors.append(FieldError(attribute.removesuffix("_id"), message))
    if errors:
        raise ValidationFailed(errors)


@store_operations
class IncidentService:
    def __init__(self, store: Store, clock: Clock = utc_now) -> None:
        self._store = store
        self._clock = clock
        self._settings = SettingsService(store)

    # Writing

    def create(
        self,
        draft: IncidentDraft,
        actor_id: int | None,
        files: Sequence[PreparedFile] = (),
        *,
        write_id: str | None = None,
    ) -> Incident:
        """Log a new incident with its first timeline entry and ``files``, all or nothing.
        With ``write_id`` (see ``storage/applied_writes.py``) the save is applied once: sent
        again with the same id, or resent here after the connection was lost as it
        committed, it returns the incident the first one logged."""
        return sent_once(write_id, lambda: self._create(draft, actor_id, files, write_id))

    def _create(
        self,
        draft: IncidentDraft,
        actor_id: int | None,
        files: Sequence[PreparedFile],
        write_id: str | None,
    ) -> Incident:
        incident_id, _number = self.log(draft, actor_id, files, write_id=write_id)
        return self.get(incident_id)

    def log(
        self,
        draft: IncidentDraft,
        actor_id: int | None,
        files: Sequence[PreparedFile] = (),
        *,
        matrix: PriorityMatrix | None = None,
        write_id: str | None = None,
    ) -> tuple[int, int]:
        """``create`` without reading the incident back: its id and number. A caller that
        keeps the priority matrix (the alert receiver) passes it as ``matrix``."""
        # Imported by the first save: the start-up's first paint needs none of it.
        from incidentdesk.services.attachments import attach_files, check_files

        now = self._clock()
        require_valid(draft, now)
        if files:
            check_files(files, self._settings.attachment_max_bytes())
        priority = self._priority(draft, matrix)
        with self._store.write():
            logged_before = earlier_save(write_id)
            if logged_before is not None:
                number = m.Incident.get_by_id(logged_before.incident_id).number
                return logged_before.incident_id, int(number)
            incident_id, number = self._insert(draft, actor_id, priority, now)
            attach_files(incident_id, files, actor_id, now)
            record_applied(write_id, incident_id, now)
        return incident_id, number

    def log_in_transaction(
        self, draft: IncidentDraft, actor_id: int | None, *, matrix: PriorityMatrix | None = None
    ) -> tuple[int, int]:
        """``log`` of a draft without files or write id, inside the caller's write
        transaction and without a savepoint of its own: for the alert receiver, whose
        request's savepoint undoes the incident with the rest of the request. (A savepoint
        is two statements more, each a pass over SQLite's search indexes.)"""
        if not self._store.database.in_transaction():
            raise RuntimeError("log_in_transaction needs the caller's write transaction")
        now = self._clock()
        require_valid(draft, now)
        return self._insert(draft, actor_id, self._priority(draft, matrix), now)

    def _priority(self, draft: IncidentDraft, matrix: PriorityMatrix | None) -> Priority:
        if matrix is None:
            matrix = self._settings.priority_matrix()
        return matrix.priority(draft.severity, draft.urgency)

    @staticmethod
    def _insert(
        draft: IncidentDraft, actor_id: int | None, priority: Priority, now: datetime
    ) -> tuple[int, int]:
        """The incident and its first entry, in the write transaction open: id and number."""
        _check_references(draft)
        number = allocate_incident_number()
        incident_id = _INSERT_INCIDENT.returned_id(
            number=number,
            board_rank=board_rank_for(number),
            status=Status.LOGGED.value,
            created_at=now,
            updated_at=now,
            version=1,
            priority=priority.value,
            **draft_columns(draft),
        )
        add_entry(
            incident_id,
            EntryKind.STATUS_CHANGE,
            "Incident logged",
            {"to": "logged"},
            actor_id,
            draft.reported_at,
            now,
        )
        return incident_id, number

    def update(
        self,
        incident_id: int,
        draft: IncidentDraft,
        expected_version: int,
        actor_id: int | None,
        files: Sequence[PreparedFile] = (),
        *,
        base: IncidentDraft,
        write_id: str | None = None,
    ) -> tuple[Incident, list[FieldChange]]:
        """Save the fields an edit changed: ``draft`` against ``base``, the copy it started
        from. Only those fields are written, so a colleague's change to another field stays.
        The stored incident must still be at ``expected_version``; otherwise ``EditConflict``
        says what the other person changed since ``base``. One timeline entry per changed
        field, and one per file added. ``write_id`` as for ``create``: an edit applied
        already returns the incident as it is, with no changes."""
        return sent_once(
            write_id,
            lambda: self._update(
                incident_id, draft, expected_version, actor_id, files, base, write_id
            ),
        )

    def _update(
        self,
        incident_id: int,
        draft: IncidentDraft,
        expected_version: int,
        actor_id: int | None,
        files: Sequence[PreparedFile],
        base: IncidentDraft,
        write_id: str | None,
    ) -> tuple[Incident, list[FieldChange]]:
        from incidentdesk.services.attachments import attach_files, check_files  # see log()

        now = self._clock()
        check_files(files, self._settings.attachment_max_bytes())
        edited = edited_columns(base, draft)
        with self._store.write():
            if earlier_save(write_id) is not None:
                return self.get(incident_id), []
            record = incident_record(incident_id)
            if record.version != expected_version:
                raise self._conflict(incident_id, base, draft)
            stored = _draft_from_record(record)
            merged = with_columns(stored, edited)
            require_valid(merged, now)
            _check_references(merged)
            priority = self._settings.priority_matrix().priority(merged.severity, merged.urgency)
            old_values = {**draft_columns(stored), "priority": record.priority}
            new_values = {**draft_columns(merged), "priority": priority.value}
            changes = self._describe_changes(old_values, new_values)
            if changes or files:
                written = {change.field: new_values[change.field] for change in changes}
                updated = (
                    m.Incident.update(updated_at=now, version=m.Incident.version + 1, **written)
                    .where(
                        (m.Incident.id == incident_id) & (m.Incident.version == expected_version)
                    )
                    .execute()
                )
                if updated != 1:
                    raise self._conflict(incident_id, base, draft)
                for change in changes:
                    add_entry(
                        incident_id,
                        EntryKind.FIELD_CHANGE,
                        f"{change.label}: {change.old or '—'} → {change.new or '—'}",
                        {"field": change.field, "old": change.old, "new": change.new},
                        actor_id,
                        now,
                        now,
                    )
                attach_files(incident_id, files, actor_id, now)
            record_applied(write_id, incident_id, now)
        return self.get(incident_id), changes

    def _conflict(self, incident_id: int, base: IncidentDraft, mine: IncidentDraft) -> EditConflict:
        """What was saved since ``base``: each field, and who changed it last and when; and
        what this edit changed, in the same words, for a field-by-field merge."""
        current = self.get(incident_id)
        base_values = draft_columns(base)
        theirs = self._describe_changes(base_values, draft_columns(current.draft))
        return EditConflict(
            current,
            [self._attributed(incident_id, change) for change in theirs],
            self._describe_changes(base_values, draft_columns(mine)),
        )

    @staticmethod
    def _attributed(incident_id: int, change: FieldChange) -> FieldChange:
        latest = (
            m.TimelineEntry.select(m.TimelineEntry.recorded_at, m.User.name)
            .join(m.User, pw.JOIN.LEFT_OUTER, on=m.TimelineEntry.author == m.User.id)
            .where(
                (m.TimelineEntry.incident == incident_id)
                & (m.TimelineEntry.kind == EntryKind.FIELD_CHANGE.value)
                & m.TimelineEntry.details.contains(f'"field": "{change.field}"')
            )
            .order_by(m.TimelineEntry.recorded_at.desc(), m.TimelineEntry.id.desc())
            .limit(1)
            .tuples()
        )
        for recorded_at, author in latest.iterator():
            return replace(change, changed_by=author or "", changed_at=recorded_at)
        return change

    def _describe_changes(self, old: dict[str, Any], new: dict[str, Any]) -> list[FieldChange]:
        changed = [name for name in new if new[name] != old[name]]
        names = self._reference_names(
            {old[name] for name in changed if name in _REFERENCE_COLUMNS}
            | {new[name] for name in changed if name in _REFERENCE_COLUMNS}
        )
        return [
            FieldChange(
                name,
                _FIELD_LABELS[name],
                _display(name, old[name], names),
                _display(name, new[name], names),
            )
            for name in changed
        ]

    @staticmethod
    def _reference_names(ids: set[Any]) -> dict[tuple[str, int | None], str]:
        ids.discard(None)
        names: dict[tuple[str, int | None], str] = {}
        if not ids:
            return names
        for model in (m.Service, m.Category, m.Team, m.User):
            for id_, name in (
                model.select(model.id, model.name).where(model.id.in_(ids)).tuples().iterator()
            ):
                names[(model.__name__, id_)] = name
        return names

    # Reading

    def get(self, incident_id: int) -> Incident:
        record = incident_record(incident_id)
        names = self._reference_names(
            {
                record.service_id,
                record.category_id,
                record.team_id,
                record.assignee_id,
                record.reported_by_id,
            }
        )
        return Incident(
            id=record.id,
            number=record.number,
            draft=_draft_from_record(record),
            priority=Priority(record.priority),
            status=Status(record.status),
            created_at=record.created_at,
            updated_at=record.updated_at,
            version=record.version,
            milestones=Milestones(
                record.acknowledged_at,
                record.recovered_at,
                record.postmortem_at,
                record.closed_at,
                record.cancelled_at,
            ),
            service_name=names.get(("Service", record.service_id), ""),
            category_name=names.get(("Category", record.category_id), ""),
            team_name=names.get(("Team", record.team_id), ""),
            assignee_name=names.get(("User", record.assignee_id), ""),
            reported_by_name=names.get(("User", record.reported_by_id), ""),
            cancel_reason=record.cancel_reason,
        )

    def rows_by_id(self, incident_ids: Sequence[int]) -> list[IncidentRow]:
        """The list rows of the given incidents, in no particular order."""
        return self.rows(IncidentQuery(ids=frozenset(incident_ids)), 0, len(incident_ids))

    def get_by_number(self, number: int) -> Incident:
        record = m.Incident.get_or_none(m.Incident.number == number)
        if record is None:
            raise NotFound(f"There is no incident INC-{number}.")
        return self.get(record.id)

    def select_matching(
        self, query: IncidentQuery, selection: Iterable[Any]
    ) -> pw.ModelSelect[m.Incident]:
        """``selection`` from the incidents matching ``query`` (without its ordering)."""
        select = m.Incident.select(*selection)
        number = parse_key(query.text)
        if number is not None:
            # A key names one incident: it is found whatever the other filters say.
            return select.where(m.Incident.number == number)
        conditions: list[pw.Node] = []
        if query.statuses:
            conditions.append(m.Incident.status.in_([status.value for status in query.statuses]))
        if query.severities:
            conditions.append(m.Incident.severity.in_([int(s) for s in query.severities]))
        if query.service_ids:
            conditions.append(m.Incident.service.in_(list(query.service_ids)))
        if query.team_ids:
            conditions.append(m.Incident.team.in_(list(query.team_ids)))
        if query.category_ids:
            conditions.append(m.Incident.category.in_(list(query.category_ids)))
        if query.ids:
            conditions.append(m.Incident.id.in_(list(query.ids)))
        if query.assignee_ids:
            conditions.append(m.Incident.assignee.in_(list(query.assignee_ids)))
        if query.source_kinds:
            conditions.append(
                m.Incident.source_kind.in_([kind.value for kind in query.source_kinds])
            )
        if query.text.strip():
            conditions.append(search_condition(self._store.database, query.text))
        return select.where(*conditions) if conditions else select

    def count(self, query: IncidentQuery) -> int:
        return int(self.select_matching(query, [pw.fn.COUNT(m.Incident.id)]).scalar())

    def rows(self, query: IncidentQuery, offset: int = 0, limit: int = 200) -> list[IncidentRow]:
        select = (
            self.select_matching(
                query,
                [
                    m.Incident.id,
                    m.Incident.number,
                    m.Incident.title,
                    m.Incident.severity,
                    m.Incident.priority,
                    m.Incident.status,
                    m.Service.name,
                    _ASSIGNEE.name,
                    m.Team.name,
                    m.Incident.reported_at,
                ],
            )
            .join_from(m.Incident, m.Service, pw.JOIN.LEFT_OUTER)
            .join_from(
                m.Incident, _ASSIGNEE, pw.JOIN.LEFT_OUTER, on=m.Incident.assignee == _ASSIGNEE.id
            )
            .join_from(m.Incident, m.Team, pw.JOIN.LEFT_OUTER)
            .order_by(*_ordering(query))
            .offset(offset)
            .limit(limit)
        )
        reported = m.Incident.reported_at
        return [
            IncidentRow(
                id=id_,
                number=number,
                title=title,
                severity=Severity(severity),
                priority=Priority(priority),
                status=Status(status),
                service_name=service or "",
                assignee_name=assignee or "",
                team_name=team or "",
                reported_at=reported.python_value(reported_at),
            )
            for (
                id_,
                number,
                title,
                severity,
                priority,
                status,
                service,
                assignee,
                team,
                reported_at,
            ) in select.tuples().iterator()
        ]

    def status_counts(self) -> dict[Status, int]:
        query = m.Incident.select(m.Incident.status, pw.fn.COUNT(m.Incident.id)).group_by(
            m.Incident.status
        )
        return {Status(status): count for status, count in query.tuples().iterator()}


_REFERENCE_COLUMNS = {
    "service": "Service",
    "category": "Category",
    "team": "Team",
    "assignee": "User",
    "reported_by": "User",
}
_ENUM_DISPLAY: dict[str, Any] = {
    "severity": lambda v: Severity(v).label,
    "urgency": lambda v: Urgency(v).label,
    "priority": lambda v: Priority(v).label,
    "source_kind": lambda v: SourceKind(v).label,
    "impact_scope": lambda v: ImpactScope(v).label,
    "escalation_level": lambda v: EscalationLevel(v).label,
}


def _display(name: str, value: Any, names: dict[tuple[str, int | None], str]) -> str:
    if value is None:
        return ""
    if name in _REFERENCE_COLUMNS:
        return names.get((_REFERENCE_COLUMNS[name], value), f"#{value}")
    if name in _ENUM_DISPLAY:
        return str(_ENUM_DISPLAY[name](value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if name == "reported_at":
        return str(value.isoformat(timespec="minutes"))
    if name == "description":
        return f"{len(value):,} characters"
    return str(value)


def _ordering(query: IncidentQuery) -> list[Any]:
    columns: dict[SortKey, Any] = {
        SortKey.KEY: m.Incident.number,
        SortKey.TITLE: m.Incident.title,
        SortKey.SEVERITY: m.Incident.severity,
        SortKey.PRIORITY: m.Incident.priority,
        # Statuses sort in lifecycle order (logged first), not alphabetically.
        SortKey.STATUS: pw.Case(
            m.Incident.status, [(status.value, order) for order, status in enumerate(Status)]
        ),
        SortKey.SERVICE: m.Service.name,
        SortKey.ASSIGNEE: _ASSIGNEE.name,
        SortKey.REPORTED_AT: m.Incident.reported_at,
    }
    primary = columns[query.sort]
    # A blank service or assignee sorts last in both directions; left to themselves, SQLite and
    # PostgreSQL put blanks at opposite ends.
    nulls = "LAST" if query.sort in (SortKey.SERVICE, SortKey.ASSIGNEE) else None
    ordered = primary.desc(nulls=nulls) if query.descending else primary.asc(nulls=nulls)
    # The newest incident first among equals keeps every ordering total and stable across pages.
    tiebreak = m.Incident.number.desc()
    if query.sort is SortKey.KEY:
        return [ordered]
    return [ordered, tiebreak]
