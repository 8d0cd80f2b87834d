"""Settings → Alert Rules: admins edit the intake rules in a grid, checked when saved with the
cell at fault chosen and what was typed kept; the change is recorded and listed; everyone
else sees the rules read-only and why."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QComboBox, QLineEdit, QStyleOptionViewItem, QWidget

from incidentdesk.domain.enums import Role, Severity
from incidentdesk.intake.rules import Rule, RuleService
from incidentdesk.services.desk import Desk
from incidentdesk.ui.intake_rules_tab import (
    COLUMN_INDEX,
    NOTHING,
    ChoiceDelegate,
    IntakeRulesModel,
)
from incidentdesk.ui.settings_dialog import SettingsDialog
from incidentdesk.ui.tasks import TaskRunner
from tests.gui.form_helpers import activate
from tests.gui.test_settings_dialog import make_role, open_dialog, wait_idle
from tests.gui.test_tab_order import tab_cycle

LABEL, VALUE, SERVICE = COLUMN_INDEX["label"], COLUMN_INDEX["value"], COLUMN_INDEX["service"]
SEVERITY = COLUMN_INDEX["severity"]
RECOVER = COLUMN_INDEX["recover_when_resolved"]


def rules_tab(qtbot, desk: Desk, runner: TaskRunner) -> SettingsDialog:
    dialog = open_dialog(qtbot, desk, runner)
    qtbot.waitUntil(lambda: dialog.alert_rules._loaded is not None)
    dialog.tabs.setCurrentWidget(dialog.alert_rules)
    return dialog


def test_the_rules_grid_is_a_sound_item_model(qtmodeltester) -> None:
    model = IntakeRulesModel()
    model.services, model.categories = ["Checkout"], ["Outage"]
    model.set_rules(
        [
            Rule(label="severity", value="critical", severity=Severity.SEV1),
            Rule(label="team", value="pay", service="Checkout", recover_when_resolved=True),
        ]
    )
    qtmodeltester.check(model)
    assert model.data(model.index(0, SEVERITY)) == "SEV1"
    assert model.data(model.index(1, RECOVER)) == "Yes"
    assert model.data(model.index(0, RECOVER)) == NOTHING
    assert (
        model.data(model.index(1, SERVICE), Qt.ItemDataRole.AccessibleTextRole)
        == "Rule 2, Service: Checkout"
    )
    assert not model.setData(model.index(0, SERVICE), "Nowhere")  # not in the catalog
    assert not model.setData(model.index(0, SEVERITY), "SEV9")
    assert model.setData(model.index(0, SEVERITY), NOTHING)
    assert model.rules()[0].severity is None
    model.insert_rule(1, Rule(group_by="alertname"))
    assert model.move_rule(1, 1)
    assert not model.move_rule(2, 1)  # the last goes no further
    assert [rule.group_by for rule in model.rules()] == ["", "", "alertname"]
    qtmodeltester.check(model)
    model.remove_rule(0)
    assert model.rowCount() == 2


def test_choices_are_picked_from_a_list_and_text_is_typed(qapp) -> None:
    model = IntakeRulesModel()
    model.services = ["Checkout", "Search"]
    model.set_rules([Rule(label="team", value="pay", service="Search")])
    delegate, parent = ChoiceDelegate(), QWidget()
    editor = delegate.createEditor(parent, QStyleOptionViewItem(), model.index(0, SERVICE))
    assert isinstance(editor, QComboBox)
    assert [editor.itemText(i) for i in range(editor.count())] == ["", "Checkout", "Search"]
    delegate.setEditorData(editor, model.index(0, SERVICE))
    assert editor.currentText() == "Search"
    editor.setCurrentIndex(1)
    delegate.setModelData(editor, model, model.index(0, SERVICE))
    assert model.rules()[0].service == "Checkout"
    typed = delegate.createEditor(parent, QStyleOptionViewItem(), model.index(0, VALUE))
    assert isinstance(typed, QLineEdit)
    assert not model.setData(QModelIndex(), "x")
    parent.deleteLater()


def test_an_admin_adds_a_rule_saves_it_and_the_change_is_listed(
    qtbot, sqlite_desk: Desk, runner: TaskRunner
) -> None:
    make_role(sqlite_desk, Role.ADMIN)
    sqlite_desk.catalog.create_service("Checkout")
    dialog = rules_tab(qtbot, sqlite_desk, runner)
    tab = dialog.alert_rules
    before = RuleService(sqlite_desk.store).rules()
    assert tab.model.rowCount() == len(before)
    assert tab.save_button.isEnabled()
    assert tab.role_note.text().startswith("You are an admin")
    tab.table.setCurrentIndex(tab.model.index(-1, -1))
    tab.add_button.click()
    model = tab.model
    assert model.setData(model.index(0, LABEL), "team")
    assert model.setData(model.index(0, VALUE), "payments")
    assert model.setData(model.index(0, SERVICE), "Checkout")
    tab.save_button.click()
    wait_idle(qtbot, runner)
    assert tab.status.text() == "Saved the alert rules."
    stored = RuleService(sqlite_desk.store).rules()
    assert stored == [Rule(label="team", value="payments", service="Checkout"), *before]
    changes = [dialog.changes.item(row).text() for row in range(dialog.changes.count())]
    assert len(changes) == 1
    assert changes[0].endswith("tester changed the alert rules")
    tab.save_button.click()
    wait_idle(qtbot, runner)
    assert tab.status.text() == "Nothing had changed, so nothing was saved."


def test_a_wrong_rule_is_refused_its_cell_chosen_and_the_typing_kept(
    qtbot, sqlite_desk: Desk, runner: TaskRunner
) -> None:
    make_role(sqlite_desk, Role.ADMIN)
    dialog = rules_tab(qtbot, sqlite_desk, runner)
    dialog.show()
    tab = dialog.alert_rules
    before = RuleService(sqlite_desk.store).rules()
    model = tab.model
    assert model.setData(model.index(1, VALUE), "")  # rule 2: a label without its value
    tab.save_button.click()
    wait_idle(qtbot, runner)
    assert tab.status.text() == "Rule 2: give the value of severity that the rule is for."
    assert (tab.table.currentIndex().row(), tab.table.currentIndex().column()) == (1, VALUE)
    assert model.rules()[1].value == ""  # what was typed stays
    assert RuleService(sqlite_desk.store).rules() == before
    assert tab.save_button.isEnabled()


def test_rules_are_removed_and_reordered_and_discarding_brings_the_stored_back(
    qtbot, sqlite_desk: Desk, runner: TaskRunner
) -> None:
    make_role(sqlite_desk, Role.ADMIN)
    dialog = rules_tab(qtbot, sqlite_desk, runner)
    tab = dialog.alert_rules
    before = RuleService(sqlite_desk.store).rules()
    tab.table.setCurrentIndex(tab.model.index(0, LABEL))
    tab.down_button.click()
    assert tab.table.currentIndex().row() == 1
    assert tab.model.rules()[:2] == [before[1], before[0]]
    tab.remove_button.click()
    assert tab.model.rules() == [before[1], *before[2:]]
    tab.discard_button.click()
    wait_idle(qtbot, runner)
    assert tab.model.rules() == before
    tab.table.setCurrentIndex(tab.model.index(-1, -1))
    tab.remove_button.click()
    assert tab.status.text() == "Choose the rule to remove in the grid first."


def test_staff_see_the_rules_read_only_and_why(
    qtbot, sqlite_desk: Desk, runner: TaskRunner
) -> None:
    make_role(sqlite_desk, Role.STAFF)
    dialog = rules_tab(qtbot, sqlite_desk, runner)
    tab = dialog.alert_rules
    reason = (
        "Only an admin can change the alert rules; you are staff. Ask an admin of this "
        "database to make a change."
    )
    assert tab.role_note.text() == reason
    assert tab.model.rowCount() == len(RuleService(sqlite_desk.store).rules())
    for button in (tab.add_button, tab.remove_button, tab.save_button, tab.up_button):
        assert not button.isEnabled()
        assert button.toolTip() == reason
    assert not tab.model.flags(tab.model.index(0, 0)) & Qt.ItemFlag.ItemIsEditable
    assert not tab.model.setData(tab.model.index(0, LABEL), "team")


def test_the_tab_is_reached_by_keyboard_with_named_controls(
    qtbot, sqlite_desk: Desk, runner: TaskRunner
) -> None:
    make_role(sqlite_desk, Role.ADMIN)
    dialog = rules_tab(qtbot, sqlite_desk, runner)
    dialog.show()
    activate(qtbot, dialog)
    assert dialog.tabs.tabText(dialog.tabs.currentIndex()) == "Alert Rules"
    dialog.alert_rules.table.setFocus()
    order = tab_cycle(dialog.alert_rules.table)
    assert order[:7] == [
        "Alert rules",
        "Add Rule",
        "Remove Rule",
        "Move Up",
        "Move Down",
        "Discard Changes",
        "Save Rules",
    ]
