"""A figure as PNG, SVG or PDF, and the exact rows behind a chart as CSV (every row)."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

FIGURE_FORMATS = ("png", "svg", "pdf")


def figure_format(path: Path, format: str | None = None) -> str:
    chosen = (format or path.suffix.lstrip(".")).lower()
    if chosen not in FIGURE_FORMATS:
        raise ValueError(
            f"'{chosen or path.name}' is not a figure format; choose one of "
            + ", ".join(FIGURE_FORMATS)
        )
    return chosen


def save_figure(figure: Figure, path: Path, format: str | None = None, dpi: float = 150) -> None:
    """Write ``figure`` to ``path``; raises OSError when the file cannot be written."""
    import matplotlib

    chosen = figure_format(path, format)
    if figure.canvas is None or not isinstance(figure.canvas, FigureCanvasAgg):
        FigureCanvasAgg(figure)
    # SVG keeps text as text, not outlines, so a reader can search and copy it (PDF does with
    # matplotlib's default Type 3 fonts)
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        figure.savefig(path, format=chosen, dpi=dpi, facecolor=figure.get_facecolor())


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return value


def write_csv(rows: tuple[tuple[str, ...], Iterable[tuple[Any, ...]]], output: TextIO) -> int:
    """The header and every row; empty cells for unknown values. The number of rows."""
    header, body = rows
    writer = csv.writer(output)
    writer.writerow(header)
    count = 0
    for row in body:
        writer.writerow([_cell(value) for value in row])
        count += 1
    return count


def save_csv(rows: tuple[tuple[str, ...], Iterable[tuple[Any, ...]]], path: Path) -> int:
    with path.open("w", encoding="utf-8", newline="") as output:
        return write_csv(rows, output)
