"""An edit writes only the fields its author changed, so a colleague's change survives."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from incidentdesk.domain.enums import Priority, Severity, Urgency
from incidentdesk.domain.validation import ValidationFailed
from incidentdesk.services.desk import Desk
from incidentdesk.services.errors import EditConflict
from incidentdesk.services.incidents import edited_columns, with_columns
from tests.conftest import FIXED_NOW
from tests.factories import make_draft


@pytest.fixture
def clocked(desk: Desk) -> Desk:
    return Desk(desk.store, desk.actor_id, clock=lambda: FIXED_NOW)


@pytest.fixture
def colleague(clocked: Desk) -> Desk:
    rosa = clocked.catalog.ensure_person("rosa", "Rosa Lindqvist")
    return Desk(clocked.store, rosa, clock=lambda: FIXED_NOW + timedelta(minutes=3))


def test_a_conflict_names_what_the_other_person_changed_who_and_when(
    clocked: Desk, colleague: Desk
) -> None:
    incident = clocked.incidents.create(
        make_draft(title="Search is slow", reported_at=FIXED_NOW - timedelta(hours=1)),
        clocked.actor_id,
    )
    base = incident.draft
    colleague.incidents.update(
        incident.id,
        replace(base, severity=Severity.SEV2),
        incident.version,
        colleague.actor_id,
        base=base,
    )

    with pytest.raises(EditConflict) as conflict:
        clocked.incidents.update(
            incident.id,
            replace(base, title="Search is slow in the EU"),
            incident.version,
            clocked.actor_id,
            base=base,
        )

    theirs = {change.field: change for change in conflict.value.their_changes}
    assert set(theirs) == {"severity"}  # the priority follows from it
    assert (theirs["severity"].old, theirs["severity"].new) == ("SEV3", "SEV2")
    assert theirs["severity"].changed_by == "Rosa Lindqvist"
    assert theirs["severity"].changed_at == FIXED_NOW + timedelta(minutes=3)
    assert clocked.incidents.get(incident.id).title == "Search is slow"


def test_saving_after_a_conflict_keeps_the_colleagues_other_fields(
    clocked: Desk, colleague: Desk
) -> None:
    incident = clocked.incidents.create(
        make_draft(
            title="Search is slow",
            severity=Severity.SEV3,
            urgency=Urgency.HIGH,
            reported_at=FIXED_NOW - timedelta(hours=1),
        ),
        clocked.actor_id,
    )
    base = incident.draft
    theirs, _ = colleague.incidents.update(
        incident.id,
        replace(base, severity=Severity.SEV2, description="Seen in Frankfurt too"),
        incident.version,
        colleague.actor_id,
        base=base,
    )
    mine = replace(base, title="Search is slow in the EU")

    saved, changes = clocked.incidents.update(
        incident.id, mine, theirs.version, clocked.actor_id, base=base
    )

    assert [change.field for change in changes] == ["title"]
    assert saved.title == "Search is slow in the EU"
    assert saved.draft.severity is Severity.SEV2
    assert saved.draft.description == "Seen in Frankfurt too"
    assert saved.priority is theirs.priority


def test_the_priority_follows_both_peoples_changes(clocked: Desk, colleague: Desk) -> None:
    incident = clocked.incidents.create(
        make_draft(
            severity=Severity.SEV3,
            urgency=Urgency.MEDIUM,
            reported_at=FIXED_NOW - timedelta(hours=1),
        ),
        clocked.actor_id,
    )
    base = incident.draft
    theirs, _ = colleague.incidents.update(
        incident.id,
        replace(base, severity=Severity.SEV1),
        incident.version,
        colleague.actor_id,
        base=base,
    )

    saved, _ = clocked.incidents.update(
        incident.id,
        replace(base, urgency=Urgency.HIGH),
        theirs.version,
        clocked.actor_id,
        base=base,
    )

    assert (saved.draft.severity, saved.draft.urgency) == (Severity.SEV1, Urgency.HIGH)
    matrix = clocked.settings.priority_matrix()
    assert saved.priority is matrix.priority(Severity.SEV1, Urgency.HIGH)
    assert saved.priority is Priority.P1


def test_an_edit_is_validated_as_it_would_be_stored(clocked: Desk, colleague: Desk) -> None:
    incident = clocked.incidents.create(
        make_draft(reported_at=FIXED_NOW - timedelta(hours=1)), clocked.actor_id
    )
    base = incident.draft
    with pytest.raises(ValidationFailed) as refused:
        clocked.incidents.update(
            incident.id, replace(base, title="  "), incident.version, clocked.actor_id, base=base
        )
    assert [error.field for error in refused.value.errors] == ["title"]
    assert clocked.incidents.get(incident.id) == incident


def test_edited_columns_and_with_columns() -> None:
    base = make_draft(title="a", severity=Severity.SEV3)
    edited = replace(base, title="b", urgency=Urgency.HIGH)
    assert edited_columns(base, edited) == {"title": "b", "urgency": Urgency.HIGH.value}
    assert edited_columns(base, base) == {}
    other = make_draft(title="c", severity=Severity.SEV1)
    merged = with_columns(other, edited_columns(base, edited))
    assert (merged.title, merged.urgency, merged.severity) == ("b", Urgency.HIGH, Severity.SEV1)
