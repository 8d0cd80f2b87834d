"""The incident workspace: lifecycle steps, the timeline log, exports."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest

from incidentdesk.domain.enums import ActionKind, EntryKind, Role, Severity, Status
from incidentdesk.domain.lifecycle import Step
from incidentdesk.domain.timeline import NewEntry
from incidentdesk.services.desk import Desk, open_desk
from incidentdesk.services.lifecycle import StepRequest
from incidentdesk.services.postmortems import PostmortemText
from incidentdesk.storage import models as m
from incidentdesk.storage.bulk import bulk_insert
from incidentdesk.storage.database import DatabaseUnavailable
from incidentdesk.ui.exports import ExportFormat
from incidentdesk.ui.step_dialog import StepDialog
from incidentdesk.ui.tasks import TaskRunner
from incidentdesk.ui.timeline_view import TimelineModel
from incidentdesk.ui.times import to_qt
from incidentdesk.ui.workspace import IncidentWorkspace
from tests.conftest import LoseReplies
from tests.factories import make_draft
from tests.gui.conftest import RecordingDialogs, record_write_ids, sent_twice


@pytest.fixture
def team_desk(database_address: str) -> Iterator[Desk]:
    """A desk with a front-line team and a database team, on each engine."""
    desk = open_desk(database_address, login="tester")
    desk.catalog.create_team("Service Desk", escalation_order=0)
    desk.catalog.create_team("Database Team", escalation_order=1)
    yield desk
    desk.close()


def open_workspace(
    qtbot, desk: Desk, runner: TaskRunner, dialogs: RecordingDialogs, incident_id: int
) -> IncidentWorkspace:
    runner.use(desk)
    workspace = IncidentWorkspace(desk, runner, dialogs, incident_id)
    qtbot.addWidget(workspace)
    workspace.show()
    qtbot.waitUntil(lambda: workspace.data is not None and workspace.timeline.model.rowCount() > 0)
    return workspace


def step_dialog(qtbot, workspace: IncidentWorkspace, step: Step) -> StepDialog:
    """Press the step's button and wait for its dialog, which opens once its lists are read."""
    shown_before = getattr(workspace, "step_dialog", None)
    workspace.step_buttons[step].click()
    qtbot.waitUntil(
        lambda: (
            getattr(workspace, "step_dialog", None) not in (None, shown_before)
            and workspace.step_dialog.isVisible()
        ),
        timeout=10_000,
    )
    return workspace.step_dialog


def take_step(qtbot, workspace: IncidentWorkspace, step: Step, note: str = "") -> None:
    """Press the step's button, fill its dialog and wait for the refreshed workspace."""
    before = workspace.data
    dialog = step_dialog(qtbot, workspace, step)
    dialog.note.setPlainText(note)
    with qtbot.waitSignal(workspace.loaded, timeout=10_000):
        dialog._accept_if_complete()
    assert workspace.data is not before
    workspace.step_dialog = None


def test_a_major_incident_walks_from_logged_to_closed(
    qtbot, team_desk: Desk, runner: TaskRunner, dialogs: RecordingDialogs
) -> None:
    desk = team_desk
    front_line = desk.catalog.teams()[0].id
    incident = desk.incidents.create(
        make_draft(severity=Severity.SEV2, team_id=front_line), desk.actor_id
    )
    workspace = open_workspace(qtbot, desk, runner, dialogs, incident.id)
    assert workspace.heading.text() == f"{incident.key} · {incident.title}"
    assert workspace.severity_badge.text().strip() == "SEV2"
    visible = {step for step, button in workspace.step_buttons.items() if button.isVisible()}
    assert visible == {Step.TRIAGE, Step.ACKNOWLEDGE, Step.ESCALATE, Step.RECOVER, Step.CANCEL}

    take_step(qtbot, workspace, Step.ACKNOWLEDGE, "Looking at the error rate")
    assert desk.incidents.get(incident.id).milestones.acknowledged_at is not None

    workspace.step_buttons[Step.ESCALATE].click()
    qtbot.waitUntil(lambda: getattr(workspace, "step_dialog", None) is not None)
    dialog = workspace.step_dialog
    assert dialog.team.currentText() == "Database Team"  # next in the escalation order
    dialog.note.setPlainText("Replication lag, needs a DBA")
    with qtbot.waitSignal(workspace.loaded, timeout=10_000):
        dialog._accept_if_complete()
    escalated = desk.incidents.get(incident.id)
    assert (escalated.team_name, escalated.draft.escalation_level.label) == ("Database Team", "L2")

    take_step(qtbot, workspace, Step.RECOVER, "Failed over to the replica")
    take_step(qtbot, workspace, Step.START_POSTMORTEM)
    assert workspace.data is not None
    assert workspace.data.incident.status is Status.POSTMORTEM

    close = workspace.step_buttons[Step.CLOSE]
    assert close.isVisible()
    assert not close.isEnabled()
    assert "root cause" in close.toolTip()
    workspace.take_step(Step.CLOSE)
    assert dialogs.messages[-1][0] == "warn"
    assert "root cause" in dialogs.messages[-1][2]

    view = desk.postmortems.get(incident.id)
    assert view is not None
    desk.postmortems.save_text(
        incident.id,
        PostmortemText(root_cause="Disk full on the primary"),
        view.version,
        desk.actor_id,
        base=view.text,
    )
    desk.postmortems.add_action_item(
        incident.id, "Alert at 80 % disk", ActionKind.DETECT, None, None, desk.actor_id
    )
    with qtbot.waitSignal(workspace.loaded):
        workspace.refresh()
    take_step(qtbot, workspace, Step.CLOSE)
    closed = desk.incidents.get(incident.id)
    assert closed.status is Status.CLOSED
    assert closed.milestones.closed_at is not None
    kinds = [entry.kind for entry in desk.timeline.entries(incident.id)]
    assert kinds.count(EntryKind.ESCALATION) == 1
    assert kinds.count(EntryKind.STATUS_CHANGE) >= 5


def test_a_step_that_needs_a_note_says_so(qtbot, sqlite_desk: Desk, runner, dialogs) -> None:
    incident = sqlite_desk.incidents.create(make_draft(), sqlite_desk.actor_id)
    workspace = open_workspace(qtbot, sqlite_desk, runner, dialogs, incident.id)
    workspace.step_buttons[Step.RECOVER].click()
    qtbot.waitUntil(lambda: getattr(workspace, "step_dialog", None) is not None)
    workspace.step_dialog._accept_if_complete()
    assert workspace.step_dialog.isVisible()
    assert workspace.step_dialog.problem.text() == "Fill in “What was repaired”."
    assert sqlite_desk.incidents.get(incident.id).status is Status.LOGGED


def test_every_kind_of_entry_can_be_added_pinned_and_corrected(
    qtbot, team_desk: Desk, runner: TaskRunner, dialogs: RecordingDialogs
) -> None:
    desk = team_desk
    incident = desk.incidents.create(make_draft(title="Payments failing"), desk.actor_id)
    workspace = open_workspace(qtbot, desk, runner, dialogs, incident.id)
    panel = workspace.timeline
    for kind, text in (
        (EntryKind.NOTE, "Customers **cannot** pay"),
        (EntryKind.FINDING, "The certificate expired at 09:12"),
        (EntryKind.ACTION_TAKEN, "Renewed the certificate"),
    ):
        panel.entry_kind.setCurrentIndex(panel.entry_kind.findData(kind))
        panel.body.setPlainText(text)
        count = panel.model.rowCount()
        QTest.keyClick(panel.body, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda count=count: panel.model.rowCount() == count + 1)
    panel.entry_kind.setCurrentIndex(panel.entry_kind.findData(EntryKind.COMMUNICATION))
    assert panel.template.isVisible()
    panel.template.setCurrentIndex(panel.template.findText("Investigating"))
    panel.template.activated.emit(panel.template.findText("Investigating"))
    assert "we are investigating reports of payments failing" in panel.body.toPlainText()
    panel.audience.setCurrentIndex(panel.audience.findText("External"))
    count = panel.model.rowCount()
    panel.add_entry()
    qtbot.waitUntil(lambda: panel.model.rowCount() == count + 1)

    entries = desk.timeline.entries(incident.id)
    communication = next(entry for entry in entries if entry.kind is EntryKind.COMMUNICATION)
    assert communication.kind is EntryKind.COMMUNICATION
    assert communication.details == {"audience": "external", "channel": "chat"}

    finding_row = next(
        row
        for row in range(panel.model.rowCount())
        if panel.model.entry(row).kind is EntryKind.FINDING
    )
    panel.view.setCurrentIndex(panel.model.index(finding_row))
    panel.toggle_pin()
    qtbot.waitUntil(
        lambda: any(panel.model.entry(row).pinned for row in range(panel.model.rowCount()))
    )
    assert [entry.body for entry in desk.timeline.entries(incident.id) if entry.pinned] == [
        "The certificate expired at 09:12"
    ]

    finding_row = next(
        row
        for row in range(panel.model.rowCount())
        if panel.model.entry(row).kind is EntryKind.FINDING
    )
    panel.view.setCurrentIndex(panel.model.index(finding_row))
    panel.start_amending()
    panel.body.setPlainText("The certificate expired at 09:02")
    count = panel.model.rowCount()
    panel.add_entry()
    qtbot.waitUntil(lambda: panel.model.rowCount() == count + 1)
    entries = desk.timeline.entries(incident.id)
    original = next(entry for entry in entries if entry.body.endswith("09:12"))
    correction = next(entry for entry in entries if entry.body.endswith("09:02"))
    assert correction.amends_id == original.id  # the original stays, the correction points at it

    panel.view.setCurrentIndex(panel.model.index(panel.model.row_of(communication.id)))
    panel.copy_text_button.click()
    assert QGuiApplication.clipboard().text().startswith(f"{incident.key} · ")
    panel.copy_markdown_button.click()
    assert QGuiApplication.clipboard().text().startswith(f"**{incident.key} · ")

    panel.kind_filter.setCurrentIndex(panel.kind_filter.findData(EntryKind.FINDING))
    assert {panel.model.entry(row).kind for row in range(panel.model.rowCount())} == {
        EntryKind.FINDING
    }
    panel.kind_filter.setCurrentIndex(0)
    assert panel.order.currentText() == "Newest first"  # the default while working on it
    newest_first = [panel.model.entry(row).id for row in range(panel.model.rowCount())]
    panel.order.setCurrentIndex(0)
    oldest_first = [panel.model.entry(row).id for row in range(panel.model.rowCount())]
    assert newest_first == oldest_first[::-1]


def test_an_empty_entry_is_refused_with_a_message(
    qtbot, sqlite_desk: Desk, runner, dialogs
) -> None:
    incident = sqlite_desk.incidents.create(make_draft(), sqlite_desk.actor_id)
    workspace = open_workspace(qtbot, sqlite_desk, runner, dialogs, incident.id)
    workspace.timeline.body.setPlainText("   ")
    workspace.timeline.add_entry()
    assert workspace.timeline.problem.text() == "Write the entry first."
    assert len(sqlite_desk.timeline.entries(incident.id)) == 1


def test_a_timeline_that_cannot_be_read_says_so_in_the_panel(
    qtbot, sqlite_desk: Desk, runner, dialogs, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident = sqlite_desk.incidents.create(make_draft(), sqlite_desk.actor_id)
    workspace = open_workspace(qtbot, sqlite_desk, runner, dialogs, incident.id)

    def unavailable(*_: object, **__: object) -> None:
        raise DatabaseUnavailable("The database is busy; try again in a moment.")

    monkeypatch.setattr(sqlite_desk.timeline, "entries", unavailable)
    workspace.timeline.refresh()
    qtbot.waitUntil(lambda: "could not be loaded" in workspace.timeline.problem.text())
    assert "The database is busy; try again in a moment." in workspace.timeline.problem.text()
    assert workspace.timeline.model.rowCount() == 1  # what it showed stays
    assert dialogs.messages == []


def test_the_incident_exports_to_markdown_and_pdf(
    qtbot, sqlite_desk: Desk, runner, dialogs, tmp_path: Path
) -> None:
    incident = sqlite_desk.incidents.create(
        make_draft(title="Search returns nothing"), sqlite_desk.actor_id
    )
    sqlite_desk.timeline.append(
        incident.id,
        NewEntry(EntryKind.FINDING, "Index rebuild stuck", datetime.now(UTC)),
        sqlite_desk.actor_id,
    )
    workspace = open_workspace(qtbot, sqlite_desk, runner, dialogs, incident.id)
    markdown, pdf = tmp_path / "incident.md", tmp_path / "incident.pdf"
    with qtbot.waitSignal(workspace.exported, timeout=10_000):
        workspace.export(ExportFormat.MARKDOWN, markdown)
    text = markdown.read_text(encoding="utf-8")
    assert text.startswith(f"# {incident.key} — Search returns nothing")
    assert "Index rebuild stuck" in text
    with qtbot.waitSignal(workspace.exported, timeout=20_000):
        workspace.export(ExportFormat.PDF, pdf)
    assert pdf.read_bytes().startswith(b"%PDF")


def test_a_timeline_of_5000_entries_opens(
    qtbot, qtmodeltester, sqlite_desk: Desk, runner, dialogs
) -> None:
    incident = sqlite_desk.incidents.create(make_draft(), sqlite_desk.actor_id)
    start = datetime.now(UTC) - timedelta(days=2)
    with sqlite_desk.store.write():
        bulk_insert(
            m.TimelineEntry,
            [
                {
                    "incident": incident.id,
                    "kind": EntryKind.NOTE.value,
                    "body": f"Update {number}\nline two",
                    "details": json.dumps({}),
                    "author": sqlite_desk.actor_id,
                    "occurred_at": start + timedelta(seconds=number),
                    "recorded_at": start + timedelta(seconds=number),
                    "pinned": False,
                    "amends": None,
                }
                for number in range(5000)
            ],
        )
    workspace = open_workspace(qtbot, sqlite_desk, runner, dialogs, incident.id)
    qtbot.waitUntil(lambda: workspace.timeline.model.rowCount() == 5001)
    view = workspace.timeline.view
    view.scrollToBottom()
    qtmodeltester.check(workspace.timeline.model)
    # Home and End go to the newest entry (the incident logged now) and the oldest (two days
    # ago); arrows move one entry.
    view.setFocus()
    QTest.keyClick(view, Qt.Key.Key_End)
    assert view.currentIndex().row() == 5000
    assert workspace.timeline.model.entry(5000).body == "Update 0\nline two"
    QTest.keyClick(view, Qt.Key.Key_Up)
    assert view.currentIndex().row() == 4999
    QTest.keyClick(view, Qt.Key.Key_Home)
    assert view.currentIndex().row() == 0
    assert workspace.timeline.model.entry(1).body == "Update 4999\nline two"
    # Rows are as tall as the font asks, also after it changes.
    row_height = view.rowHeight(0)
    font = view.font()
    font.setPointSizeF(font.pointSizeF() * 1.5)
    view.setFont(font)
    assert view.rowHeight(0) > row_height


def test_the_timeline_model_passes_the_model_tester(qtmodeltester, sqlite_desk: Desk) -> None:
    incident = sqlite_desk.incidents.create(make_draft(), sqlite_desk.actor_id)
    model = TimelineModel()
    model.set_entries(sqlite_desk.timeline.entries(incident.id))
    qtmodeltester.check(model)
    model.set_filter(frozenset({EntryKind.NOTE}), newest_first=True)
    qtmodeltester.check(model)


def test_a_lead_corrects_a_milestone_and_the_correction_is_logged(
    qtbot, sqlite_address: str, runner: TaskRunner, dialogs: RecordingDialogs
) -> None:
    desk = open_desk(sqlite_address, login="lead")
    try:
        desk.catalog.create_person("Lena Lead", "lena", role=Role.LEAD)
        desk.close()
        desk = open_desk(sqlite_address, login="lena")
        incident = desk.incidents.create(make_draft(), desk.actor_id)
        acknowledged = datetime.now(UTC) - timedelta(minutes=25)
        desk.lifecycle.take(
            incident.id, StepRequest(Step.ACKNOWLEDGE, at=acknowledged), desk.actor_id
        )
        desk.lifecycle.take(incident.id, StepRequest(Step.RECOVER, note="Restarted"), desk.actor_id)
        workspace = open_workspace(qtbot, desk, runner, dialogs, incident.id)
        assert workspace.correct_button.isVisible()
        workspace.correct_times()
        dialog = workspace.milestone_dialog
        change, edit, _ = dialog.edits["recovered_at"]
        change.setChecked(True)
        earlier = edit.dateTime().addSecs(-600)
        edit.setDateTime(earlier)
        dialog._accept_if_complete()
        assert dialog.problem.text() == "Say why the time is corrected."
        dialog.reason.setText("Monitoring shows recovery ten minutes earlier")
        with qtbot.waitSignal(workspace.loaded, timeout=10_000):
            dialog._accept_if_complete()
        corrected = desk.incidents.get(incident.id).milestones.recovered_at
        assert corrected is not None
        assert int(corrected.timestamp()) == earlier.toSecsSinceEpoch()
        entry = desk.timeline.entries(incident.id)[-1]
        assert entry.kind is EntryKind.FIELD_CHANGE
        assert entry.body.startswith("Recovered time corrected:")
        assert entry.details["reason"] == "Monitoring shows recovery ten minutes earlier"
    finally:
        desk.close()


def test_staff_see_the_correction_button_disabled_with_the_reason(
    qtbot, sqlite_desk: Desk, runner, dialogs
) -> None:
    m.User.update(role=Role.STAFF.value).where(m.User.id == sqlite_desk.actor_id).execute()
    sqlite_desk.catalog.create_person("Lena Lead", "lena", role=Role.LEAD)
    incident = sqlite_desk.incidents.create(make_draft(), sqlite_desk.actor_id)
    workspace = open_workspace(qtbot, sqlite_desk, runner, dialogs, incident.id)
    assert workspace.correct_button.isVisible()
    assert not workspace.correct_button.isEnabled()
    assert workspace.correct_button.toolTip() == (
        "Only a lead or an admin can correct milestone times, and you are staff; ask Lena "
        "Lead to do it, or to make you a lead."
    )


def test_leads_and_admins_may_correct_times(qtbot, sqlite_desk: Desk, runner, dialogs) -> None:
    incident = sqlite_desk.incidents.create(make_draft(), sqlite_desk.actor_id)
    for role in (Role.ADMIN, Role.LEAD):
        m.User.update(role=role.value).where(m.User.id == sqlite_desk.actor_id).execute()
        workspace = open_workspace(qtbot, sqlite_desk, runner, dialogs, incident.id)
        assert workspace.correct_button.isEnabled()
        assert workspace.correct_button.toolTip() == (
            "Correct when a milestone happened; it is logged"
        )


def test_files_dropped_on_the_log_are_attached_with_an_entry(
    qtbot, sqlite_desk: Desk, runner, dialogs, tmp_path: Path
) -> None:
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent

    incident = sqlite_desk.incidents.create(make_draft(), sqlite_desk.actor_id)
    workspace = open_workspace(qtbot, sqlite_desk, runner, dialogs, incident.id)
    log = tmp_path / "worker.log"
    log.write_text("OOMKilled worker-7 at 10:42\n" * 50)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(log))])
    panel = workspace.timeline
    enter = QDragEnterEvent(
        QPointF(20, 20).toPoint(),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    panel.dragEnterEvent(enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        QPointF(20, 20),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    with qtbot.waitSignal(panel.changed, timeout=10_000):
        panel.dropEvent(drop)
    assert [file.filename for file in sqlite_desk.attachments.for_incident(incident.id)] == [
        "worker.log"
    ]
    assert sqlite_desk.timeline.entries(incident.id)[-1].kind is EntryKind.ATTACHMENT
    assert panel.problem.text() == "Attached 1 file."


# Steps and corrections made again after their reply was lost: applied once


def bodies(desk: Desk, incident_id: int, kind: EntryKind) -> list[str]:
    return [entry.body for entry in desk.timeline.entries(incident_id) if entry.kind is kind]


@pytest.mark.usefixtures("retry_by_hand")
def test_a_step_taken_again_after_its_reply_was_lost_is_taken_once(
    qtbot,
    sqlite_desk: Desk,
    runner: TaskRunner,
    dialogs: RecordingDialogs,
    lose_replies: LoseReplies,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    desk = sqlite_desk
    incident = desk.incidents.create(make_draft(), desk.actor_id)
    workspace = open_workspace(qtbot, desk, runner, dialogs, incident.id)
    sent = record_write_ids(monkeypatch, desk.lifecycle, "take")
    lost = lose_replies(desk)
    dialog = step_dialog(qtbot, workspace, Step.ACKNOWLEDGE)
    dialog.note.setPlainText("Looking at the error rate")
    dialog._accept_if_complete()
    qtbot.waitUntil(lambda: bool(dialogs.messages))
    assert "may or may not have been" in dialogs.messages[0][2]
    lost.restore()
    # Once connected the workspace shows the step taken; the person, unsure, takes it again.
    runner.server_retry.try_now()
    dialog = step_dialog(qtbot, workspace, Step.ACKNOWLEDGE)
    dialog.note.setPlainText("Looking at the error rate")
    with qtbot.waitSignal(workspace.loaded, timeout=10_000):
        dialog._accept_if_complete()
    assert sent_twice(sent)
    assert bodies(desk, incident.id, EntryKind.STATUS_CHANGE) == [
        "Incident logged",
        "Logged → Investigating: Looking at the error rate",
    ]
    assert len(dialogs.messages) == 1


@pytest.mark.usefixtures("retry_by_hand")
def test_another_step_after_a_lost_reply_is_a_save_of_its_own(
    qtbot,
    sqlite_desk: Desk,
    runner: TaskRunner,
    dialogs: RecordingDialogs,
    lose_replies: LoseReplies,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    desk = sqlite_desk
    front_line = desk.catalog.create_team("Service Desk", escalation_order=0)
    desk.catalog.create_team("Database Team", escalation_order=1)
    incident = desk.incidents.create(make_draft(team_id=front_line), desk.actor_id)
    workspace = open_workspace(qtbot, desk, runner, dialogs, incident.id)
    sent = record_write_ids(monkeypatch, desk.lifecycle, "take")
    lost = lose_replies(desk)
    step_dialog(qtbot, workspace, Step.ACKNOWLEDGE)._accept_if_complete()
    qtbot.waitUntil(lambda: bool(dialogs.messages))
    lost.restore()
    runner.server_retry.try_now()
    dialog = step_dialog(qtbot, workspace, Step.ESCALATE)
    dialog.note.setPlainText("Replication lag, needs a DBA")
    with qtbot.waitSignal(workspace.loaded, timeout=10_000):
        dialog._accept_if_complete()
    assert len(sent) == 2
    assert None not in sent
    assert sent[0] != sent[1]
    escalated = desk.incidents.get(incident.id)
    assert (escalated.status, escalated.team_name) == (Status.INVESTIGATING, "Database Team")
    assert bodies(desk, incident.id, EntryKind.STATUS_CHANGE)[1:] == ["Logged → Investigating"]
    assert len(bodies(desk, incident.id, EntryKind.ESCALATION)) == 1


def correct_time(workspace: IncidentWorkspace, milestone: str, moment: datetime) -> None:
    """Correct one milestone through the dialog, as a lead would."""
    workspace.correct_times()
    dialog = workspace.milestone_dialog
    change, edit, _ = dialog.edits[milestone]
    change.setChecked(True)
    edit.setDateTime(to_qt(moment))
    dialog.reason.setText("Monitoring shows recovery ten minutes earlier")
    dialog._accept_if_complete()


@pytest.mark.usefixtures("retry_by_hand")
def test_a_correction_made_again_after_its_reply_was_lost_is_made_once(
    qtbot,
    sqlite_address: str,
    runner: TaskRunner,
    dialogs: RecordingDialogs,
    lose_replies: LoseReplies,
    monkeypatch: pytest.MonkeyPatch,
    idle: Callable[[], bool],
) -> None:
    setup = open_desk(sqlite_address, login="lead")
    setup.catalog.create_person("Lena Lead", "lena", role=Role.LEAD)
    setup.close()
    desk = open_desk(sqlite_address, login="lena")
    try:
        incident = desk.incidents.create(make_draft(), desk.actor_id)
        acknowledged = datetime.now(UTC) - timedelta(minutes=25)
        desk.lifecycle.take(
            incident.id, StepRequest(Step.ACKNOWLEDGE, at=acknowledged), desk.actor_id
        )
        recovered = desk.lifecycle.take(
            incident.id, StepRequest(Step.RECOVER, note="Restarted"), desk.actor_id
        ).milestones.recovered_at
        assert recovered is not None
        earlier = (recovered - timedelta(minutes=10)).replace(second=0, microsecond=0)
        workspace = open_workspace(qtbot, desk, runner, dialogs, incident.id)
        sent = record_write_ids(monkeypatch, desk.lifecycle, "correct_milestone")
        lost = lose_replies(desk)
        correct_time(workspace, "recovered_at", earlier)
        qtbot.waitUntil(lambda: bool(dialogs.messages))
        lost.restore()
        with qtbot.waitSignal(workspace.loaded, timeout=10_000):
            correct_time(workspace, "recovered_at", earlier)  # as it was shown: not refused
        assert sent_twice(sent)
        assert desk.incidents.get(incident.id).milestones.recovered_at == earlier
        corrections = bodies(desk, incident.id, EntryKind.FIELD_CHANGE)
        assert [body.split(":")[0] for body in corrections] == ["Recovered time corrected"]
        assert len(dialogs.messages) == 1
    finally:
        qtbot.waitUntil(idle)  # the workspace's reload is done with the database
        desk.close()
