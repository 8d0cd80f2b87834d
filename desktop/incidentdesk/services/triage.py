"""Categorize and prioritize: where a new incident would rank, and open ones that look alike."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from incidentdesk.domain.enums import OPEN_STATUSES, EntryKind, Priority
from incidentdesk.domain.incident import Incident, IncidentDraft, IncidentRow
from incidentdesk.domain.validation import require_valid
from incidentdesk.services.attachments import PreparedFile, attach_files, check_files
from incidentdesk.services.clock import Clock, utc_now
from incidentdesk.services.errors import NotFound
from incidentdesk.services.incidents import IncidentService
from incidentdesk.services.settings import SettingsService
from incidentdesk.services.timeline import add_entry
from incidentdesk.storage import models as m
from incidentdesk.storage.database import Store, store_operations
from incidentdesk.storage.search import significant_words, similar_incident_ids

SIMILAR_LIMIT = 5
CANDIDATE_LIMIT = 30
MIN_SHARED_WORDS = 2


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


@store_operations
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
        # Checked as when logging: a refused file adds nothing.
        check_files(files, SettingsService(self._store).attachment_max_bytes())
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
            add_entry(incident_id, EntryKind.NOTE, body, details, actor_id, report.reported_at, now)
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
        text = f"{title} {description}"
        candidates = [
            id_
            for id_ in similar_incident_ids(
                self._store.database, text, OPEN_STATUSES, CANDIDATE_LIMIT
            )
            if id_ != exclude_id
        ]
        if not candidates:
            return []
        # The index ranks any shared word; one word in common ("EU", "login") is no likeness:
        # keep those that share a word of the title and at least two words overall.
        title_words, all_words = significant_words(title), significant_words(text)
        needed = min(MIN_SHARED_WORDS, len(all_words))
        query = m.Incident.select(m.Incident.id, m.Incident.title, m.Incident.description).where(
            m.Incident.id.in_(candidates)
        )
        alike_ids = set()
        for id_, other_title, other_description in query.tuples().iterator():
            other_title_words = significant_words(other_title)
            shared = all_words & (other_title_words | significant_words(other_description))
            if (title_words & other_title_words or not title_words) and len(shared) >= needed:
                alike_ids.add(id_)
        alike = [id_ for id_ in candidates if id_ in alike_ids][:SIMILAR_LIMIT]
        rows = {row.id: row for row in self._incidents.rows_by_id(alike)}
        return [rows[id_] for id_ in alike if id_ in rows]
