"""``live_update_ms`` samples: another client's commit until this client's board shows it.

A main window shows the board (``bench.gui.main_window``); a second desk on the same
database, as another person's program would, logs a new incident. The time runs from the
end of that commit until the board has loaded a card for it. The writes start at a random
moment of SQLite's one-second poll, so the samples spread over it as they would in use.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime

from bench.gui import BenchWindow, arguments, main_window, report, run_event_loop_for
from incidentdesk.domain.enums import Severity, Urgency
from incidentdesk.domain.incident import IncidentDraft
from incidentdesk.services.desk import open_desk


def on_board(bench: BenchWindow, incident_id: int) -> bool:
    return any(
        column.model.row_of(incident_id) is not None
        for column in bench.window.board.grid.visible_columns()
    )


def measure(bench: BenchWindow, address: str, repeats: int) -> list[float]:
    other = open_desk(address, login="colleague")
    pause, samples = random.Random(11), []
    try:
        for number in range(repeats):
            run_event_loop_for(pause.uniform(200, 1200))
            draft = IncidentDraft(
                title=f"Logged by a colleague ({number + 1})",
                reported_at=datetime.now(UTC),
                description="Seen on another desk.",
                # Ranked first in its column, so that it is among the cards the board loads.
                severity=Severity.SEV1,
                urgency=Urgency.HIGH,
            )
            created = other.incidents.create(draft, other.actor_id)
            committed = time.perf_counter()
            while not on_board(bench, created.id):
                bench.wait_for_signal(bench.window.board.loaded, "the other client's incident")
            samples.append((time.perf_counter() - committed) * 1000)
    finally:
        other.close()
    return samples


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    with main_window(args.address) as bench:
        bench.window.board._timer.stop()  # the safety net must not be what shows it
        report({"live_update_ms": measure(bench, args.address, args.repeats)})


if __name__ == "__main__":
    main()
