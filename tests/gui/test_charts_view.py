"""The charts view in the main window, on demo data and the real statistics: opening it,
matplotlib kept off start-up, hover and click-through on real charts, the workspace, the
breakdown's table, variants, export and refresh."""

from __future__ import annotations

import csv
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QToolTip

from incidentdesk.ui.charts_filter_bar import Period
from incidentdesk.ui.charts_page import ChartsPage
from incidentdesk.ui.incident_table_model import INCIDENT_ID_ROLE
from incidentdesk.ui.main_window import CHARTS_VIEW, MainWindow
from incidentdesk.ui.statistics_source import CHARTS
from tests.gui.conftest import RecordingDialogs

REPOSITORY = Path(__file__).resolve().parents[2]
CHART_NAMES = {info.name for info in CHARTS}


def open_charts(qtbot, window: MainWindow) -> ChartsPage:
    """Ctrl+3, then every chart's first picture of the data."""
    ready: set[str] = set()
    page = window.charts_page()
    page.chart_ready.connect(ready.add)
    QTest.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: ready == CHART_NAMES, timeout=30_000)
    return page


@pytest.fixture
def charts(qtbot, window: MainWindow) -> ChartsPage:
    return open_charts(qtbot, window)


def position_of(page: ChartsPage, name: str, gid: str) -> QPoint:
    """Where, in the canvas's logical pixels, the pickable artist ``gid`` is drawn."""
    canvas = page.panels[name].canvas
    rendered = canvas.rendered
    assert rendered is not None
    figure = rendered.figure
    (artist,) = figure.findobj(lambda candidate: candidate.get_gid() == gid)
    if hasattr(artist, "get_offsets") and len(artist.get_offsets()):
        x, y = artist.get_offset_transform().transform(artist.get_offsets()[0])
    else:
        box = artist.get_window_extent()
        x, y = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
    ratio = canvas.device_pixel_ratio
    return QPoint(round(x / ratio), round((figure.bbox.height - y) / ratio))


def move_mouse(canvas: Any, position: QPoint) -> None:
    point = QPointF(position)
    canvas.mouseMoveEvent(
        QMouseEvent(
            QEvent.Type.MouseMove,
            point,
            canvas.mapToGlobal(point),
            Qt.MouseButton.NoButton,
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
        )
    )


def test_ctrl_3_and_the_view_menu_open_the_charts(qtbot, window: MainWindow) -> None:
    page = open_charts(qtbot, window)
    assert window.views.currentWidget() is page
    assert window.charts_action.isChecked()
    assert not window.filter_bar_action.isVisible()  # the charts have filters of their own
    QTest.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.views.currentIndex() == 0
    assert window.filter_bar_action.isVisible()
    menus = {action.text(): action.menu() for action in window.menuBar().actions()}
    view_menu = menus["&View"]
    assert window.charts_action in view_menu.actions()
    assert window.charts_action.shortcut().toString() == "Ctrl+3"
    window.charts_action.trigger()
    assert window.views.currentIndex() == CHARTS_VIEW
    assert window.views.currentWidget() is page


def test_matplotlib_is_imported_only_when_the_charts_open(demo_address: str) -> None:
    script = textwrap.dedent(
        f"""
        import sys
        from PySide6.QtCore import QEventLoop, QTimer
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        from incidentdesk.ui.dialogs import DialogService
        from incidentdesk.ui.main_window import MainWindow
        from incidentdesk.ui.tasks import TaskRunner
        from incidentdesk.services.drafts import DraftStore
        import tempfile, pathlib
        runner = TaskRunner()
        window = MainWindow(runner, DialogService(), DraftStore(pathlib.Path(tempfile.mkdtemp())))
        window.show()
        def wait(signal):
            loop = QEventLoop()
            signal.connect(loop.quit)
            QTimer.singleShot(30000, loop.quit)
            loop.exec()
        window.open_database({demo_address!r})
        wait(window.view_painted)
        print("painted", "matplotlib" in sys.modules)
        page = window.charts_page()
        print("page built", "matplotlib" in sys.modules)
        window.show_view(2)
        wait(page.loaded)
        print("charts shown", "matplotlib" in sys.modules)
        runner.shutdown()
        """
    )
    finished = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=REPOSITORY,
        timeout=120,
        check=False,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert finished.returncode == 0, finished.stderr
    lines = [
        line
        for line in finished.stdout.splitlines()
        if line.startswith(("painted", "page", "charts"))
    ]
    assert lines == ["painted False", "page built False", "charts shown True"]


def test_every_chart_shows_with_its_how_line_and_the_tiles(charts: ChartsPage) -> None:
    for name, panel in charts.panels.items():
        assert panel.canvas.rendered is not None, name
        assert panel.how.text().startswith("<b>How this is computed:</b>"), name
    titles = [tile.title.text() for tile in charts.tiles]
    assert titles == [
        "Median time to acknowledge",
        "Median time to recover",
        "Median time to resolve",
    ]
    for tile in charts.tiles:
        assert tile.detail.text().startswith("N ")
        assert "95 % interval" in tile.detail.text()
        assert "Before, " in tile.comparison.text()
    counts = {exclusion.kind: exclusion.count for exclusion in charts.data.exclusions}
    cancelled, duplicates = counts["cancelled"], counts["duplicates"]
    assert charts.filter_bar.include_cancelled.text() == f"{cancelled:,} cancelled"
    assert charts.filter_bar.include_duplicates.text() == f"{duplicates:,} duplicates"


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # the tooltip, offscreen
def test_hovering_a_box_shows_its_figures(qtbot, charts: ChartsPage) -> None:
    canvas = charts.panels["durations"].canvas
    hits: list[Any] = []
    canvas.hovered.connect(hits.append)
    move_mouse(canvas, position_of(charts, "durations", "durations:0"))
    assert hits
    assert hits[-1] is not None
    assert hits[-1].incident_ids
    qtbot.waitUntil(QToolTip.isVisible)
    assert QToolTip.text() == hits[-1].text


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # tooltip, workspace
def test_clicking_a_box_lists_its_incidents_and_a_double_click_opens_one(
    qtbot, charts: ChartsPage, window: MainWindow, idle
) -> None:
    panel = charts.panels["durations"]
    position = position_of(charts, "durations", "durations:0")
    hits: list[Any] = []
    panel.canvas.hovered.connect(hits.append)
    move_mouse(panel.canvas, position)
    expected = set(hits[-1].incident_ids)
    QTest.mouseClick(panel.canvas, Qt.MouseButton.LeftButton, pos=position)
    qtbot.waitUntil(lambda: panel.rows_model.rowCount() == len(expected), timeout=10_000)
    shown = {
        panel.rows_model.index(row, 0).data(INCIDENT_ID_ROLE)
        for row in range(panel.rows_model.rowCount())
    }
    assert shown == expected
    table = panel.rows_table
    charts.scroll_area.ensureWidgetVisible(table)
    index = panel.rows_model.index(0, 2)
    centre = table.visualRect(index).center()
    QTest.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    QTest.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    qtbot.waitUntil(lambda: len(window.workspaces) == 1)
    workspace = window.workspaces[0]
    qtbot.waitUntil(lambda: index.data() in workspace.windowTitle(), timeout=10_000)
    qtbot.waitUntil(idle, timeout=10_000)
    workspace.close()


def test_the_breakdown_table_sorts_and_lists_a_rows_incidents(
    qtbot, charts: ChartsPage, qtmodeltester
) -> None:
    panel = charts.panels["breakdown"]
    model = panel.summary_model
    assert panel.summary_table.isVisible()
    assert model.rowCount() > 1
    qtmodeltester.check(model)
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Category"
    counts_column = 3
    panel.summary_table.sortByColumn(counts_column, Qt.SortOrder.DescendingOrder)
    counts = [
        model.index(row, counts_column).data(Qt.ItemDataRole.UserRole)
        for row in range(model.rowCount())
    ]
    assert counts == sorted(counts, reverse=True)
    qtmodeltester.check(model)
    first = model.index(0, 0)
    panel.summary_table.activated.emit(first)
    qtbot.waitUntil(lambda: panel.rows_model.rowCount() == counts[0], timeout=10_000)
    assert first.data() in panel.rows_title.text()


def test_a_variant_redraws_only_its_chart(qtbot, charts: ChartsPage) -> None:
    panel = charts.panels["breakdown"]
    before = panel.canvas.rendered
    with qtbot.waitSignal(charts.chart_ready, check_params_cb=lambda name: name == "breakdown"):
        panel.variant.setCurrentIndex(panel.variant.findData("team"))
    assert panel.canvas.rendered is not before
    assert panel.summary_model.headerData(0, Qt.Orientation.Horizontal) == "Team"
    assert "team" in panel.how.text().lower()


@pytest.mark.parametrize(
    ("suffix", "signature"), [("png", b"\x89PNG"), ("svg", b"<?xml"), ("pdf", b"%PDF")]
)
def test_a_real_chart_exports_as_an_image(
    qtbot, charts: ChartsPage, dialogs: RecordingDialogs, tmp_path: Path, suffix, signature
) -> None:
    target = tmp_path / f"survival.{suffix}"
    dialogs.save_paths.append(target)
    with qtbot.waitSignal(charts.exported, timeout=20_000):
        charts.panels["survival"].export_actions[suffix].trigger()
    assert target.read_bytes().startswith(signature)
    assert dialogs.messages[-1][2].startswith("survival-recover-")


def test_the_rows_behind_a_real_chart_round_trip_as_csv(
    qtbot, charts: ChartsPage, dialogs: RecordingDialogs, tmp_path: Path
) -> None:
    target = tmp_path / "durations.csv"
    dialogs.save_paths.append(target)
    with qtbot.waitSignal(charts.exported, timeout=20_000):
        charts.panels["durations"].export_actions["csv"].trigger()
    header, rows = charts.data.durations.rows()
    with target.open(newline="", encoding="utf-8") as file:
        read = list(csv.reader(file))
    assert tuple(read[0]) == tuple(header)
    assert len(read) - 1 == len(rows)
    assert read[1] == [str(value) for value in rows[0]]


def test_f5_reads_the_data_again(qtbot, charts: ChartsPage, window: MainWindow) -> None:
    before = charts.data
    with qtbot.waitSignal(charts.data_shown, timeout=20_000):
        QTest.keyClick(window, Qt.Key.Key_F5)
    assert charts.data is not before
    assert charts.data.sample is not before.sample  # read afresh, not reused


def test_a_filter_change_reuses_what_was_read(qtbot, charts: ChartsPage) -> None:
    before = charts.data
    combo = charts.filter_bar.severity
    with qtbot.waitSignal(charts.data_shown, timeout=20_000):
        combo.setCurrentIndex(2)
    assert charts.data.sample is before.sample
    assert charts.data.filters.severities == {combo.currentData()}


def test_the_chart_most_in_view_is_drawn_first(qtbot, charts: ChartsPage) -> None:
    charts.scroll_area.ensureWidgetVisible(charts.panels["backlog"])
    ready: list[str] = []
    charts.chart_ready.connect(ready.append)
    with qtbot.waitSignal(charts.data_shown, timeout=20_000):
        charts.filter_bar.severity.setCurrentIndex(3)
    qtbot.waitUntil(lambda: set(ready) == CHART_NAMES, timeout=30_000)

    assert ready[0] == "backlog"  # scrolled to the bottom: the last chart, then the others


def choose_empty_period(qtbot, charts: ChartsPage) -> None:
    bar = charts.filter_bar
    with qtbot.waitSignal(charts.data_shown, timeout=20_000):
        bar.period.setCurrentIndex(bar.period.findData(Period.CUSTOM))
    with qtbot.waitSignal(charts.data_shown, timeout=20_000):
        bar.from_date.setDate(bar.from_date.date().addYears(-20))
    with qtbot.waitSignal(charts.data_shown, timeout=20_000):
        bar.to_date.setDate(bar.from_date.date().addDays(6))


def test_file_export_report_writes_the_period_report(
    qtbot, charts: ChartsPage, window: MainWindow, dialogs: RecordingDialogs, tmp_path: Path
) -> None:
    target = tmp_path / "report.pdf"
    dialogs.save_paths.append(target)
    file_menu = window.menuBar().actions()[0].menu()
    assert window.export_report_action in file_menu.actions()
    with qtbot.waitSignal(charts.exported, timeout=120_000):
        window.export_report_action.trigger()
        assert charts.status.text() == "Writing the report…"
    assert target.read_bytes().startswith(b"%PDF")
    assert charts.status.text() == ""
    assert dialogs.messages[-1][2].startswith("incident-report-")


def test_an_empty_period_says_so_on_every_chart(qtbot, charts: ChartsPage) -> None:
    choose_empty_period(qtbot, charts)
    assert charts.empty_label.isVisible()
    assert "No incidents were reported" in charts.empty_label.text()
    for name, panel in charts.panels.items():
        assert panel.canvas.rendered is None, name
        assert panel.canvas.placeholder.startswith("No incidents"), name


def test_the_report_of_an_empty_period_is_refused_in_a_sentence(
    qtbot, charts: ChartsPage, window: MainWindow, dialogs: RecordingDialogs, tmp_path: Path
) -> None:
    choose_empty_period(qtbot, charts)
    dialogs.save_paths.append(tmp_path / "report.pdf")
    window.export_report_action.trigger()
    qtbot.waitUntil(lambda: dialogs.messages[-1][0] == "warn", timeout=60_000)
    text = dialogs.messages[-1][2]
    assert text.startswith("No incidents")
    assert "Traceback" not in text
    assert not (tmp_path / "report.pdf").exists()


def test_refusals_are_logged_without_a_traceback(
    qtbot, charts: ChartsPage, dialogs: RecordingDialogs, tmp_path: Path, caplog
) -> None:
    caplog.set_level(logging.INFO)
    dialogs.save_paths.append(tmp_path / "missing folder" / "chart.png")
    charts.panels["durations"].export_actions["png"].trigger()
    qtbot.waitUntil(lambda: dialogs.messages[-1][0] == "warn", timeout=20_000)
    assert "could not be written" in dialogs.messages[-1][2]
    assert not [record for record in caplog.records if record.exc_info]
    assert any(record.levelname == "INFO" for record in caplog.records)
