"""The figures: their artists, labels, counts and how-computed lines, picks back to the
incidents, and exports that are valid files. No Qt, no pyplot."""

from __future__ import annotations

import csv
import gc
import io
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from incidentdesk.charts import figures
from incidentdesk.charts.export import save_csv, save_figure, write_csv
from incidentdesk.charts.style import DARK, LIGHT
from incidentdesk.domain.enums import Severity
from incidentdesk.services.chart_series import ChartsData, Dimension, Measure
from incidentdesk.services.desk import Desk
from tests.unit.test_statistics import NOW, OCTOBER, add, at


@pytest.fixture
def data(sqlite_desk: Desk) -> ChartsData:
    for day, minutes in enumerate((12, 40, 75, 200, 31, 9, 600, 48), start=1):
        add(at(day), severity=Severity.SEV2, acknowledged=3, recovered=minutes, closed=minutes * 5)
    for day in (3, 9):
        add(at(day), severity=Severity.SEV1, acknowledged=1, recovered=25, closed=900)
    add(at(20), severity=Severity.SEV3, acknowledged=30)  # still waiting to recover
    add(at(21), severity=Severity.SEV3, cancelled=10)  # excluded
    return sqlite_desk.statistics.charts(OCTOBER, NOW)


def how_line(figure: Figure) -> str:
    (text,) = [t for t in figure.texts if t.get_gid() == "how-computed"]
    return " ".join(text.get_text().split())


@pytest.mark.parametrize("name", figures.CHART_NAMES)
@pytest.mark.parametrize("style", [LIGHT, DARK], ids=["light", "dark"])
def test_every_chart_says_how_it_is_computed(data: ChartsData, name: str, style: object) -> None:
    series = figures.series_for(name, data)

    figure, picks = figures.build(name, series, style)  # type: ignore[arg-type]

    assert how_line(figure) == "How this is computed: " + " ".join(series.how_computed.split())
    assert len(picks) > 0
    for pick in picks.picks:
        assert pick.artist.get_gid().startswith(f"{name}:")
        assert pick.artist.get_picker()
        assert pick.artist.figure is figure


def test_without_the_how_line_the_view_can_show_it_itself(data: ChartsData) -> None:
    figure, _ = figures.build("trend", data.trend, LIGHT)
    figures.draw(figure, "trend", data.trend, LIGHT, standalone=False)

    assert not [t for t in figure.texts if t.get_gid() == "how-computed"]


def test_durations_show_n_median_and_p90_and_pick_back_to_incidents(data: ChartsData) -> None:
    figure, picks = figures.build("durations", data.durations, LIGHT)

    assert [ax.get_title() for ax in figure.axes] == [m.label for m in Measure]
    assert all(ax.get_yscale() == "log" for ax in figure.axes)
    labels = {t.get_gid(): t.get_text() for ax in figure.axes for t in ax.texts if t.get_gid()}
    # SEV2 time to recover, 9 12 31 40 48 75 200 600 min: median (40 + 48) / 2 = 44 min,
    # p90 at rank 6.3: 200 + 0.3 × (600 − 200) = 320 min
    assert labels["box-label:recover:SEV2"] == "8\n44m\n5h20m"
    assert labels["box-label:recover:SEV1"] == "2\n25m\n25m"
    boxes = [p for p in picks.picks if isinstance(p.artist, Rectangle)]
    assert len(boxes) == 2 * 3 + 1  # SEV1 and SEV2 in each measure, SEV3 acknowledged only
    sev2 = next(p for p in boxes if p.label == "SEV2 · time to recover")
    assert len(sev2.ids_for(None)) == 8
    assert "N = 8, median 44 min" in sev2.text_for(None)
    points = next(p for p in picks.picks if p.label == "SEV2 · time to recover points")
    assert isinstance(points.artist, PathCollection)
    assert len(points.artist.get_offsets()) == 8
    first = points.ids_for(0)
    assert len(first) == 1
    assert points.text_for(0).endswith(": 9 min")  # the fastest of the eight


def test_survival_has_censor_ticks_number_at_risk_and_the_median(data: ChartsData) -> None:
    chart = data.survival[Measure.RECOVER]
    figure, picks = figures.build("survival", chart, LIGHT)

    (ax,) = figure.axes
    assert ax.get_xscale() == "log"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[1].startswith("SEV2: N 8, 0 waiting, median 40 min")
    assert legend[2].startswith("SEV3: N 1, 1 waiting, median —")
    at_risk = [t.get_text() for t in ax.texts if t.get_gid() == "at-risk:SEV2"]
    assert at_risk[:4] == ["8", "3", "1", "0"]  # at 0, 1 h, 4 h and 1 d: still waiting, T ≥ t
    ticks = next(p for p in picks.picks if p.label == "SEV3 still waiting")
    assert isinstance(ticks.artist, Line2D)
    assert ticks.artist.get_marker() == "|"
    assert len(ticks.ids_for(0)) == 1
    line = next(p for p in picks.picks if p.label == "SEV2 curve")
    # vertices 1 and 2 are the first drop (at 9 min), 3 and 4 the second
    assert line.ids_for(1).tolist() == line.ids_for(2).tolist()
    assert len(line.ids_for(1)) == 1
    assert line.text_for(1).startswith("SEV2 after 9 min: 88% not yet recovered")
    assert len(line.ids_for(0)) == 0  # before the first drop


def test_a_survival_curve_of_many_drops_is_drawn_at_most_two_a_slice_of_its_axis() -> None:
    low, high = figures.SHORTEST_SHOWN_S, 1e7
    times = np.geomspace(low, high / 1.2, 50_000)

    drawn = figures._steps_drawn(times, low, high)

    assert len(drawn) <= 2 * figures.STEP_SLICES_DRAWN
    assert drawn[0] == 0
    assert drawn[-1] == len(times) - 1
    # every drop left out lies between two drawn ones less than a slice apart
    slice_width = np.log(high / low) / figures.STEP_SLICES_DRAWN
    apart = np.diff(np.log(times[drawn]))
    left_out = np.diff(drawn) > 1
    assert left_out.any()
    assert (apart[left_out] < slice_width).all()


def test_a_thinned_survival_curve_still_points_at_the_incidents_of_each_drop_drawn(
    data: ChartsData, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(figures, "STEP_SLICES_DRAWN", 1)  # SEV2's 8 drops: the first, the last
    chart = data.survival[Measure.RECOVER]

    _figure, picks = figures.build("survival", chart, LIGHT)

    line = next(p for p in picks.picks if p.label == "SEV2 curve")
    assert len(line.artist.get_xdata()) == 6  # the start, two drops, the end
    assert line.text_for(1).startswith("SEV2 after 9 min: 88% not yet recovered")
    assert line.text_for(3).startswith("SEV2 after 10 h: 0% not yet recovered")
    assert len(line.ids_for(3)) == 1  # the one that took 600 minutes
    assert len(line.ids_for(5)) == 0  # past the last drop


def test_trend_sla_breakdown_and_backlog_artists(data: ChartsData) -> None:
    trend, trend_picks = figures.build("trend", data.trend, LIGHT)
    assert [p.label for p in trend_picks.picks] == [
        "Time to recover median",
        "Time to resolve median",
    ]
    titles = [ax.get_title() for ax in trend.axes if ax.get_title()]
    assert any("No clear change" in title for title in titles)

    _sla, sla_picks = figures.build("sla", data.sla[Measure.RECOVER], LIGHT)
    sev2 = next(p for p in sla_picks.picks if p.label == "SEV2 compliance")
    # SEV2 recovers within 4 h: 7 of 8 met, the 600-minute one breached
    assert sev2.text_for(0).startswith("SEV2, October 2026: 7 of 8 met (88%")
    assert len(sev2.ids_for(0)) == 1

    _breakdown, breakdown_picks = figures.build(
        "breakdown", data.breakdowns[Dimension.CATEGORY], LIGHT
    )
    (bar,) = [p for p in breakdown_picks.picks if isinstance(p.artist, Rectangle)]
    assert bar.label == "(none)"
    assert len(bar.ids_for(None)) == 11

    backlog, backlog_picks = figures.build("backlog", data.backlog, LIGHT)
    line = next(p for p in backlog_picks.picks if p.label == "SEV3 open")
    assert line.text_for(30) == "SEV3: 1 open at the end of 2026-10-31"
    assert len(line.ids_for(30)) == 1
    assert len(backlog.axes) == 3


def test_an_empty_chart_says_so(sqlite_desk: Desk) -> None:
    data = sqlite_desk.statistics.charts(OCTOBER, NOW)

    figure, picks = figures.build("durations", data.durations, LIGHT)

    (message,) = [t for t in figure.texts if t.get_gid() == "empty-message"]
    assert message.get_text().startswith("No incidents reported 2026-10-01")
    assert len(picks) == 0
    assert figure.axes == []


def test_an_unknown_chart_name_is_refused(data: ChartsData) -> None:
    with pytest.raises(ValueError, match="no chart named 'pie'"):
        figures.build("pie", data.trend, LIGHT)


def test_exported_png_svg_and_pdf_are_valid(data: ChartsData, tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    figure, _ = figures.build("survival", data.survival[Measure.RECOVER], DARK)

    for format in ("png", "svg", "pdf"):
        save_figure(figure, tmp_path / f"chart.{format}")

    assert (tmp_path / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = ElementTree.parse(tmp_path / "chart.svg").getroot()
    assert svg.tag.endswith("svg")
    assert "How this is computed" in (tmp_path / "chart.svg").read_text(encoding="utf-8")
    text = pypdf.PdfReader(tmp_path / "chart.pdf").pages[0].extract_text()
    assert "How this is computed" in text
    assert "How many are still waiting to be recovered?" in text
    with pytest.raises(ValueError, match="not a figure format"):
        save_figure(figure, tmp_path / "chart.gif")
    with pytest.raises(FileNotFoundError):
        save_figure(figure, tmp_path / "missing-folder" / "chart.png")


def test_csv_round_trips_every_row(data: ChartsData, tmp_path: Path) -> None:
    rows = data.durations.rows()

    count = save_csv(rows, tmp_path / "rows.csv")

    with (tmp_path / "rows.csv").open(encoding="utf-8", newline="") as file:
        read = list(csv.reader(file))
    header, body = rows
    assert count == len(body) == 11 + 10 + 10
    assert tuple(read[0]) == header
    assert [tuple(row) for row in read[1:]] == [
        tuple("" if value is None else str(value) for value in row) for row in body
    ]
    buffer = io.StringIO()
    write_csv(data.trend.rows(), buffer)
    trend = list(csv.reader(io.StringIO(buffer.getvalue())))
    assert trend[0][0] == "measure"
    assert sum(int(row[2]) for row in trend[1:] if row[0] == "recover") == 11


def test_a_large_strip_is_thinned_when_drawn_and_complete_in_the_csv(sqlite_desk: Desk) -> None:
    reported = datetime(2026, 10, 2, tzinfo=UTC)
    for index in range(2_500):
        add(reported + timedelta(seconds=index), recovered=1 + index % 300)
    data = sqlite_desk.statistics.charts(OCTOBER, NOW)

    _, picks = figures.build("durations", data.durations, LIGHT)

    points = next(p for p in picks.picks if p.label == "SEV2 · time to recover points")
    assert len(points.artist.get_offsets()) == 2_000
    assert len([row for row in data.durations.rows()[1] if row[0] == "recover"]) == 2_500
    assert np.all(np.diff(data.durations.boxes[6].seconds) >= 0)


def test_charts_never_import_qt_or_pyplot() -> None:
    code = (
        "import sys; import incidentdesk.charts.figures, incidentdesk.charts.report; "
        "bad = [m for m in sys.modules if m.startswith('PySide6') or m == 'matplotlib.pyplot']; "
        "print(bad)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_desk_does_not_import_numpy_or_matplotlib_at_start_up() -> None:
    code = (
        "import sys; import incidentdesk.services.desk; "
        "print([m for m in ('numpy', 'matplotlib') if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def _drawn(name: str, series: object, size_px: tuple[int, int], standalone: bool) -> Figure:
    figure = Figure(figsize=(size_px[0] / 96, size_px[1] / 96), dpi=96)
    FigureCanvasAgg(figure)
    figures.draw(figure, name, series, LIGHT, standalone=standalone)
    figure.canvas.draw()
    return figure


def _overlap(first: Bbox, second: Bbox) -> bool:
    return (
        first.x0 < second.x1
        and second.x0 < first.x1
        and first.y0 < second.y1
        and (second.y0 < first.y1)
    )


@pytest.mark.parametrize("name", figures.CHART_NAMES)
@pytest.mark.parametrize("size_px", [(700, 440), (1400, 440)], ids=["narrow", "wide"])
def test_tick_labels_and_legends_never_overlap(
    data: ChartsData, name: str, size_px: tuple[int, int]
) -> None:
    figure = _drawn(name, figures.series_for(name, data), size_px, standalone=False)

    for ax in figure.axes:
        for labels in (ax.get_xticklabels(), ax.get_yticklabels()):
            boxes = [
                label.get_window_extent()
                for label in labels
                if label.get_visible() and label.get_text()
            ]
            for index, box in enumerate(boxes):
                assert not any(_overlap(box, other) for other in boxes[index + 1 :]), (
                    name,
                    [label.get_text() for label in labels],
                )
    legends = [ax.get_legend() for ax in figure.axes if ax.get_legend()] + figure.legends
    assert legends or name in ("durations", "breakdown")
    for legend in legends:
        box = legend.get_window_extent()
        for ax in figure.axes:
            assert not _overlap(box, ax.get_window_extent()), (name, "a legend over the data")


@pytest.mark.parametrize("name", figures.CHART_NAMES)
def test_on_screen_the_figure_leaves_the_title_to_the_page(data: ChartsData, name: str) -> None:
    series = figures.series_for(name, data)

    on_screen = _drawn(name, series, (1000, 440), standalone=False)
    standalone, _ = figures.build(name, series, LIGHT)

    texts = " ".join(text.get_text() for text in on_screen.findobj(Text))
    assert series.title not in texts
    assert standalone.get_suptitle() == series.title


def test_the_duration_axis_spreads_its_labels(data: ChartsData) -> None:
    figure = _drawn("breakdown", data.breakdowns[Dimension.CATEGORY], (700, 440), False)

    ticks = figure.axes[0].get_xticks()
    assert len(ticks) <= 5
    assert np.all(np.diff(np.log(ticks)) >= np.log(3))  # 1 min and 5 min, not 5 and 15


def test_a_released_figure_leaves_next_to_nothing_for_the_collector(data: ChartsData) -> None:
    def garbage_after(release: bool) -> int:
        gc.collect()
        figure = _drawn("backlog", data.backlog, (1000, 440), standalone=False)
        if release:
            figures.release(figure)
        del figure
        return gc.collect()

    kept_for_the_collector = garbage_after(release=False)
    released = garbage_after(release=True)

    assert kept_for_the_collector > 1_000
    assert released < kept_for_the_collector / 10
