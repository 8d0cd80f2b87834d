"""Drawing a chart off the GUI thread: a standalone matplotlib Figure is built and rasterised
by Agg on a worker, and only the finished picture (and the figure, for hit tests) is handed to
the GUI thread, which never runs Agg. Importing this module imports matplotlib: the charts
page imports it on a worker thread the first time it opens.

Each figure is built, drawn and then owned by one thread at a time: the worker until the
result is delivered, the GUI thread afterwards. Nothing here touches a widget.
"""

from __future__ import annotations

import gc
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matplotlib.backend_bases import MouseEvent
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PySide6.QtCore import QSize
from PySide6.QtGui import QImage

from incidentdesk.charts.figures import release
from incidentdesk.charts.raster import KeptRendererCanvas
from incidentdesk.ui.exports import write_atomically

# Logical pixels per inch: matplotlib's points then match the size of Qt's fonts on screen.
SCREEN_DPI = 96.0
EXPORT_DPI = 200.0
EXPORT_SIZE_INCHES = (10.0, 5.6)


@dataclass(frozen=True)
class Hit:
    """What lies under the mouse: the tooltip, a heading for the list of incidents, the
    incidents themselves, and what the chart measured for each (text, number to sort by)."""

    text: str
    title: str
    incident_ids: tuple[int, ...] = ()
    measure_title: str = ""
    measured: dict[int, tuple[str, float]] = field(default_factory=dict)


HitTest = Callable[[MouseEvent], Hit | None]
# Draws a chart into an empty figure; returns how to find what lies under the mouse.
Drawing = Callable[[Figure], HitTest]


def no_hits(_: MouseEvent) -> Hit | None:
    return None


@dataclass(frozen=True)
class RenderedChart:
    name: str
    figure: Figure
    image: QImage
    hit_test: HitTest
    logical_size: QSize
    device_pixel_ratio: float


def new_figure(logical_size: QSize, device_pixel_ratio: float) -> Figure:
    """An empty figure of ``logical_size`` screen pixels, with its pixel density raised for
    the screen's device pixel ratio so that text stays sharp on a high-DPI screen."""
    width = max(1, logical_size.width()) / SCREEN_DPI
    height = max(1, logical_size.height()) / SCREEN_DPI
    figure = Figure(figsize=(width, height), dpi=SCREEN_DPI)
    figure.dpi = SCREEN_DPI * device_pixel_ratio
    return figure


def render(
    name: str, drawing: Drawing, logical_size: QSize, device_pixel_ratio: float
) -> RenderedChart:
    """On a worker thread: the chart drawn at ``logical_size`` and rasterised, with the
    text the thread drew before at that size kept (``charts.raster``)."""
    figure = new_figure(logical_size, device_pixel_ratio)
    agg: FigureCanvasAgg = KeptRendererCanvas(figure)
    hit_test = drawing(figure)
    agg.draw()
    pixels = agg.buffer_rgba()
    height, width = pixels.shape[0], pixels.shape[1]
    # Converted here to the format the screen paints without converting again (10 ms a
    # chart on the GUI thread otherwise, at each paint); the copy owns its pixels, which the
    # kept renderer's next drawing overwrites.
    image = QImage(
        bytes(pixels), width, height, width * 4, QImage.Format.Format_RGBA8888
    ).convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(device_pixel_ratio)
    FROZEN_RENDERS.after_render()
    return RenderedChart(name, figure, image, hit_test, logical_size, device_pixel_ratio)


class FrozenRenders:
    """Keeps what is alive after a render out of the collector's reach, with a bound on what
    that keeps for good.

    Six figures kept for their hit tests are some 50,000 objects, and every full collection
    walked them all: 20 to 60 ms holding the interpreter lock, which the GUI thread then
    waited for. So after each render the youngest generation is collected, where a render's
    cyclic garbage is, and what is alive is frozen, as the program does with its start-up
    objects. A full collection there, even over what came since the last render only, held the
    lock for 2 ms in the median and up to 8 ms: the youngest generation takes 0.8 and at most
    2 ms, and lets some 15 more small objects a render escape (below). A shown figure is
    freed all the same when it is replaced (``figures.release`` breaks its cycles, and
    reference counting does the rest).

    What escapes is what matplotlib left cyclic inside a figure that ``release`` does not
    reach, some 30 small objects a render (5 KB), the render's cycles that lived through one
    of the collections the render itself set off, and anything else that became cyclic
    garbage after it was frozen. To free it, everything is thawed and collected once: one
    full collection over the whole program, 50 to 100 ms holding the interpreter lock. That
    pause is taken when the charts are idle (``collect_escaped``, which the page asks for once
    no picture has arrived for a while, after at least ``renders_before_idle_collection``
    renders), not in the middle of a filter change: it was the charts' longest block. Only a
    page kept busy for ``renders_between_thaws`` renders without a pause (hours of refreshes
    while a lead keeps changing filters) is thawed in between, so that what escaped stays
    under some 10 MB."""

    def __init__(
        self, renders_between_thaws: int = 2000, renders_before_idle_collection: int = 50
    ) -> None:
        self.renders_between_thaws = renders_between_thaws
        self.renders_before_idle_collection = renders_before_idle_collection
        self._renders = 0  # since everything was last thawed and collected

    def after_render(self) -> None:
        self._renders += 1
        if self._renders >= self.renders_between_thaws:
            self._thaw_and_collect()
        else:
            gc.collect(0)
            gc.freeze()

    def collect_escaped(self) -> bool:
        """When the charts are idle: thaw and collect everything, if enough renders froze
        garbage since the last time. Whether it did."""
        if self._renders < self.renders_before_idle_collection:
            return False
        self._thaw_and_collect()
        return True

    def _thaw_and_collect(self) -> None:
        self._renders = 0
        gc.unfreeze()
        gc.collect()
        gc.freeze()


# Renders run on the read thread, one at a time.
FROZEN_RENDERS = FrozenRenders()


def export_figure(drawing: Drawing, path: Path, file_format: str, **metadata: Any) -> Path:
    """On a worker thread: the chart drawn afresh at print size and saved as ``file_format``
    (png, svg or pdf)."""
    figure = Figure(figsize=EXPORT_SIZE_INCHES, dpi=EXPORT_DPI)
    FigureCanvasAgg(figure)
    drawing(figure)
    content = io.BytesIO()
    figure.savefig(content, format=file_format, metadata=metadata or None)
    release(figure)
    write_atomically(path, content.getvalue())
    return path
