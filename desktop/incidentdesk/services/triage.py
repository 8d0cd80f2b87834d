"""Categorize and prioritize: where a new incident would rank, and open ones that look alike."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from incidentdesk.domain.enums import OPEN_STATUSES, EntryKind, Priority
from incidentdesk.domain.incident import Incident, IncidentDraft, IncidentRow
from incidentdesk.domain.validation import require_valid
from incidentdesk.services.attachments import PreparedFile, attach_files
from incidentdesk.services.clock import Clock, utc_now
from incidentdesk.services.errors import NotFound
from incidentdesk.services.incidents import IncidentService
from incidentdesk.storage import models as m
from incidentdesk.storage.database import Store
from incidentdesk.storage.search import similar_incident_ids

SIMILAR_LIMIT = 5


@dataclass(frozen=True)
class Rank:
    position: int
    of: int

    @property
    def text(self) -> str:
        """As the form shows it: "3rd of 14 open"."""
        return f"{_ordinal(self.position)} of {self.of} open"


def _ordinal(number: int) -> str:
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


class TriageService:
    def __init__(self, store: Store, incidents: IncidentService, clock: Clock = utc_now) -> None:
        self._store = store
        self._incidents = incidents
        self._clock = clock

    def add_duplicate_report(
        self,
        incident_id: int,
        report: IncidentDraft,
        actor_id: int | None,
        files: Sequence[PreparedFile] = (),
    ) -> Incident:
        """Record another report of an open incident on it, instead of logging a duplicate:
        a note with what was reported, and the report's files."""
        now = self._clock()
        require_valid(report, now)
        source = report.source_name or report.source_kind.label
        body = f"Also reported by {source}: {report.title}"
        if report.description.strip():
            body += f"\n\n{report.description}"
        details = {
            "duplicate_report": True,
            "source_kind": report.source_kind.value,
            "source_name": report.source_name,
            "source_contact": report.source_contact,
            "reported_at": report.reported_at.isoformat(),
        }
        with self._store.write():
            if not m.Incident.select().where(m.Incident.id == incident_id).exists():
                raise NotFound(f"Incident {incident_id} does not exist.")
            m.TimelineEntry.insert(
                incident=incident_id,
                kind=EntryKind.NOTE.value,
                body=body,
                details=json.dumps(details, ensure_ascii=False),
                author=actor_id,
                occurred_at=report.reported_at,
                recorded_at=now,
            ).execute()
            attach_files(incident_id, files, actor_id, now)
            m.Incident.update(updated_at=now).where(m.Incident.id == incident_id).execute()
        return self._incidents.get(incident_id)

    def rank_among_open(self, priority: Priority, exclude_id: int | None = None) -> Rank:
        """Where an incident of ``priority`` stands among the open ones: after every open
        incident of the same or a higher priority, as the board orders them."""
        statuses = [status.value for status in OPEN_STATUSES]
        open_incidents = m.Incident.select().where(m.Incident.status.in_(statuses))
        if exclude_id is not None:
            open_incidents = open_incidents.where(m.Incident.id != exclude_id)
        ahead = open_incidents.where(m.Incident.priority <= priority.value).count()
        return Rank(ahead + 1, open_incidents.count() + 1)

    def similar_open(
        self, title: str, description: str, exclude_id: int | None = None
    ) -> list[IncidentRow]:
        """Open incidents whose words overlap the most with ``title`` and ``description``."""
        ranked_ids = similar_incident_ids(
            self._store.database, f"{title} {description}", OPEN_STATUSES, SIMILAR_LIMIT + 1
        )
        ranked_ids = [id_ for id_ in ranked_ids if id_ != exclude_id][:SIMILAR_LIMIT]
        if not ranked_ids:
            return []
        rows = {row.id: row for row in self._incidents.rows_by_id(ranked_ids)}
        return [rows[id_] for id_ in ranked_ids if id_ in rows]
