"""The real main window inside a measuring process, and waits that run the Qt event loop
(never ``time.sleep``), so that background results, timers and painting carry on meanwhile.

Measuring processes (``python -m bench.measure_*``) print their raw samples as one line of
JSON on standard output; the parent turns them into figures.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum
from typing import Any

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from incidentdesk import APPLICATION_NAME
from incidentdesk.ui.dialogs import DialogService
from incidentdesk.ui.main_window import MainWindow
from incidentdesk.ui.tasks import TaskRunner

WAIT_TIMEOUT_MS = 60_000


class Event(Enum):
    PAINTED = "the list painted"
    LOADED = "the list model loaded"
    COUNTED = "the list model counted the matches"


class WaitFailed(Exception):
    pass


class BenchWindow:
    """The main window with the signals a measurement waits for."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self._awaited: Event | None = None
        self._happened = False
        self._failure = ""
        self._loop = QEventLoop()
        self._timeout = QTimer()
        self._timeout.setSingleShot(True)
        self._timeout.timeout.connect(self._timed_out)
        window.view_painted.connect(lambda: self._note(Event.PAINTED))
        window.model.loaded.connect(lambda: self._note(Event.LOADED))
        window.model.total_changed.connect(lambda _: self._note(Event.COUNTED))
        window.database_failed.connect(lambda _, message: self._fail(message))
        window.model.load_failed.connect(lambda error: self._fail(f"loading failed: {error}"))

    def wait_for(self, event: Event, start: Callable[[], None] = lambda: None) -> None:
        """Call ``start``, then run the event loop until ``event`` happens next; a failure to
        open or load (now or earlier), or a minute without the event, raises WaitFailed."""
        self._awaited, self._happened = event, False
        self._timeout.start(WAIT_TIMEOUT_MS)
        start()
        if not (self._happened or self._failure):
            self._loop.exec()
        self._timeout.stop()
        self._awaited = None
        if self._failure:
            raise WaitFailed(self._failure)

    def wait_for_count(self) -> None:
        """Until the model knows how many incidents match (it counts after the first page)."""
        if not self.window.model.counted:
            self.wait_for(Event.COUNTED)

    def _note(self, event: Event) -> None:
        if event is self._awaited:
            self._happened = True
            self._loop.quit()

    def _timed_out(self) -> None:
        awaited = self._awaited.value if self._awaited else "nothing"
        self._fail(f"timed out after {WAIT_TIMEOUT_MS // 1000} s waiting for {awaited}")

    def _fail(self, message: str) -> None:
        self._failure = message
        self._loop.quit()


def arguments(description: str) -> argparse.ArgumentParser:
    """The arguments every measuring process takes: the database address, then its own."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("address", help="the database, as sqlite:///path")
    return parser


def report(samples: dict[str, Any]) -> None:
    print(json.dumps(samples), flush=True)


@contextmanager
def main_window(address: str) -> Iterator[BenchWindow]:
    """The main window, shown, with ``address`` open and the list painted."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    application = QApplication.instance() or QApplication([sys.argv[0]])
    application.setOrganizationName("Incident Desk")
    application.setApplicationName(APPLICATION_NAME)
    runner = TaskRunner()
    window = MainWindow(runner, DialogService())
    bench_window = BenchWindow(window)
    window.show()
    try:
        bench_window.wait_for(Event.PAINTED, lambda: window.open_database(address))
        yield bench_window
    finally:
        window.close()
        runner.shutdown()


def run_event_loop_for(milliseconds: float) -> None:
    """Let the program run for ``milliseconds``, as it does while a person reads or types."""
    loop = QEventLoop()
    QTimer.singleShot(round(milliseconds), loop.quit)
    loop.exec()
