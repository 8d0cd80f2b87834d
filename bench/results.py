"""What a benchmark reports: named figures with a unit, a target and a ratio to raw SQL."""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Target:
    """A figure must stay below ``limit`` (or, a rate, reach it), or, for a yes/no check,
    equal it."""

    limit: float | bool
    at_least: bool = False

    def is_met(self, value: float | bool) -> bool:
        if isinstance(self.limit, bool):
            return value is self.limit
        return value >= self.limit if self.at_least else value < self.limit

    def __str__(self) -> str:
        if isinstance(self.limit, bool):
            return _yes_no(self.limit)
        return f"≥ {self.limit:g}" if self.at_least else f"< {self.limit:g}"


@dataclass(frozen=True)
class Entry:
    """One line of the table and one key of ``bench-results.json``."""

    name: str
    value: float | bool
    unit: str
    target: Target | None
    raw_sql_ratio: float | None
    details: dict[str, float | int | str] = field(default_factory=dict)  # p50, runs, method…

    @property
    def passed(self) -> bool | None:
        return None if self.target is None else self.target.is_met(self.value)

    def as_json(self) -> dict[str, Any]:
        return {
            "value": _rounded(self.value),
            "unit": self.unit,
            "raw_sql_ratio": _rounded(self.raw_sql_ratio),
            "target": None if self.target is None else str(self.target),
            "passed": self.passed,
            **{key: _rounded(value) for key, value in self.details.items()},
        }


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(values: Sequence[float], percent: int) -> float:
    """The ``percent``-th percentile, interpolated between the nearest samples."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


def ratio(value: float, raw_value: float) -> float | None:
    return value / raw_value if raw_value > 0 else None


def format_table(entries: Iterable[Entry]) -> str:
    header = ("measurement", "value", "unit", "target", "× raw SQL", "result")
    rows = [
        (
            entry.name,
            _display(entry.value),
            entry.unit,
            "—" if entry.target is None else str(entry.target),
            "—" if entry.raw_sql_ratio is None else f"{entry.raw_sql_ratio:.1f}",
            {True: "pass", False: "FAIL", None: "—"}[entry.passed],
        )
        for entry in entries
    ]
    widths = [max(len(row[column]) for row in (header, *rows)) for column in range(len(header))]
    numeric = {1, 4}

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.rjust(width) if column in numeric else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("─" * width for width in widths)
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def write_results(path: Path, entries: Iterable[Entry], *, keep_others: bool) -> None:
    """Write ``{"name": {"value": …, "unit": …, "raw_sql_ratio": …, …}}``; with
    ``keep_others``, entries of measurements not run this time stay as they were."""
    results: dict[str, Any] = {}
    if keep_others and path.exists():
        results = json.loads(path.read_text(encoding="utf-8"))
    results.update({entry.name: entry.as_json() for entry in entries})
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _display(value: float | bool) -> str:
    if isinstance(value, bool):
        return _yes_no(value)
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def _rounded(value: Any) -> Any:
    return round(value, 4) if isinstance(value, float) else value
