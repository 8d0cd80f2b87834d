"""Incidents as plain values: what a form submits, what a view shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from incidentdesk.domain.enums import (
    EscalationLevel,
    ImpactScope,
    Priority,
    Severity,
    SourceKind,
    Status,
    Urgency,
)
from incidentdesk.domain.keys import format_key


@dataclass(frozen=True)
class Impact:
    scope: ImpactScope = ImpactScope.ONE
    financial: bool = False
    security: bool = False
    compliance: bool = False


@dataclass(frozen=True)
class Links:
    chat: str = ""
    bridge: str = ""
    ticket: str = ""


@dataclass(frozen=True)
class IncidentDraft:
    """What a person fills in when logging or editing an incident."""

    title: str
    reported_at: datetime
    severity: Severity
    urgency: Urgency = Urgency.MEDIUM
    description: str = ""
    source_kind: SourceKind = SourceKind.EMPLOYEE
    source_name: str = ""
    source_contact: str = ""
    reported_by_id: int | None = None
    service_id: int | None = None
    category_id: int | None = None
    impact: Impact = field(default_factory=Impact)
    assignee_id: int | None = None
    team_id: int | None = None
    escalation_level: EscalationLevel = EscalationLevel.L1
    links: Links = field(default_factory=Links)


@dataclass(frozen=True)
class Milestones:
    acknowledged_at: datetime | None = None
    recovered_at: datetime | None = None
    postmortem_at: datetime | None = None
    closed_at: datetime | None = None
    cancelled_at: datetime | None = None


@dataclass(frozen=True)
class Incident:
    """One incident as stored, with the names of what it refers to resolved."""

    id: int
    number: int
    draft: IncidentDraft
    priority: Priority
    status: Status
    created_at: datetime
    updated_at: datetime
    version: int
    milestones: Milestones = field(default_factory=Milestones)
    service_name: str = ""
    category_name: str = ""
    team_name: str = ""
    assignee_name: str = ""
    reported_by_name: str = ""
    cancel_reason: str = ""

    @property
    def key(self) -> str:
        return format_key(self.number)

    @property
    def title(self) -> str:
        return self.draft.title


@dataclass(frozen=True)
class IncidentRow:
    """One line of the incident list: only what the list shows."""

    id: int
    number: int
    title: str
    severity: Severity
    priority: Priority
    status: Status
    service_name: str
    assignee_name: str
    team_name: str
    reported_at: datetime

    @property
    def key(self) -> str:
        return format_key(self.number)
