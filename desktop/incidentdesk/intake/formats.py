"""From the bytes of a request to a ``Notification``: JSON decoded with limits, the format
told by the path it was sent to or, for ``/``, by the fields it has."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from incidentdesk.intake import alertmanager, generic, grafana, pagerduty
from incidentdesk.intake.alerts import Format, Notification, PayloadRefused

Parser = Callable[[dict[str, Any], datetime], Notification]
PARSERS: dict[Format, Parser] = {
    Format.ALERTMANAGER: alertmanager.parse,
    Format.GRAFANA: grafana.parse,
    Format.PAGERDUTY: pagerduty.parse,
    Format.GENERIC: generic.parse,
}


def decode(body: bytes) -> dict[str, Any]:
    """The JSON object in ``body``, or ``PayloadRefused`` saying why there is none."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise PayloadRefused(f"the body is not UTF-8 text (byte {error.start})") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise PayloadRefused(
            f"the body is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"
        ) from None
    except RecursionError:
        # A JSON bomb of nested arrays: the decoder gives up at the interpreter's recursion
        # limit, long before memory runs short (the body is at most 1 MB).
        raise PayloadRefused("the JSON is nested too deeply") from None
    if not isinstance(document, dict):
        raise PayloadRefused("the body must be a JSON object")
    return document


def detect(document: dict[str, Any]) -> Format:
    """The format a document is in, by the fields only that format has."""
    if "event_action" in document or "routing_key" in document:
        return Format.PAGERDUTY
    if "orgId" in document:
        return Format.GRAFANA
    if "alerts" in document or "groupKey" in document:
        return Format.ALERTMANAGER
    if "key" in document and "source" in document:
        return Format.GENERIC
    raise PayloadRefused(
        "the format is not known: send an Alertmanager or Grafana webhook, a PagerDuty "
        "Events API v2 event, or the generic form (source, key, title)"
    )


def parse(body: bytes, now: datetime, expected: Format | None = None) -> Notification:
    """The notification in ``body``; ``expected`` where the sender chose the format."""
    document = decode(body)
    return PARSERS[expected or detect(document)](document, now)
