"""The worker threads give way to the GUI thread when the processors are busy (ui/tasks.py)."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from incidentdesk.ui.tasks import WORKER_NICENESS, TaskRunner

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="a priority per thread is Linux's"
)


def this_threads_niceness() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_every_worker_runs_at_a_lower_priority_than_the_gui_thread(
    qtbot, runner: TaskRunner
) -> None:
    gui = this_threads_niceness()
    seen: dict[str, int] = {}
    runner.read(this_threads_niceness, lambda niceness: seen.update(read=niceness))
    runner.write(this_threads_niceness, lambda niceness: seen.update(write=niceness))
    runner.files(this_threads_niceness, lambda niceness: seen.update(files=niceness))
    qtbot.waitUntil(lambda: len(seen) == 3)
    expected = min(gui + WORKER_NICENESS, 19)  # the lowest priority there is
    assert seen == {"read": expected, "write": expected, "files": expected}
    assert this_threads_niceness() == gui  # the GUI thread keeps its own
