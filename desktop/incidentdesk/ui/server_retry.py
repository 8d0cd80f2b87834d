"""Waiting for a team server that went away: reads that failed because the PostgreSQL server
could not be reached are kept, the connection is tried again after a growing pause (1 s, 2 s,
4 s … up to 30 s), and once a try succeeds the kept reads are sent again, so every view
catches up by itself. What other clients committed meanwhile comes through the change log.

The runner (``ui/tasks.py``) decides what to keep; this class keeps the countdown and says
what to show: "Server unreachable: trying again in 8 s".
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

# Seconds to wait before each try; the last one repeats until the server answers.
BACKOFF_S: tuple[int, ...] = (1, 2, 4, 8, 15, 30)
TICK_MS = 1000


class ServerRetry(QObject):
    """The countdown to the next try while the server is unreachable.

    ``lost()`` starts it (or keeps the one running); when it ends, ``try_connection`` is
    called with the callback to report the outcome: ``back()`` once the server answered,
    ``lost()`` again if it still does not, which waits longer the next time.
    """

    state_changed = Signal(bool, str)  # (waiting for the server, what to show)

    def __init__(self, try_connection: Callable[[], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._try_connection = try_connection
        self._failures = 0
        self._seconds_left = 0
        self._trying = False
        self._waiting = False
        self._backoff = BACKOFF_S
        self._tick = QTimer(self)
        self._tick.setInterval(TICK_MS)
        self._tick.timeout.connect(self._count_down)

    @property
    def waiting(self) -> bool:
        """Whether the server is taken to be away (until a try succeeds)."""
        return self._waiting

    def set_backoff(self, seconds: tuple[int, ...]) -> None:
        """The pauses between tries (tests shorten them)."""
        if not seconds or any(pause < 0 for pause in seconds):
            raise ValueError(f"pauses must be a non-empty series of seconds, not {seconds}")
        self._backoff = seconds

    def lost(self) -> None:
        """Something failed because the server could not be reached."""
        if self._trying:
            self._trying = False
            self._failures += 1
        if self._waiting and self._tick.isActive():
            return  # a countdown is running already
        self._waiting = True
        self._seconds_left = self._backoff[min(self._failures, len(self._backoff) - 1)]
        self._announce()
        if self._seconds_left == 0:
            self._try_now()
        else:
            self._tick.start()

    def back(self) -> None:
        """The server answered."""
        was_waiting = self._waiting
        self._tick.stop()
        self._failures, self._trying, self._waiting = 0, False, False
        if was_waiting:
            self.state_changed.emit(False, "Connected")

    def try_now(self) -> None:
        """Try at once (the person pressed F5) instead of waiting for the countdown."""
        if self._waiting and not self._trying:
            self._tick.stop()
            self._try_now()

    def stop(self) -> None:
        """Forget the server (another database was opened)."""
        self._tick.stop()
        self._failures, self._trying, self._waiting = 0, False, False

    def _count_down(self) -> None:
        self._seconds_left -= 1
        if self._seconds_left > 0:
            self._announce()
            return
        self._tick.stop()
        self._try_now()

    def _try_now(self) -> None:
        self._trying = True
        self.state_changed.emit(True, "Server unreachable: trying again now…")
        self._try_connection()

    def _announce(self) -> None:
        self.state_changed.emit(True, f"Server unreachable: trying again in {self._seconds_left} s")
