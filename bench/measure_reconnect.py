"""``reconnect_s`` samples: the PostgreSQL server ends every connection of a running client
(as a restart, a failover or an idle-session kill does) while a colleague logs an incident;
the time runs from the ending until the status bar says "Connected" again and the board
counts the colleague's incident.

The connections are ended from another connection with ``pg_terminate_backend``: the pool's
(``Store.own_backend_pids``) and the live updates' listener. The server itself is shared and
never restarted.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime

import psycopg

from bench.gui import BenchWindow, arguments, main_window, report, run_event_loop_for
from bench.measure_live import logged_on_board
from incidentdesk.domain.enums import Severity, Urgency
from incidentdesk.domain.incident import IncidentDraft
from incidentdesk.services.desk import open_desk

CONNECTED = "Connected"
GIVE_UP_S = 60


def end_connections(bench: BenchWindow, admin_address: str) -> int:
    """End the window's server processes; how many were running."""
    desk = bench.window.desk
    listener = bench.window.live_updates.listener
    assert desk is not None
    assert listener is not None
    pids = {*desk.store.own_backend_pids, listener.backend_pid}
    with psycopg.connect(admin_address, autocommit=True) as admin:
        ended = [
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()
            for pid in pids
            if pid is not None
        ]
    return sum(1 for (was_running,) in ended if was_running)


def wait_until_listening(bench: BenchWindow) -> None:
    listener = bench.window.live_updates.listener
    while listener is None or not listener.listening.is_set():
        run_event_loop_for(20)
        listener = bench.window.live_updates.listener


def measure(bench: BenchWindow, address: str, admin_address: str, repeats: int) -> list[float]:
    other = open_desk(address, login="colleague")
    label = bench.window.connection_label
    pause, samples = random.Random(13), []
    try:
        for number in range(repeats):
            wait_until_listening(bench)
            run_event_loop_for(pause.uniform(200, 800))
            expected = logged_on_board(bench) + 1
            ended_at = time.perf_counter()
            if end_connections(bench, admin_address) == 0:
                raise RuntimeError("no server process of the window was running")
            other.incidents.create(
                IncidentDraft(
                    title=f"Logged while the connections were ended ({number + 1})",
                    reported_at=datetime.now(UTC),
                    description="Seen on another desk.",
                    severity=Severity.SEV1,
                    urgency=Urgency.HIGH,
                ),
                other.actor_id,
            )
            # The board counts the incident only once the listener is back and caught up (a
            # count: a column's cards are built as it is scrolled, the newest not among them).
            while not (label.text() == CONNECTED and logged_on_board(bench) >= expected):
                if time.perf_counter() - ended_at > GIVE_UP_S:
                    raise RuntimeError(f"not back after {GIVE_UP_S} s: {label.text()!r}")
                run_event_loop_for(10)
            samples.append(time.perf_counter() - ended_at)
    finally:
        other.close()
    return samples


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("admin_address", help="a PostgreSQL address that may end connections")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with main_window(args.address) as bench:
        bench.window.board._timer.stop()  # the safety net must not be what shows it
        report({"reconnect_s": measure(bench, args.address, args.admin_address, args.repeats)})


if __name__ == "__main__":
    main()
