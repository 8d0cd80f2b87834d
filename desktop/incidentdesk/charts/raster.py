"""Agg for charts drawn again and again: the charts page draws each chart afresh at every
change of filter, into a new figure of the same size as the one before.

Text was half of that drawing. matplotlib lays out and rasterises every string glyph by glyph
in Python at each draw (0.1-0.4 ms a string), and what it measures about text is cached per
renderer, which a new figure's canvas makes anew. ``KeptRendererCanvas`` draws with a renderer
kept for its size (one per thread, a few sizes), so the measures carry over from one figure
to the next, and that renderer (``TextKeepingRenderer``) rasterises each string in one call
and keeps the picture of it for the next time the same string is drawn in the same font.

Each string's picture is placed on whole pixels, as matplotlib did before 3.11 (which places
each glyph on a 64th of a pixel): letters may sit up to half a pixel from where a figure drawn
by plain Agg puts them.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from typing import Any, NamedTuple

import numpy as np
from matplotlib.backend_bases import GraphicsContextBase
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag
from matplotlib.font_manager import FontProperties
from matplotlib.text import Text

TEXT_PICTURES_KEPT = 4096  # a chart has up to 150 strings; a few KB each at most
RENDERERS_KEPT = 3  # per thread: the charts page's canvases have two widths


class TextPicture(NamedTuple):
    """A string rasterised at an angle of 0, as FreeType's coverage of each pixel, with
    where it goes relative to the point matplotlib draws the string at (in pixels)."""

    coverage: Any  # 2-D uint8 array
    x_offset: float
    y_offset: float
    descent: float


class TextKeepingRenderer(RendererAgg):
    """Agg's renderer, drawing each plain string from a picture made once (see the module's
    docstring). Mathematical text, text with font features or a language of its own, and
    text drawn without antialiasing are drawn by Agg as usual."""

    def __init__(self, width: int, height: int, dpi: float) -> None:
        super().__init__(width, height, dpi)  # type: ignore[no-untyped-call]
        self._pictures: OrderedDict[tuple[Any, ...], TextPicture] = OrderedDict()

    def draw_text(
        self,
        gc: GraphicsContextBase,
        x: float,
        y: float,
        s: str,
        prop: FontProperties,
        angle: float,
        ismath: bool | str = False,
        mtext: Text | None = None,
    ) -> None:
        plain = not ismath and gc.get_antialiased()
        if plain and mtext is not None:
            plain = mtext.get_fontfeatures() is None and mtext.get_language() is None
        if not plain:
            super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)  # type: ignore[no-untyped-call]
            return
        picture = self._picture(s, prop)
        radians = math.radians(angle)
        # y runs downwards here; draw_text_image takes the picture's bottom left corner
        left = round(x + picture.x_offset + picture.descent * math.sin(radians))
        bottom = round(y + picture.y_offset + picture.descent * math.cos(radians))
        self._renderer.draw_text_image(picture.coverage, left, bottom + 1, angle, gc)

    def _picture(self, s: str, prop: FontProperties) -> TextPicture:
        flags = get_hinting_flag()
        key = (s, prop.copy(), flags)  # a copy: font properties hash by their mutable state
        picture = self._pictures.get(key)
        if picture is not None:
            self._pictures.move_to_end(key)
            return picture
        font = self._prepare_font(prop)  # type: ignore[no-untyped-call]
        font.set_text(s, 0.0, flags=flags)
        font.draw_glyphs_to_bitmap(antialiased=True)
        x_offset, y_offset = font.get_bitmap_offset()
        picture = TextPicture(
            np.array(font.get_image()),  # a copy: the font's own buffer is reused
            x_offset / 64.0,
            y_offset / 64.0,
            font.get_descent() / 64.0,
        )
        self._pictures[key] = picture
        if len(self._pictures) > TEXT_PICTURES_KEPT:
            self._pictures.popitem(last=False)
        return picture


class _Renderers(threading.local):
    def __init__(self) -> None:
        self.by_size: OrderedDict[tuple[int, int, float], TextKeepingRenderer] = OrderedDict()


_RENDERERS = _Renderers()


def kept_renderer(width: int, height: int, dpi: float) -> TextKeepingRenderer:
    """This thread's renderer for pictures of ``width`` × ``height`` pixels at ``dpi``: the
    one used last for that size, or a new one (forgetting the size used longest ago)."""
    renderers = _RENDERERS.by_size
    key = (width, height, dpi)
    renderer = renderers.get(key)
    if renderer is None:
        renderer = renderers[key] = TextKeepingRenderer(width, height, dpi)
        if len(renderers) > RENDERERS_KEPT:
            renderers.popitem(last=False)
    renderers.move_to_end(key)
    return renderer


class KeptRendererCanvas(FigureCanvasAgg):
    """An Agg canvas drawing with this thread's kept renderer of its size. Its picture
    (``buffer_rgba``) is the renderer's: copy it before the thread draws another figure of
    the same size."""

    def get_renderer(self) -> RendererAgg:
        width, height = self.get_width_height(physical=True)
        renderer = kept_renderer(width, height, float(self.figure.dpi))
        self.renderer = renderer
        return renderer
