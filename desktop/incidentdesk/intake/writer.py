"""The receiver's one writer: every database write of the server runs on this thread, in the
order received (SQLite has one writer; PostgreSQL is spared lock waits between handlers)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")
_STOP = object()


class WriterStopped(RuntimeError):
    """Work was handed to the writer after it was told to stop."""


class Writer:
    def __init__(self, name: str = "intake-writer") -> None:
        self._queue: queue.Queue[Any] = queue.Queue()
        self._stopping = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=name, daemon=False)
        self._thread.start()

    @property
    def waiting(self) -> int:
        return self._queue.qsize()

    def submit(self, work: Callable[[], T]) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            if self._stopping:
                raise WriterStopped("the receiver is stopping")
            self._queue.put((work, future))
        return future

    def stop(self) -> None:
        """Finish the work handed over so far, then end the thread."""
        with self._lock:
            self._stopping = True
            self._queue.put(_STOP)
        self._thread.join()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            work, future = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(work())
            except BaseException as error:  # handed to the request that waits for it
                future.set_exception(error)
