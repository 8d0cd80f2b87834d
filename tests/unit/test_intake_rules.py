"""The intake rules as admins change them: every rule checked with its cell named, only an
admin may change them from the settings window, and each change is recorded (who, when,
before and after)."""

from __future__ import annotations

import json

import pytest

from incidentdesk.domain.enums import Role, Severity
from incidentdesk.domain.validation import ValidationFailed
from incidentdesk.intake.rules import SETTING_KEY, Rule, RuleService, rule_errors
from incidentdesk.services.desk import Desk
from incidentdesk.services.errors import NotAllowed
from incidentdesk.storage import models as m


def make_role(desk: Desk, role: Role) -> None:
    m.User.update(role=role.value).where(m.User.id == desk.actor_id).execute()


@pytest.mark.parametrize(
    ("rule", "field", "sentence"),
    [
        (Rule(value="critical", severity=Severity.SEV1), "0.label", "give the label whose value"),
        (Rule(label="team", group_by="team"), "0.value", "give the value of team"),
        (Rule(label="team", value="db"), "0.service", "it sets nothing"),
        (Rule(label="a\nb", value="x", group_by="g"), "0.label", "control characters"),
        (Rule(label="team", value=" db", group_by="g"), "0.value", "begins or ends with a space"),
        (Rule(group_by="x" * 201), "0.group_by", "over 200 characters"),
        (Rule(label="team", value="db\x7f", group_by="g"), "0.value", "control characters"),
    ],
)
def test_a_wrong_rule_is_named_by_its_cell(rule: Rule, field: str, sentence: str) -> None:
    (error,) = rule_errors([rule])
    assert error.field == f"{SETTING_KEY}.{field}"
    assert error.message.startswith("Rule 1: ")
    assert sentence in error.message


def test_rules_that_set_something_pass() -> None:
    assert (
        rule_errors(
            [
                Rule(label="severity", value="critical", severity=Severity.SEV1),
                Rule(recover_when_resolved=False),
                Rule(group_by="alertname"),
                Rule(label="team", value="payments", service="Checkout"),
            ]
        )
        == []
    )


def test_every_wrong_rule_is_reported_and_nothing_is_changed(desk: Desk) -> None:
    rules = RuleService(desk.store)
    before = rules.rules()
    wrong = [Rule(label="ok", value="1", severity=Severity.SEV2), Rule(), Rule(value="x")]
    with pytest.raises(ValidationFailed) as refused:
        rules.replace(wrong, desk.actor_id)
    assert [error.field for error in refused.value.errors] == [
        f"{SETTING_KEY}.1.service",
        f"{SETTING_KEY}.2.label",
        f"{SETTING_KEY}.2.service",
    ]
    assert rules.rules() == before
    assert not m.SettingChange.select().exists()


def test_a_change_is_recorded_with_before_and_after_and_a_save_of_the_same_is_not(
    desk: Desk,
) -> None:
    rules = RuleService(desk.store)
    before = rules.rules()
    new = [Rule(label="team", value="db", group_by="instance"), *before]
    assert rules.replace(new, desk.actor_id)
    assert rules.rules() == new
    assert not rules.replace(new, desk.actor_id)
    (change,) = m.SettingChange.select()
    assert (change.setting, change.actor_id) == (SETTING_KEY, desk.actor_id)
    assert len(json.loads(change.old_value)) == len(before)
    assert json.loads(change.new_value)[0] == {
        "label": "team",
        "value": "db",
        "group_by": "instance",
    }
    history = desk.team_settings.history()
    assert [entry.setting for entry in history] == [SETTING_KEY]


def test_only_an_admin_changes_the_rules_from_the_settings(desk: Desk) -> None:
    before = RuleService(desk.store).rules()
    make_role(desk, Role.LEAD)
    with pytest.raises(NotAllowed, match="Only an admin can change the team's settings"):
        desk.team_settings.set_intake_rules([Rule(group_by="alertname")])
    assert RuleService(desk.store).rules() == before
    make_role(desk, Role.ADMIN)
    assert desk.team_settings.set_intake_rules([Rule(group_by="alertname")])
    assert RuleService(desk.store).rules() == [Rule(group_by="alertname")]


def test_a_service_the_catalog_lacks_names_its_cell(desk: Desk) -> None:
    make_role(desk, Role.ADMIN)
    with pytest.raises(ValidationFailed) as refused:
        desk.team_settings.set_intake_rules(
            [Rule(group_by="x"), Rule(label="a", value="b", category="Nowhere")]
        )
    (error,) = refused.value.errors
    assert error.field == f"{SETTING_KEY}.1.category"
    assert error.message == "Rule 2: there is no category named 'Nowhere'."
