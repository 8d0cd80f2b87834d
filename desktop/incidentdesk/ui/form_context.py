"""Everything the incident form needs from the database, loaded once in the background."""

from __future__ import annotations

from dataclasses import dataclass

from incidentdesk.domain.incident import Incident
from incidentdesk.domain.priority import PriorityMatrix
from incidentdesk.services.catalog import NamedItem, Person
from incidentdesk.services.desk import Desk
from incidentdesk.ui.attachment_files import Limits


@dataclass(frozen=True)
class FormContext:
    services: list[NamedItem]
    categories: list[NamedItem]
    teams: list[NamedItem]
    people: list[Person]
    monitoring_sources: list[str]
    matrix: PriorityMatrix
    limits: Limits
    incident: Incident | None  # the incident being edited, as saved


def load_form_context(desk: Desk, incident_id: int | None) -> FormContext:
    """Runs on a worker thread."""
    return FormContext(
        services=desk.catalog.services(),
        categories=desk.catalog.categories(),
        teams=desk.catalog.teams(),
        people=desk.catalog.people(),
        monitoring_sources=desk.catalog.monitoring_sources(),
        matrix=desk.settings.priority_matrix(),
        limits=Limits(desk.settings.attachment_max_bytes(), desk.settings.image_max_pixels()),
        incident=desk.incidents.get(incident_id) if incident_id is not None else None,
    )
