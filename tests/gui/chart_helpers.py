"""A small ChartsSource for testing the charts page on its own: one bar per severity of the
incidents reported in the period, and a chart that is always empty."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from matplotlib.backend_bases import MouseEvent
from matplotlib.figure import Figure

from incidentdesk.domain.enums import Severity
from incidentdesk.domain.incident import IncidentRow
from incidentdesk.services.desk import Desk
from incidentdesk.services.incidents import IncidentQuery
from incidentdesk.ui.chart_render import Hit, HitTest
from incidentdesk.ui.charts_filter_bar import ChartsChoices, ChartsSelection
from incidentdesk.ui.charts_source import ChartInfo, CsvTable, Palette, SummaryTable, Tile


@dataclass(frozen=True)
class CountsData:
    selection: ChartsSelection
    rows: tuple[IncidentRow, ...]

    def by_severity(self) -> dict[Severity, list[IncidentRow]]:
        grouped: dict[Severity, list[IncidentRow]] = {severity: [] for severity in Severity}
        for row in self.rows:
            grouped[row.severity].append(row)
        return grouped


class CountingSource:
    charts = (
        ChartInfo("counts", "How many incidents of each severity?"),
        ChartInfo("nothing", "What never has data?"),
    )

    def __init__(self) -> None:
        self.computed: list[ChartsSelection] = []
        self.drawings: list[str] = []  # the names of the charts whose pictures were asked for
        self.palettes: list[Palette] = []  # the palette of each picture asked for
        self.reports: list[tuple[ChartsSelection, Path]] = []

    def choices(self, desk: Desk) -> ChartsChoices:
        catalog = desk.catalog
        return ChartsChoices(catalog.teams(), catalog.services(), catalog.categories())

    def compute(
        self, desk: Desk, selection: ChartsSelection, previous: CountsData | None
    ) -> CountsData:
        self.computed.append(selection)
        start = datetime.combine(selection.start, time(), UTC)
        end = datetime.combine(selection.end, time(), UTC) + timedelta(days=1)
        severities = frozenset({selection.severity}) if selection.severity else frozenset()
        query = IncidentQuery(severities=severities)
        rows = desk.incidents.rows(query, 0, 100_000)
        return CountsData(selection, tuple(row for row in rows if start <= row.reported_at < end))

    def tiles(self, data: CountsData) -> list[Tile]:
        count = len(data.rows)
        return [Tile("Incidents", f"{count}", f"N = {count}", "Before: — no clear change", False)]

    def exclusion_counts(self, data: CountsData) -> tuple[int, int]:
        return 3, 1

    def empty_text(self, name: str, variant: str, data: CountsData) -> str | None:
        if name == "nothing" or not data.rows:
            return "No incidents were reported in this period."
        return None

    def how_computed(self, name: str, variant: str, data: CountsData) -> str:
        return f"incidents reported in the period, {len(data.rows)} in all."

    def drawing(
        self, name: str, variant: str, data: CountsData, palette: Palette, *, on_screen: bool
    ) -> Any:
        self.drawings.append(name)
        self.palettes.append(palette)
        grouped = data.by_severity()

        def draw(figure: Figure) -> HitTest:
            figure.set_facecolor(palette.background)
            axes = figure.add_subplot()
            labels = [severity.label for severity in Severity]
            heights = [len(grouped[severity]) for severity in Severity]
            bars = axes.bar(labels, heights, color=palette.severity)
            axes.set_title(f"{data.selection.start} – {data.selection.end}", color=palette.text)

            def hit(event: MouseEvent) -> Hit | None:
                for severity, bar in zip(Severity, bars, strict=True):
                    if bar.contains(event)[0]:
                        rows = grouped[severity]
                        return Hit(
                            f"{severity.label}: {len(rows)} incidents",
                            f"{severity.label} incidents",
                            tuple(row.id for row in rows),
                            "Reported",
                            {row.id: (row.key, float(row.number)) for row in rows},
                        )
                return None

            return hit

        return draw

    def csv(self, name: str, variant: str, data: CountsData) -> CsvTable:
        return CsvTable(("key", "severity"), [(row.key, row.severity.label) for row in data.rows])

    def summary_table(self, name: str, variant: str, data: CountsData) -> SummaryTable | None:
        if name != "counts":
            return None
        grouped = data.by_severity()
        return SummaryTable(
            ("Severity", "Incidents"),
            [
                ((severity.label, severity.value), (f"{len(rows)}", len(rows)))
                for severity, rows in grouped.items()
            ],
            [tuple(row.id for row in rows) for rows in grouped.values()],
        )

    def is_refusal(self, error: Exception) -> bool:
        return isinstance(error, LookupError)

    def write_report(self, desk: Desk, selection: ChartsSelection, path: Path) -> Path:
        self.reports.append((selection, path))
        path.write_bytes(b"%PDF-1.4\n")
        return path


def bar_centre(figure: Figure, index: int) -> tuple[float, float]:
    """The display position (matplotlib pixels from the bottom left) of a bar's middle."""
    bar = figure.axes[0].patches[index]
    box = bar.get_window_extent()
    return (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
