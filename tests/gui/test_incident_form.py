"""The incident form: keyboard, validation, triage, drafts, failed saves, edits, duplicates.

Attachments (drop, paste, refusals) are in test_attachments.py; the helpers shared by both
are in form_helpers.py.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import shiboken6
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QDateTime, Qt
from PySide6.QtGui import QClipboard, QColor, QImage
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QTabBar,
    QWidget,
)

from incidentdesk import paths
from incidentdesk.domain.enums import (
    OPEN_STATUSES,
    EntryKind,
    ImpactScope,
    Priority,
    Severity,
    SourceKind,
    Urgency,
)
from incidentdesk.domain.incident import Impact, Incident, Links
from incidentdesk.services.desk import Desk, open_desk
from incidentdesk.services.drafts import DraftStore
from incidentdesk.services.incidents import IncidentQuery
from incidentdesk.storage.database import ConnectionLost, DatabaseUnavailable
from incidentdesk.storage.search import significant_words
from incidentdesk.ui import incident_form
from incidentdesk.ui.incident_form import IncidentForm
from incidentdesk.ui.main_window import MainWindow
from incidentdesk.ui.merge_dialog import MINE, THEIRS
from tests.factories import make_draft, minutes_ago
from tests.gui.conftest import FormMaker, RecordingDialogs
from tests.gui.form_helpers import (
    OFFSCREEN_POPUP_MESSAGES,
    activate,
    draft_titles,
    focused,
    identity_of,
    open_ready_form,
    press,
    seed_catalog,
    type_text,
)

ALL_INCIDENTS = IncidentQuery()
pytestmark = pytest.mark.qt_log_ignore(*OFFSCREEN_POPUP_MESSAGES)


def stop_name(widget: QWidget) -> str:
    """What a screen reader announces for a focus stop: its accessible name, else its text."""
    if widget.accessibleName():
        return widget.accessibleName()
    if isinstance(widget, QAbstractButton):
        return widget.text().replace("&", "")
    return ""


def tab_stops(form: IncidentForm) -> list[QWidget]:
    """Every widget Tab visits once round the form, from the title; a date field, which Tab
    walks section by section, counts once."""
    form.title.setFocus()
    stops: list[QWidget] = []
    for _ in range(200):
        widget = focused()
        if stops and widget is form.title:
            return stops
        if not stops or stops[-1] is not widget:
            stops.append(widget)
        press(Qt.Key.Key_Tab)
    raise AssertionError(f"Tab never came back to the title: {[stop_name(w) for w in stops]}")


def input_widgets(form: IncidentForm) -> list[QWidget]:
    """The widgets a person types into or picks with (not the editors inside combo boxes
    and date fields, which announce their owner's name)."""
    kinds = (QLineEdit, QPlainTextEdit, QComboBox, QDateTimeEdit, QCheckBox, QListWidget)
    return [
        widget
        for widget in form.findChildren(QWidget)
        if isinstance(widget, kinds)
        and not isinstance(widget.parentWidget(), QComboBox | QDateTimeEdit)
    ]


# 1. Keyboard only


@pytest.fixture
def kolkata_time() -> Iterator[ZoneInfo]:
    """Local time five and a half hours ahead of UTC, so a lost conversion shows."""
    previous = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Kolkata"
    time.tzset()
    try:
        yield ZoneInfo("Asia/Kolkata")
    finally:
        if previous is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = previous
        time.tzset()


def test_fill_and_save_from_the_keyboard(
    qtbot, desk: Desk, make_form: FormMaker, drafts: DraftStore, kolkata_time: ZoneInfo
) -> None:
    catalog = seed_catalog(desk)
    form = make_form(desk)
    assert focused() is form.title

    stops = tab_stops(form)
    assert [stop_name(widget) for widget in stops] == [
        "Title",
        "Description",
        "Source",
        "Source name",
        "Contact",
        "First reported at",
        "Set first reported to now",
        "Reported by",
        "Attachments",
        "Add Files…",
        "Paste Image",
        "Remove",
        "Service affected",
        "Category",
        "People affected",
        "Financial implications",
        "Security implications",
        "Compliance implications",
        "Severity",
        "Urgency",
        "Assignee",
        "Team",
        "Chat channel",
        "Video bridge",
        "Ticket",
        "Possible duplicates",
        "Open",
        "Add as Report to This One",
        "Cancel",
        "Save Incident",
    ]
    assert stops[1] is form.description  # not the Write/Preview bar (Alt+W, Alt+P)
    assert stops[5] is form.reported_at
    assert not any(isinstance(stop, QTabBar) for stop in stops)
    unnamed = [repr(widget) for widget in input_widgets(form) if not widget.accessibleName()]
    assert unnamed == []

    yesterday = (datetime.now(kolkata_time) - timedelta(days=1)).date()
    form.title.setFocus()
    type_text("Checkout fails for EU cards")
    form.save_draft()  # what the autosave does every few seconds
    qtbot.waitUntil(lambda: draft_titles(drafts) == ["Checkout fails for EU cards"])
    press(Qt.Key.Key_Tab)  # straight to the description's text
    type_text("Card payments return **502**.")
    press(Qt.Key.Key_Return)  # a new line, not a save
    type_text("Since 09:10.")
    press(Qt.Key.Key_Tab)
    type_text("Cu")  # keyboard search in the source list: Customer
    press(Qt.Key.Key_Tab)
    type_text("Dana Whitfield")
    press(Qt.Key.Key_Tab)
    type_text("dana@example.com")
    press(Qt.Key.Key_Tab)  # the year is selected; each full section moves to the next
    type_text(f"{yesterday:%Y%m%d}0930")
    press(Qt.Key.Key_Tab)  # Now
    press(Qt.Key.Key_Tab)  # Reported by: stays the person logged in
    for _ in range(5):  # attachments, Add Files, Paste Image, Remove
        press(Qt.Key.Key_Tab)
    assert focused() is form.service
    type_text("paym")
    assert QApplication.activePopupWidget() is not None  # the type-ahead list
    press(Qt.Key.Key_Down)
    press(Qt.Key.Key_Return)  # takes the completion; does not save the form
    activate(qtbot, form)  # offscreen does not give activation back after a popup
    assert form.isVisible()
    assert form.service.currentText() == "Payments API"
    press(Qt.Key.Key_Tab)
    type_text("Out")  # Outage
    press(Qt.Key.Key_Tab)
    type_text("Ma")  # Many customers
    press(Qt.Key.Key_Tab)
    press(Qt.Key.Key_Space)  # financial
    assert form.severity.currentData() == Severity.SEV1  # follows the suggestion
    press(Qt.Key.Key_Tab)
    press(Qt.Key.Key_Tab)
    press(Qt.Key.Key_Tab)
    assert focused() is form.severity
    press(Qt.Key.Key_Down)  # SEV2: overrules the suggestion
    press(Qt.Key.Key_Tab)  # the Use button comes before severity, so Tab goes on
    assert focused() is form.urgency
    type_text("Hi")
    press(Qt.Key.Key_Tab)
    type_text("Rosa")
    press(Qt.Key.Key_Tab)
    type_text("Pay")
    press(Qt.Key.Key_Tab)
    type_text("https://chat.example.com/channels/inc-eu-cards")
    press(Qt.Key.Key_Tab)
    press(Qt.Key.Key_Tab)
    type_text("https://tickets.example.com/T-981")

    with qtbot.waitSignal(form.saved) as saved:
        press(Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    incident = desk.incidents.get(saved.args[0].id)
    draft = incident.draft
    assert draft.title == "Checkout fails for EU cards"
    assert draft.description == "Card payments return **502**.\nSince 09:10."
    assert draft.source_kind is SourceKind.CUSTOMER
    assert (draft.source_name, draft.source_contact) == ("Dana Whitfield", "dana@example.com")
    typed = datetime(yesterday.year, yesterday.month, yesterday.day, 9, 30, tzinfo=kolkata_time)
    assert draft.reported_at.utcoffset() == timedelta(0)
    assert draft.reported_at.replace(second=0, microsecond=0) == typed.astimezone(UTC)
    assert draft.reported_by_id == desk.actor_id
    assert draft.service_id == catalog["Payments API"]
    assert draft.category_id == catalog["Outage"]
    assert draft.impact == Impact(ImpactScope.MANY, financial=True)
    assert (draft.severity, draft.urgency) == (Severity.SEV2, Urgency.HIGH)
    assert incident.priority is Priority.P2
    assert draft.assignee_id == catalog["Rosa Lindqvist"]
    assert draft.team_id == catalog["Payments"]
    assert draft.links == Links(
        "https://chat.example.com/channels/inc-eu-cards", "", "https://tickets.example.com/T-981"
    )
    assert desk.incidents.count(ALL_INCIDENTS) == 1
    assert not form.isVisible()
    qtbot.waitUntil(lambda: draft_titles(drafts) == [])


# 5. Validation


def test_invalid_fields_are_shown_under_them_and_nothing_is_saved(
    qtbot, sqlite_desk: Desk, make_form: FormMaker
) -> None:
    desk = sqlite_desk
    seed_catalog(desk)
    form = make_form(desk)
    form.reported_at.setDateTime(QDateTime.currentDateTime().addSecs(3600))
    form.chat.setFocus()
    type_text("chat.example.com/channels/checkout")
    form.service.setFocus()
    type_text("Nonexistent Service")
    press(Qt.Key.Key_Escape)  # closes the empty type-ahead list, if any
    activate(qtbot, form)

    press(Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    expected = {
        "title": "Give the incident a title.",
        "reported_at": "The reported time is in the future.",
        "links.chat": "The chat channel must be a full address such as https://…",
        "service": "“Nonexistent Service” is not in the service catalog; pick one from the list.",
    }
    shown = {field: label.text() for field, label in form.errors.items() if label.isVisible()}
    assert shown == expected
    assert focused() is form.title  # the first problem, in the order of the form
    assert form.status_label.text() == expected["title"]
    for field, widget in (("title", form.title), ("links.chat", form.chat)):
        label = form.errors[field]
        assert label.mapTo(form, label.rect().topLeft()).y() >= (
            widget.mapTo(form, widget.rect().bottomLeft()).y()
        ), f"the message for {field} is not under it"
    assert form.isVisible()
    assert desk.incidents.count(ALL_INCIDENTS) == 0

    type_text("Checkout down")  # the title is fixed as it is typed
    assert not form.errors["title"].isVisible()
    assert form.errors["links.chat"].isVisible()
    form.chat.setFocus()
    form.chat.selectAll()
    type_text("https://chat.example.com/channels/checkout")
    assert not form.errors["links.chat"].isVisible()
    form.service.setFocus()
    form.service.lineEdit().selectAll()
    type_text("Payments API")
    press(Qt.Key.Key_Escape)
    activate(qtbot, form)
    assert not form.errors["service"].isVisible()
    form.reported_at.setDateTime(QDateTime.currentDateTime().addSecs(-600))
    assert not form.errors["reported_at"].isVisible()
    with qtbot.waitSignal(form.saved):
        form.save()
    assert desk.incidents.count(ALL_INCIDENTS) == 1


def test_before_a_save_only_fields_left_show_their_errors(
    qtbot, sqlite_desk: Desk, make_form: FormMaker
) -> None:
    form = make_form(sqlite_desk)
    form.ticket.setFocus()
    type_text("T-981")
    assert not form.errors["links.ticket"].isVisible()  # not while still typing
    press(Qt.Key.Key_Tab)  # leaving the field checks it
    assert form.errors["links.ticket"].isVisible()
    assert "full address" in form.errors["links.ticket"].text()
    assert not form.errors["title"].isVisible()  # empty, but never visited
    form.ticket.setFocus()
    form.ticket.selectAll()
    type_text("https://tickets.example.com/T-981")
    assert not form.errors["links.ticket"].isVisible()


# 6. Severity suggestion, priority and rank


def test_severity_follows_the_suggestion_until_picked_and_priority_ranks(
    qtbot, window: MainWindow
) -> None:
    desk = window.desk
    assert desk is not None
    form = open_ready_form(qtbot, window)
    activate(qtbot, form)
    matrix = desk.settings.priority_matrix()

    def shows_rank(priority: Priority) -> None:
        rank = desk.triage.rank_among_open(priority)
        expected = f"<b>{priority.label}</b> · would rank {rank.text}"
        qtbot.waitUntil(lambda: form.triage.priority.text() == expected)

    assert form.triage.suggestion.text() == "SEV4: one person affected"
    assert form.severity.currentData() == Severity.SEV4
    shows_rank(matrix.priority(Severity.SEV4, Urgency.MEDIUM))

    form.impact_scope.setFocus()
    type_text("Ma")
    assert form.triage.suggestion.text() == "SEV1: many customers affected"
    assert form.severity.currentData() == Severity.SEV1
    shows_rank(matrix.priority(Severity.SEV1, Urgency.MEDIUM))
    form.security.setFocus()
    press(Qt.Key.Key_Space)
    assert form.triage.suggestion.text() == "SEV1: many customers affected, security implications"
    assert form.severity.currentData() == Severity.SEV1
    assert not form.triage.use_suggestion.isEnabled()

    form.severity.setFocus()
    press(Qt.Key.Key_Down)  # the person picks SEV2: it stays picked at once
    assert form.severity.currentData() == Severity.SEV2
    press(Qt.Key.Key_Down)
    assert form.severity.currentData() == Severity.SEV3
    form.security.setFocus()
    press(Qt.Key.Key_Space)
    form.impact_scope.setFocus()
    press(Qt.Key.Key_End)  # All customers (typing would add to the "Ma" still being searched)
    assert form.triage.suggestion.text() == "SEV1: all customers affected"
    assert form.severity.currentData() == Severity.SEV3  # the person's choice stays
    assert form.triage.use_suggestion.isEnabled()
    form.urgency.setFocus()
    type_text("H")
    assert form.urgency.currentData() == Urgency.HIGH
    shows_rank(matrix.priority(Severity.SEV3, Urgency.HIGH))
    rank = desk.triage.rank_among_open(matrix.priority(Severity.SEV3, Urgency.HIGH))
    assert rank.of == desk.incidents.count(IncidentQuery(statuses=frozenset(OPEN_STATUSES))) + 1

    qtbot.mouseClick(form.triage.use_suggestion, Qt.MouseButton.LeftButton)
    assert form.severity.currentData() == Severity.SEV1
    shows_rank(matrix.priority(Severity.SEV1, Urgency.HIGH))
    form.impact_scope.setFocus()
    press(Qt.Key.Key_Up)  # Many customers: SEV1 as well
    press(Qt.Key.Key_Up)  # A team: the severity follows the suggestion again
    assert form.severity.currentData() == Severity.SEV3
    with qtbot.waitSignal(form.finished):
        form.title.setFocus()
        type_text("Payments slow for many")
        form.save()


# 7. Drafts


def test_a_draft_survives_a_crash_and_is_restored(
    qtbot,
    runner,
    dialogs: RecordingDialogs,
    window: MainWindow,
    demo_address: str,
    tmp_path: Path,
    clipboard: QClipboard,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(incident_form, "DRAFT_INTERVAL_MS", 50)
    log = tmp_path / "gateway.log"
    log.write_text("12:01:07 upstream timed out (card-auth)\n")
    form = open_ready_form(qtbot, window)
    activate(qtbot, form)
    type_text("Card authorisations time out")
    form.description.setFocus()
    type_text("Since 12:01, see the log.")
    form.add_paths([log])
    screenshot = QImage(48, 32, QImage.Format.Format_RGB32)
    screenshot.fill(QColor("#2e7d32"))
    clipboard.setImage(screenshot)
    form.paste()
    qtbot.waitUntil(lambda: form.attachments.count() == 2)
    pasted_sha = next(
        c.file.sha256 for c in form.attachments.candidates() if c.file.media_type == "image/png"
    )
    drafts = DraftStore(paths.drafts_dir())  # the main window's, in this test's folders

    def draft_is_complete() -> bool:
        found = drafts.all()
        return (
            len(found) == 1
            and found[0].fields["description"] == "Since 12:01, see the log."
            and len(found[0].fields["files"]) == 2
        )

    qtbot.waitUntil(draft_is_complete)  # the autosave
    key = form.draft_key
    shiboken6.delete(form)  # gone without Cancel or Save, as in a crash
    assert window.forms == []
    assert [draft.key for draft in drafts.all()] == [key]

    again = MainWindow(runner, dialogs)
    qtbot.addWidget(again)
    dialogs.answers = ["Restore"]
    again.open_database(demo_address)
    qtbot.waitUntil(lambda: len(again.forms) == 1)
    restored = again.forms[0]
    qtbot.waitUntil(lambda: restored.isEnabled() and restored.attachments.count() == 2)
    assert dialogs.messages[-1][:2] == ("choose", "Restore Unsaved Incident?")
    assert "Card authorisations time out" in dialogs.messages[-1][2]
    assert restored.title.text() == "Card authorisations time out"
    assert restored.description.toPlainText() == "Since 12:01, see the log."
    files = {c.file.filename: c for c in restored.attachments.candidates()}
    assert files["gateway.log"].file.content == log.read_bytes()
    assert pasted_sha in {c.file.sha256 for c in files.values()}

    with qtbot.waitSignal(restored.saved) as saved:
        restored.save()
    desk = again.desk
    assert desk is not None
    stored = desk.attachments.for_incident(saved.args[0].id)
    assert "gateway.log" in [info.filename for info in stored]
    assert [info.media_type for info in stored].count("image/png") == 1
    qtbot.waitUntil(lambda: drafts.all() == [])


def test_a_restored_edit_draft_does_not_revert_a_colleagues_change(
    qtbot,
    runner,
    dialogs: RecordingDialogs,
    window: MainWindow,
    demo_address: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Edit, crash, a colleague saves meanwhile, restore: the save shows the conflict."""
    monkeypatch.setattr(incident_form, "DRAFT_INTERVAL_MS", 50)
    desk = window.desk
    assert desk is not None
    incident = desk.incidents.get_by_number(3)
    form = window.open_form(incident.id)
    assert form is not None
    qtbot.waitUntil(form.isEnabled)
    activate(qtbot, form)
    form.title.selectAll()
    type_text("Renamed while the colleague works")
    drafts = DraftStore(paths.drafts_dir())
    qtbot.waitUntil(lambda: draft_titles(drafts) == ["Renamed while the colleague works"])
    shiboken6.delete(form)  # a crash
    colleague = desk.incidents.get(incident.id)
    theirs, _ = desk.incidents.update(
        incident.id,
        replace(colleague.draft, severity=Severity.SEV1),
        colleague.version,
        None,
        base=colleague.draft,
    )

    again = MainWindow(runner, dialogs)
    qtbot.addWidget(again)
    dialogs.answers = ["Restore"]
    again.open_database(demo_address)
    qtbot.waitUntil(lambda: len(again.forms) == 1)
    restored = again.forms[0]
    qtbot.waitUntil(restored.isEnabled)
    assert restored.title.text() == "Renamed while the colleague works"
    restored.save()
    qtbot.waitUntil(lambda: not restored.banner.isHidden())

    assert "was changed by someone else" in restored.banner.text()
    assert "Severity:" in restored.banner.text()
    assert desk.incidents.get(incident.id) == theirs  # nothing written without a word
    with qtbot.waitSignal(restored.saved):
        qtbot.mouseClick(restored.overwrite_button, Qt.MouseButton.LeftButton)
    stored = desk.incidents.get(incident.id)
    assert stored.title == "Renamed while the colleague works"
    assert stored.draft.severity is Severity.SEV1


def test_a_draft_is_offered_only_on_the_database_it_was_made_on(
    qtbot,
    runner,
    idle: Callable[[], bool],
    dialogs: RecordingDialogs,
    demo_address: str,
    tmp_path: Path,
) -> None:
    other_address = f"sqlite:///{tmp_path / 'other.db'}"
    other = open_desk(other_address, login="tester")
    try:
        other.incidents.create(make_draft(title="Other database's first incident"), None)
    finally:
        other.close()
    drafts = DraftStore(tmp_path / "drafts")
    made_on_demo = identity_of(demo_address)
    drafts.save("edit-demo-1", {"incident_id": 1, "title": "Typed on the demo"}, made_on_demo)
    copied = replace(made_on_demo, location=other_address)  # the same file, copied elsewhere
    drafts.save("edit-copy-1", {"incident_id": 1, "title": "Typed on a copy"}, copied)

    window = MainWindow(runner, dialogs, drafts)
    qtbot.addWidget(window)
    window.open_database(other_address)
    qtbot.waitUntil(lambda: window.desk is not None and idle())  # drafts were looked up
    assert dialogs.messages == []
    assert window.forms == []
    assert len(drafts.all()) == 2  # kept for the databases they belong to

    demo_window = MainWindow(runner, dialogs, drafts)
    qtbot.addWidget(demo_window)
    dialogs.answers = ["Discard"]
    demo_window.open_database(demo_address)
    qtbot.waitUntil(lambda: [d.key for d in drafts.all()] == ["edit-copy-1"])
    assert [message[:2] for message in dialogs.messages] == [
        ("choose", "Restore Unsaved Incident?")
    ]
    assert "Typed on the demo" in dialogs.messages[0][2]


def test_a_draft_written_before_drafts_named_their_database_is_kept_but_not_offered(
    qtbot,
    runner,
    dialogs: RecordingDialogs,
    demo_address: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    folder = tmp_path / "drafts"
    folder.mkdir()
    old = folder / "edit-590.draft.json"
    old.write_text(
        '{"key": "edit-590", "saved_at": "2026-11-27T10:00:00+00:00",'
        ' "fields": {"incident_id": 590, "title": "From some database"}}'
    )
    window = MainWindow(runner, dialogs, DraftStore(folder))
    qtbot.addWidget(window)
    with caplog.at_level(logging.INFO, logger="incidentdesk.services.drafts"):
        window.open_database(demo_address)
        qtbot.waitUntil(lambda: "names no database" in caplog.text)
    assert dialogs.messages == []
    assert old.exists()


def test_a_draft_can_be_discarded_at_start(
    qtbot, runner, dialogs: RecordingDialogs, demo_address: str, tmp_path: Path
) -> None:
    drafts = DraftStore(tmp_path / "drafts")
    drafts.save("new-0123456789ab", {"title": "Half-typed report"}, identity_of(demo_address))
    window = MainWindow(runner, dialogs, drafts)
    qtbot.addWidget(window)
    dialogs.answers = ["Discard"]
    window.open_database(demo_address)
    qtbot.waitUntil(lambda: drafts.all() == [])
    assert dialogs.messages == [
        ("choose", "Restore Unsaved Incident?", dialogs.messages[0][2]),
    ]
    assert "Half-typed report" in dialogs.messages[0][2]
    assert window.forms == []


# 8. A failed save


def test_a_failed_save_keeps_everything_and_says_why(
    qtbot,
    sqlite_desk: Desk,
    make_form: FormMaker,
    drafts: DraftStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    desk = sqlite_desk
    seed_catalog(desk)
    log = tmp_path / "worker.log"
    log.write_text("worker 3 stalled\n")
    form = make_form(desk)
    type_text("Queue workers stall")
    form.description.setPlainText("Jobs pile up in the **export** queue.")
    form.service.setEditText("Payments API")
    form.chat.setText("https://chat.example.com/channels/queue")
    form.add_paths([log])
    qtbot.waitUntil(lambda: form.attachments.count() == 1)
    before = form.fields()

    def locked(*args: object, **kwargs: object) -> None:
        # What the storage raises for a file locked past its timeout.
        raise DatabaseUnavailable("database is locked")

    monkeypatch.setattr(desk.incidents, "create", locked)
    form.save()
    qtbot.waitUntil(lambda: not form.banner.isHidden())
    assert "The incident was not saved: database is locked." in form.banner.text()
    assert "Everything you typed is still here" in form.banner.text()
    assert form.isVisible()
    assert form.save_button.isEnabled()
    assert form.status_label.text() == "Not saved."
    assert form.fields() == before
    qtbot.waitUntil(lambda: [d.fields for d in drafts.all()] == [before])
    assert desk.incidents.count(ALL_INCIDENTS) == 0

    monkeypatch.undo()
    with qtbot.waitSignal(form.saved) as saved:
        form.save()
    assert saved.args[0].title == "Queue workers stall"
    assert [a.filename for a in desk.attachments.for_incident(saved.args[0].id)] == ["worker.log"]
    qtbot.waitUntil(lambda: drafts.all() == [])


def test_a_form_whose_lists_did_not_load_says_so_and_loads_them_again(
    qtbot,
    runner,
    sqlite_desk: Desk,
    make_form: FormMaker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    desk = sqlite_desk
    seed_catalog(desk)
    failures: list[Exception] = []
    runner.failed.connect(failures.append)
    real_load = incident_form.load_form_context

    def connection_lost(*args: object) -> None:
        raise ConnectionLost("the connection is closed")

    monkeypatch.setattr(incident_form, "load_form_context", connection_lost)
    form = make_form(desk)
    qtbot.waitUntil(lambda: not form.banner.isHidden())
    assert "could not load its lists: the connection is closed." in form.banner.text()
    assert not form.retry_button.isHidden()
    type_text("Checkout down for everyone")

    form.save()  # Ctrl+Enter: says why nothing happens
    assert "Not saved: the form's lists have not loaded" in form.status_label.text()
    assert desk.incidents.count(ALL_INCIDENTS) == 0

    monkeypatch.setattr(incident_form, "load_form_context", real_load)
    with qtbot.waitSignal(form.loaded):
        qtbot.mouseClick(form.retry_button, Qt.MouseButton.LeftButton)
    assert form.title.text() == "Checkout down for everyone"  # what was typed stays
    assert form.retry_button.isHidden()
    assert form.service.count() > 1
    with qtbot.waitSignal(form.saved) as saved:
        form.save()
    assert saved.args[0].title == "Checkout down for everyone"
    assert failures == []


def test_an_edit_whose_lists_did_not_load_cannot_be_typed_into(
    qtbot, sqlite_desk: Desk, make_form: FormMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = sqlite_desk
    incident = desk.incidents.create(make_draft(title="As stored"), desk.actor_id)

    def connection_lost(*args: object) -> None:
        raise ConnectionLost("the connection is closed")

    monkeypatch.setattr(incident_form, "load_form_context", connection_lost)
    form = make_form(desk, incident.id)
    qtbot.waitUntil(lambda: not form.retry_button.isHidden())
    assert not form.title.isEnabled()  # an empty form would be saved over the incident
    monkeypatch.undo()
    with qtbot.waitSignal(form.loaded):
        form.retry_button.click()
    assert form.title.isEnabled()
    assert form.title.text() == "As stored"


def test_a_failed_duplicate_search_is_a_quiet_note_not_a_dialog(
    qtbot,
    runner,
    sqlite_desk: Desk,
    make_form: FormMaker,
    dialogs: RecordingDialogs,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    desk = sqlite_desk
    failures: list[Exception] = []
    runner.failed.connect(failures.append)
    form = make_form(desk)

    def connection_lost(*args: object) -> None:
        raise ConnectionLost("the connection is closed")

    monkeypatch.setattr(desk.triage, "similar_open", connection_lost)
    monkeypatch.setattr(desk.triage, "rank_among_open", connection_lost)
    type_text("Checkout down")
    qtbot.waitUntil(lambda: "could not be looked up" in form.duplicates.hint.text())

    assert "the connection is closed" in form.duplicates.hint.text()
    assert failures == []
    assert dialogs.messages == []
    assert form.banner.isHidden()


# 9. Editing


def test_editing_writes_one_field_change_per_changed_field(
    qtbot, desk: Desk, make_form: FormMaker
) -> None:
    incident = desk.incidents.create(
        make_draft(title="Checkout latency above 4 s", severity=Severity.SEV3),
        desk.actor_id,
    )
    form = make_form(desk, incident.id)
    assert form.title.text() == "Checkout latency above 4 s"
    assert form.severity.currentData() == Severity.SEV3
    form.title.selectAll()
    type_text("Checkout latency above 8 s")
    form.severity.setFocus()
    press(Qt.Key.Key_Up)  # SEV2
    with qtbot.waitSignal(form.saved) as saved:
        press(Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert saved.args[0].version == incident.version + 1

    entries = desk.timeline.entries(incident.id)
    changes = [entry for entry in entries if entry.kind is EntryKind.FIELD_CHANGE]
    assert {entry.details["field"]: entry.body for entry in changes} == {
        "title": "Title: Checkout latency above 4 s → Checkout latency above 8 s",
        "severity": "Severity: SEV3 → SEV2",
        "priority": "Priority: P4 → P3",  # severity × urgency through the matrix
    }
    assert {entry.author_name for entry in changes} == {"tester"}
    stored = desk.incidents.get(incident.id)
    assert stored.draft.reported_at == incident.draft.reported_at


def test_saving_an_unchanged_incident_writes_nothing(
    qtbot, sqlite_desk: Desk, make_form: FormMaker
) -> None:
    desk = sqlite_desk
    seed_catalog(desk)
    incident = desk.incidents.create(make_draft(reported_at=minutes_ago(42.123456)), desk.actor_id)
    form = make_form(desk, incident.id)
    with qtbot.waitSignal(form.saved) as saved:
        form.save()
    assert saved.args[0].version == incident.version
    assert [entry.kind for entry in desk.timeline.entries(incident.id)] == [EntryKind.STATUS_CHANGE]


def test_an_edit_conflict_is_shown_and_can_be_overwritten(
    qtbot, sqlite_desk: Desk, make_form: FormMaker
) -> None:
    desk = sqlite_desk
    incident = desk.incidents.create(make_draft(title="Search is slow"), desk.actor_id)
    form = make_form(desk, incident.id)
    form.title.selectAll()
    type_text("Search is slow in the EU")
    theirs = make_draft(
        title="Search is slow",
        reported_at=incident.draft.reported_at,
        links=Links(ticket="https://tickets.example.com/T-7"),
    )
    desk.incidents.update(incident.id, theirs, incident.version, desk.actor_id, base=incident.draft)

    form.save()
    qtbot.waitUntil(lambda: not form.banner.isHidden())
    assert "was changed by someone else" in form.banner.text()
    assert "Everything you typed is still here" in form.banner.text()
    assert not form.overwrite_button.isHidden()
    assert form.isVisible()
    assert desk.incidents.get(incident.id).title == "Search is slow"

    assert "Ticket: — → https://tickets.example.com/T-7" in form.banner.text()

    with qtbot.waitSignal(form.saved):
        qtbot.mouseClick(form.overwrite_button, Qt.MouseButton.LeftButton)
    stored = desk.incidents.get(incident.id)
    assert stored.title == "Search is slow in the EU"
    assert stored.draft.links.ticket == "https://tickets.example.com/T-7"  # theirs stays
    assert stored.version == incident.version + 2


def renamed_at_sev4(desk: Desk, make_form: FormMaker) -> tuple[IncidentForm, Incident]:
    """A form that renamed an incident of SEV3 and set SEV4, not saved yet."""
    incident = desk.incidents.create(
        make_draft(title="Search is slow", severity=Severity.SEV3), desk.actor_id
    )
    form = make_form(desk, incident.id)
    form.title.selectAll()
    type_text("Search is slow in the EU")
    form.severity.setCurrentIndex(form.severity.findData(Severity.SEV4))
    return form, incident


def edited_on_both_sides(desk: Desk, make_form: FormMaker) -> tuple[IncidentForm, Incident]:
    """A form that renamed the incident and set SEV4, while a colleague saved SEV2 and a
    description: the severity clashes, the rest does not."""
    form, incident = renamed_at_sev4(desk, make_form)
    desk.incidents.update(
        incident.id,
        replace(incident.draft, severity=Severity.SEV2, description="Frankfurt too"),
        incident.version,
        None,
        base=incident.draft,
    )
    return form, incident


def test_their_changes_can_be_taken_into_the_form_keeping_my_other_edits(
    qtbot, sqlite_desk: Desk, make_form: FormMaker
) -> None:
    form, _ = edited_on_both_sides(sqlite_desk, make_form)
    form.save()
    qtbot.waitUntil(lambda: not form.take_theirs_button.isHidden())

    qtbot.mouseClick(form.take_theirs_button, Qt.MouseButton.LeftButton)

    assert form.banner.isHidden()
    assert form.title.text() == "Search is slow in the EU"  # mine, not touched by them
    assert form.severity.currentData() is Severity.SEV2  # both changed it: theirs, as asked
    assert form.description.toPlainText() == "Frankfurt too"
    with qtbot.waitSignal(form.saved) as saved:
        form.save()
    stored = saved.args[0]
    assert (stored.title, stored.draft.severity) == ("Search is slow in the EU", Severity.SEV2)
    assert stored.draft.description == "Frankfurt too"


def test_ctrl_e_on_a_list_row_opens_the_edit_form(qtbot, window: MainWindow) -> None:
    window.show_view(1)  # the list in front: Ctrl+E takes the selection of the view shown
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.table.setFocus()
    window.table.setCurrentIndex(window.model.index(0, 0))
    press(Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(window.forms) == 1)
    form = window.forms[0]
    qtbot.waitUntil(form.isEnabled)
    desk = window.desk
    assert desk is not None
    incident = desk.incidents.get(form.incident_id or 0)
    assert form.title.text() == incident.title
    assert form.windowTitle() == f"Edit {incident.key}: {incident.title}"
    assert window.open_form(incident.id) is form  # the same incident is not opened twice


# 10. Possible duplicates


def test_a_report_like_an_open_incident_can_be_added_to_it(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    desk = window.desk
    assert desk is not None
    open_rows = desk.incidents.rows(IncidentQuery(statuses=frozenset(OPEN_STATUSES)), 0, 50)
    target = next(row for row in open_rows if len(significant_words(row.title)) >= 2)
    incidents_before = desk.incidents.count(ALL_INCIDENTS)
    log = tmp_path / "customer-report.log"
    log.write_text("customer 4411: payment page spins forever\n")

    form = open_ready_form(qtbot, window)
    activate(qtbot, form)
    type_text(target.title)
    form.source_name.setEditText("Ines Duarte")

    def listed() -> list[int]:
        items = [form.duplicates.list.item(row) for row in range(form.duplicates.list.count())]
        return [item.data(Qt.ItemDataRole.UserRole) for item in items]

    qtbot.waitUntil(lambda: target.id in listed())
    form.add_paths([log])
    qtbot.waitUntil(lambda: form.attachments.count() == 1)
    form.duplicates.list.setCurrentRow(listed().index(target.id))
    with qtbot.waitSignal(form.finished):
        qtbot.mouseClick(form.duplicates.link_button, Qt.MouseButton.LeftButton)

    assert desk.incidents.count(ALL_INCIDENTS) == incidents_before
    entries = desk.timeline.entries(target.id)
    notes = [entry for entry in entries if entry.kind is EntryKind.NOTE]
    assert notes[-1].body == f"Also reported by Ines Duarte: {target.title}"
    assert notes[-1].details["duplicate_report"] is True
    assert "customer-report.log" in [a.filename for a in desk.attachments.for_incident(target.id)]
    assert any(
        entry.kind is EntryKind.ATTACHMENT and "customer-report.log" in entry.body
        for entry in entries
    )
    qtbot.waitUntil(lambda: window.forms == [])


def test_a_duplicate_can_be_opened_from_the_form(qtbot, window: MainWindow, idle) -> None:
    desk = window.desk
    assert desk is not None
    open_rows = desk.incidents.rows(IncidentQuery(statuses=frozenset(OPEN_STATUSES)), 0, 50)
    target = next(row for row in open_rows if len(significant_words(row.title)) >= 2)
    form = open_ready_form(qtbot, window)
    form.title.setText(target.title)
    qtbot.waitUntil(lambda: form.duplicates.list.count() > 0)
    row = next(
        row
        for row in range(form.duplicates.list.count())
        if form.duplicates.list.item(row).data(Qt.ItemDataRole.UserRole) == target.id
    )
    form.duplicates.list.setCurrentRow(row)
    activate(qtbot, form)
    form.duplicates.list.setFocus()
    with qtbot.waitSignal(form.open_incident_requested) as requested:
        press(Qt.Key.Key_Return)
    assert requested.args == [target.id]
    # Enter opened the duplicate; it did not also press Save.
    assert form.save_button.isEnabled()
    assert form.isVisible()
    qtbot.waitUntil(idle)
    assert desk.incidents.count(ALL_INCIDENTS) == 400
    qtbot.waitUntil(lambda: any(f.incident_id == target.id for f in window.forms))


# 11. Esc


def test_esc_asks_before_discarding_and_removes_the_draft(
    qtbot, sqlite_desk: Desk, make_form: FormMaker, dialogs: RecordingDialogs, drafts: DraftStore
) -> None:
    form = make_form(sqlite_desk)
    type_text("Printer on fire")
    form.save_draft()
    qtbot.waitUntil(lambda: draft_titles(drafts) == ["Printer on fire"])

    dialogs.answers = [None]
    press(Qt.Key.Key_Escape)
    assert dialogs.messages == [
        ("choose", "Discard This Incident?", "What you typed will be lost.")
    ]
    assert form.isVisible()
    assert form.title.text() == "Printer on fire"

    dialogs.answers = ["Discard"]
    with qtbot.waitSignal(form.rejected):
        press(Qt.Key.Key_Escape)
    assert len(dialogs.messages) == 2
    assert not form.isVisible()
    qtbot.waitUntil(lambda: drafts.all() == [])


def test_esc_on_an_untouched_form_closes_without_asking(
    qtbot, sqlite_desk: Desk, make_form: FormMaker, dialogs: RecordingDialogs
) -> None:
    form = make_form(sqlite_desk)
    with qtbot.waitSignal(form.rejected):
        press(Qt.Key.Key_Escape)
    assert dialogs.messages == []


def test_closing_the_window_of_a_dirty_form_asks_too(
    qtbot, sqlite_desk: Desk, make_form: FormMaker, dialogs: RecordingDialogs
) -> None:
    form = make_form(sqlite_desk)
    type_text("Badge readers offline")
    dialogs.answers = [None]
    form.close()
    assert dialogs.messages[-1][1] == "Discard This Incident?"
    assert form.isVisible()


# Late answers from the background


def test_a_form_closed_while_work_is_in_flight_ignores_the_late_results(
    qtbot, window: MainWindow, tmp_path: Path, idle
) -> None:
    log = tmp_path / "big.log"
    log.write_bytes(b"x" * 3_000_000)
    form = open_ready_form(qtbot, window)
    form.title.setText("Disk full on build agents")
    form.urgency.setCurrentIndex(form.urgency.findData(Urgency.HIGH))  # a rank look-up
    form.add_paths([log])  # a file being read
    form.save_draft()
    shiboken6.delete(form)
    qtbot.waitUntil(idle)  # the results arrive for a form that is gone: nothing may fail
    assert window.forms == []


def test_a_restored_draft_keeps_its_severity_over_the_suggestion(
    qtbot, sqlite_desk: Desk, make_form: FormMaker
) -> None:
    fields = {"incident_id": None, "title": "From a draft", "severity": 2, "urgency": 1}
    form = make_form(sqlite_desk, restored_draft=fields, draft_key="new-restored00")
    assert form.title.text() == "From a draft"
    assert form.severity.currentData() == Severity.SEV2
    assert form.urgency.currentData() == Urgency.HIGH
    assert form.draft_key == "new-restored00"


# Any text


_any_character = st.characters(exclude_categories=())  # surrogates and controls included
_text = st.text(
    st.one_of(st.characters(categories=["L", "M", "N", "P", "S", "Zs"]), _any_character),
    max_size=30,
)
# A pasted log: long, in lines of words (one 100,000-letter word would only time Qt's layout).
_long_text = st.builds(
    lambda piece, end, size: ((piece + end) * (size // (len(piece) + 1) + 1))[:size],
    st.text(st.characters(categories=["L", "N", "P"]), min_size=1, max_size=12),
    st.sampled_from([" ", "\n"]),
    st.sampled_from([100_000, 200_001]),  # under and over the limit
)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    title=_text,
    description=st.one_of(_text, _long_text),
    source_name=_text,
    contact=_text,
)
def test_any_text_in_the_form_is_saved_exactly_or_refused_with_a_field_error(
    qtbot,
    sqlite_desk: Desk,
    make_form: FormMaker,
    title: str,
    description: str,
    source_name: str,
    contact: str,
) -> None:
    desk = sqlite_desk
    form = make_form(desk)
    form.title.setText(title)
    form.description.setPlainText(description)
    form.source_name.setEditText(source_name)
    form.source_contact.setText(contact)
    held = (
        form.title.text(),
        form.description.toPlainText(),
        form.source_name.currentText(),
        form.source_contact.text(),
    )
    saved: list[Incident] = []
    form.saved.connect(saved.append)
    before = desk.incidents.count(ALL_INCIDENTS)

    form.save()
    qtbot.waitUntil(lambda: bool(saved) or form.save_button.isEnabled())
    event("saved" if saved else "refused")
    if saved:
        draft = desk.incidents.get(saved[0].id).draft
        assert (draft.title, draft.description, draft.source_name, draft.source_contact) == held
    else:
        shown = [label.text() for label in form.errors.values() if label.isVisible()]
        assert shown, "refused without saying which field"
        assert form.isVisible()
        assert desk.incidents.count(ALL_INCIDENTS) == before
    form.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(form))


# Another person's program, in a process of its own: it sets SEV2 and a description.
COLLEAGUES_EDIT = """
import sys
from dataclasses import replace
from incidentdesk.domain.enums import Severity
from incidentdesk.services.desk import open_desk

desk = open_desk(sys.argv[1], login="colleague")
incident = desk.incidents.get(int(sys.argv[2]))
edited = replace(incident.draft, severity=Severity.SEV2, description="Frankfurt too")
desk.incidents.update(incident.id, edited, incident.version, desk.actor_id, base=incident.draft)
desk.close()
"""


def test_an_edit_clashing_with_another_process_is_merged_on_each_engine(
    qtbot, desk: Desk, database_address: str, make_form: FormMaker
) -> None:
    form, incident = renamed_at_sev4(desk, make_form)
    subprocess.run(
        [sys.executable, "-c", COLLEAGUES_EDIT, database_address, str(incident.id)],
        check=True,
        timeout=60,
    )

    form.save()
    qtbot.waitUntil(lambda: getattr(form, "merge_dialog", None) is not None)
    dialog = form.merge_dialog
    qtbot.waitUntil(dialog.isVisible)
    dialog.pick("severity", MINE)
    with qtbot.waitSignal(form.saved) as saved:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    stored = desk.incidents.get(saved.args[0].id).draft
    assert stored.title == "Search is slow in the EU"
    assert stored.description == "Frankfurt too"
    assert stored.severity is Severity.SEV4


@pytest.mark.parametrize(("side", "severity"), [(MINE, Severity.SEV4), (THEIRS, Severity.SEV2)])
def test_a_clash_is_merged_field_by_field_and_both_sides_work_is_kept(
    qtbot, sqlite_desk: Desk, make_form: FormMaker, side: int, severity: Severity
) -> None:
    desk = sqlite_desk
    form, incident = edited_on_both_sides(sqlite_desk, make_form)
    form.save()
    qtbot.waitUntil(lambda: getattr(form, "merge_dialog", None) is not None)
    dialog = form.merge_dialog
    qtbot.waitUntil(dialog.isVisible)
    assert not dialog.save_button.isEnabled()  # each clash needs a choice
    dialog.pick("severity", side)
    assert dialog.save_button.isEnabled()

    with qtbot.waitSignal(form.saved) as saved:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    stored = saved.args[0]
    assert stored.title == "Search is slow in the EU"  # mine alone: kept
    assert stored.draft.description == "Frankfurt too"  # theirs alone: kept
    assert stored.draft.severity is severity  # both: as chosen
    assert desk.incidents.get(incident.id).draft.severity is severity


def test_cancelling_the_merge_keeps_the_form_and_its_choices(
    qtbot, sqlite_desk: Desk, make_form: FormMaker
) -> None:
    desk = sqlite_desk
    incident = desk.incidents.create(make_draft(severity=Severity.SEV3), desk.actor_id)
    form = make_form(desk, incident.id)
    form.severity.setCurrentIndex(form.severity.findData(Severity.SEV4))
    desk.incidents.update(
        incident.id,
        replace(incident.draft, severity=Severity.SEV1),
        incident.version,
        None,
        base=incident.draft,
    )
    form.save()
    qtbot.waitUntil(lambda: getattr(form, "merge_dialog", None) is not None)
    form.merge_dialog.reject()
    assert form.isVisible()
    assert form.severity.currentData() is Severity.SEV4  # nothing typed is lost
    assert not form.merge_button.isHidden()
    assert not form.overwrite_button.isHidden()
    assert desk.incidents.get(incident.id).draft.severity is Severity.SEV1
