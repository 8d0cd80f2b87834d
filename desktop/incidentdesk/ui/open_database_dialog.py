"""Choosing a database: an SQLite file, or a PostgreSQL server shared by the team."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from incidentdesk.storage.locations import (
    DEFAULT_POSTGRES_PORT,
    BadDatabaseAddress,
    PostgresLocation,
    SqliteLocation,
    parse_location,
)


class OpenDatabaseDialog(QDialog):
    """Asks where the database is; ``address()`` gives the URL, ``password()`` a new password."""

    def __init__(
        self, current_address: str, parent: QWidget | None = None, recent: Sequence[str] = ()
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Open Database")
        self.recent = QComboBox()
        self.recent.setAccessibleName("Recent databases")
        self.recent.addItem("Choose one opened lately…", "")
        for address in recent:
            self.recent.addItem(parse_location(address).display_name, address)
        self.recent.currentIndexChanged.connect(
            lambda index: self._fill(self.recent.itemData(index)) if index > 0 else None
        )
        self.setMinimumWidth(520)
        self._sqlite_choice = QRadioButton("A database file on this computer (SQLite)")
        self._postgres_choice = QRadioButton("A PostgreSQL server shared by the team")
        choices = QButtonGroup(self)
        choices.addButton(self._sqlite_choice)
        choices.addButton(self._postgres_choice)

        sqlite_page, postgres_page = self._sqlite_page(), self._postgres_page()

        self._pages = QStackedWidget()
        self._pages.addWidget(sqlite_page)
        self._pages.addWidget(postgres_page)
        self._error = QLabel()
        self._error.setWordWrap(True)
        self._error.setStyleSheet("color: palette(highlight);")
        self._error.setAccessibleName("Problem with the address")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._accept_if_valid)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        if recent:
            recent_row = QFormLayout()
            recent_row.addRow("Re&cent:", self.recent)
            layout.addLayout(recent_row)
        layout.addWidget(self._sqlite_choice)
        layout.addWidget(self._postgres_choice)
        layout.addWidget(self._pages)
        layout.addWidget(self._error)
        layout.addWidget(buttons)
        self._sqlite_choice.toggled.connect(lambda on: self._pages.setCurrentIndex(0 if on else 1))
        self._fill(current_address)

    def _sqlite_page(self) -> QWidget:
        self._file = QLineEdit()
        self._file.setAccessibleName("Database file")
        self._file.setPlaceholderText("/path/to/incidents.db")
        browse = QPushButton("&Browse…")
        browse.clicked.connect(self._browse)
        file_row = QHBoxLayout()
        file_row.addWidget(self._file)
        file_row.addWidget(browse)
        sqlite_page = QWidget()
        sqlite_form = QFormLayout(sqlite_page)
        sqlite_form.addRow("&File:", file_row)
        sqlite_form.addRow(QLabel("A new file is created if it does not exist yet."))
        return sqlite_page

    def _postgres_page(self) -> QWidget:
        self._host = QLineEdit("localhost")
        self._port = QSpinBox()
        self._port.setRange(1, 65535)
        self._port.setValue(DEFAULT_POSTGRES_PORT)
        self._name = QLineEdit()
        self._user = QLineEdit()
        self._password = QLineEdit()
        self._password.setEchoMode(QLineEdit.EchoMode.Password)
        self._password.setPlaceholderText("leave empty to use the one in the keyring")
        self._remember = QCheckBox("&Remember the password in the system keyring")
        self._remember.setChecked(True)
        postgres_page = QWidget()
        postgres_form = QFormLayout(postgres_page)
        for label, widget, name in (
            ("&Host:", self._host, "Server host"),
            ("P&ort:", self._port, "Server port"),
            ("&Database:", self._name, "Database name"),
            ("&User:", self._user, "User name"),
            ("Pass&word:", self._password, "Password"),
        ):
            widget.setAccessibleName(name)
            postgres_form.addRow(label, widget)
        postgres_form.addRow(self._remember)
        return postgres_page

    def _fill(self, address: str) -> None:
        try:
            location = parse_location(address)
        except BadDatabaseAddress:
            self._sqlite_choice.setChecked(True)
            return
        if isinstance(location, SqliteLocation):
            self._sqlite_choice.setChecked(True)
            self._file.setText(str(location.path))
        else:
            self._postgres_choice.setChecked(True)
            self._host.setText(location.host)
            self._port.setValue(location.port)
            self._name.setText(location.database)
            self._user.setText(location.user)

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Database File",
            self._file.text(),
            "Incident Desk databases (*.db *.sqlite);;All files (*)",
            options=QFileDialog.Option.DontConfirmOverwrite,
        )
        if path:
            self._file.setText(path)

    def address(self) -> str:
        if self._sqlite_choice.isChecked():
            return SqliteLocation(Path(self._file.text().strip()).expanduser().absolute()).url
        location = PostgresLocation(
            host=self._host.text().strip(),
            port=self._port.value(),
            database=self._name.text().strip(),
            user=self._user.text().strip(),
        )
        return location.url

    def password(self) -> str:
        return self._password.text()

    def address_for_opening(self) -> str:
        """The address with a password typed here, which is used for this connection only."""
        if self._postgres_choice.isChecked() and self.password():
            location = parse_location(self.address())
            assert isinstance(location, PostgresLocation)
            return (
                f"postgresql://{quote(location.user, safe='')}:{quote(self.password(), safe='')}"
                f"@{location.host}:{location.port}/{quote(location.database, safe='')}"
            )
        return self.address()

    def remember_password(self) -> bool:
        return (
            self._postgres_choice.isChecked()
            and self._remember.isChecked()
            and bool(self.password())
        )

    def _accept_if_valid(self) -> None:
        if self._sqlite_choice.isChecked() and not self._file.text().strip():
            self._error.setText("Choose a database file.")
            self._file.setFocus()
            return
        if self._postgres_choice.isChecked():
            for widget, what in (
                (self._host, "host"),
                (self._name, "database name"),
                (self._user, "user name"),
            ):
                if not widget.text().strip():
                    self._error.setText(f"Fill in the {what}.")
                    widget.setFocus()
                    return
        try:
            parse_location(self.address())
        except BadDatabaseAddress as error:
            self._error.setText(f"{str(error).capitalize()}.")
            return
        self.accept()
