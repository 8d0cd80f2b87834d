"""What the incident form says about an incident that is no longer open."""

from __future__ import annotations

import pytest

from incidentdesk.domain.enums import Status
from incidentdesk.services.desk import Desk
from incidentdesk.storage import models as m
from tests.factories import make_draft
from tests.gui.conftest import FormMaker


@pytest.mark.parametrize("status", [Status.CLOSED, Status.CANCELLED])
def test_an_incident_no_longer_open_has_no_rank_among_the_open_ones(
    qtbot, sqlite_desk: Desk, make_form: FormMaker, idle, status: Status
) -> None:
    for _ in range(3):
        sqlite_desk.incidents.create(make_draft(), sqlite_desk.actor_id)
    incident = sqlite_desk.incidents.create(make_draft(), sqlite_desk.actor_id)
    m.Incident.update(status=status.value).where(m.Incident.id == incident.id).execute()
    form = make_form(sqlite_desk, incident.id)
    qtbot.waitUntil(idle)
    assert (
        form.triage.priority.text() == f"<b>{incident.priority.label}</b> · {status.label.lower()}"
    )
    assert "rank" not in form.triage.priority.text()
