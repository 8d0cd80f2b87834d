"""Prepared queries (storage/prepared.py): peewee's SQL built once per database, run with new
values converted by their fields, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from datetime import UTC, timedelta, timezone
from pathlib import Path
from typing import Any

import peewee as pw
import psycopg
import pytest

from incidentdesk.domain.enums import Priority, Severity, Urgency
from incidentdesk.domain.incident import IncidentDraft
from incidentdesk.domain.priority import PriorityMatrix
from incidentdesk.services.desk import Desk
from incidentdesk.storage import models as m
from incidentdesk.storage.counters import allocate_incident_numbers
from incidentdesk.storage.database import Store
from incidentdesk.storage.prepared import PreparedQuery, slot
from tests.conftest import FIXED_NOW, opened_desk

REMEMBER = PreparedQuery(
    m.IntakeRequest,
    lambda: m.IntakeRequest.insert(
        request_id=slot("request_id", m.IntakeRequest.request_id),
        received_at=slot("received_at", m.IntakeRequest.received_at),
        answer=slot("answer", m.IntakeRequest.answer),
    ).returning(m.IntakeRequest.id),
)
RECALL = PreparedQuery(
    m.IntakeRequest,
    lambda: (
        m.IntakeRequest.select(m.IntakeRequest.received_at, m.IntakeRequest.answer)
        .where(m.IntakeRequest.request_id == slot("request_id", m.IntakeRequest.request_id))
        .limit(1)
    ),
    (m.IntakeRequest.received_at, m.IntakeRequest.answer),
)


def test_an_insert_and_a_select_read_back_as_peewee_reads_them(desk: Desk) -> None:
    # Converted by the field as peewee converts it: stored in UTC, read back aware.
    aware = (FIXED_NOW + timedelta(microseconds=250)).astimezone(timezone(timedelta(hours=2)))
    with desk.store.write():
        first = REMEMBER.returned_id(request_id="one", received_at=aware, answer='{"a": 1}')
        second = REMEMBER.returned_id(request_id="two", received_at=FIXED_NOW, answer="{}")
    assert second == first + 1
    stored = m.IntakeRequest.get_by_id(first)
    assert (stored.request_id, stored.received_at, stored.answer) == ("one", aware, '{"a": 1}')
    assert RECALL.first_row(request_id="one") == (aware, '{"a": 1}')
    assert RECALL.first_row(request_id="two") == (FIXED_NOW, "{}")
    assert RECALL.first_row(request_id="none such") is None
    assert stored.received_at.tzinfo is UTC


def test_a_value_the_statement_has_no_slot_for_is_refused(desk: Desk) -> None:
    with pytest.raises(TypeError, match=r"takes \['request_id'\], and was given"):
        RECALL.first_row(request_id="one", received_at=FIXED_NOW)
    with pytest.raises(TypeError, match="and was given"):
        RECALL.first_row()


def test_with_nothing_bound_it_fails_at_once() -> None:
    with pytest.raises(pw.InterfaceError, match="nothing is bound to IntakeRequest"):
        RECALL.first_row(request_id="one")


def test_each_database_runs_its_own_statement(tmp_path: Path, desk: Desk) -> None:
    """The same prepared query on two open stores, in turn: each row goes to its own."""
    with opened_desk(f"sqlite:///{tmp_path / 'other.db'}") as other:
        stores: list[Store] = [desk.store, other.store, desk.store]
        for number, store in enumerate(stores):
            with store.write():
                REMEMBER.returned_id(request_id=f"r{number}", received_at=FIXED_NOW, answer="")
        with other.store.bound():
            assert [row.request_id for row in m.IntakeRequest.select()] == ["r1"]
    with desk.store.bound():
        names = [row.request_id for row in m.IntakeRequest.select().order_by(m.IntakeRequest.id)]
    assert names == ["r0", "r2"]


def test_logging_without_reading_back_gives_what_create_gives(desk: Desk) -> None:
    draft = IncidentDraft(
        title="Checkout is slow",
        reported_at=FIXED_NOW - timedelta(minutes=5),
        severity=Severity.SEV2,
        urgency=Urgency.HIGH,
        description="p99 over 2 s",
    )
    incident_id, number = desk.incidents.log(draft, desk.actor_id)
    logged = desk.incidents.get(incident_id)
    created = desk.incidents.create(draft, desk.actor_id)
    assert (logged.number, created.number) == (number, number + 1)
    assert logged.draft == created.draft == draft
    assert logged.priority == created.priority
    assert [e.body for e in desk.timeline.entries(incident_id)] == ["Incident logged"]
    assert desk.incidents.get_by_number(number).id == incident_id


def test_a_priority_matrix_given_is_the_one_used(desk: Desk) -> None:
    draft = IncidentDraft(
        title="Disk filling", reported_at=FIXED_NOW, severity=Severity.SEV3, urgency=Urgency.LOW
    )
    matrix = desk.settings.priority_matrix()
    kept = PriorityMatrix({**matrix.cells, (Severity.SEV3, Urgency.LOW): Priority.P2})
    incident_id, _number = desk.incidents.log(draft, desk.actor_id, matrix=kept)
    assert desk.incidents.get(incident_id).priority is Priority.P2
    incident_id, _number = desk.incidents.log(draft, desk.actor_id)
    assert desk.incidents.get(incident_id).priority is matrix.priority(Severity.SEV3, Urgency.LOW)


def test_numbers_are_taken_in_a_row_and_a_missing_counter_is_a_fault(desk: Desk) -> None:
    with desk.store.write():
        assert list(allocate_incident_numbers(3)) == [1, 2, 3]
        assert list(allocate_incident_numbers(1)) == [4]
    m.Counter.delete().execute()
    with (
        pytest.raises(pw.IntegrityError, match="no incident number counter"),
        desk.store.write(),
    ):
        allocate_incident_numbers(1)


def test_a_statement_is_finished_once_its_row_is_read(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An UPDATE or INSERT … RETURNING left open on SQLite is a write still in progress under
    its transaction's COMMIT: four clients were once handed the same incident number."""
    database = desk.store.database
    cursors: list[Any] = []
    run = database.execute_sql

    def kept(sql: str, params: object = None) -> Any:
        cursor = run(sql, params)
        cursors.append(cursor)
        return cursor

    monkeypatch.setattr(database, "execute_sql", kept)
    with desk.store.write():
        REMEMBER.returned_id(request_id="one", received_at=FIXED_NOW, answer="")
        allocate_incident_numbers(2)
        RECALL.first_row(request_id="one")
        RECALL.first_row(request_id="none such")
    assert len(cursors) == 4
    for cursor in cursors:
        with pytest.raises((sqlite3.ProgrammingError, psycopg.InterfaceError), match="closed"):
            cursor.fetchone()
