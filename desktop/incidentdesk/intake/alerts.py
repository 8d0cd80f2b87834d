"""Alerts as plain values, whatever format they came in, and the checks every parser shares.

Each parser reads a decoded JSON document and gives back a ``Notification``, or raises
``PayloadRefused`` naming the field that is wrong; nothing is written for a refused payload.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from incidentdesk.errors import ServiceError

# Alertmanager and Grafana send Go's zero time for an end that is not known yet.
GO_ZERO_YEAR = 1
EARLIEST_PLAUSIBLE = datetime(1970, 1, 1, tzinfo=UTC)
CLOCK_SKEW_ALLOWANCE = timedelta(minutes=5)
TEXT_MAX_LENGTH = 10_000
KEY_MAX_LENGTH = 255  # PagerDuty's limit for a dedup_key; fingerprints are far shorter
MAX_ALERTS = 1_000
# Below space and DEL: a tab is allowed in any text, line breaks only in multi-line ones.
# (Searches, not a loop in Python over every character of every label and annotation.)
_CONTROL_IN_LINE = re.compile("[\x00-\x08\x0a-\x1f\x7f]")
_CONTROL_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class PayloadRefused(ServiceError, ValueError):
    """The request cannot be processed as it is (bad JSON, unknown format, a missing or wrong
    field); the message says what to fix. Answered with HTTP 400."""


class Format(StrEnum):
    ALERTMANAGER = "alertmanager"
    GRAFANA = "grafana"
    PAGERDUTY = "pagerduty"
    GENERIC = "generic"

    @property
    def label(self) -> str:
        return _FORMAT_LABELS[self]


_FORMAT_LABELS = {
    Format.ALERTMANAGER: "Alertmanager",
    Format.GRAFANA: "Grafana",
    Format.PAGERDUTY: "PagerDuty",
    Format.GENERIC: "Generic",
}


class AlertState(StrEnum):
    FIRING = "firing"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class Link:
    url: str
    text: str = ""


@dataclass(frozen=True)
class Alert:
    """One alert of a notification.

    ``fingerprint`` identifies it across notifications (Alertmanager's and Grafana's
    fingerprint, PagerDuty's dedup_key, the generic form's key), ``group_key`` the group its
    sender put it in (empty for none). ``starts_at`` is when it started firing, if the sender
    says; a repeated notification of one firing has the same ``starts_at``."""

    system: str
    fingerprint: str
    state: AlertState
    summary: str
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    links: tuple[Link, ...] = ()
    details: str = ""
    group_key: str = ""

    @property
    def where(self) -> str:
        """The place the alert names (an instance, host or source), for timeline entries."""
        for name in ("instance", "host", "hostname", "pod", "node", "source", "job"):
            value = self.labels.get(name, "")
            if value:
                return value
        return ""

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "") or self.summary


@dataclass(frozen=True)
class Notification:
    """What one request carries: its format and its alerts, in the order sent."""

    format: Format
    alerts: tuple[Alert, ...]


# Readers: each takes the value found at ``path`` and names the path when it is wrong.


def require_object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PayloadRefused(f"{path} must be a JSON object")
    return value


def optional_object(document: dict[str, Any], key: str, path: str) -> dict[str, Any]:
    value = document.get(key)
    return {} if value is None else require_object(value, path)


def check_text(text: str, path: str, *, multiline: bool = False) -> str:
    if len(text) > TEXT_MAX_LENGTH:
        raise PayloadRefused(f"{path} is longer than {TEXT_MAX_LENGTH:,} characters")
    control = _CONTROL_IN_TEXT if multiline else _CONTROL_IN_LINE
    if control.search(text) is not None:
        raise PayloadRefused(f"{path} contains control characters")
    if _LONE_SURROGATE.search(text) is not None:
        raise PayloadRefused(f"{path} contains broken Unicode (a lone surrogate)")
    return text


def require_text(document: dict[str, Any], key: str, path: str, *, multiline: bool = False) -> str:
    value = document.get(key)
    if value is None:
        raise PayloadRefused(f"{path} is missing")
    if not isinstance(value, str):
        raise PayloadRefused(f"{path} must be a string")
    if not value.strip():
        raise PayloadRefused(f"{path} is empty")
    return check_text(value, path, multiline=multiline)


def optional_text(document: dict[str, Any], key: str, path: str, *, multiline: bool = False) -> str:
    value = document.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise PayloadRefused(f"{path} must be a string")
    return check_text(value, path, multiline=multiline)


def string_map(document: dict[str, Any], key: str, path: str, *, multiline: bool) -> dict[str, str]:
    """A JSON object of strings (labels, annotations), each name and value checked."""
    mapping = optional_object(document, key, path)
    checked = {}
    for name, value in mapping.items():
        check_text(name, f"{path} name {name[:40]!r}")
        if not name.strip():
            raise PayloadRefused(f"{path} has an empty name")
        if not isinstance(value, str):
            raise PayloadRefused(f"{path}.{name} must be a string")
        checked[name] = check_text(value, f"{path}.{name}", multiline=multiline)
    return checked


def check_key(key: str, path: str) -> str:
    if len(key) > KEY_MAX_LENGTH:
        raise PayloadRefused(f"{path} is longer than {KEY_MAX_LENGTH} characters")
    return key


def parse_time(
    text: str, path: str, now: datetime, *, unset_allowed: bool = False
) -> datetime | None:
    """An RFC 3339 time; ``None`` for Go's zero time where ``unset_allowed``. A time before
    1970 or in the future is refused: it would put the incident out of every chart."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise PayloadRefused(
            f"{path} is not an RFC 3339 time such as 2026-12-02T10:00:00Z"
        ) from None
    if moment.tzinfo is None:
        raise PayloadRefused(f"{path} has no time zone (add Z or +00:00)")
    if unset_allowed and moment.year == GO_ZERO_YEAR:
        return None
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        raise PayloadRefused(f"{path} is out of range") from None
    if moment < EARLIEST_PLAUSIBLE:
        raise PayloadRefused(f"{path} is before 1970")
    if moment > now + CLOCK_SKEW_ALLOWANCE:
        raise PayloadRefused(f"{path} is in the future")
    return moment


def optional_time(
    document: dict[str, Any], key: str, path: str, now: datetime, *, unset_allowed: bool = False
) -> datetime | None:
    value = document.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise PayloadRefused(f"{path} must be a string with an RFC 3339 time")
    return parse_time(value, path, now, unset_allowed=unset_allowed)


def link(url: str, text: str, path: str) -> Link:
    check_text(url, path)
    if "://" not in url or " " in url.strip():
        raise PayloadRefused(f"{path} must be a full address such as https://…")
    return Link(url.strip(), text)


def require_list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise PayloadRefused(f"{path} must be a JSON array")
    if len(value) > MAX_ALERTS:
        raise PayloadRefused(f"{path} has more than {MAX_ALERTS:,} entries")
    return value
