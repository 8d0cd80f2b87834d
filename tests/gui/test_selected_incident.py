"""Actions on "the selected incident" (edit, open) take the selection of the view in front,
never the current row of the hidden one."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from incidentdesk.domain.enums import Status
from incidentdesk.ui.incident_table_model import INCIDENT_ID_ROLE
from incidentdesk.ui.main_window import MainWindow

# The offscreen platform cannot raise a window; the workspace asks it to.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support raise")


def select_list_row(qtbot, window: MainWindow, row: int) -> int:
    window.list_action.trigger()
    qtbot.waitUntil(lambda: window.model.rowCount() > row)
    index = window.model.index(row, 0)
    window.table.setCurrentIndex(index)
    return int(index.data(INCIDENT_ID_ROLE))


def select_card(qtbot, window: MainWindow, status: Status, row: int) -> int:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    view = window.board.grid.columns[status].view
    view.setFocus()
    view.setCurrentIndex(view.model().index(row, 0))
    qtbot.waitUntil(view.hasFocus)
    return view.model().card(row).id


def press(key: Qt.Key) -> None:
    widget = QApplication.focusWidget()
    assert widget is not None
    QTest.keyClick(widget, key, Qt.KeyboardModifier.ControlModifier)


def test_ctrl_e_and_ctrl_enter_on_the_board_take_the_selected_card(
    qtbot, window: MainWindow
) -> None:
    in_list = select_list_row(qtbot, window, 0)
    window.board_action.trigger()
    column = window.board.grid.columns[Status.INVESTIGATING]
    row = next(r for r in range(column.model.rowCount()) if column.model.card(r).id != in_list)
    on_board = select_card(qtbot, window, Status.INVESTIGATING, row)
    assert on_board != in_list

    press(Qt.Key.Key_E)
    qtbot.waitUntil(lambda: len(window.forms) == 1)
    assert window.forms[0].incident_id == on_board
    window.forms[0].close()
    qtbot.waitUntil(lambda: not window.forms)

    select_card(qtbot, window, Status.INVESTIGATING, row)
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(window.workspaces) == 1)
    [workspace] = window.workspaces
    assert workspace.incident_id == on_board
    qtbot.waitUntil(lambda: workspace.data is not None)
    workspace.close()


def test_the_card_selected_last_counts_while_the_search_box_has_the_focus(
    qtbot, window: MainWindow
) -> None:
    select_list_row(qtbot, window, 2)
    window.board_action.trigger()
    on_board = select_card(qtbot, window, Status.TRIAGED, 0)
    window.focus_search()
    window.edit_action.trigger()
    qtbot.waitUntil(lambda: len(window.forms) == 1)
    assert window.forms[0].incident_id == on_board
    window.forms[0].close()


def test_the_list_takes_its_own_selected_row(qtbot, window: MainWindow) -> None:
    select_card(qtbot, window, Status.INVESTIGATING, 0)
    in_list = select_list_row(qtbot, window, 3)
    window.open_incident_action.trigger()
    qtbot.waitUntil(lambda: len(window.workspaces) == 1)
    [workspace] = window.workspaces
    assert workspace.incident_id == in_list
    qtbot.waitUntil(lambda: workspace.data is not None)
    workspace.close()


@pytest.mark.parametrize("front", ["board", "list"])
def test_with_nothing_selected_in_front_nothing_opens_and_the_status_bar_says_why(
    qtbot, window: MainWindow, front: str
) -> None:
    # The other view has a selection; the view in front has none.
    if front == "board":
        select_list_row(qtbot, window, 0)
        window.board_action.trigger()
        for column in window.board.grid.columns.values():
            column.view.selectionModel().clear()
    else:
        select_card(qtbot, window, Status.INVESTIGATING, 0)
        window.list_action.trigger()
        qtbot.waitUntil(lambda: window.model.rowCount() > 0)
        window.table.selectionModel().setCurrentIndex(
            QModelIndex(), QItemSelectionModel.SelectionFlag.Clear
        )
    window.edit_action.trigger()
    assert "Select an incident" in window.statusBar().currentMessage()
    window.open_incident_action.trigger()
    assert "Select an incident" in window.statusBar().currentMessage()
    assert window.forms == []
    assert window.workspaces == []
