"""Work in flight while another database opens: what was asked on the database shown before
never writes into the new one, and nothing of the old one shows in the new one's views."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtTest import QTest

from incidentdesk.domain.enums import Status
from incidentdesk.domain.lifecycle import Step
from incidentdesk.services.changes import unchanged
from incidentdesk.services.desk import open_desk
from incidentdesk.services.incidents import IncidentQuery
from incidentdesk.services.lifecycle import StepRequest
from incidentdesk.ui.board import CardDrop
from incidentdesk.ui.main_window import MainWindow
from incidentdesk.ui.tasks import TaskRunner
from tests.gui.conftest import make_demo_database
from tests.gui.form_helpers import open_ready_form

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support raise")


class HeldWrites:
    """Holds the write thread, so that an opening queued behind it waits."""

    def __init__(self, runner: TaskRunner, window: MainWindow) -> None:
        self._gate = threading.Event()
        runner.write(window, lambda _desk: unchanged(self._gate.wait(20)), lambda _: None)

    def release(self) -> None:
        self._gate.set()


def status_in(address: str, incident_id: int) -> Status:
    desk = open_desk(address, login="checker")
    try:
        return desk.incidents.get(incident_id).status
    finally:
        desk.close()


def test_a_step_dialog_of_the_old_database_never_writes_into_the_new_one(
    qtbot, window: MainWindow, runner: TaskRunner, idle, tmp_path: Path
) -> None:
    board = window.board
    column = board.grid.columns[Status.INVESTIGATING].model
    qtbot.waitUntil(lambda: column.rowCount() > 0)
    card = column.card(0)
    other = f"sqlite:///{tmp_path / 'other.db'}"
    make_demo_database(other, 400)
    assert status_in(other, card.id) is Status.INVESTIGATING  # the same id means another one
    held = HeldWrites(runner, window)
    window.open_database(other)  # opening… (a slow server, a migration)
    board.move_card(CardDrop(card.id, Status.INVESTIGATING, Status.RECOVERED, -1))
    qtbot.waitUntil(lambda: getattr(board, "step_dialog", None) is not None)
    dialog = board.step_dialog
    dialog.note.setPlainText("Restarted the gateway")
    with qtbot.waitSignal(window.database_opened, timeout=10_000):
        held.release()
    assert not dialog.isVisible()  # closed with the board of the old database
    dialog.accept()  # even if it were accepted now, nothing would be written
    qtbot.waitUntil(idle)
    assert status_in(other, card.id) is Status.INVESTIGATING


def test_a_move_made_while_another_database_opens_is_not_undone_on_the_new_one(
    qtbot, window: MainWindow, runner: TaskRunner, idle, tmp_path: Path
) -> None:
    board = window.board
    column = board.grid.columns[Status.LOGGED].model
    qtbot.waitUntil(lambda: column.rowCount() > 0)
    card = column.card(0)
    other = f"sqlite:///{tmp_path / 'other.db'}"
    make_demo_database(other, 400)
    b = open_desk(other, login="demo")  # B's incident of that id as A's will be after the move
    try:
        assert b.incidents.get(card.id).version == card.version
        b.lifecycle.take(card.id, StepRequest(Step.TRIAGE), b.actor_id)
    finally:
        b.close()
    held = HeldWrites(runner, window)
    window.open_database(other)
    board.move_card(CardDrop(card.id, Status.LOGGED, Status.TRIAGED, -1))  # on A, queued
    with qtbot.waitSignal(window.database_opened, timeout=10_000):
        held.release()
    qtbot.waitUntil(idle)
    board.undo()  # Ctrl+Z on the new database's board
    qtbot.waitUntil(idle)
    assert "no move to take back" in board.message.text()
    assert status_in(other, card.id) is Status.TRIAGED


def test_a_form_saved_while_another_database_opens_leaves_no_draft(
    qtbot, window: MainWindow, runner: TaskRunner, idle, tmp_path: Path
) -> None:
    other = f"sqlite:///{tmp_path / 'other.db'}"
    desk_a = window.desk
    assert desk_a is not None
    form = open_ready_form(qtbot, window)
    QTest.keyClicks(form.title, "Saved while B opened")
    held = HeldWrites(runner, window)
    window.open_database(other)
    saved: list[object] = []
    form.saved.connect(saved.append)
    form.save()  # queued behind the opening, on A
    with qtbot.waitSignal(window.database_opened, timeout=10_000):
        held.release()
    qtbot.waitUntil(idle)
    qtbot.waitUntil(lambda: not shiboken6.isValid(form))
    assert len(saved) == 1
    assert window._drafts.made_on(desk_a.identity) == []  # not offered again in A


def test_a_count_of_the_old_database_is_not_shown_for_the_new_one(
    qtbot, window: MainWindow, runner: TaskRunner, idle, tmp_path: Path
) -> None:
    model = window.model
    with qtbot.waitSignal(model.total_changed, timeout=10_000):
        model.set_query(IncidentQuery())
    qtbot.waitUntil(idle)
    old_total = model.total
    gate = threading.Event()
    held: list[bool] = []

    def hold_reads() -> None:  # queued just before the count of the old database's list
        if not held:
            held.append(True)
            runner.read(window, lambda _desk: gate.wait(20), lambda _: None)

    model.loaded.connect(hold_reads)
    with qtbot.waitSignal(model.loaded):
        model.refresh()
    totals: list[int] = []
    with qtbot.waitSignal(window.database_opened, timeout=10_000):
        window.open_database(f"sqlite:///{tmp_path / 'other.db'}")
    model.total_changed.connect(totals.append)
    gate.set()
    qtbot.waitUntil(idle)
    assert old_total not in totals


def test_an_overtaken_chart_render_is_released(
    qtbot, window: MainWindow, runner: TaskRunner, idle, monkeypatch: pytest.MonkeyPatch
) -> None:
    from incidentdesk.charts import figures
    from incidentdesk.ui import chart_render

    charts = window.charts_page()
    window.show_view(2)
    qtbot.waitUntil(
        lambda: charts.is_loaded and charts.panels["durations"].canvas.rendered is not None,
        timeout=20_000,
    )
    qtbot.waitUntil(idle)
    panel = charts.panels["durations"]
    made, released = [], []
    started, proceed = threading.Event(), threading.Event()
    real_render, real_release = chart_render.render, figures.release

    def render(*arguments):  # type: ignore[no-untyped-def]
        rendered = real_render(*arguments)
        made.append(rendered.figure)
        if len(made) == 1:
            started.set()
            proceed.wait(20)
        return rendered

    def release(figure):  # type: ignore[no-untyped-def]
        released.append(figure)
        real_release(figure)

    monkeypatch.setattr(chart_render, "render", render)
    monkeypatch.setattr(figures, "release", release)
    charts._render(panel)  # started on the read thread
    assert started.wait(20)
    charts._render(panel)  # the window was resized meanwhile
    proceed.set()
    # Taken apart once the page is quiet (ChartsPage._release), not at once.
    qtbot.waitUntil(lambda: any(figure is made[0] for figure in released))
    qtbot.waitUntil(idle)
    assert panel.canvas.rendered is not None
    assert panel.canvas.rendered.figure is made[1]
