"""The small table beside a chart (the breakdown's median, p90 and count per team, service or
category), sortable by any column; each row knows the incidents it counts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from incidentdesk.ui.charts_source import SummaryTable

Index = QModelIndex | QPersistentModelIndex
NUMBER_ALIGNMENT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class SummaryTableModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._header: tuple[str, ...] = ()
        self._rows: list[tuple[tuple[tuple[str, Any], ...], Sequence[int]]] = []

    def set_table(self, table: SummaryTable | None) -> None:
        if table is None and not self._header:
            return  # already empty: a reset would only relayout the hidden table
        self.beginResetModel()
        if table is None:
            self._header, self._rows = (), []
        else:
            self._header = table.header
            # the ids stay as given (numpy arrays from the statistics): tens of thousands
            # turned into Python ints here kept the GUI thread busy for 20 ms at each change
            self._rows = list(zip(table.rows, table.incident_ids, strict=True))
        self.endResetModel()

    def incident_ids(self, row: int) -> tuple[int, ...]:
        return tuple(int(id_) for id_ in self._rows[row][1])

    def label(self, row: int) -> str:
        return self._rows[row][0][0][0] if self._rows[row][0] else ""

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's own default)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._header)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self._header)
        ):
            return self._header[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        cells = self._rows[index.row()][0]
        if not 0 <= index.column() < len(cells):
            return None
        text, value = cells[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return text
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() > 0:
            return NUMBER_ALIGNMENT
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 0:
            count = len(self._rows[index.row()][1])
            return f"{text}: click to list its {count:,} incidents"
        if role == Qt.ItemDataRole.UserRole:
            return value
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self._header):
            return

        def key(row: tuple[tuple[tuple[str, Any], ...], Sequence[int]]) -> tuple[bool, Any]:
            value = row[0][column][1]
            return (value is None, value)  # rows without a value stay last either way

        self.layoutAboutToBeChanged.emit()
        old_rows = self._rows
        known = [row for row in old_rows if row[0][column][1] is not None]
        unknown = [row for row in old_rows if row[0][column][1] is None]
        known.sort(key=key, reverse=order == Qt.SortOrder.DescendingOrder)
        self._rows = known + unknown
        position = {id(row): new for new, row in enumerate(self._rows)}
        persistent = self.persistentIndexList()
        self.changePersistentIndexList(
            persistent,
            [
                self.index(position[id(old_rows[index.row()])], index.column())
                for index in persistent
            ],
        )
        self.layoutChanged.emit()
