"""Help → About Incident Desk and Help → Copy Diagnostics."""

from __future__ import annotations

import logging
import platform
from collections.abc import Iterator

import pytest
from PySide6.QtCore import qVersion
from PySide6.QtGui import QAction, QClipboard
from PySide6.QtWidgets import QDialogButtonBox

from incidentdesk import __version__
from incidentdesk.logs import program_log
from incidentdesk.storage.locations import parse_location
from incidentdesk.storage.migrations import LATEST_VERSION
from incidentdesk.ui.about_dialog import COPIED
from incidentdesk.ui.main_window import MainWindow
from incidentdesk.ui.tasks import TaskRunner
from tests.gui.conftest import RecordingDialogs, open_main_window

SECRET = "n0t-f0r-the-clipboard"


@pytest.fixture
def recent_problems() -> Iterator[None]:
    """The program's log as at start-up: problems are kept for the diagnostics."""
    program_log.start()
    yield
    program_log.stop()


def help_actions(window: MainWindow) -> list[QAction]:
    help_menu = window.menuBar().actions()[-1].menu()
    return [action for action in help_menu.actions() if not action.isSeparator()]


def test_the_help_menu_has_copy_diagnostics_and_about(window: MainWindow) -> None:
    texts = [action.text() for action in help_actions(window)]
    assert texts == ["Copy &Diagnostics", "&About Incident Desk"]
    assert help_actions(window)[1].menuRole() == QAction.MenuRole.AboutRole


def test_about_shows_the_versions_the_licence_and_the_database(
    qtbot, window: MainWindow, demo_address: str
) -> None:
    dialog = window.show_about()
    qtbot.waitExposed(dialog)
    assert dialog.windowTitle() == "About Incident Desk"
    values = {label: shown.text() for label, shown in dialog.values.items()}
    assert values["Version"] == __version__
    assert values["Qt"] == f"Qt {qVersion()}, PySide6 {__import__('PySide6').__version__}"
    assert values["Python"] == f"CPython {platform.python_version()}"
    assert values["Licence"] == "MIT"
    assert values["Database"] == f"SQLite: {parse_location(demo_address).display_name}"
    assert values["Schema version"] == str(LATEST_VERSION)
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Close).click()
    assert not dialog.isVisible()


def test_about_copies_the_diagnostics(qtbot, window: MainWindow, clipboard: QClipboard) -> None:
    dialog = window.show_about()
    dialog.copy_button.click()
    assert dialog.copied.text() == COPIED
    assert clipboard.text().startswith("Incident Desk diagnostics\n")
    assert f"Version: {__version__}\n" in clipboard.text()
    dialog.close()


def test_copy_diagnostics_puts_the_facts_and_recent_problems_on_the_clipboard(
    window: MainWindow, clipboard: QClipboard, recent_problems: None
) -> None:
    logging.getLogger("incidentdesk.test").warning("the board could not be loaded")
    window.copy_diagnostics_action.trigger()
    text = clipboard.text()
    assert f"Qt: Qt {qVersion()}" in text
    assert "Database: SQLite: " in text
    assert f"Schema version: {LATEST_VERSION}\n" in text
    assert "WARNING incidentdesk.test: the board could not be loaded" in text
    assert window.statusBar().currentMessage().startswith("Diagnostics copied to the clipboard")


def test_copy_diagnostics_without_a_database(
    qtbot, runner: TaskRunner, dialogs: RecordingDialogs, clipboard: QClipboard
) -> None:
    window = MainWindow(runner, dialogs)
    qtbot.addWidget(window)
    window.copy_diagnostics()
    assert "Database: none open\n" in clipboard.text()


def with_password(address: str, password: str) -> str:
    scheme, _, rest = address.partition("://")
    user_info, _, host_part = rest.partition("@")
    user = user_info.partition(":")[0]
    return f"{scheme}://{user}:{password}@{host_part}"


def test_the_diagnostics_hold_no_password_even_when_the_address_carries_one(
    qtbot,
    runner: TaskRunner,
    dialogs: RecordingDialogs,
    clipboard: QClipboard,
    postgres_schema_address: str,
    recent_problems: None,
) -> None:
    address = with_password(postgres_schema_address, SECRET)  # trust auth: accepted, unused
    window = open_main_window(qtbot, runner, dialogs, address)
    logging.getLogger("incidentdesk.test").warning("lost the connection to %s", address)
    logging.getLogger("incidentdesk.test").warning("libpq said: password=%s host=db", SECRET)
    window.copy_diagnostics_action.trigger()
    text = clipboard.text()
    assert "Database: PostgreSQL: " in text
    assert "WARNING incidentdesk.test: lost the connection to postgresql://" in text
    assert SECRET not in text
    dialog = window.show_about()
    dialog.copy_button.click()
    assert SECRET not in clipboard.text()
    assert all(SECRET not in shown.text() for shown in dialog.values.values())
    dialog.close()
