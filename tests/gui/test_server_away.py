"""The window while the team server is unreachable: reads wait and catch up by themselves once
it is back, a save fails with the form kept, and the status bar counts down to the next try.

The server is cut off by a TCP forwarder between the program and the test server
(``tests/tcp_proxy.py``): connections end and new ones are refused, as when the server is
restarting or the network is cut."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import shiboken6
from PySide6.QtCore import QObject, Qt
from PySide6.QtTest import QTest

from incidentdesk.services.desk import open_desk
from incidentdesk.services.incidents import IncidentQuery
from incidentdesk.ui.main_window import MainWindow
from incidentdesk.ui.tasks import TaskRunner
from tests.factories import make_draft
from tests.gui.conftest import RecordingDialogs, make_demo_database
from tests.gui.form_helpers import open_ready_form
from tests.tcp_proxy import TcpProxy

WAIT_MS = 20_000


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    forwarder = TcpProxy("127.0.0.1", 5432)
    yield forwarder
    forwarder.close()


def through(proxy: TcpProxy, address: str) -> str:
    host_and_port = address.split("@", 1)[1].split("/", 1)[0]
    return address.replace(f"@{host_and_port}/", f"@127.0.0.1:{proxy.port}/", 1)


@pytest.fixture
def window(
    qtbot,
    runner: TaskRunner,
    dialogs: RecordingDialogs,
    postgres_schema_address: str,
    proxy: TcpProxy,
    idle: Callable[[], bool],
) -> Iterator[MainWindow]:
    make_demo_database(postgres_schema_address, 20)
    runner.server_retry.set_backoff((1,))
    main = MainWindow(runner, dialogs)
    qtbot.addWidget(main)
    main.show()
    main.show_view(1)
    with qtbot.waitSignal(main.view_painted, timeout=WAIT_MS):
        main.open_database(through(proxy, postgres_schema_address))
    yield main
    proxy.restore_if_cut()
    qtbot.waitUntil(lambda: not runner.server_retry.waiting, timeout=WAIT_MS)
    qtbot.waitUntil(idle, timeout=WAIT_MS)
    if main.desk is not None:
        main.desk.close()


def test_reads_wait_for_the_server_and_catch_up_when_it_is_back(
    qtbot,
    window: MainWindow,
    runner: TaskRunner,
    dialogs: RecordingDialogs,
    proxy: TcpProxy,
    postgres_schema_address: str,
) -> None:
    listed_before = window.model.rowCount()
    proxy.cut()
    QTest.keyClick(window, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: "Server unreachable" in window.connection_label.text(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "trying again in" in window.connection_label.text(), timeout=WAIT_MS)
    assert runner.server_retry.waiting
    assert window.model.rowCount() == listed_before  # what was shown stays shown

    colleague = open_desk(postgres_schema_address, login="colleague")
    try:
        colleague.incidents.create(
            make_draft(title="Logged while we were cut off"), colleague.actor_id
        )
    finally:
        colleague.close()

    proxy.restore()
    qtbot.waitUntil(lambda: window.connection_label.text() == "Connected", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.model.rowCount() == listed_before + 1, timeout=WAIT_MS)
    tooltips = [window.model.listed(row).tooltip for row in range(window.model.rowCount())]
    assert any("Logged while we were cut off" in tooltip for tooltip in tooltips)
    assert dialogs.messages == []  # no dialog, no fault: the status bar said it all


def test_a_save_while_the_server_is_away_fails_with_the_form_kept(
    qtbot, window: MainWindow, runner: TaskRunner, dialogs: RecordingDialogs, proxy: TcpProxy
) -> None:
    form = open_ready_form(qtbot, window)
    form.title.setText("Checkout down during the outage")
    form.description.setPlainText("Customers see a blank page.")
    proxy.cut()
    form.save()
    qtbot.waitUntil(form.banner.isVisible, timeout=WAIT_MS)
    assert "nothing was saved" in form.banner.text()
    assert "save again once the status bar says Connected" in form.banner.text()
    assert form.isVisible()
    assert form.title.text() == "Checkout down during the outage"
    assert runner.server_retry.waiting

    proxy.restore()
    qtbot.waitUntil(lambda: window.connection_label.text() == "Connected", timeout=WAIT_MS)
    with qtbot.waitSignal(form.saved, timeout=WAIT_MS):
        form.save()
    assert not [message for message in dialogs.messages if message[0] == "fault"]


def test_only_the_newest_read_of_a_scope_is_sent_again(
    qtbot, window: MainWindow, runner: TaskRunner, proxy: TcpProxy
) -> None:
    owner = QObject(window)
    answers: list[str] = []
    proxy.cut()
    runner.server_retry.set_backoff((30,))  # tried only when asked, below
    for text in ("first", "second", "third"):
        runner.read(
            owner,
            lambda desk, text=text: (desk.incidents.count(IncidentQuery()), text)[1],
            answers.append,
            supersede="count",
        )
    qtbot.waitUntil(lambda: runner.server_retry.waiting, timeout=WAIT_MS)
    proxy.restore()
    runner.server_retry.try_now()
    qtbot.waitUntil(lambda: answers != [], timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not runner.server_retry.waiting, timeout=WAIT_MS)
    assert answers == ["third"]


def test_reads_kept_for_a_database_that_was_left_are_not_sent(
    qtbot, window: MainWindow, runner: TaskRunner, proxy: TcpProxy, sqlite_address: str
) -> None:
    owner = QObject(window)
    answers: list[int] = []
    proxy.cut()
    runner.server_retry.set_backoff((30,))
    runner.read(owner, lambda desk: desk.incidents.count(IncidentQuery()), answers.append)
    qtbot.waitUntil(lambda: runner.server_retry.waiting, timeout=WAIT_MS)
    left = window.desk
    with qtbot.waitSignal(window.view_painted, timeout=WAIT_MS):
        window.open_database(sqlite_address)
    assert not runner.server_retry.waiting
    assert window.connection_label.text() == "Connected"
    proxy.restore()
    runner.server_retry.try_now()  # nothing is waiting: nothing to try
    # One read thread, in order: a kept read sent again would answer before this one.
    runner.read(owner, lambda _desk: -1, answers.append)
    qtbot.waitUntil(lambda: answers != [], timeout=WAIT_MS)
    assert answers == [-1]
    assert left is not None
    left.close()


def test_a_closed_window_hears_nothing_more_of_the_server(
    qtbot, runner: TaskRunner, dialogs: RecordingDialogs
) -> None:
    """The runner outlives the windows that show its countdown (a database switched, a
    window closed): the countdown goes on without them."""
    gone = MainWindow(runner, dialogs)
    gone.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(gone))
    runner.server_retry.set_backoff((30,))
    runner.server_retry.lost()  # would set the text of the deleted window's label
    runner.server_retry.back()
    assert not runner.server_retry.waiting
