"""Grafana alerting's webhook contact point.

From Grafana's "Configure the webhook notifier" page: the Alertmanager shape (receiver,
status, alerts, groupLabels, commonLabels, commonAnnotations, externalURL, groupKey,
truncatedAlerts) with ``version`` "1", plus ``orgId``, ``title``, ``state`` and ``message``;
each alert may also have ``silenceURL``, ``dashboardURL``, ``panelURL`` (empty where the rule
has no dashboard) and ``values`` (or ``valueString`` before Grafana 9.5).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from incidentdesk.intake.alertmanager import parse_alerts
from incidentdesk.intake.alerts import Format, Notification, PayloadRefused, optional_text

VERSION = "1"


def parse(document: dict[str, Any], now: datetime) -> Notification:
    org_id = document.get("orgId")
    if not isinstance(org_id, int) or isinstance(org_id, bool):
        raise PayloadRefused("orgId must be a whole number (Grafana's organisation)")
    version = document.get("version")
    if version is not None and version != VERSION:
        raise PayloadRefused(f'version must be "{VERSION}" for a Grafana webhook')
    for key in ("title", "state"):
        optional_text(document, key, key)
    optional_text(document, "message", "message", multiline=True)
    group_key = optional_text(document, "groupKey", "groupKey")
    return Notification(Format.GRAFANA, parse_alerts(document, now, "Grafana", group_key))
