"""Prometheus Alertmanager's webhook (``webhook_config``), payload version "4".

From Alertmanager's configuration reference: the request carries ``version``, ``groupKey``
(identifies the group of alerts), ``truncatedAlerts``, ``status`` (firing or resolved),
``receiver``, ``groupLabels``, ``commonLabels``, ``commonAnnotations``, ``externalURL`` and
``alerts``; each alert has ``status``, ``labels``, ``annotations``, ``startsAt``, ``endsAt``
(Go's zero time, 0001-01-01T00:00:00Z, while not known), ``generatorURL`` and
``fingerprint``. Grafana's contact points send the same shape (see grafana.py).
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
    optional_text,
    optional_time,
    parse_time,
    require_list,
    require_object,
    require_text,
    string_map,
)

VERSION = "4"
_STATES = {"firing": AlertState.FIRING, "resolved": AlertState.RESOLVED}
# Grafana's links beside the one to the rule (generatorURL), in the order shown.
EXTRA_LINKS = (("silenceURL", "Silence"), ("dashboardURL", "Dashboard"), ("panelURL", "Panel"))


def labels_fingerprint(labels: dict[str, str]) -> str:
    """What identifies an alert without a fingerprint (Alertmanager before 0.19): its labels."""
    canonical = json.dumps(labels, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def parse(document: dict[str, Any], now: datetime) -> Notification:
    version = document.get("version")
    if version != VERSION:
        raise PayloadRefused(f'version must be "{VERSION}" for an Alertmanager webhook')
    group_key = require_text(document, "groupKey", "groupKey")
    return Notification(Format.ALERTMANAGER, parse_alerts(document, now, "Alertmanager", group_key))


def parse_alerts(
    document: dict[str, Any], now: datetime, system: str, group_key: str
) -> tuple[Alert, ...]:
    """The alerts of an Alertmanager-shaped notification, with its common labels and
    annotations under each alert's own."""
    check_key(group_key, "groupKey")
    common_labels = string_map(document, "commonLabels", "commonLabels", multiline=False)
    common_annotations = string_map(
        document, "commonAnnotations", "commonAnnotations", multiline=True
    )
    string_map(document, "groupLabels", "groupLabels", multiline=False)
    if require_text(document, "status", "status") not in _STATES:
        raise PayloadRefused('status must be "firing" or "resolved"')
    truncated = document.get("truncatedAlerts", 0)
    if not isinstance(truncated, int) or isinstance(truncated, bool) or truncated < 0:
        raise PayloadRefused("truncatedAlerts must be a whole number")
    optional_text(document, "receiver", "receiver")
    external = optional_text(document, "externalURL", "externalURL")
    if "alerts" not in document:
        raise PayloadRefused("alerts is missing")
    entries = require_list(document["alerts"], "alerts")
    if not entries:
        raise PayloadRefused("alerts is empty")
    alerts = []
    for index, entry in enumerate(entries):
        path = f"alerts[{index}]"
        alert = require_object(entry, path)
        status = require_text(alert, "status", f"{path}.status")
        if status not in _STATES:
            raise PayloadRefused(
                f'{path}.status must be "firing" or "resolved", not {status[:40]!r}'
            )
        labels = {**common_labels, **string_map(alert, "labels", f"{path}.labels", multiline=False)}
        if not labels:
            raise PayloadRefused(f"{path}.labels is empty: an alert is known by its labels")
        annotations = {
            **common_annotations,
            **string_map(alert, "annotations", f"{path}.annotations", multiline=True),
        }
        starts = require_text(alert, "startsAt", f"{path}.startsAt")
        starts_at = parse_time(starts, f"{path}.startsAt", now)
        ends_at = optional_time(alert, "endsAt", f"{path}.endsAt", now, unset_allowed=True)
        fingerprint = optional_text(alert, "fingerprint", f"{path}.fingerprint").strip()
        links = [
            link(url, "Source", f"{path}.generatorURL")
            for url in [optional_text(alert, "generatorURL", f"{path}.generatorURL")]
            if url
        ]
        for key, text in EXTRA_LINKS:
            url = optional_text(alert, key, f"{path}.{key}")
            if url:
                links.append(link(url, text, f"{path}.{key}"))
        if external:
            links.append(Link(link(external, "", "externalURL").url, system))
        summary = (
            annotations.get("summary")
            or annotations.get("title")
            or labels.get("alertname")
            or "Alert from monitoring"
        )
        alerts.append(
            Alert(
                system=system,
                fingerprint=check_key(
                    fingerprint or labels_fingerprint(labels), f"{path}.fingerprint"
                ),
                state=_STATES[status],
                summary=summary,
                starts_at=starts_at,
                ends_at=ends_at,
                labels=labels,
                annotations=annotations,
                links=tuple(links),
                details=_values(alert, path),
                group_key=group_key,
            )
        )
    return tuple(alerts)


def _values(alert: dict[str, Any], path: str) -> str:
    """Grafana's query values (``values``: name → number, or ``valueString``), as text."""
    values = alert.get("values")
    text = optional_text(alert, "valueString", f"{path}.valueString")
    if values is None:
        return text
    values = require_object(values, f"{path}.values")
    for name, value in values.items():
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise PayloadRefused(f"{path}.values.{name[:40]} must be a number")
    return ", ".join(f"{name} = {value:g}" for name, value in values.items())
