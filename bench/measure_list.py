"""``list_open_ms`` samples: the open incidents asked of the list model until their first page
is in it (the model's ``loaded`` signal), in a fresh process with the main window painted."""

from __future__ import annotations

import time

from bench.gui import Event, arguments, main_window, report
from incidentdesk.domain.enums import OPEN_STATUSES
from incidentdesk.services.incidents import IncidentQuery


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    open_incidents = IncidentQuery(statuses=frozenset(OPEN_STATUSES))
    latencies_ms = []
    with main_window(args.address) as bench:
        model = bench.window.model
        for _ in range(args.repeats):
            started = time.perf_counter()
            bench.wait_for(Event.LOADED, lambda: model.set_query(open_incidents))
            latencies_ms.append((time.perf_counter() - started) * 1000)
        bench.wait_for_count()
        report({"latencies_ms": latencies_ms, "total": model.total})


if __name__ == "__main__":
    main()
