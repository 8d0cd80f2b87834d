"""PagerDuty's Events API v2 alert events (what ``https://events.pagerduty.com/v2/enqueue``
accepts), so that a tool configured for PagerDuty can send here instead.

From PagerDuty's "Send an Alert Event": ``routing_key`` and ``event_action`` (trigger,
acknowledge or resolve) are required; ``dedup_key`` correlates triggers and resolves (at
most 255 characters; a trigger without one always opens a new alert); a trigger needs
``payload.summary`` (at most 1024 characters), ``payload.source`` and ``payload.severity``
(critical, error, warning or info), and may have ``payload.timestamp``, ``component``,
``group``, ``class`` and ``custom_details``, and ``links`` (``href``, ``text``) and ``images``
(``src``, ``href``, ``alt``). Acknowledge and resolve events need only the dedup_key.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from incidentdesk.intake.alerts import (
    Alert,
    AlertState,
    Format,
    Link,
    Notification,
    PayloadRefused,
    check_key,
    link,
    optional_object,
    optional_text,
    optional_time,
    require_list,
    require_object,
    require_text,
)

SUMMARY_MAX_LENGTH = 1024
SEVERITIES = ("critical", "error", "warning", "info")
_ACTIONS = {
    "trigger": AlertState.FIRING,
    "acknowledge": AlertState.ACKNOWLEDGED,
    "resolve": AlertState.RESOLVED,
}
# The payload's fields that say what is affected; rules match them as labels.
_LABEL_FIELDS = ("source", "severity", "component", "group", "class")


def parse(document: dict[str, Any], now: datetime) -> Notification:
    require_text(document, "routing_key", "routing_key")
    action = require_text(document, "event_action", "event_action")
    if action not in _ACTIONS:
        raise PayloadRefused(
            f"event_action must be trigger, acknowledge or resolve, not {action[:40]!r}"
        )
    state = _ACTIONS[action]
    dedup_key = check_key(optional_text(document, "dedup_key", "dedup_key").strip(), "dedup_key")
    if state is not AlertState.FIRING:
        if not dedup_key:
            raise PayloadRefused(f"dedup_key is required for {action} events")
        return Notification(
            Format.PAGERDUTY,
            (Alert("PagerDuty", dedup_key, state, summary=f"{action} from PagerDuty event"),),
        )
    payload = require_object(document.get("payload"), "payload")
    summary = require_text(payload, "summary", "payload.summary")
    if len(summary) > SUMMARY_MAX_LENGTH:
        raise PayloadRefused(f"payload.summary is longer than {SUMMARY_MAX_LENGTH} characters")
    require_text(payload, "source", "payload.source")
    severity = require_text(payload, "severity", "payload.severity")
    if severity not in SEVERITIES:
        raise PayloadRefused(
            f"payload.severity must be critical, error, warning or info, not {severity[:40]!r}"
        )
    labels = {
        name: value
        for name in _LABEL_FIELDS
        for value in [optional_text(payload, name, f"payload.{name}")]
        if value
    }
    client = optional_text(document, "client", "client")
    details = optional_object(payload, "custom_details", "payload.custom_details")
    # A trigger without a dedup_key opens a new alert each time; its digest makes a retry of
    # the same event the same alert.
    key = dedup_key or _digest(document)
    return Notification(
        Format.PAGERDUTY,
        (
            Alert(
                system=client or "PagerDuty",
                fingerprint=key,
                state=state,
                summary=summary,
                starts_at=optional_time(payload, "timestamp", "payload.timestamp", now),
                labels=labels,
                links=_links(document),
                details=json.dumps(details, ensure_ascii=False, indent=2) if details else "",
            ),
        ),
    )


def _links(document: dict[str, Any]) -> tuple[Link, ...]:
    links = []
    client_url = optional_text(document, "client_url", "client_url")
    if client_url:
        links.append(link(client_url, optional_text(document, "client", "client"), "client_url"))
    for key, url_field, text_field in (("links", "href", "text"), ("images", "src", "alt")):
        entries = document.get(key)
        if entries is None:
            continue
        for index, entry in enumerate(require_list(entries, key)):
            path = f"{key}[{index}]"
            item = require_object(entry, path)
            url = require_text(item, url_field, f"{path}.{url_field}")
            text = optional_text(item, text_field, f"{path}.{text_field}")
            if key == "images":
                optional_text(item, "href", f"{path}.href")
            links.append(link(url, text or ("Image" if key == "images" else ""), path))
    return tuple(links)


def _digest(document: dict[str, Any]) -> str:
    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False)
    return "event-" + hashlib.sha256(canonical.encode()).hexdigest()[:32]
