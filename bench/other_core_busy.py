"""A busy machine: another process keeps one core fully loaded, as a video call does on a
responder's laptop, while a measurement runs.

``python -m bench.other_core_busy SECONDS`` spins pure Python on the last core until SECONDS
have passed or its parent has gone, whichever comes first, so that a benchmark that stops
early never leaves a core loaded. ``other_core_busy()`` runs it around a block of work.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

LOAD_LIMIT_S = 900  # far longer than any measuring process, short enough to end by itself
_PARENT_CHECK_EVERY = 200_000  # spins between checks that the parent is still there


def loaded_core() -> int:
    """The core the load runs on: the last one this process may use."""
    return max(os.sched_getaffinity(0))


@contextmanager
def other_core_busy(seconds: float = LOAD_LIMIT_S) -> Iterator[int]:
    """Keep one core fully busy with another process for the duration of the block (at most
    ``seconds``); yields the core's number."""
    core = loaded_core()
    spinner = subprocess.Popen(
        [sys.executable, "-m", "bench.other_core_busy", str(seconds)],
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    try:
        yield core
    finally:
        spinner.terminate()
        spinner.wait(timeout=10)


def spin(seconds: float) -> None:
    os.sched_setaffinity(0, {loaded_core()})
    parent = os.getppid()
    deadline = time.monotonic() + seconds
    spins = 0
    while True:
        spins += 1
        if spins % _PARENT_CHECK_EVERY == 0 and (
            time.monotonic() > deadline or os.getppid() != parent
        ):
            return


if __name__ == "__main__":
    spin(float(sys.argv[1]) if len(sys.argv) > 1 else LOAD_LIMIT_S)
