"""GUI fixtures: an isolated settings store, a task runner, a recording dialog service."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtGui import QClipboard, QGuiApplication, QImage
from PySide6.QtWidgets import QWidget

from incidentdesk.services import demo
from incidentdesk.services.desk import Desk, open_desk
from incidentdesk.services.drafts import DraftStore
from incidentdesk.ui import card_delegate, incident_table
from incidentdesk.ui.dialogs import DialogService
from incidentdesk.ui.incident_form import IncidentForm
from incidentdesk.ui.main_window import MainWindow
from incidentdesk.ui.tasks import TaskRunner


class RecordingDialogs(DialogService):
    """Records every message and answers questions with the next queued answer."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str, str]] = []
        self.answers: list[str | None] = []
        self.save_paths: list[Path | None] = []  # answers to "where to save", in order

    def inform(self, parent: QWidget | None, title: str, text: str) -> None:
        self.messages.append(("inform", title, text))

    def warn(self, parent: QWidget | None, title: str, text: str) -> None:
        self.messages.append(("warn", title, text))

    def choose(
        self, parent: QWidget | None, title: str, text: str, choices: list[str]
    ) -> str | None:
        self.messages.append(("choose", title, text))
        return self.answers.pop(0) if self.answers else None

    def report_fault(self, parent: QWidget | None, text: str, details: str) -> None:
        self.messages.append(("fault", text, details))

    def choose_save_path(
        self, parent: QWidget | None, caption: str, file_name: str, file_filter: str, suffix: str
    ) -> Path | None:
        self.messages.append(("save", caption, file_name))
        return self.save_paths.pop(0) if self.save_paths else None


@pytest.fixture(autouse=True)
def isolated_user_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, qapp) -> None:
    """Settings, data and logs go to the test's own folder, never the developer's; and
    notifications never reach the developer's desktop (its session bus)."""
    for variable in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(variable, str(tmp_path / variable.lower()))
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    QCoreApplication.setOrganizationName("Incident Desk Tests")
    QCoreApplication.setApplicationName("Incident Desk Tests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings")
    )


@pytest.fixture
def runner(qapp) -> Iterator[TaskRunner]:
    task_runner = TaskRunner()
    yield task_runner
    task_runner.shutdown()


@pytest.fixture
def dialogs() -> RecordingDialogs:
    return RecordingDialogs()


def make_demo_database(address: str, incidents: int) -> None:
    desk = open_desk(address, login="demo")
    try:
        with desk.store.bound():
            demo.generate(desk.store, incidents, seed=7)
    finally:
        desk.close()


@pytest.fixture
def demo_address(sqlite_address: str) -> str:
    """An SQLite database with 400 demo incidents (20 open)."""
    make_demo_database(sqlite_address, 400)
    return sqlite_address


def open_main_window(
    qtbot, runner: TaskRunner, dialogs: RecordingDialogs, address: str, width: int | None = None
) -> MainWindow:
    """The main window, shown (``width`` pixels wide if given), with ``address`` open, its
    first view painted and the list's first page read (after the board's paint)."""
    main_window = MainWindow(runner, dialogs)
    qtbot.addWidget(main_window)
    if width is not None:
        main_window.resize(width, main_window.height())
    main_window.show()
    with qtbot.waitSignals([main_window.view_painted, main_window.model.loaded], timeout=10_000):
        main_window.open_database(address)
    return main_window


@pytest.fixture
def window(qtbot, runner: TaskRunner, dialogs: RecordingDialogs, demo_address: str) -> MainWindow:
    """The main window, shown, with the demo database open and its list painted."""
    return open_main_window(qtbot, runner, dialogs, demo_address)


# The incident form


@pytest.fixture
def other(shared_address: str) -> Iterator[Desk]:
    """Another person's program on the test module's ``shared_address``."""
    desk = open_desk(shared_address, login="colleague")
    yield desk
    desk.close()


@pytest.fixture
def drafts(tmp_path: Path) -> DraftStore:
    return DraftStore(tmp_path / "drafts")


@pytest.fixture
def idle(runner: TaskRunner) -> Callable[[], bool]:
    """True while the task runner has nothing queued or running (for qtbot.waitUntil)."""
    state = {"busy": False}
    runner.busy_changed.connect(lambda busy: state.update(busy=busy))
    return lambda: not state["busy"]


@pytest.fixture
def clipboard(qapp) -> Iterator[QClipboard]:
    """The application clipboard, emptied afterwards."""
    board = QGuiApplication.clipboard()
    yield board
    board.clear()


FormMaker = Callable[..., IncidentForm]


@pytest.fixture
def make_form(
    qtbot, runner: TaskRunner, dialogs: RecordingDialogs, drafts: DraftStore, idle
) -> Iterator[FormMaker]:
    """Opens an incident form on a desk, shown, active and loaded. Afterwards the background
    work it started finishes and the form is deleted, before the task runner stops and the
    database closes."""
    forms: list[IncidentForm] = []

    def make(desk: Desk, incident_id: int | None = None, **options: Any) -> IncidentForm:
        runner.use(desk)
        form = IncidentForm(desk, runner, dialogs, drafts, incident_id=incident_id, **options)
        forms.append(form)
        form.show()
        qtbot.waitUntil(form.isEnabled)
        form.activateWindow()
        qtbot.waitUntil(form.isActiveWindow)
        return form

    yield make
    qtbot.waitUntil(idle)
    for form in forms:
        if shiboken6.isValid(form):
            form.deleteLater()
            qtbot.waitUntil(lambda form=form: not shiboken6.isValid(form))


@pytest.fixture
def drawn_on_gui_thread(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """For each board card or list row drawn from now on, whether the GUI thread drew it."""
    drawn_on: list[bool] = []
    draw = card_delegate.draw_image

    def watched_draw(*arguments: Any) -> QImage:
        drawn_on.append(threading.current_thread() is threading.main_thread())
        return draw(*arguments)

    for module in (card_delegate, incident_table):
        monkeypatch.setattr(module, "draw_image", watched_draw)
    return drawn_on


# Saves applied once


def record_write_ids(
    monkeypatch: pytest.MonkeyPatch, service: object, method: str
) -> list[str | None]:
    """The ``write_id`` of each call of ``service.method`` from now on, in order; the calls
    go through to it."""
    sent: list[str | None] = []
    original = getattr(service, method)

    def recording(*arguments: Any, write_id: str | None = None, **options: Any) -> Any:
        sent.append(write_id)
        return original(*arguments, write_id=write_id, **options)

    monkeypatch.setattr(service, method, recording)
    return sent


def sent_twice(sent: list[str | None]) -> bool:
    """Whether two saves went out with one id of their own."""
    return len(sent) == 2 and sent[0] is not None and sent[0] == sent[1]


@pytest.fixture
def retry_by_hand(runner: TaskRunner) -> TaskRunner:
    """A runner that waits a minute before it tries a server that went away, so a test may
    act before its views catch up, and ``runner.server_retry.try_now()`` is the only try."""
    runner.server_retry.set_backoff((60,))
    return runner
