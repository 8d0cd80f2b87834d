"""Entries of the escalation and communication log, as plain values."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from incidentdesk.domain.enums import EntryKind

ENTRY_BODY_MAX_LENGTH = 100_000


@dataclass(frozen=True)
class NewEntry:
    """An entry about to be appended; ``details`` holds the kind's structured fields."""

    kind: EntryKind
    body: str
    occurred_at: datetime
    details: dict[str, Any] = field(default_factory=dict)
    pinned: bool = False
    amends_id: int | None = None


class TimelineEntry(NamedTuple):
    """An entry as recorded. A named tuple rather than a frozen dataclass: an incident's log
    may hold thousands, and a tuple is built in half the time."""

    id: int
    incident_id: int
    kind: EntryKind
    body: str
    occurred_at: datetime
    recorded_at: datetime
    author_name: str
    details: dict[str, Any]
    pinned: bool
    amends_id: int | None
