"""The first start: where the incidents are kept (a file on this computer, an existing file,
or the team's PostgreSQL server), and who the person is."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from incidentdesk.domain.enums import Role
from incidentdesk.domain.validation import ValidationFailed
from incidentdesk.storage.connection_check import ConnectionReport, Outcome
from incidentdesk.storage.locations import (
    DEFAULT_POSTGRES_PORT,
    DatabaseLocation,
    PostgresLocation,
    SqliteLocation,
)
from incidentdesk.ui.failures import as_sentence, error_text
from incidentdesk.ui.tasks import TaskRunner

LOCAL, EXISTING, TEAM = range(3)
NETWORK_SHARE_WARNING = (
    "Keep this file on a disk of this computer. An SQLite file on a network share (a shared "
    "drive, an SMB or NFS folder) can be corrupted when several people write to it, as "
    "SQLite's own documentation warns. For a team, choose “Team database” (PostgreSQL) instead."
)


def address_with_password(location: PostgresLocation, password: str) -> str:
    """The address to connect with, for this connection only: never kept or shown."""
    schema = f"?schema={quote(location.schema, safe='')}" if location.schema else ""
    return (
        f"postgresql://{quote(location.user, safe='')}:{quote(password, safe='')}"
        f"@{location.host}:{location.port}/{quote(location.database, safe='')}{schema}"
    )


class ChoicePages(QWidget):
    """One page per choice, only the chosen one shown. Unlike a QStackedWidget, the pages
    not shown take no room, so a short page leaves no gap under it (a stack is as tall as
    its tallest page once they hold wrapped text)."""

    def __init__(self) -> None:
        super().__init__()
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._pages: list[QWidget] = []
        self._current = 0

    def addWidget(self, page: QWidget) -> None:
        self._pages.append(page)
        self._layout.addWidget(page)
        page.setVisible(len(self._pages) - 1 == self._current)

    def setCurrentIndex(self, number: int) -> None:
        self._current = number
        for index, page in enumerate(self._pages):
            page.setVisible(index == number)

    def currentIndex(self) -> int:
        return self._current


@dataclass(frozen=True)
class DatabaseChoice:
    """What the dialog decided: ``address`` has no password, ``address_for_opening`` may."""

    address: str
    address_for_opening: str
    asks_for_password: bool


class FirstRunDialog(QDialog):
    """Asks where the database is. Open does the slow parts in the background (testing a team
    database, keeping its password, setting up the database with the person as its first
    admin) and closes once they are done; every failure is one sentence in the dialog."""

    def __init__(
        self, runner: TaskRunner, default_file: Path, login: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._login = login
        self._choice: DatabaseChoice | None = None
        self._keyring_problem: str | None = None
        self.setWindowTitle("Welcome to Incident Desk")
        self.setMinimumWidth(600)

        intro = QLabel("<b>Where should Incident Desk keep the incidents?</b>")
        self.local_choice = QRadioButton("&Just this computer")
        self.existing_choice = QRadioButton("Open an &existing database file")
        self.team_choice = QRadioButton("&Team database (PostgreSQL, shared by several people)")
        choices = QButtonGroup(self)
        for number, button in enumerate(
            (self.local_choice, self.existing_choice, self.team_choice)
        ):
            choices.addButton(button, number)
        self.local_choice.setChecked(True)

        self.pages = ChoicePages()
        self.pages.addWidget(self._local_page(default_file))
        self.pages.addWidget(self._existing_page())
        self.pages.addWidget(self._team_page())
        choices.idToggled.connect(self._choice_toggled)

        about_you = self._about_you(login)

        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Connection result")
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.test_button = QPushButton("Te&st Connection")
        self.test_button.clicked.connect(self.test_connection)
        self.upgrade_button = QPushButton("Up&grade Database")
        self.upgrade_button.setToolTip("Bring the database up to this program's schema")
        self.upgrade_button.clicked.connect(self.upgrade)
        self.upgrade_button.hide()
        self.open_button = QPushButton("&Open")
        self.open_button.setDefault(True)
        self.open_button.clicked.connect(self.open_chosen)
        self.quit_button = QPushButton("&Quit")
        self.quit_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.test_button)
        buttons.addWidget(self.upgrade_button)
        buttons.addStretch(1)
        buttons.addWidget(self.quit_button)
        buttons.addWidget(self.open_button)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        for button in (self.local_choice, self.existing_choice, self.team_choice):
            layout.addWidget(button)
        layout.addWidget(self.pages)
        layout.addWidget(about_you)
        layout.addWidget(self.status)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self._show_page(LOCAL)
        self._set_tab_order()
        self._runner.files(
            self, self._find_keyring_problem, self._keyring_found, self._keyring_failed
        )

    def _about_you(self, login: str) -> QGroupBox:
        """Who the person is: the first one on a database without an admin becomes it."""
        about_you = QGroupBox("About you")
        self.name = QLineEdit()
        self.name.setPlaceholderText(login)
        self.name.setAccessibleName("Your name")
        self.email = QLineEdit()
        self.email.setPlaceholderText("name@example.org")
        self.email.setAccessibleName("Your e-mail address")
        about_form = QFormLayout(about_you)
        about_form.addRow("Your &name:", self.name)
        about_form.addRow("E-m&ail:", self.email)
        admin_note = QLabel(
            "If the database has no admin yet (a new one), you become its admin and can change "
            "the team's settings."
        )
        admin_note.setWordWrap(True)
        about_form.addRow(admin_note)
        return about_you

    # Pages

    def _local_page(self, default_file: Path) -> QWidget:
        self.local_file = QLineEdit(str(default_file))
        self.local_file.setAccessibleName("New database file")
        self.change_button = QPushButton("C&hange…")
        self.change_button.clicked.connect(self._choose_new_file)
        row = QHBoxLayout()
        row.addWidget(self.local_file, 1)
        row.addWidget(self.change_button)
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(24, 0, 0, 0)
        label = QLabel("&File:")
        label.setBuddy(self.local_file)
        form.addRow(label, row)
        note = QLabel(
            "Incident Desk creates this file and keeps every incident in it. Only this "
            "computer uses it; back it up with your other files."
        )
        note.setWordWrap(True)
        form.addRow(note)
        return page

    def _existing_page(self) -> QWidget:
        self.existing_file = QLineEdit()
        self.existing_file.setAccessibleName("Existing database file")
        self.existing_file.setPlaceholderText("/path/to/incidents.db")
        self.browse_button = QPushButton("&Browse…")
        self.browse_button.clicked.connect(self._choose_existing_file)
        row = QHBoxLayout()
        row.addWidget(self.existing_file, 1)
        row.addWidget(self.browse_button)
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(24, 0, 0, 0)
        label = QLabel("F&ile:")
        label.setBuddy(self.existing_file)
        form.addRow(label, row)
        self.share_warning = QLabel(NETWORK_SHARE_WARNING)
        self.share_warning.setWordWrap(True)
        self.share_warning.setAccessibleName("Warning about network shares")
        form.addRow(self.share_warning)
        return page

    def _team_page(self) -> QWidget:
        self.host = QLineEdit()
        self.host.setPlaceholderText("db.example.org")
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(DEFAULT_POSTGRES_PORT)
        self.database = QLineEdit("incidentdesk")
        self.user = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.keep_in_keyring = QRadioButton("Keep the password in the system &keyring")
        self.keep_in_keyring.setChecked(True)
        self.ask_each_time = QRadioButton("Ask for the password each ti&me the database opens")
        keeping = QButtonGroup(self)
        keeping.addButton(self.keep_in_keyring)
        keeping.addButton(self.ask_each_time)
        self.keyring_note = QLabel()
        self.keyring_note.setWordWrap(True)
        self.keyring_note.setAccessibleName("About the keyring")
        self.keyring_note.hide()
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(24, 0, 0, 0)
        for label, widget, name in (
            ("&Host:", self.host, "Server host"),
            ("&Port:", self.port, "Server port"),
            ("&Database:", self.database, "Database name"),
            ("&User:", self.user, "User name on the server"),
            ("Pass&word:", self.password, "Password"),
        ):
            widget.setAccessibleName(name)
            form.addRow(label, widget)
        form.addRow(self.keep_in_keyring)
        form.addRow(self.ask_each_time)
        form.addRow(self.keyring_note)
        for edit in (self.host, self.database, self.user, self.password):
            edit.textEdited.connect(self._settings_changed)
        self.port.valueChanged.connect(self._settings_changed)
        return page

    def _set_tab_order(self) -> None:
        order: list[QWidget] = [
            self.local_choice,
            self.existing_choice,
            self.team_choice,
            self.local_file,
            self.change_button,
            self.existing_file,
            self.browse_button,
            self.host,
            self.port,
            self.database,
            self.user,
            self.password,
            self.keep_in_keyring,
            self.ask_each_time,
            self.name,
            self.email,
            self.test_button,
            self.upgrade_button,
            self.quit_button,
            self.open_button,
        ]
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)

    def _choice_toggled(self, number: int, on: bool) -> None:
        if on:
            self._show_page(number)

    def _show_page(self, number: int) -> None:
        self.pages.setCurrentIndex(number)
        self.adjustSize()
        self.test_button.setVisible(number != LOCAL)
        self._settings_changed()

    def _settings_changed(self) -> None:
        self.status.clear()
        self.upgrade_button.hide()

    def _choose_new_file(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self,
            "New Database File",
            self.local_file.text(),
            "Incident Desk databases (*.db);;All files (*)",
        )
        if path:
            self.local_file.setText(path)

    def _choose_existing_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Existing Database File",
            self.existing_file.text(),
            "Incident Desk databases (*.db *.sqlite);;All files (*)",
        )
        if path:
            self.existing_file.setText(path)
            self._settings_changed()

    # The keyring

    @staticmethod
    def _find_keyring_problem() -> str | None:
        from incidentdesk.storage.secrets import keyring_problem

        return keyring_problem()

    def _keyring_found(self, problem: str | None) -> None:
        self._keyring_problem = problem
        if problem is None:
            return
        self.keep_in_keyring.setEnabled(False)
        self.keep_in_keyring.setToolTip(f"Not possible: {problem}.")
        self.ask_each_time.setChecked(True)
        self.keyring_note.setText(
            f"{as_sentence(problem)}, so the password cannot be kept safely: Incident Desk "
            "asks for it each time the database opens, and never writes it into a file as "
            "plain text."
        )
        # A wrapped label's height follows its width, which a dialog's minimum size ignores.
        indent = 48  # the pages' indent and the dialog's margins
        self.keyring_note.setMinimumHeight(self.keyring_note.heightForWidth(self.width() - indent))
        self.keyring_note.show()
        self.adjustSize()

    def _keyring_failed(self, error: Exception) -> None:
        self._keyring_found(error_text(error).rstrip("."))

    # What was chosen

    def location(self) -> DatabaseLocation:
        page = self.pages.currentIndex()
        if page in (LOCAL, EXISTING):
            edit = self.local_file if page == LOCAL else self.existing_file
            return SqliteLocation(Path(edit.text().strip()).expanduser().absolute())
        return PostgresLocation(
            host=self.host.text().strip(),
            port=self.port.value(),
            database=self.database.text().strip(),
            user=self.user.text().strip(),
            password=self.password.text() or None,
        )

    def choice(self) -> DatabaseChoice | None:
        """What was chosen, once the dialog was accepted."""
        return self._choice

    def _missing_field(self) -> str | None:
        page = self.pages.currentIndex()
        required: list[tuple[QLineEdit, str]] = {
            LOCAL: [(self.local_file, "Choose where to keep the database file.")],
            EXISTING: [(self.existing_file, "Choose the database file to open.")],
            TEAM: [
                (self.host, "Fill in the server's host name."),
                (self.database, "Fill in the database name."),
                (self.user, "Fill in the user name."),
            ],
        }[page]
        for edit, sentence in required:
            if not edit.text().strip():
                edit.setFocus()
                return sentence
        return None

    def _show(self, sentence: str) -> None:
        self.status.setText(sentence)

    def _set_busy(self, busy: bool, doing: str = "") -> None:
        for widget in (self.test_button, self.open_button, self.upgrade_button, self.pages):
            widget.setEnabled(not busy)
        if busy:
            self._show(doing)

    # Testing, upgrading and opening (each in the background)

    def test_connection(self) -> None:
        missing = self._missing_field()
        if missing:
            self._show(missing)
            return
        self._check(self.location(), then_open=False)

    # Testing, upgrading and setting up work on a database the runner has not opened (none
    # is open yet at the first start): each opens and closes its own connection, so they
    # run as the runner's work without a desk, on its files thread.

    def _login_on(self, location: DatabaseLocation) -> str | None:
        """This computer's login for a file; on PostgreSQL None: the server's login, the
        one the program will know the person by (storage/logins.py)."""
        return self._login if isinstance(location, SqliteLocation) else None

    def _check(self, location: DatabaseLocation, *, then_open: bool) -> None:
        from incidentdesk.storage.connection_check import check_connection

        login = self._login_on(location)
        self._set_busy(True, "Testing the connection…")
        self._runner.prepare_database(
            self,
            lambda: check_connection(location, login),
            lambda report: self._checked(report, then_open),
            self._failed,
        )

    def _checked(self, report: ConnectionReport, then_open: bool) -> None:
        self._set_busy(False)
        self._show(report.sentence)
        self.upgrade_button.setVisible(report.outcome is Outcome.OLDER)
        self.upgrade_button.setEnabled(report.may_upgrade)
        self.upgrade_button.setToolTip(
            "Bring the database up to this program's schema"
            if report.may_upgrade
            else "Only an admin of this database may upgrade it"
        )
        if then_open and report.can_open:
            self._keep_password_then_introduce()

    def _failed(self, error: Exception) -> None:
        self._set_busy(False)
        self._show(error_text(error))

    def upgrade(self) -> None:
        from incidentdesk.storage.connection_check import upgrade_database

        location = self.location()
        login = self._login_on(location)
        self._set_busy(True, "Upgrading the database…")
        self._runner.prepare_database(
            self,
            lambda: upgrade_database(location, login),
            lambda version: self._upgraded(location, version),
            self._failed,
        )

    def _upgraded(self, location: DatabaseLocation, version: int) -> None:
        self._set_busy(False)
        self.upgrade_button.hide()
        self._show(f"Upgraded: {location.display_name} now has schema {version}.")

    def open_chosen(self) -> None:
        missing = self._missing_field()
        if missing:
            self._show(missing)
            return
        from incidentdesk.services.first_start import check_introduction

        try:
            check_introduction(self.name.text(), self.email.text())
        except ValidationFailed as error:
            self._show(error.message)
            (self.email if error.errors[0].field == "email" else self.name).setFocus()
            return
        location = self.location()
        if self.pages.currentIndex() == LOCAL:
            self._introduce(location.url, location)
        else:
            self._check(location, then_open=True)

    def _keep_password_then_introduce(self) -> None:
        location = self.location()
        if not isinstance(location, PostgresLocation) or not location.password:
            self._introduce(location.url, location)
            return
        password = location.password
        if self.ask_each_time.isChecked():
            self._introduce(address_with_password(location, password), location)
            return
        from incidentdesk.storage.secrets import store_password

        address = location.url
        self._set_busy(True, "Keeping the password in the system keyring…")
        self._runner.files(
            self,
            lambda: store_password(address, password),
            lambda _: self._introduce(address, location),
            self._password_not_kept,
        )

    def _password_not_kept(self, error: Exception) -> None:
        self._set_busy(False)
        self._show(
            f"{as_sentence(error_text(error))} Choose “Ask for the password each time” to go "
            "on without keeping it."
        )
        self.ask_each_time.setFocus()

    def _introduce(self, address: str, location: DatabaseLocation) -> None:
        from incidentdesk.services.first_start import introduce

        name, email, login = self.name.text(), self.email.text(), self._login_on(location)
        new_file = isinstance(location, SqliteLocation) and self.pages.currentIndex() == LOCAL

        def set_up() -> Role:
            if new_file and isinstance(location, SqliteLocation):
                location.path.parent.mkdir(parents=True, exist_ok=True)
            return introduce(address, name, email, login)

        asks = isinstance(location, PostgresLocation) and self.ask_each_time.isChecked()
        self._set_busy(True, "Setting up the database…")
        self._runner.prepare_database(
            self,
            set_up,
            lambda _: self._done(DatabaseChoice(location.url, address, asks)),
            self._failed,
        )

    def _done(self, choice: DatabaseChoice) -> None:
        self._set_busy(False)
        self._choice = choice
        self.accept()
