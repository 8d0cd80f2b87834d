"""The cores the worker threads run on: every core the process may use but one, which is left
to the GUI thread.

Linux puts a thread that another one wakes on the waker's core when it can. The GUI thread
wakes a worker each time it sends a job, and a worker wakes the GUI thread each time it lets
go of the interpreter lock, so both often ended up queued on one core while the other was
idle. The GUI thread then waited a whole scheduler tick (4 ms) for its own core, in most of
the longest frame gaps of a save, a scroll and the charts (the bench's ran/waited/slept split
showed 4.0 ms "waited" again and again, and a scheduler trace showed the second core idle).
Kept off one core, a worker can never be queued there, and the GUI thread, which stays
free to run on any core, finds that one idle. On a busy machine it still moves to wherever
the scheduler finds room.
"""

from __future__ import annotations

import logging
import os
import sys

log = logging.getLogger(__name__)


def cores_for_workers(allowed: set[int]) -> set[int]:
    """The cores a worker may use, of those the process ``allowed``: all but the highest,
    or all of them when there are fewer than two."""
    if len(allowed) < 2:
        return allowed
    return allowed - {max(allowed)}


def keep_off_the_gui_core() -> None:
    """Bind the calling worker thread to ``cores_for_workers``. A thread pool's initializer:
    it runs in each new worker thread. Where threads cannot be bound (not Linux, or a
    sandbox that refuses), the worker runs anywhere, as it did before."""
    if sys.platform != "linux":
        return
    try:
        allowed = os.sched_getaffinity(0)
        os.sched_setaffinity(0, cores_for_workers(allowed))
    except OSError as error:
        log.info("worker thread left unbound to cores: %s", error)
