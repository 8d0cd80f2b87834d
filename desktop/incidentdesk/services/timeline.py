"""The escalation and communication log: append-only, kept in order of occurrence."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import peewee as pw

from incidentdesk.domain.enums import EntryKind
from incidentdesk.domain.timeline import ENTRY_BODY_MAX_LENGTH, NewEntry, TimelineEntry
from incidentdesk.domain.validation import FieldError, ValidationFailed
from incidentdesk.services.clock import Clock, utc_now
from incidentdesk.services.errors import NotFound
from incidentdesk.services.sent_once import sent_once
from incidentdesk.storage import models as m
from incidentdesk.storage.applied_writes import earlier_save, record_applied
from incidentdesk.storage.database import Store, store_operations
from incidentdesk.storage.prepared import PreparedQuery, slot


def _validate(entry: NewEntry) -> None:
    errors = []
    if not entry.body.strip() and entry.kind in (EntryKind.NOTE, EntryKind.FINDING):
        errors.append(FieldError("body", "Write something in the entry."))
    if len(entry.body) > ENTRY_BODY_MAX_LENGTH:
        errors.append(
            FieldError("body", f"The entry is longer than {ENTRY_BODY_MAX_LENGTH:,} characters.")
        )
    if "\x00" in entry.body:
        errors.append(FieldError("body", "The entry contains a NUL character."))
    # Neither engine can store half a surrogate pair (text pasted from a broken source).
    if any("\ud800" <= char <= "\udfff" for char in entry.body):
        errors.append(FieldError("body", "The entry contains broken Unicode (a lone surrogate)."))
    if entry.occurred_at.tzinfo is None:
        errors.append(FieldError("occurred_at", "The time of the entry has no time zone."))
    if errors:
        raise ValidationFailed(errors)


_ENTRY_COLUMNS = (
    "incident",
    "kind",
    "body",
    "details",
    "author",
    "occurred_at",
    "recorded_at",
    "pinned",
    "amends",
)
# Built once per database: every write of an entry runs it (storage/prepared.py).
_INSERT_ENTRY = PreparedQuery(
    m.TimelineEntry,
    lambda: m.TimelineEntry.insert(
        {
            getattr(m.TimelineEntry, name): slot(name, getattr(m.TimelineEntry, name))
            for name in _ENTRY_COLUMNS
        }
    ).returning(m.TimelineEntry.id),
)

_KINDS = {kind.value: kind for kind in EntryKind}  # faster than EntryKind(value) per row


def add_entry(
    incident_id: int,
    kind: EntryKind,
    body: str,
    details: dict[str, Any],
    actor_id: int | None,
    occurred_at: datetime,
    recorded_at: datetime,
    *,
    pinned: bool = False,
    amends_id: int | None = None,
) -> int:
    """Write one entry of an incident's log, inside the caller's write transaction, and
    return its id: the one place a timeline row is written (entries are never updated
    but for their pin, and a correction is a new entry)."""
    return _INSERT_ENTRY.returned_id(
        incident=incident_id,
        kind=kind.value,
        body=body,
        details=json.dumps(details, ensure_ascii=False),
        author=actor_id,
        occurred_at=occurred_at,
        recorded_at=recorded_at,
        pinned=pinned,
        amends=amends_id,
    )


@store_operations
class TimelineService:
    def __init__(self, store: Store, clock: Clock = utc_now) -> None:
        self._store = store
        self._clock = clock

    def append(
        self,
        incident_id: int,
        entry: NewEntry,
        actor_id: int | None,
        *,
        write_id: str | None = None,
    ) -> TimelineEntry:
        """Add ``entry``; with ``write_id`` applied once (see ``IncidentService.create``)."""
        return sent_once(write_id, lambda: self._append(incident_id, entry, actor_id, write_id))

    def _append(
        self, incident_id: int, entry: NewEntry, actor_id: int | None, write_id: str | None
    ) -> TimelineEntry:
        _validate(entry)
        with self._store.write():
            added_before = earlier_save(write_id)
            if added_before is not None and added_before.record_id is not None:
                return self.entries(incident_id, entry_ids=[added_before.record_id])[0]
            if not m.Incident.select().where(m.Incident.id == incident_id).exists():
                raise NotFound(f"Incident {incident_id} does not exist.")
            if entry.amends_id is not None:
                amended = m.TimelineEntry.get_or_none(m.TimelineEntry.id == entry.amends_id)
                if amended is None or amended.incident_id != incident_id:
                    raise ValidationFailed(
                        [FieldError("amends", "The entry to correct is not in this incident.")]
                    )
            entry_id = add_entry(
                incident_id,
                entry.kind,
                entry.body,
                entry.details,
                actor_id,
                entry.occurred_at,
                self._clock(),
                pinned=entry.pinned,
                amends_id=entry.amends_id,
            )
            record_applied(write_id, incident_id, self._clock(), record_id=entry_id)
        return self.entries(incident_id, entry_ids=[entry_id])[0]

    def set_pinned(self, entry_id: int, pinned: bool) -> None:
        """Pin an entry to the postmortem timeline, or unpin it; its content stays as it is."""
        with self._store.write():
            updated = (
                m.TimelineEntry.update(pinned=pinned)
                .where(m.TimelineEntry.id == entry_id)
                .execute()
            )
        if updated != 1:
            raise NotFound(f"Timeline entry {entry_id} does not exist.")

    def entries(self, incident_id: int, entry_ids: list[int] | None = None) -> list[TimelineEntry]:
        """The incident's entries in the order they happened (then the order recorded).

        Rows come back raw and only the times are converted: peewee models, or even its
        per-value conversion of tuples, would cost more than the query for thousands of
        entries."""
        entry, occurred, recorded = (
            m.TimelineEntry,
            m.TimelineEntry.occurred_at,
            m.TimelineEntry.recorded_at,
        )
        query = (
            entry.select(
                entry.id,
                entry.kind,
                entry.body,
                occurred,
                recorded,
                m.User.name,
                entry.details,
                entry.pinned,
                entry.amends,
            )
            .join(m.User, on=entry.author == m.User.id, join_type=pw.JOIN.LEFT_OUTER)
            .where(entry.incident == incident_id)
            .order_by(occurred, entry.id)
        )
        if entry_ids is not None:
            query = query.where(entry.id.in_(entry_ids))
        # tuple.__new__ with the fields in order: a named tuple's keyword constructor took
        # more than half of the 26 ms that building 5,000 entries did. Most entries are
        # recorded as they happen: their two times are one value, read once.
        make, time_of = tuple.__new__, occurred.python_value
        return [
            make(
                TimelineEntry,
                (
                    id_,
                    incident_id,
                    _KINDS[kind],
                    body,
                    (happened := time_of(occurred_at)),
                    happened if recorded_at == occurred_at else time_of(recorded_at),
                    author or "",
                    json.loads(details) if details != "{}" else {},
                    bool(pinned),
                    amends_id,
                ),
            )
            for (
                id_,
                kind,
                body,
                occurred_at,
                recorded_at,
                author,
                details,
                pinned,
                amends_id,
            ) in self._store.database.execute(query)
        ]
