"""This program's own writes show at once in every open view: the board, the list and the
workspace of the incident, through the one change stream (``ui/changes.py``). The board's
half-minute timer is stopped in these tests: it must not be what shows the change."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from incidentdesk.domain.enums import Status
from incidentdesk.domain.lifecycle import Step
from incidentdesk.services.board import BoardCard
from incidentdesk.services.changes import changed
from incidentdesk.services.desk import Desk, open_desk
from incidentdesk.services.incidents import IncidentQuery
from incidentdesk.services.lifecycle import StepRequest
from incidentdesk.ui.changes import IncidentsChanged
from incidentdesk.ui.incident_table_model import INCIDENT_ID_ROLE, PAGE_SIZE
from incidentdesk.ui.main_window import STATUS_FILTERS, MainWindow
from incidentdesk.ui.tasks import TaskRunner
from incidentdesk.ui.workspace import IncidentWorkspace
from tests.factories import make_draft
from tests.gui.form_helpers import open_ready_form

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support raise")


@pytest.fixture
def window(window: MainWindow) -> MainWindow:
    window.board._timer.stop()
    return window


def desk_of(window: MainWindow) -> Desk:
    assert window.desk is not None
    return window.desk


def board_card(window: MainWindow, incident_id: int) -> BoardCard | None:
    for column in window.board.grid.visible_columns():
        row = column.model.row_of(incident_id)
        if row is not None:
            return column.model.card(row)
    return None


def list_row(window: MainWindow, incident_id: int) -> int | None:
    model = window.model
    return next(
        (
            r
            for r in range(model.rowCount())
            if model.index(r, 0).data(INCIDENT_ID_ROLE) == incident_id
        ),
        None,
    )


def list_text(window: MainWindow, incident_id: int, column: int) -> str | None:
    row = list_row(window, incident_id)
    return None if row is None else window.model.index(row, column).data()


TITLE_COLUMN, STATUS_COLUMN = 3, 4


def open_workspace(qtbot, window: MainWindow, incident_id: int) -> IncidentWorkspace:
    workspace = window.open_workspace(incident_id)
    assert workspace is not None
    qtbot.waitUntil(lambda: workspace.data is not None)
    return workspace


def close_when_idle(qtbot, workspace: IncidentWorkspace, idle: Callable[[], bool]) -> None:
    """Close once the refreshes the change started are in: the timeline's would otherwise
    arrive at a deleted window."""
    qtbot.waitUntil(idle)
    workspace.close()


def first_open(window: MainWindow, status: Status) -> int:
    [incident] = desk_of(window).incidents.rows(IncidentQuery(statuses=frozenset({status})), 0, 1)
    return incident.id


def test_a_new_incident_saved_in_the_form_shows_at_once_on_the_board_and_in_the_list(
    qtbot, window: MainWindow
) -> None:
    window.list_action.trigger()  # the list has shown its rows once: it must not go stale
    qtbot.waitUntil(lambda: window.model.rowCount() > 0)
    window.board_action.trigger()
    form = open_ready_form(qtbot, window)
    form.title.setText("The printer on the third floor is on fire")
    with qtbot.waitSignal(form.saved, timeout=10_000) as saved:
        form.save()
    new_id = saved.args[0].id
    qtbot.waitUntil(lambda: board_card(window, new_id) is not None, timeout=5_000)
    window.list_action.trigger()
    qtbot.waitUntil(lambda: list_row(window, new_id) is not None, timeout=5_000)


def test_an_edit_shows_at_once_in_the_list_in_front_keeping_selection_and_scroll(
    qtbot, window: MainWindow
) -> None:
    window.list_action.trigger()
    window.status_filter.setCurrentIndex(
        next(i for i, (label, _, _) in enumerate(STATUS_FILTERS) if label == "All incidents")
    )
    qtbot.waitUntil(lambda: window.model.rowCount() >= PAGE_SIZE and window.model.counted)
    table = window.table
    low_row = PAGE_SIZE * 3 // 4
    table.scrollTo(window.model.index(low_row, 0))
    table.selectRow(low_row)
    selected = window.model.index(low_row, 0).data(INCIDENT_ID_ROLE)
    scrolled = table.verticalScrollBar().value()
    assert scrolled > 0
    edited = window.model.index(low_row - 10, 0).data(INCIDENT_ID_ROLE)
    form = window.open_form(edited)
    assert form is not None
    qtbot.waitUntil(form.isEnabled)
    form.title.setText("Renamed in the form")
    form.save()
    qtbot.waitUntil(
        lambda: list_text(window, edited, TITLE_COLUMN) == "Renamed in the form", timeout=5_000
    )
    assert window.selected_incident_id() == selected
    assert table.verticalScrollBar().value() == scrolled


def test_a_step_in_the_workspace_moves_the_card_and_updates_the_list(
    qtbot, window: MainWindow, idle
) -> None:
    incident_id = first_open(window, Status.LOGGED)
    window.list_action.trigger()
    qtbot.waitUntil(lambda: list_text(window, incident_id, STATUS_COLUMN) == "Logged")
    window.board_action.trigger()
    workspace = open_workspace(qtbot, window, incident_id)
    workspace._submit_step(StepRequest(Step.TRIAGE))
    qtbot.waitUntil(
        lambda: (
            (card := board_card(window, incident_id)) is not None and card.status is Status.TRIAGED
        ),
        timeout=5_000,
    )
    qtbot.waitUntil(lambda: list_text(window, incident_id, STATUS_COLUMN) == "Triaged")
    qtbot.waitUntil(lambda: workspace.data.incident.status is Status.TRIAGED)
    close_when_idle(qtbot, workspace, idle)


def test_a_board_move_updates_the_list_and_the_open_workspace(
    qtbot, window: MainWindow, idle
) -> None:
    incident_id = first_open(window, Status.LOGGED)
    workspace = open_workspace(qtbot, window, incident_id)
    window.list_action.trigger()
    qtbot.waitUntil(lambda: list_text(window, incident_id, STATUS_COLUMN) == "Logged")
    window.board_action.trigger()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    view = window.board.grid.columns[Status.LOGGED].view
    view.setFocus()
    view.setCurrentIndex(view.model().index(view.model().row_of(incident_id), 0))
    with qtbot.waitSignal(window.board.moved, timeout=10_000):
        QTest.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: workspace.data.incident.status is Status.TRIAGED, timeout=5_000)
    qtbot.waitUntil(lambda: list_text(window, incident_id, STATUS_COLUMN) == "Triaged")
    close_when_idle(qtbot, workspace, idle)


def published(incident_id: int) -> Callable[[IncidentsChanged], bool]:
    def check(change: IncidentsChanged) -> bool:
        return incident_id in change.incident_ids

    return check


def test_a_timeline_entry_is_published_and_refreshes_the_workspace(
    qtbot, window: MainWindow, runner: TaskRunner, idle
) -> None:
    incident_id = first_open(window, Status.INVESTIGATING)
    workspace = open_workspace(qtbot, window, incident_id)
    workspace.timeline.body.setPlainText("Restarted the cache nodes")
    with (
        qtbot.waitSignal(
            runner.changes.incidents_changed,
            check_params_cb=published(incident_id),
            timeout=10_000,
        ),
        qtbot.waitSignal(workspace.loaded, timeout=10_000),
    ):
        workspace.timeline.add_entry()
    close_when_idle(qtbot, workspace, idle)


def test_a_postmortem_save_is_published(
    qtbot, window: MainWindow, runner: TaskRunner, idle
) -> None:
    desk = desk_of(window)
    incident_id = first_open(window, Status.RECOVERED)
    desk.lifecycle.take(incident_id, StepRequest(Step.START_POSTMORTEM), desk.actor_id)
    workspace = open_workspace(qtbot, window, incident_id)
    workspace.tabs.setCurrentIndex(3)
    panel = workspace.postmortem
    assert panel is not None
    qtbot.waitUntil(lambda: panel.isEnabled() and panel._version is not None, timeout=10_000)
    panel.editors["summary"].setPlainText("The cache ran out of memory.")
    with qtbot.waitSignal(
        runner.changes.incidents_changed,
        check_params_cb=published(incident_id),
        timeout=10_000,
    ):
        panel.save()
    close_when_idle(qtbot, workspace, idle)


def test_a_change_in_another_database_leaves_the_views_alone(
    qtbot, window: MainWindow, runner: TaskRunner, sqlite_address: str, tmp_path
) -> None:
    other = open_desk(f"sqlite:///{tmp_path / 'other.db'}", login="demo")
    try:
        incident = other.incidents.create(make_draft(), other.actor_id)
        change = IncidentsChanged(other, frozenset({incident.id}))
        assert not change.concerns(window.desk)
        assert change.concerns(other, incident.id)
        assert not change.concerns(other, incident.id + 1)
        requests: list[object] = []
        original = runner.read
        runner.read = lambda owner, *rest, **named: (  # type: ignore[method-assign]
            requests.append(owner),
            original(owner, *rest, **named),
        )
        runner.changes.publish(other, changed(None, [incident.id]))
        assert requests == []
        runner.read = original  # type: ignore[method-assign]
    finally:
        other.close()
