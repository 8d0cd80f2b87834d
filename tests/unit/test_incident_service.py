"""Creating, reading and editing incidents on both engines."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest

from incidentdesk.domain.enums import (
    EntryKind,
    ImpactScope,
    Priority,
    Severity,
    Status,
    Urgency,
)
from incidentdesk.domain.incident import Impact, Links
from incidentdesk.domain.priority import PriorityMatrix
from incidentdesk.domain.validation import ValidationFailed
from incidentdesk.services.desk import Desk
from incidentdesk.services.errors import EditConflict, NotFound
from incidentdesk.services.incidents import IncidentQuery
from incidentdesk.storage import models as m
from tests.conftest import FIXED_NOW
from tests.factories import make_draft


@pytest.fixture
def clocked(desk: Desk) -> Desk:
    """The same database, with services whose clock stands still at FIXED_NOW."""
    return Desk(desk.store, desk.actor_id, clock=lambda: FIXED_NOW)


def before_now(minutes: int = 30) -> dict[str, object]:
    return {"reported_at": FIXED_NOW - timedelta(minutes=minutes)}


def test_create_assigns_consecutive_keys_and_logs_the_first_entry(clocked: Desk) -> None:
    first = clocked.incidents.create(make_draft(**before_now()), clocked.actor_id)
    second = clocked.incidents.create(make_draft(**before_now()), clocked.actor_id)
    third = clocked.incidents.create(make_draft(**before_now()), clocked.actor_id)

    assert [first.key, second.key, third.key] == ["INC-1", "INC-2", "INC-3"]
    assert first.status is Status.LOGGED
    assert first.version == 1
    assert first.created_at == first.updated_at == FIXED_NOW
    [entry] = clocked.timeline.entries(first.id)
    assert entry.kind is EntryKind.STATUS_CHANGE
    assert entry.body == "Incident logged"
    assert entry.author_name == "tester"
    assert entry.occurred_at == first.draft.reported_at
    assert entry.recorded_at == FIXED_NOW


def test_every_field_of_a_draft_is_stored(clocked: Desk) -> None:
    catalog = clocked.catalog
    team = catalog.create_team("Database Team")
    service = catalog.create_service("Customer Database", team)
    person = catalog.create_person("Isabel Costa", "isabel", team_id=team)
    category = catalog.categories()[1]
    draft = make_draft(
        title="Replica lag over 10 minutes",
        description="**Markdown** stays as typed.\n\n- one\n- two",
        severity=Severity.SEV2,
        urgency=Urgency.HIGH,
        source_name="Prometheus Alertmanager",
        source_contact="#alerts",
        reported_by_id=clocked.actor_id,
        service_id=service,
        category_id=category.id,
        impact=Impact(ImpactScope.MANY, financial=True, security=False, compliance=True),
        assignee_id=person,
        team_id=team,
        links=Links(chat="https://chat.example.com/c/1", ticket="https://jira.example.com/X-1"),
        **before_now(90),
    )

    incident = clocked.incidents.get(clocked.incidents.create(draft, clocked.actor_id).id)

    assert incident.draft == draft
    assert incident.service_name == "Customer Database"
    assert incident.team_name == "Database Team"
    assert incident.assignee_name == "Isabel Costa"
    assert incident.category_name == category.name
    assert incident.reported_by_name == "tester"
    assert incident.draft.reported_at.tzinfo is not None
    assert clocked.incidents.get_by_number(incident.number) == incident


def test_priority_comes_from_the_matrix_in_the_settings(clocked: Desk) -> None:
    draft = make_draft(severity=Severity.SEV2, urgency=Urgency.HIGH, **before_now())
    assert clocked.incidents.create(draft, clocked.actor_id).priority is Priority.P2

    cells = dict(PriorityMatrix().cells)
    cells[(Severity.SEV2, Urgency.HIGH)] = Priority.P1
    cells[(Severity.SEV5, Urgency.LOW)] = Priority.P3
    clocked.settings.set_priority_matrix(PriorityMatrix(cells))

    assert clocked.incidents.create(draft, clocked.actor_id).priority is Priority.P1
    low = make_draft(severity=Severity.SEV5, urgency=Urgency.LOW, **before_now())
    assert clocked.incidents.create(low, clocked.actor_id).priority is Priority.P3


@pytest.mark.parametrize(
    ("attribute", "field"),
    [
        ("service_id", "service"),
        ("category_id", "category"),
        ("team_id", "team"),
        ("assignee_id", "assignee"),
        ("reported_by_id", "reported_by"),
    ],
)
def test_unknown_references_are_refused_naming_the_field(
    clocked: Desk, attribute: str, field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        clocked.incidents.create(make_draft(**{attribute: 9999}, **before_now()), clocked.actor_id)

    assert [error.field for error in refused.value.errors] == [field]
    assert "pick one from the list" in refused.value.errors[0].message
    assert clocked.incidents.count(IncidentQuery()) == 0
    # The refused incident took no number.
    assert clocked.incidents.create(make_draft(**before_now()), clocked.actor_id).key == "INC-1"


def test_every_unknown_reference_is_named_at_once(clocked: Desk) -> None:
    draft = make_draft(service_id=9999, team_id=9999, assignee_id=9999, **before_now())
    with pytest.raises(ValidationFailed) as refused:
        clocked.incidents.create(draft, clocked.actor_id)
    assert [error.field for error in refused.value.errors] == ["service", "team", "assignee"]


def test_an_invalid_draft_stores_nothing(clocked: Desk) -> None:
    with pytest.raises(ValidationFailed) as refused:
        clocked.incidents.create(
            make_draft(title=" ", reported_at=FIXED_NOW + timedelta(hours=1)), clocked.actor_id
        )
    assert [error.field for error in refused.value.errors] == ["title", "reported_at"]
    assert m.Incident.select().count() == 0
    assert m.TimelineEntry.select().count() == 0


def test_update_logs_one_field_change_per_changed_field(clocked: Desk) -> None:
    catalog = clocked.catalog
    payments = catalog.create_service("Payments")
    noah = catalog.create_person("Noah Schmidt", "noah")
    original = make_draft(
        title="Card payments fail", severity=Severity.SEV3, urgency=Urgency.MEDIUM, **before_now()
    )
    incident = clocked.incidents.create(original, clocked.actor_id)
    edited = replace(
        original,
        title="Card payments fail for Visa",
        severity=Severity.SEV2,
        service_id=payments,
        assignee_id=noah,
        impact=Impact(ImpactScope.MANY, financial=True),
    )
    later = Desk(
        clocked.store,
        catalog.ensure_person("amara", "Amara Okafor"),
        clock=lambda: FIXED_NOW + timedelta(minutes=5),
    )

    saved, changes = later.incidents.update(
        incident.id, edited, incident.version, later.actor_id, base=original
    )

    assert saved.version == incident.version + 1
    assert saved.draft == edited
    assert saved.priority is Priority.P3
    assert saved.updated_at == FIXED_NOW + timedelta(minutes=5)
    described = {(c.field, c.old, c.new) for c in changes}
    assert described == {
        ("title", "Card payments fail", "Card payments fail for Visa"),
        ("severity", "SEV3", "SEV2"),
        ("priority", "P4", "P3"),
        ("service", "", "Payments"),
        ("assignee", "", "Noah Schmidt"),
        ("impact_scope", "One person", "Many customers"),
        ("impact_financial", "no", "yes"),
    }
    entries = [e for e in later.timeline.entries(incident.id) if e.kind is EntryKind.FIELD_CHANGE]
    assert len(entries) == len(changes)
    by_field = {entry.details["field"]: entry for entry in entries}
    assert by_field.keys() == {change.field for change in changes}
    title_entry = by_field["title"]
    assert title_entry.body == "Title: Card payments fail → Card payments fail for Visa"
    assert title_entry.details == {
        "field": "title",
        "old": "Card payments fail",
        "new": "Card payments fail for Visa",
    }
    assert by_field["service"].body == "Service: — → Payments"
    assert all(entry.author_name == "Amara Okafor" for entry in entries)
    assert all(entry.occurred_at == FIXED_NOW + timedelta(minutes=5) for entry in entries)


def test_an_edit_that_changes_nothing_writes_nothing(clocked: Desk) -> None:
    incident = clocked.incidents.create(make_draft(**before_now()), clocked.actor_id)
    saved, changes = clocked.incidents.update(
        incident.id, incident.draft, incident.version, clocked.actor_id, base=incident.draft
    )
    assert changes == []
    assert saved.version == incident.version
    assert len(clocked.timeline.entries(incident.id)) == 1


def test_a_stale_edit_is_refused_and_changes_nothing(clocked: Desk) -> None:
    incident = clocked.incidents.create(
        make_draft(title="Original", **before_now()), clocked.actor_id
    )
    first, _ = clocked.incidents.update(
        incident.id,
        replace(incident.draft, title="First edit"),
        incident.version,
        clocked.actor_id,
        base=incident.draft,
    )
    entries_before = clocked.timeline.entries(incident.id)

    with pytest.raises(EditConflict) as conflict:
        clocked.incidents.update(
            incident.id,
            replace(incident.draft, title="Second edit", severity=Severity.SEV1),
            incident.version,
            clocked.actor_id,
            base=incident.draft,
        )

    assert conflict.value.current == first
    message = str(conflict.value)
    assert "INC-1 was changed by someone else" in message
    assert f"version {first.version}" in message
    now = clocked.incidents.get(incident.id)
    assert now == first
    assert now.title == "First edit"
    assert now.draft.severity is incident.draft.severity
    assert clocked.timeline.entries(incident.id) == entries_before


def test_a_conflicting_edit_is_refused_before_its_references_are_checked(clocked: Desk) -> None:
    incident = clocked.incidents.create(make_draft(**before_now()), clocked.actor_id)
    clocked.incidents.update(
        incident.id,
        replace(incident.draft, title="Moved on"),
        incident.version,
        clocked.actor_id,
        base=incident.draft,
    )
    with pytest.raises(EditConflict):
        clocked.incidents.update(
            incident.id,
            replace(incident.draft, team_id=9999),
            incident.version,
            clocked.actor_id,
            base=incident.draft,
        )


def test_an_edit_with_an_unknown_reference_changes_nothing(clocked: Desk) -> None:
    incident = clocked.incidents.create(make_draft(**before_now()), clocked.actor_id)
    with pytest.raises(ValidationFailed) as refused:
        clocked.incidents.update(
            incident.id,
            replace(incident.draft, title="Changed", service_id=9999),
            incident.version,
            clocked.actor_id,
            base=incident.draft,
        )
    assert [error.field for error in refused.value.errors] == ["service"]
    assert clocked.incidents.get(incident.id) == incident


def test_missing_incidents_are_not_found(clocked: Desk) -> None:
    with pytest.raises(NotFound, match="Incident 999 does not exist"):
        clocked.incidents.get(999)
    with pytest.raises(NotFound, match="There is no incident INC-7"):
        clocked.incidents.get_by_number(7)
    stale = make_draft(**before_now())
    with pytest.raises(NotFound):
        clocked.incidents.update(999, stale, 1, clocked.actor_id, base=stale)


def test_edit_history_survives_in_order_across_several_edits(clocked: Desk) -> None:
    incident = clocked.incidents.create(make_draft(title="v1", **before_now()), clocked.actor_id)
    version = incident.version
    for title in ("v2", "v3", "v4"):
        saved, _ = clocked.incidents.update(
            incident.id,
            replace(incident.draft, title=title),
            version,
            clocked.actor_id,
            base=incident.draft,
        )
        version = saved.version
    bodies = [
        entry.body
        for entry in clocked.timeline.entries(incident.id)
        if entry.kind is EntryKind.FIELD_CHANGE
    ]
    assert bodies == ["Title: v1 → v2", "Title: v2 → v3", "Title: v3 → v4"]
    assert version == 4
    assert json.loads(
        m.TimelineEntry.select().order_by(m.TimelineEntry.id.desc()).get().details
    ) == {
        "field": "title",
        "old": "v3",
        "new": "v4",
    }


def test_log_in_transaction_writes_in_the_callers_transaction_without_a_savepoint(
    clocked: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    statements: list[str] = []
    database = clocked.store.database
    execute = database.execute_sql

    def recording(sql: str, params: object = None) -> object:
        statements.append(sql)
        return execute(sql, params)

    monkeypatch.setattr(database, "execute_sql", recording)
    with clocked.store.write():
        incident_id, number = clocked.incidents.log_in_transaction(
            make_draft(**before_now()), clocked.actor_id
        )
    assert not [sql for sql in statements if sql.startswith("SAVEPOINT")]
    incident = clocked.incidents.get(incident_id)
    assert (incident.number, incident.status, incident.created_at) == (
        number,
        Status.LOGGED,
        FIXED_NOW,
    )
    assert [entry.body for entry in clocked.timeline.entries(incident_id)] == ["Incident logged"]


def test_log_in_transaction_refuses_to_run_outside_a_transaction(clocked: Desk) -> None:
    with pytest.raises(RuntimeError, match="needs the caller's write transaction"):
        clocked.incidents.log_in_transaction(make_draft(**before_now()), clocked.actor_id)
    assert m.Incident.select().count() == 0


def test_log_in_transaction_checks_the_draft(clocked: Desk) -> None:
    with clocked.store.write(), pytest.raises(ValidationFailed):
        clocked.incidents.log_in_transaction(make_draft(title="  "), clocked.actor_id)
    assert m.Incident.select().count() == 0
