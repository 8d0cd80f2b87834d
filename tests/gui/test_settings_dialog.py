"""Edit → Settings…: personal settings in QSettings, the team's through the service, what
staff may not change disabled with the reason, and bad values refused with the field named."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QTabBar, QWidget

from incidentdesk.domain.enums import Role, Severity, Urgency
from incidentdesk.services.desk import Desk
from incidentdesk.storage import models as m
from incidentdesk.ui import times
from incidentdesk.ui.main_window import MainWindow
from incidentdesk.ui.personal_settings import (
    PersonalSettings,
    Theme,
    TimeDisplay,
    apply_personal_settings,
    load_personal_settings,
)
from incidentdesk.ui.settings_dialog import SettingsDialog
from incidentdesk.ui.settings_models import PriorityMatrixModel, SlaTargetsModel
from incidentdesk.ui.tasks import TaskRunner
from incidentdesk.ui.theme import is_dark
from tests.conftest import FIXED_NOW
from tests.gui.form_helpers import activate
from tests.gui.test_tab_order import tab_cycle


def make_role(desk: Desk, role: Role) -> None:
    m.User.update(role=role.value).where(m.User.id == desk.actor_id).execute()


def open_dialog(qtbot, desk: Desk, runner: TaskRunner) -> SettingsDialog:
    runner.use(desk)
    dialog = SettingsDialog(runner)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: not runner.busy and dialog._team is not None)
    return dialog


def wait_idle(qtbot, runner: TaskRunner) -> None:
    qtbot.waitUntil(lambda: not runner.busy, timeout=10_000)


def test_the_grids_are_sound_item_models(qtmodeltester, sqlite_desk: Desk) -> None:
    matrix = PriorityMatrixModel()
    team = sqlite_desk.team_settings.current()
    matrix.set_cells(team.priority_cells)
    qtmodeltester.check(matrix)
    sla = SlaTargetsModel()
    sla.set_targets(team.sla_targets)
    qtmodeltester.check(sla)
    assert matrix.data(matrix.index(0, 0)) == "P1"
    assert matrix.headerData(2, Qt.Orientation.Horizontal) == "Low urgency"
    assert sla.data(sla.index(0, 1)) == "60 min"
    assert not matrix.setData(matrix.index(1, 1), "urgent")  # not a number: left as it was
    assert matrix.data(matrix.index(1, 1), Qt.ItemDataRole.EditRole) == 3


def test_an_admin_saves_the_team_settings_and_the_change_is_listed(
    qtbot, sqlite_desk: Desk, runner: TaskRunner
) -> None:
    make_role(sqlite_desk, Role.ADMIN)
    dialog = open_dialog(qtbot, sqlite_desk, runner)
    assert dialog.save_button.isEnabled()
    assert dialog.role_note.text() == "You are an admin: changes here apply to everyone."
    assert dialog.attachment_limit.value() == 25
    dialog.attachment_limit.setValue(8)
    model = dialog.matrix_model
    assert model.setData(model.index(2, 2), "P4")  # SEV3 × Low
    assert model.setData(model.index(3, 2), "5")  # SEV4 × Low stays below it
    dialog.save_button.click()
    wait_idle(qtbot, runner)
    assert dialog.team_status.text() == "Saved the attachment size limit, the priority matrix."
    assert sqlite_desk.settings.attachment_max_bytes() == 8 * 1024 * 1024
    matrix = sqlite_desk.settings.priority_matrix()
    assert matrix.priority(Severity.SEV3, Urgency.LOW).value == 4
    wait_idle(qtbot, runner)
    changes = [dialog.changes.item(row).text() for row in range(dialog.changes.count())]
    assert len(changes) == 2
    assert all("tester changed" in text for text in changes)


def test_an_invalid_value_is_refused_with_the_field_named(
    qtbot, sqlite_desk: Desk, runner: TaskRunner
) -> None:
    make_role(sqlite_desk, Role.ADMIN)
    dialog = open_dialog(qtbot, sqlite_desk, runner)
    dialog.show()
    sla = dialog.sla_model
    assert sla.setData(sla.index(1, 0), "500")  # SEV2: acknowledge after recovering (240)
    dialog.save_button.click()
    wait_idle(qtbot, runner)
    assert dialog.team_status.text().startswith(
        "SLA targets, SEV2 recover: 240 min is sooner than acknowledge (500 min)"
    )
    assert sqlite_desk.settings.sla_targets()["SEV2"]["acknowledge_minutes"] == 15
    assert sla.data(sla.index(1, 0), Qt.ItemDataRole.EditRole) == 500  # what was typed stays


def test_staff_see_the_team_settings_but_may_not_change_them(
    qtbot, sqlite_desk: Desk, runner: TaskRunner
) -> None:
    make_role(sqlite_desk, Role.STAFF)
    sqlite_desk.catalog.create_person("Ada Admin", "ada", role=Role.ADMIN)
    dialog = open_dialog(qtbot, sqlite_desk, runner)
    reason = (
        "Only an admin can change the team's settings (priority matrix, SLA targets, limits), "
        "and you are staff; ask Ada Admin to do it."
    )
    assert dialog.role_note.text() == reason
    for widget in (dialog.save_button, dialog.attachment_limit):
        assert not widget.isEnabled()
        assert widget.toolTip() == reason
    assert not dialog.matrix_model.flags(dialog.matrix_model.index(0, 0)) & (
        Qt.ItemFlag.ItemIsEditable
    )
    catalogs = (
        "Only a lead or an admin can change the catalogs (services, categories, teams), and "
        "you are staff; ask Ada Admin to do it."
    )
    dialog.catalog.setCurrentIndex(2)  # teams
    for widget in (dialog.add_button, dialog.up_button, dialog.entry_name):
        assert not widget.isEnabled()
        assert widget.toolTip() == catalogs


def test_a_lead_changes_the_catalogs_but_not_the_team_settings(
    qtbot, sqlite_desk: Desk, runner: TaskRunner
) -> None:
    make_role(sqlite_desk, Role.LEAD)
    dialog = open_dialog(qtbot, sqlite_desk, runner)
    assert not dialog.save_button.isEnabled()
    assert dialog.save_button.toolTip().startswith("Only an admin can change the team's")
    dialog.catalog.setCurrentIndex(2)  # teams
    assert dialog.add_button.isEnabled()
    assert dialog.add_button.toolTip() == ""
    dialog.entry_name.setText("Platform")
    dialog.add_button.click()
    wait_idle(qtbot, runner)
    qtbot.waitUntil(lambda: dialog.entries.count() == 1)
    assert dialog.catalog_status.text() == "Saved."
    assert [team.name for team in sqlite_desk.catalog.teams()] == ["Platform"]


def test_catalog_entries_are_added_renamed_and_ordered(
    qtbot, sqlite_desk: Desk, runner: TaskRunner
) -> None:
    make_role(sqlite_desk, Role.ADMIN)
    dialog = open_dialog(qtbot, sqlite_desk, runner)
    dialog.catalog.setCurrentIndex(2)  # teams
    for name in ("Support", "Platform"):
        dialog.entry_name.setText(name)
        dialog.add_button.click()
        wait_idle(qtbot, runner)
    assert [dialog.entries.item(row).text() for row in range(dialog.entries.count())] == [
        "Support",
        "Platform",
    ]
    dialog.entries.setCurrentRow(1)
    dialog.up_button.click()
    wait_idle(qtbot, runner)
    assert [team.name for team in sqlite_desk.catalog.teams()] == ["Platform", "Support"]
    dialog.entries.setCurrentRow(0)
    dialog.entry_name.setText("Support")
    dialog.rename_button.click()
    wait_idle(qtbot, runner)
    assert dialog.catalog_status.text() == "There is already a team called 'Support'."
    dialog.catalog.setCurrentIndex(3)  # monitoring sources
    dialog.entries.setCurrentRow(0)
    dialog.remove_button.click()
    wait_idle(qtbot, runner)
    assert "Prometheus Alertmanager" not in sqlite_desk.settings.monitoring_sources()


def test_personal_settings_round_trip_and_apply(
    qtbot, sqlite_desk: Desk, runner: TaskRunner
) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    dialog = open_dialog(qtbot, sqlite_desk, runner)
    try:
        dialog.theme.setCurrentIndex(list(Theme).index(Theme.DARK))
        dialog.time_display.setCurrentIndex(list(TimeDisplay).index(TimeDisplay.UTC))
        dialog.notifications["assigned"].setChecked(False)
        QSettings().sync()
        loaded = load_personal_settings()
        assert loaded.theme is Theme.DARK
        assert loaded.time_display is TimeDisplay.UTC
        assert loaded.notifications["assigned"] is False
        assert loaded.notifications["new_major"] is True
        assert is_dark(app.palette())
        assert times.local_text(FIXED_NOW) == "2026-11-27 12:00 UTC"
    finally:
        apply_personal_settings(app, PersonalSettings())
    assert not is_dark(app.palette())
    assert not times.local_text(FIXED_NOW).endswith("UTC")


def test_a_stored_value_from_elsewhere_falls_back_to_the_default(qapp) -> None:
    QSettings().setValue("personal/theme", "purple")
    assert load_personal_settings().theme is Theme.SYSTEM


def test_settings_open_from_the_edit_menu_with_ctrl_comma(
    qtbot, window: MainWindow, runner: TaskRunner
) -> None:
    assert window.settings_action.isEnabled()
    assert window.settings_action.shortcut().toString() == "Ctrl+,"
    dialog = window.show_settings()
    assert isinstance(dialog, SettingsDialog)
    qtbot.waitUntil(lambda: not runner.busy)
    dialog.show()
    activate(qtbot, dialog)
    order = tab_cycle(dialog.theme)
    assert order[:3] == ["Theme", "Show times in", "A new SEV1 or SEV2 incident"]
    dialog.close()


def mnemonics(dialog: QWidget) -> list[str]:
    """The Alt+letter keys of everything shown in ``dialog`` now (tabs, labels, buttons)."""
    texts = [
        widget.text()
        for widget in dialog.findChildren(QWidget)
        if isinstance(widget, QAbstractButton | QLabel) and widget.isVisibleTo(dialog)
    ]
    for bar in dialog.findChildren(QTabBar):
        texts += [bar.tabText(index) for index in range(bar.count())]
    return [
        text[text.index("&") + 1].lower()
        for text in texts
        if "&" in text.replace("&&", "") and text.index("&") + 1 < len(text)
    ]


def test_no_two_controls_share_a_mnemonic(qtbot, sqlite_desk: Desk, runner: TaskRunner) -> None:
    make_role(sqlite_desk, Role.ADMIN)
    dialog = open_dialog(qtbot, sqlite_desk, runner)
    dialog.show()
    for tab in range(dialog.tabs.count()):
        dialog.tabs.setCurrentIndex(tab)
        keys = mnemonics(dialog)
        assert len(keys) == len(set(keys)), (dialog.tabs.tabText(tab), sorted(keys))
