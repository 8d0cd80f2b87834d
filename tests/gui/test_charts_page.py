"""The charts page on its own, with a small source: loading behind a busy indicator, filters,
hover, click-through, export, refresh and the empty period."""

from __future__ import annotations

import csv
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
import shiboken6
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QMouseEvent, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QHeaderView, QToolTip

from incidentdesk.domain.enums import Severity
from incidentdesk.services.changes import changed
from incidentdesk.services.desk import Desk, open_desk
from incidentdesk.ui import chart_render, charts_page
from incidentdesk.ui.chart_render import FrozenRenders
from incidentdesk.ui.chart_rows_model import ChartRowsModel
from incidentdesk.ui.chart_summary_model import SummaryTableModel
from incidentdesk.ui.charts_filter_bar import Period, utc_today
from incidentdesk.ui.charts_page import CHANGES_SETTLE_MS, ChartsPage
from incidentdesk.ui.charts_source import SummaryTable
from incidentdesk.ui.incident_table_model import INCIDENT_ID_ROLE
from incidentdesk.ui.live_updates import LiveUpdates
from incidentdesk.ui.tasks import TaskRunner
from tests.factories import make_draft
from tests.gui.chart_helpers import CountingSource, bar_centre
from tests.gui.conftest import RecordingDialogs

TODAY = utc_today()


@pytest.fixture
def demo_desk(demo_address: str) -> Iterator[Desk]:
    desk = open_desk(demo_address, login="lead")
    yield desk
    desk.close()


@pytest.fixture
def source() -> CountingSource:
    return CountingSource()


@pytest.fixture
def page(
    qtbot, runner: TaskRunner, dialogs: RecordingDialogs, demo_desk: Desk, source, idle
) -> Iterator[ChartsPage]:
    """The page with the demo database, not shown yet (so not loaded)."""
    charts = ChartsPage(runner, dialogs, source)
    qtbot.addWidget(charts)
    charts.resize(1100, 800)
    runner.use(demo_desk)
    charts.set_desk(demo_desk)
    yield charts
    qtbot.waitUntil(idle)


@pytest.fixture
def shown(qtbot, page: ChartsPage) -> ChartsPage:
    """The page shown, its charts loaded and the first figures painted."""
    with qtbot.waitSignals(
        [page.chart_painted, page.loaded],
        timeout=20_000,
        check_params_cbs=[lambda name: name == "counts", None],
    ):
        page.show()
    assert page.panels["counts"].canvas.rendered is not None
    return page


def press_on_bar(qtbot, page: ChartsPage, index: int) -> None:
    canvas = page.panels["counts"].canvas
    rendered = canvas.rendered
    assert rendered is not None
    x, y = bar_centre(rendered.figure, index)
    ratio = canvas.device_pixel_ratio
    position = QPoint(round(x / ratio), round((rendered.figure.bbox.height - y) / ratio))
    QTest.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=position)


def test_a_busy_indicator_shows_while_the_charts_load(qtbot, page: ChartsPage) -> None:
    assert not page.is_loaded
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        page.show()
        assert page.stack.currentWidget() is page.busy
        assert page.busy_bar.isVisible()
        assert (page.busy_bar.minimum(), page.busy_bar.maximum()) == (0, 0)  # busy, not %
    assert page.stack.currentWidget() is page.scroll_area
    assert set(page.panels) == {"counts", "nothing"}


def wait_for_the_first_picture(qtbot, page: ChartsPage, idle) -> None:
    with qtbot.waitSignal(
        page.chart_ready, timeout=20_000, check_params_cb=lambda name: name == "counts"
    ):
        page.show()
    qtbot.waitUntil(idle)


def test_a_chart_whose_data_came_before_its_canvas_was_laid_out_is_rendered_once(
    qtbot, page: ChartsPage, source, idle, monkeypatch
) -> None:
    """Rendered at once, the picture was of the size the canvas was made with, and again
    once the layout gave it its width (and again when the scroll bar came with the panel
    below): the first chart came a render later."""
    data_shown = threading.Event()
    page.data_shown.connect(data_shown.set)
    import_modules = charts_page.import_chart_modules

    def import_once_the_data_is_shown() -> None:
        assert data_shown.wait(20)
        import_modules()

    monkeypatch.setattr(charts_page, "import_chart_modules", import_once_the_data_is_shown)

    wait_for_the_first_picture(qtbot, page, idle)

    canvas = page.panels["counts"].canvas
    assert canvas.rendered is not None
    assert (canvas.rendered.logical_size, canvas.rendered.device_pixel_ratio) == (
        canvas.wanted_size()
    )
    assert source.drawings == ["counts"]


def test_a_chart_resized_while_its_picture_is_asked_for_is_rendered_once(
    qtbot, page: ChartsPage, source, idle, monkeypatch
) -> None:
    """The table beside the chart appears with the first data, and the canvas narrows at
    once: the picture asked for next is of the new width, and the resize, once settled,
    asked for it again."""
    monkeypatch.setattr(charts_page, "RESIZE_SETTLE_MS", 0)
    first_panel_built = threading.Event()  # the page leaves its busy indicator for it
    page.stack.currentChanged.connect(lambda _: first_panel_built.set())
    compute = source.compute

    def compute_once_the_first_panel_is_built(*arguments):
        assert first_panel_built.wait(20)
        return compute(*arguments)

    monkeypatch.setattr(source, "compute", compute_once_the_first_panel_is_built)

    wait_for_the_first_picture(qtbot, page, idle)

    panel = page.panels["counts"]
    rendered = panel.canvas.rendered
    assert rendered is not None
    assert rendered.logical_size == panel.canvas.wanted_size()[0]
    assert rendered.logical_size.width() < panel.width() - panel.summary_table.width()
    assert source.drawings == ["counts"]


def test_a_replaced_figure_is_taken_apart_on_the_read_thread(qtbot, shown: ChartsPage, idle):
    canvas = shown.panels["counts"].canvas
    first = canvas.rendered
    assert first is not None
    with qtbot.waitSignal(shown.chart_ready, check_params_cb=lambda name: name == "counts"):
        shown.filter_bar.severity.setCurrentIndex(shown.filter_bar.severity.findData(Severity.SEV2))
    # Not beside the new picture's layout and paint: once no picture came for a while.
    assert first.figure.__dict__
    qtbot.waitUntil(lambda: not first.figure.__dict__)  # its cycles broken: refcounting frees it
    qtbot.waitUntil(idle)

    shown_now = canvas.rendered
    assert shown_now is not None
    assert canvas.figure is shown_now.figure
    assert shown_now.figure.axes  # the figure shown, for hover and clicks, is whole


def test_the_figures_follow_the_filters(qtbot, shown: ChartsPage, source) -> None:
    canvas = shown.panels["counts"].canvas
    first = canvas.rendered
    assert first is not None
    heights_before = [bar.get_height() for bar in first.figure.axes[0].patches]
    assert sum(heights_before) == len(shown.data.rows) > 0
    with qtbot.waitSignal(shown.chart_painted, check_params_cb=lambda name: name == "counts"):
        shown.filter_bar.severity.setCurrentIndex(shown.filter_bar.severity.findData(Severity.SEV3))
    after = canvas.rendered
    assert after is not None
    assert after is not first
    heights = [bar.get_height() for bar in after.figure.axes[0].patches]
    assert heights[2] == heights_before[2]
    assert sum(heights) == heights[2]
    assert source.computed[-1].severity is Severity.SEV3
    assert "in all" in shown.panels["counts"].how.text()


def test_the_period_sets_the_days_and_a_custom_range_uses_the_date_edits(
    qtbot, shown: ChartsPage, source
) -> None:
    bar = shown.filter_bar
    assert shown.selection().start == TODAY - timedelta(days=89)
    with qtbot.waitSignal(shown.data_shown):
        bar.period.setCurrentIndex(bar.period.findData(Period.LAST_365_DAYS))
    assert source.computed[-1].start == TODAY - timedelta(days=364)
    assert not bar.from_date.isVisible()
    with qtbot.waitSignal(shown.data_shown):
        bar.period.setCurrentIndex(bar.period.findData(Period.CUSTOM))
    assert bar.from_date.isVisible()
    assert bar.to_date.isVisible()
    with qtbot.waitSignal(shown.data_shown):
        bar.from_date.setDate(bar.from_date.date().addDays(-400))
    assert source.computed[-1].start == TODAY - timedelta(days=365 + 400 - 1)
    # A range typed back to front is turned around, never an error.
    with qtbot.waitSignal(shown.data_shown):
        bar.to_date.setDate(bar.from_date.date().addDays(-10))
    selection = source.computed[-1]
    assert selection.start < selection.end


def test_only_the_newest_filter_is_computed_when_they_change_quickly(
    qtbot, shown: ChartsPage, source
) -> None:
    computed_before = len(source.computed)
    combo = shown.filter_bar.severity
    with qtbot.waitSignal(shown.data_shown):
        for index in range(1, combo.count()):
            combo.setCurrentIndex(index)
    qtbot.waitUntil(lambda: shown.data.selection.severity is Severity.SEV5)
    assert len(source.computed) - computed_before <= combo.count() - 1
    assert source.computed[-1].severity is Severity.SEV5


def test_the_exclusions_show_their_counts(shown: ChartsPage) -> None:
    bar = shown.filter_bar
    assert bar.include_cancelled.text() == "3 cancelled"
    assert bar.include_duplicates.text() == "1 duplicates"
    assert not bar.include_cancelled.isChecked()


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # the tooltip, offscreen
def test_hovering_a_bar_shows_its_value(qtbot, shown: ChartsPage) -> None:
    canvas = shown.panels["counts"].canvas
    rendered = canvas.rendered
    assert rendered is not None
    hits = []
    canvas.hovered.connect(hits.append)
    x, y = bar_centre(rendered.figure, 3)
    position = QPointF(x, rendered.figure.bbox.height - y)
    event = QMouseEvent(
        QEvent.Type.MouseMove,
        position,
        canvas.mapToGlobal(position),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    canvas.mouseMoveEvent(event)
    count = len(shown.data.by_severity()[Severity.SEV4])
    assert count > 0
    assert hits
    assert hits[-1] is not None
    assert hits[-1].text == f"SEV4: {count} incidents"
    qtbot.waitUntil(QToolTip.isVisible)
    assert QToolTip.text() == f"SEV4: {count} incidents"


def test_clicking_a_bar_lists_its_incidents_and_enter_opens_one(qtbot, shown: ChartsPage) -> None:
    panel = shown.panels["counts"]
    assert not panel.rows_box.isVisible()
    expected = {row.id for row in shown.data.by_severity()[Severity.SEV3]}
    assert expected
    press_on_bar(qtbot, shown, 2)
    qtbot.waitUntil(lambda: panel.rows_model.rowCount() == len(expected))
    assert panel.rows_box.isVisible()
    shown_ids = {
        panel.rows_model.index(row, 0).data(INCIDENT_ID_ROLE)
        for row in range(panel.rows_model.rowCount())
    }
    assert shown_ids == expected
    assert panel.rows_model.headerData(7, Qt.Orientation.Horizontal) == "Reported"
    assert "SEV3 incidents" in panel.rows_title.text()
    table = panel.rows_table
    table.setCurrentIndex(panel.rows_model.index(1, 0))
    with qtbot.waitSignal(shown.open_requested) as opened:
        QTest.keyClick(table, Qt.Key.Key_Return)
    assert opened.args == [panel.rows_model.index(1, 0).data(INCIDENT_ID_ROLE)]
    index = panel.rows_model.index(0, 2)
    centre = table.visualRect(index).center()
    with qtbot.waitSignal(shown.open_requested) as opened:
        # What a double click sends: a press and release, then the double click itself.
        QTest.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=centre)
        QTest.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    assert opened.args == [index.data(INCIDENT_ID_ROLE)]


def test_clicking_beside_the_bars_lists_nothing(qtbot, shown: ChartsPage) -> None:
    panel = shown.panels["counts"]
    QTest.mouseClick(panel.canvas, Qt.MouseButton.LeftButton, pos=QPoint(3, 3))
    assert not panel.rows_box.isVisible()


def test_the_rows_model_passes_the_model_tester(qtbot, shown: ChartsPage, qtmodeltester) -> None:
    panel = shown.panels["counts"]
    press_on_bar(qtbot, shown, 2)
    qtbot.waitUntil(lambda: panel.rows_model.rowCount() > 1)
    qtmodeltester.check(panel.rows_model)
    for column in range(panel.rows_model.columnCount()):
        panel.rows_model.sort(column, Qt.SortOrder.DescendingOrder)
    qtmodeltester.check(panel.rows_model)
    empty = ChartRowsModel()
    qtmodeltester.check(empty)


def test_sorting_the_rows_keeps_the_selected_incident(qtbot, shown: ChartsPage) -> None:
    panel = shown.panels["counts"]
    press_on_bar(qtbot, shown, 2)
    qtbot.waitUntil(lambda: panel.rows_model.rowCount() > 2)
    table = panel.rows_table
    table.selectRow(1)
    chosen = table.currentIndex().data(INCIDENT_ID_ROLE)
    table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    assert table.currentIndex().data(INCIDENT_ID_ROLE) == chosen
    keys = [panel.rows_model.index(row, 0).data() for row in range(panel.rows_model.rowCount())]
    assert keys == sorted(keys, key=lambda key: int(key.split("-")[1]))


@pytest.mark.parametrize(
    ("suffix", "signature"), [("png", b"\x89PNG"), ("svg", b"<?xml"), ("pdf", b"%PDF")]
)
def test_a_chart_exports_as_an_image(
    qtbot, shown: ChartsPage, dialogs: RecordingDialogs, tmp_path: Path, suffix, signature
) -> None:
    target = tmp_path / f"chart.{suffix}"
    dialogs.save_paths.append(target)
    with qtbot.waitSignal(shown.exported, timeout=10_000) as done:
        shown.panels["counts"].export_actions[suffix].trigger()
    assert done.args == [target]
    assert target.read_bytes().startswith(signature)
    kind, _caption, proposed = dialogs.messages[-1]
    assert kind == "save"
    assert proposed.endswith(f".{suffix}")
    assert proposed.startswith("counts-")
    assert not list(tmp_path.glob(".*.part"))


def test_the_rows_behind_a_chart_export_as_csv(
    qtbot, shown: ChartsPage, dialogs: RecordingDialogs, tmp_path: Path
) -> None:
    target = tmp_path / "rows.csv"
    dialogs.save_paths.append(target)
    with qtbot.waitSignal(shown.exported, timeout=10_000):
        shown.panels["counts"].export_actions["csv"].trigger()
    with target.open(newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["key", "severity"]
    assert len(rows) - 1 == len(shown.data.rows)


def test_cancelling_the_save_dialog_writes_nothing(
    qtbot, shown: ChartsPage, dialogs: RecordingDialogs, tmp_path: Path
) -> None:
    shown.panels["counts"].export_actions["png"].trigger()
    assert dialogs.messages[-1][0] == "save"
    assert list(tmp_path.glob("*.png")) == []


def test_an_unwritable_path_says_so(
    qtbot, shown: ChartsPage, dialogs: RecordingDialogs, tmp_path: Path
) -> None:
    dialogs.save_paths.append(tmp_path / "no such folder" / "chart.png")
    shown.panels["counts"].export_actions["png"].trigger()
    qtbot.waitUntil(lambda: dialogs.messages[-1][0] == "warn", timeout=10_000)
    _kind, _title, text = dialogs.messages[-1]
    assert "could not be written" in text
    assert "Traceback" not in text


def test_the_report_is_written_for_the_current_filters(
    qtbot, shown: ChartsPage, dialogs: RecordingDialogs, tmp_path: Path, source
) -> None:
    target = tmp_path / "report.pdf"
    dialogs.save_paths.append(target)
    with qtbot.waitSignal(shown.exported):
        shown.export_report()
    assert source.reports == [(shown.selection(), target)]


def test_an_empty_period_says_so(qtbot, shown: ChartsPage) -> None:
    bar = shown.filter_bar
    with qtbot.waitSignal(shown.data_shown):
        bar.period.setCurrentIndex(bar.period.findData(Period.CUSTOM))
    with qtbot.waitSignal(shown.data_shown):
        bar.from_date.setDate(bar.from_date.date().addYears(-20))
    with qtbot.waitSignal(shown.data_shown):
        bar.to_date.setDate(bar.from_date.date().addDays(3))
    assert shown.empty_label.isVisible()
    assert "No incidents were reported" in shown.empty_label.text()
    canvas = shown.panels["counts"].canvas
    assert canvas.rendered is None


def test_a_hidden_page_computes_again_only_when_shown(qtbot, shown: ChartsPage, source) -> None:
    shown.hide()
    computed = len(source.computed)
    shown.refresh()
    assert len(source.computed) == computed
    with qtbot.waitSignal(shown.data_shown):
        shown.show()
    assert len(source.computed) == computed + 1


def test_each_panels_list_is_built_after_it_and_keeps_its_place_in_the_tab_order(
    qtbot, shown: ChartsPage
) -> None:
    qtbot.waitUntil(lambda: all(p.rows_box.layout() is not None for p in shown.panels.values()))
    chain, widget = [], shown.filter_bar.nextInFocusChain()
    while widget is not shown.filter_bar and len(chain) < 1000:
        chain.append(widget)
        widget = widget.nextInFocusChain()
    panels = list(shown.panels.values())
    for panel, following in zip(panels, [*panels[1:], None], strict=True):
        own = [chain.index(panel.hide_rows), chain.index(panel.rows_table)]
        assert chain.index(panel.export_button) < min(own)  # after the chart's own controls
        if following is not None:  # and before the next chart's
            assert max(own) < chain.index(following.export_button)


def test_quiet_charts_collect_the_garbage_renders_froze(
    qtbot, shown: ChartsPage, monkeypatch
) -> None:
    frozen = FrozenRenders(renders_before_idle_collection=1)
    monkeypatch.setattr(chart_render, "FROZEN_RENDERS", frozen)
    shown._idle.stop()  # the first pictures' idle moment, counted by the FrozenRenders before
    shown._idle.setInterval(10)
    with qtbot.waitSignal(shown.collected_while_idle, timeout=10_000) as collected:
        shown.refresh()  # new pictures, then nothing more
    assert collected.args == [True]


def test_hidden_charts_leave_the_collection_until_they_are_shown_and_quiet(
    qtbot, shown: ChartsPage, monkeypatch
) -> None:
    frozen = FrozenRenders(renders_before_idle_collection=1)
    monkeypatch.setattr(chart_render, "FROZEN_RENDERS", frozen)
    frozen.after_render()
    shown._idle.setInterval(10)
    shown.hide()
    with qtbot.assertNotEmitted(shown.collected_while_idle, wait=200):
        shown._idle.start()  # as if the last picture had just arrived
    with qtbot.waitSignal(shown.collected_while_idle, timeout=10_000) as collected:
        shown.show()
    assert collected.args == [True]


def test_a_render_overtaken_while_the_page_is_deleted_is_taken_apart_on_the_spot(
    qtbot, runner: TaskRunner, dialogs: RecordingDialogs, source
) -> None:
    from matplotlib.figure import Figure

    charts = ChartsPage(runner, dialogs, source)
    figure = Figure()
    figure.add_subplot(1, 1, 1)
    shiboken6.delete(charts)  # as a window closing while a render was on its way
    charts._release(figure)  # what the runner calls for the dropped picture: no error
    assert not vars(figure)  # taken apart (figures.release), not left to the collector


def test_clearing_an_empty_list_or_table_resets_nothing(qtbot) -> None:
    rows, summary = ChartRowsModel(), SummaryTableModel()
    resets: list[str] = []
    rows.modelReset.connect(lambda: resets.append("rows"))
    summary.modelReset.connect(lambda: resets.append("summary"))

    rows.clear()
    summary.set_table(None)
    assert resets == []  # every filter change clears them all: no relayout for nothing

    summary.set_table(SummaryTable(("Name",), [(("Bug", "bug"),)], [np.array([7, 9])]))
    assert summary.incident_ids(0) == (7, 9)  # the statistics' id arrays, as plain ints
    summary.set_table(None)
    assert resets == ["summary", "summary"]


def test_the_table_beside_a_chart_is_sized_and_painted_without_calling_python(
    qtbot, shown: ChartsPage
) -> None:
    """Each call into Python waits for the interpreter lock while a chart renders on the
    read thread; the table's sizing and painting asked for every cell, role by role."""
    table = shown.panels["counts"].summary_table
    assert table.isVisible()
    calls: list[str] = []

    def count_model_calls(frame, event, _arg):  # type: ignore[no-untyped-def]
        if event == "call" and frame.f_code.co_filename.endswith("chart_summary_model.py"):
            calls.append(frame.f_code.co_name)

    sys.setprofile(count_model_calls)
    try:
        table.horizontalHeader().resizeSections(QHeaderView.ResizeMode.ResizeToContents)
        table.grab()
    finally:
        sys.setprofile(None)

    assert calls == []


def test_rows_without_a_value_stay_last_whichever_way_the_table_is_sorted(qtbot) -> None:
    summary = SummaryTableModel()
    rows = [
        (("Bug", "bug"), ("2 h", 7200.0)),
        (("Outage", "outage"), ("—", None)),
        (("Leak", "leak"), ("5 min", 300.0)),
    ]
    summary.set_table(SummaryTable(("Name", "Median"), rows, [np.array([1])] * 3))

    summary.sort(1, Qt.SortOrder.AscendingOrder)
    assert [summary.label(row) for row in range(3)] == ["Leak", "Bug", "Outage"]
    summary.sort(1, Qt.SortOrder.DescendingOrder)
    assert [summary.label(row) for row in range(3)] == ["Bug", "Leak", "Outage"]
    summary.sort(0, Qt.SortOrder.DescendingOrder)
    assert [summary.label(row) for row in range(3)] == ["Outage", "Leak", "Bug"]
    assert summary.index(0, 1).data(Qt.ItemDataRole.UserRole) is None  # unknown, not infinite


def test_saves_in_a_row_recompute_the_charts_once(
    qtbot, shown: ChartsPage, runner: TaskRunner, demo_desk: Desk, source: CountingSource
) -> None:
    computed = len(source.computed)
    with qtbot.waitSignal(shown.data_shown, timeout=10_000):
        for incident_id in (1, 2, 3):
            runner.changes.publish(demo_desk, changed(None, [incident_id]))
    assert len(source.computed) == computed + 1


def test_a_change_in_another_database_leaves_the_charts_alone(
    qtbot, shown: ChartsPage, runner: TaskRunner, tmp_path, source: CountingSource
) -> None:
    computed = len(source.computed)
    other = open_desk(f"sqlite:///{tmp_path / 'other.db'}", login="lead")
    try:
        runner.changes.publish(other, changed(None, [1]))
        with qtbot.assertNotEmitted(shown.data_shown, wait=CHANGES_SETTLE_MS + 300):
            pass
    finally:
        other.close()
    assert len(source.computed) == computed


def test_another_clients_commit_recomputes_the_charts(
    qtbot, shown: ChartsPage, runner: TaskRunner, demo_desk: Desk, demo_address: str, source, idle
) -> None:
    live = LiveUpdates(runner)
    live.watch(demo_desk)
    # The follower notes where the change log stands on the read thread, in order: a commit
    # before that would be taken as already seen.
    started: list[None] = []
    runner.read(shown, lambda _desk: None, started.append)
    qtbot.waitUntil(lambda: started == [None], timeout=10_000)
    computed = len(source.computed)
    colleague = open_desk(demo_address, login="colleague")
    try:
        with qtbot.waitSignal(shown.data_shown, timeout=10_000):
            colleague.incidents.create(make_draft(title="Logged elsewhere"), colleague.actor_id)
    finally:
        colleague.close()
        live.stop()
    assert len(source.computed) == computed + 1


def test_charts_out_of_view_are_shown_once_the_picture_in_view_came(
    qtbot, shown: ChartsPage
) -> None:
    """Their how-lines laid out beside the render of the chart in view waited for the
    interpreter lock it held, and kept the GUI thread from a frame."""
    shown.resize(1100, 300)  # only the first chart in view
    qtbot.waitUntil(lambda: shown.panels["nothing"].visibleRegion().isEmpty())
    assert not shown.panels["counts"].visibleRegion().isEmpty()
    hows_when_ready: dict[str, dict[str, str]] = {}
    shown.chart_ready.connect(
        lambda name: hows_when_ready.setdefault(
            name, {other: panel.how.text() for other, panel in shown.panels.items()}
        )
    )
    before = {name: panel.how.text() for name, panel in shown.panels.items()}
    combo = shown.filter_bar.severity
    with qtbot.waitSignal(shown.data_shown):
        combo.setCurrentIndex(combo.findData(Severity.SEV1))
    now = {name: panel.how.text() for name, panel in shown.panels.items()}
    assert now["nothing"] != before["nothing"]
    assert hows_when_ready["counts"]["counts"] == now["counts"] != before["counts"]
    assert hows_when_ready["counts"]["nothing"] == before["nothing"]  # shown after


def test_the_pictures_follow_a_change_of_font_and_of_palette(
    qtbot, shown: ChartsPage, source
) -> None:
    font = shown.font()
    font.setPointSizeF(font.pointSizeF() + 6)
    asked = len(source.palettes)
    shown.setFont(font)
    qtbot.waitUntil(lambda: len(source.palettes) > asked)
    assert source.palettes[-1].font_size == font.pointSizeF()

    palette = shown.palette()
    palette.setColor(QPalette.ColorRole.Base, QColor("#102030"))
    asked = len(source.palettes)
    shown.setPalette(palette)
    qtbot.waitUntil(lambda: len(source.palettes) > asked)
    assert source.palettes[-1].background == "#102030"
    assert source.palettes[-1].font_size == font.pointSizeF()


def test_replaced_figures_are_taken_apart_at_once_when_the_page_is_hidden(
    qtbot, shown: ChartsPage
) -> None:
    canvas = shown.panels["counts"].canvas
    first = canvas.rendered
    assert first is not None
    shown._replaced._quiet.setInterval(60_000)  # the page never gets quiet in this test
    with qtbot.waitSignal(shown.chart_ready, check_params_cb=lambda name: name == "counts"):
        shown.filter_bar.severity.setCurrentIndex(shown.filter_bar.severity.findData(Severity.SEV3))
    assert first.figure.__dict__
    shown.hide()
    qtbot.waitUntil(lambda: not first.figure.__dict__)
