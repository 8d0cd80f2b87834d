"""The freedesktop notification service as the backend (freedesktop.py, ui/notifications.py):
on a session bus of the test's own (a dbus-daemon) with a stand-in service that records
each ``Notify`` and clicks like a person; and the fall-back when the bus has no service."""

from __future__ import annotations

import logging
import queue
import shutil
import subprocess
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from jeepney import DBusAddress, MessageType, new_method_return, new_signal
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection
from jeepney.low_level import HeaderFields

from incidentdesk.domain.enums import Severity
from incidentdesk.freedesktop import INTERFACE, PATH, SERVICE, FreedesktopNotifications
from incidentdesk.services.desk import Desk, open_desk
from incidentdesk.ui.main_window import MainWindow
from incidentdesk.ui.notifications import FreedesktopBackend, WindowBackend
from incidentdesk.ui.tasks import TaskRunner
from tests.factories import make_draft
from tests.gui.conftest import RecordingDialogs, make_demo_database, open_main_window

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support raise")
SHOWN_WITHIN_MS = 10_000


@pytest.fixture
def session_bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A session bus of the test's own; the program finds it as on a desktop."""
    if shutil.which("dbus-daemon") is None:
        pytest.skip("dbus-daemon is not installed: no session bus to test on")
    daemon = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert daemon.stdout is not None
        address = daemon.stdout.readline().strip()
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        yield address
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)
        if daemon.stdout is not None:
            daemon.stdout.close()


class StandInService:
    """Provides org.freedesktop.Notifications: records each Notify call (its signature and
    arguments) and answers with a new id; ``click`` sends ActionInvoked(id, "default")."""

    def __init__(self, address: str) -> None:
        self._connection = open_dbus_connection(address)
        reply = self._connection.send_and_get_reply(message_bus.RequestName(SERVICE), timeout=5)
        assert reply.body == (1,)  # the primary owner
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self._clicks: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def click(self, notification_id: int) -> None:
        self._clicks.put(notification_id)

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=10)
        self._connection.close()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            while not self._clicks.empty():
                emitter = DBusAddress(PATH, interface=INTERFACE)
                signal = new_signal(emitter, "ActionInvoked", "us", (self._clicks.get(), "default"))
                self._connection.send(signal)
            try:
                message = self._connection.receive(timeout=0.05)
            except TimeoutError:
                continue
            fields = message.header.fields
            is_call = message.header.message_type is MessageType.method_call
            if is_call and fields.get(HeaderFields.member) == "Notify":
                reply = new_method_return(message, "u", (len(self.calls) + 41,))
                self._connection.send(reply)
                self.calls.append((fields[HeaderFields.signature], message.body))


@pytest.fixture
def service(session_bus: str) -> Iterator[StandInService]:
    stand_in = StandInService(session_bus)
    yield stand_in
    stand_in.stop()


def test_the_service_is_asked_for_once_the_window_has_painted(
    qtbot,
    service: StandInService,
    runner: TaskRunner,
    dialogs: RecordingDialogs,
    sqlite_address: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Not during start-up: its thread's Python (jeepney, the bus) would run beside it."""
    events: list[str] = []
    start = FreedesktopNotifications.start

    def noted_start(notifications: FreedesktopNotifications) -> None:
        events.append("service asked for")
        start(notifications)

    monkeypatch.setattr(FreedesktopNotifications, "start", noted_start)
    make_demo_database(sqlite_address, 20)
    window = MainWindow(runner, dialogs)
    qtbot.addWidget(window)
    backend = window.notifications.backend
    assert isinstance(backend, FreedesktopBackend)
    window.view_painted.connect(lambda: events.append("painted"))
    window.show()
    with qtbot.waitSignal(backend.available, timeout=SHOWN_WITHIN_MS):
        window.open_database(sqlite_address)
    assert events == ["painted", "service asked for"]


def test_a_notification_goes_to_the_freedesktop_service_and_its_click_opens_the_incident(
    qtbot,
    service: StandInService,
    runner: TaskRunner,
    dialogs: RecordingDialogs,
    sqlite_address: str,
    caplog: pytest.LogCaptureFixture,
    idle,
) -> None:
    caplog.set_level(logging.INFO, logger="incidentdesk.ui.notifications")
    make_demo_database(sqlite_address, 20)
    window = open_main_window(qtbot, runner, dialogs, sqlite_address)
    assert isinstance(window.notifications.backend, FreedesktopBackend)
    qtbot.waitUntil(
        lambda: any("freedesktop notification service" in r.getMessage() for r in caplog.records),
        timeout=SHOWN_WITHIN_MS,
    )
    qtbot.waitUntil(lambda: window.notifications.watching, timeout=SHOWN_WITHIN_MS)
    other: Desk = open_desk(sqlite_address, login="colleague")
    try:
        created = other.incidents.create(
            make_draft(title="Payments down", severity=Severity.SEV1), other.actor_id
        )
    finally:
        other.close()
    qtbot.waitUntil(lambda: len(service.calls) == 1, timeout=SHOWN_WITHIN_MS)
    [(signature, arguments)] = service.calls
    assert signature == "susssasa{sv}i"  # replaces_id a uint32, as the specification says
    assert arguments[1:6] == (
        0,
        "",
        f"New SEV1 incident: {created.key}",
        "Payments down",
        ["default", "Open"],
    )

    service.click(41)
    qtbot.waitUntil(lambda: created.id in window._workspaces, timeout=SHOWN_WITHIN_MS)
    qtbot.waitUntil(lambda: window.workspaces[0].data is not None)
    qtbot.waitUntil(idle)
    window.workspaces[0].close()
    window.close()
    assert "incidentdesk-notify" not in " ".join(t.name for t in threading.enumerate())


def test_a_session_bus_without_the_service_falls_back_and_says_why(
    qtbot,
    session_bus: str,
    runner: TaskRunner,
    dialogs: RecordingDialogs,
    sqlite_address: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="incidentdesk.ui.notifications")
    make_demo_database(sqlite_address, 20)
    window = open_main_window(qtbot, runner, dialogs, sqlite_address)  # asked for after the paint
    qtbot.waitUntil(
        lambda: isinstance(window.notifications.backend, WindowBackend), timeout=SHOWN_WITHIN_MS
    )
    messages = [record.getMessage() for record in caplog.records]
    assert any(
        message.startswith("No freedesktop notification service (LookupError: nothing on")
        for message in messages
    ), messages
    assert "Notifications are shown by the window's status bar (no system tray here)" in messages


def test_a_stopped_service_drops_what_it_is_asked_to_show(session_bus: str) -> None:
    answers: list[tuple[bool, str]] = []
    service = FreedesktopNotifications(session_bus, lambda *answer: answers.append(answer), print)
    service.start()
    service.stop()
    service.stop()
    service.show(1, "Never shown", "")
    assert len(answers) == 1
    assert answers[0][0] is False  # the test's bus has no notification service
    assert "incidentdesk-notify" not in " ".join(t.name for t in threading.enumerate())
