"""How failures of background work reach the person and the log (ui/tasks.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton

from incidentdesk.services.errors import NotFound
from incidentdesk.storage.database import DatabaseUnavailable
from incidentdesk.ui.dialogs import DialogService
from incidentdesk.ui.main_window import MainWindow
from incidentdesk.ui.tasks import TaskRunner
from tests.gui.conftest import RecordingDialogs
from tests.gui.form_helpers import open_ready_form, type_text

TASKS_LOG = "incidentdesk.ui.tasks"


def fail_with(error: Exception) -> Callable[..., None]:
    """Work for any of the runner's threads (given a desk or not) that fails with ``error``."""

    def work(*_desk: object) -> None:
        raise error

    return work


def test_an_expected_failure_is_logged_at_info_without_a_traceback(
    qtbot, runner: TaskRunner, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=TASKS_LOG)
    faults: list[Exception] = []
    runner.fault.connect(faults.append)
    handled: list[Exception] = []
    full = DatabaseUnavailable("The disk holding x.db is full, so nothing was changed")
    runner.files(runner, fail_with(full), lambda _: None, handled.append)
    qtbot.waitUntil(lambda: bool(handled))
    assert handled == [full]
    assert faults == []
    records = [record for record in caplog.records if record.name == TASKS_LOG]
    assert [record.levelno for record in records] == [logging.INFO]
    assert records[0].exc_info is None
    assert "the disk holding x.db is full" in records[0].getMessage().lower()


@pytest.mark.logs_errors
def test_an_unexpected_failure_is_logged_with_its_traceback_and_announced_after_its_handler(
    qtbot, runner: TaskRunner, caplog: pytest.LogCaptureFixture
) -> None:
    order: list[str] = []
    runner.fault.connect(lambda error: order.append(f"fault {error!r}"))
    runner.files(
        runner,
        fail_with(KeyError("severity")),
        lambda _: None,
        lambda error: order.append(f"handler {error!r}"),
    )
    qtbot.waitUntil(lambda: len(order) == 2)
    assert order == ["handler KeyError('severity')", "fault KeyError('severity')"]
    (record,) = [r for r in caplog.records if r.name == TASKS_LOG]
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None


@pytest.mark.logs_errors
def test_work_that_fails_with_no_handler_is_logged_as_an_error_and_shown_once(
    qtbot, window: MainWindow, runner: TaskRunner, dialogs: RecordingDialogs, caplog
) -> None:
    dialogs.messages.clear()
    failed: list[Exception] = []
    runner.failed.connect(failed.append)
    runner.read(window, fail_with(NotFound("Incident 9 does not exist")), lambda _: None)
    qtbot.waitUntil(lambda: bool(failed))
    assert dialogs.messages == [("warn", "Not Done", "Incident 9 does not exist.")]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "nothing handles it" in errors[0].getMessage()
    assert errors[0].exc_info is None  # expected: its sentence is enough


@pytest.mark.logs_errors
def test_an_unexpected_failure_while_saving_shows_one_dialog_and_keeps_the_form(
    qtbot,
    window: MainWindow,
    dialogs: RecordingDialogs,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    desk = window.desk
    assert desk is not None
    form = open_ready_form(qtbot, window)
    form.title.setFocus()
    type_text("Card payments declined")
    before = form.fields()

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("severity")

    monkeypatch.setattr(desk.incidents, "create", broken)
    dialogs.messages.clear()
    form.save()
    qtbot.waitUntil(lambda: any(kind == "fault" for kind, *_ in dialogs.messages))
    assert [kind for kind, *_ in dialogs.messages] == ["fault"]
    _, text, details = dialogs.messages[0]
    assert "did not expect (KeyError: 'severity')" in text
    assert "Traceback (most recent call last)" in details
    assert "in broken" in details
    assert form.isVisible()
    assert form.fields() == before
    assert form.save_button.isEnabled()
    assert "did not expect" in form.banner.text()


def test_the_fault_dialog_copies_its_details(qtbot, clipboard) -> None:
    """The real dialog: Copy Details puts the whole traceback on the clipboard."""
    clicked: list[str] = []

    def press_copy() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(10, press_copy)
            return
        button = next(b for b in box.findChildren(QPushButton) if b.text() == "Copy Details")
        clicked.append(box.text())
        button.click()

    QTimer.singleShot(0, press_copy)
    DialogService().report_fault(None, "Something broke.", "Traceback: line 1\nKeyError: 'x'")
    assert clicked == ["Something broke."]
    assert QGuiApplication.clipboard().text() == "Traceback: line 1\nKeyError: 'x'"
