"""The board for staff, who may not re-rank: each card says why on hover, Alt+Up/Down and a
drag within a column are refused with that reason and change nothing; moving a card on in
its lifecycle stays theirs to do. Leads re-rank as before (test_board.py)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from incidentdesk.domain.enums import Role, Severity, Status, Urgency
from incidentdesk.domain.lifecycle import Step
from incidentdesk.services.desk import Desk
from incidentdesk.services.incidents import IncidentQuery
from incidentdesk.services.lifecycle import StepRequest
from incidentdesk.storage import models as m
from incidentdesk.ui.board import CardDrop
from incidentdesk.ui.board_page import BoardPage
from incidentdesk.ui.tasks import TaskRunner
from tests.factories import make_draft
from tests.gui.conftest import RecordingDialogs

REASON = (
    "Only a lead or an admin can re-rank incidents on the board, and you are staff; ask "
    "Lena Lead to do it, or to make you a lead."
)


def open_board(qtbot, desk: Desk, runner: TaskRunner, dialogs: RecordingDialogs) -> BoardPage:
    for title in ("First", "Second"):
        incident = desk.incidents.create(
            make_draft(title=title, severity=Severity.SEV3, urgency=Urgency.HIGH), desk.actor_id
        )
        desk.lifecycle.take(incident.id, StepRequest(Step.ACKNOWLEDGE), desk.actor_id)
    desk.incidents.create(make_draft(title="New"), desk.actor_id)
    desk.catalog.create_person("Lena Lead", "lena", role=Role.LEAD)
    m.User.update(role=Role.STAFF.value).where(m.User.id == desk.actor_id).execute()
    page = BoardPage(runner, dialogs)
    qtbot.addWidget(page)
    page.resize(1400, 900)
    page.show()
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        runner.use(desk)
        page.set_desk(desk)
    qtbot.waitUntil(lambda: not runner.busy and not page.rank_permission.allowed)
    return page


def ranks(desk: Desk) -> list[tuple[int, float, int]]:
    query = m.Incident.select(m.Incident.id, m.Incident.board_rank, m.Incident.version)
    return list(query.order_by(m.Incident.id).tuples())


def test_staff_are_told_on_hover_and_alt_arrows_change_nothing(
    qtbot, sqlite_desk: Desk, runner: TaskRunner, dialogs: RecordingDialogs
) -> None:
    page = open_board(qtbot, sqlite_desk, runner, dialogs)
    column = page.grid.columns[Status.INVESTIGATING]
    tip = column.model.data(column.model.index(0, 0), Qt.ItemDataRole.ToolTipRole)
    assert tip.endswith(f"\n\n{REASON}")
    before, entries = ranks(sqlite_desk), m.TimelineEntry.select().count()

    column.view.setFocus()
    column.view.setCurrentIndex(column.model.index(0, 0))
    qtbot.keyClick(column.view, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert page.message.text() == REASON
    page.move_card(CardDrop(column.model.card(0).id, Status.INVESTIGATING, Status.INVESTIGATING, 2))
    assert page.message.text() == REASON
    qtbot.waitUntil(lambda: not runner.busy)
    assert ranks(sqlite_desk) == before
    assert m.TimelineEntry.select().count() == entries
    assert dialogs.messages == []  # a note on the board, not a dialog for each key


def test_staff_still_move_a_card_on_in_its_lifecycle(
    qtbot, sqlite_desk: Desk, runner: TaskRunner, dialogs: RecordingDialogs
) -> None:
    page = open_board(qtbot, sqlite_desk, runner, dialogs)
    logged = page.grid.columns[Status.LOGGED].model.card(0)
    with qtbot.waitSignal(page.moved, timeout=10_000):
        page.move_card(CardDrop(logged.id, Status.LOGGED, Status.TRIAGED, -1))
    board = sqlite_desk.board.columns(IncidentQuery())
    assert logged.id in [card.id for card in board[Status.TRIAGED].cards]


def test_a_lead_sees_no_note_on_the_cards(
    qtbot, sqlite_desk: Desk, runner: TaskRunner, dialogs: RecordingDialogs
) -> None:
    page = open_board(qtbot, sqlite_desk, runner, dialogs)
    m.User.update(role=Role.LEAD.value).where(m.User.id == sqlite_desk.actor_id).execute()
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.set_desk(sqlite_desk)
    qtbot.waitUntil(lambda: not runner.busy and page.rank_permission.allowed)
    column = page.grid.columns[Status.INVESTIGATING]
    tip = column.model.data(column.model.index(0, 0), Qt.ItemDataRole.ToolTipRole)
    assert "Only a lead" not in tip
