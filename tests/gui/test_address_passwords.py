"""The window never shows or logs a password written into a database address."""

from __future__ import annotations

import logging

import pytest

from incidentdesk.ui.main_window import MainWindow
from incidentdesk.ui.tasks import TaskRunner
from tests.gui.conftest import RecordingDialogs
from tests.unit.test_address_passwords import BAD_ADDRESSES, PASSWORD


def test_the_window_never_shows_or_logs_the_password(
    qtbot, runner: TaskRunner, dialogs: RecordingDialogs, caplog: pytest.LogCaptureFixture
) -> None:
    window = MainWindow(runner, dialogs)
    qtbot.addWidget(window)
    window.database_failed.connect(window.offer_next_step)
    caplog.set_level(logging.DEBUG)
    for address in BAD_ADDRESSES.values():
        with qtbot.waitSignal(window.database_failed, timeout=15_000):
            window.open_database(address)
    shown = [text for _, _, text in dialogs.messages] + [window.windowTitle()]
    assert len(dialogs.messages) == len(BAD_ADDRESSES)
    assert PASSWORD not in "\n".join(shown)
    assert caplog.records
    assert PASSWORD not in caplog.text
