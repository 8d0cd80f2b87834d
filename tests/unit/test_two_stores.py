"""Two open databases in one process, on different engines: each store's work lands in its
own database, whichever thread does it and in whatever order."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import peewee as pw
import pytest

from incidentdesk.services.desk import Desk, open_desk
from incidentdesk.services.incidents import IncidentQuery
from incidentdesk.storage import models as m
from tests.factories import make_draft

ROUNDS = 25


@pytest.fixture
def two_desks(sqlite_address: str, postgres_schema_address: str) -> Iterator[tuple[Desk, Desk]]:
    """Desk A on an SQLite file and desk B on the PostgreSQL server, both open; neither is
    bound on the test's thread."""
    a = open_desk(sqlite_address, login="alice")
    try:
        b = open_desk(postgres_schema_address, login="bob")
        try:
            yield a, b
        finally:
            b.close()
    finally:
        a.close()


def titles(desk: Desk) -> list[str]:
    return sorted(row.title for row in desk.incidents.rows(IncidentQuery(), limit=1000))


def save_in_turn(desk: Desk, name: str, barrier: threading.Barrier) -> None:
    """Each round: wait for the other thread, then create an incident with a file and edit it."""
    for round_ in range(ROUNDS):
        barrier.wait()
        incident = desk.incidents.create(make_draft(title=f"{name} {round_:02}"), desk.actor_id)
        desk.attachments.add(incident.id, f"{name}.log", f"{name} {round_}".encode(), None)
        edited = make_draft(title=f"{name} {round_:02} edited")
        desk.incidents.update(
            incident.id, edited, incident.version, desk.actor_id, base=incident.draft
        )


def run_in_threads(*work: Callable[[], None]) -> None:
    failures: list[BaseException] = []

    def guarded(job: Callable[[], None]) -> None:
        try:
            job()
        except BaseException as error:  # reported below, by the test's own thread
            failures.append(error)

    threads = [threading.Thread(target=guarded, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert failures == []


def test_concurrent_writes_through_two_stores_land_in_their_own_databases(
    two_desks: tuple[Desk, Desk],
) -> None:
    a, b = two_desks
    barrier = threading.Barrier(2, timeout=60)
    run_in_threads(
        lambda: save_in_turn(a, "A", barrier),
        lambda: save_in_turn(b, "B", barrier),
    )
    assert titles(a) == [f"A {round_:02} edited" for round_ in range(ROUNDS)]
    assert titles(b) == [f"B {round_:02} edited" for round_ in range(ROUNDS)]
    for desk, name in ((a, "A"), (b, "B")):
        with desk.store.bound():
            contents = sorted(bytes(blob.content) for blob in m.Blob.select())
            people = {user.login for user in m.User.select()}
        assert contents == sorted(f"{name} {round_}".encode() for round_ in range(ROUNDS))
        assert people == {"alice" if name == "A" else "bob"}


def test_one_thread_alternating_between_stores_writes_each_to_its_own(
    two_desks: tuple[Desk, Desk],
) -> None:
    """As the program's single write thread does when two windows each save."""
    a, b = two_desks
    for round_ in range(5):
        a.incidents.create(make_draft(title=f"A {round_}"), a.actor_id)
        b.incidents.create(make_draft(title=f"B {round_}"), b.actor_id)
    assert titles(a) == [f"A {round_}" for round_ in range(5)]
    assert titles(b) == [f"B {round_}" for round_ in range(5)]


def test_opening_a_second_store_leaves_the_first_ones_work_where_it_was(
    sqlite_address: str, tmp_path: Path
) -> None:
    a = open_desk(sqlite_address, login="alice")
    try:
        b = open_desk(f"sqlite:///{tmp_path / 'b.db'}", login="bob")
        try:
            a.incidents.create(make_draft(title="Saved through A"), a.actor_id)
            assert titles(a) == ["Saved through A"]
            assert titles(b) == []
        finally:
            b.close()
        a.incidents.create(make_draft(title="A after B closed"), a.actor_id)
        assert titles(a) == ["A after B closed", "Saved through A"]
    finally:
        a.close()


def test_a_model_used_outside_any_store_fails_instead_of_guessing(sqlite_address: str) -> None:
    desk = open_desk(sqlite_address, login="alice")
    try:

        def count_unbound() -> None:
            m.Incident.select().count()

        with pytest.raises(pw.InterfaceError, match="must be bound"):
            count_unbound()
        # Nor on another thread, whatever the test's thread has bound.
        errors: list[Exception] = []

        def elsewhere() -> None:
            try:
                count_unbound()
            except pw.InterfaceError as error:
                errors.append(error)

        with desk.store.bound():
            thread = threading.Thread(target=elsewhere)
            thread.start()
            thread.join(timeout=30)
            assert m.Incident.select().count() == 0
        assert len(errors) == 1
    finally:
        desk.close()
