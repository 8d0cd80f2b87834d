"""The editable grids of the settings window: the priority matrix (severity × urgency) and
the SLA targets (severity × clock, in minutes). They hold what is being edited; the service
checks it when it is saved."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from incidentdesk.domain.enums import Severity, Urgency
from incidentdesk.domain.metrics import format_duration
from incidentdesk.domain.team_settings import SLA_CLOCKS

Index = QModelIndex | QPersistentModelIndex
_EDIT = Qt.ItemDataRole.EditRole
_DISPLAY = Qt.ItemDataRole.DisplayRole


class SeverityGrid(QAbstractTableModel):
    """A grid with a row per severity (SEV1 first), editable unless the person may not change
    it; a subclass names its columns."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.editable = True

    def column_titles(self) -> list[str]:
        raise NotImplementedError

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Severity)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.column_titles())

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        return flags | Qt.ItemFlag.ItemIsEditable if self.editable else flags

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if role != _DISPLAY:
            return None
        titles = self.column_titles()
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(titles):
            return titles[section]
        if orientation == Qt.Orientation.Vertical and 0 <= section < len(Severity):
            return Severity(section + 1).label
        return None


class PriorityMatrixModel(SeverityGrid):
    """Rows are severities (SEV1 first), columns urgencies (High first); cells P1-P5."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._cells: dict[tuple[Severity, Urgency], int] = {}

    def set_cells(self, cells: dict[tuple[Severity, Urgency], int]) -> None:
        self.beginResetModel()
        self._cells = dict(cells)
        self.endResetModel()

    def cells(self) -> dict[tuple[Severity, Urgency], int]:
        return dict(self._cells)

    def _cell(self, index: Index) -> tuple[Severity, Urgency]:
        return Severity(index.row() + 1), Urgency(index.column() + 1)

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        value = self._cells.get(self._cell(index))
        if role == _DISPLAY:
            return f"P{value}" if value is not None else ""
        if role == _EDIT:
            return value
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            severity, urgency = self._cell(index)
            return f"{severity.label} × {urgency.label}: P{value}"
        return None

    def setData(self, index: Index, value: Any, role: int = _EDIT) -> bool:
        if not index.isValid() or role != _EDIT or not self.editable:
            return False
        text = str(value).strip().upper().removeprefix("P")
        if not text.isdigit():
            return False
        self._cells[self._cell(index)] = int(text)
        self.dataChanged.emit(index, index, [_DISPLAY, _EDIT])
        return True

    def column_titles(self) -> list[str]:
        return [f"{urgency.label} urgency" for urgency in Urgency]


class SlaTargetsModel(SeverityGrid):
    """Rows are severities, columns the acknowledge, recover and resolve targets in minutes."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._targets: dict[str, dict[str, int]] = {}

    def set_targets(self, targets: dict[str, dict[str, int]]) -> None:
        self.beginResetModel()
        self._targets = {severity: dict(minutes) for severity, minutes in targets.items()}
        self.endResetModel()

    def targets(self) -> dict[str, dict[str, int]]:
        return {severity: dict(minutes) for severity, minutes in self._targets.items()}

    def _minutes(self, index: Index) -> int | None:
        severity = Severity(index.row() + 1).label
        return self._targets.get(severity, {}).get(SLA_CLOCKS[index.column()][0])

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        minutes = self._minutes(index)
        if role == _EDIT:
            return minutes
        if role == _DISPLAY:
            return "" if minutes is None else f"{minutes:,} min"
        if role == Qt.ItemDataRole.ToolTipRole and minutes is not None:
            return format_duration(timedelta(minutes=minutes))
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def setData(self, index: Index, value: Any, role: int = _EDIT) -> bool:
        if not index.isValid() or role != _EDIT or not self.editable:
            return False
        try:
            minutes = int(str(value).replace(",", "").removesuffix("min").strip())
        except ValueError:
            return False
        severity = Severity(index.row() + 1).label
        self._targets.setdefault(severity, {})[SLA_CLOCKS[index.column()][0]] = minutes
        self.dataChanged.emit(index, index, [_DISPLAY, _EDIT])
        return True

    def column_titles(self) -> list[str]:
        return [f"{clock.capitalize()} within" for _, clock in SLA_CLOCKS]
