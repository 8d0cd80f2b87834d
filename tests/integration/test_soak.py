"""Eight processes on one database at once, 200 mixed operations each; on PostgreSQL one
process's server connection is ended half way. Afterwards every acknowledged write is there
exactly once, keys are unique and each incident has its first entry (``tests/soak.py``)."""

from __future__ import annotations

import psycopg
import pytest

from incidentdesk.services.desk import open_desk
from tests.conftest import POSTGRES_ADMIN_URL
from tests.soak import check_invariants, soak

WORKERS = 8
OPERATIONS = 200


class Terminator:
    """Ends a server process from another connection, as an idle-session kill does."""

    def __init__(self) -> None:
        self.ended: list[int] = []

    def __call__(self, pid: int) -> None:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            (ended,) = admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()
        if ended:
            self.ended.append(pid)


@pytest.mark.parametrize("engine", ["sqlite", "postgres"])
def test_a_soak_by_eight_processes_loses_and_doubles_nothing(
    engine: str, request: pytest.FixtureRequest
) -> None:
    address = str(
        request.getfixturevalue(
            "sqlite_address" if engine == "sqlite" else "postgres_schema_address"
        )
    )
    open_desk(address, login="lead").close()  # the schema, before the workers race for it
    terminator = Terminator()
    result = soak(
        address, WORKERS, OPERATIONS, terminate_backend=None if engine == "sqlite" else terminator
    )
    assert result.errors == []
    assert result.operations == WORKERS * OPERATIONS
    assert all(worker.created for worker in result.workers)
    if engine == "postgres":
        assert len(terminator.ended) == 1  # its connection was ended, and replaced unseen
    desk = open_desk(address, login="lead")
    try:
        assert check_invariants(desk, result) == []
    finally:
        desk.close()
