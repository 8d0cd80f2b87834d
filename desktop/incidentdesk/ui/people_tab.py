"""Settings → People: everyone on the database with their team and role; admins add people
and change their role, team and details. The service checks and records every change; the
tab only mirrors who may, disabling the form with the reason on hover for everyone else."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from incidentdesk.domain.enums import Role
from incidentdesk.domain.validation import ValidationFailed
from incidentdesk.services.catalog import NamedItem, Person
from incidentdesk.services.changes import Changed, unchanged
from incidentdesk.services.people import PeopleListing, PersonDetails
from incidentdesk.ui.failures import error_text
from incidentdesk.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from incidentdesk.services.desk import Desk

Index = QModelIndex | QPersistentModelIndex
_DISPLAY = Qt.ItemDataRole.DisplayRole
COLUMNS = ("Name", "Login", "E-mail", "Team", "Role")


class PeopleModel(QAbstractTableModel):
    """The people, one row each, read-only (the form below the table edits)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._people: list[Person] = []
        self._teams: dict[int, str] = {}

    def set_people(self, people: list[Person], teams: list[NamedItem]) -> None:
        self.beginResetModel()
        self._people = list(people)
        self._teams = {team.id: team.name for team in teams}
        self.endResetModel()

    def person(self, row: int) -> Person:
        return self._people[row]

    def row_of(self, person_id: int) -> int | None:
        return next((row for row, p in enumerate(self._people) if p.id == person_id), None)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._people)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if not index.isValid() or role not in (_DISPLAY, Qt.ItemDataRole.ToolTipRole):
            return None
        person = self._people[index.row()]
        team = self._teams.get(person.team_id, "") if person.team_id is not None else ""
        values = (person.name, person.login, person.email, team, person.role.value.capitalize())
        return values[index.column()]

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if role == _DISPLAY and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section] if 0 <= section < len(COLUMNS) else None
        return None


class PeopleTab(QWidget):
    """Works on the database the runner has open; ``changed`` follows each saved change."""

    changed = Signal()

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._selected_id: int | None = None
        self.model = PeopleModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("People")
        self.table.setTabKeyNavigation(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(self._row_chosen)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setAccessibleName("Who may change people")
        self.name = QLineEdit()
        self.name.setAccessibleName("Name")
        self.login = QLineEdit()
        self.login.setAccessibleName("Login")
        self.login.setToolTip(
            "How the database knows them: the PostgreSQL login they connect with, or their "
            "computer login for an SQLite file"
        )
        self.email = QLineEdit()
        self.email.setAccessibleName("E-mail")
        self.email.setPlaceholderText("name@example.org")
        self.team = QComboBox()
        self.team.setAccessibleName("Team")
        self.role = QComboBox()
        self.role.setAccessibleName("Role")
        for role in Role:
            self.role.addItem(role.value.capitalize(), role.value)
        self.add_button = QPushButton("A&dd as New Person")
        self.add_button.clicked.connect(self.add_person)
        self.save_button = QPushButton("&Save Changes")
        self.save_button.clicked.connect(self.save_person)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("People result")
        form = QFormLayout()
        form.addRow("&Name:", self.name)
        form.addRow("Lo&gin:", self.login)
        form.addRow("&E-mail:", self.email)
        form.addRow("Te&am:", self.team)
        form.addRow("&Role:", self.role)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignTop)
        buttons.addWidget(self.save_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 1)
        layout.addLayout(form)
        layout.addLayout(buttons)
        self._set_editable(False, "Loading the people…")
        self.reload()

    # Loading

    def reload(self) -> None:
        self._runner.read(
            self,
            lambda desk: desk.people.listing(),
            self._loaded,
            self._load_failed,
            supersede="people",
        )

    def _loaded(self, listing: PeopleListing) -> None:
        kept = self._selected_id
        self.model.set_people(listing.people, listing.teams)
        current_team = self.team.currentData()
        self.team.clear()
        self.team.addItem("No team", None)
        for team in listing.teams:
            self.team.addItem(team.name, team.id)
        self.team.setCurrentIndex(max(0, self.team.findData(current_team)))
        row = self.model.row_of(kept) if kept is not None else None
        if row is not None:
            self.table.selectRow(row)
        else:
            self._selected_id = None
        manage = listing.manage
        self._set_editable(
            manage.allowed,
            "You are an admin: add people here, and change their team and role."
            if manage.allowed
            else manage.reason,
        )

    def _load_failed(self, error: Exception) -> None:
        self._set_editable(False, f"The people could not be read: {error_text(error)}")

    def _set_editable(self, editable: bool, note: str) -> None:
        self.note.setText(note)
        reason = "" if editable else note
        for widget in (self.name, self.email, self.team, self.role, self.add_button):
            widget.setEnabled(editable)
            widget.setToolTip(reason)
        self.login.setEnabled(editable)
        self.save_button.setEnabled(editable and self._selected_id is not None)
        self.save_button.setToolTip(
            reason if not editable else "" if self._selected_id else "Choose a person first"
        )
        self._editable = editable

    # The form

    def _row_chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        person = self.model.person(current.row())
        self._selected_id = person.id
        self.name.setText(person.name)
        self.login.setText(person.login)
        self.email.setText(person.email)
        self.team.setCurrentIndex(max(0, self.team.findData(person.team_id)))
        self.role.setCurrentIndex(self.role.findData(person.role.value))
        if self._editable:
            self.save_button.setEnabled(True)
            self.save_button.setToolTip("")

    def details(self) -> PersonDetails:
        team = self.team.currentData()
        return PersonDetails(
            self.name.text(),
            self.login.text(),
            self.email.text(),
            int(team) if team is not None else None,
            Role(self.role.currentData()),
        )

    # Saving (the form keeps what was typed when a change is refused)

    def add_person(self) -> None:
        details = self.details()

        def add(desk: Desk) -> Changed[int | None]:
            return unchanged(desk.people.add(details))

        self._send(add, "Added {name}.")

    def save_person(self) -> None:
        person_id = self._selected_id
        if person_id is None:
            self.status.setText("Choose the person to change in the list first.")
            return
        details = self.details()

        def change(desk: Desk) -> Changed[int | None]:
            return unchanged(person_id if desk.people.change(person_id, details) else None)

        self._send(change, "Saved the changes to {name}.")

    def _send(self, write: Callable[[Desk], Changed[int | None]], done: str) -> None:
        name = self.name.text().strip()
        self.status.setText("Saving…")
        self._runner.write(
            self, write, lambda result: self._saved(result, done.format(name=name)), self._refused
        )

    def _saved(self, person_id: int | None, done: str) -> None:
        if person_id is None:
            self.status.setText("Nothing had changed, so nothing was saved.")
            return
        self._selected_id = person_id
        self.status.setText(done)
        self.changed.emit()
        self.reload()

    def _refused(self, error: Exception) -> None:
        self.status.setText(error_text(error))
        if isinstance(error, ValidationFailed) and error.errors:
            field = error.errors[0].field
            widgets: dict[str, QWidget] = {
                "name": self.name,
                "login": self.login,
                "email": self.email,
                "team": self.team,
                "role": self.role,
            }
            widget = widgets.get(field)
            if widget is not None:
                widget.setFocus()
