"""The rules that map an alert's labels to an incident's service, category and severity, the
label that groups alerts, and whether an incident whose alerts have all resolved is set
recovered. They are kept in the database (``intake_rule``), so every receiver and desk of a
team reads the same; ``incidentdesk intake rules`` shows and replaces them."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from incidentdesk.domain.enums import Severity
from incidentdesk.domain.validation import FieldError, ValidationFailed
from incidentdesk.services.clock import Clock, utc_now
from incidentdesk.storage import models as m
from incidentdesk.storage.database import Store, store_operations

DEFAULT_SEVERITY = Severity.SEV3


@dataclass(frozen=True)
class Rule:
    """Alerts whose ``label`` is ``value`` (every alert, where ``label`` is empty) get what
    the rule sets; ``None`` and empty strings set nothing."""

    label: str = ""
    value: str = ""
    service: str = ""
    category: str = ""
    severity: Severity | None = None
    group_by: str = ""
    recover_when_resolved: bool | None = None

    def matches(self, labels: Mapping[str, str]) -> bool:
        return not self.label or labels.get(self.label) == self.value


@dataclass(frozen=True)
class Decision:
    """What the rules say about one alert."""

    service_id: int | None = None
    category_id: int | None = None
    severity: Severity = DEFAULT_SEVERITY
    group_by: str = ""
    recover_when_resolved: bool = False


@dataclass(frozen=True)
class StoredRule:
    rule: Rule
    service_id: int | None
    category_id: int | None


def decide(rules: Sequence[StoredRule], labels: Mapping[str, str]) -> Decision:
    """For each setting, the first matching rule that sets it."""
    found: dict[str, Any] = {}
    for stored in rules:
        rule = stored.rule
        if not rule.matches(labels):
            continue
        if stored.service_id is not None:
            found.setdefault("service_id", stored.service_id)
        if stored.category_id is not None:
            found.setdefault("category_id", stored.category_id)
        if rule.severity is not None:
            found.setdefault("severity", rule.severity)
        if rule.group_by:
            found.setdefault("group_by", rule.group_by)
        if rule.recover_when_resolved is not None:
            found.setdefault("recover_when_resolved", rule.recover_when_resolved)
    return Decision(**found)


def rule_from_json(entry: Any, index: int) -> Rule:
    """A rule as ``incidentdesk intake rules --set`` reads it from a JSON file."""
    path = f"rule {index + 1}"
    if not isinstance(entry, dict):
        raise ValidationFailed([FieldError(path, f"{path} must be a JSON object.")])
    unknown = set(entry) - {
        "label",
        "value",
        "service",
        "category",
        "severity",
        "group_by",
        "recover_when_resolved",
    }
    if unknown:
        raise ValidationFailed(
            [FieldError(path, f"{path} has fields no rule has: {', '.join(sorted(unknown))}.")]
        )
    texts = {}
    for key in ("label", "value", "service", "category", "group_by"):
        value = entry.get(key, "")
        if not isinstance(value, str) or len(value) > 200:
            raise ValidationFailed([FieldError(path, f"{path}: {key} must be a short string.")])
        texts[key] = value
    severity = entry.get("severity")
    if severity is not None:
        names = {level.label: level for level in Severity}
        if severity not in names:
            raise ValidationFailed([FieldError(path, f"{path}: severity must be SEV1 to SEV5.")])
        severity = names[severity]
    recover = entry.get("recover_when_resolved")
    if recover is not None and not isinstance(recover, bool):
        raise ValidationFailed(
            [FieldError(path, f"{path}: recover_when_resolved must be true or false.")]
        )
    return Rule(severity=severity, recover_when_resolved=recover, **texts)


def _as_json(rules: Sequence[Rule]) -> str:
    return json.dumps([rule_to_json(rule) for rule in rules], ensure_ascii=False)


def rule_to_json(rule: Rule) -> dict[str, Any]:
    entry: dict[str, Any] = {"label": rule.label, "value": rule.value}
    for key in ("service", "category", "group_by"):
        if getattr(rule, key):
            entry[key] = getattr(rule, key)
    if rule.severity is not None:
        entry["severity"] = rule.severity.label
    if rule.recover_when_resolved is not None:
        entry["recover_when_resolved"] = rule.recover_when_resolved
    return entry


RULE_TEXT_MAX_LENGTH = 200
SETTING_KEY = "intake_rules"  # its name in the record of changes (setting_change)
_CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f]")
_TEXTS = (("label", "the label"), ("value", "the value"), ("group_by", "the grouping label"))


def rule_errors(rules: Sequence[Rule]) -> list[FieldError]:
    """What is wrong with each rule, each error naming its cell (``intake_rules.2.value``,
    rules counted from 0) and saying in its sentence which rule (counted from 1)."""
    return [
        FieldError(f"{SETTING_KEY}.{index}.{column}", f"Rule {index + 1}: {sentence}")
        for index, rule in enumerate(rules)
        for column, sentence in _problems(rule)
    ]


def _problems(rule: Rule) -> list[tuple[str, str]]:
    """(column, sentence) for each thing wrong with ``rule``."""
    problems = []
    for column, name in _TEXTS:
        text = getattr(rule, column)
        if len(text) > RULE_TEXT_MAX_LENGTH:
            problems.append((column, f"{name} is over {RULE_TEXT_MAX_LENGTH} characters."))
        elif _CONTROL_CHARACTER.search(text):
            problems.append((column, f"{name} contains control characters or line breaks."))
        elif text != text.strip():
            problems.append(
                (
                    column,
                    f"{name} begins or ends with a space, which no label from monitoring does.",
                )
            )
    if rule.value and not rule.label:
        problems.append(("label", f"give the label whose value is “{rule.value[:40]}”."))
    elif rule.label and not rule.value:
        problems.append(("value", f"give the value of {rule.label[:40]} that the rule is for."))
    sets_nothing = not (rule.service or rule.category or rule.group_by) and (
        rule.severity is None and rule.recover_when_resolved is None
    )
    if sets_nothing:
        problems.append(
            (
                "service",
                "it sets nothing; choose a service, category, severity, grouping label or "
                "whether resolving sets recovered, or remove the rule.",
            )
        )
    return problems


def _names(model: type[m.Service | m.Category]) -> dict[int | None, str]:
    return {int(row.id): str(row.name) for row in model.select(model.id, model.name)}


@store_operations
class RuleService:
    def __init__(self, store: Store, clock: Clock = utc_now) -> None:
        self._store = store
        self._clock = clock

    def stored(self) -> list[StoredRule]:
        services = _names(m.Service)
        categories = _names(m.Category)
        rules = []
        for row in m.IntakeRule.select().order_by(m.IntakeRule.position, m.IntakeRule.id):
            rule = Rule(
                label=row.label,
                value=row.value,
                service=services.get(row.service_id, ""),
                category=categories.get(row.category_id, ""),
                severity=Severity(row.severity) if row.severity is not None else None,
                group_by=row.group_by,
                recover_when_resolved=row.recover_when_resolved,
            )
            rules.append(StoredRule(rule, row.service_id, row.category_id))
        return rules

    def rules(self) -> list[Rule]:
        return [stored.rule for stored in self.stored()]

    def replace(self, rules: Sequence[Rule], actor_id: int | None = None) -> bool:
        """Put ``rules`` in place of the stored ones, in their order, and record the change
        as made by ``actor_id``; False (and nothing recorded) when they were the same. Every
        rule is checked first: a wrong one, or a service or category the catalog does not
        have, is refused naming it, and nothing is changed."""
        errors = rule_errors(rules)
        if errors:
            raise ValidationFailed(errors)
        with self._store.write():
            before = self.rules()
            rows = []
            for position, rule in enumerate(rules):
                rows.append(
                    {
                        "position": position,
                        "label": rule.label,
                        "value": rule.value,
                        "service": self._named(m.Service, rule.service, "service", position),
                        "category": self._named(m.Category, rule.category, "category", position),
                        "severity": int(rule.severity) if rule.severity is not None else None,
                        "group_by": rule.group_by,
                        "recover_when_resolved": rule.recover_when_resolved,
                    }
                )
            if list(rules) == before:
                return False
            m.IntakeRule.delete().execute()
            if rows:
                m.IntakeRule.insert_many(rows).execute()
            m.SettingChange.insert(
                changed_at=self._clock(),
                actor=actor_id,
                setting=SETTING_KEY,
                old_value=_as_json(before),
                new_value=_as_json(rules),
            ).execute()
        return True

    @staticmethod
    def _named(model: type[m.Record], name: str, kind: str, position: int) -> int | None:
        if not name:
            return None
        row = model.get_or_none(model.name == name)  # type: ignore[attr-defined]
        if row is None:
            raise ValidationFailed(
                [
                    FieldError(
                        f"{SETTING_KEY}.{position}.{kind}",
                        f"Rule {position + 1}: there is no {kind} named {name!r}.",
                    )
                ]
            )
        return int(row.id)
