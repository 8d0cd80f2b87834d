"""``statistics_load_ms``, ``statistics_<chart>_ms`` and ``report_pdf_s``: the Qt-free half of
the charts, in a fresh process, on the last 365 days of the benchmark database.

Load: ``StatisticsService.load`` (one query into numpy arrays). Each chart: its series from the
loaded sample (a filter change that keeps the period needs no query) plus its figure built and
drawn with Agg at 10 × 5.6 in, 100 dpi, on the canvas the charts page draws with (its renderer
and the text it drew are kept from one figure to the next; ``charts.raster``). The raw work
for the ratios: the same statement run through the ``sqlite3`` module into a numpy array, plus
sorting each measure's durations.
``report_pdf_s``: ``incidentdesk report`` for those 365 days, as a command, from spawn to exit.

``python -m bench.measure_statistics ADDRESS`` prints the samples as JSON on its last line.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from bench.gui import arguments, report
from bench.results import Entry, Target, median, ratio

PERIOD_DAYS = 365
REPEATS = 5


def _timed_ms(work: Callable[[], Any]) -> float:
    started = time.perf_counter()
    work()
    return (time.perf_counter() - started) * 1000


def _raw_ms(database: Path, sql: str, parameters: list[Any]) -> tuple[float, int]:
    """The same rows through sqlite3 into numpy, and the durations of each measure sorted."""
    connection = sqlite3.connect(database)
    try:
        started = time.perf_counter()
        rows = connection.execute(sql, parameters).fetchall()
        table = np.array(rows, dtype=np.float64)
        for stop in (7, 8, 9):
            durations = table[:, stop] - table[:, 6]
            np.sort(durations[~np.isnan(durations)])
        return (time.perf_counter() - started) * 1000, len(rows)
    finally:
        connection.close()


def main() -> None:
    args = arguments(__doc__ or "").parse_args()
    from incidentdesk.charts import figures
    from incidentdesk.charts.raster import KeptRendererCanvas
    from incidentdesk.charts.style import LIGHT
    from incidentdesk.services import chart_series
    from incidentdesk.services.desk import open_desk
    from incidentdesk.services.statistics import ChartFilters
    from incidentdesk.storage.locations import SqliteLocation, parse_location

    location = parse_location(args.address)
    assert isinstance(location, SqliteLocation)
    today = datetime.now(UTC).date()
    filters = ChartFilters.last_days(PERIOD_DAYS, today)
    desk = open_desk(args.address, login="bench")
    try:
        load_ms, samples = [], []
        for _ in range(REPEATS):
            started = time.perf_counter()
            samples.append(desk.statistics.load(filters))
            load_ms.append((time.perf_counter() - started) * 1000)
        whole = samples[-1]
        sql, parameters = chart_series.sample_query(filters, sqlite=True)
        raw = [_raw_ms(location.path, sql, parameters) for _ in range(REPEATS)]
        if raw[0][1] != len(whole.ids):
            raise SystemExit(
                f"the raw SQL found {raw[0][1]:,} rows and the service {len(whole.ids):,}"
            )
        data = chart_series.all_charts(whole, filters)
        charts: dict[str, dict[str, list[float]]] = {}
        for name in figures.CHART_NAMES:
            series_ms, figure_ms = [], []
            for _ in range(REPEATS):
                series_ms.append(_timed_ms(lambda name=name: _series(chart_series, name, whole)))
                series = figures.series_for(name, data)

                def draw(name: str = name, series: Any = series) -> None:
                    figure, _ = figures.build(name, series, LIGHT)
                    KeptRendererCanvas(figure).draw()

                figure_ms.append(_timed_ms(draw))
            charts[name] = {"series_ms": series_ms, "figure_ms": figure_ms}
        incidents = int(np.count_nonzero(whole.reported_in(filters)))
    finally:
        desk.close()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "report.pdf"
        command = [
            sys.executable,
            "-m",
            "incidentdesk",
            "--db",
            args.address,
            "report",
            "--from",
            (today - timedelta(days=PERIOD_DAYS - 1)).isoformat(),
            "--to",
            today.isoformat(),
            "--out",
            str(out),
        ]
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        report_s = time.perf_counter() - started
    report(
        {
            "load_ms": load_ms,
            "raw_ms": [ms for ms, _ in raw],
            "rows": raw[0][1],
            "incidents_in_period": incidents,
            "charts": charts,
            "report_s": report_s,
        }
    )


def _series(chart_series: Any, name: str, whole: Any) -> Any:
    """The series of chart ``name`` from the loaded sample, narrowed as a filter change is."""
    sample = whole.narrowed(whole.filters)
    return {
        "durations": lambda: chart_series.durations_chart(sample),
        "survival": lambda: chart_series.survival_chart(sample, chart_series.Measure.RECOVER),
        "trend": lambda: chart_series.trend_chart(sample),
        "breakdown": lambda: chart_series.breakdown_chart(sample, chart_series.Dimension.CATEGORY),
        "sla": lambda: chart_series.sla_chart(sample),
        "backlog": lambda: chart_series.backlog_chart(sample),
    }[name]()


def measure_statistics(context: Any) -> list[Entry]:
    """The entries for ``bench/benchmarks.py`` (``context``: its ``Context``)."""
    from bench.benchmarks import run_measuring_process

    samples = run_measuring_process("bench.measure_statistics", context)
    raw_ms = median(samples["raw_ms"])
    entries = [
        Entry(
            "statistics_load_ms",
            median(samples["load_ms"]),
            "ms",
            None,
            ratio(median(samples["load_ms"]), raw_ms),
            {"rows": samples["rows"], "incidents_in_period": samples["incidents_in_period"]},
        )
    ]
    for name, times in samples["charts"].items():
        series_ms, figure_ms = median(times["series_ms"]), median(times["figure_ms"])
        entries.append(
            Entry(
                f"statistics_{name}_ms",
                series_ms + figure_ms,
                "ms",
                Target(300),
                ratio(series_ms + figure_ms, raw_ms),
                {"series_ms": series_ms, "figure_ms": figure_ms, "raw_ms": raw_ms},
            )
        )
    entries.append(
        Entry(
            "report_pdf_s",
            samples["report_s"],
            "s",
            Target(10),
            ratio(samples["report_s"] * 1000, raw_ms),
            {"period_days": PERIOD_DAYS, "load_ms": median(samples["load_ms"])},
        )
    )
    return entries


if __name__ == "__main__":
    main()
