"""``rss_mb`` samples: resident memory of a fresh process once the main window has opened the
database, painted the board, and the list has answered a few searches."""

from __future__ import annotations

from pathlib import Path

from bench.gui import Event, arguments, main_window, report
from bench.measure_search import LIST_VIEW

SEARCHES = ("database timeout", "checkout", "certificate", "INC-4242", "payments gateway 503")


def memory_mb() -> dict[str, float]:
    """Resident memory now (VmRSS) and at its peak (VmHWM), from /proc/self/status."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return {
        name: int(fields[field].split()[0]) / 1024
        for name, field in (("rss_mb", "VmRSS"), ("peak_rss_mb", "VmHWM"))
    }


def main() -> None:
    args = arguments(__doc__ or "").parse_args()
    with main_window(args.address) as bench:
        after_paint = memory_mb()
        bench.window.show_view(LIST_VIEW)  # the list answers searches only when it is shown
        for text in SEARCHES:
            bench.wait_for(Event.LOADED, lambda text=text: bench.window.search.setText(text))
        report({"after_paint": after_paint, "after_searches": memory_mb()})


if __name__ == "__main__":
    main()
