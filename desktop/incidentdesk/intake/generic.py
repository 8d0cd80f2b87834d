"""Incident Desk's own small form, for scripts and ``curl``:

    {"source": "backup-check", "key": "backup/db-1", "title": "Nightly backup failed",
     "status": "firing", "severity": "critical", "startsAt": "2026-12-02T03:00:00Z",
     "description": "…", "labels": {"service": "billing"}, "group": "backups",
     "links": [{"href": "https://ci.example.com/job/42", "text": "Job"}]}

``source`` (the system or script that sends it), ``key`` (the same key again is the same
alert) and, for a firing alert, ``title`` are required. ``status`` is "firing" (the default)
or "resolved"; ``severity`` is critical, error, warning or info; alerts with the same ``group``
join one open incident. Everything else is optional.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from incidentdesk.intake.alerts import (
    Alert,
    AlertState,
    Format,
    Notification,
    PayloadRefused,
    check_key,
    link,
    optional_text,
    optional_time,
    require_list,
    require_object,
    require_text,
    string_map,
)
from incidentdesk.intake.pagerduty import SEVERITIES

_STATES = {"firing": AlertState.FIRING, "resolved": AlertState.RESOLVED}


def parse(document: dict[str, Any], now: datetime) -> Notification:
    source = require_text(document, "source", "source")
    key = check_key(require_text(document, "key", "key").strip(), "key")
    status = optional_text(document, "status", "status") or "firing"
    if status not in _STATES:
        raise PayloadRefused(f'status must be "firing" or "resolved", not {status[:40]!r}')
    state = _STATES[status]
    title = (
        require_text(document, "title", "title")
        if state is AlertState.FIRING
        else optional_text(document, "title", "title")
    )
    labels = string_map(document, "labels", "labels", multiline=False)
    severity = optional_text(document, "severity", "severity")
    if severity:
        if severity not in SEVERITIES:
            raise PayloadRefused(
                f"severity must be critical, error, warning or info, not {severity[:40]!r}"
            )
        labels["severity"] = severity
    links = []
    if document.get("links") is not None:
        for index, entry in enumerate(require_list(document["links"], "links")):
            item = require_object(entry, f"links[{index}]")
            url = require_text(item, "href", f"links[{index}].href")
            text = optional_text(item, "text", f"links[{index}].text")
            links.append(link(url, text, f"links[{index}]"))
    group = check_key(optional_text(document, "group", "group").strip(), "group")
    return Notification(
        Format.GENERIC,
        (
            Alert(
                system=source,
                fingerprint=key,
                state=state,
                summary=title or key,
                starts_at=optional_time(document, "startsAt", "startsAt", now),
                labels=labels,
                links=tuple(links),
                details=optional_text(document, "description", "description", multiline=True),
                group_key=group,
            ),
        ),
    )
