"""The postmortem panel: sections saved with optimistic locking, pinned timeline, action items,
waivers, and exports to Markdown and PDF (rendered off the GUI thread)."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QDate, QSettings, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QFileDialog, QLabel, QPlainTextEdit, QPushButton, QRadioButton

from incidentdesk.domain.enums import ActionKind, ActionStatus, EntryKind, Role, Severity
from incidentdesk.domain.incident import IncidentDraft
from incidentdesk.domain.lifecycle import Step
from incidentdesk.domain.timeline import NewEntry
from incidentdesk.services.desk import Desk, open_desk
from incidentdesk.services.lifecycle import StepRequest
from incidentdesk.services.postmortems import PostmortemText
from incidentdesk.storage import models as m
from incidentdesk.ui.action_items import (
    OVERDUE_DARK,
    OVERDUE_LIGHT,
    STATUS_COLUMN,
    ActionItemDialog,
)
from incidentdesk.ui.exports import (
    LAST_FOLDER_SETTING,
    ExportFormat,
    choose_export_path,
    export_file_name,
    render_pdf,
)
from incidentdesk.ui.merge_dialog import MINE, THEIRS
from incidentdesk.ui.postmortem_panel import (
    SAVE_AND_EXPORT,
    PostmortemPanel,
    WaiverDialog,
)
from incidentdesk.ui.tasks import TaskRunner
from incidentdesk.ui.theme import dark_palette
from tests.conftest import LoseReplies
from tests.gui.conftest import RecordingDialogs, record_write_ids, sent_twice

TITLE = "Checkout fails for EU customers"
OpenPanel = Callable[[Desk, int], PostmortemPanel]
PDF_PAGE = re.compile(rb"/Type\s*/Page\b")


def log_major_incident(desk: Desk, *steps: StepRequest) -> int:
    """A SEV2 incident reported an hour and a half ago, taken through ``steps``."""
    draft = IncidentDraft(
        title=TITLE,
        reported_at=datetime.now(UTC) - timedelta(minutes=90),
        severity=Severity.SEV2,
    )
    incident = desk.incidents.create(draft, desk.actor_id)
    for request in steps:
        desk.lifecycle.take(incident.id, request, desk.actor_id)
    return incident.id


RECOVERED = (
    StepRequest(Step.ACKNOWLEDGE),
    StepRequest(Step.RECOVER, note="Rolled back the payments client"),
)
IN_POSTMORTEM = (*RECOVERED, StepRequest(Step.START_POSTMORTEM))


@pytest.fixture
def open_panel(
    qtbot, runner: TaskRunner, dialogs: RecordingDialogs, idle: Callable[[], bool]
) -> Iterator[OpenPanel]:
    """Shows the panel for an incident once its first load has arrived. Afterwards, before
    the desk closes, the panel's last reads finish: a read sent after the close would open a
    connection that nothing closes (a lost reply's kept reload, sent once it is answered)."""

    def open_(desk: Desk, incident_id: int) -> PostmortemPanel:
        runner.use(desk)
        panel = PostmortemPanel(runner, dialogs, incident_id)
        qtbot.addWidget(panel)
        panel.resize(1100, 800)
        with qtbot.waitSignal(panel.loaded):
            panel.show()
        return panel

    yield open_
    qtbot.waitUntil(idle)


@pytest.fixture
def in_postmortem(desk: Desk, open_panel: OpenPanel) -> tuple[int, PostmortemPanel]:
    incident_id = log_major_incident(desk, *IN_POSTMORTEM)
    return incident_id, open_panel(desk, incident_id)


def write_sections(panel: PostmortemPanel, **sections: str) -> None:
    for name, text in sections.items():
        panel.editors[name].setPlainText(text)


def save(qtbot, panel: PostmortemPanel) -> None:
    with qtbot.waitSignal(panel.changed):
        panel.save()


def add_action_item(
    qtbot,
    panel: PostmortemPanel,
    title: str,
    kind: ActionKind,
    owner_id: int | None,
    due_on: date | None,
) -> None:
    """Through the dialog, as a person would."""
    panel.add_button.click()
    dialog = panel.action_item_dialog
    assert isinstance(dialog, ActionItemDialog)
    assert dialog.isVisible()
    assert not dialog.add_button.isEnabled()
    qtbot.keyClicks(dialog.title, title)
    dialog.kind.setCurrentIndex(dialog.kind.findData(kind))
    dialog.owner.setCurrentIndex(dialog.owner.findData(owner_id))
    if due_on is not None:
        dialog.has_due_date.setChecked(True)
        dialog.due_on.setDate(QDate(due_on.year, due_on.month, due_on.day))
    with qtbot.waitSignal(panel.loaded):
        dialog.add_button.click()


def status_shown(panel: PostmortemPanel, row: int) -> str:
    return panel.action_items.index(row, STATUS_COLUMN).data()


def test_before_the_postmortem_starts_it_says_how_and_only_a_waiver_is_offered(
    desk: Desk, open_panel: OpenPanel
) -> None:
    panel = open_panel(desk, log_major_incident(desk, *RECOVERED))
    assert panel.pages.currentWidget() is panel.empty_label
    assert "“Start Postmortem”" in panel.empty_label.text()
    assert "SEV2" in panel.empty_label.text()
    for button in (panel.save_button, panel.export_markdown_button, panel.export_pdf_button):
        assert button.isHidden()
    assert panel.waive_button.isVisible()
    assert panel.waive_button.isEnabled()


def test_typed_sections_are_saved_with_ctrl_s(
    qtbot, desk: Desk, in_postmortem: tuple[int, PostmortemPanel]
) -> None:
    incident_id, panel = in_postmortem
    assert panel.pages.currentWidget() is panel.content
    assert not panel.save_button.isEnabled()
    panel.editors["summary"].setFocus()
    with qtbot.waitSignal(panel.unsaved_changed, check_params_cb=lambda unsaved: unsaved):
        qtbot.keyClicks(panel.editors["summary"], "Checkout was down for 40 minutes.")
    assert panel.unsaved_label.isVisible()
    assert panel.save_button.isEnabled()
    write_sections(
        panel,
        impact="About 30% of EU payments failed.",
        root_cause="A connection leak in payments-client 3.2.",
        contributing_factors="- No alert on pool usage",
        went_well="The rollback took 5 minutes.",
        went_badly="Paging took 20 minutes.",
    )
    panel.activateWindow()
    qtbot.waitUntil(panel.isActiveWindow)
    with qtbot.waitSignal(panel.changed):
        qtbot.keyClick(panel.editors["summary"], Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)

    stored = desk.postmortems.get(incident_id)
    assert stored is not None
    assert stored.text == PostmortemText(
        summary="Checkout was down for 40 minutes.",
        impact="About 30% of EU payments failed.",
        root_cause="A connection leak in payments-client 3.2.",
        contributing_factors="- No alert on pool usage",
        went_well="The rollback took 5 minutes.",
        went_badly="Paging took 20 minutes.",
    )
    assert stored.version == 2
    assert not panel.has_unsaved_changes
    assert panel.unsaved_label.isHidden()
    assert not panel.save_button.isEnabled()
    assert panel.status_label.text().startswith("Saved at")


def test_text_typed_while_saving_stays_and_stays_unsaved(
    qtbot, sqlite_desk: Desk, open_panel: OpenPanel
) -> None:
    incident_id = log_major_incident(sqlite_desk, *IN_POSTMORTEM)
    panel = open_panel(sqlite_desk, incident_id)
    write_sections(panel, summary="First words.")
    panel.refresh()  # may read before the save commits; must not bring the old text back
    with qtbot.waitSignal(panel.changed):
        panel.save()
        write_sections(panel, summary="First words. Second thoughts.")
    with qtbot.waitSignal(panel.loaded):
        panel.refresh()
    assert panel.editors["summary"].toPlainText() == "First words. Second thoughts."
    assert panel.has_unsaved_changes
    stored = sqlite_desk.postmortems.get(incident_id)
    assert stored is not None
    assert stored.text.summary == "First words."
    save(qtbot, panel)
    stored = sqlite_desk.postmortems.get(incident_id)
    assert stored is not None
    assert stored.text.summary == "First words. Second thoughts."


def test_an_action_item_past_its_due_date_is_overdue_until_done(
    qtbot, qtmodeltester, desk: Desk, in_postmortem: tuple[int, PostmortemPanel]
) -> None:
    incident_id, panel = in_postmortem
    owner_id = desk.catalog.create_person("Ola Owner", "ola")
    with qtbot.waitSignal(panel.loaded):
        panel.refresh()  # the people list now has the owner
    last_week = date.today() - timedelta(days=7)
    with qtbot.waitSignal(panel.changed):
        add_action_item(qtbot, panel, "Alert on pool usage", ActionKind.DETECT, owner_id, last_week)
    add_action_item(qtbot, panel, "Fix the connection leak", ActionKind.PREVENT, None, None)

    model = panel.action_items
    qtmodeltester.check(model)
    assert model.rowCount() == 2
    assert [model.index(0, column).data() for column in range(5)] == [
        "Alert on pool usage",
        "Detect",
        "Ola Owner",
        last_week.isoformat(),
        "Open (overdue)",
    ]
    assert model.index(0, 0).data(Qt.ItemDataRole.BackgroundRole) == QColor(OVERDUE_LIGHT[0])
    assert "7 days ago" in model.index(0, STATUS_COLUMN).data(Qt.ItemDataRole.ToolTipRole)
    assert [model.index(1, column).data() for column in range(5)] == [
        "Fix the connection leak",
        "Prevent",
        "—",
        "—",
        "Open",
    ]
    assert model.index(1, 0).data(Qt.ItemDataRole.BackgroundRole) is None

    panel.action_table.selectRow(0)
    assert not panel.status_buttons[ActionStatus.OPEN].isEnabled()
    with qtbot.waitSignal(panel.loaded):
        panel.status_buttons[ActionStatus.DONE].click()
    assert status_shown(panel, 0) == "Done"
    assert model.index(0, 0).data(Qt.ItemDataRole.BackgroundRole) is None
    assert panel.action_table.selectionModel().selectedRows()[0].row() == 0
    assert not panel.status_buttons[ActionStatus.DONE].isEnabled()
    assert panel.status_buttons[ActionStatus.OPEN].isEnabled()
    qtmodeltester.check(model)
    stored = desk.postmortems.get(incident_id)
    assert stored is not None
    assert [(item.title, item.status) for item in stored.action_items] == [
        ("Alert on pool usage", ActionStatus.DONE),
        ("Fix the connection leak", ActionStatus.OPEN),
    ]


def test_overdue_rows_stay_readable_in_the_dark_theme(
    qtbot, qapp, desk: Desk, in_postmortem: tuple[int, PostmortemPanel]
) -> None:
    incident_id, panel = in_postmortem
    desk.postmortems.add_action_item(
        incident_id, "Alert on pool usage", ActionKind.DETECT, None, date(2020, 1, 1), None
    )
    with qtbot.waitSignal(panel.loaded):
        panel.refresh()
    light = qapp.palette()
    qapp.setPalette(dark_palette())
    try:
        index = panel.action_items.index(0, STATUS_COLUMN)
        assert index.data() == "Open (overdue)"
        assert index.data(Qt.ItemDataRole.BackgroundRole) == QColor(OVERDUE_DARK[0])
        assert index.data(Qt.ItemDataRole.ForegroundRole) == QColor(OVERDUE_DARK[1])
    finally:
        qapp.setPalette(light)
    for background, text in (OVERDUE_LIGHT, OVERDUE_DARK):
        assert contrast(QColor(background), QColor(text)) >= 7


def contrast(first: QColor, second: QColor) -> float:
    """The WCAG 2 contrast ratio of two colours."""

    def luminance(colour: QColor) -> float:
        channels = [
            value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4
            for value in (colour.redF(), colour.greenF(), colour.blueF())
        ]
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]

    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_pinned_entries_are_listed_oldest_first(
    qtbot, desk: Desk, in_postmortem: tuple[int, PostmortemPanel]
) -> None:
    incident_id, panel = in_postmortem
    assert panel.pinned_list.count() == 0
    assert "pin entries in the timeline" in panel.pinned_hint.text()
    finding = desk.timeline.append(
        incident_id,
        NewEntry(
            EntryKind.FINDING,
            "The pool ran out of connections at 10:02.",
            datetime.now(UTC) - timedelta(minutes=80),
        ),
        desk.actor_id,
    )
    recovered = next(
        entry
        for entry in desk.timeline.entries(incident_id)
        if "Rolled back the payments client" in entry.body
    )
    for entry_id in (recovered.id, finding.id):
        desk.timeline.set_pinned(entry_id, True)
    with qtbot.waitSignal(panel.loaded):
        panel.refresh()

    shown = [panel.pinned_list.item(row).text() for row in range(panel.pinned_list.count())]
    assert len(shown) == 2
    assert "Finding" in shown[0]
    assert "The pool ran out of connections at 10:02." in shown[0]
    assert "Status change" in shown[1]
    assert "Rolled back the payments client" in shown[1]
    assert panel.pinned_hint.isHidden()


def save_theirs(desk: Desk, incident_id: int, **sections: str) -> None:
    """A colleague saves these sections over version 1, the one the panel shows."""
    desk.postmortems.save_text(
        incident_id, PostmortemText(**sections), 1, desk.actor_id, base=PostmortemText()
    )


def stored_text(desk: Desk, incident_id: int) -> PostmortemText:
    stored = desk.postmortems.get(incident_id)
    assert stored is not None
    return stored.text


def test_sections_only_one_side_changed_merge_and_save_by_themselves(
    qtbot, desk: Desk, dialogs: RecordingDialogs, in_postmortem: tuple[int, PostmortemPanel]
) -> None:
    incident_id, panel = in_postmortem
    write_sections(panel, summary="Mine: checkout failed for 40 minutes.")
    save_theirs(desk, incident_id, went_well="Theirs: paging worked.")
    with qtbot.waitSignal(panel.loaded):
        panel.refresh()
    assert "saving merges your sections with theirs" in panel.status_label.text()

    panel.save()
    qtbot.waitUntil(lambda: stored_text(desk, incident_id).summary.startswith("Mine"))
    qtbot.waitUntil(lambda: not panel.has_unsaved_changes)
    text = stored_text(desk, incident_id)
    assert text.went_well == "Theirs: paging worked."  # theirs stays
    assert panel.editors["went_well"].toPlainText() == "Theirs: paging worked."
    assert getattr(panel, "merge_dialog", None) is None  # nothing to choose
    assert dialogs.messages == []


def test_a_section_both_changed_is_picked_in_the_merge_dialog(
    qtbot, desk: Desk, dialogs: RecordingDialogs, in_postmortem: tuple[int, PostmortemPanel]
) -> None:
    incident_id, panel = in_postmortem
    write_sections(panel, root_cause="Mine: the connection leak.", summary="Mine: 40 minutes.")
    save_theirs(
        desk, incident_id, root_cause="Theirs: a bad deploy.", went_well="Theirs: paging worked."
    )
    panel.save()
    qtbot.waitUntil(lambda: getattr(panel, "merge_dialog", None) is not None)
    dialog = panel.merge_dialog
    assert dialog.windowTitle() == "Merge Your Changes to the Postmortem"
    choices = [button.accessibleName() for button in dialog.findChildren(QRadioButton)]
    assert choices == [  # only the section both changed
        "Keep your root cause: Mine: the connection leak.",
        "Keep their root cause: Theirs: a bad deploy.",
    ]
    assert not dialog.save_button.isEnabled()  # a pick is needed first
    dialog.pick("root_cause", MINE)
    dialog.save_button.click()

    qtbot.waitUntil(lambda: not panel.has_unsaved_changes)
    text = stored_text(desk, incident_id)
    assert text.root_cause == "Mine: the connection leak."
    assert text.summary == "Mine: 40 minutes."
    assert text.went_well == "Theirs: paging worked."
    assert dialogs.messages == []


def test_picking_theirs_keeps_their_text_and_saves_the_rest_of_mine(
    qtbot, desk: Desk, in_postmortem: tuple[int, PostmortemPanel]
) -> None:
    incident_id, panel = in_postmortem
    write_sections(panel, root_cause="Mine: the connection leak.", summary="Mine: 40 minutes.")
    save_theirs(desk, incident_id, root_cause="Theirs: a bad deploy.")
    panel.save()
    qtbot.waitUntil(lambda: getattr(panel, "merge_dialog", None) is not None)
    panel.merge_dialog.pick("root_cause", THEIRS)
    panel.merge_dialog.save_button.click()
    qtbot.waitUntil(lambda: not panel.has_unsaved_changes)
    text = stored_text(desk, incident_id)
    assert text.root_cause == "Theirs: a bad deploy."
    assert text.summary == "Mine: 40 minutes."
    assert panel.editors["root_cause"].toPlainText() == "Theirs: a bad deploy."


def test_cancelling_the_merge_saves_nothing_and_keeps_the_typed_text(
    qtbot, sqlite_desk: Desk, open_panel: OpenPanel
) -> None:
    desk = sqlite_desk
    incident_id = log_major_incident(desk, *IN_POSTMORTEM)
    panel = open_panel(desk, incident_id)
    write_sections(panel, summary="Mine.")
    save_theirs(desk, incident_id, summary="Theirs.")
    panel.save()
    qtbot.waitUntil(lambda: getattr(panel, "merge_dialog", None) is not None)
    panel.merge_dialog.reject()
    assert panel.editors["summary"].toPlainText() == "Mine."
    assert panel.has_unsaved_changes
    assert "Your text is still here" in panel.status_label.text()
    assert stored_text(desk, incident_id).summary == "Theirs."


def test_staff_cannot_waive_and_are_told_why_on_hover(
    qtbot, desk: Desk, dialogs: RecordingDialogs, open_panel: OpenPanel
) -> None:
    m.User.update(role=Role.STAFF.value).where(m.User.id == desk.actor_id).execute()
    incident_id = log_major_incident(desk, *RECOVERED)
    panel = open_panel(desk, incident_id)
    qtbot.waitUntil(panel.waive_button.isVisible)
    assert not panel.waive_button.isEnabled()
    assert panel.waive_button.toolTip() == (
        "Only a lead or an admin can waive a postmortem, and you are staff; ask a lead or an "
        "admin of this database to do it."
    )
    assert desk.postmortems.get(incident_id) is None
    assert dialogs.messages == []


def test_a_waiver_refused_by_the_service_is_told(
    qtbot, desk: Desk, dialogs: RecordingDialogs, open_panel: OpenPanel
) -> None:
    """The role changed after the panel opened: the service still refuses."""
    incident_id = log_major_incident(desk, *RECOVERED)
    panel = open_panel(desk, incident_id)
    qtbot.waitUntil(panel.waive_button.isEnabled)
    m.User.update(role=Role.STAFF.value).where(m.User.id == desk.actor_id).execute()
    waive(qtbot, panel, "Duplicate of a vendor outage")
    qtbot.waitUntil(lambda: bool(dialogs.messages))
    kind, title, text = dialogs.messages[0]
    assert (kind, title) == ("warn", "Postmortem Not Waived")
    assert "Only a lead or an admin can waive a postmortem" in text
    assert desk.postmortems.get(incident_id) is None


def waive(qtbot, panel: PostmortemPanel, reason: str) -> None:
    panel.waive_button.click()
    dialog = panel.waiver_dialog
    assert isinstance(dialog, WaiverDialog)
    assert not dialog.waive_button.isEnabled()
    qtbot.keyClicks(dialog.reason_edit, reason)
    dialog.waive_button.click()


def test_a_lead_waives_a_postmortem_that_was_never_started(
    qtbot,
    desk: Desk,
    database_address: str,
    open_panel: OpenPanel,
    dialogs: RecordingDialogs,
    idle: Callable[[], bool],
) -> None:
    incident_id = log_major_incident(desk, *RECOVERED)
    desk.catalog.create_person("Lena Lead", "lena", role=Role.LEAD)
    # The models follow the database opened last, so the lead's desk is opened after all that
    # is set up with ``desk`` and is the only one used from here on.
    lead = open_desk(database_address, login="lena")
    try:
        panel = open_panel(lead, incident_id)
        assert panel.pages.currentWidget() is panel.empty_label
        with qtbot.waitSignal(panel.changed):
            waive(qtbot, panel, "Vendor outage; their postmortem covers it.")
        qtbot.waitUntil(panel.waiver_label.isVisible)
        assert panel.waiver_label.text() == (
            "Postmortem waived by Lena Lead: Vendor outage; their postmortem covers it."
        )
        assert not panel.waive_button.isEnabled()
        stored = lead.postmortems.get(incident_id)
        assert stored is not None
        assert stored.waiver_reason == "Vendor outage; their postmortem covers it."
        assert stored.waived_by_name == "Lena Lead"
        assert dialogs.messages == []
    finally:
        qtbot.waitUntil(idle)  # the panel's reload has its connection back in the pool
        lead.close()


# Saves made again after their reply was lost: applied once


def notes(desk: Desk, incident_id: int) -> list[str]:
    return [e.body for e in desk.timeline.entries(incident_id) if e.kind is EntryKind.NOTE]


@pytest.mark.usefixtures("retry_by_hand")
def test_sections_saved_again_after_their_reply_was_lost_are_saved_once(
    qtbot,
    desk: Desk,
    in_postmortem: tuple[int, PostmortemPanel],
    dialogs: RecordingDialogs,
    lose_replies: LoseReplies,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    incident_id, panel = in_postmortem
    sent = record_write_ids(monkeypatch, desk.postmortems, "save_text")
    write_sections(panel, root_cause="A connection leak in payments-client 3.2.")
    lost = lose_replies(desk)
    panel.save()
    qtbot.waitUntil(lambda: bool(dialogs.messages))
    assert "may or may not have been" in dialogs.messages[0][2]
    assert panel.has_unsaved_changes
    lost.restore()
    save(qtbot, panel)
    assert sent_twice(sent)
    assert stored_text(desk, incident_id).root_cause == "A connection leak in payments-client 3.2."
    edits = [e for e in desk.timeline.entries(incident_id) if e.body.startswith("Postmortem")]
    assert [e.body for e in edits] == ["Postmortem edited: Root cause"]
    assert not panel.has_unsaved_changes
    assert len(dialogs.messages) == 1


def send_action_item(qtbot, panel: PostmortemPanel, title: str) -> ActionItemDialog:
    """Type an action item in its dialog and press Add."""
    panel.add_button.click()
    dialog = panel.action_item_dialog
    assert isinstance(dialog, ActionItemDialog)
    qtbot.keyClicks(dialog.title, title)
    dialog.add_button.click()
    return dialog


@pytest.mark.usefixtures("retry_by_hand")
def test_an_action_item_added_again_after_its_reply_was_lost_is_added_once(
    qtbot,
    desk: Desk,
    in_postmortem: tuple[int, PostmortemPanel],
    dialogs: RecordingDialogs,
    lose_replies: LoseReplies,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    incident_id, panel = in_postmortem
    sent = record_write_ids(monkeypatch, desk.postmortems, "add_action_item")
    lost = lose_replies(desk)
    dialog = send_action_item(qtbot, panel, "Alert on pool usage")
    qtbot.waitUntil(lambda: bool(dialogs.messages))
    assert dialog.isVisible()  # open again with what was typed
    lost.restore()
    with qtbot.waitSignal(panel.loaded):
        dialog.add_button.click()
    assert sent_twice(sent)
    assert notes(desk, incident_id) == ["Action item added (Detect): Alert on pool usage"]
    assert panel.action_items.rowCount() == 1
    # Added, the same item once more is a second one: someone meant to add it twice.
    with qtbot.waitSignal(panel.loaded):
        send_action_item(qtbot, panel, "Alert on pool usage")
    assert sent[2] not in (None, sent[0])
    assert panel.action_items.rowCount() == 2


@pytest.mark.usefixtures("retry_by_hand")
def test_an_action_items_status_set_again_after_its_reply_was_lost_is_set_once(
    qtbot,
    desk: Desk,
    in_postmortem: tuple[int, PostmortemPanel],
    dialogs: RecordingDialogs,
    lose_replies: LoseReplies,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    incident_id, panel = in_postmortem
    desk.postmortems.add_action_item(
        incident_id, "Rotate keys", ActionKind.CORRECT, None, None, desk.actor_id
    )
    with qtbot.waitSignal(panel.loaded):
        panel.refresh()
    panel.action_table.selectRow(0)
    sent = record_write_ids(monkeypatch, desk.postmortems, "set_action_status")
    lost = lose_replies(desk)
    panel.status_buttons[ActionStatus.DONE].click()
    qtbot.waitUntil(lambda: bool(dialogs.messages))
    lost.restore()
    with qtbot.waitSignal(panel.loaded):
        panel.status_buttons[ActionStatus.DONE].click()  # the panel has not caught up
    assert sent_twice(sent)
    assert status_shown(panel, 0) == "Done"
    assert notes(desk, incident_id)[1:] == ["Action item “Rotate keys”: Open → Done"]
    assert len(dialogs.messages) == 1


def test_a_status_set_again_after_a_colleague_changed_it_back_is_set(
    qtbot, desk: Desk, in_postmortem: tuple[int, PostmortemPanel]
) -> None:
    """Done, a colleague reopens it, Done again: a new save, not one "applied already"."""
    incident_id, panel = in_postmortem
    item = desk.postmortems.add_action_item(
        incident_id, "Rotate keys", ActionKind.CORRECT, None, None, desk.actor_id
    )
    with qtbot.waitSignal(panel.loaded):
        panel.refresh()
    panel.action_table.selectRow(0)
    with qtbot.waitSignal(panel.loaded):
        panel.status_buttons[ActionStatus.DONE].click()
    desk.postmortems.set_action_status(
        item.id, ActionStatus.OPEN, desk.actor_id, was=ActionStatus.DONE
    )
    with qtbot.waitSignal(panel.loaded):
        panel.refresh()
    panel.action_table.selectRow(0)
    with qtbot.waitSignal(panel.loaded):
        panel.status_buttons[ActionStatus.DONE].click()
    assert status_shown(panel, 0) == "Done"
    assert notes(desk, incident_id)[1:] == [
        "Action item “Rotate keys”: Open → Done",
        "Action item “Rotate keys”: Done → Open",
        "Action item “Rotate keys”: Open → Done",
    ]


@pytest.mark.usefixtures("retry_by_hand")
def test_a_waiver_sent_again_after_its_reply_was_lost_is_logged_once(
    qtbot,
    desk: Desk,
    database_address: str,
    open_panel: OpenPanel,
    dialogs: RecordingDialogs,
    lose_replies: LoseReplies,
    monkeypatch: pytest.MonkeyPatch,
    idle: Callable[[], bool],
) -> None:
    incident_id = log_major_incident(desk, *RECOVERED)
    desk.catalog.create_person("Lena Lead", "lena", role=Role.LEAD)
    lead = open_desk(database_address, login="lena")
    try:
        panel = open_panel(lead, incident_id)
        sent = record_write_ids(monkeypatch, lead.postmortems, "waive")
        lost = lose_replies(lead)
        waive(qtbot, panel, "Vendor outage; their postmortem covers it.")
        qtbot.waitUntil(lambda: bool(dialogs.messages))
        dialog = panel.waiver_dialog
        assert dialog.isVisible()  # open again with the reason typed
        lost.restore()
        with qtbot.waitSignal(panel.changed):
            dialog.waive_button.click()
        assert sent_twice(sent)
        assert notes(lead, incident_id) == [
            "Postmortem waived: Vendor outage; their postmortem covers it."
        ]
        assert len(dialogs.messages) == 1
    finally:
        qtbot.waitUntil(idle)  # the panel's reload has its connection back in the pool
        lead.close()


def test_the_postmortem_exports_to_markdown_and_pdf(
    qtbot, desk: Desk, tmp_path: Path, in_postmortem: tuple[int, PostmortemPanel]
) -> None:
    incident_id, panel = in_postmortem
    write_sections(panel, root_cause="A connection leak in payments-client 3.2.")
    save(qtbot, panel)
    desk.postmortems.add_action_item(
        incident_id, "Alert on pool usage", ActionKind.DETECT, desk.actor_id, None, desk.actor_id
    )
    with qtbot.waitSignal(panel.loaded):
        panel.refresh()

    markdown_path = tmp_path / "INC-1-postmortem.md"
    with qtbot.waitSignal(panel.exported) as exported:
        panel.export_to(markdown_path, ExportFormat.MARKDOWN)
    assert exported.args == [markdown_path]
    markdown = markdown_path.read_text(encoding="utf-8")
    assert TITLE in markdown
    assert "A connection leak in payments-client 3.2." in markdown
    assert "Alert on pool usage" in markdown
    assert "Exported to" in panel.status_label.text()

    pdf_path = tmp_path / "INC-1-postmortem.pdf"
    with qtbot.waitSignal(panel.exported):
        panel.export_to(pdf_path, ExportFormat.PDF)
    assert pdf_path.read_bytes().startswith(b"%PDF")
    assert [path.name for path in tmp_path.iterdir() if path.name.endswith(".part")] == []
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed, so the PDF's text was not read back")
    text = subprocess.run(
        ["pdftotext", str(pdf_path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert TITLE in " ".join(text.split())


def test_exporting_unsaved_text_can_save_it_first(
    qtbot, sqlite_desk: Desk, dialogs: RecordingDialogs, open_panel: OpenPanel, tmp_path: Path
) -> None:
    panel = open_panel(sqlite_desk, log_major_incident(sqlite_desk, *IN_POSTMORTEM))
    write_sections(panel, summary="Written just before the export.")
    dialogs.answers = [SAVE_AND_EXPORT]
    path = tmp_path / "postmortem.md"
    with qtbot.waitSignal(panel.exported):
        panel.export_to(path, ExportFormat.MARKDOWN)
    assert dialogs.messages[0][:2] == ("choose", "Export Unsaved Changes?")
    assert "Written just before the export." in path.read_text(encoding="utf-8")
    assert not panel.has_unsaved_changes


def test_an_export_that_cannot_be_written_says_why(
    qtbot, sqlite_desk: Desk, dialogs: RecordingDialogs, open_panel: OpenPanel, tmp_path: Path
) -> None:
    panel = open_panel(sqlite_desk, log_major_incident(sqlite_desk, *IN_POSTMORTEM))
    missing_folder = tmp_path / "gone" / "postmortem.pdf"
    panel.export_to(missing_folder, ExportFormat.PDF)
    qtbot.waitUntil(lambda: bool(dialogs.messages))
    kind, title, text = dialogs.messages[0]
    assert (kind, title) == ("warn", "Export Failed")
    assert str(missing_folder) in text
    assert "No such file or directory" in text


def test_pdf_rendering_is_safe_on_the_files_thread(qtbot, runner: TaskRunner) -> None:
    """Qt reports misuse from a worker thread as warnings, which fail this test."""
    long_markdown = "\n\n".join(
        f"## Section {number}\n\n" + "An entry of the timeline, long enough to wrap. " * 20
        for number in range(60)
    )
    results: list[tuple[bytes, bool]] = []

    def render_and_say_where() -> tuple[bytes, bool]:
        return render_pdf(long_markdown, "Long"), threading.current_thread() is not main_thread

    main_thread = threading.main_thread()
    runner.files(runner, render_and_say_where, results.append)
    qtbot.waitUntil(lambda: bool(results))
    on_worker, was_off_the_gui_thread = results[0]
    assert was_off_the_gui_thread
    on_gui_thread = render_pdf(long_markdown, "Long")
    assert on_worker.startswith(b"%PDF")
    assert len(PDF_PAGE.findall(on_worker)) == len(PDF_PAGE.findall(on_gui_thread)) > 5


def test_the_save_dialog_proposes_a_name_and_remembers_the_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    proposed: list[tuple[str, str]] = []
    answers = [str(tmp_path / "exports" / "for-the-review"), ""]

    def get_save_file_name(parent, caption, start, file_filter):
        proposed.append((start, file_filter))
        return answers.pop(0), file_filter

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(get_save_file_name))
    name = export_file_name("INC-42", "postmortem", ExportFormat.PDF)
    assert name == "INC-42-postmortem.pdf"

    chosen = choose_export_path(None, "Export Postmortem as PDF", name, ExportFormat.PDF)
    assert chosen == tmp_path / "exports" / "for-the-review.pdf"
    assert Path(proposed[0][0]).name == "INC-42-postmortem.pdf"
    assert proposed[0][1] == "PDF (*.pdf)"
    assert QSettings().value(LAST_FOLDER_SETTING) == str(tmp_path / "exports")

    assert choose_export_path(None, "Export", "INC-42-postmortem.md", ExportFormat.MARKDOWN) is None
    assert proposed[1][0] == str(tmp_path / "exports" / "INC-42-postmortem.md")


def test_every_field_is_named_and_every_mnemonic_label_has_a_buddy(
    in_postmortem: tuple[int, PostmortemPanel],
) -> None:
    _, panel = in_postmortem
    for editor in panel.findChildren(QPlainTextEdit):
        assert editor.accessibleName()
    for view in (panel.action_table, panel.pinned_list):
        assert view.accessibleName()
    for button in panel.findChildren(QPushButton):
        assert button.text() or button.accessibleName()
    for label in panel.findChildren(QLabel):
        if "&" in label.text() and label.textFormat() != Qt.TextFormat.PlainText:
            assert label.buddy() is not None, label.text()


def test_a_panel_closed_while_loading_ignores_the_result(
    qtbot, sqlite_desk: Desk, runner: TaskRunner, dialogs: RecordingDialogs
) -> None:
    runner.use(sqlite_desk)
    panel = PostmortemPanel(runner, dialogs, log_major_incident(sqlite_desk))
    with qtbot.waitSignal(runner.busy_changed, check_params_cb=lambda busy: not busy):
        shiboken6.delete(panel)
    assert not shiboken6.isValid(panel)
