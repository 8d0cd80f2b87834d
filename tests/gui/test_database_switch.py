"""Opening another database closes the windows of the one left, and nothing they started
or hold can be written into the new one."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtTest import QTest

from incidentdesk.domain.enums import EntryKind
from incidentdesk.domain.timeline import NewEntry
from incidentdesk.services.changes import changed
from incidentdesk.services.desk import open_desk
from incidentdesk.services.incidents import IncidentQuery
from incidentdesk.ui.main_window import OPEN_ANYWAY, RESTORE, MainWindow
from incidentdesk.ui.tasks import TaskRunner
from incidentdesk.ui.workspace import IncidentWorkspace
from tests.factories import make_draft
from tests.gui.conftest import RecordingDialogs
from tests.gui.form_helpers import open_ready_form

# Opening a workspace raises its window, which the offscreen platform cannot do.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support raise")


def first_incident_id(window: MainWindow) -> int:
    assert window.desk is not None
    return window.desk.incidents.rows(IncidentQuery(), limit=1)[0].id


def open_loaded_workspace(qtbot, window: MainWindow, incident_id: int) -> IncidentWorkspace:
    workspace = window.open_workspace(incident_id)
    assert workspace is not None
    qtbot.waitUntil(lambda: workspace.data is not None)
    return workspace


def switch_to(qtbot, window: MainWindow, address: str) -> None:
    with qtbot.waitSignal(window.database_opened, timeout=10_000):
        window.open_database(address)


def entries_with(address: str, incident_id: int, body: str) -> list[str]:
    desk = open_desk(address, login="checker")
    try:
        return [e.body for e in desk.timeline.entries(incident_id) if e.body == body]
    finally:
        desk.close()


def test_a_save_from_the_old_databases_workspace_never_lands_in_the_new_one(
    qtbot, window: MainWindow, runner: TaskRunner, demo_address: str, tmp_path: Path
) -> None:
    # The other database has an incident of the same id, which a stray write could reach.
    other = f"sqlite:///{tmp_path / 'other.db'}"
    other_desk = open_desk(other, login="other")
    try:
        same_id = other_desk.incidents.create(make_draft(title="Other's own"), None).id
    finally:
        other_desk.close()
    assert window.desk is not None
    assert window.desk.incidents.get(same_id) is not None
    incident_id = same_id
    workspace = open_loaded_workspace(qtbot, window, incident_id)
    # A note sent just before the switch, then the switch while it may still be queued.
    workspace.timeline.body.setPlainText("Sent as the database changed")
    workspace.timeline.add_entry()
    switch_to(qtbot, window, other)
    qtbot.waitUntil(lambda: not shiboken6.isValid(workspace))
    assert window.workspaces == []
    assert window.desk is not None
    assert window.desk.store.location.url == other

    # A write asked for after the switch runs on the database open now.
    note = NewEntry(EntryKind.NOTE, "Written after the switch", datetime.now(UTC))
    with qtbot.waitSignal(runner.busy_changed, check_params_cb=lambda busy: not busy):
        runner.write(
            window,
            lambda desk: changed(desk.timeline.append(incident_id, note, None), [incident_id]),
            lambda _: None,
        )

    assert entries_with(demo_address, incident_id, "Sent as the database changed") == [
        "Sent as the database changed"
    ]
    assert entries_with(other, incident_id, "Sent as the database changed") == []
    assert entries_with(other, incident_id, "Written after the switch") == [
        "Written after the switch"
    ]
    assert entries_with(demo_address, incident_id, "Written after the switch") == []
    assert [row.title for row in window.desk.incidents.rows(IncidentQuery())] == ["Other's own"]


def test_a_form_closed_by_a_switch_keeps_its_typing_as_a_draft_of_its_database(
    qtbot, window: MainWindow, dialogs: RecordingDialogs, demo_address: str, tmp_path: Path
) -> None:
    other = f"sqlite:///{tmp_path / 'other.db'}"
    form = open_ready_form(qtbot, window)
    QTest.keyClicks(form.title, "Typed before the switch")
    switch_to(qtbot, window, other)
    qtbot.waitUntil(lambda: not shiboken6.isValid(form))
    assert window.forms == []
    assert "kept as a draft" in window.statusBar().currentMessage()
    assert not [message for message in dialogs.messages if message[0] == "choose"]

    dialogs.answers = [RESTORE]
    switch_to(qtbot, window, demo_address)
    qtbot.waitUntil(lambda: len(window.forms) == 1)
    restored = window.forms[0]
    qtbot.waitUntil(restored.isEnabled)
    assert restored.title.text() == "Typed before the switch"
    assert dialogs.messages[-1][1] == "Restore Unsaved Incident?"


def test_unsaved_text_in_a_workspace_is_asked_about_before_switching(
    qtbot, window: MainWindow, dialogs: RecordingDialogs, demo_address: str, tmp_path: Path
) -> None:
    other = f"sqlite:///{tmp_path / 'other.db'}"
    workspace = open_loaded_workspace(qtbot, window, first_incident_id(window))
    workspace.timeline.body.setPlainText("Half a sentence")
    dialogs.answers = [None]  # cancelled: nothing changes
    window.open_database(other)
    assert window.address == demo_address
    assert window.workspaces == [workspace]
    title, text = dialogs.messages[-1][1:]
    assert title == "Open Another Database?"
    assert workspace.data is not None
    assert workspace.data.incident.key in text

    dialogs.answers = [OPEN_ANYWAY]
    switch_to(qtbot, window, other)
    qtbot.waitUntil(lambda: not shiboken6.isValid(workspace))
    assert window.address == other


def test_text_typed_while_another_database_opens_is_asked_about_when_it_has(
    qtbot, window: MainWindow, dialogs: RecordingDialogs, demo_address: str, tmp_path: Path
) -> None:
    other = f"sqlite:///{tmp_path / 'other.db'}"
    workspace = open_loaded_workspace(qtbot, window, first_incident_id(window))
    asked = len(dialogs.messages)
    window.open_database(other)  # nothing unsaved yet: no question
    assert len(dialogs.messages) == asked
    workspace.timeline.body.setPlainText("Typed while it opened")
    dialogs.answers = [None]  # cancelled: the window and its text stay
    qtbot.waitUntil(lambda: len(dialogs.messages) > asked, timeout=10_000)
    assert dialogs.messages[-1][1] == "Open Another Database?"
    assert window.address == demo_address
    assert window.workspaces == [workspace]
    assert workspace.timeline.body.toPlainText() == "Typed while it opened"
    assert window.open_action.isEnabled()
