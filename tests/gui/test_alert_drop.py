"""Alert payload files dropped onto the main window are imported in the background, and
the window says what they did; incidents from monitoring show their source on the card and
can be filtered."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from incidentdesk.domain.enums import SourceKind
from incidentdesk.services.board import BoardService
from incidentdesk.services.desk import open_desk
from incidentdesk.services.incidents import IncidentQuery
from incidentdesk.storage import models as m
from incidentdesk.ui.card_delegate import facts_line
from incidentdesk.ui.filter_bar import Filters, Me, apply_filters
from tests import intake_payloads as p
from tests.gui.conftest import RecordingDialogs, open_main_window


def drop_files(window: object, paths: list[Path]) -> bool:
    """Drag ``paths`` over the window and drop them; whether the drag was accepted."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    buttons, modifiers = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(QPoint(40, 40), Qt.DropAction.CopyAction, mime, buttons, modifiers)
    QApplication.sendEvent(window, enter)
    if not enter.isAccepted():
        QApplication.sendEvent(window, QDragLeaveEvent())  # as the window system ends a drag
        return False
    drop = QDropEvent(QPointF(40, 40), Qt.DropAction.CopyAction, mime, buttons, modifiers)
    QApplication.sendEvent(window, drop)
    return True


def monitoring_incidents(address: str) -> list[tuple[str, str]]:
    desk = open_desk(address, login="checker")
    try:
        with desk.store.bound():
            return list(
                m.Incident.select(m.Incident.title, m.Incident.source_name)
                .where(m.Incident.source_kind == SourceKind.MONITORING.value)
                .tuples()
            )
    finally:
        desk.close()


def test_a_dropped_payload_file_becomes_an_incident(
    qtbot, runner, dialogs: RecordingDialogs, sqlite_address: str, tmp_path: Path
) -> None:
    window = open_main_window(qtbot, runner, dialogs, sqlite_address)
    payload = tmp_path / "pagerduty-event.json"
    payload.write_text(json.dumps(p.pagerduty_trigger()))
    assert drop_files(window, [payload])
    qtbot.waitUntil(lambda: "created" in window.statusBar().currentMessage(), timeout=10_000)
    assert "pagerduty-event.json: pagerduty: created; incidents INC-1" in (
        window.statusBar().currentMessage()
    )
    assert monitoring_incidents(sqlite_address) == [
        ("Example alert on host1.example.com", "Sample Monitoring Service")
    ]
    assert dialogs.messages == []


def test_a_dropped_file_that_is_no_payload_is_named_with_the_reason(
    qtbot, runner, dialogs: RecordingDialogs, sqlite_address: str, tmp_path: Path
) -> None:
    window = open_main_window(qtbot, runner, dialogs, sqlite_address)
    broken = tmp_path / "broken.json"
    broken.write_text('{"receiver": "x", "alerts": [')
    assert drop_files(window, [broken])
    qtbot.waitUntil(lambda: bool(dialogs.messages), timeout=10_000)
    ((kind, title, text),) = dialogs.messages
    assert (kind, title) == ("warn", "Alerts Not Imported")
    assert text.startswith("broken.json was not imported: the body is not valid JSON")
    assert monitoring_incidents(sqlite_address) == []


def test_a_drag_of_other_files_is_left_to_the_window(
    qtbot, runner, dialogs: RecordingDialogs, sqlite_address: str, tmp_path: Path
) -> None:
    window = open_main_window(qtbot, runner, dialogs, sqlite_address)
    text = tmp_path / "notes.txt"
    text.write_text("not an alert")
    assert not drop_files(window, [text])


def test_cards_from_monitoring_name_their_source_and_the_filter_finds_them(desk) -> None:
    from incidentdesk.intake import formats
    from incidentdesk.intake.processing import IntakeService, body_request_id
    from tests.conftest import FIXED_NOW

    body = p.encoded(p.alertmanager())
    service = IntakeService(
        desk.store, desk.incidents, desk.lifecycle, desk.actor_id, lambda: FIXED_NOW
    )
    service.process(formats.parse(body, FIXED_NOW), body_request_id(body))
    from tests.factories import make_draft

    by_hand = desk.incidents.create(make_draft(), desk.actor_id)
    board = BoardService(desk.store, desk.incidents)
    alert_card, person_card = board.cards_of([1, by_hand.id])
    assert facts_line(alert_card, "5 min").startswith("From Alertmanager · ")
    assert not facts_line(person_card, "5 min").startswith("From")
    query = apply_filters(IncidentQuery(), Filters(from_monitoring=True), Me())
    assert [row.id for row in desk.incidents.rows(query)] == [alert_card.id]
    assert desk.incidents.count(apply_filters(IncidentQuery(), Filters(), Me())) == 2
