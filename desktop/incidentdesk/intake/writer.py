"""The receiver's one writer: every database write of the server runs on this thread, in the
order received (SQLite has one writer; PostgreSQL is spared lock waits between handlers).

Work waiting together runs as one batch inside ``batch_scope`` (one transaction): each piece
opens its own savepoint, so a piece that fails leaves the others whole, and every piece of a
batch gets its answer once the batch is committed. Under load that spares a commit (and an
FTS5 segment) per request; alone, a request is its own batch."""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import AbstractContextManager
from typing import Any, TypeVar

T = TypeVar("T")
_STOP = object()


class WriterStopped(RuntimeError):
    """Work was handed to the writer after it was told to stop."""


MAX_BATCH = 32


class Writer:
    def __init__(
        self,
        batch_scope: Callable[[], AbstractContextManager[Any]] = contextlib.nullcontext,
        name: str = "intake-writer",
    ) -> None:
        self._batch_scope = batch_scope
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
            batch, stop = self._next_batch()
            if batch:
                self._run_batch(batch)
            if stop:
                return

    def _next_batch(self) -> tuple[list[tuple[Callable[[], Any], Future[Any]]], bool]:
        """The work waiting now (at least one piece, unless told to stop), and whether the
        stop came after it."""
        batch = []
        item = self._queue.get()
        while item is not _STOP:
            work, future = item
            if future.set_running_or_notify_cancel():
                batch.append((work, future))
            if len(batch) >= MAX_BATCH:
                return batch, False
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return batch, False
        return batch, True

    def _run_batch(self, batch: list[tuple[Callable[[], Any], Future[Any]]]) -> None:
        outcomes: list[tuple[bool, Any]] = []
        try:
            with self._batch_scope():
                for work, _future in batch:
                    try:
                        outcomes.append((True, work()))
                    except Exception as error:  # handed to the request that waits for it
                        outcomes.append((False, error))
        except Exception as error:  # the commit failed: nothing of the batch was written
            for _work, future in batch:
                future.set_exception(error)
            return
        for (_work, future), (succeeded, value) in zip(batch, outcomes, strict=True):
            if succeeded:
                future.set_result(value)
            else:
                future.set_exception(value)
