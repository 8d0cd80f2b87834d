"""Database work off the GUI thread; results come back to the GUI thread by signal."""

from __future__ import annotations

import itertools
import logging
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import Enum
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

import shiboken6
from PySide6.QtCore import QObject, Signal, Slot

from incidentdesk.errors import ServiceError
from incidentdesk.services.changes import Changed
from incidentdesk.storage.database import ServerUnreachable, is_connection_failure
from incidentdesk.ui.changes import ChangeStream
from incidentdesk.ui.failures import error_text, is_expected
from incidentdesk.ui.server_retry import ServerRetry
from incidentdesk.ui.worker_cores import keep_off_the_gui_core

if TYPE_CHECKING:
    from incidentdesk.services.desk import Desk

log = logging.getLogger(__name__)

# The workers run Python beside the GUI thread. Each time the GUI thread calls into Python
# (a delegate painting a card), and after each call of its Python into Qt, it may wait this
# long for the interpreter lock. Python's default of 5 ms, a few times over in one frame, made
# the board miss frames while typing; 0.5 ms still left the board's longest block at 15 ms
# while scrolling, 0.1 ms at 11-12 ms, with searches no slower.
INTERPRETER_SWITCH_INTERVAL_S = 0.0001
# Qt's raster engine hands every large fill (a scroll bar's gradient, an antialiased card) to
# a pool of threads of its own and waits for them: on a busy machine the GUI thread then slept
# until those threads got a core, or finished the read thread's fills first; one repaint of a
# column's scroll bar took 1-2 ms instead of 0.1-0.4. Qt reads this once, at its first fill.
NO_QT_FILL_THREADS = ("QT_NO_GUI_THREADPOOL", "1")

# Set on a window whose database was left: it and its children may not start more work.
_RETIRED = "incidentdesk_retired"

T = TypeVar("T")
ErrorHandler = Callable[[Exception], None]


def _worker(name: str) -> ThreadPoolExecutor:
    """One worker thread, kept off the core left to the GUI thread (``ui/worker_cores.py``)."""
    return ThreadPoolExecutor(
        max_workers=1, thread_name_prefix=name, initializer=keep_off_the_gui_core
    )


class NoDatabaseOpen(ServiceError):
    def __init__(self) -> None:
        super().__init__("No database is open. Open one with File → Open Database…")


class DatabaseLeft(ServiceError):
    """A write prepared on a database that another one has replaced since."""

    def __init__(self, desk: Desk) -> None:
        super().__init__(
            f"This was not saved: it was prepared on {desk.display_name}, and another database "
            "has been opened since."
        )


class _Outcome(Enum):
    RESULT = "result"
    ERROR = "error"
    SKIPPED = "skipped"  # superseded before it started


@dataclass(frozen=True)
class _Job:
    owner: QObject
    work: Callable[[], Any]
    on_result: Callable[[Any], None]
    on_error: ErrorHandler | None
    desk: Desk | None  # the database a write's changes are announced for
    scope: tuple[int, str] | None  # (owner, name): a newer request of the scope supersedes
    serial: int
    publishes: bool  # a write operation: what it returns is a ``Changed``
    on_dropped: Callable[[Any], None] | None  # for the result of a started, superseded job


class TaskRunner(QObject):
    """One thread for database reads, one for database writes (a single writer suits SQLite,
    and opening a database writes too) and one for files on disk (drafts, attachments).

    Every request has an **owner**, the widget that wants the result: its handlers run on the
    GUI thread after the work is done, and never once the owner has been deleted. Database
    operations take the desk to work on as their argument; the runner supplies the one open
    when the request is made (``use``), so an operation never holds a database of its own
    and never writes into one that another window shows. A request may name a **scope**
    (``supersede="search"``): a newer request of the same owner and scope drops an older one
    that has not started, and the result of one that had.

    A **write operation** returns a ``Changed`` (``services/changes.py``): its handler gets
    the value, and the runner announces the changed incidents on ``changes``, even when the
    owner is gone, for every view to refresh itself.

    Failures (see ``ui/failures.py``): an expected one is logged at INFO without a traceback
    and handed to the error handler. An unexpected one is logged with its traceback, handed
    to the error handler (which keeps what was typed) and then announced on ``fault``, for
    the one dialog that shows its details. Work that fails with no error handler is logged
    as an error and announced on ``failed``.

    **A team server that went away** (``storage.database.is_connection_failure``): a read
    that failed so is handed to its error handler once (the view says it could not load) and
    kept, and so is every read asked for while the server is away, untold; ``server_retry``
    tries the connection after a growing pause and, once it answers, sends the kept reads
    again (only the newest of each scope), whose results then reach their handlers as usual,
    so every view catches up by itself. A write is never sent again by itself: it fails,
    its form keeps what was typed, and the countdown starts.

    Creating one shortens Python's thread switch interval for the whole process
    (``INTERPRETER_SWITCH_INTERVAL_S``) and, when it comes before the first paint, keeps Qt's
    fills on the thread that paints (``NO_QT_FILL_THREADS``). Its worker threads leave one
    core to the GUI thread (``ui/worker_cores.py``).
    """

    _delivered = Signal(object)
    _progressed = Signal(object)
    failed = Signal(Exception)  # the work had no error handler
    fault = Signal(Exception)  # an unexpected failure, after its handler (if any) ran
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        sys.setswitchinterval(INTERPRETER_SWITCH_INTERVAL_S)
        os.environ.setdefault(*NO_QT_FILL_THREADS)
        self._reads = _worker("incidentdesk-read")
        self._writes = _worker("incidentdesk-write")
        self._files = _worker("incidentdesk-files")
        self._desk: Desk | None = None
        self._serials = itertools.count(1)
        self._newest: dict[tuple[int, str], int] = {}
        # Every job until its result is handled. Only the serial crosses to a worker, and the
        # worker lets go of the work before it reports: what the work and its handlers hold
        # (widgets) is then released on the GUI thread, where Qt objects must be deleted.
        self._jobs: dict[int, _Job] = {}
        self._outcomes: dict[int, tuple[Any, _Outcome]] = {}  # likewise, the results
        self._newest_lock = threading.Lock()
        self._pending = 0
        self._shut_down = False
        self._waiting_for_server: dict[int, _Job] = {}  # reads kept while it is away
        self._told_unreachable: set[int] = set()  # of those, the ones whose view was told
        self.server_retry = ServerRetry(self._try_server, self)
        self.changes = ChangeStream(self)
        self._delivered.connect(self._deliver)
        self._progressed.connect(self._report_progress)

    @property
    def busy(self) -> bool:
        """Whether some work is queued or running, or its result not yet handled."""
        return self._pending > 0

    @property
    def desk(self) -> Desk | None:
        """The database that operations requested from now on run on."""
        return self._desk

    def use(self, desk: Desk | None) -> None:
        """Run the operations requested from now on on ``desk``; those already queued keep
        the database they were requested on."""
        if desk is not self._desk:
            self._waiting_for_server.clear()  # their windows are retired with the database
            self._told_unreachable.clear()
            self.server_retry.stop()
        self._desk = desk

    def retire(self, owner: QObject) -> None:
        """Refuse new work from ``owner`` and its children (a window of a database that was
        left): what it queued still runs on its own database, and its results still reach
        it, but nothing it asks for later could run on the right one."""
        owner.setProperty(_RETIRED, True)

    def progress_reporter(
        self, owner: QObject, handler: Callable[[int, int], None]
    ) -> Callable[[int, int], None]:
        """A callback for work on a worker thread that calls ``handler(done, total)`` on the
        GUI thread while ``owner`` exists."""
        return lambda done, total: self._progressed.emit((owner, handler, done, total))

    def read(
        self,
        owner: QObject,
        operation: Callable[[Desk], T],
        on_result: Callable[[T], None],
        on_error: ErrorHandler | None = None,
        *,
        supersede: str | None = None,
        on_dropped: Callable[[T], None] | None = None,
    ) -> None:
        """Run ``operation(desk)`` on the read thread. ``on_dropped`` gets the result of a
        request that a newer one superseded after it had started (to release what it made)."""
        self._submit(
            self._reads,
            owner,
            operation,
            on_result,
            on_error,
            supersede=supersede,
            on_dropped=on_dropped,
        )

    def write(
        self,
        owner: QObject,
        operation: Callable[[Desk], Changed[T]],
        on_result: Callable[[T], None],
        on_error: ErrorHandler | None = None,
        *,
        on: Desk | None = None,
    ) -> None:
        """Run ``operation(desk)`` on the write thread and announce what it changed. With
        ``on``, the database the write was prepared on (a step whose dialog was open while
        another database opened): refused with ``DatabaseLeft`` unless that one is in use."""
        if on is not None and on is not self._desk:
            self._submit(
                self._writes,
                owner,
                partial(_fail, DatabaseLeft(on)),
                on_result,
                on_error,
                with_desk=False,
            )
            return
        self._submit(self._writes, owner, operation, on_result, on_error, publishes=True)

    def files(
        self,
        owner: QObject,
        work: Callable[[], T],
        on_result: Callable[[T], None],
        on_error: ErrorHandler | None = None,
        *,
        supersede: str | None = None,
    ) -> None:
        """Run ``work()``, which touches files and no database, on the files thread."""
        self._submit(
            self._files, owner, work, on_result, on_error, supersede=supersede, with_desk=False
        )

    def open_database(
        self,
        owner: QObject,
        opener: Callable[[], Desk],
        on_result: Callable[[Desk], None],
        on_error: ErrorHandler,
    ) -> None:
        """Open a database on the write thread: opening may create, upgrade and write it.
        The caller decides whether to ``use`` it."""
        self._submit(self._writes, owner, opener, on_result, on_error, with_desk=False)

    def prepare_database(
        self,
        owner: QObject,
        work: Callable[[], T],
        on_result: Callable[[T], None],
        on_error: ErrorHandler,
    ) -> None:
        """Test, create, upgrade or set up a database that is not open yet (a first run), on
        the write thread like every write; nothing is announced, as no view shows it yet."""
        self._submit(self._writes, owner, work, on_result, on_error, with_desk=False)

    def close_database(self, desk: Desk) -> None:
        """Close ``desk``'s connection of each database thread, after the work queued there."""
        if self._shut_down:
            return
        for executor in (self._reads, self._writes):
            executor.submit(self._close, desk)

    def _submit(
        self,
        executor: ThreadPoolExecutor,
        owner: QObject,
        work: Callable[..., Any],
        on_result: Callable[[Any], None],
        on_error: ErrorHandler | None,
        *,
        supersede: str | None = None,
        publishes: bool = False,
        with_desk: bool = True,
        on_dropped: Callable[[Any], None] | None = None,
    ) -> None:
        if self._shut_down:
            return  # a result arriving while the program quits may ask for more work
        if not shiboken6.isValid(owner):
            return  # asked by a handler of an owner deleted since: no one to hand it to
        if with_desk and self._is_retired(owner):
            # Database work only: a retired window's files (its draft) have no database.
            log.info("Work of a window whose database was left not started: %r", work)
            return
        desk = self._desk if with_desk else None
        if with_desk and desk is None:
            work = partial(_fail, NoDatabaseOpen())
        elif with_desk:
            work = partial(work, desk)
        scope = None if supersede is None else (id(owner), supersede)
        serial = next(self._serials)
        if scope is not None:
            with self._newest_lock:
                self._newest[scope] = serial
        job = _Job(owner, work, on_result, on_error, desk, scope, serial, publishes, on_dropped)
        if executor is self._reads and desk is not None and self._keeps_reads(owner):
            self._waiting_for_server[serial] = job
            return
        self._send(executor, serial, job)

    def _send(self, executor: ThreadPoolExecutor, serial: int, job: _Job) -> None:
        self._pending += 1
        self.busy_changed.emit(True)
        self._jobs[serial] = job
        executor.submit(self._execute, serial)

    def _keeps_reads(self, owner: QObject) -> bool:
        """Whether a read is kept for later: the server is away and this is not the try."""
        return self.server_retry.waiting and owner is not self

    def _try_server(self) -> None:
        # Whatever it answers, even a complaint, tells that it is back (see ``_deliver``).
        self._submit(
            self._reads,
            self,
            _ask_server,
            lambda _: None,
            self._server_still_away,
            supersede="server",
        )

    def _server_still_away(self, error: Exception) -> None:
        if is_connection_failure(error):
            self.server_retry.lost()

    def _server_back(self) -> None:
        self.server_retry.back()
        waiting, self._waiting_for_server = self._waiting_for_server, {}
        for serial, job in waiting.items():
            if (
                job.desk is self._desk
                and shiboken6.isValid(job.owner)
                and not self._is_retired(job.owner)
                and self._is_newest(job)
            ):
                self._send(self._reads, serial, job)

    def _is_retired(self, owner: QObject | None) -> bool:
        while owner is not None:
            if owner.property(_RETIRED):
                return True
            owner = owner.parent()
        return False

    def _is_newest(self, job: _Job) -> bool:
        if job.scope is None:
            return True
        with self._newest_lock:
            return self._newest.get(job.scope) == job.serial

    def _execute(self, serial: int) -> None:
        job = self._jobs[serial]
        work, publishes, newest = job.work, job.publishes, self._is_newest(job)
        del job
        if not newest:
            del work
            self._outcomes[serial] = (None, _Outcome.SKIPPED)
            self._delivered.emit(serial)
            return
        try:
            result = work()
            if publishes and not isinstance(result, Changed):
                raise TypeError(f"A write operation returned {result!r}, not what it changed")
        except Exception as error:  # handed to the GUI thread, which shows it
            if is_expected(error):  # the person is told; no fault of the program
                log.info("Background work not done: %s", error_text(error))
            else:
                log.error("Background work failed", exc_info=error)
            self._outcomes[serial] = (error, _Outcome.ERROR)
        else:
            self._outcomes[serial] = (result, _Outcome.RESULT)
            del result
        del work
        self._delivered.emit(serial)

    @staticmethod
    def _close(desk: Desk) -> None:
        try:
            desk.close()
        except Exception:  # a connection that is already gone has nothing left to close
            log.info("Closing %s failed", desk.display_name, exc_info=True)

    @Slot(object)
    def _deliver(self, serial: int) -> None:
        job = self._jobs.pop(serial)
        value, kind = self._outcomes.pop(serial)
        self._pending -= 1
        if self._pending == 0:
            self.busy_changed.emit(False)
        if kind is _Outcome.SKIPPED:
            return
        newest = self._is_newest(job)
        wanted = newest and shiboken6.isValid(job.owner)
        if self._kept_for_the_server(
            serial, job, value if kind is _Outcome.ERROR else None, wanted
        ):
            return
        if kind is _Outcome.ERROR and job.publishes and is_connection_failure(value):
            value = _not_saved(value)
        if job.scope is not None and newest:
            with self._newest_lock:
                del self._newest[job.scope]
        if kind is _Outcome.ERROR:
            self._deliver_error(job, value, wanted)
            return
        try:
            if wanted:
                job.on_result(value.value if job.publishes else value)
            elif not newest and job.on_dropped is not None:
                job.on_dropped(value)
        finally:  # the other views learn of the change even if this handler failed
            if job.publishes and job.desk is not None:
                self.changes.publish(job.desk, value)

    def _kept_for_the_server(
        self, serial: int, job: _Job, error: Exception | None, wanted: bool
    ) -> bool:
        """Whether a read that failed on an unreachable server is kept to be sent again; its
        view is told the first time. Any other database work that got through says that the
        server is back."""
        told = serial in self._told_unreachable
        self._told_unreachable.discard(serial)
        if job.desk is None or job.desk is not self._desk:
            return False
        if error is None or not is_connection_failure(error):
            if self.server_retry.waiting:
                self._server_back()
            return False
        self.server_retry.lost()
        if job.publishes or job.owner is self or not wanted:
            return False
        self._waiting_for_server[serial] = job  # sent again once the server is back
        self._told_unreachable.add(serial)
        if not told and job.on_error is not None:  # once; its result comes when it is back
            job.on_error(error)
        return True

    def _deliver_error(self, job: _Job, error: Exception, wanted: bool) -> None:
        if job.on_error is None:
            log.error("Background work failed and nothing handles it: %s", error_text(error))
            self.failed.emit(error)
        elif wanted:
            job.on_error(error)
        if not is_expected(error):
            self.fault.emit(error)

    @Slot(object)
    def _report_progress(
        self, report: tuple[QObject, Callable[[int, int], None], int, int]
    ) -> None:
        owner, handler, done, total = report
        if shiboken6.isValid(owner):
            handler(done, total)

    def shutdown(self) -> None:
        """Finish the work already queued (a write must not be cut off) and stop the threads."""
        self._shut_down = True
        self._writes.shutdown(wait=True)
        self._files.shutdown(wait=True)
        self._reads.shutdown(wait=True, cancel_futures=True)


def _fail(error: Exception) -> None:
    raise error


def _ask_server(desk: Desk) -> None:
    desk.store.database.execute_sql("SELECT 1")


def _not_saved(error: Exception) -> Exception:
    """A write's failure on an unreachable server, saying what became of the change."""
    if not isinstance(error, ServerUnreachable):
        return error  # a lost connection says itself whether anything was saved
    told = ServerUnreachable(
        f"{error.message.removesuffix('.')}, so nothing was saved. What you entered stays "
        "here: save again once the status bar says Connected."
    )
    told.__cause__ = error
    return told
