"""Status update templates in the timeline composer: browsing the list applies nothing; Enter
or a click in the list fills in the chosen one."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from incidentdesk.domain.enums import EntryKind
from incidentdesk.services.desk import Desk
from incidentdesk.ui.timeline_view import TimelinePanel
from tests.factories import make_draft
from tests.gui.test_workspace import open_workspace


def composer(qtbot, desk: Desk, runner, dialogs) -> TimelinePanel:
    incident = desk.incidents.create(make_draft(title="Payments failing"), desk.actor_id)
    workspace = open_workspace(qtbot, desk, runner, dialogs, incident.id)
    workspace.activateWindow()
    qtbot.waitUntil(workspace.isActiveWindow)
    panel = workspace.timeline
    panel.entry_kind.setCurrentIndex(panel.entry_kind.findData(EntryKind.COMMUNICATION))
    panel.template.setFocus()
    return panel


def test_the_arrow_keys_move_through_the_templates_and_enter_applies_one(
    qtbot, sqlite_desk: Desk, runner, dialogs
) -> None:
    panel = composer(qtbot, sqlite_desk, runner, dialogs)
    box = panel.template

    QTest.keyClick(box, Qt.Key.Key_Down)
    assert box.currentText() == "Investigating"
    assert panel.body.toPlainText() == ""
    QTest.keyClick(box, Qt.Key.Key_Down)
    assert box.currentText() == "Identified"
    assert panel.body.toPlainText() == ""
    QTest.keyClick(box, Qt.Key.Key_Up)
    QTest.keyClick(box, Qt.Key.Key_Down)
    QTest.keyClick(box, Qt.Key.Key_Return)
    assert "we have found the cause of payments failing" in panel.body.toPlainText()
    assert QApplication.focusWidget() is panel.body


def test_typing_or_the_wheel_on_the_closed_box_applies_nothing(
    qtbot, sqlite_desk: Desk, runner, dialogs
) -> None:
    panel = composer(qtbot, sqlite_desk, runner, dialogs)
    box = panel.template
    QTest.keyClicks(box, "M")
    assert box.currentText() == "Monitoring"
    wheel = QWheelEvent(
        QPointF(5, 5),
        QPointF(box.mapToGlobal(QPoint(5, 5))),
        QPoint(),
        QPoint(0, -120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(box, wheel)
    assert panel.body.toPlainText() == ""


def test_a_click_in_the_list_applies_the_template(
    qtbot, sqlite_desk: Desk, runner, dialogs
) -> None:
    panel = composer(qtbot, sqlite_desk, runner, dialogs)
    box = panel.template
    resolved = box.findText("Resolved")
    box.setCurrentIndex(resolved)
    box.activated.emit(resolved)  # what the popup list emits for a click on an item
    assert "the problem with payments failing is over" in panel.body.toPlainText()
