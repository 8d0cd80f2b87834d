"""Notifications in the main window (ui/notifications.py): another client's change that is
news to the person is shown through the backend, counted on the badge and in the title, and
clicking it opens the incident; turned-off kinds stay silent; this window's own writes never
notify; a flood is one notification. On SQLite and PostgreSQL, as another person's program
(a second desk in this process) and as another process."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace

import pytest
from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtWidgets import QApplication

from incidentdesk.domain.enums import OPEN_STATUSES, Severity
from incidentdesk.domain.incident import Incident
from incidentdesk.services import notifications as decisions
from incidentdesk.services.changes import Changed, ChangeKind, changed
from incidentdesk.services.desk import Desk
from incidentdesk.services.incidents import IncidentQuery
from incidentdesk.services.notifications import Notification, NotificationKind
from incidentdesk.storage import models as m
from incidentdesk.ui.main_window import MainWindow
from incidentdesk.ui.notifications import TrayBackend, WindowBackend
from incidentdesk.ui.settings_dialog import SettingsDialog
from incidentdesk.ui.tasks import TaskRunner
from tests.factories import make_draft
from tests.gui.conftest import RecordingDialogs, make_demo_database
from tests.gui.other_clients import (
    SHOWN_WITHIN_MS,
    close_and_settle,
    open_following_window,
    shared_database,
)

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support raise")


class RecordingBackend(QObject):
    """A desktop that records what it is asked to show; ``click`` is the person clicking."""

    name = "a recording backend"
    clicked = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.shown: list[Notification] = []

    def show(self, notification: Notification) -> None:
        self.shown.append(notification)

    def click(self, notification: Notification) -> None:
        self.clicked.emit(notification)


@pytest.fixture(params=["sqlite", "postgres"])
def shared_address(request: pytest.FixtureRequest) -> str:
    return shared_database(request, 30)


@pytest.fixture
def desktop() -> RecordingBackend:
    return RecordingBackend()


@pytest.fixture
def window(
    qtbot,
    runner: TaskRunner,
    dialogs: RecordingDialogs,
    shared_address: str,
    desktop: RecordingBackend,
    idle,
) -> Iterator[MainWindow]:
    main_window = open_following_window(qtbot, runner, dialogs, shared_address)
    main_window.notifications.use_backend(desktop)
    qtbot.waitUntil(lambda: main_window.notifications.watching, timeout=SHOWN_WITHIN_MS)
    yield main_window
    close_and_settle(qtbot, main_window, idle)


def me(window: MainWindow) -> int:
    assert window.desk is not None
    return window.desk.actor_id


def assign(desk: Desk, incident: Incident, person_id: int) -> Incident:
    edited, _ = desk.incidents.update(
        incident.id,
        replace(incident.draft, assignee_id=person_id),
        incident.version,
        desk.actor_id,
        base=incident.draft,
    )
    return edited


def test_a_sev1_logged_by_another_client_is_shown_and_clicking_opens_it(
    qtbot, window: MainWindow, other: Desk, desktop: RecordingBackend, idle
) -> None:
    created = other.incidents.create(
        make_draft(title="Checkout down", severity=Severity.SEV1), other.actor_id
    )
    qtbot.waitUntil(lambda: len(desktop.shown) == 1, timeout=SHOWN_WITHIN_MS)
    [told] = desktop.shown
    assert (told.kind, told.title, told.body) == (
        NotificationKind.NEW_MAJOR,
        f"New SEV1 incident: {created.key}",
        "Checkout down",
    )
    notifications = window.notifications
    assert notifications.unseen_count == 1
    assert notifications.badge.isVisibleTo(window)
    assert notifications.badge.text() == "1 new"
    assert window.windowTitle().startswith("(1) Incident Desk")

    desktop.click(told)
    assert set(window._workspaces) == {created.id}
    qtbot.waitUntil(lambda: window.workspaces[0].data is not None)
    assert notifications.unseen_count == 0
    assert notifications.badge.text() == "Notifications"
    assert not window.windowTitle().startswith("(")
    qtbot.waitUntil(idle)
    window.workspaces[0].close()


def test_an_assignment_by_another_process_is_shown(
    qtbot, window: MainWindow, shared_address: str, desktop: RecordingBackend
) -> None:
    assert window.desk is not None
    [row] = window.desk.incidents.rows(IncidentQuery(statuses=frozenset(OPEN_STATUSES)), 0, 1)
    finished = subprocess.run(
        [
            sys.executable,
            "-c",
            ASSIGN_IN_ANOTHER_PROCESS,
            shared_address,
            str(row.id),
            str(me(window)),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert finished.stdout.strip().endswith("assigned")
    qtbot.waitUntil(lambda: len(desktop.shown) == 1, timeout=SHOWN_WITHIN_MS)
    assert desktop.shown[0].title == f"Assigned to you: INC-{row.number}"
    assert desktop.shown[0].incident_ids == (row.id,)


ASSIGN_IN_ANOTHER_PROCESS = """
import sys
from dataclasses import replace
from incidentdesk.services.desk import open_desk

desk = open_desk(sys.argv[1], login="colleague")
try:
    incident = desk.incidents.get(int(sys.argv[2]))
    desk.incidents.update(
        incident.id,
        replace(incident.draft, assignee_id=int(sys.argv[3])),
        incident.version,
        desk.actor_id,
        base=incident.draft,
    )
    print("assigned")
finally:
    desk.close()
"""


def test_a_kind_turned_off_in_the_settings_stays_silent_at_once(
    qtbot, window: MainWindow, runner: TaskRunner, other: Desk, desktop: RecordingBackend
) -> None:
    dialog = SettingsDialog(runner, window)
    qtbot.addWidget(dialog)
    dialog.notifications[NotificationKind.NEW_MAJOR.value].setChecked(False)
    other.incidents.create(make_draft(severity=Severity.SEV1), other.actor_id)
    minor = other.incidents.create(make_draft(severity=Severity.SEV4), other.actor_id)
    assign(other, minor, me(window))
    qtbot.waitUntil(lambda: len(desktop.shown) >= 1, timeout=SHOWN_WITHIN_MS)
    assert [told.kind for told in desktop.shown] == [NotificationKind.ASSIGNED]
    # The assignment was written last: had the SEV1 been told, it would be here by now.
    assert window.notifications.unseen_count == 1


def logged_by_me(desk: Desk) -> Changed[int]:
    created = desk.incidents.create(make_draft(severity=Severity.SEV1), desk.actor_id)
    return changed(created.id, [created.id], ChangeKind.CREATED)


def test_this_windows_own_writes_never_notify(
    qtbot, window: MainWindow, runner: TaskRunner, other: Desk, desktop: RecordingBackend
) -> None:
    with qtbot.waitSignal(runner.changes.incidents_changed, timeout=SHOWN_WITHIN_MS):
        runner.write(
            window,
            logged_by_me,
            lambda _: None,
            pytest.fail,
        )
    theirs = other.incidents.create(make_draft(severity=Severity.SEV2), other.actor_id)
    qtbot.waitUntil(lambda: len(desktop.shown) >= 1, timeout=SHOWN_WITHIN_MS)
    assert [told.incident_ids for told in desktop.shown] == [(theirs.id,)]


def test_a_flood_committed_at_once_is_one_notification(
    qtbot, window: MainWindow, other: Desk, desktop: RecordingBackend
) -> None:
    with other.store.write():
        flood = [
            other.incidents.create(make_draft(title=f"Flood {n}", severity=Severity.SEV2), None)
            for n in range(25)
        ]
    qtbot.waitUntil(lambda: len(desktop.shown) >= 1, timeout=SHOWN_WITHIN_MS)
    [told] = desktop.shown
    assert told.title == "25 new SEV2 incidents"
    assert set(told.incident_ids) == {incident.id for incident in flood}
    assert window.notifications.unseen_count == 25
    assert window.notifications.badge.text() == "25 new"


@pytest.fixture
def short_quiet_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decisions, "QUIET_S", 5.0)


def test_a_flood_of_commits_is_held_back_and_told_as_one(
    qtbot, short_quiet_time: None, window: MainWindow, other: Desk, desktop: RecordingBackend
) -> None:
    flood = [
        other.incidents.create(make_draft(title=f"One by one {n}", severity=Severity.SEV2), None)
        for n in range(10)
    ]

    def told() -> set[int]:
        return {incident_id for shown in desktop.shown for incident_id in shown.incident_ids}

    qtbot.waitUntil(lambda: told() == {i.id for i in flood}, timeout=SHOWN_WITHIN_MS)
    # The first as it came, then what came within the quiet time as one.
    assert 1 <= len(desktop.shown) <= 2, [shown.title for shown in desktop.shown]


def test_coming_back_to_the_window_clears_the_badge_and_its_menu_opens_the_incident(
    qtbot, window: MainWindow, other: Desk, desktop: RecordingBackend, idle
) -> None:
    created = other.incidents.create(make_draft(severity=Severity.SEV2), other.actor_id)
    qtbot.waitUntil(lambda: window.notifications.unseen_count == 1, timeout=SHOWN_WITHIN_MS)
    QApplication.sendEvent(window, QEvent(QEvent.Type.WindowActivate))
    badge = window.notifications.badge
    assert window.notifications.unseen_count == 0
    assert not badge.font().bold()
    assert badge.isVisibleTo(window)  # the recent notifications stay listed
    [entry] = badge.menu().actions()
    assert entry.text() == f"New SEV2 incident: {created.key}"
    entry.trigger()
    assert set(window._workspaces) == {created.id}
    qtbot.waitUntil(lambda: window.workspaces[0].data is not None)
    qtbot.waitUntil(idle)
    window.workspaces[0].close()


def test_a_notification_of_a_database_left_opens_nothing(
    qtbot, window: MainWindow, other: Desk, desktop: RecordingBackend, tmp_path
) -> None:
    other.incidents.create(make_draft(severity=Severity.SEV1), other.actor_id)
    qtbot.waitUntil(lambda: len(desktop.shown) == 1, timeout=SHOWN_WITHIN_MS)
    second = f"sqlite:///{tmp_path / 'second.db'}"
    make_demo_database(second, 5)
    with qtbot.waitSignal(window.view_painted, timeout=SHOWN_WITHIN_MS):
        window.open_database(second)
    assert window.notifications.unseen_count == 0
    assert not window.notifications.badge.isVisibleTo(window)
    desktop.click(desktop.shown[0])
    assert window.workspaces == []


def test_without_a_tray_the_window_shows_notifications_and_says_so_in_the_log(
    qtbot, runner: TaskRunner, dialogs: RecordingDialogs, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="incidentdesk.ui.notifications")
    window = MainWindow(runner, dialogs)
    qtbot.addWidget(window)
    assert isinstance(window.notifications.backend, WindowBackend)
    assert "Notifications are shown by the window's status bar (no system tray here)" in [
        record.getMessage() for record in caplog.records
    ]
    window.notifications.backend.show(
        Notification(NotificationKind.ASSIGNED, "Assigned to you: INC-7", "Disk full\nmore", (7,))
    )
    assert window.statusBar().currentMessage() == "Assigned to you: INC-7 — Disk full"


# Offscreen has no tray: Qt says so when the icon is shown, and shows no message.
@pytest.mark.qt_log_ignore("No such signal QPlatformNativeInterface::systemTrayWindowChanged")
def test_a_click_on_the_tray_message_is_the_last_one_shown(qtbot, qapp) -> None:
    from PySide6.QtWidgets import QWidget

    owner = QWidget()
    qtbot.addWidget(owner)
    tray = TrayBackend(owner)
    clicked: list[Notification] = []
    tray.clicked.connect(clicked.append)
    tray.tray.messageClicked.emit()  # nothing shown yet: nothing to open
    first = Notification(NotificationKind.NEW_MAJOR, "New SEV1 incident: INC-1", "", (1,))
    second = Notification(NotificationKind.ASSIGNED, "Assigned to you: INC-2", "", (2,))
    tray.show(first)
    tray.show(second)
    tray.tray.messageClicked.emit()
    assert clicked == [second]
    tray.tray.hide()


def test_a_person_in_a_team_hears_of_escalations_to_it(
    qtbot, window: MainWindow, other: Desk, desktop: RecordingBackend
) -> None:
    from incidentdesk.domain.lifecycle import Step
    from incidentdesk.services.lifecycle import StepRequest

    team = other.catalog.create_team("Database")
    with other.store.write():
        m.User.update(team=team).where(m.User.id == me(window)).execute()
    incident = other.incidents.create(make_draft(severity=Severity.SEV3), other.actor_id)
    other.lifecycle.take(
        incident.id,
        StepRequest(Step.ESCALATE, note="Replication lag", to_team_id=team),
        other.actor_id,
    )
    qtbot.waitUntil(lambda: len(desktop.shown) == 1, timeout=SHOWN_WITHIN_MS)
    assert desktop.shown[0].title == f"Escalated to Database (L2): {incident.key}"
