"""What an incident form keeps in its draft file, and how it is read back: JSON-compatible
values written from the form's draft, and read tolerantly, since a draft may come from an
older version of the program or a database whose lists have changed since."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

from incidentdesk.domain.enums import ImpactScope, Severity, SourceKind, Urgency
from incidentdesk.domain.incident import IncidentDraft
from incidentdesk.services.drafts import base_to_json

E = TypeVar("E", bound=Enum)


def draft_fields(
    draft: IncidentDraft,
    *,
    incident_id: int | None,
    version: int | None,
    base: IncidentDraft | None,
    service_text: str,
    files: Sequence[str],
) -> dict[str, Any]:
    """The form's content for its draft file. ``service_text`` is the service as typed (it
    may name none yet); ``files`` are the paths the attachments were read from."""
    return {
        "incident_id": incident_id,
        "version": version,
        "base": base_to_json(base),
        "title": draft.title,
        "description": draft.description,
        "reported_at": draft.reported_at.isoformat(),
        "severity": draft.severity.value,
        "urgency": draft.urgency.value,
        "source_kind": draft.source_kind.value,
        "source_name": draft.source_name,
        "source_contact": draft.source_contact,
        "reported_by_id": draft.reported_by_id,
        "service": service_text,
        "category_id": draft.category_id,
        "impact_scope": draft.impact.scope.value,
        "financial": draft.impact.financial,
        "security": draft.impact.security,
        "compliance": draft.impact.compliance,
        "assignee_id": draft.assignee_id,
        "team_id": draft.team_id,
        "links": [draft.links.chat, draft.links.bridge, draft.links.ticket],
        "files": list(files),
    }


@dataclass(frozen=True)
class RestoredFields:
    """A draft file's values, each ``None`` (or empty) where it is missing or no longer
    fits, so that the form leaves that field as it is."""

    title: str
    description: str
    reported_at: datetime | None
    severity: Severity | None
    urgency: Urgency | None
    source_kind: SourceKind | None
    impact_scope: ImpactScope | None
    source_name: str
    source_contact: str
    service: str
    reported_by_id: int | None
    category_id: int | None
    assignee_id: int | None
    team_id: int | None
    financial: bool
    security: bool
    compliance: bool
    links: tuple[str, str, str]
    files: tuple[str, ...]


def restore_fields(fields: dict[str, Any]) -> RestoredFields:
    """Read a draft file's values; nothing in it makes this fail."""
    links = [str(link) for link in _list(fields.get("links"))][:3]
    links += [""] * (3 - len(links))
    return RestoredFields(
        title=_text(fields.get("title")),
        description=_text(fields.get("description")),
        reported_at=_moment(fields.get("reported_at")),
        severity=_member(Severity, fields.get("severity")),
        urgency=_member(Urgency, fields.get("urgency")),
        source_kind=_member(SourceKind, fields.get("source_kind")),
        impact_scope=_member(ImpactScope, fields.get("impact_scope")),
        source_name=_text(fields.get("source_name")),
        source_contact=_text(fields.get("source_contact")),
        service=_text(fields.get("service")),
        reported_by_id=_id(fields.get("reported_by_id")),
        category_id=_id(fields.get("category_id")),
        assignee_id=_id(fields.get("assignee_id")),
        team_id=_id(fields.get("team_id")),
        financial=fields.get("financial") is True,
        security=fields.get("security") is True,
        compliance=fields.get("compliance") is True,
        links=(links[0], links[1], links[2]),
        files=tuple(path for path in (_text(item) for item in _list(fields.get("files"))) if path),
    )


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []


def _id(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _moment(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _member(kind: Callable[[Any], E], value: object) -> E | None:
    try:
        return kind(value)
    except (ValueError, TypeError):
        return None
