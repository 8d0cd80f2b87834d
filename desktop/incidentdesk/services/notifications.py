"""Which changes deserve a desktop notification for the person using a desk, and in what
words: a new major incident (SEV1 or SEV2), an escalation to them or their team, an incident
assigned to them. Qt-free; ``ui/notifications.py`` shows what this decides.

What happened is read from the timeline, where every write of the program leaves an entry
with its author (``services/timeline.py: add_entry``): the incident logged, a field changed,
an escalation. So the person's own changes are known by their author, whichever client made
them (this program, or the same person's program on another computer), and an incident is
judged as it stands when the entries are read: one closed or cancelled meanwhile is no news.

- **A new major incident**: logged as SEV1 or SEV2, or raised to SEV1 or SEV2 from a lower
  severity later (the team must hear of a major incident however it became one).
- **Escalated to me or my team**: an escalation entry naming the person, or the team the
  person belongs to now (by id; entries written before ids were recorded, by name).
- **Assigned to me**: the assignee changed, by someone else, to the person, who is still the
  assignee.

A burst is never a burst of notifications: ``worded`` makes one notification per kind of
each batch of changes ("5 new SEV2 incidents"), and ``NotificationPacer`` holds back what
follows a notification of the same kind within ``QUIET_S``, to show it as one afterwards.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple

import peewee as pw

from incidentdesk.domain.counts import counted
from incidentdesk.domain.enums import EntryKind, EscalationLevel, Severity, Status
from incidentdesk.domain.keys import format_key
from incidentdesk.storage import models as m
from incidentdesk.storage.database import Store, store_operations

QUIET_S = 10.0  # after a notification, more of its kind wait this long and come as one
LISTED_IN_SUMMARY = 3  # a summary names this many incidents, then says how many more
_IDS_PER_QUERY = 500  # well below SQLite's limit of bound parameters
_WATCHED_ENTRIES = (EntryKind.STATUS_CHANGE, EntryKind.FIELD_CHANGE, EntryKind.ESCALATION)
_SEVERITIES = {severity.label: severity for severity in Severity}


class NotificationKind(StrEnum):
    """What a person can be notified of; the values are the keys of their settings."""

    NEW_MAJOR = "new_major"
    ESCALATED = "escalated"
    ASSIGNED = "assigned"

    @property
    def label(self) -> str:
        return {
            NotificationKind.NEW_MAJOR: "A new SEV1 or SEV2 incident",
            NotificationKind.ESCALATED: "An escalation to me or my team",
            NotificationKind.ASSIGNED: "An incident assigned to me",
        }[self]


# When one incident is news in several ways at once, the most personal one is told.
_MOST_PERSONAL_FIRST = (
    NotificationKind.ESCALATED,
    NotificationKind.ASSIGNED,
    NotificationKind.NEW_MAJOR,
)


@dataclass(frozen=True)
class Happening:
    """One incident that is news to the person, and why (``what``: "Assigned to you")."""

    kind: NotificationKind
    incident_id: int
    number: int
    title: str
    severity: Severity
    what: str

    @property
    def key(self) -> str:
        return format_key(self.number)


@dataclass(frozen=True)
class Notification:
    """What to show: a title, a body, and the incidents it is about, the one that clicking
    opens first (the most severe, then the newest)."""

    kind: NotificationKind
    title: str
    body: str
    incident_ids: tuple[int, ...]

    @property
    def incident_id(self) -> int:
        return self.incident_ids[0]


class _IncidentNow(NamedTuple):
    id: int
    number: int
    title: str
    severity: int
    status: str
    assignee_id: int | None


@dataclass(frozen=True)
class _Person:
    id: int
    name: str
    team_id: int | None
    team_name: str


@store_operations
class NotificationWatch:
    """Follows one store's timeline for what is news to one person (``person_id``).

    ``start`` marks where the news begins (what was there before is not news); ``check``
    reads the entries of the given incidents written after the last it read of each, on
    one thread at a time (the task runner's read thread). Each incident has its own mark:
    on PostgreSQL a transaction that took its ids earlier may commit after another one, and
    its entries must still be read when its own change is announced.
    """

    def __init__(self, store: Store, person_id: int) -> None:
        self._store = store
        self._person_id = person_id
        self._start_id: int | None = None
        self._read_up_to: dict[int, int] = {}  # incident id → its last entry read

    @property
    def store(self) -> Store:
        return self._store

    @property
    def started(self) -> bool:
        return self._start_id is not None

    def start(self) -> None:
        self._start_id = int(m.TimelineEntry.select(pw.fn.MAX(m.TimelineEntry.id)).scalar() or 0)

    def check(self, incident_ids: Collection[int]) -> list[Happening]:
        """What is news to the person among what was written to ``incident_ids`` since the
        last check (nothing before ``start``, which the first check does if not yet done)."""
        if self._start_id is None:
            self.start()
            return []
        person = self._person()
        happenings: list[Happening] = []
        ordered = sorted(set(incident_ids))
        for first in range(0, len(ordered), _IDS_PER_QUERY):
            happenings += self._check_some(ordered[first : first + _IDS_PER_QUERY], person)
        return happenings

    def _person(self) -> _Person | None:
        row = (
            m.User.select(m.User.id, m.User.name, m.User.team, m.Team.name)
            .join(m.Team, pw.JOIN.LEFT_OUTER, on=m.User.team == m.Team.id)
            .where(m.User.id == self._person_id)
            .tuples()
            .first()
        )
        if row is None:
            return None  # removed meanwhile: nothing is addressed to them any more
        person_id, name, team_id, team_name = row
        return _Person(person_id, name, team_id, team_name or "")

    def _check_some(self, incident_ids: list[int], person: _Person | None) -> list[Happening]:
        assert self._start_id is not None
        after = min(self._read_up_to.get(id_, self._start_id) for id_ in incident_ids)
        entry = m.TimelineEntry
        entries = (
            entry.select(entry.id, entry.incident, entry.kind, entry.details, entry.author)
            .where(
                entry.incident.in_(incident_ids),
                entry.id > after,
                entry.kind.in_([kind.value for kind in _WATCHED_ENTRIES]),
            )
            .order_by(entry.id)
            .tuples()
        )
        news: list[tuple[int, str, dict[str, Any]]] = []
        for entry_id, incident_id, kind, details, author_id in entries.iterator():
            if entry_id <= self._read_up_to.get(incident_id, self._start_id):
                continue  # read already, by a check of this incident alone
            self._read_up_to[incident_id] = entry_id
            if person is None or author_id == person.id:
                continue  # the person's own change is no news to them
            news.append((incident_id, kind, json.loads(details) if details != "{}" else {}))
        if not news:
            return []
        incidents = {
            row[0]: _IncidentNow(*row)
            for row in m.Incident.select(
                m.Incident.id,
                m.Incident.number,
                m.Incident.title,
                m.Incident.severity,
                m.Incident.status,
                m.Incident.assignee,
            )
            .where(m.Incident.id.in_({incident_id for incident_id, _, _ in news}))
            .tuples()
            .iterator()
        }
        assert person is not None
        happenings = []
        for incident_id, kind, details in news:
            now = incidents.get(incident_id)
            if now is None or not Status(now.status).is_open:
                continue  # deleted, closed or cancelled meanwhile: nothing to do for it
            severity = Severity(now.severity)
            decided = _decide(EntryKind(kind), details, now.assignee_id, severity, person)
            if decided is not None:
                kind_told, what = decided
                happenings.append(
                    Happening(kind_told, incident_id, now.number, now.title, severity, what)
                )
        return happenings


def _decide(
    kind: EntryKind,
    details: dict[str, Any],
    assignee_id: int | None,
    severity: Severity,
    person: _Person,
) -> tuple[NotificationKind, str] | None:
    """Whether an entry written by someone else is news to ``person``, given the incident as
    it stands (its assignee and severity), and in which words."""
    if kind is EntryKind.STATUS_CHANGE:
        # Logging writes {"to": "logged"}; every later step also says where it came from.
        logged = details.get("to") == Status.LOGGED.value and "from" not in details
        if logged and severity.is_major:
            return NotificationKind.NEW_MAJOR, f"New {severity.label} incident"
        return None
    if kind is EntryKind.FIELD_CHANGE:
        field = details.get("field")
        if field == "severity":
            old, new = (
                _SEVERITIES.get(str(details.get("old"))),
                _SEVERITIES.get(str(details.get("new"))),
            )
            raised = new is not None and new.is_major and (old is None or new < old)
            if raised and severity.is_major:
                return NotificationKind.NEW_MAJOR, f"Raised to {severity.label}"
        if field == "assignee" and assignee_id == person.id and details.get("new") == person.name:
            return NotificationKind.ASSIGNED, "Assigned to you"
        return None
    if kind is EntryKind.ESCALATION:
        level = _level(details.get("level"))
        if _names_person(details, person, assignee_id):
            return NotificationKind.ESCALATED, f"Escalated to you{level}"
        if _names_team(details, person):
            return NotificationKind.ESCALATED, f"Escalated to {person.team_name}{level}"
    return None


def _level(value: object) -> str:
    try:
        return f" ({EscalationLevel(int(str(value))).label})"
    except ValueError:
        return ""


def _names_person(details: dict[str, Any], person: _Person, assignee_id: int | None) -> bool:
    if "to_person_id" in details:
        return bool(details["to_person_id"] == person.id)
    # Written before ids were recorded: a name, which only counts if they still have it.
    return bool(details.get("to_person")) and (
        details.get("to_person") == person.name and assignee_id == person.id
    )


def _names_team(details: dict[str, Any], person: _Person) -> bool:
    if person.team_id is None:
        return False  # in no team: no team escalation is theirs
    if "to_team_id" in details:
        return bool(details["to_team_id"] == person.team_id)
    return bool(details.get("to_team")) and details.get("to_team") == person.team_name


def worded(
    happenings: Iterable[Happening], wanted: Collection[NotificationKind]
) -> list[Notification]:
    """The notifications for one batch of ``happenings``, of the ``wanted`` kinds only: one
    per kind, each incident told once (in the most personal way it is news)."""
    by_incident: dict[int, Happening] = {}
    for happening in happenings:
        if happening.kind not in wanted:
            continue
        known = by_incident.get(happening.incident_id)
        order = _MOST_PERSONAL_FIRST.index
        if known is None or order(happening.kind) < order(known.kind):
            by_incident[happening.incident_id] = happening
    by_kind: defaultdict[NotificationKind, list[Happening]] = defaultdict(list)
    for happening in by_incident.values():
        by_kind[happening.kind].append(happening)
    return [_notification(kind, by_kind[kind]) for kind in _MOST_PERSONAL_FIRST if kind in by_kind]


def _notification(kind: NotificationKind, happenings: list[Happening]) -> Notification:
    ordered = sorted(happenings, key=lambda h: (h.severity, -h.number))
    ids = tuple(h.incident_id for h in ordered)
    if len(ordered) == 1:
        only = ordered[0]
        return Notification(kind, f"{only.what}: {only.key}", only.title, ids)
    listed = "\n".join(
        f"{h.key} ({h.severity.label}) {h.title}" for h in ordered[:LISTED_IN_SUMMARY]
    )
    more = len(ordered) - LISTED_IN_SUMMARY
    body = f"{listed}\nand {counted(more, 'more', 'more')}" if more > 0 else listed
    return Notification(kind, _summary_title(kind, ordered), body, ids)


def _summary_title(kind: NotificationKind, happenings: list[Happening]) -> str:
    count = len(happenings)
    if kind is NotificationKind.NEW_MAJOR:
        severities = {h.severity for h in happenings}
        which = severities.pop().label if len(severities) == 1 else "SEV1 or SEV2"
        return f"{count:,} new {which} incidents"
    if kind is NotificationKind.ESCALATED:
        return f"{count:,} incidents escalated to you or your team"
    return f"{count:,} incidents assigned to you"


class NotificationPacer:
    """Keeps a burst from becoming a burst of notifications: after one of a kind is shown,
    what comes of that kind within ``quiet_s`` is held, then shown as one. Times are seconds
    of a monotonic clock, given by the caller."""

    def __init__(self, quiet_s: float | None = None) -> None:
        self._quiet_s = QUIET_S if quiet_s is None else quiet_s
        self._shown_at: dict[NotificationKind, float] = {}
        self._held: defaultdict[NotificationKind, dict[int, Happening]] = defaultdict(dict)

    def offer(
        self, happenings: Iterable[Happening], wanted: Collection[NotificationKind], now: float
    ) -> list[Notification]:
        """What to show now of ``happenings``; the rest is held for ``due``."""
        ready: list[Happening] = []
        for happening in happenings:
            if happening.kind not in wanted:
                continue
            if self._quiet(happening.kind, now):
                self._held[happening.kind].setdefault(happening.incident_id, happening)
            else:
                ready.append(happening)
        shown = worded(ready, wanted)
        for notification in shown:
            self._shown_at[notification.kind] = now
        return shown

    def due(self, wanted: Collection[NotificationKind], now: float) -> list[Notification]:
        """What was held and may be shown now, of the kinds still ``wanted``."""
        ready = [
            happening
            for kind, held in self._held.items()
            if not self._quiet(kind, now)
            for happening in held.values()
        ]
        for kind in [kind for kind in self._held if not self._quiet(kind, now)]:
            del self._held[kind]
        shown = worded(ready, wanted)
        for notification in shown:
            self._shown_at[notification.kind] = now
        return shown

    def next_due(self) -> float | None:
        """When held notifications may be shown, if any are held."""
        times = [self._shown_at[kind] + self._quiet_s for kind in self._held]
        return min(times) if times else None

    def _quiet(self, kind: NotificationKind, now: float) -> bool:
        shown_at = self._shown_at.get(kind)
        return shown_at is not None and now < shown_at + self._quiet_s
