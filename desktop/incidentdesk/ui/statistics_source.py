"""The charts page's source: the statistics service's series and the figure builders of
``incidentdesk.charts``, in the words of ``charts_source``. Imports of matplotlib and of the
chart series happen inside the methods, which run on worker threads once the page has
loaded them (this module itself is imported with the main window's charts page)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from incidentdesk.domain.enums import Severity
from incidentdesk.services.desk import Desk
from incidentdesk.ui.charts_filter_bar import ChartsChoices, ChartsSelection
from incidentdesk.ui.charts_source import (
    ChartInfo,
    CsvTable,
    Palette,
    SummaryTable,
    Tile,
)

if TYPE_CHECKING:
    from matplotlib.backend_bases import MouseEvent
    from matplotlib.figure import Figure

    from incidentdesk.charts.picks import ChartPicks
    from incidentdesk.services.chart_series import ChartsData
    from incidentdesk.services.statistics import ChartFilters
    from incidentdesk.ui.chart_render import Hit, HitTest

CHARTS = (
    ChartInfo("durations", "How long do incidents take, by severity?"),
    ChartInfo(
        "survival",
        "How many are still waiting?",
        (("recover", "Not yet recovered"), ("resolve", "Not yet resolved")),
    ),
    ChartInfo("trend", "Are we getting better?"),
    ChartInfo(
        "breakdown",
        "Where does the time go?",
        (("category", "By category"), ("service", "By service"), ("team", "By team")),
    ),
    ChartInfo(
        "sla",
        "Do we meet our targets?",
        (("recover", "Time to recover"), ("acknowledge", "Time to acknowledge")),
    ),
    ChartInfo("backlog", "What is piling up?"),
)


def chart_filters(selection: ChartsSelection) -> ChartFilters:
    from incidentdesk.services.statistics import ChartFilters

    def chosen(value: int | None) -> frozenset[int]:
        return frozenset({value}) if value is not None else frozenset()

    return ChartFilters(
        start=selection.start,
        end=selection.end,
        severities=frozenset({selection.severity}) if selection.severity else frozenset(),
        team_ids=chosen(selection.team_id),
        service_ids=chosen(selection.service_id),
        category_ids=chosen(selection.category_id),
        include_cancelled=selection.include_cancelled,
        include_duplicates=selection.include_duplicates,
    )


def _series(name: str, variant: str, data: ChartsData) -> Any:
    from incidentdesk.services.chart_series import Dimension, Measure

    if name == "survival":
        return data.survival[Measure(variant or "recover")]
    if name == "breakdown":
        return data.breakdowns[Dimension(variant or "category")]
    if name == "sla":
        return data.sla[Measure(variant or "recover")]
    series: Any = getattr(data, name)
    return series


def _hit_test(picks: ChartPicks) -> HitTest:
    """What lies under the mouse, from the artists the builder made pickable; the topmost
    (drawn last) first."""
    from incidentdesk.ui.chart_render import Hit

    candidates = list(reversed(picks.picks))

    def hit(event: MouseEvent) -> Hit | None:
        for pick in candidates:
            inside, details = pick.artist.contains(event)
            if not inside:
                continue
            points = details.get("ind") if isinstance(details, dict) else None
            index = int(points[0]) if points is not None and len(points) else None
            ids = tuple(int(i) for i in pick.ids_for(index))
            return Hit(pick.text_for(index), pick.label, ids)
        return None

    return hit


def _interval(low: float | None, high: float | None) -> str:
    from incidentdesk.services.chart_series import duration_text

    return f"{duration_text(low)} – {duration_text(high)}"


class StatisticsSource:
    charts = CHARTS

    def choices(self, desk: Desk) -> ChartsChoices:
        catalog = desk.catalog
        return ChartsChoices(catalog.teams(), catalog.services(), catalog.categories())

    def compute(
        self, desk: Desk, selection: ChartsSelection, previous: ChartsData | None
    ) -> ChartsData:
        reuse = previous.sample if previous is not None else None
        return desk.statistics.charts(chart_filters(selection), reuse=reuse)

    def tiles(self, data: ChartsData) -> list[Tile]:
        from incidentdesk.services.chart_series import duration_text

        shown = []
        for tile in data.tiles.tiles:
            c = tile.comparison
            waiting = f", {tile.current_waiting:,} still waiting" if tile.current_waiting else ""
            before = (
                f"{tile.previous_start.isoformat()} – {tile.previous_end.isoformat()}: "
                f"{duration_text(c.earlier)} (N {c.earlier_count:,})"
            )
            shown.append(
                Tile(
                    title=f"Median {tile.measure.label.lower()}",
                    value=duration_text(c.later),
                    detail=(
                        f"N {c.later_count:,}{waiting}; 95 % interval "
                        f"{_interval(c.later_interval.low, c.later_interval.high)}"
                    ),
                    comparison=f"Before, {before}. {c.text}.",
                    clear_change=c.clear,
                )
            )
        return shown

    def exclusion_counts(self, data: ChartsData) -> tuple[int, int]:
        counts = {exclusion.kind: exclusion.count for exclusion in data.exclusions}
        return counts.get("cancelled", 0), counts.get("duplicates", 0)

    def empty_text(self, name: str, variant: str, data: ChartsData) -> str | None:
        message: str = _series(name, variant, data).empty_message
        return message or None

    def how_computed(self, name: str, variant: str, data: ChartsData) -> str:
        text: str = _series(name, variant, data).how_computed
        return text

    def drawing(
        self, name: str, variant: str, data: ChartsData, palette: Palette, *, on_screen: bool
    ) -> Any:
        from incidentdesk.charts import figures
        from incidentdesk.charts.style import ChartStyle

        series = _series(name, variant, data)
        style = ChartStyle(
            foreground=palette.text,
            background=palette.background,
            muted=palette.muted,
            grid=palette.grid,
            accent=palette.accent,
            severity_colours=dict(zip(Severity, palette.severity, strict=True)),
            font_size=palette.font_size,
        )

        def draw(figure: Figure) -> HitTest:
            # On screen the page shows the how-computed line itself, under the chart.
            return _hit_test(figures.draw(figure, name, series, style, standalone=not on_screen))

        return draw

    def csv(self, name: str, variant: str, data: ChartsData) -> CsvTable:
        header, rows = _series(name, variant, data).rows()
        return CsvTable(header, rows)

    def summary_table(self, name: str, variant: str, data: ChartsData) -> SummaryTable | None:
        if name != "breakdown":
            return None
        from incidentdesk.services.chart_series import duration_text

        chart = _series(name, variant, data)
        rows = []
        for row in chart.rows_:
            rows.append(
                (
                    (row.name, row.name.lower()),
                    (duration_text(row.median.value), row.median.value),
                    (duration_text(row.p90.value), row.p90.value),
                    (f"{row.count:,}", row.count),
                    (f"{row.waiting:,}", row.waiting),
                )
            )
        return SummaryTable(
            (chart.dimension.label, "Median", "p90", "Incidents", "Still waiting"),
            rows,
            [row.incident_ids for row in chart.rows_],
        )

    def write_report(self, desk: Desk, selection: ChartsSelection, path: Path) -> Path:
        from incidentdesk.charts.report import write_report

        write_report(desk.statistics, chart_filters(selection), path, format="pdf")
        return path

    def is_refusal(self, error: Exception) -> bool:
        from incidentdesk.charts.report import EmptyReport

        return isinstance(error, EmptyReport)
