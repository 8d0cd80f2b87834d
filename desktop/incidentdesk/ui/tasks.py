"""Database work off the GUI thread; results come back to the GUI thread by signal."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from incidentdesk.ui.changes import ChangeStream
from incidentdesk.ui.failures import error_text, is_expected

log = logging.getLogger(__name__)

# The workers run Python beside the GUI thread. Each time the GUI thread calls into Python
# (a delegate painting a card), and after each call of its Python into Qt, it may wait this
# long for the interpreter lock. Python's default of 5 ms, a few times over in one frame, made
# the board miss frames while typing; 0.5 ms still left the board's longest block at 15 ms
# while scrolling, 0.1 ms at 11-12 ms, with searches no slower.
INTERPRETER_SWITCH_INTERVAL_S = 0.0001

ResultHandler = Callable[[Any], None]
ErrorHandler = Callable[[Exception], None]


class TaskRunner(QObject):
    """One thread for database reads, one for database writes (a single writer suits SQLite)
    and one for files on disk (drafts, attachments being read).

    Handlers always run on the GUI thread, after the work is done; a handler never runs for
    work whose result was superseded (see ``run_latest``). Creating one shortens Python's
    thread switch interval for the whole process (``INTERPRETER_SWITCH_INTERVAL_S``).

    Failures (see ``ui/failures.py``): an expected one is logged at INFO without a traceback
    and handed to the error handler. An unexpected one is logged with its traceback, handed
    to the error handler (which keeps what was typed) and then announced on ``fault``, for
    the one dialog that shows its details. Work that fails with no error handler is logged
    as an error and announced on ``failed``.
    """

    _delivered = Signal(object)
    _progressed = Signal(object)
    failed = Signal(Exception)  # the work had no error handler
    fault = Signal(Exception)  # an unexpected failure, after its handler (if any) ran
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        sys.setswitchinterval(INTERPRETER_SWITCH_INTERVAL_S)
        self._reads = ThreadPoolExecutor(max_workers=1, thread_name_prefix="incidentdesk-read")
        self._writes = ThreadPoolExecutor(max_workers=1, thread_name_prefix="incidentdesk-write")
        self._files = ThreadPoolExecutor(max_workers=1, thread_name_prefix="incidentdesk-files")
        self._latest: dict[str, tuple[Callable[[], Any], ResultHandler, ErrorHandler | None]] = {}
        self._latest_lock = threading.Lock()
        self._pending = 0
        self._shut_down = False
        # Every widget that writes has the runner: its result handler publishes here.
        self.changes = ChangeStream(self)
        self._delivered.connect(self._deliver)
        self._progressed.connect(lambda report: report[0](*report[1:]))

    @property
    def busy(self) -> bool:
        """Whether some work is queued or running, or its result not yet handled."""
        return self._pending > 0

    def progress_reporter(self, handler: Callable[[int, int], None]) -> Callable[[int, int], None]:
        """A callback for work on a worker thread that calls ``handler(done, total)`` on the
        GUI thread."""
        return lambda done, total: self._progressed.emit((handler, done, total))

    def read(
        self,
        work: Callable[[], Any],
        on_result: ResultHandler,
        on_error: ErrorHandler | None = None,
    ) -> None:
        self._submit(self._reads, work, on_result, on_error)

    def write(
        self,
        work: Callable[[], Any],
        on_result: ResultHandler,
        on_error: ErrorHandler | None = None,
    ) -> None:
        self._submit(self._writes, work, on_result, on_error)

    def files(
        self,
        work: Callable[[], Any],
        on_result: ResultHandler,
        on_error: ErrorHandler | None = None,
    ) -> None:
        self._submit(self._files, work, on_result, on_error)

    def run_latest(
        self,
        key: str,
        work: Callable[[], Any],
        on_result: ResultHandler,
        on_error: ErrorHandler | None = None,
    ) -> None:
        """A read where only the newest request per ``key`` matters (typing in a search box):
        requests that have not started by the time a newer one arrives are dropped."""
        if self._shut_down:
            return
        with self._latest_lock:
            self._latest[key] = (work, on_result, on_error)
        self._pending += 1
        self.busy_changed.emit(True)
        self._reads.submit(self._run_newest, key)

    def _run_newest(self, key: str) -> None:
        with self._latest_lock:
            job = self._latest.pop(key, None)
        if job is None:
            self._delivered.emit((None, None, None))
            return
        work, on_result, on_error = job
        self._execute(work, on_result, on_error)

    def _submit(
        self,
        executor: ThreadPoolExecutor,
        work: Callable[[], Any],
        on_result: ResultHandler,
        on_error: ErrorHandler | None,
    ) -> None:
        if self._shut_down:
            return  # a result arriving while the program quits may ask for more work
        self._pending += 1
        self.busy_changed.emit(True)
        executor.submit(self._execute, work, on_result, on_error)

    def _execute(
        self, work: Callable[[], Any], on_result: ResultHandler, on_error: ErrorHandler | None
    ) -> None:
        try:
            result = work()
        except Exception as error:  # handed to the GUI thread, which shows it
            if is_expected(error):  # the person is told; no fault of the program
                log.info("Background work not done: %s", error_text(error))
            else:
                log.error("Background work failed", exc_info=error)
            self._delivered.emit((on_error, error, True))
        else:
            self._delivered.emit((on_result, result, False))

    @Slot(object)
    def _deliver(self, outcome: tuple[Callable[[Any], None] | None, Any, bool | None]) -> None:
        handler, value, is_error = outcome
        self._pending -= 1
        if self._pending == 0:
            self.busy_changed.emit(False)
        if is_error and handler is None:
            log.error("Background work failed and nothing handles it: %s", error_text(value))
            self.failed.emit(value)
        elif handler is not None:
            handler(value)
        if is_error and not is_expected(value):
            self.fault.emit(value)

    def shutdown(self) -> None:
        """Finish the work already queued (a write must not be cut off) and stop the threads."""
        self._shut_down = True
        self._writes.shutdown(wait=True)
        self._files.shutdown(wait=True)
        self._reads.shutdown(wait=True, cancel_futures=True)
