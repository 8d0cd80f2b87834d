"""The change log (storage/change_log.py): written by the database's triggers for every write
path, naming the client that wrote, pruned after a day; PostgreSQL's notifications carry the
ids in batches under 8,000 bytes; the follower reads only what others committed."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import UTC, datetime

import psycopg
import pytest

from incidentdesk.domain.enums import EntryKind
from incidentdesk.domain.timeline import NewEntry
from incidentdesk.services import demo
from incidentdesk.services.changes import ChangeKind, changed
from incidentdesk.services.desk import Desk, open_desk
from incidentdesk.services.watch import (
    ChangeLogFollower,
    PostgresListener,
    RemoteChanges,
    parse_notification,
)
from incidentdesk.storage import change_log
from incidentdesk.storage import models as m
from tests.conftest import POSTGRES_ADMIN_URL, opened_desk
from tests.factories import make_draft, sqlite_path

MAX_PAYLOAD_BYTES = 8000


def logged(desk: Desk) -> list[tuple[int, str, str]]:
    cursor = desk.store.database.execute_sql(
        "SELECT incident_id, kind, client FROM change_log ORDER BY id"
    )
    return [(int(row[0]), str(row[1]), str(row[2])) for row in cursor.fetchall()]


def test_every_write_is_logged_with_its_kind_and_writer(desk: Desk) -> None:
    incident = desk.incidents.create(make_draft(title="Logged"), desk.actor_id)
    desk.timeline.append(
        incident.id, NewEntry(EntryKind.NOTE, "A note", datetime.now(UTC)), desk.actor_id
    )
    m.Incident.update(title="Renamed directly").where(m.Incident.id == incident.id).execute()
    rows = logged(desk)
    kinds = [kind for incident_id, kind, _ in rows if incident_id == incident.id]
    assert kinds[0] == "created"
    assert {"timeline", "updated"} <= set(kinds)
    assert {client for _, _, client in rows} == {desk.store.client_id}
    assert desk.store.client_id


def test_the_follower_reads_what_another_client_committed_and_skips_its_own(
    database_address: str,
) -> None:
    with opened_desk(database_address) as mine, opened_desk(database_address) as theirs:
        follower = ChangeLogFollower(mine.store)
        follower.start()
        ours = mine.incidents.create(make_draft(title="Mine"), mine.actor_id)
        their = theirs.incidents.create(make_draft(title="Theirs"), theirs.actor_id)
        with mine.store.bound():
            found = follower.catch_up()
            assert follower.catch_up() == []  # read past
        assert changed(None, [their.id], ChangeKind.CREATED) in found
        assert all(ours.id not in change.incident_ids for change in found)


def test_sqlite_polling_reads_only_when_the_file_changed(sqlite_address: str) -> None:
    with opened_desk(sqlite_address) as mine, opened_desk(sqlite_address) as theirs:
        follower = ChangeLogFollower(mine.store)
        assert follower.poll() == []  # starts
        assert follower.poll() == []  # nothing committed
        their = theirs.incidents.create(make_draft(title="Theirs"), theirs.actor_id)
        found = follower.poll()
        assert {incident for change in found for incident in change.incident_ids} == {their.id}
        assert follower.poll() == []


def test_rows_older_than_a_day_are_pruned_on_open(database_address: str) -> None:
    with opened_desk(database_address) as desk:
        desk.incidents.create(make_draft(title="Old"), desk.actor_id)
        day_ago = int(time.time()) - change_log.KEPT_FOR_S - 60
        with desk.store.write():
            desk.store.database.execute_sql(f"UPDATE change_log SET written_at = {day_ago}")
        desk.incidents.create(make_draft(title="New"), desk.actor_id)
        assert len(logged(desk)) >= 3
    with opened_desk(database_address) as reopened:
        assert {kind for _, kind, _ in logged(reopened)} == {"created", "timeline"}
        assert all(
            row[0] >= day_ago
            for row in reopened.store.database.execute_sql(
                "SELECT written_at FROM change_log"
            ).fetchall()
        )


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("updated:3,1,2", [changed(None, [1, 2, 3], ChangeKind.UPDATED)]),
        ("timeline:7", [changed(None, [7], ChangeKind.TIMELINE)]),
        ("renamed:7", []),  # a kind of a newer program
        ("updated:", []),
        ("updated:1,x", []),
        ("", []),
    ],
)
def test_notifications_are_read_tolerantly(payload: str, expected: list[object]) -> None:
    assert parse_notification(payload) == expected


def test_a_statement_changing_many_incidents_notifies_in_batches_under_8000_bytes(
    postgres_schema_address: str,
) -> None:
    schema = postgres_schema_address.rpartition("schema=")[2]
    desk = open_desk(postgres_schema_address, login="tester")
    try:
        with desk.store.bound():
            demo.generate(desk.store, 1_200, seed=3)
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as listener:
            listener.execute(f'LISTEN "{change_log.postgres_channel(schema)}"')
            with desk.store.write():
                desk.store.database.execute_sql("UPDATE incident SET title = title || '!'")
                ids = {row[0] for row in desk.store.database.execute_sql("SELECT id FROM incident")}
            payloads = [n.payload for n in listener.notifies(timeout=5, stop_after=3)]
            payloads += [n.payload for n in listener.notifies(timeout=0.5)]
    finally:
        desk.close()
    assert len(ids) == 1_200
    assert len(payloads) == 3
    assert all(len(payload.encode()) < MAX_PAYLOAD_BYTES for payload in payloads)
    assert all(payload.startswith("updated:") for payload in payloads)
    notified = [
        incident for p in payloads for c in parse_notification(p) for incident in c.incident_ids
    ]
    assert sorted(notified) == sorted(ids)


def test_the_listener_catches_up_from_the_row_shown_and_skips_its_own_writes(
    postgres_schema_address: str,
) -> None:
    with (
        opened_desk(postgres_schema_address) as mine,
        opened_desk(postgres_schema_address) as theirs,
    ):
        after_id = change_log.last_id(mine.store.database)
        before_listening = theirs.incidents.create(make_draft(title="Early"), theirs.actor_id)
        received: list[RemoteChanges] = []
        arrived = threading.Event()

        def note(changes: RemoteChanges) -> None:
            received.append(changes)
            arrived.set()

        listener = PostgresListener(mine.store, note, lambda *_: None, after_id=after_id)
        listener.start()
        try:
            assert arrived.wait(10)
            assert received[0] == [
                changed(None, [before_listening.id], ChangeKind.CREATED),
                changed(None, [before_listening.id], ChangeKind.TIMELINE),
            ]
            arrived.clear()
            mine.incidents.create(make_draft(title="Mine"), mine.actor_id)
            later = theirs.incidents.create(make_draft(title="Later"), theirs.actor_id)
            assert arrived.wait(10)
        finally:
            listener.stop()
        assert not listener.running
        ids = {incident for changes in received[1:] for c in changes for incident in c.incident_ids}
        assert ids == {later.id}


def test_a_write_by_another_program_on_the_sqlite_file_is_logged_without_a_writer(
    sqlite_address: str,
) -> None:
    with opened_desk(sqlite_address) as desk:
        incident = desk.incidents.create(make_draft(title="Before the script"), desk.actor_id)
        follower = ChangeLogFollower(desk.store)
        follower.start()
        script = sqlite3.connect(sqlite_path(sqlite_address))  # not this program's connection
        try:
            with script:
                script.execute(
                    "UPDATE incident SET title = 'By a script' WHERE id = ?", (incident.id,)
                )
        finally:
            script.close()
        assert follower.poll() == [changed(None, [incident.id], ChangeKind.UPDATED)]
        assert logged(desk)[-1] == (incident.id, "updated", "")
