"""Agg with kept renderers and text (charts/raster.py): the text lands where plain Agg puts it,
and a figure drawn after another of the same size measures and rasterises no string again."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure

from incidentdesk.charts import raster
from incidentdesk.charts.raster import KeptRendererCanvas, kept_renderer

SIZE_INCHES = (4.0, 2.0)
DPI = 96.0


@pytest.fixture(autouse=True)
def no_kept_renderers() -> Iterator[None]:
    raster._RENDERERS.by_size.clear()
    yield
    raster._RENDERERS.by_size.clear()


def text_figure(text: str, rotation: float = 0.0, size: float = 10.0) -> Figure:
    figure = Figure(figsize=SIZE_INCHES, dpi=DPI)
    figure.text(0.3, 0.4, text, rotation=rotation, fontsize=size, color="black")
    return figure


def drawn(canvas: FigureCanvasAgg) -> Any:
    canvas.draw()  # type: ignore[no-untyped-call]
    return np.array(canvas.buffer_rgba())  # type: ignore[no-untyped-call]


def ink(pixels: Any) -> Any:
    """How dark each pixel is, 0 (white) to 255."""
    return 255 - pixels[:, :, 0].astype(np.int64)


def ink_box(pixels: Any) -> tuple[int, int, int, int]:
    rows, columns = np.nonzero(ink(pixels) > 60)
    return int(rows.min()), int(rows.max()), int(columns.min()), int(columns.max())


@pytest.mark.parametrize(
    ("text", "rotation", "size"),
    [
        ("SEV1 12,345", 0.0, 10.0),
        ("p90 · 3h20m — 1 w", 0.0, 8.5),
        ("gjpqy descends", 0.0, 12.0),
        ("from reported (log scale)", 90.0, 10.0),
        ("> 30 d", 90.0, 8.0),
        ("two\nlines", 0.0, 9.0),
    ],
)
def test_text_lands_where_agg_puts_it(text: str, rotation: float, size: float) -> None:
    plain = drawn(FigureCanvasAgg(text_figure(text, rotation, size)))
    kept = drawn(KeptRendererCanvas(text_figure(text, rotation, size)))

    # each string on whole pixels: within a pixel of Agg's glyphs on 64ths of one
    assert np.allclose(ink_box(kept), ink_box(plain), atol=1)
    assert ink(kept).sum() == pytest.approx(ink(plain).sum(), rel=0.04)


def test_mathematical_text_is_drawn_by_agg_itself() -> None:
    plain = drawn(FigureCanvasAgg(text_figure("$x^2$ of $\\alpha$")))
    kept = drawn(KeptRendererCanvas(text_figure("$x^2$ of $\\alpha$")))

    assert np.array_equal(kept, plain)


def test_text_is_drawn_in_its_own_colour() -> None:
    figure = Figure(figsize=SIZE_INCHES, dpi=DPI)
    figure.text(0.1, 0.5, "red", color="#ff0000", fontsize=20)
    figure.text(0.6, 0.5, "red", color="#0000ff", fontsize=20)  # the same string, blue

    pixels = drawn(KeptRendererCanvas(figure)).astype(np.int64)

    red, green, blue = pixels[:, :, 0], pixels[:, :, 1], pixels[:, :, 2]
    half = pixels.shape[1] // 2
    reddish = (red > 200) & (green < 60) & (blue < 60)
    bluish = (blue > 200) & (green < 60) & (red < 60)
    assert reddish[:, :half].any()
    assert not bluish[:, :half].any()
    assert bluish[:, half:].any()
    assert not reddish[:, half:].any()


def count_font_preparations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each time Agg readies a font to measure or rasterise a string."""
    prepared: list[str] = []
    prepare = RendererAgg._prepare_font

    def counting(self: RendererAgg, prop: Any) -> Any:
        prepared.append(str(prop))
        return prepare(self, prop)  # type: ignore[no-untyped-call]

    monkeypatch.setattr(RendererAgg, "_prepare_font", counting)
    return prepared


def chart_like_figure(number: int) -> Figure:
    figure = Figure(figsize=SIZE_INCHES, dpi=DPI)
    ax = figure.add_subplot(1, 1, 1)
    ax.plot([0, 1, 2], [number, 2, 3])
    ax.set_xlim(0, 2)
    ax.set_ylim(0, 4)
    ax.set_title("How long do incidents take?")
    ax.set_ylabel("from reported", rotation=90)
    ax.text(1, 1, "N 1,234")
    return figure


def test_a_figure_after_another_of_the_same_size_measures_and_rasterises_no_text_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = KeptRendererCanvas(chart_like_figure(1))
    before = drawn(first)
    prepared = count_font_preparations(monkeypatch)

    second = KeptRendererCanvas(chart_like_figure(1))
    after = drawn(second)

    assert second.get_renderer() is first.get_renderer()
    assert prepared == []
    assert np.array_equal(after, before)


def test_a_new_string_is_rasterised_once(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn(KeptRendererCanvas(chart_like_figure(1)))
    prepared = count_font_preparations(monkeypatch)

    figure = chart_like_figure(1)
    figure.text(0.5, 0.5, "a new string")
    drawn(KeptRendererCanvas(figure))

    assert len(prepared) == 2  # measured, then rasterised


def test_plain_agg_measures_and_rasterises_every_string_at_every_figure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What the kept renderer saves (and the proof that the counting above counts)."""
    drawn(FigureCanvasAgg(chart_like_figure(1)))
    prepared = count_font_preparations(monkeypatch)

    drawn(FigureCanvasAgg(chart_like_figure(1)))

    assert len(prepared) > 10


def test_the_pictures_kept_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(raster, "TEXT_PICTURES_KEPT", 2)
    figure = Figure(figsize=SIZE_INCHES, dpi=DPI)
    for index, text in enumerate(("one", "two", "three")):
        figure.text(0.1, 0.2 + index * 0.2, text)
    drawn(KeptRendererCanvas(figure))
    prepared = count_font_preparations(monkeypatch)

    drawn(KeptRendererCanvas(figure))

    assert len(prepared) == 3  # each pushed out by the next: rasterised again


def test_renderers_are_kept_per_size_and_the_oldest_size_forgotten() -> None:
    first = kept_renderer(100, 50, DPI)
    assert kept_renderer(100, 50, DPI) is first
    assert kept_renderer(100, 50, 2 * DPI) is not first
    for width in range(101, 101 + raster.RENDERERS_KEPT):
        kept_renderer(width, 50, DPI)

    assert kept_renderer(100, 50, DPI) is not first


def test_each_thread_draws_with_renderers_of_its_own() -> None:
    here = kept_renderer(100, 50, DPI)
    there: list[RendererAgg] = []
    worker = threading.Thread(target=lambda: there.append(kept_renderer(100, 50, DPI)))
    worker.start()
    worker.join()

    assert there[0] is not here
