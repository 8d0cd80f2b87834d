"""What a database's first paint waits for: only the view on screen reads before it."""

from __future__ import annotations

from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QSettings

from incidentdesk.services.incidents import IncidentService
from incidentdesk.ui.main_window import MainWindow
from incidentdesk.ui.tasks import TaskRunner
from tests.gui.conftest import RecordingDialogs


@pytest.fixture
def events(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Notes "list rows" each time the list reads a page (on the read thread)."""
    seen: list[str] = []
    original = IncidentService.rows

    def recording(service: IncidentService, *arguments: Any, **options: Any) -> Any:
        seen.append("list rows")
        return original(service, *arguments, **options)

    monkeypatch.setattr(IncidentService, "rows", recording)
    return seen


def open_and_record(
    qtbot, runner: TaskRunner, dialogs: RecordingDialogs, address: str, events: list[str]
) -> MainWindow:
    window = MainWindow(runner, dialogs)
    qtbot.addWidget(window)
    window.show()
    window.view_painted.connect(lambda: events.append("painted"))
    with qtbot.waitSignals([window.view_painted, window.model.loaded], timeout=10_000):
        window.open_database(address)
    return window


def test_with_the_board_on_screen_the_list_reads_after_the_board_has_painted(
    qtbot, runner: TaskRunner, dialogs: RecordingDialogs, demo_address: str, events: list[str]
) -> None:
    window = open_and_record(qtbot, runner, dialogs, demo_address, events)
    assert events == ["painted", "list rows"]
    assert window.model.rowCount() > 0  # ready before the person switches to it


def test_with_the_list_on_screen_it_reads_before_the_paint(
    qtbot, runner: TaskRunner, dialogs: RecordingDialogs, demo_address: str, events: list[str]
) -> None:
    QSettings().setValue("main_window/view", 1)
    open_and_record(qtbot, runner, dialogs, demo_address, events)
    assert events == ["list rows", "painted"]


def test_switching_to_the_list_before_the_board_painted_reads_it_at_once(
    qtbot, runner: TaskRunner, dialogs: RecordingDialogs, demo_address: str, events: list[str]
) -> None:
    window = MainWindow(runner, dialogs)
    qtbot.addWidget(window)
    window.show()
    window.view_painted.connect(lambda: events.append("painted"))
    with qtbot.waitSignal(window.database_opened, timeout=10_000):
        window.open_database(demo_address)
    with qtbot.waitSignals([window.view_painted, window.model.loaded], timeout=10_000):
        window.show_view(1)
    assert events == ["list rows", "painted"]


def test_a_window_closed_as_it_painted_reads_no_list(
    qtbot, runner: TaskRunner, dialogs: RecordingDialogs, demo_address: str, events: list[str]
) -> None:
    """The list's read waits for a later pass of the event loop: by then the window (here,
    one that the smoke test closes on its paint) may be gone, and nothing runs for it."""
    window = MainWindow(runner, dialogs)
    window.show()
    with qtbot.waitSignal(window.view_painted, timeout=10_000):
        window.open_database(demo_address)
    window.close()
    shiboken6.delete(window)
    qtbot.waitUntil(lambda: not runner.busy)
    assert events == []
