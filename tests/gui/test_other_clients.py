"""Other clients' changes show without F5: a second desk on the same database (another
person's program) commits, and the board, the list and an open workspace of this window
show it, on SQLite (``PRAGMA data_version`` polled) and on PostgreSQL (LISTEN/NOTIFY). The
board's safety-net timer is stopped: it must not be what shows the change."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg
import pytest

from incidentdesk.domain.enums import EntryKind, Status
from incidentdesk.domain.lifecycle import Step
from incidentdesk.domain.timeline import NewEntry
from incidentdesk.services.changes import changed
from incidentdesk.services.desk import Desk, open_desk
from incidentdesk.services.lifecycle import StepRequest
from incidentdesk.storage import change_log
from incidentdesk.storage import models as m
from incidentdesk.ui.changes import IncidentsChanged
from incidentdesk.ui.incident_table_model import INCIDENT_ID_ROLE
from incidentdesk.ui.main_window import STATUS_FILTERS, MainWindow
from incidentdesk.ui.tasks import TaskRunner
from tests.conftest import POSTGRES_ADMIN_URL
from tests.factories import make_draft
from tests.gui.conftest import RecordingDialogs, make_demo_database
from tests.gui.other_clients import (
    SHOWN_WITHIN_MS,
    close_and_settle,
    open_following_window,
    shared_database,
    wait_until_listening,
)
from tests.gui.test_live_views import (
    TITLE_COLUMN,
    board_card,
    close_when_idle,
    list_text,
    open_workspace,
)

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support raise")


@pytest.fixture(params=["sqlite", "postgres"])
def shared_address(request: pytest.FixtureRequest) -> str:
    return shared_database(request, 400)


@pytest.fixture
def window(
    qtbot, runner: TaskRunner, dialogs: RecordingDialogs, shared_address: str, idle
) -> Iterator[MainWindow]:
    main_window = open_following_window(qtbot, runner, dialogs, shared_address)
    yield main_window
    close_and_settle(qtbot, main_window, idle)


def a_logged_incident(window: MainWindow) -> int:
    assert window.desk is not None
    cards = [
        card
        for column in window.board.grid.visible_columns()
        for card in column.model.cards()
        if card.status is Status.LOGGED
    ]
    return cards[0].id


def test_an_incident_another_client_creates_shows_on_the_board_and_in_the_list(
    qtbot, window: MainWindow, other: Desk
) -> None:
    window.list_action.trigger()  # shown once, so it must not go stale
    qtbot.waitUntil(lambda: window.model.rowCount() > 0)
    window.board_action.trigger()
    created = other.incidents.create(make_draft(title="Logged by a colleague"), other.actor_id)
    qtbot.waitUntil(lambda: board_card(window, created.id) is not None, timeout=SHOWN_WITHIN_MS)
    window.list_action.trigger()
    qtbot.waitUntil(
        lambda: list_text(window, created.id, TITLE_COLUMN) == "Logged by a colleague",
        timeout=SHOWN_WITHIN_MS,
    )


def test_a_direct_write_by_another_client_shows_in_the_list_keeping_the_selection(
    qtbot, window: MainWindow, other: Desk
) -> None:
    window.list_action.trigger()
    window.status_filter.setCurrentIndex(
        next(i for i, (label, _, _) in enumerate(STATUS_FILTERS) if label == "All incidents")
    )
    qtbot.waitUntil(lambda: window.model.rowCount() > 20 and window.model.counted)
    window.table.selectRow(5)
    selected = window.selected_incident_id()
    edited = window.model.index(2, 0).data(INCIDENT_ID_ROLE)
    with other.store.write():  # not through the services: the database's triggers see it
        m.Incident.update(title="Renamed by a script").where(m.Incident.id == edited).execute()
    qtbot.waitUntil(
        lambda: list_text(window, edited, TITLE_COLUMN) == "Renamed by a script",
        timeout=SHOWN_WITHIN_MS,
    )
    assert window.selected_incident_id() == selected


def test_another_clients_step_and_entry_show_in_the_open_workspace_keeping_what_is_typed(
    qtbot, window: MainWindow, other: Desk, idle
) -> None:
    incident_id = a_logged_incident(window)
    workspace = open_workspace(qtbot, window, incident_id)
    workspace.timeline.body.setPlainText("Half-written note")
    entries = workspace.timeline.model.rowCount()
    other.lifecycle.take(incident_id, StepRequest(Step.TRIAGE), None)
    other.timeline.append(
        incident_id,
        NewEntry(EntryKind.NOTE, "Seen from the other desk", datetime.now(UTC)),
        other.actor_id,
    )
    qtbot.waitUntil(
        lambda: (
            workspace.data is not None
            and workspace.data.incident.status is Status.TRIAGED
            and workspace.timeline.model.rowCount() >= entries + 2
        ),
        timeout=SHOWN_WITHIN_MS,
    )
    qtbot.waitUntil(
        lambda: (
            (card := board_card(window, incident_id)) is not None and card.status is Status.TRIAGED
        ),
        timeout=SHOWN_WITHIN_MS,
    )
    assert workspace.timeline.body.toPlainText() == "Half-written note"
    workspace.timeline.body.clear()
    close_when_idle(qtbot, workspace, idle)


def test_this_programs_own_writes_are_announced_once(
    qtbot, window: MainWindow, runner: TaskRunner, other: Desk
) -> None:
    announced: list[frozenset[int]] = []
    runner.changes.incidents_changed.connect(lambda change: announced.append(change.incident_ids))
    incident_id = a_logged_incident(window)
    with qtbot.waitSignal(runner.changes.incidents_changed, timeout=SHOWN_WITHIN_MS):
        runner.write(
            window,
            lambda desk: changed(
                desk.lifecycle.take(incident_id, StepRequest(Step.TRIAGE), desk.actor_id),
                [incident_id],
            ),
            lambda _: None,
            pytest.fail,
        )
    # The other client's change comes after ours in the change log: once it is announced,
    # ours has been read past.
    created = other.incidents.create(make_draft(title="After ours"), other.actor_id)
    qtbot.waitUntil(lambda: any(created.id in ids for ids in announced), timeout=SHOWN_WITHIN_MS)
    assert sum(incident_id in ids for ids in announced) == 1


def test_switching_the_database_stops_watching_the_old_one(
    qtbot, window: MainWindow, runner: TaskRunner, other: Desk, sqlite_address: str, tmp_path
) -> None:
    old_desk, old_listener = window.desk, window.live_updates.listener
    new_address = f"sqlite:///{tmp_path / 'second.db'}"
    make_demo_database(new_address, 50)
    for_old: list[IncidentsChanged] = []
    runner.changes.incidents_changed.connect(
        lambda change: for_old.append(change) if change.desk is old_desk else None
    )
    with qtbot.waitSignal(window.view_painted, timeout=SHOWN_WITHIN_MS):
        window.open_database(new_address)
    if old_listener is not None:
        qtbot.waitUntil(lambda: not old_listener.running, timeout=SHOWN_WITHIN_MS)
    other.incidents.create(make_draft(title="Into the database left"), other.actor_id)
    newcomer = open_desk(new_address, login="colleague")
    try:
        created = newcomer.incidents.create(make_draft(title="Into the new one"), None)
    finally:
        newcomer.close()
    qtbot.waitUntil(lambda: board_card(window, created.id) is not None, timeout=SHOWN_WITHIN_MS)
    assert for_old == []


def test_closing_the_window_ends_the_listener_thread(
    qtbot, window: MainWindow, shared_address: str
) -> None:
    listener = window.live_updates.listener
    if listener is None:
        assert window.live_updates._timer.isActive()
        window.close()
        assert not window.live_updates._timer.isActive()
        return
    window.close()
    qtbot.waitUntil(lambda: not listener.running, timeout=SHOWN_WITHIN_MS)
    assert "incidentdesk-listen" not in {thread.name for thread in threading.enumerate()}


def test_a_listener_whose_connection_is_ended_reconnects_and_catches_up(
    qtbot, postgres_schema_address: str, runner: TaskRunner, dialogs: RecordingDialogs, idle
) -> None:
    make_demo_database(postgres_schema_address, 50)
    window = open_following_window(qtbot, runner, dialogs, postgres_schema_address)
    listener = wait_until_listening(qtbot, window)
    states: list[tuple[bool, str]] = []
    window.live_updates.listening_changed.connect(lambda *state: states.append(state))
    # Reconnecting waits until the colleague has committed: only the change log has it.
    may_reconnect = threading.Event()
    connect = listener._connect

    def held_connect():  # type: ignore[no-untyped-def]
        may_reconnect.wait(SHOWN_WITHIN_MS / 1000)
        return connect()

    listener._connect = held_connect  # type: ignore[method-assign]
    pid = listener.backend_pid
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    qtbot.waitUntil(lambda: not listener.listening.is_set(), timeout=SHOWN_WITHIN_MS)
    qtbot.waitUntil(lambda: window.connection_label.text().startswith("Reconnecting in "))
    other = open_desk(postgres_schema_address, login="colleague")
    try:
        created = other.incidents.create(make_draft(title="While it was away"), other.actor_id)
    finally:
        other.close()
    may_reconnect.set()
    qtbot.waitUntil(lambda: board_card(window, created.id) is not None, timeout=SHOWN_WITHIN_MS)
    assert listener.backend_pid != pid
    # The first "Connected" may still be on its way when the recording starts.
    assert any(not listening for listening, _ in states), states
    assert states[-1] == (True, "Connected")
    assert window.connection_label.text() == "Connected"
    close_and_settle(qtbot, window, idle)


ANOTHER_PROCESS = """
import sys
from incidentdesk.services.desk import open_desk
from tests.factories import make_draft

desk = open_desk(sys.argv[1], login="colleague")
try:
    print(desk.incidents.create(make_draft(title=sys.argv[2]), desk.actor_id).id)
finally:
    desk.close()
"""


def test_an_incident_logged_by_another_process_shows_on_the_board(
    qtbot, window: MainWindow, shared_address: str
) -> None:
    finished = subprocess.run(
        [sys.executable, "-c", ANOTHER_PROCESS, shared_address, "From another process"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    created = int(finished.stdout.strip().splitlines()[-1])
    qtbot.waitUntil(lambda: board_card(window, created) is not None, timeout=SHOWN_WITHIN_MS)
    card = board_card(window, created)
    assert card is not None
    assert card.title == "From another process"


def test_a_client_open_for_days_prunes_the_change_log_every_hour(
    qtbot, window: MainWindow, other: Desk, idle
) -> None:
    assert window.live_updates._prune_timer.isActive()
    assert window.live_updates._prune_timer.interval() == 3_600_000
    kept = other.incidents.create(make_draft(title="Logged today"), other.actor_id)
    day_ago = int(time.time()) - change_log.KEPT_FOR_S - 60
    with other.store.write():
        other.store.database.execute_sql(
            f"UPDATE change_log SET written_at = {day_ago} WHERE incident_id <> {kept.id}"
        )
    window.live_updates.prune()
    qtbot.waitUntil(idle, timeout=SHOWN_WITHIN_MS)
    with other.store.bound():
        left = other.store.database.execute_sql("SELECT DISTINCT incident_id FROM change_log")
        assert [row[0] for row in left.fetchall()] == [kept.id]
