"""One drawing function per chart: it clears the ``Figure`` it is given and draws the series
into it, with N, medians and p90s, the "How this is computed" line at the bottom, and a
``ChartPicks`` that maps every artist standing for incidents back to them.

Durations are on a log axis labelled in words (min, h, d). ``build`` makes a standalone
figure for export and the report.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, NamedTuple

import numpy as np
from matplotlib.axes import Axes
from matplotlib.cbook import CallbackRegistry
from matplotlib.collections import LineCollection, PathCollection, PolyCollection
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.markers import MarkerStyle
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator, PercentFormatter
from matplotlib.transforms import IdentityTransform

from incidentdesk.charts.picks import NO_IDS, ChartPicks
from incidentdesk.charts.style import ChartStyle
from incidentdesk.domain.enums import Severity
from incidentdesk.domain.estimators import FloatArray, IntArray
from incidentdesk.services.chart_series import (
    POINTS_DRAWN_PER_BOX,
    BacklogChart,
    BreakdownChart,
    ChartsData,
    Dimension,
    DurationsChart,
    Measure,
    SlaChart,
    SurvivalChart,
    TrendChart,
    duration_text,
    interval_text,
)

CHART_NAMES = ("durations", "survival", "trend", "breakdown", "sla", "backlog")
SHORTEST_SHOWN_S = 30.0  # a log axis has no zero: shorter durations are drawn at 30 s
STANDALONE_TOP = 0.86  # below the title
ON_SCREEN_TOP = 0.92  # the page shows the title above the picture
CENSOR_TICKS_DRAWN = 400  # per curve; every censored incident is in the CSV
STEP_SLICES_DRAWN = 2000  # across a survival chart's time axis (see _steps_drawn)
# One path for the dots of every strip of points (see _strip): scatter() made a marker style
# for each, which is cyclic garbage (see ``release``), kept for good once frozen by mistake.
_CIRCLE = MarkerStyle("o")
DOT_PATH = _CIRCLE.get_path().transformed(_CIRCLE.get_transform())
_DURATION_TICKS = (
    (60.0, "1 min"),
    (5 * 60.0, "5 min"),
    (15 * 60.0, "15 min"),
    (3600.0, "1 h"),
    (4 * 3600.0, "4 h"),
    (86400.0, "1 d"),
    (3 * 86400.0, "3 d"),
    (7 * 86400.0, "1 w"),
    (30 * 86400.0, "30 d"),
    (90 * 86400.0, "90 d"),
    (365 * 86400.0, "1 y"),
)


# Shared layout


class Frame(NamedTuple):
    """Where the axes may go: the share of the figure's height the how-computed line takes
    at the bottom, and the top of the axes (below the title, if there is one)."""

    footer: float
    top: float


def _prepare(
    figure: Figure, style: ChartStyle, title: str, how_computed: str, standalone: bool
) -> Frame:
    """Clear the figure and colour it; a standalone figure (an export, a report page) also
    gets the chart's title at the top and the how-computed line at the bottom, which on
    screen the page shows around the picture itself. The margins are set here, not by a
    layout engine: the number at risk and the line sit outside the axes."""
    figure.clear()
    figure.set_layout_engine("none")
    figure.set_facecolor(style.background)
    if not standalone:
        return Frame(0.0, ON_SCREEN_TOP)
    figure.suptitle(
        title, fontsize=style.font_size * 1.25, color=style.foreground, x=0.01, ha="left"
    )
    width_in, height_in = figure.get_size_inches()
    small = style.font_size * 0.9
    characters = max(40, int(width_in * 72 / (small * 0.52)))
    lines = textwrap.wrap("How this is computed: " + how_computed, characters)
    figure.text(
        0.01,
        0.01,
        "\n".join(lines),
        fontsize=small,
        color=style.muted,
        va="bottom",
        ha="left",
        gid="how-computed",
    )
    return Frame(float((len(lines) * small * 1.35 + small) / (height_in * 72)), STANDALONE_TOP)


def _axes_title(ax: Axes, text: str, style: ChartStyle, scale: float = 1.0, **extra: Any) -> None:
    """A title just above the axes. Its place is given (y = 1): left to find it, matplotlib
    measures every tick label at each draw, a fifth of the durations chart's drawing time."""
    ax.set_title(text, fontsize=style.font_size * scale, y=1.0, pad=4, **extra)


def _legend(ax: Axes, style: ChartStyle, **placement: Any) -> Any:
    """A legend beside the axes (``placement`` says where), never over what they show."""
    return ax.legend(
        fontsize=style.font_size * 0.85,
        frameon=False,
        labelcolor=style.foreground,
        borderaxespad=0.3,
        **placement,
    )


BESIDE_RIGHT = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0)}


def _style_axes(ax: Axes, style: ChartStyle, *, limits_set: bool = True) -> None:
    """``limits_set``: the chart sets both limits of these axes itself, so autoscaling is
    turned off at once. Left on, matplotlib worked out the data limits of every artist
    added so far each time a tick or a limit was asked for, only for the chart to replace
    them (a tenth of the durations chart's drawing time)."""
    if limits_set:
        ax.set_autoscale_on(False)
    ax.set_facecolor(style.background)
    for spine in ax.spines.values():
        spine.set_color(style.grid)
    ax.tick_params(colors=style.foreground, labelsize=style.font_size * 0.9)
    ax.xaxis.label.set_color(style.foreground)
    ax.yaxis.label.set_color(style.foreground)
    ax.title.set_color(style.foreground)
    ax.grid(True, color=style.grid, linewidth=0.6)
    ax.set_axisbelow(True)


def _empty(figure: Figure, message: str, style: ChartStyle) -> None:
    figure.text(
        0.5,
        0.55,
        message,
        ha="center",
        va="center",
        fontsize=style.font_size * 1.2,
        color=style.foreground,
        gid="empty-message",
        wrap=True,
    )


def _duration_axis(axis: Any, low: float, high: float, most: int = 8) -> None:
    """A log axis in seconds with at most ``most`` ticks named as people say them, spread
    so that their labels never run into each other (1 min, 5 min and 15 min did on a
    narrow axis)."""
    low, high = max(low, SHORTEST_SHOWN_S), max(high, SHORTEST_SHOWN_S * 2)
    candidates = [
        (value, text) for value, text in _DURATION_TICKS if low / 1.5 <= value <= high * 1.5
    ]
    spacing = np.log(high * 1.5 / (low / 1.5)) / most  # the least gap between ticks, in log
    ticks: list[tuple[float, str]] = []
    for value, text in candidates:
        if not ticks or np.log(value / ticks[-1][0]) >= spacing:
            ticks.append((value, text))
    axis.set_major_locator(FixedLocator([value for value, _ in ticks]))
    axis.set_major_formatter(FuncFormatter(lambda value, _: dict(ticks).get(value, "")))
    axis.set_minor_locator(NullLocator())


def compact_duration(seconds: float | None) -> str:
    """ "45m", "3h20m", "2d4h": for labels in narrow columns."""
    if seconds is None or np.isnan(seconds):
        return "—"
    seconds = round(seconds)  # 19,199.9999 s is 5h20m, not 5h19m
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{max(minutes, 0)}m" if minutes else f"{int(seconds)}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{minutes:02d}m" if minutes else f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours}h" if hours else f"{days}d"


def _shown(seconds: FloatArray) -> FloatArray:
    return np.maximum(np.asarray(seconds, dtype=np.float64), SHORTEST_SHOWN_S)


def _thinned(count: int, limit: int) -> IntArray:
    """Evenly spaced indexes into a sorted array: the drawn points keep its distribution."""
    if count <= limit:
        return np.arange(count, dtype=np.int64)
    return np.unique(np.linspace(0, count - 1, limit).round().astype(np.int64))


def _layout(figure: Figure, frame: Frame, *, bottom_extra: float = 0.0) -> None:
    figure.subplots_adjust(
        left=0.08, right=0.98, top=frame.top, bottom=min(0.6, frame.footer + 0.1 + bottom_extra)
    )


# How long do incidents take, by severity?


def _draw_durations(
    figure: Figure, chart: DurationsChart, style: ChartStyle, picks: ChartPicks, frame: Frame
) -> None:
    measures = list(dict.fromkeys(box.measure for box in chart.boxes))
    axes = figure.subplots(1, len(measures), sharey=True, squeeze=False)[0]
    finished = [box.seconds for box in chart.boxes if box.count]
    low = min((float(values[0]) for values in finished), default=60.0)
    high = max((float(values[-1]) for values in finished), default=3600.0)
    jitter = np.random.default_rng(0)
    for ax, measure in zip(axes, measures, strict=True):
        _style_axes(ax, style)
        ax.set_yscale("log")
        boxes = [box for box in chart.boxes if box.measure is measure]
        _axes_title(ax, measure.label, style, 1.05)
        # whiskers, caps and medians of all boxes as two collections: one call per line costs
        # about 7 ms (Axes.bxp about 10 ms a box), and this chart has fifteen boxes
        thin: list[tuple[tuple[float, float], tuple[float, float]]] = []
        thin_colours: list[str] = []
        thick: list[tuple[tuple[float, float], tuple[float, float]]] = []
        thick_colours: list[str] = []
        for position, box in enumerate(boxes):
            colour = style.severity(box.severity)
            if box.count == 0:
                ax.text(
                    position,
                    high,
                    "N = 0",
                    ha="center",
                    va="top",
                    color=style.muted,
                    fontsize=style.font_size * 0.8,
                )
                continue
            values = _shown(box.seconds)
            p10, p90 = np.quantile(values, [0.1, 0.9])
            assert box.quartiles is not None
            median = max(float(box.median.value or 0.0), SHORTEST_SHOWN_S)
            q1, q3 = (max(value, SHORTEST_SHOWN_S) for value in box.quartiles)
            thin += [
                ((position, p10), (position, q1)),
                ((position, q3), (position, p90)),
                ((position - 0.12, p10), (position + 0.12, p10)),
                ((position - 0.12, p90), (position + 0.12, p90)),
            ]
            thin_colours += [colour] * 4
            thick.append(((position - 0.275, median), (position + 0.275, median)))
            thick_colours.append(colour)
            patch = Rectangle(
                (position - 0.275, q1),
                0.55,
                q3 - q1,
                facecolor="none",
                edgecolor=colour,
                linewidth=1.4,
                zorder=3,
            )
            ax.add_patch(patch)
            picks.add(
                patch,
                box.label,
                lambda _index, box=box: box.incident_ids,
                lambda _index, box=box: box.summary,
            )
            shown = _thinned(box.count, POINTS_DRAWN_PER_BOX)
            offsets = jitter.uniform(-0.22, 0.22, len(shown))
            points = _strip(ax, position + offsets, values[shown], colour)
            picks.add(
                points,
                f"{box.label} points",
                lambda index, box=box, shown=shown: (
                    box.incident_ids[shown[index] : shown[index] + 1]
                    if index is not None
                    else box.incident_ids
                ),
                lambda index, box=box, shown=shown: (
                    f"INC-{int(box.numbers[shown[index]])}: "
                    f"{duration_text(float(box.seconds[shown[index]]))}"
                    if index is not None
                    else box.summary
                ),
                radius=4,
            )
            ax.annotate(
                f"{box.count:,}\n{compact_duration(box.median.value)}\n"
                f"{compact_duration(box.p90.value)}",
                xy=(position, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(0, -2),
                textcoords="offset points",
                ha="center",
                va="top",
                fontsize=style.font_size * 0.85,
                color=style.foreground,
                gid=f"box-label:{box.measure.value}:{box.severity.label}",
            )
        # autolim off: the limits are set below (the data limits of a collection are worked
        # out from each of its paths)
        thin_lines = LineCollection(thin, colors=thin_colours, linewidths=1, zorder=3)
        ax.add_collection(thin_lines, autolim=False)
        thick_lines = LineCollection(thick, colors=thick_colours, linewidths=2.2, zorder=4)
        ax.add_collection(thick_lines, autolim=False)
        ax.annotate(
            "N\nmedian\np90",
            xy=(0.0, 1.0),
            xycoords="axes fraction",
            xytext=(-3, -2),
            textcoords="offset points",
            ha="right",
            va="top",
            fontsize=style.font_size * 0.85,
            color=style.muted,
        )
        ax.set_xticks(range(len(boxes)), [box.severity.label for box in boxes])
        ax.set_xlim(-0.6, len(boxes) - 0.4)
        for tick, box in zip(ax.get_xticklabels(), boxes, strict=True):
            tick.set_color(style.severity(box.severity))
    _duration_axis(axes[0].yaxis, low, high)
    axes[0].set_ylim(max(low, SHORTEST_SHOWN_S) / 1.5, max(high, SHORTEST_SHOWN_S) * 12)
    axes[0].set_ylabel("from reported (log scale)")
    _layout(figure, frame, bottom_extra=0.04)
    figure.text(
        0.99,
        0.01 + frame.footer,
        "box: quartiles · thick line: median · whiskers: 10th–90th percentile",
        ha="right",
        va="bottom",
        fontsize=style.font_size * 0.85,
        color=style.muted,
    )


def _strip(ax: Axes, xs: FloatArray, ys: FloatArray, colour: str) -> PathCollection:
    """A strip of faint dots, as ``Axes.scatter`` makes it but without what it does besides
    (colour mapping, sizes and data limits worked out at each call): with the box lines' data
    limits, a quarter of the durations chart's building."""
    points = PathCollection(
        (DOT_PATH,),
        sizes=(6.0,),
        offsets=np.column_stack((xs, ys)),
        offset_transform=ax.transData,
        facecolors=colour,
        edgecolors="face",
        linewidths=0,
        alpha=0.35,
        rasterized=True,
    )
    points.set_transform(IdentityTransform())
    ax.add_collection(points, autolim=False)
    return points


# How many are still waiting?


def _draw_survival(
    figure: Figure, chart: SurvivalChart, style: ChartStyle, picks: ChartPicks, frame: Frame
) -> None:
    ax = figure.add_subplot(1, 1, 1)
    _style_axes(ax, style)
    ax.set_xscale("log")
    longest = max(float(curve.durations[-1]) for curve in chart.curves)
    right = max(longest, SHORTEST_SHOWN_S * 2) * 1.2
    for curve in chart.curves:
        colour = style.severity(curve.severity)
        estimate = curve.estimate
        drawn = _steps_drawn(_shown(estimate.times), SHORTEST_SHOWN_S, right)
        times = _shown(estimate.times[drawn])
        end = max(float(curve.durations[-1]), float(times[-1]) if len(times) else 0.0)
        # explicit steps: vertex 2j+1 and 2j+2 belong to the drop drawn[j]
        xs = np.concatenate(([SHORTEST_SHOWN_S], np.repeat(times, 2), [max(end, SHORTEST_SHOWN_S)]))
        ys = np.concatenate(([1.0, 1.0], np.repeat(estimate.survival[drawn], 2)))[: len(xs)]
        lows = np.concatenate(([1.0, 1.0], np.repeat(estimate.lower[drawn], 2)))[: len(xs)]
        highs = np.concatenate(([1.0, 1.0], np.repeat(estimate.upper[drawn], 2)))[: len(xs)]
        ax.fill_between(xs, lows, highs, color=colour, alpha=0.15, linewidth=0)
        median = duration_text(curve.median)
        (line,) = ax.plot(
            xs,
            ys,
            color=colour,
            linewidth=1.8,
            label=(
                f"{curve.severity.label}: N {curve.count:,}, {curve.waiting:,} waiting, "
                f"median {median} ({interval_text(curve.median_interval)})"
            ),
        )

        def step_of(index: int | None, drawn: IntArray = drawn) -> int:
            if index is None or not 0 <= (index - 1) // 2 < len(drawn):
                return -1
            return int(drawn[(index - 1) // 2])

        picks.add(
            line,
            f"{curve.severity.label} curve",
            lambda index, curve=curve, step_of=step_of: (
                curve.ids_at_step(step_of(index))
                if 0 <= step_of(index) < len(curve.estimate.times)
                else NO_IDS
            ),
            lambda index, curve=curve, step_of=step_of: (
                curve.step_text(step_of(index))
                if 0 <= step_of(index) < len(curve.estimate.times)
                else curve.summary
            ),
            radius=4,
        )
        censored = curve.estimate.censor_times
        if len(censored):
            shown = _thinned(len(censored), CENSOR_TICKS_DRAWN)
            at = curve.estimate.survival_at(censored[shown])
            (ticks,) = ax.plot(
                _shown(censored[shown]),
                at,
                linestyle="none",
                marker="|",
                markersize=7,
                color=colour,
                alpha=0.8,
            )
            picks.add(
                ticks,
                f"{curve.severity.label} still waiting",
                lambda _index, curve=curve: curve.ids_censored(),
                lambda _index, curve=curve: (
                    f"{curve.severity.label}: {curve.waiting:,} not yet "
                    f"{curve.measure.not_yet} (censored at now)"
                ),
                radius=4,
            )
    ax.axhline(0.5, color=style.muted, linewidth=0.8, linestyle="--")
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylabel(f"not yet {chart.measure.not_yet}")
    _duration_axis(ax.xaxis, SHORTEST_SHOWN_S, longest, most=11)
    ax.set_xlim(SHORTEST_SHOWN_S, right)
    ax.set_xlabel("time since reported (log scale)", fontsize=style.font_size * 0.9)
    _legend(ax, style, **BESIDE_RIGHT).set_gid("legend")
    # the number at risk under the axis, one row per severity
    row_height = style.font_size * 1.3 / (figure.get_size_inches()[1] * 72)
    rows = len(chart.curves) + 1
    _layout(figure, frame, bottom_extra=row_height * rows + 0.05)
    figure.subplots_adjust(left=0.11, right=0.64)
    axis_height = ax.get_position().height
    ax.annotate(
        "at risk",
        xy=(-0.06, -0.16),
        xycoords="axes fraction",
        ha="right",
        fontsize=style.font_size * 0.8,
        color=style.muted,
    )
    for row, curve in enumerate(chart.curves):
        offset = -0.16 - (row + 1) * row_height / axis_height
        ax.annotate(
            curve.severity.label,
            xy=(-0.06, offset),
            xycoords="axes fraction",
            ha="right",
            fontsize=style.font_size * 0.8,
            color=style.severity(curve.severity),
        )
        for moment, count in zip(curve.risk_times, curve.at_risk, strict=True):
            ax.annotate(
                f"{int(count):,}",
                xy=(max(float(moment), SHORTEST_SHOWN_S), offset),
                xycoords=("data", "axes fraction"),
                ha="center",
                fontsize=style.font_size * 0.8,
                color=style.foreground,
                gid=f"at-risk:{curve.severity.label}",
            )


def _steps_drawn(times: FloatArray, low: float, high: float) -> IntArray:
    """Of a curve's drops at ``times`` (ascending, on a log axis from ``low`` to ``high``),
    the ones drawn: the first and the last in each of ``STEP_SLICES_DRAWN`` equal slices of
    the axis. A drop left out is drawn at most a slice from where it is, less than a pixel
    on screen or paper; its incidents are in the CSV. A curve of 18,000 drops was 74,000
    points to transform and fill, a third of the chart's drawing."""
    if len(times) <= 2 * STEP_SLICES_DRAWN:
        return np.arange(len(times), dtype=np.int64)
    slices = np.floor(np.log(times / low) / np.log(high / low) * STEP_SLICES_DRAWN)
    changes = np.flatnonzero(np.diff(slices))
    firsts, lasts = np.append(0, changes + 1), np.append(changes, len(times) - 1)
    drawn: IntArray = np.union1d(firsts, lasts)
    return drawn


# Are we getting better?


def _or_nan(values: Sequence[float | None]) -> FloatArray:
    return np.array([np.nan if value is None else value for value in values], dtype=np.float64)


def _draw_trend(
    figure: Figure, chart: TrendChart, style: ChartStyle, picks: ChartPicks, frame: Frame
) -> None:
    axes = figure.subplots(1, len(chart.series), squeeze=False)[0]
    for ax, series in zip(axes, chart.series, strict=True):
        _style_axes(ax, style)
        ax.set_yscale("log")
        starts = [point.start for point in series.points]
        positions = np.arange(len(starts))
        medians = _or_nan([point.median for point in series.points])
        p90s = _or_nan([point.p90 for point in series.points])
        lows = _or_nan([point.median_interval.low for point in series.points])
        highs = _or_nan([point.median_interval.high for point in series.points])
        ax.fill_between(
            positions,
            _shown(np.where(np.isnan(lows), medians, lows)),
            _shown(np.where(np.isnan(highs), medians, highs)),
            color=style.accent,
            alpha=0.18,
            linewidth=0,
        )
        (median_line,) = ax.plot(
            positions,
            _shown(medians),
            marker="o",
            markersize=4,
            color=style.accent,
            label="median (band: 95 % interval)",
        )
        ax.plot(
            positions,
            _shown(p90s),
            marker="^",
            markersize=3,
            linestyle="--",
            color=style.muted,
            label="p90",
        )
        picks.add(
            median_line,
            f"{series.measure.label} median",
            lambda index, series=series: (
                series.points[index].incident_ids if index is not None else NO_IDS
            ),
            lambda index, series=series: (
                series.point_text(index) if index is not None else series.verdict.text
            ),
            radius=5,
        )
        # the counts as low bars at the foot of the axes, a quarter of its height at the
        # most: a second y axis for them cost a third of this chart's drawing time
        numbers = [point.count for point in series.points]
        tallest = max(1, *numbers)
        count_bars = PolyCollection(
            [
                [(x - 0.35, 0.0), (x + 0.35, 0.0), (x + 0.35, h), (x - 0.35, h)]
                for x, h in zip(positions, np.array(numbers) / tallest * 0.25, strict=True)
            ],
            facecolors=style.grid,
            alpha=0.6,
            linewidths=0,
            zorder=0,
            transform=ax.get_xaxis_transform(),
            label=f"N per {chart.bucket.value} (the tallest {tallest:,})",
        )
        ax.add_collection(count_bars, autolim=False)
        finite = np.concatenate([medians[~np.isnan(medians)], p90s[~np.isnan(p90s)]])
        low = float(finite.min()) if len(finite) else 60.0
        high = float(finite.max()) if len(finite) else 3600.0
        _duration_axis(ax.yaxis, low, high)
        ax.set_ylim(max(low, SHORTEST_SHOWN_S) / 2, max(high, SHORTEST_SHOWN_S) * 2)
        step = max(1, -(-len(starts) // 5))
        ax.set_xticks(
            positions[::step],
            [_bucket_label(start, chart.bucket.value) for start in starts[::step]],
        )
        ax.set_xlim(-0.6, len(starts) - 0.4)
        verdict = "\n".join(textwrap.wrap(series.verdict.text, 58))
        _axes_title(ax, f"{series.measure.label}\n{verdict}", style, 0.9, gid="verdict")
    # one legend for both halves, under their dates: inside, it hid points of the lines
    handles = axes[0].get_legend_handles_labels()[0]
    figure.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, frame.footer + 0.01),
        ncol=len(handles),
        fontsize=style.font_size * 0.85,
        frameon=False,
        labelcolor=style.foreground,
    )
    _layout(figure, frame, bottom_extra=0.12)
    figure.subplots_adjust(left=0.07, right=0.98, top=frame.top - 0.07, wspace=0.2)


def _bucket_label(start: date, bucket: str) -> str:
    """Two short lines (day and month, then the year), so that labels need no slant."""
    return start.strftime("%d %b\n%Y") if bucket == "week" else start.strftime("%b\n%Y")


# Where does the time go?


def _draw_breakdown(
    figure: Figure, chart: BreakdownChart, style: ChartStyle, picks: ChartPicks, frame: Frame
) -> None:
    ax = figure.add_subplot(1, 1, 1)
    _style_axes(ax, style, limits_set=False)  # the bars' height comes from autoscaling
    ax.set_xscale("log")
    rows = chart.rows_
    positions = np.arange(len(rows))[::-1]  # slowest at the top
    medians = _shown(_or_nan([row.median.value for row in rows]))
    p90s = _shown(_or_nan([row.p90.value for row in rows]))
    bars = ax.barh(
        positions,
        np.nan_to_num(medians, nan=SHORTEST_SHOWN_S),
        left=SHORTEST_SHOWN_S / 2,
        color=style.accent,
        alpha=0.8,
        height=0.6,
    )
    ax.plot(
        p90s,
        positions,
        linestyle="none",
        marker="D",
        markersize=4,
        color=style.foreground,
        label="p90",
    )
    for bar, row in zip(bars, rows, strict=True):
        picks.add(
            bar,
            row.name,
            lambda _index, row=row: row.incident_ids,
            lambda _index, row=row: (
                f"{row.name}: N {row.count:,} ({row.waiting:,} still waiting), median "
                f"{duration_text(row.median.value)} ({interval_text(row.median.interval)}), "
                f"p90 {duration_text(row.p90.value)}"
            ),
        )
    ax.set_yticks(positions, [row.name for row in rows], fontsize=style.font_size * 0.85)
    finite = p90s[~np.isnan(p90s)]
    high = float(finite.max()) if len(finite) else 3600.0
    _duration_axis(ax.xaxis, SHORTEST_SHOWN_S, high, most=5)
    ax.set_xlim(SHORTEST_SHOWN_S / 2, high * 2)
    ax.set_xlabel(
        f"median (bar) and p90 (◆), {chart.measure.label.lower()}, log scale",
        fontsize=style.font_size * 0.9,
    )
    for position, row in zip(positions, rows, strict=True):
        ax.annotate(
            f"N {row.count:,}   med {duration_text(row.median.value)}   "
            f"p90 {duration_text(row.p90.value)}",
            xy=(1.01, position),
            xycoords=("axes fraction", "data"),
            va="center",
            fontsize=style.font_size * 0.8,
            color=style.foreground,
        )
    _layout(figure, frame)
    figure.subplots_adjust(left=0.22, right=0.68)


# Do we meet our targets?


def _draw_sla(
    figure: Figure, chart: SlaChart, style: ChartStyle, picks: ChartPicks, frame: Frame
) -> None:
    ax = figure.add_subplot(1, 1, 1)
    _style_axes(ax, style)
    months = list(chart.months)
    positions = np.arange(len(months))
    spread = 0.12
    for offset, severity in enumerate(chart.severities):
        cells = [chart.cell(month, severity) for month in months]
        shares = _or_nan([cell.share for cell in cells])
        lows = _or_nan([cell.interval.low for cell in cells])
        highs = _or_nan([cell.interval.high for cell in cells])
        x = positions + (offset - (len(chart.severities) - 1) / 2) * spread
        colour = style.severity(severity)
        ax.errorbar(
            x,
            shares,
            yerr=[np.clip(shares - lows, 0, None), np.clip(highs - shares, 0, None)],
            fmt="none",
            ecolor=colour,
            alpha=0.6,
            linewidth=1,
        )
        breaches = sum(cell.breached for cell in cells)
        (line,) = ax.plot(
            x,
            shares,
            marker="o",
            markersize=4,
            color=colour,
            linewidth=1.2,
            label=f"{severity.label} (target {duration_text(chart.targets_s[severity])}, "
            f"{breaches:,} breached)",
        )
        picks.add(
            line,
            f"{severity.label} compliance",
            lambda index, cells=cells: cells[index].breach_ids if index is not None else NO_IDS,
            lambda index, cells=cells, severity=severity: (
                _sla_text(cells[index], severity) if index is not None else severity.label
            ),
            radius=5,
        )
    ax.set_ylim(-0.02, 1.05)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylabel(f"share {chart.measure.milestone} within target")
    step = max(1, -(-len(months) // 8))
    ax.set_xticks(positions[::step], [month.strftime("%b\n%Y") for month in months[::step]])
    ax.set_xlim(-0.5, len(months) - 0.5)
    _legend(ax, style, **BESIDE_RIGHT)
    _layout(figure, frame, bottom_extra=0.04)
    figure.subplots_adjust(right=0.74)


def _sla_text(cell: Any, severity: Severity) -> str:
    share = "—" if cell.share is None else f"{cell.share:.0%}"
    low = "—" if cell.interval.low is None else f"{cell.interval.low:.0%}"
    high = "—" if cell.interval.high is None else f"{cell.interval.high:.0%}"
    return (
        f"{severity.label}, {cell.month.strftime('%B %Y')}: {cell.met:,} of {cell.counted:,} met "
        f"({share}, 95 % {low}–{high}); {cell.breached:,} breached, {cell.pending:,} still open "
        "within target"
    )


# What is piling up?


def _draw_backlog(
    figure: Figure, chart: BacklogChart, style: ChartStyle, picks: ChartPicks, frame: Frame
) -> None:
    # spacing columns: before the first small chart, and after the last for its legend
    grid = figure.add_gridspec(1, 6, width_ratios=(2.3, 0.25, 1, 0.1, 1, 0.85), wspace=0.08)
    over_time = figure.add_subplot(grid[0, 0])
    by_severity = figure.add_subplot(grid[0, 2])
    by_team = figure.add_subplot(grid[0, 4], sharey=by_severity)
    by_team.tick_params(labelleft=False)
    _style_axes(over_time, style, limits_set=False)  # the days and counts set its limits
    for ax in (by_severity, by_team):
        _style_axes(ax, style)
    days = list(chart.days)
    day_axis = np.array(days, dtype="datetime64[D]")
    for severity, counts in chart.open_counts.items():
        (line,) = over_time.plot(
            day_axis, counts, color=style.severity(severity), linewidth=1.4, label=severity.label
        )
        picks.add(
            line,
            f"{severity.label} open",
            lambda index, severity=severity: (
                chart.ids_open_on(index, severity) if index is not None else NO_IDS
            ),
            lambda index, severity=severity, counts=counts: (
                f"{severity.label}: {int(counts[index]):,} open at the end of "
                f"{days[index].isoformat()}"
                if index is not None
                else severity.label
            ),
            radius=4,
        )
    over_time.set_ylabel("open at the end of each day", fontsize=style.font_size * 0.9)
    _legend(over_time, style, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=5)
    dates = AutoDateLocator(minticks=3, maxticks=6)
    over_time.xaxis.set_major_locator(dates)
    over_time.xaxis.set_major_formatter(ConciseDateFormatter(dates))
    _stacked_ages(
        by_severity,
        picks,
        [
            (
                severity.label,
                counts,
                style.severity(severity),
                lambda bucket, severity=severity: chart.ids_aged(bucket, severity=severity),
            )
            for severity, counts in chart.age_by_severity.items()
        ],
        chart.age_labels,
        style,
        legend=False,  # the severities' colours are named above the lines beside
    )
    _axes_title(by_severity, f"age of the {len(chart.open_ids):,} open, by severity", style)
    palette = _team_colours(len(chart.age_by_team))
    _stacked_ages(
        by_team,
        picks,
        [
            (team, counts, colour, lambda bucket, team=team: chart.ids_aged(bucket, team=team))
            for (team, counts), colour in zip(chart.age_by_team.items(), palette, strict=True)
        ],
        chart.age_labels,
        style,
        legend=True,
    )
    _axes_title(by_team, "by team", style)
    _layout(figure, frame, bottom_extra=0.06)
    figure.subplots_adjust(left=0.06, right=0.995)


def _team_colours(count: int) -> list[tuple[float, float, float, float]]:
    from matplotlib import colormaps

    cmap = colormaps["tab10" if count <= 10 else "tab20"]
    return [cmap(index % cmap.N) for index in range(count)]


def _stacked_ages(
    ax: Axes,
    picks: ChartPicks,
    groups: list[tuple[str, IntArray, Any, Callable[..., IntArray]]],
    labels: Sequence[str],
    style: ChartStyle,
    *,
    legend: bool,
) -> None:
    """Stacked bars of the open incidents' ages, one stack per age bucket, as one collection
    (a bar artist each cost 1 ms to make and draw, and a large team filter made a hundred)."""
    half_width = 0.375
    bottom = np.zeros(len(labels))
    outlines: list[list[tuple[float, float]]] = []
    colours: list[Any] = []
    segments: list[tuple[str, int, int, Callable[..., IntArray]]] = []
    for name, counts, colour, ids_in in groups:
        for bucket in np.flatnonzero(counts):
            low, high = float(bottom[bucket]), float(bottom[bucket] + counts[bucket])
            left, right = bucket - half_width, bucket + half_width
            outlines.append([(left, low), (right, low), (right, high), (left, high)])
            colours.append(colour)
            segments.append((name, int(bucket), int(counts[bucket]), ids_in))
        bottom = bottom + counts
    bars = PolyCollection(outlines, facecolors=colours, linewidths=0)
    ax.add_collection(bars)
    picks.add(
        bars,
        "open by age",
        lambda index: segments[index][3](segments[index][1]) if index is not None else NO_IDS,
        lambda index: (
            f"{segments[index][0]}: {segments[index][2]:,} open for {labels[segments[index][1]]}"
            if index is not None
            else "open incidents by age"
        ),
    )
    ax.set_xlim(-0.6, len(labels) - 0.4)
    ax.set_ylim(0, max(1.0, float(bottom.max())) * 1.05)
    # upright: slanted, neighbouring labels ran into each other on a narrow chart
    ax.set_xticks(range(len(labels)), list(labels), rotation=90, fontsize=style.font_size * 0.85)
    if legend:
        handles = [Patch(facecolor=colour, label=name) for name, _, colour, _ in groups]
        _legend(ax, style, handles=handles, **BESIDE_RIGHT)


# A standalone figure


_DRAWERS: dict[str, Callable[..., None]] = {
    "durations": _draw_durations,
    "survival": _draw_survival,
    "trend": _draw_trend,
    "breakdown": _draw_breakdown,
    "sla": _draw_sla,
    "backlog": _draw_backlog,
}


def series_for(name: str, data: ChartsData) -> Any:
    """The default series of the chart ``name``: time to recover where there is a choice."""
    return {
        "durations": data.durations,
        "survival": data.survival[Measure.RECOVER],
        "trend": data.trend,
        "breakdown": data.breakdowns[Dimension.CATEGORY],
        "sla": data.sla[Measure.RECOVER],
        "backlog": data.backlog,
    }[name]


def draw(
    figure: Figure, name: str, series: Any, style: ChartStyle, *, standalone: bool = True
) -> ChartPicks:
    """Clear ``figure`` and draw chart ``name`` into it, or the sentence saying why it is
    empty. ``standalone``: with its title and how-computed line (see ``_prepare``)."""
    if name not in _DRAWERS:
        raise ValueError(f"there is no chart named {name!r}; the charts are {CHART_NAMES}")
    picks = ChartPicks(name)
    frame = _prepare(figure, style, series.title, series.how_computed, standalone)
    if series.empty_message:
        _empty(figure, series.empty_message, style)
    else:
        _DRAWERS[name](figure, series, style, picks, frame)
    return picks


def build(
    name: str,
    series: Any,
    style: ChartStyle,
    size_inches: tuple[float, float] = (10.0, 5.6),
    dpi: float = 100.0,
) -> tuple[Figure, ChartPicks]:
    """A new standalone figure (no pyplot, no canvas yet) with the chart drawn into it."""
    figure = Figure(figsize=size_inches, dpi=dpi)
    return figure, draw(figure, name, series, style)


def release(figure: Figure) -> None:
    """Take apart a figure that is no longer shown, so that reference counting frees it at
    once. Each artist points to its figure and axes and they back to it (a line's marker
    style and a bar chart's container hold cycles of their own); left to the cyclic
    collector, the ten thousand objects of a few replaced figures made collections of 100 to
    400 ms, holding the interpreter lock while the GUI thread waited. Emptying their
    attributes (a few microseconds each, between which other threads may run) breaks the
    cycles. The figure must not be drawn or asked anything afterwards."""
    for ax in figure.axes:
        for container in ax.containers:
            container.__dict__.clear()
    for artist in figure.findobj():
        for part in vars(artist).values():
            # each artist's own, and cyclic in themselves: a marker style's methods, the
            # callback registries of the figure, its axes and their axes
            if isinstance(part, MarkerStyle | CallbackRegistry):
                part.__dict__.clear()
        artist.__dict__.clear()
