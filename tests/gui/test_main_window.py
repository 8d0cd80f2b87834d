"""The main window: the incident list, search, filters, sorting, menus and remembered state."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from incidentdesk.domain.enums import Status
from incidentdesk.services.incidents import IncidentQuery, SortKey
from incidentdesk.ui.incident_table_model import COLUMNS, INCIDENT_ID_ROLE, PAGE_SIZE
from incidentdesk.ui.main_window import STATUS_FILTERS, MainWindow
from incidentdesk.ui.theme import severity_colours
from tests.gui.conftest import RecordingDialogs


@pytest.fixture
def window(window: MainWindow) -> MainWindow:
    """These tests are about the list view (the board has its own)."""
    window.show_view(1)
    return window


def column_of(key: SortKey) -> int:
    return next(index for index, (column_key, _) in enumerate(COLUMNS) if column_key is key)


def shown_keys(window: MainWindow) -> list[str]:
    model = window.model
    return [model.index(row, column_of(SortKey.KEY)).data() for row in range(model.rowCount())]


def test_opens_on_the_open_incidents_ranked_by_priority(window: MainWindow) -> None:
    model = window.model
    assert model.total == 20
    assert model.rowCount() == 20
    assert window.counts_label.text() == "20 open incidents"
    assert window.connection_label.text() == "Connected"
    assert "incidents.db" in window.database_label.text()
    priorities = [model.index(row, column_of(SortKey.PRIORITY)).data() for row in range(20)]
    assert priorities == sorted(priorities)
    statuses = {model.index(row, column_of(SortKey.STATUS)).data() for row in range(20)}
    assert statuses <= {status.label for status in Status if status.is_open}


def test_every_status_filter_shows_only_that_status(qtbot, window: MainWindow) -> None:
    desk = window.desk
    assert desk is not None
    counts = desk.incidents.status_counts()
    order = [*range(1, len(STATUS_FILTERS)), 0]  # 0 is showing already
    for index in order:
        label, statuses, _ = STATUS_FILTERS[index]
        with qtbot.waitSignal(window.model.total_changed):
            window.status_filter.setCurrentIndex(index)
        expected = sum(n for status, n in counts.items() if not statuses or status in statuses)
        assert window.model.total == expected, label
        if expected == 0:
            assert window.pages.currentWidget() is window.empty_label


def test_search_while_typing_shows_matches_and_counts(qtbot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.model.total_changed):
        window.status_filter.setCurrentIndex(1)  # all incidents
    for partial in ("c", "ce", "cer", "cert", "certif"):
        window.search.setText(partial)
    qtbot.waitUntil(lambda: window.model.query.text == "certif" and window.model.rowCount() > 0)
    qtbot.waitUntil(lambda: "certif" in window.counts_label.text())
    desk = window.desk
    assert desk is not None
    expected = desk.incidents.count(IncidentQuery(text="certif"))
    assert window.model.total == expected > 0
    for row in range(window.model.rowCount()):
        incident = desk.incidents.get(window.model.index(row, 0).data(INCIDENT_ID_ROLE))
        assert (
            "certif" in incident.title.lower()
            or "certif" in incident.draft.description.lower()
            or any("certif" in entry.body.lower() for entry in desk.timeline.entries(incident.id))
        )


def test_searching_for_a_key_finds_that_incident(qtbot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.model.total_changed):
        window.status_filter.setCurrentIndex(1)
    with qtbot.waitSignal(window.model.total_changed):
        window.search.setText("INC-123")
    assert "INC-123" in shown_keys(window)


def test_a_search_without_matches_says_so(qtbot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.model.total_changed):
        window.search.setText('zzqx "AND (')
    assert window.model.total == 0
    assert window.pages.currentWidget() is window.empty_label
    assert "No incidents match" in window.empty_label.text()
    assert "&quot;" in window.empty_label.text() or '"' in window.empty_label.text()
    with qtbot.waitSignal(window.model.total_changed):
        window.search.clear()
    assert window.pages.currentWidget() is window.table


def test_clicking_a_header_sorts_in_sql(qtbot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.model.total_changed):
        window.status_filter.setCurrentIndex(1)
    header = window.table.horizontalHeader()
    with qtbot.waitSignal(window.model.total_changed):
        header.setSortIndicator(column_of(SortKey.KEY), Qt.SortOrder.DescendingOrder)
    numbers = [int(key.split("-")[1]) for key in shown_keys(window)]
    assert numbers == sorted(numbers, reverse=True)
    assert numbers[0] == 400
    with qtbot.waitSignal(window.model.total_changed):
        header.setSortIndicator(column_of(SortKey.TITLE), Qt.SortOrder.AscendingOrder)
    titles = [window.model.index(row, column_of(SortKey.TITLE)).data() for row in range(50)]
    desk = window.desk
    assert desk is not None
    expected = [row.title for row in desk.incidents.rows(IncidentQuery(sort=SortKey.TITLE), 0, 50)]
    assert titles == expected


def test_the_list_loads_more_rows_as_it_scrolls(qtbot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.model.total_changed):
        window.status_filter.setCurrentIndex(1)
    assert window.model.total == 400
    assert window.model.rowCount() == PAGE_SIZE
    for pages in range(2, 400 // PAGE_SIZE + 1):
        window.table.scrollToBottom()
        qtbot.waitUntil(lambda pages=pages: window.model.rowCount() == pages * PAGE_SIZE)
    assert len(set(shown_keys(window))) == 400
    assert not window.model.canFetchMore()


def test_list_model_passes_the_model_tester(qtbot, qtmodeltester, window: MainWindow) -> None:
    qtmodeltester.check(window.model)
    with qtbot.waitSignal(window.model.total_changed):
        window.status_filter.setCurrentIndex(1)

    def all_fetched() -> bool:
        window.model.fetchMore()  # the next page, unless one is on its way
        return window.model.rowCount() == 400

    qtbot.waitUntil(all_fetched)
    qtmodeltester.check(window.model)


def test_find_shortcuts_focus_the_search_box(qtbot, window: MainWindow) -> None:
    window.activateWindow()
    window.table.setFocus()
    QTest.keyClick(window.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.search)
    window.table.setFocus()
    QTest.keyClick(window.table, Qt.Key.Key_Slash)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.search)


def test_window_state_is_remembered(qtbot, runner, dialogs, window: MainWindow) -> None:
    window.resize(780, 560)  # the offscreen screen is 800 × 600
    with qtbot.waitSignal(window.model.total_changed):
        window.status_filter.setCurrentIndex(1)
    window.close()
    assert QSettings().value("main_window/status_filter", type=int) == 1
    again = MainWindow(runner, dialogs)
    qtbot.addWidget(again)
    assert again.status_filter.currentIndex() == 1
    assert (again.width(), again.height()) == (780, 560)
    assert again.model.query.statuses == frozenset()


def test_a_file_that_is_not_a_database_is_explained(
    qtbot, runner, dialogs: RecordingDialogs, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.db"
    notes.write_text("shopping list: milk, eggs\n" * 100)
    window = MainWindow(runner, dialogs)
    qtbot.addWidget(window)
    window.database_failed.connect(window.offer_next_step)
    with qtbot.waitSignal(window.database_failed) as failure:
        window.open_database(f"sqlite:///{notes}")
    address, message = failure.args
    assert address == f"sqlite:///{notes}"
    assert "is not an Incident Desk database" in message
    assert dialogs.messages[-1] == ("choose", "Database Not Opened", message)
    assert window.connection_label.text() == "Not connected"
    assert window.open_action.isEnabled()


def test_try_again_reopens_the_same_address(
    qtbot, runner, dialogs: RecordingDialogs, tmp_path: Path
) -> None:
    missing_folder = tmp_path / "not-yet" / "incidents.db"
    window = MainWindow(runner, dialogs)
    qtbot.addWidget(window)
    window.database_failed.connect(window.offer_next_step)
    dialogs.answers = ["Try Again", None]
    with qtbot.waitSignals([window.database_failed, window.database_failed], timeout=10_000):
        window.open_database(f"sqlite:///{missing_folder}")
    assert [message[0] for message in dialogs.messages] == ["choose", "choose"]
    assert "does not exist" in dialogs.messages[0][2]


def test_switching_databases_keeps_the_window_working(
    qtbot, window: MainWindow, sqlite_address: str, tmp_path: Path
) -> None:
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    with qtbot.waitSignal(window.model.total_changed):
        window.open_database(empty)
    assert window.address == empty
    assert window.model.total == 0
    assert "No incidents yet" in window.empty_label.text()
    with qtbot.waitSignal(window.model.total_changed):
        window.open_database(sqlite_address)
    assert window.model.total == 20


# The list's rows, painted from images


def test_rows_of_a_search_are_drawn_off_the_gui_thread(
    qtbot, window: MainWindow, drawn_on_gui_thread: list[bool]
) -> None:
    table = window.table
    table.viewport().repaint()  # the rows shown at first: drawn as they paint
    drawn_on_gui_thread.clear()
    drawn_on = drawn_on_gui_thread
    with qtbot.waitSignal(window.model.loaded):
        window.search.setText("certificate")
    table.viewport().repaint()
    assert window.model.rowCount() > 0
    assert drawn_on
    assert not any(drawn_on)  # the GUI thread only copied the rows


def test_a_row_shows_its_severity_colour_and_the_selection(qtbot, window: MainWindow) -> None:
    table, model = window.table, window.model
    severity = model.listed(0).severity
    header = table.horizontalHeader()

    def colour_in(row: int, key: SortKey) -> QColor:
        column = column_of(key)
        x = header.sectionViewportPosition(column) + 2
        y = table.rowViewportPosition(row) + table.rowHeight(row) // 2
        return table.viewport().grab().toImage().pixelColor(x, y)

    palette = table.palette()
    assert colour_in(0, SortKey.SEVERITY) == severity_colours(severity, palette)[0]
    assert colour_in(0, SortKey.TITLE) == palette.color(QPalette.ColorRole.Base)
    assert colour_in(1, SortKey.TITLE) == palette.color(QPalette.ColorRole.AlternateBase)
    table.setFocus()
    table.selectRow(1)
    highlight = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Highlight)
    assert colour_in(1, SortKey.TITLE) == highlight
    assert colour_in(1, SortKey.SEVERITY) == highlight
    assert colour_in(0, SortKey.TITLE) == palette.color(QPalette.ColorRole.Base)
