"""The incidents behind a clicked bar, box, point or curve step, as a small sortable table."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)

from incidentdesk.domain.incident import IncidentRow
from incidentdesk.ui.incident_table_model import INCIDENT_ID_ROLE
from incidentdesk.ui.theme import severity_colours
from incidentdesk.ui.times import local_text

Index = QModelIndex | QPersistentModelIndex
SORT_ROLE = Qt.ItemDataRole.UserRole + 2


@dataclass(frozen=True, slots=True)
class ChartRow:
    """One incident as the table shows it; ``measured`` is what the chart measured for it
    ("2 h 10 min", "still waiting"), and ``measured_order`` sorts that column."""

    row: IncidentRow
    measured: str = ""
    measured_order: float = 0.0


_Column = tuple[str, Callable[[ChartRow], str], Callable[[ChartRow], Any]]
_COLUMNS: tuple[_Column, ...] = (
    ("Key", lambda item: item.row.key, lambda item: item.row.number),
    ("Severity", lambda item: item.row.severity.label, lambda item: item.row.severity.value),
    ("Title", lambda item: item.row.title, lambda item: item.row.title.lower()),
    ("Status", lambda item: item.row.status.label, lambda item: item.row.status.label),
    ("Team", lambda item: item.row.team_name, lambda item: item.row.team_name.lower()),
    ("Service", lambda item: item.row.service_name, lambda item: item.row.service_name.lower()),
    (
        "Reported",
        lambda item: local_text(item.row.reported_at),
        lambda item: item.row.reported_at,
    ),
)
SEVERITY_COLUMN = 1
TITLE_COLUMN = 2


class ChartRowsModel(QAbstractTableModel):
    """Plain rows handed over whole (a click lists at most the incidents of one period)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._items: list[ChartRow] = []
        self._measure_title = ""

    @property
    def measure_title(self) -> str:
        return self._measure_title

    def set_rows(
        self,
        rows: Sequence[IncidentRow],
        measure_title: str = "",
        measured: Mapping[int, tuple[str, float]] | None = None,
    ) -> None:
        """Show ``rows``, newest first; ``measured`` maps an incident id to its measured text
        and the number that sorts it, shown in a last column called ``measure_title``."""
        measured = measured or {}
        items = [ChartRow(row, *measured.get(row.id, ("", 0.0))) for row in rows]
        items.sort(key=lambda item: item.row.reported_at, reverse=True)
        self.beginResetModel()
        self._items = items
        self._measure_title = measure_title if measured else ""
        self.endResetModel()

    def clear(self) -> None:
        # each filter change clears every chart's list; a reset of an empty one costs its
        # table a relayout (1 ms) for nothing
        if self._items or self._measure_title:
            self.set_rows([])

    def incident_id(self, row: int) -> int:
        return self._items[row].row.id

    def _columns(self) -> int:
        return len(_COLUMNS) + (1 if self._measure_title else 0)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's own default)
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._columns()

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        if 0 <= section < len(_COLUMNS):
            return _COLUMNS[section][0]
        if section == len(_COLUMNS) and self._measure_title:
            return self._measure_title
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
        column = index.column()
        if role == INCIDENT_ID_ROLE:
            return item.row.id
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            if column < len(_COLUMNS):
                return _COLUMNS[column][1](item)
            return item.measured if column == len(_COLUMNS) else None
        if role == SORT_ROLE:
            if column < len(_COLUMNS):
                return _COLUMNS[column][2](item)
            return item.measured_order
        if role == Qt.ItemDataRole.ToolTipRole and column == TITLE_COLUMN:
            return f"{item.row.key}: {item.row.title}"
        if column == SEVERITY_COLUMN and role in (
            Qt.ItemDataRole.BackgroundRole,
            Qt.ItemDataRole.ForegroundRole,
        ):
            background, text = severity_colours(item.row.severity)
            return background if role == Qt.ItemDataRole.BackgroundRole else text
        if role == Qt.ItemDataRole.TextAlignmentRole and column == SEVERITY_COLUMN:
            return Qt.AlignmentFlag.AlignCenter
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < self._columns():
            return
        if column < len(_COLUMNS):
            key = _COLUMNS[column][2]
        else:

            def key(item: ChartRow) -> Any:
                return item.measured_order

        self.layoutAboutToBeChanged.emit()
        order_before = sorted(
            range(len(self._items)),
            key=lambda row: key(self._items[row]),
            reverse=order == Qt.SortOrder.DescendingOrder,
        )
        new_row = {old: new for new, old in enumerate(order_before)}
        self._items = [self._items[old] for old in order_before]
        persistent = self.persistentIndexList()
        self.changePersistentIndexList(
            persistent,
            [self.index(new_row[index.row()], index.column()) for index in persistent],
        )
        self.layoutChanged.emit()
