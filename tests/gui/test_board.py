"""The priority board: its column models, drag and drop, refused moves, the keyboard, undo,
filters and saved views, and refreshing after another connection changed an incident."""

from __future__ import annotations

import json
import random
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import (
    QByteArray,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QPointF,
    QRect,
    Qt,
)
from PySide6.QtGui import (
    QAccessible,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QPalette,
)
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QListView, QPushButton

from incidentdesk.domain.enums import (
    EntryKind,
    EscalationLevel,
    Priority,
    Role,
    Severity,
    Status,
    Urgency,
)
from incidentdesk.domain.lifecycle import Step
from incidentdesk.domain.timeline import TimelineEntry
from incidentdesk.services import board as board_service
from incidentdesk.services.board import BOARD_STATUSES, BoardCard, ColumnCards
from incidentdesk.services.desk import Desk, current_login, open_desk
from incidentdesk.services.incidents import IncidentQuery
from incidentdesk.services.lifecycle import StepRequest
from incidentdesk.storage import models as m
from incidentdesk.storage.locations import PostgresLocation, SqliteLocation
from incidentdesk.ui import board as board_ui
from incidentdesk.ui import board_page as board_page_module
from incidentdesk.ui import card_delegate, drawn_images
from incidentdesk.ui.board import (
    CARD_MIME_TYPE,
    INCREMENTAL_LIMIT,
    BoardColumn,
    BoardColumnModel,
    BoardGrid,
    unchanged_columns,
)
from incidentdesk.ui.board_page import REFRESH_INTERVAL_MS, BoardPage
from incidentdesk.ui.card_delegate import CARD_ROLE, CardDelegate, CardLook
from incidentdesk.ui.filter_bar import Filters
from incidentdesk.ui.incident_table_model import INCIDENT_ID_ROLE
from incidentdesk.ui.main_window import MainWindow
from incidentdesk.ui.step_dialog import StepDialog
from incidentdesk.ui.tasks import TaskRunner
from tests.conftest import LoseReplies, opened_desk
from tests.factories import make_draft, minutes_ago
from tests.gui.conftest import RecordingDialogs, record_write_ids, sent_twice

# Helpers


def make_card(number: int, priority: int = 3, **changes: object) -> BoardCard:
    card = BoardCard(
        id=number,
        number=number,
        title=f"Card {number}",
        severity=Severity.SEV3,
        priority=Priority(priority),
        status=Status.INVESTIGATING,
        rank=number * 1024.0,
        service_name="Billing",
        assignee_name="Rosa Lindqvist",
        team_name="Payments",
        escalation_level=EscalationLevel.L1,
        attachments=0,
        reported_at=datetime(2026, 11, 27, 9, 0, tzinfo=UTC),
        acknowledged_at=None,
        recovered_at=None,
        postmortem_at=None,
        closed_at=None,
        cancelled_at=None,
        version=1,
    )
    return replace(card, **changes)  # type: ignore[arg-type]


def fill(model: BoardColumnModel, cards: list[BoardCard]) -> None:
    """Give the column exactly these cards, all of them built."""
    model.apply(ColumnCards([card.id for card in cards], cards))


def card_ids(model: BoardColumnModel) -> list[int]:
    return [card.id for card in model.cards()]


class Signals:
    """The structural signals a model emitted, by name, in order."""

    NAMES = ("modelReset", "rowsInserted", "rowsRemoved", "rowsMoved", "dataChanged")

    def __init__(self, model: QObject) -> None:
        self.seen: list[str] = []
        for name in self.NAMES:
            getattr(model, name).connect(lambda *_, name=name: self.seen.append(name))

    def take(self) -> list[str]:
        seen, self.seen = self.seen, []
        return seen


def current_id(view: QListView) -> int | None:
    index = view.currentIndex()
    return index.data(CARD_ROLE).id if index.isValid() else None


def drag_to(view: QListView, mime: QMimeData, position: QPointF) -> bool:
    """Drag ``mime`` over ``view`` and drop it at ``position`` (viewport coordinates) with the
    events the window system sends; False as soon as the view refuses it."""
    viewport = view.viewport()
    # The enter and move events take a QPoint only; the drop event takes the QPointF.
    actions = Qt.DropAction.MoveAction  # what the board's views offer when a card is dragged
    buttons, modifiers = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(position.toPoint(), actions, mime, buttons, modifiers)
    QApplication.sendEvent(viewport, enter)
    if not enter.isAccepted():
        return False
    move = QDragMoveEvent(position.toPoint(), actions, mime, buttons, modifiers)
    QApplication.sendEvent(viewport, move)
    if not move.isAccepted():
        return False
    drop = QDropEvent(position, actions, mime, buttons, modifiers)
    QApplication.sendEvent(viewport, drop)
    return True


def above_row(view: QListView, row: int) -> QPointF:
    """A point on the upper edge of a card: dropping there puts the card before it."""
    rect = view.visualRect(view.model().index(row, 0))
    return QPointF(rect.center().x(), rect.top() + 2)


def below_last(view: QListView) -> QPointF:
    """A point in the empty part of a column, below its last card."""
    count = view.model().rowCount()
    rect = view.visualRect(view.model().index(count - 1, 0))
    assert rect.bottom() + 20 < view.viewport().height(), "the column is full"
    return QPointF(rect.center().x(), rect.bottom() + 20)


# 1. The column model


def test_a_column_refuses_to_move_its_own_rows(qtbot) -> None:
    """A card dropped within its column is a re-rank the board must save: the view first
    asks the model to move the row itself, and only when refused reports the drop."""
    column = BoardColumn(Status.TRIAGED, CardDelegate())
    qtbot.addWidget(column)
    cards = [make_card(n, status=Status.TRIAGED) for n in (1, 2, 3)]
    fill(column.model, cards)
    column.view.setCurrentIndex(column.model.index(2))
    signals = Signals(column.model)
    assert not column.model.moveRows(QModelIndex(), 2, 1, QModelIndex(), 0)
    assert not column.model.moveRow(QModelIndex(), 2, QModelIndex(), 0)
    assert signals.take() == []
    assert card_ids(column.model) == [1, 2, 3]
    assert column.view.currentIndex().row() == 2


def test_a_column_of_one_card_paints_a_band_of_it(qtbot) -> None:
    """A repaint of part of the only card (a menu closing over it) draws that part."""
    column = BoardColumn(Status.POSTMORTEM, CardDelegate())
    qtbot.addWidget(column)
    column.resize(260, 400)
    column.show()
    fill(column.model, [make_card(1, status=Status.POSTMORTEM)])
    qtbot.waitUntil(lambda: column.view.visualRect(column.model.index(0)).isValid())
    card = column.view.visualRect(column.model.index(0))
    band = column.view.viewport().grab(QRect(0, card.top() + 30, card.width(), 20)).toImage()
    colours = {band.pixel(x, 10) for x in range(band.width())}
    assert len(colours) > 1  # the border, the severity stripe and text, not the bare base


def test_column_model_passes_the_model_tester_through_every_kind_of_update(
    qtmodeltester,
) -> None:
    model = BoardColumnModel(Status.INVESTIGATING)
    qtmodeltester.check(model)
    first = [make_card(n) for n in range(1, 7)]
    fill(model, first)
    qtmodeltester.check(model)
    signals = Signals(model)

    # Insert, move, change and remove, one at a time and all at once.
    inserted = [*first[:2], make_card(20), *first[2:]]
    fill(model, inserted)
    moved = [inserted[4], *inserted[:4], *inserted[5:]]
    fill(model, moved)
    changed = [replace(card, title="Renamed") if card.id == 3 else card for card in moved]
    fill(model, changed)
    removed = [card for card in changed if card.id not in (1, 6)]
    fill(model, removed)
    everything = [make_card(30), *reversed(removed[1:]), replace(removed[0], version=2)]
    fill(model, everything)
    qtmodeltester.check(model)
    assert model.cards() == everything
    assert "modelReset" not in signals.seen
    assert {"rowsInserted", "rowsMoved", "dataChanged", "rowsRemoved"} <= set(signals.seen)

    # Random refreshes as others work on the incidents, the model tester watching every signal.
    chooser = random.Random(4)
    numbers = iter(range(100, 10_000))
    for _ in range(200):
        cards = model.cards()
        for _ in range(chooser.randint(1, 4)):
            action = chooser.choice(("insert", "remove", "move", "edit"))
            if (action == "insert" and len(cards) < 40) or not cards:
                cards.insert(chooser.randint(0, len(cards)), make_card(next(numbers)))
            elif action in ("insert", "remove"):
                cards.pop(chooser.randrange(len(cards)))
            elif action == "move":
                card = cards.pop(chooser.randrange(len(cards)))
                cards.insert(chooser.randint(0, len(cards)), card)
            else:
                row = chooser.randrange(len(cards))
                cards[row] = replace(cards[row], title=f"Edited {chooser.random()}")
        before = {
            card.id: QPersistentModelIndex(model.index(row))
            for row, card in enumerate(model.cards())
        }
        fill(model, cards)
        assert model.cards() == cards
        # Every card that stayed is where its persistent index now points.
        for card_id, index in before.items():
            if card_id in card_ids(model):
                assert index.isValid()
                assert index.data(CARD_ROLE).id == card_id
            else:
                assert not index.isValid()
    assert "modelReset" not in signals.seen
    qtmodeltester.check(model)


def test_apply_keeps_the_current_card_when_it_moves_or_a_neighbour_goes(qtbot) -> None:
    column = BoardColumn(Status.INVESTIGATING, CardDelegate())
    qtbot.addWidget(column)
    model, view = column.model, column.view
    cards = [make_card(n) for n in range(1, 6)]
    fill(model, cards)
    view.setCurrentIndex(model.index(2))  # card 3
    signals = Signals(model)

    # Card 3 gets a higher priority and moves to the top, its title changed on the way.
    fill(
        model, [replace(cards[2], priority=Priority.P1, title="Now urgent"), *cards[:2], *cards[3:]]
    )
    assert signals.take() == ["rowsMoved", "dataChanged"]
    assert current_id(view) == 3
    assert view.currentIndex().row() == 0
    assert view.selectionModel().isSelected(view.currentIndex())
    persistent = QPersistentModelIndex(view.currentIndex())

    # A card comes in above it and one below it while a neighbour goes; then one above goes.
    now_urgent, one, two, _, five = model.cards()
    fill(model, [make_card(9), now_urgent, one, make_card(10), two, five])
    assert card_ids(model) == [9, 3, 1, 10, 2, 5]
    assert current_id(view) == 3
    fill(model, [card for card in model.cards() if card.id != 9])
    assert current_id(view) == 3
    assert view.currentIndex().row() == 0
    assert persistent.isValid()
    assert persistent.data(CARD_ROLE).title == "Now urgent"
    assert "modelReset" not in signals.take()
    assert column.header.text() == f"Investigating ({model.rowCount()})"

    # Only the text of a card changes: one dataChanged for its row.
    fill(model, [replace(card, attachments=2) if card.id == 5 else card for card in model.cards()])
    assert signals.take() == ["dataChanged"]
    # Nothing changes: nothing is emitted.
    fill(model, model.cards())
    assert signals.take() == []

    # The current card goes: the view has no current card left.
    fill(model, [card for card in model.cards() if card.id != 3])
    assert current_id(view) != 3
    assert not persistent.isValid()


def test_a_large_change_resets_the_column_and_updates_its_header(qtbot) -> None:
    column = BoardColumn(Status.LOGGED, CardDelegate())
    qtbot.addWidget(column)
    model = column.model
    assert column.header.text() == "Logged (0)"
    signals = Signals(model)
    fill(model, [make_card(n) for n in range(1, 11)])
    assert signals.take() == ["rowsInserted"]  # an empty column is filled, not reset
    assert column.header.text() == "Logged (10)"
    many = [make_card(n) for n in range(100, 100 + INCREMENTAL_LIMIT + 1)]
    fill(model, many)
    assert signals.take() == ["modelReset"]
    assert model.cards() == many
    assert column.header.text() == f"Logged ({INCREMENTAL_LIMIT + 1})"
    fill(model, many[:3])
    assert "modelReset" not in signals.take()
    assert column.header.text() == "Logged (3)"
    fill(model, [])
    assert signals.take() == ["rowsRemoved"] * 3
    assert column.header.text() == "Logged (0)"


def test_a_long_column_asks_for_more_cards_once_and_takes_only_the_ones_that_follow(
    qtbot, qtmodeltester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(board_ui, "MORE_CARDS", 3)
    column = BoardColumn(Status.INVESTIGATING, CardDelegate())
    qtbot.addWidget(column)
    model = column.model
    asked = []
    model.more_wanted.connect(lambda status, ids: asked.append((status, ids)))
    cards = [make_card(n) for n in range(1, 9)]
    model.apply(ColumnCards([card.id for card in cards], cards[:2]))
    assert (model.rowCount(), model.total()) == (2, 8)
    assert column.header.text() == "Investigating (8)"
    assert model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    model.fetchMore(QModelIndex())  # the view asks again while the first answer is on its way
    qtmodeltester.check(model)  # it fetches more too
    assert asked == [(Status.INVESTIGATING, [3, 4, 5])]
    assert model.add_more([3, 4, 5], cards[2:5])
    assert card_ids(model) == [1, 2, 3, 4, 5]
    model.fetchMore(QModelIndex())
    assert asked[-1] == (Status.INVESTIGATING, [6, 7, 8])
    # The column was reloaded meanwhile (card 6 went elsewhere): the answer no longer fits
    # and is dropped; no second request went out while the first was on its way.
    rest = [card for card in cards if card.id != 6]
    model.apply(ColumnCards([card.id for card in rest], rest[:5]))
    model.fetchMore(QModelIndex())
    assert len(asked) == 2
    assert model.add_more([6, 7, 8], [cards[5], cards[6], cards[7]])
    assert card_ids(model) == [1, 2, 3, 4, 5]
    assert column.header.text() == "Investigating (7)"
    # A card deleted before it was built: nothing is added, the board reloads instead.
    model.fetchMore(QModelIndex())
    assert asked[-1] == (Status.INVESTIGATING, [7, 8])
    assert not model.add_more([7, 8], [cards[6]])
    # A read that failed: the view may ask again.
    model.fetchMore(QModelIndex())
    model.more_failed()
    model.fetchMore(QModelIndex())
    assert asked[-2:] == [(Status.INVESTIGATING, [7, 8])] * 2
    assert model.add_more([7, 8], cards[6:])
    assert not model.canFetchMore(QModelIndex())
    qtmodeltester.check(model)


def test_cards_have_accessible_text_and_drag_as_cards(qtbot) -> None:
    model = BoardColumnModel(Status.TRIAGED)
    card = make_card(
        42, 2, title="Checkout fails for PayPal", severity=Severity.SEV2, status=Status.TRIAGED
    )
    fill(model, [card, make_card(43, assignee_name="", service_name="", status=Status.TRIAGED)])
    index = model.index(0)
    text = index.data(Qt.ItemDataRole.AccessibleTextRole)
    for part in ("INC-42", "SEV2", "P2", "Checkout fails for PayPal", "Billing", "Rosa Lindqvist"):
        assert part in text
    assert "nobody" in model.index(1).data(Qt.ItemDataRole.AccessibleTextRole)
    assert "No service" in model.index(1).data(Qt.ItemDataRole.AccessibleTextRole)
    assert "Major" in index.data(Qt.ItemDataRole.ToolTipRole)
    assert index.data(CARD_ROLE) is card
    assert model.index(5).data(CARD_ROLE) is None
    flags = model.flags(index)
    assert flags & Qt.ItemFlag.ItemIsDragEnabled
    assert not flags & Qt.ItemFlag.ItemIsDropEnabled  # drops go between cards, not on them
    assert model.flags(QModelIndex()) & Qt.ItemFlag.ItemIsDropEnabled

    mime = model.mimeData([index])
    assert model.mimeTypes() == [CARD_MIME_TYPE]
    payload = json.loads(bytes(mime.data(CARD_MIME_TYPE).data()))
    assert (payload["id"], payload["status"]) == (42, "triaged")
    action = Qt.DropAction.MoveAction
    assert model.canDropMimeData(mime, action, 0, 0, QModelIndex())
    assert not model.canDropMimeData(mime, action, -1, -1, index)
    text_only = QMimeData()
    text_only.setText("INC-42")
    assert not model.canDropMimeData(text_only, action, 0, 0, QModelIndex())
    assert not model.mimeData([]).hasFormat(CARD_MIME_TYPE)


# 2. The board page on each engine

# (title, status, severity, urgency): the priority is severity + urgency - 1.
BOARD = (
    ("Logged A", Status.LOGGED, Severity.SEV3, Urgency.HIGH),  # P3
    ("Logged B", Status.LOGGED, Severity.SEV3, Urgency.HIGH),  # P3
    ("Logged low", Status.LOGGED, Severity.SEV3, Urgency.MEDIUM),  # P4
    ("Triaged A", Status.TRIAGED, Severity.SEV4, Urgency.MEDIUM),  # P5
    ("Investigating urgent", Status.INVESTIGATING, Severity.SEV2, Urgency.HIGH),  # P2
    ("Investigating A", Status.INVESTIGATING, Severity.SEV3, Urgency.HIGH),  # P3
    ("Investigating B", Status.INVESTIGATING, Severity.SEV3, Urgency.HIGH),  # P3
    ("Investigating C", Status.INVESTIGATING, Severity.SEV3, Urgency.HIGH),  # P3
    ("Investigating low", Status.INVESTIGATING, Severity.SEV3, Urgency.MEDIUM),  # P4
    ("Recovered minor", Status.RECOVERED, Severity.SEV4, Urgency.MEDIUM),  # P5
    ("Recovered major", Status.RECOVERED, Severity.SEV2, Urgency.HIGH),  # P2
    ("Postmortem minor", Status.POSTMORTEM, Severity.SEV4, Urgency.MEDIUM),  # P5
)
PATHS = {
    Status.LOGGED: [],
    Status.TRIAGED: [Step.TRIAGE],
    Status.INVESTIGATING: [Step.ACKNOWLEDGE],
    Status.RECOVERED: [Step.ACKNOWLEDGE, Step.RECOVER],
    Status.POSTMORTEM: [Step.ACKNOWLEDGE, Step.RECOVER, Step.START_POSTMORTEM],
}


def fill_board(desk: Desk) -> dict[str, int]:
    ids = {}
    for title, status, severity, urgency in BOARD:
        incident = desk.incidents.create(
            make_draft(title=title, severity=severity, urgency=urgency), desk.actor_id
        )
        for step in PATHS[status]:
            note = "Restarted it" if step is Step.RECOVER else ""
            # Answered a few minutes ago: the step dialog's time has whole minutes only, and
            # recovery cannot be dated before the first response.
            at = minutes_ago(5) if step in (Step.TRIAGE, Step.ACKNOWLEDGE) else None
            desk.lifecycle.take(incident.id, StepRequest(step, at, note), desk.actor_id)
        ids[title] = incident.id
    return ids


@dataclass
class Board:
    page: BoardPage
    desk: Desk
    ids: dict[str, int]

    def model(self, status: Status) -> BoardColumnModel:
        return self.page.grid.columns[status].model

    def view(self, status: Status) -> QListView:
        return self.page.grid.columns[status].view

    def shown(self, status: Status) -> list[str]:
        return [card.title for card in self.model(status).cards()]

    def stored(self, status: Status) -> list[str]:
        return [card.title for card in self.desk.board.columns(IncidentQuery())[status].cards]

    def everything_shown(self) -> dict[Status, list[str]]:
        return {status: self.shown(status) for status in BOARD_STATUSES}

    def everything_stored(self) -> dict[Status, list[str]]:
        return {status: self.stored(status) for status in BOARD_STATUSES}

    def status_of(self, title: str) -> Status:
        return self.desk.incidents.get(self.ids[title]).status

    def key(self, title: str) -> str:
        return self.desk.incidents.get(self.ids[title]).key

    def last_entry(self, title: str) -> TimelineEntry:
        return self.desk.timeline.entries(self.ids[title])[-1]

    def snapshot(self) -> dict[str, tuple[str, int, float, int]]:
        """Status, version, rank and number of timeline entries of every incident."""
        return {
            title: (
                record.status,
                record.version,
                record.board_rank,
                len(self.desk.timeline.entries(incident_id)),
            )
            for title, incident_id in self.ids.items()
            for record in [m.Incident.get_by_id(incident_id)]
        }

    def mime(self, title: str) -> QMimeData:
        """What dragging the card ``title`` carries, from the column it is in."""
        for status in Status:
            model = self.model(status)
            row = model.row_of(self.ids[title])
            if row is not None:
                return model.mimeData([model.index(row)])
        raise AssertionError(f"{title} is not on the board")

    def drop(self, title: str, target: Status, row: int) -> bool:
        """Drop the card on ``target`` before ``row`` (-1: at the end) through the model."""
        mime = self.mime(title)
        return self.model(target).dropMimeData(
            mime, Qt.DropAction.MoveAction, row, 0, QModelIndex()
        )


@pytest.fixture
def board_desk(database_address: str) -> Iterator[Desk]:
    with opened_desk(database_address) as desk:
        yield desk


@pytest.fixture
def board(qtbot, board_desk: Desk, runner: TaskRunner, dialogs: RecordingDialogs) -> Board:
    """A board page, shown, on a database with the incidents of BOARD (on each engine)."""
    ids = fill_board(board_desk)
    page = BoardPage(runner, dialogs)
    qtbot.addWidget(page)
    page.resize(1400, 900)
    page.show()
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        runner.use(board_desk)
        page.set_desk(board_desk)
    return Board(page, board_desk, ids)


def test_the_board_shows_a_column_per_open_status_ranked_by_priority(board: Board) -> None:
    grid = board.page.grid
    assert [column.status for column in grid.visible_columns()] == list(BOARD_STATUSES)
    assert board.everything_shown() == board.everything_stored()
    assert board.shown(Status.INVESTIGATING) == [
        "Investigating urgent",
        "Investigating A",
        "Investigating B",
        "Investigating C",
        "Investigating low",
    ]
    assert board.shown(Status.RECOVERED) == ["Recovered major", "Recovered minor"]
    headers = [column.header.text() for column in grid.visible_columns()]
    assert headers == [
        "Logged (3)",
        "Triaged (1)",
        "Investigating (5)",
        "Recovered (2)",
        "Postmortem (1)",
    ]
    assert board.view(Status.LOGGED).accessibleName() == "Logged incidents"
    assert board.page.grid.show_finished.isChecked() is False


def test_a_long_column_builds_its_cards_as_they_come_into_view(
    qtbot, board_desk: Desk, runner: TaskRunner, dialogs: RecordingDialogs, monkeypatch
) -> None:
    monkeypatch.setattr(board_service, "FIRST_CARDS", 2)
    monkeypatch.setattr(board_ui, "MORE_CARDS", 1)
    ids = fill_board(board_desk)
    page = BoardPage(runner, dialogs)
    qtbot.addWidget(page)
    page.resize(1400, 900)
    model = page.grid.columns[Status.INVESTIGATING].model
    asked: list[list[int]] = []
    model.more_wanted.connect(lambda _, more: asked.append(more))
    page.show()
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        runner.use(board_desk)
        page.set_desk(board_desk)
    assert page.grid.columns[Status.INVESTIGATING].header.text() == "Investigating (5)"
    # The column is taller than two cards: the view asks for the next until it is full.
    qtbot.waitUntil(lambda: model.rowCount() == 5)
    investigating = ["Investigating A", "Investigating B", "Investigating C", "Investigating low"]
    expected = ["Investigating urgent", *investigating]
    assert [card.title for card in model.cards()] == expected
    assert asked == [[ids[title]] for title in expected[2:]]
    with qtbot.waitSignal(page.loaded):
        page.refresh()
    assert model.rowCount() == 5  # a refresh builds as many as were shown


def test_more_cards_for_a_scrolled_column_are_drawn_only_as_they_come_into_view(
    qtbot,
    board_desk: Desk,
    runner: TaskRunner,
    dialogs: RecordingDialogs,
    monkeypatch: pytest.MonkeyPatch,
    drawn_on_gui_thread: list[bool],
) -> None:
    """The read thread reads them and draws none: it would draw while the scrolling GUI
    thread draws the cards coming into view, each waiting for the other."""
    monkeypatch.setattr(board_service, "FIRST_CARDS", 2)
    monkeypatch.setattr(board_ui, "MORE_CARDS", 1)
    fill_board(board_desk)
    page = BoardPage(runner, dialogs)
    qtbot.addWidget(page)
    page.resize(1400, 150)  # less than a card high: the column asks for no more by itself
    column = page.grid.columns[Status.INVESTIGATING]
    page.show()
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        runner.use(board_desk)
        page.set_desk(board_desk)
    assert column.model.rowCount() == 2
    drawn_on_gui_thread.clear()
    column.model.fetchMore(QModelIndex())  # as the view does once scrolled to the end
    qtbot.waitUntil(lambda: column.model.rowCount() == 3)
    column.view.scrollToBottom()
    column.view.viewport().repaint()
    assert drawn_on_gui_thread  # the card scrolled into view
    assert all(drawn_on_gui_thread)


def test_a_refresh_draws_the_cards_off_the_gui_thread_and_paints_copies(
    qtbot, board: Board, drawn_on_gui_thread: list[bool]
) -> None:
    page, grid = board.page, board.page.grid
    drawn_on = drawn_on_gui_thread
    qtbot.waitUntil(lambda: all(grid.delegate.look_in(c.view) for c in grid.visible_columns()))
    drawn_on.clear()  # the cards of the first load: drawn as they first painted
    renamed = board.desk.incidents.get(board.ids["Investigating B"])
    board.desk.incidents.update(
        renamed.id,
        replace(renamed.draft, title="Renamed"),
        renamed.version,
        None,
        base=renamed.draft,
    )
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.refresh()
    for column in grid.visible_columns():
        column.view.viewport().repaint()
    # The renamed card was drawn on the read thread (and any whose age moved on meanwhile);
    # the GUI thread only copied images.
    assert drawn_on
    assert not any(drawn_on)
    assert "Renamed" in board.shown(Status.INVESTIGATING)


def test_the_first_load_of_a_shown_board_draws_its_cards_off_the_gui_thread(
    qtbot, board_desk: Desk, runner: TaskRunner, dialogs: RecordingDialogs
) -> None:
    fill_board(board_desk)
    page = BoardPage(runner, dialogs)
    qtbot.addWidget(page)
    page.resize(1400, 900)
    page.show()
    qtbot.waitExposed(page)
    qtbot.waitUntil(page.isActiveWindow)  # its cards are drawn as an active window shows them
    drawn_on: list[bool] = []
    draw = card_delegate.draw_image

    def watched_draw(*arguments: object) -> object:
        drawn_on.append(threading.current_thread() is threading.main_thread())
        return draw(*arguments)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(card_delegate, "draw_image", watched_draw)
        with qtbot.waitSignal(page.loaded, timeout=10_000):
            runner.use(board_desk)
            page.set_desk(board_desk)
        for column in page.grid.visible_columns():
            column.view.viewport().repaint()
    assert drawn_on
    assert not any(drawn_on)  # drawn on the read thread; the first paint only copied them


def test_a_shown_column_expects_the_look_its_first_paint_gives_its_cards(qtbot) -> None:
    column = BoardColumn(Status.LOGGED, CardDelegate())
    qtbot.addWidget(column)
    column.resize(260, 300)
    delegate = column.view.itemDelegate()
    assert delegate.look_in(column.view) is None  # not shown: nothing to expect
    column.show()
    qtbot.waitExposed(column)
    qtbot.waitUntil(column.isActiveWindow)
    expected = delegate.look_in(column.view)
    fill(column.model, [make_card(n) for n in range(1, 4)])
    column.view.viewport().repaint()
    painted = delegate.look_in(column.view)
    assert expected is not None
    assert painted is not None
    assert painted is not expected
    assert expected.key == painted.key


def test_cards_keep_their_width_when_the_scroll_bar_comes_and_goes(qtbot) -> None:
    column = BoardColumn(Status.LOGGED, CardDelegate())
    qtbot.addWidget(column)
    column.resize(260, 300)
    column.show()
    few = [make_card(n) for n in range(1, 3)]
    fill(column.model, few)
    delegate = column.view.itemDelegate()
    qtbot.waitUntil(lambda: delegate.look_in(column.view) is not None)
    first_look = delegate.look_in(column.view)
    assert not column.view.verticalScrollBar().isVisible()
    many = [make_card(n) for n in range(1, 30)]
    fill(column.model, many)
    qtbot.waitUntil(lambda: column.view.verticalScrollBar().isVisible())
    column.view.viewport().repaint()
    assert delegate.look_in(column.view).width == first_look.width


def test_the_drawn_cards_are_kept_within_their_memory_budget(
    qtbot, monkeypatch: pytest.MonkeyPatch
) -> None:
    delegate = CardDelegate()
    look = CardLook(200, 80, 1.0, QPalette(), QFont())
    monkeypatch.setattr(drawn_images, "BYTES_LIMIT", 200 * 80 * 4 * 3)
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    cards = [make_card(n) for n in range(1, 6)]
    drawn = card_delegate.draw_cards(cards, look, {}, now, delegate.has_drawn)
    assert len(drawn) == 5
    assert {(image.width(), image.height()) for image in drawn.values()} == {(200, 80)}
    delegate.add_drawn(drawn)
    keys = list(drawn)
    assert [delegate.has_drawn(key) for key in keys] == [False, False, True, True, True]
    # Drawn already: nothing is drawn again.
    assert card_delegate.draw_cards(cards[2:], look, {}, now, delegate.has_drawn) == {}


def test_a_card_is_drawn_anew_for_another_pixel_ratio_or_colour_group(qtbot) -> None:
    card, now = make_card(1), datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    face = card_delegate.CardFace.of(card, {}, now)
    active = QPalette()
    active.setCurrentColorGroup(QPalette.ColorGroup.Active)
    inactive = QPalette(active)
    inactive.setCurrentColorGroup(QPalette.ColorGroup.Inactive)
    looks = [
        CardLook(200, 80, 1.0, active, QFont()),
        CardLook(200, 80, 2.0, active, QFont()),
        CardLook(200, 80, 1.0, inactive, QFont()),
    ]
    keys = {card_delegate.drawn_key(card, face, False, look) for look in looks}
    assert len(keys) == 3
    sharp = card_delegate.draw_card(card, face, False, looks[1])
    assert (sharp.width(), sharp.height(), sharp.devicePixelRatio()) == (400, 160, 2.0)


def test_changed_columns_are_shown_over_several_passes_and_loaded_comes_last(qtbot) -> None:
    grid = BoardGrid()
    qtbot.addWidget(grid)
    grid.resize(1200, 700)
    grid.show()
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)

    def column(status: Status, count: int, first: int) -> ColumnCards:
        cards = [make_card(first + n, status=status) for n in range(count)]
        return ColumnCards([card.id for card in cards], cards)

    columns = {
        status: column(status, 20, 100 * position)
        for position, status in enumerate(BOARD_STATUSES, start=1)
    }
    done: list[int] = []
    grid.apply(columns, {}, now, lambda: done.append(len(done)))
    # The first column's worth now, the rest in later passes, and done once, with the last.
    shown = [grid.columns[status].model.rowCount() for status in BOARD_STATUSES]
    assert shown[0] == 20
    assert 0 in shown
    assert done == []
    qtbot.waitUntil(lambda: done == [0])
    assert [grid.columns[s].model.rowCount() for s in BOARD_STATUSES] == [20] * 5
    # Nothing changed: shown at once. A newer apply overtakes one still in progress.
    grid.apply(columns, {}, now, lambda: done.append(len(done)))
    assert done == [0, 1]
    others = {
        status: column(status, 20, 100 * position + 50)
        for position, status in enumerate(BOARD_STATUSES, start=1)
    }
    grid.apply(others, {}, now, lambda: done.append(-1))
    grid.apply(columns, {}, now, lambda: done.append(2))
    qtbot.waitUntil(lambda: done[-1] == 2)
    for _ in range(len(BOARD_STATUSES)):  # the overtaken apply's passes, had they gone on
        QApplication.processEvents()
    assert done == [0, 1, 2]
    assert [grid.columns[s].model.rowCount() for s in BOARD_STATUSES] == [20] * 5


def test_more_cards_keep_the_column_where_it_was_scrolled(qtbot) -> None:
    column = BoardColumn(Status.INVESTIGATING, CardDelegate())
    qtbot.addWidget(column)
    column.resize(260, 500)
    column.show()
    cards = [make_card(n) for n in range(1, 601)]
    ids = [card.id for card in cards]
    column.model.apply(ColumnCards(ids, cards[:250]))
    bar = column.view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    bar.setValue(bar.maximum() - 10)
    scrolled = bar.value()
    assert column.model.add_more(ids[250:350], cards[250:350])
    qtbot.waitUntil(lambda: column.view.indexAt(QPoint(10, 10)).isValid())
    QApplication.processEvents()
    assert bar.value() == scrolled
    assert column.model.rowCount() == 350


def test_a_column_found_unchanged_elsewhere_is_compared_again_once_it_changed(qtbot) -> None:
    """The read thread compares a load's cards with those built when it started; a column
    that changed meanwhile (more cards built, a move) is not taken as unchanged."""
    grid = BoardGrid()
    qtbot.addWidget(grid)
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    cards = [make_card(n, status=Status.TRIAGED) for n in range(1, 6)]
    loaded = {Status.TRIAGED: ColumnCards([card.id for card in cards], cards)}
    grid.apply(loaded, {}, now, lambda: None)
    model = grid.columns[Status.TRIAGED].model
    built = grid.built()
    assert unchanged_columns(built, loaded)[Status.TRIAGED] == model.revision
    renamed = [replace(cards[0], title="Renamed"), *cards[1:]]
    assert Status.TRIAGED not in unchanged_columns(
        built, {Status.TRIAGED: ColumnCards(loaded[Status.TRIAGED].ids, renamed)}
    )
    found_unchanged = unchanged_columns(built, loaded)
    # Meanwhile the column changes: the comparison no longer holds, and the load's cards show.
    model.apply(ColumnCards(loaded[Status.TRIAGED].ids, renamed))
    done: list[bool] = []
    grid.apply(loaded, {}, now, lambda: done.append(True), found_unchanged)
    qtbot.waitUntil(lambda: done == [True])
    assert model.card(0).title == cards[0].title


def test_a_refresh_that_would_show_fewer_cards_than_were_built_meanwhile_loads_again(
    qtbot, board: Board, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A column built more cards (scrolled) while a refresh was on its way: that refresh's
    result, built for fewer, would lose the scroll position; the board loads again."""
    monkeypatch.setattr(board_page_module, "FIRST_CARDS", 1)
    page = board.page
    model = page.grid.columns[Status.INVESTIGATING].model
    shown = board.shown(Status.INVESTIGATING)
    asked_for = dict.fromkeys(Status, 1)
    stale = {
        status: ColumnCards(column.ids, column.cards[:1])
        for status, column in board.desk.board.columns(IncidentQuery()).items()
    }
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page._loaded(asked_for, stale, {}, datetime.now(UTC), {}, False, {})
    assert model.rowCount() == len(shown)
    assert board.shown(Status.INVESTIGATING) == shown


def never_fetch(self: board_ui.BoardColumnModel, parent: object) -> None:
    """Qt's request for the next cards, ignored."""


def test_alt_down_on_the_last_card_built_moves_it_below_the_next(
    qtbot, board_desk: Desk, runner: TaskRunner, dialogs: RecordingDialogs, monkeypatch
) -> None:
    monkeypatch.setattr(board_service, "FIRST_CARDS", 3)
    # Built as loaded, no more: on a busy machine Qt may ask for the next cards while the
    # column is still being laid out, and the third card is then not the last one built.
    monkeypatch.setattr(board_ui.BoardColumnModel, "fetchMore", never_fetch)
    ids = fill_board(board_desk)
    page = BoardPage(runner, dialogs)
    qtbot.addWidget(page)
    page.resize(1400, 220)  # two cards high: the third is built but not in view
    page.show()
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        runner.use(board_desk)
        page.set_desk(board_desk)
    model = page.grid.columns[Status.INVESTIGATING].model
    assert [card.title for card in model.cards()] == [
        "Investigating urgent",
        "Investigating A",
        "Investigating B",
    ]
    with qtbot.waitSignal(page.moved, timeout=10_000):
        page.nudge(ids["Investigating B"], +1)
    titles = {incident_id: title for title, incident_id in ids.items()}
    column = board_desk.board.columns(IncidentQuery())[Status.INVESTIGATING]
    assert [titles[i] for i in column.ids][2:4] == ["Investigating C", "Investigating B"]
    assert dialogs.messages == []


def test_dropping_a_card_higher_in_its_column_reranks_it(qtbot, board: Board, idle) -> None:
    page = board.page
    before = board.snapshot()
    board.drop("Investigating A", Status.INVESTIGATING, 2)  # just below itself: where it is
    qtbot.waitUntil(idle)
    assert board.snapshot() == before
    with qtbot.waitSignals([page.moved, page.loaded], timeout=10_000):
        assert board.drop("Investigating C", Status.INVESTIGATING, 1) is False  # the view
        # never removes the row itself: the board redraws from the database
    expected = [
        "Investigating urgent",
        "Investigating C",
        "Investigating A",
        "Investigating B",
        "Investigating low",
    ]
    assert board.stored(Status.INVESTIGATING) == expected
    assert board.shown(Status.INVESTIGATING) == expected
    entry = board.last_entry("Investigating C")
    assert entry.kind is EntryKind.FIELD_CHANGE
    assert entry.body == f"Board position: moved above {board.key('Investigating A')}"
    assert entry.author_name == "tester"

    # To the last place of its priority: dropped just above the first P4 card.
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        board.drop("Investigating A", Status.INVESTIGATING, 4)
    assert board.stored(Status.INVESTIGATING)[1:4] == [
        "Investigating C",
        "Investigating B",
        "Investigating A",
    ]
    assert board.last_entry("Investigating A").body == (
        "Board position: moved to the bottom of its priority"
    )
    assert board.everything_shown() == board.everything_stored()
    assert board.page.message.text() == (
        f"{board.key('Investigating A')} has a new place. Ctrl+Z takes it back."
    )
    assert board.page.grid.columns[Status.INVESTIGATING].header.text() == "Investigating (5)"


def test_dropping_a_card_on_the_next_column_takes_the_lifecycle_step(
    qtbot, board: Board, dialogs: RecordingDialogs
) -> None:
    page = board.page
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        board.drop("Logged A", Status.TRIAGED, 0)
    assert board.status_of("Logged A") is Status.TRIAGED
    entry = board.last_entry("Logged A")
    assert (entry.kind, entry.body) == (EntryKind.STATUS_CHANGE, "Logged → Triaged")
    assert "Logged A" not in board.shown(Status.LOGGED)
    assert "Logged A" in board.shown(Status.TRIAGED)
    assert page.message.text() == f"{board.key('Logged A')} is now Triaged. Ctrl+Z takes it back."
    incident = board.desk.incidents.get(board.ids["Logged A"])
    assert incident.milestones.acknowledged_at is not None  # triage is the first response

    with qtbot.waitSignal(page.loaded, timeout=10_000):
        board.drop("Logged A", Status.INVESTIGATING, -1)
    assert board.status_of("Logged A") is Status.INVESTIGATING
    assert board.last_entry("Logged A").body == "Triaged → Investigating"
    assert board.everything_shown() == board.everything_stored()
    headers = [column.header.text() for column in page.grid.visible_columns()]
    assert headers[:3] == ["Logged (2)", "Triaged (1)", "Investigating (6)"]
    assert dialogs.messages == []


def test_real_drag_events_move_cards_within_and_between_columns(qtbot, board: Board) -> None:
    page = board.page
    investigating = board.view(Status.INVESTIGATING)
    mime = board.mime("Investigating B")  # kept referenced while the events use it
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        assert drag_to(investigating, mime, above_row(investigating, 1))
    assert board.stored(Status.INVESTIGATING)[1:4] == [
        "Investigating B",
        "Investigating A",
        "Investigating C",
    ]
    assert board.shown(Status.INVESTIGATING) == board.stored(Status.INVESTIGATING)

    triaged = board.view(Status.TRIAGED)
    mime = board.mime("Logged B")
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        assert drag_to(triaged, mime, below_last(triaged))
    assert board.status_of("Logged B") is Status.TRIAGED
    assert board.shown(Status.TRIAGED) == ["Logged B", "Triaged A"]  # P3 before P5
    assert board.stored(Status.TRIAGED) == ["Logged B", "Triaged A"]
    assert board.last_entry("Logged B").body == "Logged → Triaged"
    assert board.everything_shown() == board.everything_stored()


# Refused moves


def test_a_backward_move_is_refused_with_the_reason(
    qtbot, board: Board, dialogs: RecordingDialogs, idle
) -> None:
    before, shown = board.snapshot(), board.everything_shown()
    back = (
        "An incident cannot go back from Investigating to Logged; reopen it from its "
        "workspace if the problem is back."
    )
    assert board.drop("Investigating A", Status.LOGGED, 0) is False
    assert dialogs.messages == [("warn", "Move Not Possible", back)]
    assert board.page.message.text() == back

    logged = board.view(Status.LOGGED)
    mime = board.mime("Investigating B")
    assert drag_to(logged, mime, above_row(logged, 0))  # a card: the drop itself is allowed
    assert dialogs.messages[-1] == ("warn", "Move Not Possible", back)

    board.drop("Postmortem minor", Status.TRIAGED, 0)
    assert "cannot go back from Postmortem to Triaged" in board.page.message.text()
    board.drop("Logged A", Status.POSTMORTEM, 0)
    assert board.page.message.text() == "There is no step from Logged to Postmortem."
    assert [kind for kind, _, _ in dialogs.messages] == ["warn"] * 4
    qtbot.waitUntil(idle)
    assert board.snapshot() == before
    assert board.everything_shown() == shown


def test_a_rerank_across_priorities_is_refused(
    qtbot, board: Board, dialogs: RecordingDialogs, idle
) -> None:
    before, shown = board.snapshot(), board.everything_shown()
    board.drop("Investigating low", Status.INVESTIGATING, 0)  # above the P2 card
    low = board.key("Investigating low")
    reason = (
        f"{low} stays among the P4 incidents: priority orders the column first. Change its "
        "priority to move it further."
    )
    assert dialogs.messages == [("warn", "Move Not Possible", reason)]
    assert board.page.message.text() == reason

    investigating = board.view(Status.INVESTIGATING)
    mime = board.mime("Investigating A")
    assert drag_to(investigating, mime, below_last(investigating))  # below the P4 card
    assert board.page.message.text().startswith(
        f"{board.key('Investigating A')} stays among the P3 incidents"
    )
    assert len(dialogs.messages) == 2
    qtbot.waitUntil(idle)
    assert board.snapshot() == before
    assert board.everything_shown() == shown

    # Within its priority the same card moves, and the refusal is no longer shown.
    with qtbot.waitSignal(board.page.loaded, timeout=10_000):
        board.drop("Investigating A", Status.INVESTIGATING, 4)
    assert board.shown(Status.INVESTIGATING)[3] == "Investigating A"
    assert "stays among" not in board.page.message.text()


def test_drops_of_anything_but_a_card_of_this_board_are_refused(
    qtbot, board: Board, dialogs: RecordingDialogs, idle
) -> None:
    before, shown = board.snapshot(), board.everything_shown()
    investigating = board.view(Status.INVESTIGATING)
    model = board.model(Status.INVESTIGATING)
    action = Qt.DropAction.MoveAction

    text = QMimeData()
    text.setText(f"{board.key('Investigating A')} is urgent")
    assert not drag_to(investigating, text, above_row(investigating, 0))  # refused on entry
    assert dialogs.messages == []
    assert model.dropMimeData(text, action, 0, 0, QModelIndex()) is False
    assert dialogs.messages[-1] == (
        "warn",
        "Move Not Possible",
        "Only incident cards can be dropped on the board.",
    )

    broken = QMimeData()
    broken.setData(CARD_MIME_TYPE, QByteArray(b'{"id": "INC-1", "status": "lost"'))
    assert drag_to(investigating, broken, above_row(investigating, 0))
    assert board.page.message.text() == "Only incident cards can be dropped on the board."

    # A card dragged from a window on another database: its id means another incident here.
    elsewhere = BoardColumnModel(Status.INVESTIGATING)
    elsewhere.origin = "sqlite:////srv/other-team/incidents.db"
    fill(elsewhere, [make_card(board.ids["Investigating C"])])
    foreign = elsewhere.mimeData([elsewhere.index(0)])
    assert drag_to(investigating, foreign, above_row(investigating, 1))
    assert "comes from another database" in board.page.message.text()
    assert "comes from another database" in dialogs.messages[-1][2]
    assert len(dialogs.messages) == 3
    qtbot.waitUntil(idle)
    assert board.snapshot() == before
    assert board.everything_shown() == shown


def test_a_drop_on_recovered_asks_what_was_repaired(
    qtbot, board: Board, dialogs: RecordingDialogs, idle
) -> None:
    page = board.page
    before = board.snapshot()
    key = board.key("Investigating B")

    def dialog_shown(previous: StepDialog | None = None) -> StepDialog:
        qtbot.waitUntil(
            lambda: (
                getattr(page, "step_dialog", None) not in (None, previous)
                and page.step_dialog.isVisible()
            )
        )
        return page.step_dialog

    board.drop("Investigating B", Status.RECOVERED, 0)
    dialog = dialog_shown()
    assert dialog.step is Step.RECOVER
    assert dialog.windowTitle() == f"Recovered — {key}"
    assert dialog.note.accessibleName() == "What was repaired"
    buttons = dialog.findChild(QDialogButtonBox)
    buttons.button(QDialogButtonBox.StandardButton.Cancel).click()
    assert not dialog.isVisible()
    qtbot.waitUntil(idle)
    assert board.snapshot() == before
    assert "Investigating B" in board.shown(Status.INVESTIGATING)

    board.drop("Investigating B", Status.RECOVERED, 0)
    again = dialog_shown(dialog)
    ok = again.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    assert ok.text() == "Recovered"
    ok.click()  # nothing said about the repair: the dialog stays and says so
    assert again.isVisible()
    assert again.problem.text() == "Fill in “What was repaired”."
    again.note.setPlainText("Rolled back release 4.2")
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        ok.click()
    assert dialogs.messages == []
    incident = board.desk.incidents.get(board.ids["Investigating B"])
    assert incident.status is Status.RECOVERED
    assert incident.milestones.recovered_at is not None
    assert board.last_entry("Investigating B").body == (
        "Investigating → Recovered: Rolled back release 4.2"
    )
    assert board.shown(Status.RECOVERED) == [
        "Recovered major",
        "Investigating B",
        "Recovered minor",
    ]
    assert dialogs.messages == []


def test_a_major_incident_cannot_skip_the_postmortem(
    qtbot, board: Board, dialogs: RecordingDialogs
) -> None:
    page = board.page
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.grid.show_finished.setChecked(True)
    shown = [column.status for column in page.grid.visible_columns()]
    assert shown == [*BOARD_STATUSES, Status.CLOSED, Status.CANCELLED]
    before = board.snapshot()
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        board.drop("Recovered major", Status.CLOSED, 0)
    assert dialogs.messages[-1][0] == "warn"
    assert "A major incident (SEV2) cannot skip the postmortem" in dialogs.messages[-1][2]
    assert "cannot skip the postmortem" in page.message.text()
    assert board.snapshot() == before

    with qtbot.waitSignal(page.loaded, timeout=10_000):
        board.drop("Recovered minor", Status.CLOSED, 0)
    assert board.status_of("Recovered minor") is Status.CLOSED
    assert [card.title for card in board.model(Status.CLOSED).cards()] == ["Recovered minor"]
    assert page.grid.columns[Status.CLOSED].header.text() == "Closed (1)"

    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.undo()
    incident = board.desk.incidents.get(board.ids["Recovered minor"])
    assert incident.status is Status.RECOVERED
    assert incident.milestones.closed_at is None
    assert board.model(Status.CLOSED).cards() == []

    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.grid.show_finished.setChecked(False)
    assert [column.status for column in page.grid.visible_columns()] == list(BOARD_STATUSES)


# Undo


def test_undo_takes_back_the_last_moves_in_turn(qtbot, board: Board) -> None:
    page = board.page
    original = board.everything_stored()
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        board.drop("Investigating C", Status.INVESTIGATING, 1)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        board.drop("Logged A", Status.INVESTIGATING, -1)
    assert board.desk.incidents.get(board.ids["Logged A"]).milestones.acknowledged_at

    with qtbot.waitSignals([page.moved, page.loaded], timeout=10_000):
        page.undo()
    incident = board.desk.incidents.get(board.ids["Logged A"])
    assert incident.status is Status.LOGGED
    assert incident.milestones.acknowledged_at is None
    entry = board.last_entry("Logged A")
    assert (entry.kind, entry.body) == (
        EntryKind.STATUS_CHANGE,
        "Investigating → Logged: move undone",
    )
    assert page.message.text() == "The last move was taken back."
    assert board.shown(Status.LOGGED) == original[Status.LOGGED]

    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.undo()
    assert board.last_entry("Investigating C").body == "Board position: move undone"
    assert board.everything_stored() == original
    assert board.everything_shown() == original

    page.undo()
    assert page.message.text() == "There is no move to take back."


def test_an_undo_after_someone_else_changed_the_card_is_refused(
    qtbot, board: Board, dialogs: RecordingDialogs
) -> None:
    page, desk = board.page, board.desk
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        board.drop("Investigating C", Status.INVESTIGATING, 1)
    incident = desk.incidents.get(board.ids["Investigating C"])
    desk.incidents.update(
        incident.id,
        replace(incident.draft, title="Investigating C, renamed"),
        incident.version,
        None,
        base=incident.draft,
    )
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.undo()
    assert dialogs.messages[-1][0] == "warn"
    assert "was changed by someone else" in page.message.text()
    assert page.message.text().endswith("The board now shows the latest.")
    assert board.shown(Status.INVESTIGATING)[1] == "Investigating C, renamed"
    assert board.last_entry("Investigating C").kind is EntryKind.FIELD_CHANGE
    assert board.last_entry("Investigating C").body.startswith("Title:")


# Moves made again after their reply was lost: applied once


def move_bodies(board: Board, title: str) -> list[str]:
    return [entry.body for entry in board.desk.timeline.entries(board.ids[title])]


@pytest.mark.usefixtures("retry_by_hand")
def test_a_rerank_made_again_after_its_reply_was_lost_is_applied_once(
    qtbot,
    board: Board,
    dialogs: RecordingDialogs,
    lose_replies: LoseReplies,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    page, original = board.page, board.everything_stored()
    sent = record_write_ids(monkeypatch, board.desk.board, "rerank")
    lost = lose_replies(board.desk)
    board.drop("Investigating C", Status.INVESTIGATING, 1)
    qtbot.waitUntil(lambda: bool(dialogs.messages))
    assert "may or may not have been" in dialogs.messages[0][2]
    lost.restore()
    with qtbot.waitSignals([page.moved, page.loaded], timeout=10_000):
        board.drop("Investigating C", Status.INVESTIGATING, 1)  # the board shows it unmoved
    assert sent_twice(sent)
    assert board.stored(Status.INVESTIGATING)[:3] == [
        "Investigating urgent",
        "Investigating C",
        "Investigating A",
    ]
    moves = [body for body in move_bodies(board, "Investigating C") if "Board" in body]
    assert moves == [f"Board position: moved above {board.key('Investigating A')}"]
    assert len(dialogs.messages) == 1
    with qtbot.waitSignals([page.moved, page.loaded], timeout=10_000):
        page.undo()  # the move the second sending returned is the one made
    assert board.everything_stored() == original


@pytest.mark.usefixtures("retry_by_hand")
def test_a_status_move_made_again_after_its_reply_was_lost_is_taken_once(
    qtbot,
    board: Board,
    dialogs: RecordingDialogs,
    lose_replies: LoseReplies,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    page = board.page
    sent = record_write_ids(monkeypatch, board.desk.lifecycle, "take")
    lost = lose_replies(board.desk)
    board.drop("Logged A", Status.TRIAGED, 0)
    qtbot.waitUntil(lambda: bool(dialogs.messages))
    lost.restore()
    with qtbot.waitSignals([page.moved, page.loaded], timeout=10_000):
        board.drop("Logged A", Status.TRIAGED, 0)
    assert sent_twice(sent)
    assert board.status_of("Logged A") is Status.TRIAGED
    assert move_bodies(board, "Logged A") == ["Incident logged", "Logged → Triaged"]
    assert len(dialogs.messages) == 1
    with qtbot.waitSignals([page.moved, page.loaded], timeout=10_000):
        page.undo()
    assert board.status_of("Logged A") is Status.LOGGED


@pytest.mark.usefixtures("retry_by_hand")
def test_an_undo_made_again_after_its_reply_was_lost_is_applied_once(
    qtbot,
    board: Board,
    dialogs: RecordingDialogs,
    lose_replies: LoseReplies,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    page, original = board.page, board.everything_stored()
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        board.drop("Investigating C", Status.INVESTIGATING, 1)
    sent = record_write_ids(monkeypatch, board.desk.board, "undo_rerank")
    lost = lose_replies(board.desk)
    page.undo()
    qtbot.waitUntil(lambda: bool(dialogs.messages))
    lost.restore()
    with qtbot.waitSignals([page.moved, page.loaded], timeout=10_000):
        page.undo()  # Ctrl+Z again: the move is still there to take back
    assert sent_twice(sent)
    assert board.everything_stored() == original
    assert move_bodies(board, "Investigating C").count("Board position: move undone") == 1
    page.undo()
    assert page.message.text() == "There is no move to take back."


@pytest.mark.usefixtures("retry_by_hand")
def test_another_move_after_a_lost_reply_is_a_save_of_its_own(
    qtbot,
    board: Board,
    dialogs: RecordingDialogs,
    lose_replies: LoseReplies,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    page = board.page
    sent = record_write_ids(monkeypatch, board.desk.board, "rerank")
    lost = lose_replies(board.desk)
    board.drop("Investigating C", Status.INVESTIGATING, 1)
    qtbot.waitUntil(lambda: bool(dialogs.messages))
    lost.restore()
    with qtbot.waitSignals([page.moved, page.loaded], timeout=10_000):
        board.drop("Investigating B", Status.INVESTIGATING, 1)
    assert len(sent) == 2
    assert None not in sent
    assert sent[0] != sent[1]
    above_a = f"Board position: moved above {board.key('Investigating A')}"
    assert above_a in move_bodies(board, "Investigating C")  # the first sending, applied
    assert above_a in move_bodies(board, "Investigating B")


# Changes made by another connection


def execute_elsewhere(desk: Desk, sql: str, *params: object) -> None:
    """Run ``sql`` on a connection of its own, as another program would."""
    location = desk.store.location
    if isinstance(location, SqliteLocation):
        with closing(sqlite3.connect(location.path)) as connection, connection:
            connection.execute(sql, params)
        return
    import psycopg

    assert isinstance(location, PostgresLocation)
    with psycopg.connect(
        host=location.host,
        port=location.port,
        user=location.user,
        dbname=location.database,
        options=f"-c search_path={location.schema}",
        autocommit=True,
    ) as connection:
        connection.execute(sql.replace("?", "%s"), params)  # type: ignore[arg-type]


def test_changes_from_another_connection_move_cards_in_place(
    qtbot, qtmodeltester, board: Board
) -> None:
    page, desk, ids = board.page, board.desk, board.ids
    for status in BOARD_STATUSES:
        qtmodeltester.check(board.model(status))
    investigating = board.view(Status.INVESTIGATING)
    investigating.setCurrentIndex(board.model(Status.INVESTIGATING).index(2))
    assert current_id(investigating) == ids["Investigating B"]
    signals = {status: Signals(board.model(status)) for status in BOARD_STATUSES}

    # Another program raises B to P2 and renames C; a colleague recovers the P4 card.
    execute_elsewhere(
        desk,
        "UPDATE incident SET priority = 2, version = version + 1 WHERE id = ?",
        ids["Investigating B"],
    )
    execute_elsewhere(
        desk,
        "UPDATE incident SET title = ?, version = version + 1 WHERE id = ?",
        "Investigating C: database failover",
        ids["Investigating C"],
    )
    desk.lifecycle.take(ids["Investigating low"], StepRequest(Step.RECOVER, note="Patched"), None)
    assert board.shown(Status.INVESTIGATING)[2] == "Investigating B"  # until the refresh

    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.refresh()
    assert board.shown(Status.INVESTIGATING) == [
        "Investigating urgent",
        "Investigating B",
        "Investigating A",
        "Investigating C: database failover",
    ]
    assert board.shown(Status.RECOVERED) == [
        "Recovered major",
        "Investigating low",
        "Recovered minor",
    ]
    assert board.everything_shown() == board.everything_stored()
    seen = signals[Status.INVESTIGATING].take()
    assert {"rowsRemoved", "rowsMoved", "dataChanged"} <= set(seen)
    assert "modelReset" not in seen
    assert signals[Status.RECOVERED].take() == ["rowsInserted"]
    assert all(signals[status].take() == [] for status in (Status.LOGGED, Status.TRIAGED))
    assert current_id(investigating) == ids["Investigating B"]
    assert investigating.selectionModel().isSelected(investigating.currentIndex())
    assert board.model(Status.INVESTIGATING).card(1).priority is Priority.P2
    headers = [column.header.text() for column in page.grid.visible_columns()]
    assert headers[2:4] == ["Investigating (4)", "Recovered (3)"]


def test_a_move_of_a_card_changed_elsewhere_is_refused_and_the_board_catches_up(
    qtbot, board: Board, dialogs: RecordingDialogs
) -> None:
    page, desk, ids = board.page, board.desk, board.ids
    execute_elsewhere(
        desk,
        "UPDATE incident SET priority = 2, version = version + 1 WHERE id = ?",
        ids["Investigating C"],
    )
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        board.drop("Investigating C", Status.INVESTIGATING, 1)  # still P3 on the board
    assert dialogs.messages[-1][0] == "warn"
    assert "was changed by someone else" in page.message.text()
    assert board.shown(Status.INVESTIGATING)[:2] == ["Investigating urgent", "Investigating C"]
    assert board.model(Status.INVESTIGATING).card(1).priority is Priority.P2
    assert board.last_entry("Investigating C").kind is EntryKind.STATUS_CHANGE  # no move logged


def test_a_card_that_moved_while_it_was_dragged_is_refused(
    qtbot, board: Board, dialogs: RecordingDialogs, idle
) -> None:
    page, desk, ids = board.page, board.desk, board.ids
    mime = board.mime("Logged A")  # picked up; meanwhile a colleague triages it
    desk.lifecycle.take(ids["Logged A"], StepRequest(Step.TRIAGE), None)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.refresh()
    before = board.snapshot()
    board.model(Status.LOGGED).dropMimeData(mime, Qt.DropAction.MoveAction, 2, 0, QModelIndex())
    assert dialogs.messages[-1][0] == "warn"
    assert "has moved since it was picked up" in page.message.text()
    qtbot.waitUntil(idle)
    assert board.snapshot() == before


def test_the_board_reloads_itself_every_five_minutes_as_a_safety_net(qtbot, board: Board) -> None:
    page = board.page
    assert page._timer.interval() == REFRESH_INTERVAL_MS == 300_000
    assert page._timer.isActive()
    board.desk.lifecycle.take(board.ids["Logged B"], StepRequest(Step.TRIAGE), None)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page._timer.timeout.emit()
    assert board.shown(Status.TRIAGED) == ["Logged B", "Triaged A"]


# 3. The board in the main window (the demo database, on SQLite)


@pytest.fixture
def demo_address(demo_address: str) -> str:
    """The demo database, where the person running the tests (the login the window opens
    with) works in the Service Desk team and has two open incidents assigned."""
    desk = open_desk(demo_address, login="demo")
    try:
        team = next(team.id for team in desk.catalog.teams() if team.name == "Service Desk")
        # A lead, who may re-rank the board (staff may not: see test_board_roles.py).
        me = desk.catalog.create_person(
            "Test Runner", current_login(), team_id=team, role=Role.LEAD
        )
        for number in MY_INCIDENTS:
            incident = desk.incidents.get_by_number(number)
            assert incident.status.is_open
            draft = replace(incident.draft, assignee_id=me)
            desk.incidents.update(incident.id, draft, incident.version, None, base=incident.draft)
    finally:
        desk.close()
    return demo_address


MY_INCIDENTS = (384, 392)  # open ones in the demo data (seed 7)


def board_cards(window: MainWindow) -> list[BoardCard]:
    return [card for column in window.board.grid.visible_columns() for card in column.model.cards()]


def list_ids(window: MainWindow) -> set[int]:
    model = window.model
    return {model.index(row, 0).data(INCIDENT_ID_ROLE) for row in range(model.rowCount())}


def column_view(window: MainWindow, status: Status) -> QListView:
    return window.board.grid.columns[status].view


def key_to_focus(
    key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
) -> None:
    widget = QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    QTest.keyClick(widget, key, modifier)


def focus_card(qtbot, window: MainWindow, status: Status, row: int) -> QListView:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    view = column_view(window, status)
    view.setFocus()
    view.setCurrentIndex(view.model().index(row, 0))
    qtbot.waitUntil(view.hasFocus)
    return view


def stored_order(window: MainWindow, status: Status) -> list[int]:
    desk = window.desk
    assert desk is not None
    return [card.id for card in desk.board.columns(IncidentQuery())[status].cards]


def test_the_board_is_the_first_view_with_counts_per_column(window: MainWindow) -> None:
    assert window.views.currentIndex() == 0
    assert window.board_action.isChecked()
    assert not window.status_filter.isVisibleTo(window)  # the board shows every open status
    desk = window.desk
    assert desk is not None
    counts = desk.incidents.status_counts()
    for column in window.board.grid.visible_columns():
        expected = counts.get(column.status, 0)
        assert column.header.text() == f"{column.status.label} ({expected})"
        assert column.model.rowCount() == expected
    assert len(board_cards(window)) == 20
    assert window.counts_label.text() == "20 incidents on the board"
    for card in board_cards(window):
        column = window.board.grid.columns[card.status].model
        text = column.index(column.row_of(card.id)).data(Qt.ItemDataRole.AccessibleTextRole)
        for part in (card.key, card.severity.label, card.priority.label, card.title):
            assert part in text
    # What a screen reader is told: the column by name, each card by its text.
    view = column_view(window, Status.INVESTIGATING)
    column = QAccessible.queryAccessibleInterface(view)
    assert column.text(QAccessible.Text.Name) == "Investigating incidents"
    assert column.childCount() == view.model().rowCount()
    for row, card in enumerate(window.board.grid.columns[Status.INVESTIGATING].model.cards()):
        cell = column.child(row)
        assert cell.role() == QAccessible.Role.ListItem
        name = cell.text(QAccessible.Text.Name)
        assert name.startswith(f"{card.key}, {card.severity.label}, {card.priority.label}: ")
        assert card.title in name


def test_left_and_right_move_between_columns(qtbot, window: MainWindow) -> None:
    focus_card(qtbot, window, Status.TRIAGED, 1)
    key_to_focus(Qt.Key.Key_Right)
    investigating = column_view(window, Status.INVESTIGATING)
    assert QApplication.focusWidget() is investigating
    assert investigating.currentIndex().row() == 1
    key_to_focus(Qt.Key.Key_Right)  # the recovered column has two cards
    assert QApplication.focusWidget() is column_view(window, Status.RECOVERED)
    key_to_focus(Qt.Key.Key_Right)  # postmortem has one: the row is kept within it
    postmortem = column_view(window, Status.POSTMORTEM)
    assert QApplication.focusWidget() is postmortem
    assert postmortem.currentIndex().row() == 0
    key_to_focus(Qt.Key.Key_Right)  # the last column: focus stays
    assert QApplication.focusWidget() is postmortem
    for _ in range(4):
        key_to_focus(Qt.Key.Key_Left)
    logged = column_view(window, Status.LOGGED)
    assert QApplication.focusWidget() is logged
    assert logged.currentIndex().isValid()
    key_to_focus(Qt.Key.Key_Left)
    assert QApplication.focusWidget() is logged
    key_to_focus(Qt.Key.Key_Down)  # up and down stay within the column
    assert logged.currentIndex().row() == 1


def test_alt_arrows_rerank_and_step_and_ctrl_z_takes_them_back(
    qtbot, window: MainWindow, dialogs: RecordingDialogs
) -> None:
    page = window.board
    model = page.grid.columns[Status.INVESTIGATING].model
    cards = model.cards()
    row = next(
        row for row in range(len(cards) - 1) if cards[row].priority is cards[row + 1].priority
    )
    moving, neighbour = cards[row], cards[row + 1]
    original = stored_order(window, Status.INVESTIGATING)
    view = focus_card(qtbot, window, Status.INVESTIGATING, row)

    with qtbot.waitSignal(page.loaded, timeout=10_000):
        key_to_focus(Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    order = stored_order(window, Status.INVESTIGATING)
    assert order.index(moving.id) == order.index(neighbour.id) + 1
    assert current_id(view) == moving.id  # the selection follows the card
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        key_to_focus(Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    assert stored_order(window, Status.INVESTIGATING) == original
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        key_to_focus(Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)

    # The last card of the column's lowest priority cannot go further down.
    focus_card(qtbot, window, Status.INVESTIGATING, model.rowCount() - 1)
    key_to_focus(Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert dialogs.messages == []  # already at the bottom: nothing to say, nothing to do
    # The last card of a priority cannot go below the next priority's cards.
    cards = model.cards()
    row = next(
        row for row in range(len(cards) - 1) if cards[row].priority < cards[row + 1].priority
    )
    focus_card(qtbot, window, Status.INVESTIGATING, row)
    key_to_focus(Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    [(kind, _, reason)] = dialogs.messages
    assert kind == "warn"
    assert reason.startswith(f"{cards[row].key} stays among the {cards[row].priority.label}")
    dialogs.messages.clear()

    logged = page.grid.columns[Status.LOGGED].model
    stepping = logged.card(0)
    focus_card(qtbot, window, Status.LOGGED, 0)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        key_to_focus(Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    desk = window.desk
    assert desk is not None
    assert desk.incidents.get(stepping.id).status is Status.TRIAGED
    assert desk.timeline.entries(stepping.id)[-1].body == "Logged → Triaged"
    assert page.grid.columns[Status.TRIAGED].model.row_of(stepping.id) is not None

    focus_card(qtbot, window, Status.TRIAGED, 0)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        key_to_focus(Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert desk.incidents.get(stepping.id).status is Status.LOGGED
    assert desk.timeline.entries(stepping.id)[-1].body == "Triaged → Logged: move undone"
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        key_to_focus(Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert stored_order(window, Status.INVESTIGATING) == original
    assert desk.timeline.entries(moving.id)[-1].body == "Board position: move undone"
    assert dialogs.messages == []


@pytest.mark.qt_log_ignore("This plugin does not support raise")
def test_enter_opens_the_incident_and_slash_goes_to_the_search(qtbot, window: MainWindow) -> None:
    card = window.board.grid.columns[Status.RECOVERED].model.card(1)
    focus_card(qtbot, window, Status.RECOVERED, 1)
    key_to_focus(Qt.Key.Key_Return)
    [workspace] = window.workspaces
    qtbot.waitUntil(lambda: workspace.data is not None)
    assert workspace.data.incident.id == card.id
    assert workspace.isVisible()
    workspace.close()

    focus_card(qtbot, window, Status.RECOVERED, 0)
    key_to_focus(Qt.Key.Key_Slash)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.search)
    assert window.search.text() == ""  # the slash opened the search, it was not typed


def filters_ready(qtbot, window: MainWindow) -> None:
    """The catalog lists of the filter bar and the person using the window are loaded."""
    qtbot.waitUntil(lambda: window.filter_bar.service.count() > 1 and window._me.team_id)


def set_filters_and_wait(qtbot, window: MainWindow, filters: Filters, expected: set[int]) -> None:
    """Set the filters on the board, then look at the list (which only queries once it is
    shown) and come back to the board."""
    window.filter_bar.set_filters(filters)
    qtbot.waitUntil(lambda: {card.id for card in board_cards(window)} == expected)
    window.show_view(1)
    qtbot.waitUntil(
        lambda: window.model.query.text == filters.text and list_ids(window) == expected
    )
    window.show_view(0)


def open_ids(desk: Desk, **query: object) -> set[int]:
    """The open incidents the list's own query finds (not the board's)."""
    statuses = frozenset(status for status in Status if status.is_open)
    rows = desk.incidents.rows(IncidentQuery(statuses=statuses, **query), 0, 1000)  # type: ignore[arg-type]
    return {row.id for row in rows}


def test_filters_combine_on_the_board_and_the_list_alike(qtbot, window: MainWindow) -> None:
    filters_ready(qtbot, window)
    desk = window.desk
    assert desk is not None
    cards = board_cards(window)
    major = [card for card in cards if card.severity is Severity.SEV2]
    chosen = major[0]
    service_id = next(
        item.id for item in desk.catalog.services() if item.name == chosen.service_name
    )

    # Each filter narrows what the others leave: severity, then service, then text.
    by_severity = open_ids(desk, severities=frozenset({Severity.SEV2}))
    assert by_severity == {card.id for card in major}
    set_filters_and_wait(qtbot, window, Filters(severity=2), by_severity)
    assert window.filter_bar.severity.currentText() == "SEV2"

    both = open_ids(
        desk, severities=frozenset({Severity.SEV2}), service_ids=frozenset({service_id})
    )
    assert chosen.id in both < by_severity
    set_filters_and_wait(qtbot, window, Filters(severity=2, service_id=service_id), both)
    for card in board_cards(window):
        assert (card.severity, card.service_name) == (Severity.SEV2, chosen.service_name)

    word = next(word for word in chosen.title.split() if open_ids(desk, text=word) - both)
    everything = open_ids(
        desk,
        text=word,
        severities=frozenset({Severity.SEV2}),
        service_ids=frozenset({service_id}),
    )
    assert chosen.id in everything
    assert everything <= both
    set_filters_and_wait(
        qtbot, window, Filters(text=word, severity=2, service_id=service_id), everything
    )
    assert all(card.id in everything for card in board_cards(window))
    headers = [column.header.text() for column in window.board.grid.visible_columns()]
    for column, header in zip(window.board.grid.visible_columns(), headers, strict=True):
        assert header == f"{column.status.label} ({column.model.rowCount()})"
    assert window.counts_label.text().startswith(f"{len(everything)} incident")

    window.show_view(1)  # the list shows the same incidents
    assert list_ids(window) == everything
    window.show_view(0)
    set_filters_and_wait(qtbot, window, Filters(), open_ids(desk))
    assert len(board_cards(window)) == 20


def test_mine_and_my_team_narrow_both_views(qtbot, window: MainWindow) -> None:
    filters_ready(qtbot, window)
    desk = window.desk
    assert desk is not None
    mine = {desk.incidents.get_by_number(number).id for number in MY_INCIDENTS}
    assert open_ids(desk, assignee_ids=frozenset({desk.actor_id})) == mine
    window.filter_bar.mine.click()
    qtbot.waitUntil(lambda: {card.id for card in board_cards(window)} == mine)
    window.show_view(1)  # the list queries once it is shown
    qtbot.waitUntil(lambda: list_ids(window) == mine)
    window.show_view(0)
    window.filter_bar.mine.click()

    team = window._me.team_id
    ours = open_ids(desk, team_ids=frozenset({team}))
    assert ours
    assert ours != open_ids(desk)
    window.filter_bar.my_team.click()
    qtbot.waitUntil(lambda: {card.id for card in board_cards(window)} == ours)
    window.show_view(1)  # the list queries once it is shown
    qtbot.waitUntil(lambda: list_ids(window) == ours)
    window.show_view(0)
    assert {card.team_name for card in board_cards(window)} == {"Service Desk"}

    # Mine within my team, of a severity.
    severity = desk.incidents.get_by_number(MY_INCIDENTS[0]).draft.severity
    expected = open_ids(
        desk,
        team_ids=frozenset({team}),
        assignee_ids=frozenset({desk.actor_id}),
        severities=frozenset({severity}),
    )
    set_filters_and_wait(
        qtbot, window, Filters(mine=True, my_team=True, severity=int(severity)), expected
    )


def test_saved_views_are_kept_in_the_settings(
    qtbot, window: MainWindow, runner: TaskRunner, dialogs: RecordingDialogs
) -> None:
    filters_ready(qtbot, window)
    desk = window.desk
    assert desk is not None
    majors = open_ids(desk, severities=frozenset({Severity.SEV2}))
    set_filters_and_wait(qtbot, window, Filters(severity=2, my_team=False), majors)
    window.save_current_view("  Majors  ")
    window.filter_bar.set_filters(Filters(text="zz"))
    window.save_current_view("Nothing")
    window.save_current_view("   ")  # no name: not saved
    names = [window.saved_views.item(row).text() for row in range(window.saved_views.count())]
    assert names == ["Majors", "Nothing"]

    set_filters_and_wait(qtbot, window, Filters(), open_ids(desk))
    item = window.saved_views.findItems("Majors", Qt.MatchFlag.MatchExactly)[0]
    rect = window.saved_views.visualItemRect(item)
    QTest.mouseClick(window.saved_views.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: {card.id for card in board_cards(window)} == majors)
    assert window.filter_bar.filters() == Filters(severity=2)
    window.show_view(1)  # the list queries once it is shown
    qtbot.waitUntil(lambda: list_ids(window) == majors)
    window.show_view(0)

    # Another window (after a restart) has the same views.
    again = MainWindow(runner, dialogs)
    qtbot.addWidget(again)
    assert [again.saved_views.item(row).text() for row in range(again.saved_views.count())] == [
        "Majors",
        "Nothing",
    ]

    window.saved_views.setCurrentItem(
        window.saved_views.findItems("Nothing", Qt.MatchFlag.MatchExactly)[0]
    )
    delete = next(
        button for button in window.findChildren(QPushButton) if button.text() == "Delete"
    )
    delete.click()
    assert [window.saved_views.item(row).text() for row in range(window.saved_views.count())] == [
        "Majors"
    ]
    third = MainWindow(runner, dialogs)
    qtbot.addWidget(third)
    assert third.saved_views.count() == 1
    assert window.filter_bar.filters() == Filters(severity=2)  # deleting keeps what is shown


def test_a_damaged_saved_views_setting_is_forgotten(qtbot, runner, dialogs) -> None:
    from PySide6.QtCore import QSettings

    from incidentdesk.ui.filter_bar import SAVED_VIEWS_SETTING, saved_views

    QSettings().setValue(SAVED_VIEWS_SETTING, "{not json")
    assert saved_views() == {}
    QSettings().setValue(
        SAVED_VIEWS_SETTING, json.dumps({"Old": json.dumps({"severity": 1, "gone": 3})})
    )
    assert saved_views() == {"Old": Filters(severity=1)}
    window = MainWindow(runner, dialogs)
    qtbot.addWidget(window)
    assert window.saved_views.item(0).text() == "Old"


def test_f5_shows_what_changed_elsewhere_in_place_keeping_the_selection(
    qtbot, qtmodeltester, window: MainWindow, dialogs: RecordingDialogs
) -> None:
    desk = window.desk
    assert desk is not None
    page = window.board
    for column in page.grid.columns.values():
        qtmodeltester.check(column.model)  # and it keeps checking every update that follows
    model = page.grid.columns[Status.INVESTIGATING].model
    last_row = model.rowCount() - 1
    selected = model.card(last_row)
    assert selected.priority > Priority.P1
    view = focus_card(qtbot, window, Status.INVESTIGATING, last_row)
    signals = {status: Signals(page.grid.columns[status].model) for status in BOARD_STATUSES}

    # Through this program's own services, behind the board's back: the severity and urgency
    # of the selected card go up (priority P1); a raw connection renames another card.
    incident = desk.incidents.get(selected.id)
    urgent = replace(incident.draft, severity=Severity.SEV1, urgency=Urgency.HIGH)
    desk.incidents.update(selected.id, urgent, incident.version, None, base=incident.draft)
    renamed = model.card(0)
    location = desk.store.location
    assert isinstance(location, SqliteLocation)
    with closing(sqlite3.connect(location.path)) as connection, connection:
        connection.execute(
            "UPDATE incident SET title = ?, version = version + 1 WHERE id = ?",
            ("Renamed by someone else", renamed.id),
        )
    recovered = page.grid.columns[Status.RECOVERED].model.card(0)
    desk.lifecycle.take(recovered.id, StepRequest(Step.REOPEN, note="It is back"), None)

    window.activateWindow()
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        QTest.keyClick(view, Qt.Key.Key_F5)
    assert model.card(0).id == selected.id
    assert model.card(0).priority is Priority.P1
    assert current_id(view) == selected.id
    assert view.selectionModel().isSelected(view.currentIndex())
    assert QApplication.focusWidget() is view
    assert model.card(model.row_of(renamed.id)).title == "Renamed by someone else"
    assert model.row_of(recovered.id) is not None
    assert page.grid.columns[Status.RECOVERED].model.row_of(recovered.id) is None
    seen = signals[Status.INVESTIGATING].take()
    assert {"rowsMoved", "rowsInserted", "dataChanged"} <= set(seen)
    assert signals[Status.RECOVERED].take() == ["rowsRemoved"]
    assert all("modelReset" not in recorder.take() for recorder in signals.values())
    expected = {
        status: [card.id for card in column.cards]
        for status, column in desk.board.columns(IncidentQuery()).items()
    }
    assert {
        status: card_ids(page.grid.columns[status].model) for status in BOARD_STATUSES
    } == expected
    assert dialogs.messages == []
