"""The small table beside a chart (the breakdown's median, p90 and count per team, service or
category), sortable by any column; each row knows the incidents it counts.

Its cells are Qt's own items, so that the view reads them without calling into Python. As a
Python model, sizing its columns and painting its cells called ``data`` thousands of times at
each change of filter, each call waiting for the interpreter lock while a chart rendered on
the read thread: four fifths of the GUI thread's calls into Python on the charts page.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel

from incidentdesk.ui.charts_source import SummaryTable

NUMBER_ALIGNMENT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
VALUE_ROLE = Qt.ItemDataRole.UserRole  # the number or name a cell shows, None if unknown
SORT_ROLE = Qt.ItemDataRole.UserRole + 1  # what sorting compares; see ``sort``
IDS_ROLE = Qt.ItemDataRole.UserRole + 2  # in a row's first cell: the incidents it counts


class SummaryTableModel(QStandardItemModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)

    def set_table(self, table: SummaryTable | None) -> None:
        if table is None and self.columnCount() == 0:
            return  # already empty: a reset would only relayout the hidden table
        self.clear()
        if table is None:
            return
        self.setHorizontalHeaderLabels(list(table.header))
        for cells, ids in zip(table.rows, table.incident_ids, strict=True):
            row = [_cell(text, value, column) for column, (text, value) in enumerate(cells)]
            if row:
                # the ids stay as given (numpy arrays from the statistics): tens of thousands
                # turned into Python ints here kept the GUI thread busy for 20 ms a change
                row[0].setData(ids, IDS_ROLE)
                row[0].setToolTip(f"{row[0].text()}: click to list its {len(ids):,} incidents")
            self.appendRow(row)

    def incident_ids(self, row: int) -> tuple[int, ...]:
        ids = self.index(row, 0).data(IDS_ROLE)
        return tuple(int(id_) for id_ in ids) if ids is not None else ()

    def label(self, row: int) -> str:
        text = self.index(row, 0).data()
        return str(text) if text is not None else ""

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Rows without a value in ``column`` stay last either way: Qt puts them last going
        up and first going down, so they sort as the end of the order asked for."""
        if not 0 <= column < self.columnCount():
            return
        last = math.inf if order == Qt.SortOrder.AscendingOrder else -math.inf
        for row in range(self.rowCount()):
            item = self.item(row, column)
            if item is not None and item.data(VALUE_ROLE) is None:
                item.setData(last, SORT_ROLE)
        super().sort(column, order)


def _cell(text: str, value: Any, column: int) -> QStandardItem:
    item = QStandardItem(text)
    item.setEditable(False)
    item.setData(text, Qt.ItemDataRole.AccessibleTextRole)
    if value is not None:
        item.setData(value, VALUE_ROLE)
        item.setData(value, SORT_ROLE)
    if column > 0:
        item.setTextAlignment(NUMBER_ALIGNMENT)
    return item
