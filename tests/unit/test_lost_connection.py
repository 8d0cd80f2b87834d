"""A PostgreSQL connection the server ended is replaced: reads retry once, writes fail cleanly.

The server is never restarted (others share it): the program's own backend is ended with
pg_terminate_backend from a second connection, as an idle-session kill or a failover does.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from incidentdesk.services.desk import Desk
from incidentdesk.services.incidents import IncidentQuery
from incidentdesk.storage import models as m
from incidentdesk.storage.database import ConnectionLost, DatabaseUnavailable, is_connection_failure
from tests.conftest import POSTGRES_ADMIN_URL, opened_desk
from tests.factories import make_draft
from tests.tcp_proxy import TcpProxy


@pytest.fixture
def postgres_desk(postgres_schema_address: str) -> Iterator[Desk]:
    with opened_desk(postgres_schema_address) as desk:
        yield desk


def end_this_threads_backend(desk: Desk) -> None:
    """Ends, from another connection, the server process serving this thread's connection."""
    (pid,) = desk.store.database.execute_sql("SELECT pg_backend_pid()").fetchone()
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        (ended,) = admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()
    assert ended


def test_reads_and_writes_work_again_after_the_server_ends_the_connection(
    postgres_desk: Desk,
) -> None:
    desk = postgres_desk
    first = desk.incidents.create(make_draft(title="Before the failover"), desk.actor_id)
    for round_ in range(3):
        end_this_threads_backend(desk)
        assert desk.incidents.get(first.id).title == "Before the failover"  # a read: retried
        end_this_threads_backend(desk)
        # A write whose transaction had not begun yet is sent on a fresh connection.
        saved = desk.incidents.create(make_draft(title=f"After round {round_}"), desk.actor_id)
        assert desk.incidents.get(saved.id).title == f"After round {round_}"
        end_this_threads_backend(desk)
        assert desk.incidents.count(IncidentQuery()) == round_ + 2


def test_a_write_cut_off_in_its_transaction_fails_in_words_and_saves_nothing(
    postgres_desk: Desk,
) -> None:
    desk = postgres_desk
    incident = desk.incidents.create(make_draft(title="Queue stalls"), desk.actor_id)

    def cut_off_write() -> None:
        with desk.store.write():
            m.Incident.update(title="Half-written").where(m.Incident.id == incident.id).execute()
            end_this_threads_backend(desk)
            m.Incident.update(version=m.Incident.version + 1).where(
                m.Incident.id == incident.id
            ).execute()

    with pytest.raises(ConnectionLost) as lost:
        cut_off_write()
    message = str(lost.value)
    assert "connection to the PostgreSQL server" in message
    assert "was lost" in message
    assert "nothing was saved" in message
    assert "closed" not in message
    # The next read works, and shows that the first half of the write did not land.
    assert desk.incidents.get(incident.id).title == "Queue stalls"


def test_a_write_outside_a_transaction_is_not_sent_twice(postgres_desk: Desk) -> None:
    desk = postgres_desk
    incident = desk.incidents.create(make_draft(title="Queue stalls"), desk.actor_id)
    sent: list[str] = []
    desk.store.database.query_hooks.append(lambda event: sent.append(event.sql))
    end_this_threads_backend(desk)
    sent.clear()
    with pytest.raises(ConnectionLost, match="nothing was saved"):
        m.Incident.update(title="Sent once").where(m.Incident.id == incident.id).execute()
    assert sum(sql.startswith("UPDATE") for sql in sent) == 1
    assert desk.incidents.get(incident.id).title == "Queue stalls"


def test_every_thread_recovers_its_own_connection(postgres_desk: Desk) -> None:
    desk = postgres_desk
    desk.incidents.create(make_draft(title="Seen from every thread"), desk.actor_id)

    def backend_pid(_: int) -> int:
        (pid,) = desk.store.database.execute_sql("SELECT pg_backend_pid()").fetchone()
        return int(pid)

    with ThreadPoolExecutor(max_workers=3) as pool:
        pids = set(pool.map(backend_pid, range(12)))
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            for pid in pids:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        counts = list(pool.map(lambda _: desk.incidents.count(IncidentQuery()), range(12)))
    assert counts == [1] * 12
    assert backend_pid(0) not in pids


def test_an_unreachable_server_is_named_as_such_and_work_resumes_when_it_is_back(
    postgres_schema_address: str,
) -> None:
    """Not a raw driver error (which the window would show as a fault of the program): every
    read and write says the server cannot be reached, and nothing was written meanwhile."""
    proxy = TcpProxy("127.0.0.1", 5432)
    port = postgres_schema_address.split("@", 1)[1].split("/", 1)[0]
    address = postgres_schema_address.replace(f"@{port}/", f"@127.0.0.1:{proxy.port}/", 1)
    try:
        with opened_desk(address) as desk:
            assert desk.incidents.count(IncidentQuery()) == 0
            proxy.cut()
            attempts = [
                lambda: desk.incidents.count(IncidentQuery()),
                lambda: desk.incidents.create(make_draft(title="Cut off"), desk.actor_id),
                lambda: desk.incidents.count(IncidentQuery()),
            ]
            for attempt in attempts:
                with pytest.raises(DatabaseUnavailable) as raised:
                    attempt()
                assert is_connection_failure(raised.value)
                assert "cannot be reached" in str(raised.value)
            proxy.restore()
            assert desk.incidents.count(IncidentQuery()) == 0  # the write did not happen
            desk.incidents.create(make_draft(title="After"), desk.actor_id)
            assert desk.incidents.count(IncidentQuery()) == 1
    finally:
        proxy.close()
