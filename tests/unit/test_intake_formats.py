"""Each sender's format read from its documented payloads, and every kind of bad input
refused with a reason (``PayloadRefused``), never anything else."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incidentdesk.intake import formats
from incidentdesk.intake.alerts import AlertState, Format, PayloadRefused
from tests import intake_payloads as p
from tests.conftest import FIXED_NOW

DOCUMENTED = {
    Format.ALERTMANAGER: p.alertmanager(),
    Format.GRAFANA: p.grafana(),
    Format.PAGERDUTY: p.pagerduty_trigger(),
    Format.GENERIC: p.generic(),
}


def parse(payload: Any, expected: Format | None = None) -> formats.Notification:
    return formats.parse(json.dumps(payload).encode(), FIXED_NOW, expected)


@pytest.mark.parametrize("format_", list(Format))
def test_each_documented_payload_is_told_apart_and_read(format_: Format) -> None:
    notification = parse(DOCUMENTED[format_])
    assert notification.format is format_
    assert notification.alerts[0].state is AlertState.FIRING
    assert parse(DOCUMENTED[format_], format_) == notification


def test_an_alertmanager_alert_keeps_its_fields() -> None:
    (alert,) = parse(p.alertmanager()).alerts
    assert alert.fingerprint == "1a30ba71cca2921f"
    assert alert.ends_at is None  # Go's zero time: not known yet
    assert alert.group_key == '{}/{severity="critical"}:{alertname="ProbeFailure"}'
    assert alert.labels["job"] == "http_checks"
    assert alert.where == "checkout-2b11"


def test_an_alertmanager_alert_without_a_fingerprint_is_known_by_its_labels() -> None:
    payload = p.alertmanager()
    del payload["alerts"][0]["fingerprint"]
    first = parse(payload).alerts[0].fingerprint
    assert first == parse(payload).alerts[0].fingerprint
    payload["alerts"][0]["labels"]["instance"] = "other"
    assert parse(payload).alerts[0].fingerprint != first


def test_pagerduty_followups_need_only_the_dedup_key() -> None:
    (alert,) = parse(p.pagerduty_followup("acknowledge")).alerts
    assert (alert.state, alert.fingerprint) == (AlertState.ACKNOWLEDGED, "samplekeyhere")
    with pytest.raises(PayloadRefused, match="dedup_key is required for resolve"):
        parse({"routing_key": "k", "event_action": "resolve"})


def test_a_pagerduty_trigger_without_a_dedup_key_is_the_same_alert_when_retried() -> None:
    payload = p.pagerduty_trigger()
    del payload["dedup_key"]
    assert parse(payload).alerts[0].fingerprint == parse(payload).alerts[0].fingerprint


def _set(document: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    target = changed
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return changed


def _paths(document: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = []
    items = document.items() if isinstance(document, dict) else enumerate(document)
    for key, value in items:
        found.append((*prefix, key))
        if isinstance(value, dict | list) and value:
            found += _paths(value, (*prefix, key))
    return found


WRONG_TYPES = (12345, ["a", "list"], {"an": "object"}, True, 1.5)
# Fields whose wrong type is ignored by design: values the receiver does not read.
IGNORED = {"custom_details"}


@pytest.mark.parametrize("format_", list(Format))
def test_a_wrong_type_in_any_field_is_refused_naming_it(format_: Format) -> None:
    document = DOCUMENTED[format_]
    checked = 0
    for path in _paths(document):
        if IGNORED & {str(step) for step in path} or path[-1] in (
            "B",
            "C",
            "load avg",
            "ping time",
        ):
            continue
        original = _value(document, path)
        for wrong in WRONG_TYPES:
            if type(wrong) is type(original):
                continue
            changed = _set(document, path, wrong)
            with pytest.raises(PayloadRefused) as refused:
                parse(changed, format_)
            assert refused.value.message
            checked += 1
    assert checked >= 5 * len(_paths(document)) // 2  # most fields, each of four wrong types


def _value(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        document = document[step]
    return document


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"source": "x", "key": "k", "title": "trunc', "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b'["an", "array"]', "must be a JSON object"),
        (b'{"hello": "world"}', "format is not known"),
        (b"", "not valid JSON"),
    ],
)
def test_bodies_that_are_no_payload_are_refused(body: bytes, reason: str) -> None:
    with pytest.raises(PayloadRefused, match=reason):
        formats.parse(body, FIXED_NOW)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (_set(p.alertmanager(), ("alerts", 0, "startsAt"), "0001-01-01T00:00:00Z"), "before 1970"),
        (
            _set(p.alertmanager(), ("alerts", 0, "startsAt"), "9999-12-31T23:59:59Z"),
            "in the future",
        ),
        (_set(p.alertmanager(), ("alerts", 0, "startsAt"), "yesterday"), "not an RFC 3339"),
        (_set(p.alertmanager(), ("alerts", 0, "startsAt"), "2026-11-27T10:00:00"), "no time zone"),
        (_set(p.pagerduty_trigger(), ("payload", "timestamp"), "9999-01-01T00:00:00Z"), "future"),
        (_set(p.alertmanager(), ("alerts", 0, "status"), "exploded"), 'must be "firing"'),
        (_set(p.alertmanager(), ("version",), "3"), 'version must be "4"'),
        (_set(p.alertmanager(), ("alerts",), []), "alerts is empty"),
        (_set(p.pagerduty_trigger(), ("event_action",), "escalate"), "event_action must be"),
        (_set(p.pagerduty_trigger(), ("payload", "severity"), "bad"), "payload.severity must be"),
        (_set(p.pagerduty_trigger(), ("payload", "summary"), "x" * 1025), "longer than 1024"),
        (_set(p.pagerduty_trigger(), ("dedup_key",), "k" * 256), "longer than 255"),
        (_set(p.generic(), ("links",), [{"href": "not a url"}]), "full address"),
        ({k: v for k, v in p.generic().items() if k != "title"}, "title is missing"),
        (
            _set(p.alertmanager(), ("alerts", 0, "labels", "instance"), "a\x1b[31mred"),
            "control characters",
        ),
        (_set(p.alertmanager(), ("alerts", 0, "labels", "instance"), "line\nbreak"), "control"),
        (_set(p.generic(), ("labels",), {"bad\x00name": "v"}), "control characters"),
        (_set(p.generic(), ("title",), "\ud800"), "lone surrogate"),
    ],
)
def test_fields_that_are_wrong_are_refused_with_the_reason(payload: Any, reason: str) -> None:
    with pytest.raises(PayloadRefused, match=reason):
        parse(payload)


def _read_or_refused(document: Any, expected: Format | None = None) -> formats.Notification | str:
    """The notification, or the reason it was refused; any other exception fails the test."""
    try:
        return parse(document, expected)
    except PayloadRefused as refused:
        return refused.message


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


@given(JSON)
def test_any_json_is_read_or_refused_with_a_reason(document: Any) -> None:
    outcome = _read_or_refused(document)
    assert isinstance(outcome, formats.Notification) or outcome


@given(
    st.sampled_from(list(Format)),
    st.lists(
        st.sampled_from(sorted({str(s) for path in _paths(p.alertmanager()) for s in path})),
        max_size=3,
    ),
    JSON,
)
def test_a_documented_payload_with_any_field_replaced_is_read_or_refused(
    format_: Format, keys: list[str], value: Any
) -> None:
    document: Any = copy.deepcopy(DOCUMENTED[format_])
    for path in _paths(document):
        if str(path[-1]) in keys:
            document = _set(document, path, value)
            break
    outcome = _read_or_refused(document, format_)
    assert outcome.alerts if isinstance(outcome, formats.Notification) else outcome


@given(
    st.dictionaries(
        st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,20}", fullmatch=True),
        st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=50),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from(["firing", "resolved"]),
)
def test_any_valid_labels_make_an_alert_with_them(labels: dict[str, str], status: str) -> None:
    alert = p.alertmanager_alert(status=status)
    alert["labels"] = labels
    payload = p.alertmanager(alerts=[alert])
    payload["commonLabels"] = {}
    (parsed,) = parse(payload).alerts
    assert dict(parsed.labels) == labels
    assert parsed.state.value == status
