"""The incident form's draft file: what is written reads back the same, and a damaged or old
file reads as far as it can, without failing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from incidentdesk.domain.enums import ImpactScope, Severity, SourceKind, Urgency
from incidentdesk.domain.incident import Impact, Links
from incidentdesk.services.draft_format import draft_fields, restore_fields
from tests.factories import make_draft


def test_what_is_written_reads_back_the_same() -> None:
    draft = make_draft(
        title="Payments time out",
        description="**All** card payments fail after 30 s.",
        severity=Severity.SEV2,
        urgency=Urgency.HIGH,
        source_kind=SourceKind.MONITORING,
        source_name="Grafana",
        source_contact="oncall@example.com",
        reported_by_id=4,
        category_id=2,
        impact=Impact(ImpactScope.MANY, financial=True, security=False, compliance=True),
        assignee_id=7,
        team_id=3,
        links=Links(chat="https://chat/1", bridge="", ticket="T-9"),
    )
    written = draft_fields(
        draft,
        incident_id=None,
        version=None,
        base=None,
        service_text="Payments API",
        files=["/tmp/a.log", "/tmp/b.png"],
    )
    restored = restore_fields(json.loads(json.dumps(written)))

    assert restored.title == draft.title
    assert restored.description == draft.description
    assert restored.reported_at == draft.reported_at
    assert (restored.severity, restored.urgency) == (Severity.SEV2, Urgency.HIGH)
    assert (restored.source_kind, restored.impact_scope) == (
        SourceKind.MONITORING,
        ImpactScope.MANY,
    )
    assert (restored.source_name, restored.source_contact) == ("Grafana", "oncall@example.com")
    assert (restored.reported_by_id, restored.category_id) == (4, 2)
    assert (restored.assignee_id, restored.team_id) == (7, 3)
    assert (restored.financial, restored.security, restored.compliance) == (True, False, True)
    assert restored.service == "Payments API"
    assert restored.links == ("https://chat/1", "", "T-9")
    assert restored.files == ("/tmp/a.log", "/tmp/b.png")


def test_an_edit_keeps_the_version_and_copy_it_started_from() -> None:
    base = make_draft(title="Before the edit")
    written = draft_fields(
        make_draft(title="After"), incident_id=12, version=5, base=base, service_text="", files=[]
    )
    assert (written["incident_id"], written["version"]) == (12, 5)
    assert written["base"]["title"] == "Before the edit"


@pytest.mark.parametrize(
    "damaged",
    [
        {},
        {"title": 42, "severity": "SEV9", "urgency": "soon", "reported_at": "yesterday"},
        {"links": "https://one", "files": {"a": 1}, "team_id": "3", "category_id": True},
        {"links": [1, None], "files": ["", None, "/kept.log"], "financial": "yes"},
        {"reported_at": 1_700_000_000, "impact_scope": None, "source_kind": ["monitoring"]},
    ],
)
def test_a_damaged_or_old_draft_reads_as_far_as_it_can(damaged: dict[str, Any]) -> None:
    restored = restore_fields(damaged)
    assert isinstance(restored.title, str)
    assert restored.severity is None or isinstance(restored.severity, Severity)
    assert restored.urgency is None
    assert restored.reported_at is None
    assert restored.team_id is None
    assert restored.category_id is None
    assert len(restored.links) == 3
    assert all(isinstance(path, str) and path for path in restored.files)
    assert restored.financial is False
