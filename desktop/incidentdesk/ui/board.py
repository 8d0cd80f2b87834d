"""The priority board: a column per open status, cards painted by a delegate, moved by drag
and drop or the keyboard, refreshed in place."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from PySide6.QtCore import (
    QByteArray,
    QEvent,
    QMargins,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QStringListModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFont, QFontMetrics, QKeyEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QScrollArea,
    QStyle,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from incidentdesk.domain.enums import Status
from incidentdesk.services.board import BOARD_STATUSES, MORE_CARDS, BoardCard, ColumnCards
from incidentdesk.ui.card_delegate import (
    CARD_MARGIN,
    CARD_PADDING,
    CARD_ROLE,
    CardDelegate,
    CardLook,
    card_height,
)
from incidentdesk.ui.viewports import use_own_viewport

CARD_MIME_TYPE = "application/x-incidentdesk-card"
# More changes than this in one refresh and the column is reset instead of patched.
INCREMENTAL_LIMIT = 64
# Cards laid out and painted per event-loop pass when columns change: less than a column's
# worth, so that a pass takes one changed column (two in a pass made the board's longest
# block while typing 10 ms instead of 7-8).
CARDS_PER_PASS = 6
NOT_A_CARD = "Only incident cards can be dropped on the board."
FROM_ANOTHER_DATABASE = (
    "That card comes from another database; move it on the board of the database it is in."
)
Index = QModelIndex | QPersistentModelIndex
EMPTY_COLUMN = ColumnCards([], [])
# The widest key a card must show uncut, and the widest severity and priority beside it.
WIDEST_KEY, WIDEST_SEVERITY, WIDEST_PRIORITY = "INC-100000", "SEV1", "P1"


def minimum_card_width(font: QFont) -> int:
    """The width of a card whose first line (key, severity badge, priority) is not cut; it
    follows the delegate's layout of that line."""
    bold = QFont(font)
    bold.setBold(True)
    metrics, bold_metrics = QFontMetrics(font), QFontMetrics(bold)
    first_line = (
        bold_metrics.horizontalAdvance(WIDEST_KEY)
        + bold_metrics.horizontalAdvance(f" {WIDEST_SEVERITY} ")
        + 4
        + metrics.horizontalAdvance(WIDEST_PRIORITY)
        + 6
    )
    return first_line + 2 * CARD_PADDING + 2 + 2 * CARD_MARGIN


def _nothing() -> None:
    pass


@dataclass(frozen=True)
class CardDrop:
    incident_id: int
    source: Status
    target: Status
    row: int  # where in the target column it was dropped; -1 for the end


@dataclass(frozen=True)
class BuiltCards:
    """A column's cards as built at one revision of its model, and its number of incidents."""

    revision: int
    total: int
    cards: list[BoardCard]


def unchanged_columns(
    built: dict[Status, BuiltCards], columns: dict[Status, ColumnCards]
) -> dict[Status, int]:
    """The revisions of the columns whose loaded ``columns`` show just what was ``built``;
    safe on any thread (it touches no widget)."""
    unchanged = {}
    for status, shown in built.items():
        loaded = columns.get(status, EMPTY_COLUMN)
        if shown.total == len(loaded.ids) and shown.cards == loaded.cards:
            unchanged[status] = shown.revision
    return unchanged


class BoardColumnModel(QStringListModel):
    """The cards of one status. A long column holds the ids of all its incidents but builds
    cards only for the first of them, and more as it is scrolled down (``more_wanted``).
    ``apply`` updates rows in place (insert, move, change, remove) so selection and scroll
    survive a refresh.

    Qt keeps the rows (a list of empty strings, one per card) and so answers the views'
    questions about them itself: they ask dozens of times a frame, and an answer from Python
    waited for the interpreter lock whenever a worker thread was running Python."""

    card_dropped = Signal(object)  # CardDrop
    drop_refused = Signal(str)  # why: the data dropped is not a card of this board
    more_wanted = Signal(object, list)  # the status, and the ids whose cards it shows next
    total_changed = Signal()

    def __init__(self, status: Status, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.status = status
        # The database the cards come from: a card dragged from a window on another database
        # carries ids that mean other incidents here.
        self.origin = ""
        self._ids: list[int] = []
        self._cards: list[BoardCard] = []
        self._next_cards: list[BoardCard] | None = None
        # Connected before any view: the cards change as Qt's rows do (see ``_change``).
        for ended in (self.rowsInserted, self.rowsRemoved, self.rowsMoved, self.modelReset):
            ended.connect(self._take_next_cards)
        # Counts the changes to the cards built: a comparison made elsewhere with the cards
        # as they were holds while it is unchanged.
        self.revision = 0
        self._more_asked = False
        # Why the person may not re-rank the cards (shown on hover), empty if they may.
        self.rank_note = ""

    def total(self) -> int:
        """How many incidents the column has, built into cards yet or not."""
        return len(self._ids)

    def cards(self) -> list[BoardCard]:
        return list(self._cards)

    def shown_cards(self) -> Sequence[BoardCard]:
        """The cards built so far, in row order, without a copy (for painting)."""
        return self._cards

    def card(self, row: int) -> BoardCard:
        return self._cards[row]

    def id_after(self, row: int) -> int | None:
        """The incident below ``row``, built into a card yet or not."""
        return self._ids[row + 1] if row + 1 < len(self._ids) else None

    def row_of(self, incident_id: int) -> int | None:
        return next((row for row, card in enumerate(self._cards) if card.id == incident_id), None)

    def apply(self, column: ColumnCards, same_cards: bool = False) -> None:
        """Show ``column``; ``same_cards`` when its cards are known to equal those built."""
        total = len(self._ids)
        self._ids = list(column.ids)
        if not same_cards and self._cards != column.cards:
            self._apply_cards(column.cards)
        if len(self._ids) != total:
            self.total_changed.emit()

    def add_more(self, ids: list[int], cards: list[BoardCard]) -> bool:
        """Append the cards asked for by ``more_wanted``. Cards that no longer follow the
        last one (the column was reloaded meanwhile) are dropped: the view asks again if it
        still needs them. False when a card asked for is gone: the column is out of date."""
        start = len(self._cards)
        if ids != self._ids[start : start + len(ids)]:
            self._more_asked = False
            return True
        if [card.id for card in cards] != ids:
            self._more_asked = False
            return False
        if cards:
            self._insert(start, cards)
        # Only now: views ask for more while the rows go in, before the cards are there.
        self._more_asked = False
        return True

    def more_failed(self) -> None:
        """The cards asked for could not be read: ask again when the view next wants them."""
        self._more_asked = False

    def _apply_cards(self, cards: list[BoardCard]) -> None:
        self.revision += 1
        old_ids = [card.id for card in self._cards]
        new_ids = [card.id for card in cards]
        if old_ids == new_ids:
            for row, card in enumerate(cards):
                if self._cards[row] != card:
                    self._cards[row] = card
                    self.dataChanged.emit(self.index(row), self.index(row))
            return
        wanted = set(new_ids)
        changes = len(set(old_ids) ^ wanted) + sum(
            1 for old, new in zip(old_ids, new_ids, strict=False) if old != new
        )
        if not self._cards:
            # The first cards of an empty column (a card moved in, the first load) in one go.
            self._insert(0, cards)
            return
        if changes > INCREMENTAL_LIMIT:
            # A new filter replaces most cards: row-by-row updates would cost more than a reset.
            self._change(list(cards), lambda: self.setStringList([""] * len(cards)))
            return
        for row in range(len(self._cards) - 1, -1, -1):
            if self._cards[row].id not in wanted:
                self._change(
                    self._cards[:row] + self._cards[row + 1 :],
                    partial(super().removeRows, row, 1),
                )
        for target, card in enumerate(cards):
            in_place = target < len(self._cards) and self._cards[target].id == card.id
            current = target if in_place else self.row_of(card.id)
            if current is None:
                self._insert(target, [card])
                continue
            if current != target:
                # Rows above ``target`` are in place already, so a card only ever moves up.
                moved = list(self._cards)
                moved.insert(target, moved.pop(current))
                self._change(
                    moved,
                    partial(
                        super().moveRows,
                        QModelIndex(),
                        current,
                        1,
                        QModelIndex(),
                        target,
                    ),
                )
            if self._cards[target] != card:
                self._cards[target] = card
                index = self.index(target)
                self.dataChanged.emit(index, index)

    def _insert(self, row: int, cards: list[BoardCard]) -> None:
        self._change(
            [*self._cards[:row], *cards, *self._cards[row:]],
            lambda: super(BoardColumnModel, self).insertRows(row, len(cards)),
        )

    def _change(self, cards: list[BoardCard], change_rows: Callable[[], object]) -> None:
        """Change Qt's rows with ``change_rows``, and the cards to ``cards`` as it ends: the
        views see the old cards while they are told of the change, the new ones after."""
        self.revision += 1
        self._next_cards = cards
        change_rows()
        if self._next_cards is not None:
            # Qt refused the change (it emits nothing then): show the cards by a reset.
            self.setStringList([""] * len(cards))

    def _take_next_cards(self) -> None:
        if self._next_cards is not None:
            self._cards, self._next_cards = self._next_cards, None

    # Qt's model interface

    def removeRows(self, row: int, count: int, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        """Refused: a card leaves a column only when the board reloads it (a view would
        remove a card it dragged elsewhere before the move was saved)."""
        return False

    def moveRows(
        self,
        source_parent: Index,
        source_row: int,
        count: int,
        destination_parent: Index,
        destination_child: int,
    ) -> bool:
        """Refused, as ``removeRows``: a card dropped within its column is a re-rank for the
        board to save (the view then reports the drop through ``dropMimeData``); the column
        shows it once saved."""
        return False

    def canFetchMore(self, parent: Index) -> bool:
        return not parent.isValid() and len(self._cards) < len(self._ids)

    def fetchMore(self, parent: Index) -> None:
        """The view has shown the last card built: ask for the next ones, once."""
        if self._more_asked or not self.canFetchMore(parent):
            return
        self._more_asked = True
        start = len(self._cards)
        self.more_wanted.emit(self.status, self._ids[start : start + MORE_CARDS])

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._cards):
            return None
        card = self._cards[index.row()]
        if role == CARD_ROLE:
            return card
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            assignee = card.assignee_name or "nobody"
            return (
                f"{card.key}, {card.severity.label}, {card.priority.label}: {card.title}. "
                f"{card.service_name or 'No service'}, assigned to {assignee}, "
                f"escalation {card.escalation_level.label}."
            )
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = f"{card.key}: {card.title}\n{card.severity.label}: {card.severity.description}"
            return f"{tip}\n\n{self.rank_note}" if self.rank_note else tip
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = Qt.ItemFlag.ItemIsDropEnabled
        if index.isValid():
            flags |= Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
            flags |= Qt.ItemFlag.ItemIsDragEnabled | Qt.ItemFlag.ItemNeverHasChildren
            flags &= ~Qt.ItemFlag.ItemIsDropEnabled
        return flags

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [CARD_MIME_TYPE]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        mime = QMimeData()
        cards = [self._cards[index.row()] for index in indexes if index.isValid()]
        if cards:
            payload = {"id": cards[0].id, "status": cards[0].status.value, "origin": self.origin}
            mime.setData(CARD_MIME_TYPE, QByteArray(json.dumps(payload).encode()))
        return mime

    def canDropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index
    ) -> bool:
        return data.hasFormat(CARD_MIME_TYPE) and not parent.isValid()

    def dropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index
    ) -> bool:
        """Report the drop; the board asks the database and then updates every column. The
        drop returns False so the view never removes the dragged row by itself."""
        if parent.isValid():
            return False
        try:
            if not data.hasFormat(CARD_MIME_TYPE):
                raise ValueError("not a card")
            payload = json.loads(bytes(data.data(CARD_MIME_TYPE).data()))
            drop = CardDrop(int(payload["id"]), Status(payload["status"]), self.status, row)
            origin = payload.get("origin")
        except (ValueError, KeyError, TypeError, AttributeError):
            self.drop_refused.emit(NOT_A_CARD)
            return False
        if origin != self.origin:
            self.drop_refused.emit(FROM_ANOTHER_DATABASE)
            return False
        self.card_dropped.emit(drop)
        return False


class CardListView(QListView):
    """A column's list of cards, painted in one call into Python rather than one per card:
    while a worker thread runs Python, each call may wait for the interpreter lock, and a
    screenful of cards then added up to more than a frame."""

    def __init__(self) -> None:
        super().__init__()
        use_own_viewport(self)

    def paintEvent(self, event: QPaintEvent) -> None:
        model, delegate = self.model(), self.itemDelegate()
        if (
            self.state() == QAbstractItemView.State.DraggingState
            or not isinstance(model, BoardColumnModel)
            or not isinstance(delegate, CardDelegate)
        ):
            super().paintEvent(event)  # Qt's own painting draws the drop indicator
            return
        cards = model.shown_cards()
        first = self.visualRect(model.index(0, 0)) if cards else QRect()
        if not first.isValid():
            return  # no cards, or not laid out yet
        # Cards have one size (uniform item sizes), so each row's place follows from the first
        # two: no call into Qt per card.
        step = (
            self.visualRect(model.index(1, 0)).top() - first.top()
            if len(cards) > 1
            else first.height() + self.spacing()
        )
        region = event.rect()
        top_row = max(0, (region.top() - first.top()) // step)
        bottom_row = min(len(cards) - 1, (region.bottom() - first.top()) // step)
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        option.rect = first
        painter = QPainter(self.viewport())
        look = delegate.look_of(option, painter.device().devicePixelRatioF())
        selected = {index.row() for index in self.selectionModel().selectedIndexes()}
        for row in range(top_row, bottom_row + 1):
            painter.drawImage(
                QPoint(first.left(), first.top() + row * step),
                delegate.image_of(cards[row], row in selected, look),
            )
        painter.end()


class BoardColumn(QWidget):
    def __init__(
        self, status: Status, delegate: CardDelegate, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.status = status
        self.model = BoardColumnModel(status, self)
        self.header = QLabel()
        font = self.header.font()
        font.setBold(True)
        self.header.setFont(font)
        self.view = CardListView()
        self.view.setModel(self.model)
        self.view.setItemDelegate(delegate)
        # Laid out in one pass: a column builds its cards a screenful at a time, so it holds
        # hundreds, not thousands (a batched layout lost the scroll position on each batch).
        self.view.setUniformItemSizes(True)
        self.view.setAccessibleName(f"{status.label} incidents")
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.view.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.view.setDragEnabled(True)
        self.view.setAcceptDrops(True)
        self.view.setDropIndicatorShown(True)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.header.setBuddy(self.view)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 0, 2, 0)
        layout.addWidget(self.header)
        layout.addWidget(self.view, 1)
        self.model.total_changed.connect(self._count_changed)
        self._count_changed()
        self._fit_minimum_width()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._fit_minimum_width()

    def _fit_minimum_width(self) -> None:
        """Wide enough for a card's key and badges; a narrower window scrolls the board
        sideways instead of cutting keys to "INC·"."""
        view = self.view
        scroll_bar = view.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, view)
        layout = self.layout()
        margins = layout.contentsMargins() if layout is not None else QMargins()
        chrome = 2 * view.frameWidth() + scroll_bar + 2 + margins.left() + margins.right()
        self.setMinimumWidth(minimum_card_width(view.font()) + chrome)

    def fitting(self) -> int:
        """How many cards the column shows at its height."""
        return self.view.viewport().height() // card_height(self.view.font()) + 1

    def _count_changed(self) -> None:
        self.header.setText(f"{self.status.label} ({self.model.total():,})")


class BoardGrid(QWidget):
    """The columns side by side; arrow keys move between them. ``activated`` carries the
    incident id of a card opened with Enter or a double-click."""

    activated = Signal(int)
    move_requested = Signal(object)  # CardDrop
    drop_refused = Signal(str)
    step_requested = Signal(int)  # incident id: next status
    rank_requested = Signal(int, int)  # incident id, -1 up / +1 down

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.delegate = CardDelegate(self)
        self.show_finished = QCheckBox("Show &closed and cancelled")
        self.columns: dict[Status, BoardColumn] = {}
        strip = QWidget()
        row = QHBoxLayout(strip)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)  # each column keeps a margin of its own
        for status in Status:
            column = BoardColumn(status, self.delegate)
            column.view.installEventFilter(self)
            column.view.activated.connect(
                lambda index: self.activated.emit(index.data(CARD_ROLE).id)
            )
            column.model.card_dropped.connect(self.move_requested)
            column.model.drop_refused.connect(self.drop_refused)
            column.setVisible(status in BOARD_STATUSES)
            self.columns[status] = column
            row.addWidget(column, 1)
        # The columns scroll on their own; the strip of them scrolls sideways when the window
        # is too narrow for all of them at their minimum width.
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidget(strip)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.scroll_area.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.scroll_area, 1)
        self.show_finished.toggled.connect(self._show_finished)
        self._focused_column: BoardColumn | None = None
        self._unapplied: list[tuple[BoardColumn, ColumnCards]] = []
        self._when_applied: Callable[[], None] = _nothing
        self._apply_generation = 0
        self._clock_timer = QTimer(self)
        self._clock_timer.setInterval(30_000)
        self._clock_timer.timeout.connect(self._tick)
        self._clock_timer.start()

    def set_origin(self, origin: str) -> None:
        """Name the database the cards come from; cards dragged from another are refused."""
        for column in self.columns.values():
            column.model.origin = origin

    def _show_finished(self, shown: bool) -> None:
        for status in (Status.CLOSED, Status.CANCELLED):
            self.columns[status].setVisible(shown)

    def _tick(self) -> None:
        self.delegate.now = datetime.now(UTC)
        for column in self.columns.values():
            column.view.viewport().update()

    def apply(
        self,
        columns: dict[Status, ColumnCards],
        targets: dict[str, dict[str, int]],
        now: datetime,
        done: Callable[[], None],
        unchanged: dict[Status, int] | None = None,
    ) -> None:
        """Show the cards as they were at ``now`` (their ages and clocks): the columns whose
        cards did not change at once, then a changed column per pass of the event loop (laying
        out and painting them all at once took more than a frame). ``done`` runs with the last
        of them, before it is painted, unless another apply came first. ``unchanged`` names
        the columns found unchanged by ``unchanged_columns`` (comparing hundreds of cards here
        took milliseconds); without it, each column is compared here."""
        self.delegate.targets = targets
        self.delegate.now = now
        self._unapplied = []
        self._apply_generation += 1
        if unchanged is None:
            unchanged = unchanged_columns(self.built(), columns)
        for status, column in self.columns.items():
            cards = columns.get(status, EMPTY_COLUMN)
            same = unchanged.get(status) == column.model.revision
            if same or column.isHidden():
                column.model.apply(cards, same_cards=same)
            else:
                self._unapplied.append((column, cards))
        self._when_applied = done
        self._apply_next(self._apply_generation)

    def _apply_next(self, generation: int) -> None:
        if generation != self._apply_generation:
            return  # a newer apply took over, with passes of its own
        budget = CARDS_PER_PASS
        while self._unapplied and budget > 0:
            column, cards = self._unapplied.pop(0)
            column.model.apply(cards)
            # Laid out in this pass, not the next: the next pass paints it.
            column.view.executeDelayedItemsLayout()
            # A column costs a layout, and a paint of each card it shows.
            budget -= 1 + min(len(cards.cards), column.fitting())
        if self._unapplied:
            QTimer.singleShot(0, self, lambda: self._apply_next(generation))
        else:
            done, self._when_applied = self._when_applied, _nothing
            done()

    def card_looks(self) -> dict[Status, tuple[CardLook, slice]]:
        """For each column shown and painted: the look of its cards and the rows in view."""
        looks = {}
        for column in self.visible_columns():
            look = self.delegate.look_in(column.view)
            if look is not None:
                top = column.view.indexAt(QPoint(column.view.viewport().width() // 2, 0))
                first = max(0, top.row())
                looks[column.status] = (look, slice(first, first + column.fitting()))
        return looks

    def built(self) -> dict[Status, BuiltCards]:
        """What each column shows now, for ``unchanged_columns`` on another thread."""
        return {
            status: BuiltCards(column.model.revision, column.model.total(), column.model.cards())
            for status, column in self.columns.items()
        }

    def loaded(self) -> dict[Status, int]:
        """How many cards each column has built: a refresh builds as many again."""
        return {status: column.model.rowCount() for status, column in self.columns.items()}

    def visible_columns(self) -> list[BoardColumn]:
        return [column for column in self.columns.values() if not column.isHidden()]

    def selected_card(self) -> BoardCard | None:
        """The card selected in the column that last had the keyboard focus: it still counts
        while the focus is in the search box or a menu."""
        column = self._focused_column
        if column is None or column.isHidden():
            return None
        rows = column.view.selectionModel().selectedRows()
        return column.model.card(rows[0].row()) if rows else None

    def eventFilter(self, watched: QObject, event: Any) -> bool:
        if event.type() == QEvent.Type.FocusIn:
            self._focused_column = next(
                (column for column in self.columns.values() if column.view is watched),
                self._focused_column,
            )
            if self._focused_column is not None:
                self.scroll_area.ensureWidgetVisible(self._focused_column, 0, 0)
        if isinstance(event, QKeyEvent) and event.type() == QKeyEvent.Type.KeyPress:
            columns = self.visible_columns()
            views = [column.view for column in columns]
            if watched in views:
                position = views.index(watched)
                card_index = watched.currentIndex()
                alt = event.modifiers() & Qt.KeyboardModifier.AltModifier
                if event.key() in (Qt.Key.Key_Left, Qt.Key.Key_Right) and not alt:
                    step = -1 if event.key() == Qt.Key.Key_Left else 1
                    self._focus_column(columns, position + step, card_index.row())
                    return True
                if alt and card_index.isValid():
                    card = columns[position].model.card(card_index.row())
                    if event.key() == Qt.Key.Key_Right:
                        self.step_requested.emit(card.id)
                        return True
                    if event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down):
                        self.rank_requested.emit(card.id, -1 if event.key() == Qt.Key.Key_Up else 1)
                        return True
        return super().eventFilter(watched, event)

    @staticmethod
    def _focus_column(columns: list[BoardColumn], position: int, row: int) -> None:
        if not 0 <= position < len(columns):
            return
        column = columns[position]
        column.view.setFocus(Qt.FocusReason.TabFocusReason)
        count = column.model.rowCount()
        if count:
            column.view.setCurrentIndex(column.model.index(min(max(row, 0), count - 1)))
