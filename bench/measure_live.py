"""``live_update_ms`` samples: another client's commit until this client's board shows it;
``live_max_frame_gap_ms``: the GUI thread's longest block while a burst of remote changes
arrives.

A main window shows the board (``bench.gui.main_window``); a second desk on the same
database, as another person's program would, logs a new incident. The time runs from the
end of that commit until the board has loaded a card for it. The writes start at a random
moment of SQLite's one-second poll, so the samples spread over it as they would in use.

The burst: the other desk logs ``BURST`` incidents one commit after another, as fast as it
can (an alert storm, a script); a 1 ms timer on the GUI thread (``FrameGapProbe``) records
the gaps from the first commit until the board shows the last of them.
"""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime
from multiprocessing.synchronize import Event as EventType

from bench.gui import (
    BenchWindow,
    FrameGapProbe,
    arguments,
    main_window,
    report,
    run_event_loop_for,
    time_colleagues_commits,
)
from incidentdesk.domain.enums import Severity, Status, Urgency
from incidentdesk.domain.incident import IncidentDraft
from incidentdesk.services.desk import open_desk


def on_board(bench: BenchWindow, incident_id: int) -> bool:
    return any(
        column.model.row_of(incident_id) is not None
        for column in bench.window.board.grid.visible_columns()
    )


BURST = 100


def logged_on_board(bench: BenchWindow) -> int:
    """How many incidents the board's Logged column counts (built as cards or not)."""
    return sum(
        column.model.total()
        for column in bench.window.board.grid.visible_columns()
        if column.status is Status.LOGGED
    )


def colleagues_incident(title: str) -> IncidentDraft:
    return IncidentDraft(
        title=title,
        reported_at=datetime.now(UTC),
        description="Seen on another desk.",
        # Ranked first in its column, so that it is among the cards the board loads.
        severity=Severity.SEV1,
        urgency=Urgency.HIGH,
    )


def log_burst(address: str, count: int, go: EventType) -> None:
    """In a process of its own, as another person's program: once ``go`` is set, ``count``
    incidents, one commit after another."""
    other = open_desk(address, login="colleague")
    try:
        go.wait()
        for number in range(count):
            other.incidents.create(
                colleagues_incident(f"Alert storm ({number + 1})"), other.actor_id
            )
    finally:
        other.close()


def measure_burst(bench: BenchWindow, address: str) -> list[float]:
    """The frame gaps while ``BURST`` incidents logged by another process arrive."""
    expected = logged_on_board(bench) + BURST
    processes = multiprocessing.get_context("spawn")
    go = processes.Event()
    writer = processes.Process(target=log_burst, args=(address, BURST, go))
    # Started before the probe: starting a process blocks this thread for 3-17 ms, a cost of
    # the measurement, not of the program.
    writer.start()
    probe = FrameGapProbe()
    probe.start()
    go.set()
    try:
        while logged_on_board(bench) < expected:
            bench.wait_for_signal(bench.window.board.loaded, "the burst's incidents")
        run_event_loop_for(200)  # what the last refresh paints
    finally:
        probe.stop()
        writer.join()
    if writer.exitcode != 0:
        raise RuntimeError(f"the process logging the burst failed (exit status {writer.exitcode})")
    return probe.gaps_ms


def measure(bench: BenchWindow, address: str, repeats: int) -> list[float]:
    drafts = (colleagues_incident(f"Logged by a colleague ({n + 1})") for n in range(repeats))
    return time_colleagues_commits(
        bench,
        address,
        drafts,
        bench.window.board.loaded,
        lambda created: on_board(bench, created.id),
        seed=11,
    )


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    with main_window(args.address) as bench:
        bench.window.board._timer.stop()  # the safety net must not be what shows it
        samples = measure(bench, args.address, args.repeats)
        report(
            {
                "live_update_ms": samples,
                "burst": BURST,
                "burst_frame_gaps_ms": measure_burst(bench, args.address),
            }
        )


if __name__ == "__main__":
    main()
