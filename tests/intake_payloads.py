"""Alert payloads as each sender's documentation shows them: Alertmanager's webhook_config
reference (version "4"), Grafana's webhook notifier page, PagerDuty's "Send an Alert Event"
(Events API v2), and Incident Desk's generic form."""

from __future__ import annotations

import copy
import json
from typing import Any

GO_ZERO_TIME = "0001-01-01T00:00:00Z"


def alertmanager(
    status: str = "firing",
    alerts: list[dict[str, Any]] | None = None,
    group_key: str = '{}/{severity="critical"}:{alertname="ProbeFailure"}',
) -> dict[str, Any]:
    alerts = alerts if alerts is not None else [alertmanager_alert()]
    return {
        "receiver": "incidentdesk",
        "status": status,
        "alerts": alerts,
        "groupLabels": {"alertname": "ProbeFailure"},
        "commonLabels": {"alertname": "ProbeFailure", "job": "http_checks"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example.org:9093",
        "version": "4",
        "groupKey": group_key,
        "truncatedAlerts": 0,
    }


def alertmanager_alert(
    instance: str = "checkout-2b11",
    fingerprint: str = "1a30ba71cca2921f",
    status: str = "firing",
    starts_at: str = "2026-11-27T11:08:45.828Z",
    ends_at: str = GO_ZERO_TIME,
    severity: str = "critical",
    **labels: str,
) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {
            "alertname": "ProbeFailure",
            "instance": instance,
            "job": "http_checks",
            "severity": severity,
            **labels,
        },
        "annotations": {
            "description": f"Instance {instance} has been down for over 5m. Job: http_checks",
            "summary": f"BlackBox Probe Failure: {instance}",
        },
        "startsAt": starts_at,
        "endsAt": ends_at,
        "generatorURL": "http://prometheus.example.org:9090/graph?g0.expr=probe_success+%3D%3D+0",
        "fingerprint": fingerprint,
    }


def resolved(payload: dict[str, Any], ends_at: str = "2026-11-27T11:40:00Z") -> dict[str, Any]:
    """The same Alertmanager/Grafana notification once every alert in it has resolved."""
    done = copy.deepcopy(payload)
    done["status"] = "resolved"
    if "state" in done:
        done["state"] = "ok"
    for alert in done["alerts"]:
        alert["status"] = "resolved"
        alert["endsAt"] = ends_at
    return done


def grafana(alerts: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    alerts = alerts if alerts is not None else [grafana_alert()]
    return {
        "receiver": "My Super Webhook",
        "status": "firing",
        "orgId": 1,
        "alerts": alerts,
        "groupLabels": {},
        "commonLabels": {"team": "blue"},
        "commonAnnotations": {},
        "externalURL": "https://play.grafana.org/",
        "version": "1",
        "groupKey": "{}:{}",
        "truncatedAlerts": 0,
        "title": "[FIRING:1] (blue)",
        "state": "alerting",
        "message": "**Firing**\n\nLabels:\n - alertname = High memory usage\n",
    }


def grafana_alert(
    zone: str = "us-1", fingerprint: str = "c6eadffa33fcdf37", alertname: str = "High memory usage"
) -> dict[str, Any]:
    return {
        "status": "firing",
        "labels": {"alertname": alertname, "team": "blue", "zone": zone},
        "annotations": {
            "description": "The system has high memory usage",
            "runbook_url": "https://myrunbook.com/runbook/1234",
            "summary": f"This alert was triggered for zone {zone}",
        },
        "startsAt": "2026-11-27T10:51:03.157076+02:00",
        "endsAt": GO_ZERO_TIME,
        "generatorURL": "https://play.grafana.org/alerting/1afz29v7z/edit",
        "fingerprint": fingerprint,
        "silenceURL": "https://play.grafana.org/alerting/silence/new?alertmanager=grafana",
        "dashboardURL": "",
        "panelURL": "",
        "values": {"B": 44.23943737541908, "C": 1},
    }


def pagerduty_trigger(dedup_key: str = "samplekeyhere", **payload: Any) -> dict[str, Any]:
    return {
        "payload": {
            "summary": "Example alert on host1.example.com",
            "timestamp": "2026-11-27T08:42:58.315+0000",
            "source": "host1.example.com",
            "severity": "critical",
            "component": "postgres",
            "group": "prod-datapipe",
            "class": "deploy",
            "custom_details": {"ping time": "1500ms", "load avg": 0.75},
            **payload,
        },
        "routing_key": "samplekeyhere",
        "dedup_key": dedup_key,
        "images": [
            {
                "src": "https://www.pagerduty.com/wp-content/uploads/2016/05/pagerduty-logo-green.png",
                "href": "https://example.com/",
                "alt": "Example text",
            }
        ],
        "links": [{"href": "https://example.com/", "text": "Link text"}],
        "event_action": "trigger",
        "client": "Sample Monitoring Service",
        "client_url": "https://monitoring.example.com",
    }


def pagerduty_followup(action: str, dedup_key: str = "samplekeyhere") -> dict[str, Any]:
    return {"routing_key": "routingkeyhere", "dedup_key": dedup_key, "event_action": action}


def generic(key: str = "backup/db-1", status: str = "firing", **fields: Any) -> dict[str, Any]:
    return {
        "source": "backup-check",
        "key": key,
        "title": "Nightly backup failed",
        "status": status,
        "severity": "error",
        "description": "pg_dump exited with status 1",
        "labels": {"host": "db-1"},
        **fields,
    }


def encoded(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode()
