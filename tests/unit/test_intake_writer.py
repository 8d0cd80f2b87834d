"""The receiver's writer: work waiting together is one transaction, and a piece that fails
leaves the others of its batch written."""

from __future__ import annotations

import threading

import pytest

from incidentdesk.intake.writer import Writer, WriterStopped
from incidentdesk.services.desk import Desk
from incidentdesk.storage import models as m


class Refused(Exception):
    pass


def add_team(desk: Desk, name: str, *, fail: bool = False) -> str:
    with desk.store.write():
        m.Team.insert(name=name).execute()
        if fail:
            raise Refused(name)
    return name


def test_a_failing_piece_of_a_batch_leaves_the_others_written(desk: Desk) -> None:
    writer = Writer(desk.store.write)
    go = threading.Event()
    try:
        blocker = writer.submit(go.wait)  # holds the writer while the batch queues up
        first = writer.submit(lambda: add_team(desk, "first"))
        failing = writer.submit(lambda: add_team(desk, "failing", fail=True))
        last = writer.submit(lambda: add_team(desk, "last"))
        go.set()
        assert blocker.result(timeout=30)
        assert (first.result(timeout=30), last.result(timeout=30)) == ("first", "last")
        with pytest.raises(Refused):
            failing.result(timeout=30)
    finally:
        writer.stop()
    assert sorted(m.Team.select(m.Team.name).tuples()) == [("first",), ("last",)]


def test_work_handed_over_after_the_stop_is_refused(desk: Desk) -> None:
    writer = Writer(desk.store.write)
    done = writer.submit(lambda: add_team(desk, "before the stop"))
    writer.stop()
    assert done.result(timeout=0) == "before the stop"  # finished before stop() returned
    with pytest.raises(WriterStopped):
        writer.submit(lambda: add_team(desk, "after"))
