"""The real main window inside a measuring process, waits that run the Qt event loop (never
``time.sleep``) so that background results, timers and painting carry on meanwhile, and a
probe for the times the GUI thread could not run its event loop.

Measuring processes (``python -m bench.measure_*``) print their raw samples as one line of
JSON on standard output; the parent turns them into figures.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop, QObject, QSettings, Qt, QTimer, Signal, SignalInstance
from PySide6.QtWidgets import QApplication

from incidentdesk import APPLICATION_NAME
from incidentdesk.domain.incident import Incident, IncidentDraft
from incidentdesk.services.desk import open_desk
from incidentdesk.services.drafts import DraftStore
from incidentdesk.ui.dialogs import DialogService
from incidentdesk.ui.main_window import MainWindow
from incidentdesk.ui.tasks import TaskRunner

WAIT_TIMEOUT_MS = 60_000
PROBE_INTERVAL_MS = 1
LONG_GAP_MS = 16  # one frame at 60 Hz


class Event(Enum):
    PAINTED = "the incidents painted"
    LOADED = "the list model loaded"
    COUNTED = "the list model counted the matches"


class WaitFailed(Exception):
    pass


class _Barrier(QObject):
    passed = Signal()


class BenchWindow:
    """The main window, its task runner, and waits for the signals a measurement needs."""

    def __init__(self, window: MainWindow, runner: TaskRunner) -> None:
        self.window = window
        self.runner = runner
        self._failure = ""
        self._loop = QEventLoop()
        self._timeout = QTimer()
        self._timeout.setSingleShot(True)
        self._timeout.timeout.connect(self._timed_out)
        self._awaited = ""
        self._signals = {
            Event.PAINTED: window.view_painted,
            Event.LOADED: window.model.loaded,
            Event.COUNTED: window.model.total_changed,
        }
        self._reads_done = _Barrier()
        window.database_failed.connect(lambda _, message: self._fail(message))
        window.model.load_failed.connect(lambda error: self._fail(f"loading failed: {error}"))

    def wait_for(self, event: Event, start: Callable[[], None] = lambda: None) -> None:
        """Call ``start``, then run the event loop until ``event`` happens next; a failure to
        open or load (now or earlier), or a minute without the event, raises WaitFailed."""
        self.wait_for_signal(self._signals[event], event.value, start)

    def wait_for_signal(
        self, signal: SignalInstance, what: str, start: Callable[[], None] = lambda: None
    ) -> tuple[Any, ...]:
        """Call ``start``, then run the event loop until ``signal`` is emitted (``what``
        names it in the error); the values it carried. Fails as ``wait_for`` does."""
        emitted: list[tuple[Any, ...]] = []

        def note(*values: Any) -> None:
            emitted.append(values)
            self._loop.quit()

        signal.connect(note)
        self._awaited = what
        self._timeout.start(WAIT_TIMEOUT_MS)
        try:
            start()
            if not (emitted or self._failure):
                self._loop.exec()
        finally:
            self._timeout.stop()
            signal.disconnect(note)
        if self._failure:
            raise WaitFailed(self._failure)
        return emitted[0]

    def wait_for_count(self) -> None:
        """Until the model knows how many incidents match (it counts after the first page)."""
        if not self.window.model.counted:
            self.wait_for(Event.COUNTED)

    def wait_for_reads(self) -> None:
        """Until the database reads asked for so far are done and their results handled: the
        read thread runs them in order, so an empty read queued now finishes after them."""
        self.wait_for_signal(
            self._reads_done.passed,
            "the reads asked for earlier",
            lambda: self.runner.read(
                self.window,
                lambda _desk: None,
                lambda _: self._reads_done.passed.emit(),
                lambda error: self._fail(f"a read failed: {error}"),
            ),
        )

    def _timed_out(self) -> None:
        self._fail(f"timed out after {WAIT_TIMEOUT_MS // 1000} s waiting for {self._awaited}")

    def _fail(self, message: str) -> None:
        self._failure = message
        self._loop.quit()


class FrameGapProbe(QObject):
    """Ticks every millisecond on the GUI thread and records the time between ticks: a gap
    much longer than 1 ms is a time the GUI thread could not run its event loop (busy, or
    waiting for Python's interpreter lock), so a frame could not have been drawn.

    Where Linux gives each thread's scheduler times (``/proc/thread-self/schedstat``), every
    gap over a frame is also split into the time the GUI thread ran, the time it was ready but
    waited for a core, and the rest: the time it slept, waiting for a lock (in this program
    almost always Python's interpreter lock, held by a worker thread)."""

    def __init__(self) -> None:
        super().__init__()
        self.gaps_ms: list[float] = []
        # [gap, ran, waited for a core, slept] in ms, for each gap over LONG_GAP_MS
        self.long_gaps_ms: list[tuple[float, float, float, float]] = []
        self._last_tick = 0.0
        self._last_schedule = (0, 0)
        self._schedstat = _open_schedstat()
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(PROBE_INTERVAL_MS)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._last_tick = time.perf_counter()
        self._last_schedule = self._schedule()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self._tick()

    def _tick(self) -> None:
        now = time.perf_counter()
        schedule = self._schedule()
        gap_ms = (now - self._last_tick) * 1000
        self.gaps_ms.append(gap_ms)
        if gap_ms > LONG_GAP_MS and self._schedstat is not None:
            ran_ms = (schedule[0] - self._last_schedule[0]) / 1e6
            waited_ms = (schedule[1] - self._last_schedule[1]) / 1e6
            slept_ms = max(0.0, gap_ms - ran_ms - waited_ms)
            self.long_gaps_ms.append((gap_ms, ran_ms, waited_ms, slept_ms))
        self._last_tick, self._last_schedule = now, schedule

    def _schedule(self) -> tuple[int, int]:
        """The GUI thread's time on a core and time ready but waiting for one, in ns."""
        if self._schedstat is None:
            return (0, 0)
        ran, waited, _ = os.pread(self._schedstat, 100, 0).split()
        return int(ran), int(waited)


def _open_schedstat() -> int | None:
    try:
        return os.open("/proc/thread-self/schedstat", os.O_RDONLY)
    except OSError:
        return None


def arguments(description: str) -> argparse.ArgumentParser:
    """The arguments every measuring process takes: the database address, then its own."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("address", help="the database, as sqlite:///path")
    return parser


def report(samples: dict[str, Any]) -> None:
    print(json.dumps(samples), flush=True)


@contextmanager
def main_window(address: str) -> Iterator[BenchWindow]:
    """The main window, shown, with ``address`` open, its incidents painted and the list's
    first page read (which, with the board on screen, comes after the paint).

    Every process starts from the program's default settings (the window state the previous
    measuring process left is forgotten) and keeps form drafts in a folder of its own, so
    that no draft left by an interrupted run is offered in a dialog."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    application = QApplication.instance() or QApplication([sys.argv[0]])
    application.setOrganizationName("Incident Desk")
    application.setApplicationName(APPLICATION_NAME)
    QSettings().clear()
    runner = TaskRunner()
    with tempfile.TemporaryDirectory(prefix="incidentdesk-bench-drafts-") as drafts:
        window = MainWindow(runner, DialogService(), DraftStore(Path(drafts)))
        bench_window = BenchWindow(window, runner)
        window.view_painted.connect(gc.freeze)  # as app.run_gui does
        window.show()
        list_loaded: list[bool] = []

        def note_list_loaded() -> None:
            list_loaded.append(True)

        window.model.loaded.connect(note_list_loaded)
        try:
            bench_window.wait_for(Event.PAINTED, lambda: window.open_database(address))
            if not list_loaded:  # the list reads once the board has painted: not meanwhile
                bench_window.wait_for(Event.LOADED)
            window.model.loaded.disconnect(note_list_loaded)
            yield bench_window
        finally:
            window.close()
            runner.shutdown()


def run_event_loop_for(milliseconds: float) -> None:
    """Let the program run for ``milliseconds``, as it does while a person reads or types."""
    loop = QEventLoop()
    QTimer.singleShot(round(milliseconds), loop.quit)
    loop.exec()


def time_colleagues_commits(
    bench: BenchWindow,
    address: str,
    drafts: Iterable[IncidentDraft],
    arrival: SignalInstance,
    arrived: Callable[[Incident], bool],
    seed: int,
) -> list[float]:
    """Another person's program on ``address`` logs each of ``drafts``, one at a time, after
    a pause of 0.2–1.2 s (so that the commits fall at random moments of SQLite's one-second
    poll, as they would in use). For each, the milliseconds from the end of its commit until
    ``arrived(incident)`` holds, checked each time ``arrival`` is emitted."""
    colleague = open_desk(address, login="colleague")
    pauses, samples = random.Random(seed), []
    try:
        for draft in drafts:
            run_event_loop_for(pauses.uniform(200, 1200))
            created = colleague.incidents.create(draft, colleague.actor_id)
            committed = time.perf_counter()
            while not arrived(created):
                bench.wait_for_signal(arrival, f"{created.key} from another client")
            samples.append((time.perf_counter() - committed) * 1000)
    finally:
        colleague.close()
    return samples
