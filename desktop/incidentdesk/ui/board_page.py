"""The board page: loads the cards in the background, carries out moves through the services,
and takes the last move back on Ctrl+Z."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import UTC, datetime

import shiboken6
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QImage, QKeySequence, QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from incidentdesk.domain.enums import Status
from incidentdesk.domain.incident import Incident
from incidentdesk.domain.lifecycle import NOTE_REQUIRED, Step
from incidentdesk.domain.permissions import Permission
from incidentdesk.services.board import (
    BOARD_STATUSES,
    FIRST_CARDS,
    BoardCard,
    ColumnCards,
    RankMove,
    milestones_of,
    step_between,
    why_not_between,
)
from incidentdesk.services.catalog import NamedItem, Person
from incidentdesk.services.changes import Changed, ChangeKind, changed
from incidentdesk.services.desk import Desk
from incidentdesk.services.errors import EditConflict
from incidentdesk.services.incidents import IncidentQuery
from incidentdesk.services.lifecycle import StepRequest
from incidentdesk.storage.database import is_connection_failure
from incidentdesk.ui.board import BoardGrid, CardDrop, unchanged_columns
from incidentdesk.ui.card_delegate import draw_cards
from incidentdesk.ui.changes import IncidentsChanged
from incidentdesk.ui.dialogs import DialogService
from incidentdesk.ui.failures import error_text
from incidentdesk.ui.filter_bar import narrows
from incidentdesk.ui.save_ids import SaveIds
from incidentdesk.ui.tasks import TaskRunner

# Other clients' changes arrive within a second or two (ui/live_updates.py); this reload
# is a safety net for one that could not be announced (a change log pruned while a client
# was away, a notification lost with its connection).
REFRESH_INTERVAL_MS = 300_000
NO_OPEN_INCIDENTS = "<p><b>No open incidents.</b> Press <b>Ctrl+N</b> to log one.</p>"
NEW_DATABASE = (
    "<p>This database has no incidents yet. To try Incident Desk with realistic data, run "
    "<code>incidentdesk demo --incidents 1000</code> (with <code>--db</code> and the address "
    "for a database other than the default one), then press <b>F5</b>.</p>"
)
NOTHING_MATCHES = (
    "<p><b>No incidents on the board match these filters.</b> Clear the search or the "
    "filters to see the rest.</p>"
)
Targets = dict[str, dict[str, int]]
Drawn = dict[Hashable, QImage]
# The columns, SLA targets, time, drawn cards, empty database, unchanged columns of a load
Loaded = tuple[dict[Status, ColumnCards], Targets, datetime, Drawn, bool, dict[Status, int]]


@dataclass(frozen=True)
class StatusMove:
    """Enough to take a status move back."""

    incident_id: int
    previous: Status
    milestones: dict[str, datetime | None]
    version: int  # after the move


class BoardPage(QWidget):
    loaded = Signal()
    moved = Signal()  # a move was saved (or undone); it is published on the change stream
    open_requested = Signal(int)

    def __init__(
        self, runner: TaskRunner, dialogs: DialogService, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._runner, self._dialogs = runner, dialogs
        self._desk: Desk | None = None
        self.rank_permission = Permission(True)
        self._query = IncidentQuery()
        self._undo: list[RankMove | StatusMove] = []
        self._save_ids = SaveIds()  # a move made again after a lost reply is applied once
        self._stale = False
        self.grid = BoardGrid()
        self.grid.activated.connect(self.open_requested)
        self.grid.move_requested.connect(self.move_card)
        self.grid.drop_refused.connect(self._refuse)
        self.grid.step_requested.connect(self.next_step)
        self.grid.rank_requested.connect(self.nudge)
        self.grid.show_finished.toggled.connect(lambda _: self.refresh())
        for column in self.grid.columns.values():
            column.model.more_wanted.connect(self._build_more)
        self.message = QLabel()
        self.message.setAccessibleName("Board message")
        self.message.setWordWrap(True)
        self.empty_hint = QLabel()
        self.empty_hint.setAccessibleName("What to do on an empty board")
        self.empty_hint.setTextFormat(Qt.TextFormat.RichText)
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_hint.setWordWrap(True)
        self.empty_hint.hide()
        top = QHBoxLayout()
        top.addWidget(self.message, 1)
        top.addWidget(self.grid.show_finished)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.empty_hint)
        layout.addWidget(self.grid, 1)
        # One action for Ctrl+Z, which the main window also puts in its menu: a second
        # shortcut for the same keys would make Ctrl+Z ambiguous, and then neither fires.
        self.undo_action = QAction("&Undo Last Board Move", self)
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.undo_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.undo_action.triggered.connect(self.undo)
        self.addAction(self.undo_action)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_INTERVAL_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        runner.changes.incidents_changed.connect(self._incidents_changed)

    def _incidents_changed(self, change: IncidentsChanged) -> None:
        if change.concerns(self._desk):
            self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def set_desk(self, desk: Desk | None) -> None:
        self._desk = desk
        self._set_rank_permission(Permission(True))  # until read; the service checks anyway
        if desk is not None:
            self._runner.read(
                self,
                lambda desk: desk.board.may_rerank(desk.actor_id),
                self._set_rank_permission,
                lambda _: None,  # the service still refuses a move it must
                supersede="rank-permission",
            )
        self._undo.clear()  # moves of the database shown before
        dialog = getattr(self, "step_dialog", None)
        if dialog is not None and shiboken6.isValid(dialog) and dialog.isVisible():
            dialog.reject()  # its card is of the database shown before
        self.grid.set_origin(desk.store.location.url if desk is not None else "")
        self.refresh()

    def set_query(self, query: IncidentQuery) -> None:
        self._query = query
        self.refresh()

    def refresh(self) -> None:
        """Reload the cards; a hidden board only notes that it must when it is shown, so
        typing in the list's search box does not also rebuild thousands of cards."""
        desk = self._desk
        if desk is None:
            return
        if not self.isVisible():
            self._stale = True
            return
        self._stale = False
        query, finished = self._query, self.grid.show_finished.isChecked()
        loaded, looks, built = self.grid.loaded(), self.grid.card_looks(), self.grid.built()
        known = self.grid.delegate.has_drawn

        def load(desk: Desk) -> Loaded:
            columns = desk.board.columns(query, finished, loaded)
            no_open = not any(columns[status].ids for status in BOARD_STATUSES if status in columns)
            database_empty = no_open and desk.incidents.count(IncidentQuery()) == 0
            targets, now = desk.settings.sla_targets(), datetime.now(UTC)
            drawn: Drawn = {}
            # The cards that will show are drawn here, so that the GUI thread only copies them.
            for status, (look, shown) in looks.items():
                cards = columns[status].cards[shown] if status in columns else []
                drawn.update(draw_cards(cards, look, targets, now, known))
            unchanged = unchanged_columns(built, columns)
            return columns, targets, now, drawn, database_empty, unchanged

        self._runner.read(
            self,
            load,
            lambda result: self._loaded(loaded, *result),
            lambda error: self.message.setText(
                f"The board could not be loaded: {error_text(error)} Press F5."
            ),
            supersede="board",
        )

    def _loaded(
        self,
        asked_for: dict[Status, int],
        columns: dict[Status, ColumnCards],
        targets: Targets,
        now: datetime,
        drawn: Drawn,
        database_empty: bool,
        unchanged: dict[Status, int],
    ) -> None:
        loaded = self.grid.loaded()
        if any(loaded[status] > max(FIRST_CARDS, asked_for[status]) for status in loaded):
            # A column built more cards while this was loading: showing fewer would lose
            # its scroll position.
            self.refresh()
            return
        self.grid.delegate.add_drawn(drawn)
        self._show_empty_hint(columns, database_empty)
        self.grid.apply(columns, targets, now, self.loaded.emit, unchanged)

    def _show_empty_hint(self, columns: dict[Status, ColumnCards], database_empty: bool) -> None:
        """With no open incident on the board: what to do next, or that the filters hide
        them all."""
        if any(columns[status].ids for status in BOARD_STATUSES if status in columns):
            self.empty_hint.hide()
            return
        if narrows(self._query):
            text = NOTHING_MATCHES
        else:
            text = NO_OPEN_INCIDENTS + (NEW_DATABASE if database_empty else "")
        self.empty_hint.setText(text)
        self.empty_hint.show()

    def _build_more(self, status: Status, ids: list[int]) -> None:
        """A column scrolled to its last card: build the next ones."""
        asked_on, model = self._desk, self.grid.columns[status].model
        if asked_on is None:
            model.more_failed()
            return

        def add(cards: list[BoardCard]) -> None:
            if asked_on is not self._desk:
                return  # from the database shown before
            if not model.add_more(ids, cards):
                self.refresh()  # a card is gone: load the column as it is now

        def failed(error: Exception) -> None:
            model.more_failed()
            self.message.setText(
                f"More cards could not be loaded: {error_text(error)} Scroll to retry."
            )

        # The cards are not drawn on the read thread, unlike a refresh's: the column is being
        # scrolled, and the GUI thread draws the cards coming into view meanwhile. With both
        # threads drawing, each waited for the interpreter lock at every call into Qt: a
        # screenful took 8-9 ms to paint instead of 1-2, the board's longest block while
        # scrolling was 12 ms instead of 6-9. These are drawn as they come into view.
        self._runner.read(self, lambda desk: desk.board.cards_of(ids), add, failed)

    # Moves

    def move_card(self, drop: CardDrop) -> None:
        if self._desk is None:
            return
        card = self._card(drop.incident_id)
        if card is None or card.status is not drop.source:
            # The board was refreshed while the card was being dragged.
            self._refuse("That card has moved since it was picked up; the board shows where.")
            return
        column = self.grid.columns[drop.target].model
        if drop.source is drop.target:
            if self._may_rerank():
                self._rerank(column.cards(), drop.incident_id, drop.row)
            return
        step = step_between(drop.source, drop.target)
        if step is None:
            self._refuse(why_not_between(drop.source, drop.target))
            return
        self._take(drop.incident_id, step)

    def next_step(self, incident_id: int) -> None:
        """Alt+Right: the card goes to the next column, if its lifecycle allows."""
        card = self._card(incident_id)
        if card is None:
            return
        order = list(Status)
        following = (
            order[order.index(card.status) + 1] if card.status is not Status.CANCELLED else None
        )
        if following is None or following is Status.CANCELLED:
            self._refuse(f"{card.key} is in the last column; close it from its workspace.")
            return
        self.move_card(CardDrop(incident_id, card.status, following, -1))

    def nudge(self, incident_id: int, direction: int) -> None:
        """Alt+Up / Alt+Down: one place up or down among the cards of the same priority."""
        card = self._card(incident_id)
        if card is None or not self._may_rerank():
            return
        model = self.grid.columns[card.status].model
        cards = model.cards()
        row = next(index for index, other in enumerate(cards) if other.id == incident_id)
        following = model.id_after(row)
        if direction > 0 and row == len(cards) - 1 and following is not None:
            # The last card built: the one below it is not built yet, but its id is known.
            self._write_rerank(card, following, None)
            return
        # Up: before the card above it; down: after the card below it.
        self._rerank(cards, incident_id, max(0, row - 1) if direction < 0 else row + 2)

    def _set_rank_permission(self, permission: Permission) -> None:
        """Staff may not re-rank: each card says why on hover, and a drag or Alt+Up/Down
        within a column is refused with that reason instead of asking the database."""
        self.rank_permission = permission
        for column in self.grid.columns.values():
            column.model.rank_note = "" if permission.allowed else permission.reason

    def _may_rerank(self) -> bool:
        if not self.rank_permission.allowed:
            self.message.setText(self.rank_permission.reason)
        return self.rank_permission.allowed

    def _card(self, incident_id: int) -> BoardCard | None:
        for column in self.grid.columns.values():
            row = column.model.row_of(incident_id)
            if row is not None:
                return column.model.card(row)
        return None

    def _rerank(self, cards: list[BoardCard], incident_id: int, drop_row: int) -> None:
        """Place the card at ``drop_row`` of its column, kept among its own priority."""
        card = next(card for card in cards if card.id == incident_id)
        position = len(cards) if drop_row < 0 else drop_row
        others = [other for other in cards if other.id != incident_id]
        above = [other for other in cards[:position] if other.id != incident_id]
        peers = [other for other in others if other.priority is card.priority]
        peers_above = [other for other in above if other.priority is card.priority]
        if len(above) - len(peers_above) != sum(
            1 for other in others if other.priority < card.priority
        ):
            self._refuse(
                f"{card.key} stays among the {card.priority.label} incidents: priority orders "
                "the column first. Change its priority to move it further."
            )
            return
        index = len(peers_above)
        after = peers[index - 1] if index > 0 else None
        before = peers[index] if index < len(peers) else None
        if (after is None or after.rank < card.rank) and (
            before is None or before.rank > card.rank
        ):
            return  # it is already there
        self._write_rerank(card, after.id if after else None, before.id if before else None)

    def _write_rerank(self, card: BoardCard, after_id: int | None, before_id: int | None) -> None:
        asked_on = self._desk
        write_id = self._save_ids.for_attempt(
            (card.version, after_id, before_id), what=("rerank", card.id)
        )

        def rerank(desk: Desk) -> Changed[RankMove]:
            move = desk.board.rerank(
                card.id, after_id, before_id, card.version, desk.actor_id, write_id=write_id
            )
            return changed(move, [card.id])

        self._runner.write(
            self,
            rerank,
            lambda move: self._reranked(card, move, asked_on, write_id),
            self._move_failed,
            on=asked_on,
        )

    def _reranked(
        self, card: BoardCard, move: RankMove, asked_on: Desk | None, write_id: str
    ) -> None:
        self._save_ids.saved(write_id)
        if asked_on is not self._desk:
            return  # made on the database shown before: it is not this board's to undo
        self._undo.append(move)
        self.message.setText(f"{card.key} has a new place. Ctrl+Z takes it back.")
        self._moved()

    def _take(self, incident_id: int, step: Step) -> None:
        card, asked_on = self._card(incident_id), self._desk
        if card is None or asked_on is None:
            return
        if step in NOTE_REQUIRED:  # the step dialog asks for it
            self._runner.read(
                self,
                lambda desk: (desk.catalog.teams(), desk.catalog.people()),
                lambda lists: self._ask(card, step, asked_on, *lists),
                lambda error: self._refuse(
                    f"The teams and people to choose from could not be read: {error_text(error)}"
                ),
            )
            return
        self._submit(card, StepRequest(step), asked_on)

    def _ask(
        self,
        card: BoardCard,
        step: Step,
        asked_on: Desk,
        teams: list[NamedItem],
        people: list[Person],
    ) -> None:
        if asked_on is not self._desk:
            return  # another database opened while its lists were read
        from incidentdesk.ui.step_dialog import StepDialog  # off the start-up path

        dialog = StepDialog(step, card.key, teams, people, None, self)
        self.step_dialog = dialog
        dialog.accepted.connect(lambda: self._submit(card, dialog.request(), asked_on))
        dialog.open()

    def _submit(self, card: BoardCard, request: StepRequest, asked_on: Desk) -> None:
        write_id = self._save_ids.for_attempt((card.version, request), what=("step", card.id))
        self._runner.write(
            self,
            lambda desk: changed(
                desk.lifecycle.take(card.id, request, desk.actor_id, write_id=write_id),
                [card.id],
                ChangeKind.UPDATED,
                ChangeKind.TIMELINE,
            ),
            lambda incident: self._status_moved(card, incident, asked_on, write_id),
            self._move_failed,
            on=asked_on,
        )

    def _status_moved(
        self, card: BoardCard, incident: Incident, asked_on: Desk, write_id: str
    ) -> None:
        self._save_ids.saved(write_id)
        if asked_on is not self._desk:
            return  # made on the database shown before: it is not this board's to undo
        self._undo.append(StatusMove(card.id, card.status, milestones_of(card), incident.version))
        self.message.setText(f"{card.key} is now {incident.status.label}. Ctrl+Z takes it back.")
        self._moved()

    def _moved(self) -> None:
        """Every open view, this board too, shows the move through the change stream."""
        self.moved.emit()

    def _move_failed(self, error: Exception) -> None:
        if isinstance(error, EditConflict):
            self._refuse(f"{error_text(error)} The board now shows the latest.")
        else:
            self._refuse(error_text(error))
        self.refresh()

    def _refuse(self, reason: str) -> None:
        self.message.setText(reason)
        self._dialogs.warn(self, "Move Not Possible", reason)

    # Undo

    def undo(self) -> None:
        if not self._undo or self._desk is None:
            self.message.setText("There is no move to take back.")
            return
        last, asked_on = self._undo.pop(), self._desk
        write_id = self._save_ids.for_attempt(last, what="undo")

        def take_back(desk: Desk) -> Changed[object]:
            if isinstance(last, RankMove):
                desk.board.undo_rerank(last, desk.actor_id, write_id=write_id)
            else:
                desk.board.undo_status(
                    last.incident_id,
                    last.previous,
                    last.milestones,
                    last.version,
                    desk.actor_id,
                    write_id=write_id,
                )
            return changed(None, [last.incident_id])

        def not_taken_back(error: Exception) -> None:
            if is_connection_failure(error) and asked_on is self._desk:
                self._undo.append(last)  # Ctrl+Z once connected sends it again, applied once
            self._move_failed(error)

        self._runner.write(
            self, take_back, lambda _: self._undone(write_id), not_taken_back, on=asked_on
        )

    def _undone(self, write_id: str) -> None:
        self._save_ids.saved(write_id)
        self.message.setText("The last move was taken back.")
        self._moved()
