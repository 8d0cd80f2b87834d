"""Small builders for test data, shared by the unit and integration tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from incidentdesk.domain.enums import Severity
from incidentdesk.domain.incident import IncidentDraft
from incidentdesk.storage.locations import SqliteLocation, parse_location


def minutes_ago(minutes: float) -> datetime:
    """A moment in the recent past by the real clock, which the services use."""
    return datetime.now(UTC) - timedelta(minutes=minutes)


def make_draft(**changes: Any) -> IncidentDraft:
    """A valid draft; keyword arguments replace its fields."""
    draft = IncidentDraft(
        title="Checkout latency above 4 s",
        reported_at=minutes_ago(30),
        severity=Severity.SEV3,
    )
    return replace(draft, **changes)


def sqlite_path(address: str) -> Path:
    """The file an ``sqlite:///…`` address names."""
    location = parse_location(address)
    assert isinstance(location, SqliteLocation)
    return location.path
