"""What the charts page asks of the statistics behind it, in the page's own words: one call
that computes everything for a selection (on the read thread), and, from its result, the
headline tiles, the exclusion counts and, per chart, how to draw it, how it was computed,
whether it is empty and the rows behind it. Keeping this narrow lets the page be tested with a
small source of its own and the statistics core change without the widgets noticing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from incidentdesk.services.desk import Desk
from incidentdesk.ui.charts_filter_bar import ChartsChoices, ChartsSelection


@dataclass(frozen=True)
class ChartInfo:
    name: str  # stable: file names, bench figures (chart_<name>_ms) and tests use it
    title: str  # the question the chart answers
    # What the chart can show instead, as (key, label), the first shown at first: time to
    # recover or to resolve, by category, service or team.
    variants: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Tile:
    """One headline figure: this period against the one before."""

    title: str  # "Time to recover"
    value: str  # "2 h 10 min" (the median)
    detail: str  # "median of 118 · 95 % interval 1 h 40 min – 2 h 50 min"
    comparison: str  # "Before: 3 h 5 min (N 131) — no clear change"
    clear_change: bool  # False where the intervals overlap or the samples are too small


@dataclass(frozen=True)
class Palette:
    """The application's colours, for figures that follow the light or dark theme."""

    text: str
    background: str
    muted: str
    grid: str
    accent: str
    severity: tuple[str, ...]  # SEV1 … SEV5
    font_size: float
    dark: bool


@dataclass(frozen=True)
class CsvTable:
    header: Sequence[str]
    rows: Sequence[Sequence[object]]


@dataclass(frozen=True)
class SummaryTable:
    """A small table beside a chart: per row, each cell as (text, value to sort by), and the
    incidents the row counts."""

    header: tuple[str, ...]
    rows: Sequence[tuple[tuple[str, Any], ...]]
    incident_ids: Sequence[Sequence[int]]


class ChartsSource(Protocol):
    @property
    def charts(self) -> Sequence[ChartInfo]: ...

    def choices(self, desk: Desk) -> ChartsChoices:
        """On the read thread: the teams, services and categories to filter by."""

    def compute(self, desk: Desk, selection: ChartsSelection, previous: Any | None) -> Any:
        """On the read thread: everything the page shows for ``selection``. ``previous`` is
        what an earlier call returned, whose loaded rows may serve again when only the
        narrowing changed; None to read the database afresh."""

    def tiles(self, data: Any) -> Sequence[Tile]: ...

    def exclusion_counts(self, data: Any) -> tuple[int, int]:
        """How many cancelled incidents and duplicates the selection leaves out."""

    def empty_text(self, name: str, variant: str, data: Any) -> str | None:
        """The sentence shown instead of the chart when it has nothing to show."""

    def how_computed(self, name: str, variant: str, data: Any) -> str: ...

    def drawing(
        self, name: str, variant: str, data: Any, palette: Palette, *, on_screen: bool
    ) -> Any:
        """A ``chart_render.Drawing`` (typed loosely: this module never imports matplotlib).
        On screen the page shows the how-computed line itself; an export carries it."""

    def csv(self, name: str, variant: str, data: Any) -> CsvTable: ...

    def summary_table(self, name: str, variant: str, data: Any) -> SummaryTable | None:
        """The table shown beside the chart, if it has one."""

    def write_report(self, desk: Desk, selection: ChartsSelection, path: Path) -> Path:
        """On a worker thread: the period report as a PDF at ``path``."""

    def is_refusal(self, error: Exception) -> bool:
        """Whether ``error`` is an expected refusal whose message is the sentence to show
        (an empty period has no report)."""
