"""Which database the window opens at start: the one named for this run, else the one used
last, else the default file if it exists, else the person is asked (``FirstRunDialog``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit, QWidget

from incidentdesk import paths
from incidentdesk.storage.locations import BadDatabaseAddress, PostgresLocation, parse_location
from incidentdesk.ui.main_window import MainWindow
from incidentdesk.ui.recent_databases import (
    asks_for_password,
    last_database,
    set_asks_for_password,
)
from incidentdesk.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from incidentdesk.ui.first_run_dialog import FirstRunDialog


def open_at_start(
    window: MainWindow, runner: TaskRunner, address: str | None, *, may_ask: bool = True
) -> FirstRunDialog | None:
    """Open the database for this start; the first-run dialog (returned) if none was ever
    chosen. Without ``may_ask`` (the smoke test) the default file is opened instead."""
    chosen = address or last_database()
    default = paths.default_database_path()
    # One look at the disk before the window shows: a file there was made by an earlier
    # version of the program, which opened it without asking.
    if chosen is None and (not may_ask or default.exists()):
        chosen = paths.configured_database_address(None)
    if chosen is not None:
        open_remembered(window, chosen)
        return None
    from incidentdesk.storage.logins import computer_login
    from incidentdesk.ui.first_run_dialog import FirstRunDialog

    dialog = FirstRunDialog(runner, default, computer_login(), window)
    dialog.accepted.connect(lambda: _open_choice(window, dialog))
    dialog.rejected.connect(QApplication.quit)
    dialog.open()
    return dialog


def _open_choice(window: MainWindow, dialog: FirstRunDialog) -> None:
    choice = dialog.choice()
    if choice is None:
        return
    set_asks_for_password(choice.address, choice.asks_for_password)
    window.open_database(choice.address_for_opening)


def open_remembered(window: MainWindow, address: str) -> None:
    """Open ``address``, first asking for its password if the person chose to type it
    each time (no keyring, or they wanted none)."""
    if asks_for_password(address):
        password = ask_password(window, address)
        if password is None:
            window.choose_database()
            return
        from incidentdesk.ui.first_run_dialog import address_with_password

        location = parse_location(address)
        if isinstance(location, PostgresLocation):
            address = address_with_password(location, password)
    window.open_database(address)


def ask_password(parent: QWidget, address: str) -> str | None:
    try:
        shown = parse_location(address).display_name
    except BadDatabaseAddress:
        shown = address
    password, given = QInputDialog.getText(
        parent,
        "Password",
        f"The password for {shown} (it is not kept):",
        QLineEdit.EchoMode.Password,
    )
    return password if given else None
