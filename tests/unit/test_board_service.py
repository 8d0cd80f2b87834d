"""The board service on both engines: columns, ranking by hand, undo, and the steps a drop
between two columns stands for."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from incidentdesk.domain.enums import EntryKind, Priority, Severity, Status, Urgency
from incidentdesk.domain.incident import Incident
from incidentdesk.domain.lifecycle import Step
from incidentdesk.services import board as board_module
from incidentdesk.services.board import (
    BOARD_STATUSES,
    BoardCard,
    milestones_of,
    step_between,
    why_not_between,
)
from incidentdesk.services.desk import Desk
from incidentdesk.services.errors import EditConflict, NotAllowed, NotFound
from incidentdesk.services.incidents import RANK_STEP, IncidentQuery
from incidentdesk.services.lifecycle import StepRequest
from incidentdesk.storage import models as m
from tests.conftest import FIXED_NOW, LoseReplies
from tests.factories import make_draft

REPORTED = FIXED_NOW - timedelta(hours=2)


@pytest.fixture
def clocked(desk: Desk) -> Desk:
    """The same database, with services whose clock ticks a second per reading from FIXED_NOW
    (so that every change has its own ``updated_at``)."""
    ticks = iter(range(1_000_000))
    return Desk(desk.store, desk.actor_id, clock=lambda: FIXED_NOW + timedelta(seconds=next(ticks)))


Log = Callable[..., Incident]


@pytest.fixture
def log(clocked: Desk) -> Log:
    """Log an incident and walk it to ``status``; ``severity`` and ``urgency`` set its
    priority (severity + urgency - 1 in the default matrix)."""

    def make(
        title: str,
        status: Status = Status.LOGGED,
        severity: Severity = Severity.SEV3,
        urgency: Urgency = Urgency.HIGH,
        **changes: object,
    ) -> Incident:
        draft = make_draft(
            title=title, severity=severity, urgency=urgency, reported_at=REPORTED, **changes
        )
        incident = clocked.incidents.create(draft, clocked.actor_id)
        path = {
            Status.LOGGED: [],
            Status.TRIAGED: [Step.TRIAGE],
            Status.INVESTIGATING: [Step.ACKNOWLEDGE],
            Status.RECOVERED: [Step.ACKNOWLEDGE, Step.RECOVER],
            Status.POSTMORTEM: [Step.ACKNOWLEDGE, Step.RECOVER, Step.START_POSTMORTEM],
            Status.CLOSED: [Step.ACKNOWLEDGE, Step.RECOVER, Step.CLOSE],
            Status.CANCELLED: [Step.CANCEL],
        }[status]
        for step in path:
            note = "Fixed" if step in (Step.RECOVER, Step.CANCEL) else ""
            incident = clocked.lifecycle.take(incident.id, StepRequest(step, note=note), None)
        assert incident.status is status
        return incident

    return make


def board_cards(
    desk: Desk, query: IncidentQuery, include_finished: bool = False
) -> dict[Status, list[BoardCard]]:
    """The cards the board builds first, by column."""
    columns = desk.board.columns(query, include_finished)
    return {status: column.cards for status, column in columns.items()}


def column(desk: Desk, status: Status, query: IncidentQuery | None = None) -> list[str]:
    return [card.title for card in board_cards(desk, query or IncidentQuery())[status]]


def record(incident_id: int) -> m.Incident:
    return m.Incident.get_by_id(incident_id)


# Columns


def test_every_open_status_has_a_column_ordered_by_priority_then_rank(
    clocked: Desk, log: Log
) -> None:
    log("minor logged", severity=Severity.SEV5, urgency=Urgency.LOW)  # P5
    log("urgent logged", severity=Severity.SEV2)  # P2
    log("middle logged", urgency=Urgency.MEDIUM)  # P4
    log("second urgent logged", severity=Severity.SEV2)  # P2, ranked after the first
    log("investigating", Status.INVESTIGATING)
    log("recovered", Status.RECOVERED, severity=Severity.SEV4)
    log("in postmortem", Status.POSTMORTEM)
    log("closed", Status.CLOSED, severity=Severity.SEV4)
    log("cancelled", Status.CANCELLED)

    columns = board_cards(clocked, IncidentQuery())
    assert set(columns) == set(BOARD_STATUSES)
    assert [card.title for card in columns[Status.LOGGED]] == [
        "urgent logged",
        "second urgent logged",
        "middle logged",
        "minor logged",
    ]
    assert [card.priority for card in columns[Status.LOGGED]] == [
        Priority.P2,
        Priority.P2,
        Priority.P4,
        Priority.P5,
    ]
    assert column(clocked, Status.TRIAGED) == []
    assert column(clocked, Status.INVESTIGATING) == ["investigating"]
    assert column(clocked, Status.RECOVERED) == ["recovered"]
    assert column(clocked, Status.POSTMORTEM) == ["in postmortem"]
    every_card = [card for cards in columns.values() for card in cards]
    assert all(card.status.is_open for card in every_card)


def test_a_card_carries_what_it_shows(clocked: Desk, log: Log) -> None:
    team = clocked.catalog.create_team("Payments")
    service = clocked.catalog.create_service("Payments API", team)
    person = clocked.catalog.create_person("Rosa Lindqvist", "rosa", team_id=team)
    incident = log(
        "Card fields",
        Status.RECOVERED,
        severity=Severity.SEV2,
        service_id=service,
        team_id=team,
        assignee_id=person,
    )
    [card] = board_cards(clocked, IncidentQuery())[Status.RECOVERED]
    assert card.id == incident.id
    assert card.key == incident.key == f"INC-{incident.number}"
    assert (card.severity, card.priority) == (Severity.SEV2, Priority.P2)
    assert (card.service_name, card.assignee_name, card.team_name) == (
        "Payments API",
        "Rosa Lindqvist",
        "Payments",
    )
    assert card.attachments == 0
    assert card.reported_at == REPORTED
    assert card.acknowledged_at is not None
    assert card.recovered_at is not None
    assert card.postmortem_at is None
    assert card.version == incident.version
    assert milestones_of(card) == {
        "acknowledged_at": card.acknowledged_at,
        "recovered_at": card.recovered_at,
        "postmortem_at": card.postmortem_at,
        "closed_at": None,
        "cancelled_at": None,
    }


def test_filters_narrow_every_column(clocked: Desk, log: Log) -> None:
    billing = clocked.catalog.create_service("Billing")
    search = clocked.catalog.create_service("Search")
    log("Invoices not sent", severity=Severity.SEV2, service_id=billing)
    log("Invoices delayed", Status.INVESTIGATING, severity=Severity.SEV2, service_id=billing)
    log("Invoices wrong total", Status.INVESTIGATING, severity=Severity.SEV3, service_id=billing)
    log("Invoices search slow", Status.INVESTIGATING, severity=Severity.SEV2, service_id=search)
    log("Login slow", Status.INVESTIGATING, severity=Severity.SEV2, service_id=billing)

    query = IncidentQuery(
        text="invoices",
        severities=frozenset({Severity.SEV2}),
        service_ids=frozenset({billing}),
    )
    columns = board_cards(clocked, query)
    assert [card.title for card in columns[Status.LOGGED]] == ["Invoices not sent"]
    assert [card.title for card in columns[Status.INVESTIGATING]] == ["Invoices delayed"]
    assert all(columns[status] == [] for status in (Status.TRIAGED, Status.RECOVERED))


def test_a_key_finds_its_card_only_while_it_is_open(clocked: Desk, log: Log) -> None:
    open_one = log("Still open", Status.TRIAGED)
    closed = log("Done", Status.CLOSED, severity=Severity.SEV4)
    columns = board_cards(clocked, IncidentQuery(text=open_one.key))
    assert [card.id for cards in columns.values() for card in cards] == [open_one.id]
    columns = board_cards(clocked, IncidentQuery(text=closed.key))
    assert [card for cards in columns.values() for card in cards] == []
    columns = board_cards(clocked, IncidentQuery(text=closed.key), include_finished=True)
    assert [card.id for card in columns[Status.CLOSED]] == [closed.id]


def test_finished_columns_show_the_latest_closed_and_cancelled(
    clocked: Desk, log: Log, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(board_module, "FINISHED_SHOWN", 2)
    for name in ("first", "second", "third"):
        log(f"closed {name}", Status.CLOSED, severity=Severity.SEV4)
    log("cancelled", Status.CANCELLED)
    log("open", Status.INVESTIGATING)

    assert Status.CLOSED not in board_cards(clocked, IncidentQuery())
    columns = board_cards(clocked, IncidentQuery(), include_finished=True)
    assert [card.title for card in columns[Status.CLOSED]] == ["closed third", "closed second"]
    assert [card.title for card in columns[Status.CANCELLED]] == ["cancelled"]
    assert [card.title for card in columns[Status.INVESTIGATING]] == ["open"]


def test_a_long_column_has_every_id_and_builds_the_first_cards(
    clocked: Desk, log: Log, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(board_module, "FIRST_CARDS", 2)
    titles = ["urgent", "a", "b", "c", "d"]
    incidents = [log(titles[0], Status.INVESTIGATING, severity=Severity.SEV2)]
    incidents += [log(title, Status.INVESTIGATING) for title in titles[1:]]
    log("logged", Status.LOGGED)

    columns = clocked.board.columns(IncidentQuery())
    investigating = columns[Status.INVESTIGATING]
    assert investigating.ids == [incident.id for incident in incidents]
    assert [card.title for card in investigating.cards] == ["urgent", "a"]
    assert [card.title for card in columns[Status.LOGGED].cards] == ["logged"]
    # A refresh builds as many as the board shows already.
    loaded = {Status.INVESTIGATING: 4}
    again = clocked.board.columns(IncidentQuery(), loaded=loaded)[Status.INVESTIGATING]
    assert [card.title for card in again.cards] == titles[:4]
    # The rest as the column scrolls, in the order asked for; a deleted one is left out.
    rest = investigating.ids[2:]
    m.Incident.delete_by_id(rest[1])
    assert [card.title for card in clocked.board.cards_of(rest)] == ["b", "d"]
    assert clocked.board.cards_of([]) == []


def test_cards_asked_for_by_as_many_ids_are_those_ids_cards(clocked: Desk, log: Log) -> None:
    # The cards' query is built once for each number of ids; the ids change every time.
    a, b, c, d = (log(title, Status.TRIAGED) for title in "abcd")
    assert [card.title for card in clocked.board.cards_of([a.id, b.id])] == ["a", "b"]
    assert [card.title for card in clocked.board.cards_of([d.id, c.id])] == ["d", "c"]
    assert [card.title for card in clocked.board.cards_of([c.id, a.id, d.id])] == ["c", "a", "d"]


def test_the_column_ids_follow_the_filters(clocked: Desk, log: Log) -> None:
    log("Checkout fails", Status.TRIAGED)
    log("Invoices late", Status.TRIAGED)
    columns = clocked.board.columns(IncidentQuery(text="checkout"))
    assert [len(columns[status].ids) for status in BOARD_STATUSES] == [0, 1, 0, 0, 0]
    assert [card.title for card in columns[Status.TRIAGED].cards] == ["Checkout fails"]


# Ranking by hand


@pytest.fixture
def four(log: Log) -> list[Incident]:
    """Four P3 incidents being investigated, ranked a, b, c, d, and a P2 one above them."""
    log("urgent", Status.INVESTIGATING, severity=Severity.SEV2)
    return [log(name, Status.INVESTIGATING) for name in "abcd"]


def test_rerank_places_a_card_between_two_neighbours(clocked: Desk, four: list[Incident]) -> None:
    a, b, c, d = four
    rank_before = record(d.id).board_rank
    move = clocked.board.rerank(d.id, a.id, b.id, d.version, clocked.actor_id)
    assert column(clocked, Status.INVESTIGATING) == ["urgent", "a", "d", "b", "c"]
    assert (move.incident_id, move.old_rank) == (d.id, rank_before)
    assert record(a.id).board_rank < move.new_rank < record(b.id).board_rank
    assert record(d.id).board_rank == move.new_rank
    assert move.version == d.version + 1 == record(d.id).version
    entry = clocked.timeline.entries(d.id)[-1]
    assert entry.kind is EntryKind.FIELD_CHANGE
    assert entry.body == f"Board position: moved above {b.key}"
    assert entry.details == {"field": "board_rank", "old": move.old_rank, "new": move.new_rank}
    assert entry.author_name == "tester"
    # The neighbours are untouched.
    assert [record(i.id).version for i in (a, b, c)] == [a.version, b.version, c.version]


def test_rerank_to_the_top_and_to_the_bottom_of_a_priority(
    clocked: Desk, four: list[Incident]
) -> None:
    a, _, c, d = four
    clocked.board.rerank(c.id, None, a.id, c.version, clocked.actor_id)
    assert column(clocked, Status.INVESTIGATING) == ["urgent", "c", "a", "b", "d"]
    assert clocked.timeline.entries(c.id)[-1].body == f"Board position: moved above {a.key}"
    clocked.board.rerank(a.id, d.id, None, a.version, clocked.actor_id)
    assert column(clocked, Status.INVESTIGATING) == ["urgent", "c", "b", "d", "a"]
    assert clocked.timeline.entries(a.id)[-1].body == (
        "Board position: moved to the bottom of its priority"
    )


def test_a_card_dropped_below_the_last_one_built_goes_right_below_it(
    clocked: Desk, four: list[Incident]
) -> None:
    """The board builds a long column's cards as it scrolls: a drop below the last card it
    built names no card below, and the card lands above the peer that follows."""
    a, b, _, d = four
    clocked.board.rerank(d.id, a.id, None, d.version, clocked.actor_id)
    assert column(clocked, Status.INVESTIGATING) == ["urgent", "a", "d", "b", "c"]
    assert clocked.timeline.entries(d.id)[-1].body == f"Board position: moved above {b.key}"


def test_a_rerank_among_another_priority_is_refused(
    clocked: Desk, log: Log, four: list[Incident]
) -> None:
    a, _, _, d = four
    urgent = board_cards(clocked, IncidentQuery())[Status.INVESTIGATING][0]
    entries = len(clocked.timeline.entries(d.id))
    with pytest.raises(NotAllowed, match="stays among the P3 incidents"):
        clocked.board.rerank(d.id, None, urgent.id, d.version, clocked.actor_id)
    with pytest.raises(NotAllowed, match="stays among the P3 incidents"):
        clocked.board.rerank(d.id, urgent.id, a.id, d.version, clocked.actor_id)
    assert record(d.id).version == d.version
    assert len(clocked.timeline.entries(d.id)) == entries
    assert column(clocked, Status.INVESTIGATING) == ["urgent", "a", "b", "c", "d"]


def test_a_stale_rerank_is_a_conflict_and_a_missing_card_is_not_found(
    clocked: Desk, four: list[Incident]
) -> None:
    a, b, _, d = four
    clocked.board.rerank(d.id, None, a.id, d.version, clocked.actor_id)
    with pytest.raises(EditConflict) as conflict:
        clocked.board.rerank(d.id, a.id, b.id, d.version, clocked.actor_id)  # the version before
    assert conflict.value.current.version == d.version + 1
    assert column(clocked, Status.INVESTIGATING) == ["urgent", "d", "a", "b", "c"]
    with pytest.raises(NotFound):
        clocked.board.rerank(99_999, None, None, 1, clocked.actor_id)
    with pytest.raises(NotFound):
        clocked.board.rerank(d.id, 99_999, None, d.version + 1, clocked.actor_id)


def test_undo_rerank_puts_the_card_back_unless_it_changed_since(
    clocked: Desk, four: list[Incident]
) -> None:
    a, b, _, d = four
    move = clocked.board.rerank(d.id, a.id, b.id, d.version, clocked.actor_id)
    clocked.board.undo_rerank(move, clocked.actor_id)
    assert column(clocked, Status.INVESTIGATING) == ["urgent", "a", "b", "c", "d"]
    assert record(d.id).board_rank == move.old_rank
    assert record(d.id).version == move.version + 1
    entry = clocked.timeline.entries(d.id)[-1]
    assert entry.body == "Board position: move undone"
    assert entry.details == {"field": "board_rank", "old": move.new_rank, "new": move.old_rank}

    again = clocked.board.rerank(d.id, a.id, b.id, move.version + 1, clocked.actor_id)
    current = clocked.incidents.get(d.id)
    clocked.incidents.update(
        d.id, replace(current.draft, title="d renamed"), current.version, None, base=current.draft
    )
    with pytest.raises(EditConflict):
        clocked.board.undo_rerank(again, clocked.actor_id)
    assert column(clocked, Status.INVESTIGATING) == ["urgent", "a", "d renamed", "b", "c"]


def test_undo_status_restores_the_status_and_its_milestones(clocked: Desk, log: Log) -> None:
    incident = log("Walked back", Status.INVESTIGATING)
    [card] = board_cards(clocked, IncidentQuery())[Status.INVESTIGATING]
    recovered = clocked.lifecycle.take(incident.id, StepRequest(Step.RECOVER, note="Fixed"), None)
    assert recovered.milestones.recovered_at is not None
    clocked.board.undo_status(
        incident.id, card.status, milestones_of(card), recovered.version, clocked.actor_id
    )
    back = clocked.incidents.get(incident.id)
    assert back.status is Status.INVESTIGATING
    assert back.milestones.recovered_at is None
    assert back.milestones.acknowledged_at == card.acknowledged_at
    assert back.version == recovered.version + 1
    entry = clocked.timeline.entries(incident.id)[-1]
    assert entry.kind is EntryKind.STATUS_CHANGE
    assert entry.body == "Recovered → Investigating: move undone"
    assert entry.details == {"from": "recovered", "to": "investigating", "undo": True}
    with pytest.raises(EditConflict):
        clocked.board.undo_status(
            incident.id, Status.LOGGED, milestones_of(card), recovered.version, None
        )
    assert clocked.incidents.get(incident.id).status is Status.INVESTIGATING


def test_repeated_moves_into_the_same_gap_keep_their_order(
    clocked: Desk, four: list[Incident]
) -> None:
    """Each move into a gap halves it; a float runs out of halves after ~50 moves, and then
    the new rank equals a neighbour's and the card lands in the wrong place."""
    a, b, c, _ = four
    moving, other = c, b
    for _ in range(70):
        before = column(clocked, Status.INVESTIGATING)
        version = record(moving.id).version
        move = clocked.board.rerank(moving.id, a.id, other.id, version, clocked.actor_id)
        order = column(clocked, Status.INVESTIGATING)
        assert order[1:3] == ["a", moving.title], order
        moving, other = other, moving
    ranks = [card.rank for card in board_cards(clocked, IncidentQuery())[Status.INVESTIGATING]]
    assert ranks[1:] == sorted(set(ranks[1:]))  # distinct again
    clocked.board.undo_rerank(move, clocked.actor_id)
    assert column(clocked, Status.INVESTIGATING) == before


def test_a_move_into_a_used_up_gap_spaces_the_ranks_out_and_can_be_undone(
    clocked: Desk, four: list[Incident]
) -> None:
    a, b, c, d = four
    next_float = math.nextafter(record(a.id).board_rank, math.inf)
    m.Incident.update(board_rank=next_float).where(m.Incident.id == b.id).execute()
    before = column(clocked, Status.INVESTIGATING)
    assert before == ["urgent", "a", "b", "c", "d"]
    move = clocked.board.rerank(d.id, a.id, b.id, d.version, clocked.actor_id)
    assert column(clocked, Status.INVESTIGATING) == ["urgent", "a", "d", "b", "c"]
    ranks = {incident.title: record(incident.id).board_rank for incident in four}
    assert ranks["a"] < ranks["d"] < ranks["b"] < ranks["c"]
    assert (ranks["a"], ranks["b"], ranks["c"]) == (RANK_STEP, 2 * RANK_STEP, 3 * RANK_STEP)
    assert move.old_rank == 4 * RANK_STEP  # where d was, counted as the ranks are now
    assert record(c.id).version == c.version  # spacing out is not an edit
    clocked.board.undo_rerank(move, clocked.actor_id)
    assert column(clocked, Status.INVESTIGATING) == before


def test_random_moves_keep_the_order_the_person_asked_for(
    clocked: Desk, log: Log, four: list[Incident]
) -> None:
    cards = [*four, log("e", Status.INVESTIGATING), log("f", Status.INVESTIGATING)]
    expected = [card.title for card in cards]
    by_title = {card.title: card.id for card in cards}
    chooser = random.Random(20261127)
    for _ in range(80):
        title = chooser.choice(expected)
        others = [other for other in expected if other != title]
        place = chooser.randrange(len(others) + 1)
        after = by_title[others[place - 1]] if place > 0 else None
        before = by_title[others[place]] if place < len(others) else None
        version = record(by_title[title]).version
        clocked.board.rerank(by_title[title], after, before, version, clocked.actor_id)
        expected = [*others[:place], title, *others[place:]]
        assert column(clocked, Status.INVESTIGATING)[1:] == expected


# The steps a drop stands for


@pytest.mark.parametrize(
    ("source", "target", "step"),
    [
        (Status.LOGGED, Status.TRIAGED, Step.TRIAGE),
        (Status.LOGGED, Status.INVESTIGATING, Step.ACKNOWLEDGE),
        (Status.TRIAGED, Status.INVESTIGATING, Step.ACKNOWLEDGE),
        (Status.LOGGED, Status.RECOVERED, Step.RECOVER),
        (Status.INVESTIGATING, Status.RECOVERED, Step.RECOVER),
        (Status.RECOVERED, Status.POSTMORTEM, Step.START_POSTMORTEM),
        (Status.RECOVERED, Status.CLOSED, Step.CLOSE),
        (Status.POSTMORTEM, Status.CLOSED, Step.CLOSE),
        (Status.RECOVERED, Status.INVESTIGATING, Step.REOPEN),
        (Status.CLOSED, Status.INVESTIGATING, Step.REOPEN),
        (Status.INVESTIGATING, Status.CANCELLED, Step.CANCEL),
        (Status.INVESTIGATING, Status.LOGGED, None),
        (Status.TRIAGED, Status.LOGGED, None),
        (Status.LOGGED, Status.POSTMORTEM, None),
        (Status.POSTMORTEM, Status.RECOVERED, None),
        (Status.CLOSED, Status.TRIAGED, None),
    ],
)
def test_the_step_between_two_columns(source: Status, target: Status, step: Step | None) -> None:
    assert step_between(source, target) is step


def test_why_a_drop_between_two_columns_is_refused() -> None:
    assert why_not_between(Status.INVESTIGATING, Status.LOGGED) == (
        "An incident cannot go back from Investigating to Logged; reopen it from its "
        "workspace if the problem is back."
    )
    assert why_not_between(Status.LOGGED, Status.POSTMORTEM) == (
        "There is no step from Logged to Postmortem."
    )


def test_cards_compare_by_value() -> None:
    card = BoardCard(
        id=1,
        number=1,
        title="t",
        severity=Severity.SEV3,
        priority=Priority.P3,
        status=Status.LOGGED,
        rank=1024.0,
        service_name="",
        assignee_name="",
        team_name="",
        escalation_level=board_module.EscalationLevel.L1,
        attachments=0,
        reported_at=datetime(2026, 1, 1),
        acknowledged_at=None,
        recovered_at=None,
        postmortem_at=None,
        closed_at=None,
        cancelled_at=None,
        version=1,
    )
    assert replace(card) == card
    assert replace(card, title="u") != card


def test_undo_of_a_close_a_cancel_and_a_reopen_restores_the_milestones(
    clocked: Desk, log: Log
) -> None:
    board, lifecycle = clocked.board, clocked.lifecycle

    def card_of(incident: Incident) -> BoardCard:
        columns = board_cards(clocked, IncidentQuery(), include_finished=True)
        return next(card for cards in columns.values() for card in cards if card.id == incident.id)

    minor = log("Minor, recovered", Status.RECOVERED, severity=Severity.SEV4)
    card = card_of(minor)
    closed = lifecycle.take(minor.id, StepRequest(Step.CLOSE), None)
    board.undo_status(minor.id, card.status, milestones_of(card), closed.version, None)
    back = clocked.incidents.get(minor.id)
    assert back.status is Status.RECOVERED
    assert back.milestones == replace(closed.milestones, closed_at=None)

    original = log("The original", Status.INVESTIGATING)
    duplicate = log("A duplicate", Status.INVESTIGATING)
    card = card_of(duplicate)
    cancelled = lifecycle.take(
        duplicate.id,
        StepRequest(Step.CANCEL, note="Same as the other", duplicate_of_number=original.number),
        None,
    )
    assert cancelled.cancel_reason == "Same as the other"
    board.undo_status(duplicate.id, card.status, milestones_of(card), cancelled.version, None)
    back = clocked.incidents.get(duplicate.id)
    assert back.status is Status.INVESTIGATING
    assert back.milestones.cancelled_at is None
    assert back.cancel_reason == ""
    assert record(duplicate.id).duplicate_of_id is None

    finished = log("Closed, then back", Status.CLOSED, severity=Severity.SEV4)
    card = card_of(finished)
    assert card.closed_at is not None
    reopened = lifecycle.take(finished.id, StepRequest(Step.REOPEN, note="Again"), None)
    assert reopened.milestones.closed_at is None
    board.undo_status(finished.id, card.status, milestones_of(card), reopened.version, None)
    back = clocked.incidents.get(finished.id)
    assert back.status is Status.CLOSED
    assert back.milestones == finished.milestones


# Applied once: moves and undos sent again with their write id


def entry_bodies(desk: Desk, incident_id: int) -> list[str]:
    return [entry.body for entry in desk.timeline.entries(incident_id)]


def test_a_rerank_sent_again_with_its_id_returns_the_same_move_once(
    clocked: Desk, four: list[Incident]
) -> None:
    a, b, c, d = four
    move = clocked.board.rerank(d.id, a.id, b.id, d.version, clocked.actor_id, write_id="m")
    # At the version it was shown at, the card has moved since: no conflict with itself.
    again = clocked.board.rerank(d.id, a.id, b.id, d.version, clocked.actor_id, write_id="m")
    assert again == move
    assert record(d.id).version == d.version + 1
    assert entry_bodies(clocked, d.id).count(f"Board position: moved above {b.key}") == 1
    # Another save of that move is checked as ever.
    with pytest.raises(EditConflict):
        clocked.board.rerank(d.id, b.id, c.id, d.version, clocked.actor_id, write_id="other")
    assert column(clocked, Status.INVESTIGATING) == ["urgent", "a", "d", "b", "c"]


def test_a_rerank_whose_reply_was_lost_returns_a_move_that_can_be_undone(
    clocked: Desk, four: list[Incident], lose_replies: LoseReplies
) -> None:
    a, b, _, d = four
    rank_before = record(d.id).board_rank
    lost = lose_replies(clocked, times=1)
    move = clocked.board.rerank(d.id, a.id, b.id, d.version, clocked.actor_id, write_id="m")
    assert lost.count == 1
    assert (move.incident_id, move.old_rank, move.version) == (d.id, rank_before, d.version + 1)
    assert move.new_rank == record(d.id).board_rank
    assert column(clocked, Status.INVESTIGATING) == ["urgent", "a", "d", "b", "c"]
    clocked.board.undo_rerank(move, clocked.actor_id)
    assert column(clocked, Status.INVESTIGATING) == ["urgent", "a", "b", "c", "d"]


def test_an_undone_rerank_sent_again_with_its_id_is_undone_once(
    clocked: Desk, four: list[Incident], lose_replies: LoseReplies
) -> None:
    a, b, _, d = four
    move = clocked.board.rerank(d.id, a.id, b.id, d.version, clocked.actor_id)
    lost = lose_replies(clocked, times=1)
    clocked.board.undo_rerank(move, clocked.actor_id, write_id="undo")
    assert lost.count == 1
    clocked.board.undo_rerank(move, clocked.actor_id, write_id="undo")  # by the person
    assert record(d.id).version == move.version + 1
    assert entry_bodies(clocked, d.id).count("Board position: move undone") == 1
    with pytest.raises(EditConflict):
        clocked.board.undo_rerank(move, clocked.actor_id, write_id="another undo")
    assert column(clocked, Status.INVESTIGATING) == ["urgent", "a", "b", "c", "d"]


def test_an_undone_status_move_sent_again_with_its_id_is_undone_once(
    clocked: Desk, log: Log, lose_replies: LoseReplies
) -> None:
    incident = log("Walked back", Status.INVESTIGATING)
    [card] = board_cards(clocked, IncidentQuery())[Status.INVESTIGATING]
    recovered = clocked.lifecycle.take(incident.id, StepRequest(Step.RECOVER, note="Fixed"), None)
    undo = (incident.id, card.status, milestones_of(card), recovered.version, clocked.actor_id)
    lost = lose_replies(clocked, times=1)
    clocked.board.undo_status(*undo, write_id="undo")
    assert lost.count == 1
    clocked.board.undo_status(*undo, write_id="undo")  # by the person
    back = clocked.incidents.get(incident.id)
    assert (back.status, back.version) == (Status.INVESTIGATING, recovered.version + 1)
    assert entry_bodies(clocked, incident.id).count("Recovered → Investigating: move undone") == 1
    with pytest.raises(EditConflict):
        clocked.board.undo_status(*undo, write_id="another undo")
