"""A postmortem's action items: the table model (overdue rows marked in colour and in words)
and the dialog that adds one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QWidget,
)

from incidentdesk.domain.enums import ActionKind, ActionStatus
from incidentdesk.services.catalog import Person
from incidentdesk.services.postmortems import ACTION_TITLE_MAX_LENGTH, ActionItemView
from incidentdesk.ui.theme import is_dark

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Title", "Kind", "Owner", "Due", "Status")
TITLE_COLUMN, STATUS_COLUMN = COLUMNS.index("Title"), COLUMNS.index("Status")
NO_VALUE = "—"
DEFAULT_DUE_IN = timedelta(days=14)
STATUS_BUTTON_TEXT = {
    ActionStatus.OPEN: "Mark &Open",
    ActionStatus.IN_PROGRESS: "Mark In Pro&gress",
    ActionStatus.DONE: "Mark &Done",
}

# (background, text) of an overdue row; contrast above 7:1 (WCAG AAA) on both palettes.
OVERDUE_LIGHT = ("#fde7e9", "#8c1d18")
OVERDUE_DARK = ("#5c1a1b", "#ffdad6")


def overdue_colours() -> tuple[QColor, QColor]:
    background, text = OVERDUE_DARK if is_dark() else OVERDUE_LIGHT
    return QColor(background), QColor(text)


def status_text(item: ActionItemView, today: date) -> str:
    return f"{item.status.label} (overdue)" if item.is_overdue(today) else item.status.label


class ActionItemTableModel(QAbstractTableModel):
    """The action items of one postmortem, in the order they were added."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._items: list[ActionItemView] = []
        self._today = date.today()

    def set_items(self, items: list[ActionItemView], today: date) -> None:
        """Show ``items`` as of ``today``; the same items in the same order keep the view's
        selection and scroll position."""
        same_rows = [item.id for item in items] == [item.id for item in self._items]
        if same_rows and items:
            self._items, self._today = list(items), today
            self.dataChanged.emit(self.index(0, 0), self.index(len(items) - 1, len(COLUMNS) - 1))
            return
        self.beginResetModel()
        self._items, self._today = list(items), today
        self.endResetModel()

    def item(self, row: int) -> ActionItemView:
        return self._items[row]

    def row_of(self, item_id: int) -> int | None:
        return next((row for row, item in enumerate(self._items) if item.id == item_id), None)

    def _display(self, item: ActionItemView, column: int) -> str:
        return (
            item.title,
            item.kind.label,
            item.owner_name or NO_VALUE,
            item.due_on.isoformat() if item.due_on else NO_VALUE,
            status_text(item, self._today),
        )[column]

    # Qt's model interface

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if horizontal and 0 <= section < len(COLUMNS) and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (
            not index.isValid()
            or not 0 <= index.row() < len(self._items)
            or not 0 <= index.column() < len(COLUMNS)
        ):
            return None
        item = self._items[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(item, column)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{COLUMNS[column]}: {self._display(item, column)}"
        if role == Qt.ItemDataRole.ToolTipRole:
            if item.is_overdue(self._today) and item.due_on is not None:
                late = (self._today - item.due_on).days
                days = "1 day" if late == 1 else f"{late} days"
                return f"{item.title}\nOverdue: it was due {item.due_on.isoformat()}, {days} ago."
            return item.title if column == TITLE_COLUMN else None
        if item.is_overdue(self._today) and role in (
            Qt.ItemDataRole.BackgroundRole,
            Qt.ItemDataRole.ForegroundRole,
        ):
            background, text = overdue_colours()
            return background if role == Qt.ItemDataRole.BackgroundRole else text
        return None


@dataclass(frozen=True)
class NewActionItem:
    title: str
    kind: ActionKind
    owner_id: int | None
    due_on: date | None


class ActionItemDialog(QDialog):
    """Asks for a new action item: what, which kind, who, and optionally by when."""

    def __init__(self, people: list[Person], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add Action Item")
        self.title = QLineEdit()
        self.title.setAccessibleName("Action item")
        self.title.setMaxLength(ACTION_TITLE_MAX_LENGTH)
        self.title.setPlaceholderText("What is to be done, in one line")
        self.kind = QComboBox()
        self.kind.setAccessibleName("Kind")
        for kind, hint in (
            (ActionKind.DETECT, "Notice it sooner next time"),
            (ActionKind.PREVENT, "Stop it from happening again"),
            (ActionKind.CORRECT, "Repair the harm it did"),
        ):
            self.kind.addItem(f"{kind.label}: {hint}", kind)
        self.owner = QComboBox()
        self.owner.setAccessibleName("Owner")
        self.owner.addItem(NO_VALUE, None)
        for person in people:
            self.owner.addItem(person.name, person.id)
        self.has_due_date = QCheckBox("&Due by")
        self.has_due_date.setAccessibleName("Has a due date")
        self.due_on = QDateEdit(QDate.currentDate().addDays(DEFAULT_DUE_IN.days))
        self.due_on.setAccessibleName("Due date")
        self.due_on.setCalendarPopup(True)
        self.due_on.setDisplayFormat("yyyy-MM-dd")
        self.due_on.setEnabled(False)
        self.has_due_date.toggled.connect(self.due_on.setEnabled)
        due_row = QHBoxLayout()
        due_row.setContentsMargins(0, 0, 0, 0)
        due_row.addWidget(self.has_due_date)
        due_row.addWidget(self.due_on)
        due_row.addStretch()

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.add_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.add_button.setText("&Add")
        self.add_button.setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.title.textChanged.connect(lambda text: self.add_button.setEnabled(bool(text.strip())))

        form = QFormLayout(self)
        form.addRow("&What:", self.title)
        form.addRow("&Kind:", self.kind)
        form.addRow("&Owner:", self.owner)
        form.addRow("Due:", due_row)
        form.addRow(self.buttons)

    def new_item(self) -> NewActionItem:
        return NewActionItem(
            title=self.title.text().strip(),
            kind=ActionKind(self.kind.currentData()),
            owner_id=self.owner.currentData(),
            due_on=self._due_on() if self.has_due_date.isChecked() else None,
        )

    def _due_on(self) -> date:
        chosen = self.due_on.date()
        return date(chosen.year(), chosen.month(), chosen.day())
