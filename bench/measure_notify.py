"""``notify_latency_ms`` samples: another client's commit until this client shows the
notification it raises.

A main window follows the database (``bench.gui.main_window``); a second desk on the same
database, as another person's program would, logs a SEV1 incident. The time runs from the
end of that commit until the window's notifications have shown it (``Notifications.shown``,
after the backend was given it). The writes start at a random moment of SQLite's one-second
poll. The pacing that holds back a second notification of a kind within ten seconds is set to
nothing here: this measures the path from commit to notification, not the deliberate wait.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from bench.gui import (
    BenchWindow,
    arguments,
    main_window,
    report,
    run_event_loop_for,
    time_colleagues_commits,
)
from incidentdesk.domain.enums import Severity, Urgency
from incidentdesk.domain.incident import IncidentDraft
from incidentdesk.services import notifications


def major_incident(number: int) -> IncidentDraft:
    return IncidentDraft(
        title=f"Major, logged by a colleague ({number})",
        reported_at=datetime.now(UTC),
        severity=Severity.SEV1,
        urgency=Urgency.HIGH,
    )


def measure(bench: BenchWindow, address: str, repeats: int) -> list[float]:
    window_notifications = bench.window.notifications
    shown: set[int] = set()
    window_notifications.shown.connect(lambda told: shown.update(told.incident_ids))
    while not window_notifications.watching:
        run_event_loop_for(20)
    return time_colleagues_commits(
        bench,
        address,
        (major_incident(number + 1) for number in range(repeats)),
        window_notifications.shown,
        lambda created: created.id in shown,
        seed=13,
    )


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    # Shown in the window, not on the desktop of whoever runs the benchmark.
    os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
    notifications.QUIET_S = 0.0
    with main_window(args.address) as bench:
        report({"notify_latency_ms": measure(bench, args.address, args.repeats)})


if __name__ == "__main__":
    main()
