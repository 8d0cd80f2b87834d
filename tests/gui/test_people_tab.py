"""Settings → People: the table as an item model, an admin adding and changing people, bad
input refused with the typed text kept, and the form disabled for everyone else with the
reason on hover."""

from __future__ import annotations

from PySide6.QtCore import Qt

from incidentdesk.domain.enums import Role
from incidentdesk.services.catalog import NamedItem, Person
from incidentdesk.services.desk import Desk
from incidentdesk.storage import models as m
from incidentdesk.ui.people_tab import PeopleModel, PeopleTab
from incidentdesk.ui.settings_dialog import SettingsDialog
from incidentdesk.ui.tasks import TaskRunner


def open_tab(qtbot, desk: Desk, runner: TaskRunner) -> PeopleTab:
    runner.use(desk)
    tab = PeopleTab(runner)
    qtbot.addWidget(tab)
    # As in the settings window, where the tab bar has the focus: a table given the focus
    # makes its first row current, which chooses that person. The form takes the focus only
    # once the people are read (it is disabled until then), so the tab is shown after that.
    qtbot.waitUntil(lambda: not runner.busy and tab.model.rowCount() > 0)
    tab.name.setFocus()
    tab.show()
    return tab


def save_and_wait(qtbot, runner: TaskRunner, tab: PeopleTab, button: str) -> None:
    getattr(tab, button).click()
    qtbot.waitUntil(lambda: not runner.busy and tab.status.text() != "Saving…", timeout=10_000)


def test_the_people_model_is_a_sound_item_model(qtmodeltester) -> None:
    model = PeopleModel()
    qtmodeltester.check(model)  # empty
    model.set_people(
        [
            Person(1, "Ada Admin", "ada", "ada@example.org", 7, Role.ADMIN),
            Person(2, "Bea Staff", "bea", "", None, Role.STAFF),
        ],
        [NamedItem(7, "Platform")],
    )
    qtmodeltester.check(model)
    assert [model.data(model.index(0, column)) for column in range(5)] == [
        "Ada Admin",
        "ada",
        "ada@example.org",
        "Platform",
        "Admin",
    ]
    assert model.data(model.index(1, 3)) == ""
    assert model.headerData(2, Qt.Orientation.Horizontal) == "E-mail"
    assert model.data(model.index(0, 0), Qt.ItemDataRole.EditRole) is None
    assert model.row_of(2) == 1
    assert model.row_of(99) is None


def test_an_admin_adds_a_person_and_changes_their_role_and_team(
    qtbot, sqlite_desk: Desk, runner: TaskRunner
) -> None:
    team = sqlite_desk.catalog.create_team("Platform")
    tab = open_tab(qtbot, sqlite_desk, runner)
    assert tab.note.text() == "You are an admin: add people here, and change their team and role."
    assert tab.add_button.isEnabled()
    assert not tab.save_button.isEnabled()  # nobody chosen yet
    assert tab.save_button.toolTip() == "Choose a person first"

    tab.name.setText("Bea Lee")
    tab.login.setText("bea")
    tab.email.setText("bea@example.org")
    tab.team.setCurrentIndex(tab.team.findData(team))
    save_and_wait(qtbot, runner, tab, "add_button")
    assert tab.status.text() == "Added Bea Lee."
    qtbot.waitUntil(lambda: tab.model.rowCount() == 2)
    bea = next(p for p in sqlite_desk.catalog.people() if p.login == "bea")
    assert (bea.email, bea.team_id, bea.role) == ("bea@example.org", team, Role.STAFF)

    tab.table.selectRow(tab.model.row_of(bea.id))  # type: ignore[arg-type]
    assert tab.name.text() == "Bea Lee"
    assert tab.save_button.isEnabled()
    tab.role.setCurrentIndex(tab.role.findData(Role.LEAD.value))
    tab.team.setCurrentIndex(0)  # no team
    save_and_wait(qtbot, runner, tab, "save_button")
    assert tab.status.text() == "Saved the changes to Bea Lee."
    changed = next(p for p in sqlite_desk.catalog.people() if p.login == "bea")
    assert (changed.role, changed.team_id) == (Role.LEAD, None)

    save_and_wait(qtbot, runner, tab, "save_button")
    assert tab.status.text() == "Nothing had changed, so nothing was saved."


def test_bad_input_is_refused_the_field_focused_and_the_typed_text_kept(
    qtbot, sqlite_desk: Desk, runner: TaskRunner
) -> None:
    tab = open_tab(qtbot, sqlite_desk, runner)
    tab.name.setText("Bea Lee")
    tab.login.setText("tester")  # taken by the fixture's person
    tab.email.setText("bea at example.org")
    save_and_wait(qtbot, runner, tab, "add_button")
    assert tab.status.text() == "The e-mail address looks wrong; write it as name@example.org."
    assert tab.email.hasFocus()
    assert (tab.name.text(), tab.login.text(), tab.email.text()) == (
        "Bea Lee",
        "tester",
        "bea at example.org",
    )
    tab.email.setText("bea@example.org")
    save_and_wait(qtbot, runner, tab, "add_button")
    assert tab.status.text() == "tester already has the login 'tester'; pick another."
    assert tab.login.hasFocus()
    assert tab.login.text() == "tester"
    assert [p.login for p in sqlite_desk.catalog.people()] == ["tester"]


def test_the_last_admin_is_told_to_make_another_admin_first(
    qtbot, sqlite_desk: Desk, runner: TaskRunner
) -> None:
    tab = open_tab(qtbot, sqlite_desk, runner)
    tab.table.selectRow(0)
    tab.role.setCurrentIndex(tab.role.findData(Role.STAFF.value))
    save_and_wait(qtbot, runner, tab, "save_button")
    assert "only admin" in tab.status.text()
    assert tab.role.hasFocus()
    assert tab.role.currentData() == Role.STAFF.value  # the choice is kept, not reset
    assert m.User.get_by_id(sqlite_desk.actor_id).role == Role.ADMIN.value


def test_staff_and_leads_see_the_people_but_may_not_change_them(
    qtbot, sqlite_desk: Desk, runner: TaskRunner
) -> None:
    sqlite_desk.catalog.create_person("Ada Admin", "ada", role=Role.ADMIN)
    for role in (Role.STAFF, Role.LEAD):
        m.User.update(role=role.value).where(m.User.id == sqlite_desk.actor_id).execute()
        tab = open_tab(qtbot, sqlite_desk, runner)
        qtbot.waitUntil(lambda tab=tab: tab.model.rowCount() == 2)
        reason = (
            "Only an admin can add people or change their role and team, and you are "
            f"{role.value}; ask Ada Admin to do it."
        )
        assert tab.note.text() == reason
        for widget in (tab.name, tab.email, tab.team, tab.role, tab.add_button, tab.save_button):
            assert not widget.isEnabled()
            assert widget.toolTip() == reason
        tab.table.selectRow(0)
        assert not tab.save_button.isEnabled()


def test_the_settings_window_has_the_people_tab_and_its_changes_are_listed(
    qtbot, sqlite_desk: Desk, runner: TaskRunner
) -> None:
    runner.use(sqlite_desk)
    dialog = SettingsDialog(runner)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: not runner.busy and dialog._team is not None)
    labels = [dialog.tabs.tabText(index) for index in range(dialog.tabs.count())]
    assert "Peop&le" in labels
    tab = dialog.people_tab
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1)
    tab.name.setText("Bea Lee")
    tab.login.setText("bea")
    save_and_wait(qtbot, runner, tab, "add_button")
    qtbot.waitUntil(lambda: not runner.busy and dialog.changes.count() == 1)
    assert "tester added “Bea Lee (bea) · staff · no team · no e-mail” to the people" in (
        dialog.changes.item(0).text()
    )
