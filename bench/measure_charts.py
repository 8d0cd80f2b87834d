"""``charts_first_open_ms``, ``chart_<name>_ms`` and ``charts_max_frame_gap_ms`` samples: the
charts view of the main window, in a fresh process (so matplotlib is not imported yet).

First open: from View → Charts (the menu action) until the first chart's picture is painted,
including the import of matplotlib on the read thread, the first statistics and the first
render; then until every chart's picture is in its canvas.

Filter changes: with each chart in turn scrolled into view (the page renders the charts in
view first), the severity filter is set to one severity after another, a reading pause apart;
the time from the change until that chart's new picture is in its canvas (``chart_ready``;
a chart in view is painted in the same pass of the event loop). A change of period (which
reads the database again) is measured for every chart, separately.

A 1 ms probe on the GUI thread records the gaps between its ticks from the menu click to the
end, and splits each gap over a frame into the time the GUI thread ran, waited for a core and
slept. Also, without the GUI, the time of the statistics alone for the same filters, for the
ratio.
"""

from __future__ import annotations

import time
from collections import defaultdict

from bench.gui import FrameGapProbe, arguments, main_window, report, run_event_loop_for
from incidentdesk.ui.charts_filter_bar import Period
from incidentdesk.ui.statistics_source import CHARTS, StatisticsSource

READING_PAUSE_MS = 300
CHART_NAMES = tuple(info.name for info in CHARTS)


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--changes", type=int, default=2, help="rounds of severity changes")
    args = parser.parse_args()
    with main_window(args.address) as bench:
        window = bench.window
        page = window.charts_page()
        probe = FrameGapProbe()
        ready_at: dict[str, float] = {}
        page.chart_ready.connect(lambda name: ready_at.setdefault(name, time.perf_counter()))

        def wait_for_every_chart() -> None:
            while len(ready_at) < len(CHART_NAMES):
                bench.wait_for_signal(page.chart_ready, "every chart's picture")

        probe.start()
        started = time.perf_counter()
        bench.wait_for_signal(
            page.chart_painted, "the first chart painted", window.charts_action.trigger
        )
        first_painted_ms = (time.perf_counter() - started) * 1000
        wait_for_every_chart()
        all_ready_ms = (max(ready_at.values()) - started) * 1000

        changes_ms: dict[str, list[float]] = defaultdict(list)
        combo = page.filter_bar.severity
        for name in CHART_NAMES:
            page.scroll_area.ensureWidgetVisible(page.panels[name])  # as a lead reading that chart
            for index in [*range(1, combo.count()), 0][: args.changes * 3]:
                run_event_loop_for(READING_PAUSE_MS)
                ready_at.clear()
                started = time.perf_counter()
                combo.setCurrentIndex(index)
                while name not in ready_at:
                    bench.wait_for_signal(page.chart_ready, f"the {name} chart's picture")
                changes_ms[name].append((ready_at[name] - started) * 1000)
                wait_for_every_chart()  # the next change starts from a quiet page
        page.scroll_area.ensureWidgetVisible(page.panels[CHART_NAMES[0]])

        period_ms: dict[str, list[float]] = defaultdict(list)
        periods = page.filter_bar.period
        for period in (Period.LAST_365_DAYS, Period.LAST_90_DAYS):
            run_event_loop_for(READING_PAUSE_MS)
            ready_at.clear()
            started = time.perf_counter()
            periods.setCurrentIndex(periods.findData(period))
            wait_for_every_chart()
            for name, moment in ready_at.items():
                period_ms[name].append((moment - started) * 1000)
        probe.stop()

        desk = window.desk
        assert desk is not None
        source, selection = StatisticsSource(), page.selection()
        previous = source.compute(desk, selection, None)
        statistics_ms, reused_ms = [], []
        for _ in range(3):
            started = time.perf_counter()
            previous = source.compute(desk, selection, None)
            statistics_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            source.compute(desk, selection, previous)
            reused_ms.append((time.perf_counter() - started) * 1000)
        report(
            {
                "first_painted_ms": first_painted_ms,
                "all_ready_ms": all_ready_ms,
                "changes_ms": dict(changes_ms),
                "period_changes_ms": dict(period_ms),
                "frame_gaps_ms": probe.gaps_ms,
                "long_frame_gaps_ms": probe.long_gaps_ms,
                "statistics_ms": statistics_ms,
                "statistics_reused_ms": reused_ms,
                "incidents_in_period": int(previous.tiles.tiles[0].comparison.later_count),
            }
        )


if __name__ == "__main__":
    main()
