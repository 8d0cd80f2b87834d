"""The list's count line says "1 incident matches", not "1 incidents match"."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from incidentdesk.domain.enums import EntryKind
from incidentdesk.domain.timeline import NewEntry
from incidentdesk.services.incidents import IncidentQuery
from incidentdesk.ui.main_window import MainWindow


def test_one_match_is_counted_in_the_singular(qtbot, window: MainWindow) -> None:
    desk = window.desk
    assert desk is not None
    QTest.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)  # the list
    qtbot.waitUntil(lambda: window.views.currentIndex() == 1)
    with qtbot.waitSignal(window.model.total_changed):
        window.status_filter.setCurrentIndex(1)  # all incidents
    row = desk.incidents.rows(IncidentQuery(), 0, 1)[0]
    word = "quixoticzebra"
    desk.timeline.append(row.id, NewEntry(EntryKind.NOTE, word, datetime.now(UTC)), desk.actor_id)
    window.search.setText(word)
    qtbot.waitUntil(lambda: word in window.counts_label.text())
    assert window.counts_label.text() == f"1 incident matches “{word}”"
