"""The task runner's promises: operations run on the database open when they were asked for,
results never reach a deleted owner, a newer request supersedes an older one of the same
owner and scope, a retired window starts nothing, and every write announces what it changed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QObject

from incidentdesk.domain.enums import EntryKind
from incidentdesk.domain.timeline import NewEntry
from incidentdesk.services.changes import ChangeKind, changed, unchanged
from incidentdesk.services.desk import Desk, open_desk
from incidentdesk.services.incidents import IncidentQuery
from incidentdesk.ui.changes import IncidentsChanged
from incidentdesk.ui.main_window import MainWindow
from incidentdesk.ui.postmortem_panel import PostmortemPanel
from incidentdesk.ui.tasks import NO_QT_FILL_THREADS, DatabaseLeft, NoDatabaseOpen, TaskRunner
from incidentdesk.ui.worker_cores import cores_for_workers
from tests.factories import make_draft
from tests.gui.conftest import RecordingDialogs
from tests.gui.form_helpers import open_ready_form


@pytest.fixture
def two_desks(tmp_path: Path) -> Iterator[tuple[Desk, Desk]]:
    first = open_desk(f"sqlite:///{tmp_path / 'first.db'}", login="first")
    second = open_desk(f"sqlite:///{tmp_path / 'second.db'}", login="second")
    yield first, second
    first.close()
    second.close()


class Gate:
    """Holds a worker thread until opened: what is asked for meanwhile stays queued."""

    def __init__(self) -> None:
        self._open = threading.Event()

    def hold(self, *_desk: object) -> None:
        if not self._open.wait(timeout=20):
            raise TimeoutError("the gate was never opened")

    def open(self) -> None:
        self._open.set()


def test_an_operation_runs_on_the_database_open_when_it_was_asked_for(
    qtbot, runner: TaskRunner, two_desks: tuple[Desk, Desk]
) -> None:
    first, second = two_desks
    owner = QObject()
    gate = Gate()
    runner.use(first)
    runner.write(owner, lambda desk: unchanged(gate.hold()), lambda _: None)
    created: list[str] = []

    def create(desk: Desk) -> object:
        incident = desk.incidents.create(make_draft(title="Where am I"), desk.actor_id)
        return changed(desk.display_name, [incident.id], ChangeKind.CREATED)

    runner.write(owner, create, created.append)
    runner.use(second)  # switched while the first write still waits
    runner.write(owner, create, created.append)
    gate.open()
    qtbot.waitUntil(lambda: len(created) == 2)

    assert created == [first.display_name, second.display_name]
    assert first.incidents.count(IncidentQuery()) == 1
    assert second.incidents.count(IncidentQuery()) == 1


def test_without_a_database_an_operation_is_refused_with_a_sentence(
    qtbot, runner: TaskRunner
) -> None:
    owner = QObject()
    errors: list[Exception] = []
    runner.read(owner, lambda desk: desk.display_name, lambda _: None, errors.append)
    qtbot.waitUntil(lambda: bool(errors))
    assert isinstance(errors[0], NoDatabaseOpen)
    assert "File → Open Database" in str(errors[0])


def test_a_deleted_owner_gets_no_result_but_its_write_is_announced(
    qtbot, runner: TaskRunner, two_desks: tuple[Desk, Desk], idle: Callable[[], bool]
) -> None:
    desk, _ = two_desks
    runner.use(desk)
    incident_id = desk.incidents.create(make_draft(), desk.actor_id).id
    owner = QObject()
    gate = Gate()
    runner.write(owner, lambda _desk: unchanged(gate.hold()), lambda _: None)
    runner.read(owner, gate.hold, lambda _: None)
    delivered: list[object] = []
    note = NewEntry(EntryKind.NOTE, "Written for a window that closed", make_draft().reported_at)
    runner.write(
        owner,
        lambda desk: changed(
            desk.timeline.append(incident_id, note, desk.actor_id),
            [incident_id],
            ChangeKind.TIMELINE,
        ),
        delivered.append,
        delivered.append,
    )
    runner.read(owner, lambda desk: desk.display_name, delivered.append, delivered.append)
    owner.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(owner))
    announced: list[IncidentsChanged] = []
    runner.changes.incidents_changed.connect(announced.append)
    gate.open()
    qtbot.waitUntil(idle)

    assert delivered == []
    assert [(change.incident_ids, change.kinds) for change in announced] == [
        (frozenset({incident_id}), frozenset({ChangeKind.TIMELINE}))
    ]
    assert announced[0].desk is desk
    assert [entry.body for entry in desk.timeline.entries(incident_id)][-1] == note.body


def test_a_newer_request_of_the_same_owner_and_scope_supersedes_an_older_one(
    qtbot, runner: TaskRunner, two_desks: tuple[Desk, Desk], idle: Callable[[], bool]
) -> None:
    runner.use(two_desks[0])
    owner, other_owner = QObject(), QObject()
    gate = Gate()
    started: list[str] = []
    results: list[str] = []

    def asking(name: str) -> Callable[[Desk], str]:
        def work(_desk: Desk) -> str:
            started.append(name)
            return name

        return work

    runner.read(owner, gate.hold, lambda _: None)
    for name in ("a", "ab", "abc"):  # typed while the read thread was busy
        runner.read(owner, asking(name), results.append, supersede="search")
    runner.read(other_owner, asking("other's"), results.append, supersede="search")
    runner.read(owner, asking("list"), results.append, supersede="list")
    gate.open()
    qtbot.waitUntil(idle)

    assert started == ["abc", "other's", "list"]
    assert results == ["abc", "other's", "list"]


def test_a_result_that_a_newer_request_overtook_is_dropped(
    qtbot, runner: TaskRunner, two_desks: tuple[Desk, Desk], idle: Callable[[], bool]
) -> None:
    runner.use(two_desks[0])
    owner = QObject()
    gate = Gate()
    results: list[str] = []

    def slow(_desk: Desk) -> str:
        gate.hold()
        return "old"

    runner.read(owner, slow, results.append, supersede="search")
    qtbot.waitUntil(lambda: runner.busy)
    runner.read(owner, lambda _desk: "new", results.append, supersede="search")
    gate.open()
    qtbot.waitUntil(idle)
    assert results == ["new"]


def test_a_retired_window_and_its_children_start_no_more_database_work(
    qtbot, runner: TaskRunner, two_desks: tuple[Desk, Desk], idle: Callable[[], bool]
) -> None:
    runner.use(two_desks[0])
    window = QObject()
    child = QObject(window)
    results: list[str] = []
    gate = Gate()
    runner.read(child, gate.hold, lambda _: results.append("queued before"))
    runner.retire(window)
    runner.read(child, lambda _desk: "read after", results.append)
    runner.write(window, lambda _desk: unchanged("written after"), results.append)
    runner.files(window, lambda: "its draft, after", results.append)  # no database: runs
    gate.open()
    qtbot.waitUntil(idle)
    assert sorted(results) == ["its draft, after", "queued before"]


def test_a_write_must_say_what_it_changed(
    qtbot, runner: TaskRunner, two_desks: tuple[Desk, Desk], caplog: pytest.LogCaptureFixture
) -> None:
    runner.use(two_desks[0])
    owner = QObject()
    errors: list[Exception] = []
    faults: list[Exception] = []
    runner.fault.connect(faults.append)
    runner.write(owner, lambda _desk: "no changes", lambda _: None, errors.append)  # type: ignore[arg-type, return-value]
    qtbot.waitUntil(lambda: bool(faults))
    assert isinstance(errors[0], TypeError)
    assert "not what it changed" in str(errors[0])
    caplog.clear()  # the fault's traceback is logged on purpose


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # a workspace, offscreen
@pytest.mark.parametrize("window_kind", ["workspace", "form", "postmortem"])
def test_windows_deleted_while_their_work_is_queued_raise_nothing(
    qtbot,
    window: MainWindow,
    runner: TaskRunner,
    dialogs: RecordingDialogs,
    idle: Callable[[], bool],
    window_kind: str,
) -> None:
    desk = window.desk
    assert desk is not None
    incident_id = desk.incidents.create(make_draft(title="Closed while busy"), desk.actor_id).id
    reads, writes = Gate(), Gate()
    runner.read(window, reads.hold, lambda _: None)
    runner.write(window, lambda _desk: unchanged(writes.hold()), lambda _: None)
    if window_kind == "workspace":
        workspace = window.open_workspace(incident_id)
        assert workspace is not None
        workspace.timeline.body.setPlainText("Sent as the window closed")
        workspace.timeline.add_entry()
        workspace.refresh()
        doomed: QObject = workspace
    elif window_kind == "form":
        reads.open()
        form = open_ready_form(qtbot, window)
        form.title.setText("Saved as the form was deleted")
        form.save()
        doomed = form
    else:
        panel = PostmortemPanel(runner, dialogs, incident_id)
        panel.refresh()
        doomed = panel
    doomed.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(doomed))
    reads.open()
    writes.open()
    qtbot.waitUntil(idle)
    assert [message for message in dialogs.messages if message[0] != "choose"] == []


def test_a_write_prepared_on_a_database_left_since_is_refused_with_a_sentence(
    qtbot, runner: TaskRunner, two_desks: tuple[Desk, Desk], idle: Callable[[], bool]
) -> None:
    first, second = two_desks
    runner.use(second)
    owner = QObject()
    errors: list[Exception] = []
    runner.write(
        owner,
        lambda desk: changed(desk.incidents.create(make_draft(), desk.actor_id), []),
        lambda _: None,
        errors.append,
        on=first,
    )
    qtbot.waitUntil(idle)
    assert isinstance(errors[0], DatabaseLeft)
    assert first.display_name in str(errors[0])
    assert second.incidents.count(IncidentQuery()) == 0


@pytest.mark.logs_errors
def test_a_write_is_announced_even_when_its_handler_fails(
    qtbot, runner: TaskRunner, two_desks: tuple[Desk, Desk], idle: Callable[[], bool]
) -> None:
    runner.use(two_desks[0])
    announced: list[IncidentsChanged] = []
    runner.changes.incidents_changed.connect(announced.append)

    def broken_handler(_: object) -> None:
        raise RuntimeError("a bug in a handler")

    with qtbot.capture_exceptions() as raised:
        runner.write(QObject(), lambda _desk: changed(None, [7]), broken_handler)
        qtbot.waitUntil(idle)
    assert [str(error) for _, error, _ in raised] == ["a bug in a handler"]
    assert [change.incident_ids for change in announced] == [frozenset({7})]


def test_work_asked_for_a_deleted_owner_is_dropped_without_an_error(
    qtbot, runner: TaskRunner, two_desks: tuple[Desk, Desk], idle: Callable[[], bool]
) -> None:
    """A handler may ask for more work for its owner after the owner's widget was deleted
    (releasing what an overtaken result holds): nothing runs and nothing raises."""
    desk, _ = two_desks
    runner.use(desk)
    owner = QObject()
    owner.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(owner))
    ran: list[str] = []
    runner.read(owner, lambda _desk: ran.append("read"), lambda _: None)
    runner.files(owner, lambda: ran.append("files"), lambda _: None)
    qtbot.waitUntil(idle)
    assert ran == []


# Paints a fill that Qt's raster engine would split across its threads (a gradient of 600
# lines, as a column's scroll bar), then names the process's threads.
FILL_PROBE = textwrap.dedent(
    """
    import json, os, sys
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QColor, QImage, QLinearGradient, QPainter
    from PySide6.QtWidgets import QApplication
    from incidentdesk.ui.tasks import TaskRunner
    application = QApplication([])
    runner = TaskRunner()
    image = QImage(200, 600, QImage.Format.Format_RGB32)
    gradient = QLinearGradient(0, 0, 200, 0)
    gradient.setColorAt(0, QColor("white"))
    gradient.setColorAt(1, QColor("black"))
    painter = QPainter(image)
    painter.fillRect(QRect(0, 0, 200, 600), gradient)
    painter.end()
    tasks = "/proc/self/task"
    names = [open(f"{tasks}/{task}/comm").read().strip() for task in os.listdir(tasks)]
    runner.shutdown()
    print(json.dumps(names))
    """
)


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux's /proc")
def test_qt_fills_stay_on_the_painting_thread_instead_of_waiting_for_qt_threads() -> None:
    variable, _ = NO_QT_FILL_THREADS
    environment = {name: value for name, value in os.environ.items() if name != variable}
    finished = subprocess.run(
        [sys.executable, "-c", FILL_PROBE],
        capture_output=True,
        text=True,
        env={**environment, "QT_QPA_PLATFORM": "offscreen"},
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    names = json.loads(finished.stdout.strip().splitlines()[-1])
    assert "Thread (pooled)" not in names


def test_the_workers_leave_one_core_to_the_gui_thread(qtbot, runner: TaskRunner) -> None:
    if not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2:
        pytest.skip("binding threads to cores needs Linux and at least two cores")
    allowed = os.sched_getaffinity(0)
    seen: list[set[int]] = []
    owner = QObject()
    runner.files(owner, lambda: os.sched_getaffinity(0), seen.append)
    qtbot.waitUntil(lambda: len(seen) == 1)

    assert seen == [allowed - {max(allowed)}]
    assert os.sched_getaffinity(0) == allowed  # the GUI thread stays free to run anywhere


def test_the_workers_get_every_core_but_the_highest_and_share_a_single_one() -> None:
    assert cores_for_workers({0, 1}) == {0}
    assert cores_for_workers({2, 5, 7}) == {2, 5}
    assert cores_for_workers({3}) == {3}
