"""The team-wide settings kept in the database, with their defaults."""

from __future__ import annotations

from typing import Any

from incidentdesk.domain.priority import PriorityMatrix

PRIORITY_MATRIX = "priority_matrix"
SLA_TARGETS = "sla_targets"
ATTACHMENT_MAX_BYTES = "attachment_max_bytes"
IMAGE_MAX_PIXELS = "image_max_pixels"
MONITORING_SOURCES = "monitoring_sources"

# Minutes to acknowledge and to recover, per severity (SEV1 first).
DEFAULT_SLA_TARGETS: dict[str, dict[str, int]] = {
    "SEV1": {"acknowledge_minutes": 5, "recover_minutes": 60, "resolve_minutes": 5 * 24 * 60},
    "SEV2": {"acknowledge_minutes": 15, "recover_minutes": 4 * 60, "resolve_minutes": 10 * 24 * 60},
    "SEV3": {
        "acknowledge_minutes": 60,
        "recover_minutes": 24 * 60,
        "resolve_minutes": 14 * 24 * 60,
    },
    "SEV4": {
        "acknowledge_minutes": 4 * 60,
        "recover_minutes": 3 * 24 * 60,
        "resolve_minutes": 30 * 24 * 60,
    },
    "SEV5": {
        "acknowledge_minutes": 24 * 60,
        "recover_minutes": 14 * 24 * 60,
        "resolve_minutes": 60 * 24 * 60,
    },
}

DEFAULT_SETTINGS: dict[str, Any] = {
    PRIORITY_MATRIX: PriorityMatrix().to_json(),
    SLA_TARGETS: DEFAULT_SLA_TARGETS,
    ATTACHMENT_MAX_BYTES: 25 * 1024 * 1024,
    IMAGE_MAX_PIXELS: 100_000_000,
    # Offered in the form's source list after the ones incidents already came from.
    MONITORING_SOURCES: [
        "Prometheus Alertmanager",
        "Grafana",
        "Datadog",
        "New Relic",
        "Pingdom",
        "CloudWatch",
        "Sentry",
        "Zabbix",
        "Nagios",
    ],
}
