"""The priority board: open incidents by status, ranked by priority and then by hand.

The guide asks to "compare this incident to all other open incidents and determine its
relative priority": within a column, cards are ordered by priority and, among the same
priority, by a rank the team sets by dragging (a float, so a move writes one row).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import peewee as pw

from incidentdesk.domain.enums import (
    OPEN_STATUSES,
    EntryKind,
    EscalationLevel,
    Priority,
    Severity,
    SourceKind,
    Status,
)
from incidentdesk.domain.keys import format_key
from incidentdesk.domain.lifecycle import TRANSITIONS, Step
from incidentdesk.domain.permissions import Capability, Permission
from incidentdesk.services.access import permission, require
from incidentdesk.services.clock import Clock, utc_now
from incidentdesk.services.errors import EditConflict, NotAllowed
from incidentdesk.services.incidents import (
    RANK_STEP,
    IncidentQuery,
    IncidentService,
    incident_record,
)
from incidentdesk.services.sent_once import sent_once
from incidentdesk.services.timeline import add_entry
from incidentdesk.storage import models as m
from incidentdesk.storage.applied_writes import earlier_save, record_applied
from incidentdesk.storage.database import Store, store_operations
from incidentdesk.storage.prepared import PreparedQuery, slot

BOARD_STATUSES: tuple[Status, ...] = OPEN_STATUSES
# Closed and cancelled columns show the most recent ones; the list has them all.
FINISHED_SHOWN = 200
# Cards built when a column is loaded: more than the tallest screen shows. The rest are
# built as the column is scrolled down, MORE_CARDS at a time.
FIRST_CARDS = 50
MORE_CARDS = 100
# Cards' queries kept built, one per number of cards asked for: a board asks for a few
# numbers again and again (its columns' first cards, a screenful more).
CARD_QUERIES_KEPT = 32
_STATUSES = {status.value: status for status in Status}
_SEVERITIES = {severity.value: severity for severity in Severity}
_PRIORITIES = {priority.value: priority for priority in Priority}
_ESCALATION_LEVELS = {level.value: level for level in EscalationLevel}


@dataclass(frozen=True, slots=True)
class BoardCard:
    """What a card shows; plain data, painted by the board's delegate."""

    id: int
    number: int
    title: str
    severity: Severity
    priority: Priority
    status: Status
    rank: float
    service_name: str
    assignee_name: str
    team_name: str
    escalation_level: EscalationLevel
    attachments: int
    reported_at: datetime
    acknowledged_at: datetime | None
    recovered_at: datetime | None
    postmortem_at: datetime | None
    closed_at: datetime | None
    cancelled_at: datetime | None
    version: int
    monitoring_source: str = ""  # the monitoring system it came from; empty for a person

    @property
    def key(self) -> str:
        return format_key(self.number)


@dataclass(frozen=True)
class ColumnCards:
    """One status's incidents in board order, and the first of them as cards."""

    ids: list[int]
    cards: list[BoardCard]  # of the first ids, in the same order


@dataclass(frozen=True)
class RankMove:
    """Enough to take a re-rank back: the card, and its rank and version before and after."""

    incident_id: int
    old_rank: float
    new_rank: float
    version: int  # after the move


def step_between(source: Status, target: Status) -> Step | None:
    """The lifecycle step that takes an incident from ``source`` to ``target``, if one does."""
    # Where two steps lead to the same status (escalate and acknowledge both start an
    # investigation), the board takes the plain one; escalating needs its own dialog.
    preferred = [Step.TRIAGE, Step.ACKNOWLEDGE, Step.RECOVER, Step.REOPEN]
    candidates: list[Step] = preferred + [step for step in Step if step not in preferred]
    for step in candidates:
        if TRANSITIONS.get((step, source)) is target:
            return step
    return None


def why_not_between(source: Status, target: Status) -> str:
    if list(Status).index(target) < list(Status).index(source):
        return (
            f"An incident cannot go back from {source.label} to {target.label}; reopen it from "
            "its workspace if the problem is back."
        )
    return f"There is no step from {source.label} to {target.label}."


@store_operations
class BoardService:
    def __init__(self, store: Store, incidents: IncidentService, clock: Clock = utc_now) -> None:
        self._store = store
        self._incidents = incidents
        self._clock = clock

    def columns(
        self,
        query: IncidentQuery,
        include_finished: bool = False,
        loaded: Mapping[Status, int] | None = None,
    ) -> dict[Status, ColumnCards]:
        """Every open status's incidents matching ``query`` in board order (with
        ``include_finished`` also the most recently closed and cancelled ones), and the first
        of each column as cards: FIRST_CARDS, or as many as ``loaded`` says are shown."""
        loaded = loaded or {}
        # One transaction: on SQLite one snapshot, so the ids and their cards agree (on
        # PostgreSQL each statement sees the latest; a card changed in between is set right
        # by the next refresh).
        with self._store.database.atomic():
            order = self._order(query, include_finished)
            wanted = [
                incident_id
                for status, ids in order.items()
                for incident_id in ids[: max(FIRST_CARDS, loaded.get(status, 0))]
            ]
            cards = {card.id: card for card in self.cards_of(wanted)}
        return {
            status: ColumnCards(
                ids,
                [cards[i] for i in ids[: max(FIRST_CARDS, loaded.get(status, 0))] if i in cards],
            )
            for status, ids in order.items()
        }

    def _order(self, query: IncidentQuery, include_finished: bool) -> dict[Status, list[int]]:
        """The ids of each column, in order: by priority, then rank; closed and cancelled
        ones most recently changed first."""
        incident = m.Incident
        statuses = list(BOARD_STATUSES)
        # Status first, and the id (not the number) last, lets the (status, priority,
        # board_rank) index deliver the rows in order; on SQLite, where an index holds the
        # row id, without reading the table.
        selects = [
            self._incidents.select_matching(
                replace(query, statuses=frozenset(BOARD_STATUSES)), [incident.id, incident.status]
            ).order_by(incident.status, incident.priority, incident.board_rank, incident.id)
        ]
        if include_finished:
            statuses += [Status.CLOSED, Status.CANCELLED]
            selects += [
                self._incidents.select_matching(
                    replace(query, statuses=frozenset({status})), [incident.id, incident.status]
                )
                .order_by(incident.updated_at.desc(), incident.id.desc())
                .limit(FINISHED_SHOWN)
                for status in (Status.CLOSED, Status.CANCELLED)
            ]
        order: dict[Status, list[int]] = {status: [] for status in statuses}
        seen: set[int] = set()
        for select in selects:
            # A key in the search box finds its incident whatever its status (so more than
            # one select may find it); it shows only when its column does.
            for incident_id, status in self._store.database.execute(select):
                column = order.get(_STATUSES[status])
                if column is not None and incident_id not in seen:
                    seen.add(incident_id)
                    column.append(incident_id)
        return order

    def cards_of(self, ids: Sequence[int]) -> list[BoardCard]:
        """The cards of these incidents in the order given; any deleted meanwhile are left
        out."""
        if not ids:
            return []
        cursor = _cards_query(len(ids)).execute(
            **{_id_slot(position): incident_id for position, incident_id in enumerate(ids)}
        )
        convert = m.Incident.reported_at.python_value

        def when(value: object) -> datetime | None:
            return None if value is None else convert(value)

        # Raw rows: peewee's per-value conversion of a tuple query costs more than the query
        # for hundreds of cards; the few values that need it are converted here, enums by
        # dictionary lookup (an Enum call costs about a microsecond, and a card has four).
        cards = {
            row[0]: BoardCard(
                row[0],
                row[1],
                row[2],
                _SEVERITIES[row[3]],
                _PRIORITIES[row[4]],
                _STATUSES[row[5]],
                row[6],
                row[7] or "",
                row[8] or "",
                row[9] or "",
                _ESCALATION_LEVELS[row[10]],
                row[11],
                convert(row[12]),
                when(row[13]),
                when(row[14]),
                when(row[15]),
                when(row[16]),
                when(row[17]),
                row[18],
                row[19] or "",
            )
            for row in cursor
        }
        return [cards[incident_id] for incident_id in ids if incident_id in cards]

    def may_rerank(self, person_id: int | None) -> Permission:
        """Whether the person may re-rank cards (leads and admins), and if not, why."""
        return permission(person_id, Capability.RERANK)

    def rerank(
        self,
        incident_id: int,
        after_id: int | None,
        before_id: int | None,
        expected_version: int,
        actor_id: int | None,
        *,
        write_id: str | None = None,
    ) -> RankMove:
        """Place the card between two neighbours of its column: ``after_id`` None puts it at
        the top of its priority; ``before_id`` None right below ``after_id`` (the board may
        not have built the cards below), or at the bottom when there is no ``after_id``
        either. The neighbours must have the same priority, since priority orders the column
        first. With ``write_id`` it is applied once (see ``IncidentService.create``): a move
        applied already returns the same ``RankMove``, read back from the entry it logged."""
        return sent_once(
            write_id,
            lambda: self._rerank(
                incident_id, after_id, before_id, expected_version, actor_id, write_id
            ),
        )

    def _rerank(
        self,
        incident_id: int,
        after_id: int | None,
        before_id: int | None,
        expected_version: int,
        actor_id: int | None,
        write_id: str | None,
    ) -> RankMove:
        now = self._clock()
        with self._store.write():
            moved_before = earlier_save(write_id)
            if moved_before is not None and moved_before.record_id is not None:
                logged = m.TimelineEntry.get_by_id(moved_before.record_id)
                ranks = json.loads(logged.details)
                # It checked that the card was at ``expected_version``, and added one.
                return RankMove(incident_id, ranks["old"], ranks["new"], expected_version + 1)
            require(actor_id, Capability.RERANK)
            card = incident_record(incident_id)
            if card.version != expected_version:
                raise EditConflict(self._incidents.get(incident_id))
            if before_id is None and after_id is not None:
                # The board builds the cards of a long column as it is scrolled: one dropped
                # below the last card built goes right below it, above the peer that follows.
                before_id = _peer_below(incident_record(after_id), incident_id)
            neighbours = [
                incident_record(neighbour_id)
                for neighbour_id in (after_id, before_id)
                if neighbour_id is not None
            ]
            if any(other.priority != card.priority for other in neighbours):
                raise NotAllowed(
                    f"{format_key(card.number)} stays among the P{card.priority} incidents: "
                    "priority orders the column first. Change its priority to move it further."
                )
            ranks = {r.id: r.board_rank for r in (card, *neighbours)}
            above, below = _neighbour_ranks(ranks, after_id, before_id)
            new_rank = _rank_between(above, below, card.board_rank)
            if not _strictly_between(above, new_rank, below):
                # Each move into a gap halves it; after ~50 a float has no rank left in it.
                statuses = {card.status, *(r.status for r in neighbours)}
                ranks = _respace(Priority(card.priority), statuses)
                above, below = _neighbour_ranks(ranks, after_id, before_id)
                new_rank = _rank_between(above, below, card.board_rank)
            old_rank = ranks[card.id]
            m.Incident.update(
                board_rank=new_rank, version=m.Incident.version + 1, updated_at=now
            ).where(m.Incident.id == incident_id).execute()
            neighbour = next((r for r in neighbours if r.id == before_id), None)
            place = (
                f"above {format_key(neighbour.number)}"
                if neighbour is not None
                else "to the bottom of its priority"
            )
            entry_id = add_entry(
                incident_id,
                EntryKind.FIELD_CHANGE,
                f"Board position: moved {place}",
                {"field": "board_rank", "old": old_rank, "new": new_rank},
                actor_id,
                now,
                now,
            )
            record_applied(write_id, incident_id, now, record_id=entry_id)
        return RankMove(incident_id, old_rank, new_rank, card.version + 1)

    def undo_rerank(
        self, move: RankMove, actor_id: int | None, *, write_id: str | None = None
    ) -> None:
        """Put the card back where it was, unless someone has moved or edited it since.
        ``write_id`` as for ``rerank``."""
        sent_once(write_id, lambda: self._undo_rerank(move, actor_id, write_id))

    def _undo_rerank(self, move: RankMove, actor_id: int | None, write_id: str | None) -> None:
        now = self._clock()
        with self._store.write():
            if earlier_save(write_id) is not None:
                return
            require(actor_id, Capability.RERANK)
            updated = (
                m.Incident.update(
                    board_rank=move.old_rank, version=m.Incident.version + 1, updated_at=now
                )
                .where((m.Incident.id == move.incident_id) & (m.Incident.version == move.version))
                .execute()
            )
            if updated != 1:
                raise EditConflict(self._incidents.get(move.incident_id))
            add_entry(
                move.incident_id,
                EntryKind.FIELD_CHANGE,
                "Board position: move undone",
                {"field": "board_rank", "old": move.new_rank, "new": move.old_rank},
                actor_id,
                now,
                now,
            )
            record_applied(write_id, move.incident_id, now)

    def undo_status(
        self,
        incident_id: int,
        previous_status: Status,
        previous_milestones: dict[str, datetime | None],
        expected_version: int,
        actor_id: int | None,
        *,
        write_id: str | None = None,
    ) -> None:
        """Take back a status move made on the board a moment ago: the status and milestones
        return to what they were, and the undo itself is logged. ``write_id`` as for
        ``rerank``."""
        sent_once(
            write_id,
            lambda: self._undo_status(
                incident_id,
                previous_status,
                previous_milestones,
                expected_version,
                actor_id,
                write_id,
            ),
        )

    def _undo_status(
        self,
        incident_id: int,
        previous_status: Status,
        previous_milestones: dict[str, datetime | None],
        expected_version: int,
        actor_id: int | None,
        write_id: str | None,
    ) -> None:
        now = self._clock()
        with self._store.write():
            if earlier_save(write_id) is not None:
                return
            record = incident_record(incident_id)
            if record.version != expected_version:
                raise EditConflict(self._incidents.get(incident_id))
            current = Status(record.status)
            # Back among the open incidents, it is no longer a cancelled one (as on reopening).
            cancellation = (
                {"cancel_reason": "", "duplicate_of": None} if previous_status.is_open else {}
            )
            m.Incident.update(
                status=previous_status.value,
                version=m.Incident.version + 1,
                updated_at=now,
                **previous_milestones,
                **cancellation,
            ).where(m.Incident.id == incident_id).execute()
            add_entry(
                incident_id,
                EntryKind.STATUS_CHANGE,
                f"{current.label} → {previous_status.label}: move undone",
                {"from": current.value, "to": previous_status.value, "undo": True},
                actor_id,
                now,
                now,
            )
            record_applied(write_id, incident_id, now)


def _rank_between(above: float | None, below: float | None, current: float) -> float:
    if above is not None and below is not None:
        return (above + below) / 2
    if above is not None:
        return above + RANK_STEP
    if below is not None:
        return below - RANK_STEP
    return current


def _neighbour_ranks(
    ranks: dict[int, float], after_id: int | None, before_id: int | None
) -> tuple[float | None, float | None]:
    return (
        ranks[after_id] if after_id is not None else None,
        ranks[before_id] if before_id is not None else None,
    )


def _strictly_between(above: float | None, rank: float, below: float | None) -> bool:
    return (above is None or above < rank) and (below is None or rank < below)


def _peer_below(after: m.Incident, moving_id: int) -> int | None:
    """The card below ``after`` in its column and priority, other than the one moving."""
    incident = m.Incident
    peer: int | None = (
        incident.select(incident.id)
        .where(
            (incident.status == after.status)
            & (incident.priority == after.priority)
            & (pw.Tuple(incident.board_rank, incident.id) > pw.Tuple(after.board_rank, after.id))
            & (incident.id != moving_id)
        )
        .order_by(incident.board_rank, incident.id)
        .limit(1)
        .scalar()
    )
    return peer


def _respace(priority: Priority, statuses: set[str]) -> dict[int, float]:
    """Space the ranks of one priority in the given columns RANK_STEP apart again, in the
    order they have; the new ranks by incident id."""
    incident = m.Incident
    select = (
        incident.select(incident.id, incident.board_rank)
        .where((incident.priority == priority.value) & incident.status.in_(sorted(statuses)))
        .order_by(incident.board_rank, incident.id)
    )
    ranks: dict[int, float] = {}
    for position, (incident_id, rank) in enumerate(list(select.tuples().iterator()), start=1):
        ranks[incident_id] = position * RANK_STEP
        if rank != ranks[incident_id]:
            incident.update(board_rank=ranks[incident_id]).where(
                incident.id == incident_id
            ).execute()
    return ranks


def _id_slot(position: int) -> str:
    return f"id{position}"


@functools.lru_cache(maxsize=CARD_QUERIES_KEPT)
def _cards_query(count: int) -> PreparedQuery:
    """The cards' query for ``count`` ids, its SQL built once per database: peewee took
    longer to build it for 250 ids (1 ms) than SQLite took to run it."""
    incident = m.Incident

    def build() -> pw.Query:
        assignee = m.User.alias("assignee")
        attachments = m.Attachment.select(pw.fn.COUNT(m.Attachment.id)).where(
            m.Attachment.incident == incident.id
        )
        ids = [slot(_id_slot(position), incident.id) for position in range(count)]
        return (
            incident.select(
                incident.id,
                incident.number,
                incident.title,
                incident.severity,
                incident.priority,
                incident.status,
                incident.board_rank,
                m.Service.name,
                assignee.name,
                m.Team.name,
                incident.escalation_level,
                attachments.alias("attachments"),
                incident.reported_at,
                incident.acknowledged_at,
                incident.recovered_at,
                incident.postmortem_at,
                incident.closed_at,
                incident.cancelled_at,
                incident.version,
                pw.Case(
                    None,
                    [(incident.source_kind == SourceKind.MONITORING.value, incident.source_name)],
                    "",
                ),
            )
            .join_from(incident, m.Service, pw.JOIN.LEFT_OUTER)
            .join_from(incident, assignee, pw.JOIN.LEFT_OUTER, on=incident.assignee == assignee.id)
            .join_from(incident, m.Team, pw.JOIN.LEFT_OUTER)
            .where(incident.id.in_(ids))
        )

    return PreparedQuery(incident, build)


def milestones_of(card: BoardCard) -> dict[str, datetime | None]:
    """The milestones a status move may set, as they are on ``card``; for undo."""
    return {
        "acknowledged_at": card.acknowledged_at,
        "recovered_at": card.recovered_at,
        "postmortem_at": card.postmortem_at,
        "closed_at": card.closed_at,
        "cancelled_at": card.cancelled_at,
    }
