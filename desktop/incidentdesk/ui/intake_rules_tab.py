"""Settings → Alert Rules: the rules that turn alerts from monitoring into incidents (kept in
the database, ``intake/rules.py``), in a grid an admin edits; everyone else sees them read-only
and why. The service checks them when they are saved and records the change."""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from incidentdesk.domain.enums import Role, Severity
from incidentdesk.domain.validation import ValidationFailed
from incidentdesk.intake.processing import RULES_MAX_AGE
from incidentdesk.intake.rules import SETTING_KEY, Rule, RuleService
from incidentdesk.services.changes import unchanged
from incidentdesk.services.desk import Desk
from incidentdesk.ui.failures import error_text
from incidentdesk.ui.tasks import TaskRunner

Index = QModelIndex | QPersistentModelIndex
_DISPLAY = Qt.ItemDataRole.DisplayRole
_EDIT = Qt.ItemDataRole.EditRole
NOTHING = "—"  # a choice that sets nothing: a later rule, or the default, decides
RECOVER_CHOICES = {NOTHING: None, "Yes": True, "No": False}


@dataclass(frozen=True)
class Column:
    attribute: str
    title: str
    tooltip: str
    choices: bool = False  # picked from a list rather than typed


COLUMNS = (
    Column("label", "Label", "The alert label the rule looks at; empty: every alert"),
    Column("value", "Equals", "The value that label must have"),
    Column("service", "Service", "The service affected, from the catalog", choices=True),
    Column("category", "Category", "The incident's category, from the catalog", choices=True),
    Column("severity", "Severity", "The incident's severity", choices=True),
    Column("group_by", "Group by", "A label: alerts with the same value of it join one incident"),
    Column(
        "recover_when_resolved",
        "Recovered when resolved",
        "Whether the incident is set recovered once all its alerts have resolved",
        choices=True,
    ),
)
COLUMN_INDEX = {column.attribute: number for number, column in enumerate(COLUMNS)}


@dataclass(frozen=True)
class RulesLoaded:
    role: Role
    rules: list[Rule]
    services: list[str]
    categories: list[str]


def load_rules(desk: Desk) -> RulesLoaded:
    """What the tab shows, read on the read thread."""
    return RulesLoaded(
        desk.team_settings.role(),
        RuleService(desk.store).rules(),
        [item.name for item in desk.catalog.services()],
        [item.name for item in desk.catalog.categories()],
    )


class IntakeRulesModel(QAbstractTableModel):
    """The rules being edited, a row each, in the order they are tried."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rules: list[Rule] = []
        self.editable = True
        self.services: list[str] = []
        self.categories: list[str] = []

    def set_rules(self, rules: list[Rule]) -> None:
        self.beginResetModel()
        self._rules = list(rules)
        self.endResetModel()

    def rules(self) -> list[Rule]:
        return list(self._rules)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rules)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        return flags | Qt.ItemFlag.ItemIsEditable if self.editable else flags

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            if role == _DISPLAY:
                return COLUMNS[section].title
            if role == Qt.ItemDataRole.ToolTipRole:
                return COLUMNS[section].tooltip
        if orientation == Qt.Orientation.Vertical and role == _DISPLAY:
            return str(section + 1) if 0 <= section < len(self._rules) else None
        return None

    def choices(self, column: int) -> list[str]:
        """What a cell of ``column`` may be set to, when it is picked from a list."""
        attribute = COLUMNS[column].attribute
        if attribute == "service":
            return ["", *self.services]
        if attribute == "category":
            return ["", *self.categories]
        if attribute == "severity":
            return [NOTHING, *(severity.label for severity in Severity)]
        if attribute == "recover_when_resolved":
            return list(RECOVER_CHOICES)
        return []

    def _text(self, rule: Rule, attribute: str) -> str:
        value = getattr(rule, attribute)
        if attribute == "severity":
            return value.label if value is not None else NOTHING
        if attribute == "recover_when_resolved":
            return next(text for text, choice in RECOVER_CHOICES.items() if choice is value)
        return str(value)

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rules):
            return None
        rule, column = self._rules[index.row()], COLUMNS[index.column()]
        text = self._text(rule, column.attribute)
        if role in (_DISPLAY, _EDIT):
            return text
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"Rule {index.row() + 1}, {column.title}: {text or 'not set'}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tooltip
        return None

    def setData(self, index: Index, value: Any, role: int = _EDIT) -> bool:
        if not index.isValid() or role != _EDIT or not self.editable:
            return False
        text = "" if value is None else str(value)
        attribute = COLUMNS[index.column()].attribute
        new: Any = text
        if COLUMNS[index.column()].choices:
            if text not in self.choices(index.column()):
                return False
            if attribute == "severity":
                new = None if text == NOTHING else next(s for s in Severity if s.label == text)
            elif attribute == "recover_when_resolved":
                new = RECOVER_CHOICES[text]
        row = index.row()
        self._rules[row] = replace(self._rules[row], **{attribute: new})
        self.dataChanged.emit(index, index, [_DISPLAY, _EDIT])
        return True

    def insert_rule(self, row: int, rule: Rule) -> None:
        row = max(0, min(row, len(self._rules)))
        self.beginInsertRows(QModelIndex(), row, row)
        self._rules.insert(row, rule)
        self.endInsertRows()

    def remove_rule(self, row: int) -> None:
        if not 0 <= row < len(self._rules):
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._rules[row]
        self.endRemoveRows()

    def move_rule(self, row: int, step: int) -> bool:
        """Move the rule at ``row`` one place up (-1) or down (1); False at either end."""
        target = row + step
        if not (0 <= row < len(self._rules) and 0 <= target < len(self._rules)):
            return False
        # Qt names the row the moved one goes before: one further down when moving down.
        self.beginMoveRows(QModelIndex(), row, row, QModelIndex(), target + (step > 0))
        self._rules.insert(target, self._rules.pop(row))
        self.endMoveRows()
        return True


class ChoiceDelegate(QStyledItemDelegate):
    """A list to pick from for the columns that take one of a few values (the catalog's
    services and categories, the severities, yes or no); a line to type in for the others."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:
        model = index.model()
        choices = model.choices(index.column()) if isinstance(model, IntakeRulesModel) else []
        if not choices:
            return super().createEditor(parent, option, index)
        editor = QComboBox(parent)
        editor.addItems(choices)
        editor.setAccessibleName(COLUMNS[index.column()].title)
        return editor

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        if isinstance(editor, QComboBox):
            editor.setCurrentIndex(max(0, editor.findText(str(index.data(_EDIT)))))
            return
        super().setEditorData(editor, index)

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: Index) -> None:
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentText(), _EDIT)
            return
        super().setModelData(editor, model, index)


class IntakeRulesTab(QWidget):
    """The tab; ``saved`` after a change was stored (the dialog then shows it in Changes)."""

    saved = Signal()

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._loaded: RulesLoaded | None = None
        self.role_note = QLabel()
        self.role_note.setWordWrap(True)
        self.role_note.setAccessibleName("Who may change the alert rules")
        explanation = QLabel(
            "Alerts from monitoring become incidents as these rules say. For each setting "
            "the first rule that matches an alert's labels and sets it wins; what no rule sets "
            "keeps its default (severity SEV3, no service, no grouping but the sender's own, "
            "not set recovered)."
        )
        explanation.setWordWrap(True)
        self.model = IntakeRulesModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setItemDelegate(ChoiceDelegate(self.table))
        self.table.setAccessibleName("Alert rules")
        self.table.setTabKeyNavigation(False)  # Tab leaves the grid; arrows move inside it
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        # The longest title keeps its width; the others share what is left.
        header.setSectionResizeMode(
            COLUMN_INDEX["recover_when_resolved"], QHeaderView.ResizeMode.ResizeToContents
        )
        table_label = QLabel("Rul&es, tried in this order (F2 edits a cell):")
        table_label.setBuddy(self.table)
        self.add_button = QPushButton("&Add Rule")
        self.remove_button = QPushButton("&Remove Rule")
        self.up_button = QPushButton("Move &Up")
        self.down_button = QPushButton("Move Do&wn")
        self.save_button = QPushButton("&Save Rules")
        self.discard_button = QPushButton("&Discard Changes")
        self.add_button.clicked.connect(self.add_rule)
        self.remove_button.clicked.connect(self.remove_rule)
        self.up_button.clicked.connect(lambda: self.move_rule(-1))
        self.down_button.clicked.connect(lambda: self.move_rule(1))
        self.save_button.clicked.connect(self.save)
        self.discard_button.clicked.connect(self.reload)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Alert rules result")
        side = QVBoxLayout()
        for button in self._edit_buttons():
            side.addWidget(button)
        side.addStretch(1)
        grid = QHBoxLayout()
        grid.addWidget(self.table, 1)
        grid.addLayout(side)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.discard_button, 0, Qt.AlignmentFlag.AlignTop)
        bottom.addWidget(self.save_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.addWidget(self.role_note)
        layout.addWidget(explanation)
        layout.addWidget(table_label)
        layout.addLayout(grid, 1)
        layout.addLayout(bottom)
        chain = (self.table, *self._edit_buttons(), self.discard_button, self.save_button)
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)
        self._set_editable(False, "Loading the alert rules…")
        self.reload()

    def _edit_buttons(self) -> tuple[QPushButton, ...]:
        return (self.add_button, self.remove_button, self.up_button, self.down_button)

    # Loading

    def reload(self) -> None:
        self._runner.read(self, load_rules, self._show, self._load_failed)

    def _show(self, loaded: RulesLoaded) -> None:
        self._loaded = loaded
        self.model.services, self.model.categories = loaded.services, loaded.categories
        self.model.set_rules(loaded.rules)
        if loaded.role is Role.ADMIN:
            self._set_editable(
                True,
                "You are an admin: the rules apply to every alert the team's receivers take in "
                f"from now on (a running receiver within {RULES_MAX_AGE.seconds} seconds).",
            )
        else:
            self._set_editable(
                False,
                f"Only an admin can change the alert rules; you are {loaded.role.value}. Ask an "
                "admin of this database to make a change.",
            )

    def _load_failed(self, error: Exception) -> None:
        self._set_editable(False, f"The alert rules could not be read: {error_text(error)}")

    def _set_editable(self, editable: bool, note: str) -> None:
        self.role_note.setText(note)
        self.model.editable = editable
        reason = "" if editable else note
        for widget in (*self._edit_buttons(), self.save_button, self.discard_button):
            widget.setEnabled(editable)
            widget.setToolTip(reason)
        self.table.setToolTip(reason)

    # Editing

    def _current_row(self) -> int:
        return self.table.currentIndex().row()

    def add_rule(self) -> None:
        """A new rule below the one chosen (at the top when none is), ready to type in."""
        row = self._current_row() + 1
        self.model.insert_rule(row, Rule())
        self.table.setFocus()
        index = self.model.index(row, COLUMN_INDEX["label"])
        self.table.setCurrentIndex(index)
        self.table.edit(index)
        self.status.setText("A new rule: give it a label and value, and what it sets.")

    def remove_rule(self) -> None:
        row = self._current_row()
        if row < 0:
            self.status.setText("Choose the rule to remove in the grid first.")
            return
        self.model.remove_rule(row)
        self.status.setText(f"Rule {row + 1} removed; Save Rules keeps the change.")

    def move_rule(self, step: int) -> None:
        index = self.table.currentIndex()
        if index.isValid() and self.model.move_rule(index.row(), step):
            self.table.setCurrentIndex(self.model.index(index.row() + step, index.column()))

    # Saving

    def save(self) -> None:
        rules = self.model.rules()
        self.save_button.setEnabled(False)
        self.status.setText("Saving…")
        self._runner.write(
            self,
            lambda desk: unchanged(desk.team_settings.set_intake_rules(rules)),
            self._saved,
            self._refused,
        )

    def _saved(self, changed: bool) -> None:
        self.save_button.setEnabled(True)
        if changed:
            self.status.setText("Saved the alert rules.")
            self.saved.emit()
        else:
            self.status.setText("Nothing had changed, so nothing was saved.")
        self.reload()

    def _refused(self, error: Exception) -> None:
        """What was typed stays; the first cell at fault is chosen, for the person to fix."""
        self.save_button.setEnabled(self.model.editable)
        self.status.setText(error_text(error))
        if isinstance(error, ValidationFailed) and error.errors:
            _key, _, cell = error.errors[0].field.partition(f"{SETTING_KEY}.")
            row_text, _, attribute = cell.partition(".")
            if row_text.isdigit() and attribute in COLUMN_INDEX:
                self.table.setFocus()
                self.table.setCurrentIndex(self.model.index(int(row_text), COLUMN_INDEX[attribute]))
