"""The incident list as a lazily loaded table; sorting and filtering happen in SQL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from incidentdesk.domain.enums import Severity
from incidentdesk.domain.incident import IncidentRow
from incidentdesk.services.desk import Desk
from incidentdesk.services.incidents import IncidentQuery, SortKey
from incidentdesk.ui.changes import IncidentsChanged
from incidentdesk.ui.tasks import TaskRunner
from incidentdesk.ui.theme import severity_colours
from incidentdesk.ui.times import local_text

# Rows read at a time: a few screens of the tallest window; every keystroke of a search reads
# (and formats) a page on the read thread, the longer the later its results.
PAGE_SIZE = 100
# A refresh reads as many rows as were loaded, so the view keeps its place, up to this many.
REFRESH_ROWS_LIMIT = 20 * PAGE_SIZE
INCIDENT_ID_ROLE = Qt.ItemDataRole.UserRole + 1

Index = QModelIndex | QPersistentModelIndex
COLUMNS: tuple[tuple[SortKey, str], ...] = (
    (SortKey.KEY, "Key"),
    (SortKey.SEVERITY, "Severity"),
    (SortKey.PRIORITY, "Priority"),
    (SortKey.TITLE, "Title"),
    (SortKey.STATUS, "Status"),
    (SortKey.SERVICE, "Service"),
    (SortKey.ASSIGNEE, "Assignee"),
    (SortKey.REPORTED_AT, "Reported"),
)
# What data() answers, looked up once: it runs about a thousand times per repaint, on the GUI
# thread, and looking up a Qt enum member costs about 0.3 µs each time.
_DISPLAY_ROLE = Qt.ItemDataRole.DisplayRole
_ALIGNMENT_ROLE = Qt.ItemDataRole.TextAlignmentRole
_BACKGROUND_ROLE = Qt.ItemDataRole.BackgroundRole
_FOREGROUND_ROLE = Qt.ItemDataRole.ForegroundRole
_TOOLTIP_ROLE = Qt.ItemDataRole.ToolTipRole
_COLOUR_ROLES = frozenset({_BACKGROUND_ROLE, _FOREGROUND_ROLE})
# A repaint asks each visible cell for seven roles (font, alignment, colours, check state,
# icon, text); the others are answered before the index is looked at.
_ANSWERED_ROLES = frozenset(
    {
        _DISPLAY_ROLE,
        _ALIGNMENT_ROLE,
        _BACKGROUND_ROLE,
        _FOREGROUND_ROLE,
        _TOOLTIP_ROLE,
        Qt.ItemDataRole.AccessibleTextRole,
        INCIDENT_ID_ROLE,
    }
)
_CENTRED = Qt.AlignmentFlag.AlignCenter
SEVERITY_COLUMN = next(c for c, (key, _) in enumerate(COLUMNS) if key is SortKey.SEVERITY)
CENTRED_COLUMNS = frozenset(
    c for c, (key, _) in enumerate(COLUMNS) if key in (SortKey.SEVERITY, SortKey.PRIORITY)
)
_TOOLTIP_COLUMNS = frozenset(
    c for c, (key, _) in enumerate(COLUMNS) if key in (SortKey.TITLE, SortKey.SEVERITY)
)


def _display(row: IncidentRow, key: SortKey) -> str:
    match key:
        case SortKey.KEY:
            return row.key
        case SortKey.TITLE:
            return row.title
        case SortKey.SEVERITY:
            return row.severity.label
        case SortKey.PRIORITY:
            return row.priority.label
        case SortKey.STATUS:
            return row.status.label
        case SortKey.SERVICE:
            return row.service_name
        case SortKey.ASSIGNEE:
            return row.assignee_name
        case SortKey.REPORTED_AT:
            return local_text(row.reported_at)


@dataclass(frozen=True, slots=True)
class ListedIncident:
    """A row as the table shows it, its texts prepared on the worker thread so that painting
    is a lookup (a Python ``data()`` call costs ~6 µs; a repaint makes a thousand)."""

    id: int
    severity: Severity
    texts: tuple[str, ...]
    tooltip: str


def _listed(rows: list[IncidentRow]) -> list[ListedIncident]:
    return [
        ListedIncident(
            row.id,
            row.severity,
            tuple(_display(row, key) for key, _ in COLUMNS),
            f"{row.key}: {row.title}\n{row.severity.label}: {row.severity.description}",
        )
        for row in rows
    ]


class IncidentTableModel(QAbstractTableModel):
    """Rows arrive a page at a time from a background read; a new query replaces them all.
    The total is counted after the first page is shown, so typing never waits for a count."""

    loaded = Signal()  # the first page of the current query has arrived
    rows_drawn = Signal(object)  # what ``draw_ahead``'s work made, just before the rows change
    total_changed = Signal(int)  # the number of matching incidents is known
    load_failed = Signal(Exception)

    def __init__(self, runner: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        runner.changes.incidents_changed.connect(self._incidents_changed)
        self._desk: Desk | None = None
        self._query = IncidentQuery()
        self._rows: list[ListedIncident] = []
        self._total = 0
        self._counted = False
        self._more = False
        self._database_empty = False
        self._fetching = False
        self._refreshing = False
        self._colours = {severity: severity_colours(severity) for severity in Severity}
        # Set by the view: called when a search starts, it returns work for the read thread
        # that draws the rows of the first page that will show.
        self.draw_ahead: Callable[[], Callable[[list[ListedIncident]], object] | None] = lambda: (
            None
        )

    @property
    def query(self) -> IncidentQuery:
        return self._query

    @property
    def total(self) -> int:
        """The number of matching incidents; the rows loaded so far until ``counted``."""
        return self._total

    @property
    def counted(self) -> bool:
        return self._counted

    @property
    def refreshing(self) -> bool:
        """True while the rows are replaced by a refresh of the same query (not a new one):
        the view then keeps its scroll position."""
        return self._refreshing

    @property
    def database_empty(self) -> bool:
        """Whether the database holds no incidents at all (not merely none matching)."""
        return self._database_empty

    def set_desk(self, desk: Desk | None) -> None:
        """List the incidents of ``desk``, the database the runner works on now."""
        self._desk = desk
        self.beginResetModel()
        self._rows, self._total, self._counted, self._more = [], 0, False, False
        self.endResetModel()
        if desk is not None:
            self.set_query(self._query)

    def _incidents_changed(self, change: IncidentsChanged) -> None:
        # Hidden or not: one page, and the view keeps its selection and scroll position.
        if change.concerns(self._desk):
            self.refresh()

    def set_query(self, query: IncidentQuery) -> None:
        """Show the incidents matching ``query``; earlier queries still running are ignored."""
        self._load(query, PAGE_SIZE, refreshing=False)

    def refresh(self) -> None:
        """Read the same query again, as many rows as are loaded (after a change)."""
        rows = min(max(PAGE_SIZE, len(self._rows)), REFRESH_ROWS_LIMIT)
        self._load(self._query, rows, refreshing=True)

    def _load(self, query: IncidentQuery, limit: int, *, refreshing: bool) -> None:
        self._query = query
        if self._desk is None:
            return
        draw = self.draw_ahead()

        def first_page(desk: Desk) -> tuple[list[ListedIncident], bool, object]:
            rows = desk.incidents.rows(query, 0, limit)
            database_empty = not rows and desk.incidents.count(IncidentQuery()) == 0
            listed = _listed(rows)
            return listed, database_empty, draw(listed) if draw is not None else None

        self._runner.read(
            self,
            first_page,
            lambda result: self._first_page_arrived(limit, refreshing, result),
            self._failed,
            supersede="rows",
        )

    def _failed(self, error: Exception) -> None:
        self._fetching = False
        self.load_failed.emit(error)

    def _first_page_arrived(
        self, limit: int, refreshing: bool, result: tuple[list[ListedIncident], bool, object]
    ) -> None:
        rows, self._database_empty, drawn = result
        if drawn is not None:
            self.rows_drawn.emit(drawn)
        colours = {severity: severity_colours(severity) for severity in Severity}
        # Typing on often brings the same first page (a distinctive word is complete): then
        # there is no reset, so no repaint, and the selection and scroll position stay.
        changed = rows != self._rows or colours != self._colours
        self._refreshing = refreshing
        if changed:
            self.beginResetModel()
        self._rows, self._colours, self._fetching = rows, colours, False
        self._more = len(rows) == limit
        self._total, self._counted = len(rows), not self._more
        if changed:
            self.endResetModel()
        self._refreshing = False
        self.loaded.emit()
        if self._counted:
            self.total_changed.emit(self._total)
            return
        query = self._query
        self._runner.read(
            self,
            lambda desk: desk.incidents.count(query),
            lambda total: self._counted_all(query, total),
            self._failed,
            supersede="count",
        )

    def _counted_all(self, query: IncidentQuery, total: int) -> None:
        if query != self._query:
            return  # counted for a search typed over since
        self._total, self._counted = max(total, len(self._rows)), True
        self.total_changed.emit(self._total)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        all_loaded = self._counted and len(self._rows) >= self._total
        return not parent.isValid() and not self._fetching and self._more and not all_loaded

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent) or self._desk is None:
            return
        self._fetching = True
        query, offset = self._query, len(self._rows)
        self._runner.read(
            self,
            lambda desk: _listed(desk.incidents.rows(query, offset, PAGE_SIZE)),
            lambda rows: self._page_arrived(query, offset, rows),
            self._failed,
        )

    def _page_arrived(self, query: IncidentQuery, offset: int, rows: list[ListedIncident]) -> None:
        if query != self._query or offset != len(self._rows):
            return  # the page of rows a new search has replaced
        self._more = len(rows) == PAGE_SIZE
        if rows:
            self.beginInsertRows(QModelIndex(), offset, offset + len(rows) - 1)
            self._rows.extend(rows)
            self.endInsertRows()
        # Only now: a view may ask for more while the rows go in, and that page would start
        # at the rows before these.
        self._fetching = False
        if not self._counted:
            self._total = len(self._rows)

    def listed(self, row: int) -> ListedIncident:
        return self._rows[row]

    def row_of(self, incident_id: int) -> int | None:
        return next(
            (row for row, listed in enumerate(self._rows) if listed.id == incident_id), None
        )

    # Qt's model interface

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if horizontal and 0 <= section < len(COLUMNS) and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][1]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in _ANSWERED_ROLES:
            return None
        row, column = index.row(), index.column()
        if not (0 <= row < len(self._rows) and 0 <= column < len(COLUMNS)):
            return None
        listed = self._rows[row]
        if role == _DISPLAY_ROLE:
            return listed.texts[column]
        if role == _ALIGNMENT_ROLE:
            return _CENTRED if column in CENTRED_COLUMNS else None
        if role in _COLOUR_ROLES:
            if column != SEVERITY_COLUMN:
                return None
            background, text = self._colours[listed.severity]
            return background if role == _BACKGROUND_ROLE else text
        if role == INCIDENT_ID_ROLE:
            return listed.id
        if role == _TOOLTIP_ROLE:
            return listed.tooltip if column in _TOOLTIP_COLUMNS else None
        return f"{COLUMNS[column][1]}: {listed.texts[column]}"  # the accessible text

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if 0 <= column < len(COLUMNS):
            descending = order == Qt.SortOrder.DescendingOrder
            self.set_query(replace(self._query, sort=COLUMNS[column][0], descending=descending))
