"""peewee is imported without the PostgreSQL driver; opening a PostgreSQL database loads it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

PROBE = textwrap.dedent(
    """
    import sys
    from incidentdesk.services.desk import open_desk

    assert "psycopg" not in sys.modules, "psycopg was imported with the storage package"
    desk = open_desk(sys.argv[1], login="tester")
    try:
        assert "psycopg" in sys.modules
        schema = desk.store.database.execute_sql("SELECT current_schema()").fetchone()[0]
        print(schema)
    finally:
        desk.close()
    """
)


def test_opening_a_postgresql_database_loads_the_driver_peewee_was_imported_without(
    postgres_schema_address: str,
) -> None:
    finished = subprocess.run(
        [sys.executable, "-c", PROBE, postgres_schema_address],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip() == postgres_schema_address.rsplit("schema=", 1)[1]


def test_loading_the_driver_twice_changes_nothing() -> None:
    import peewee

    from incidentdesk.storage import postgres_driver

    postgres_driver.load()
    driver = peewee.psycopg
    postgres_driver.load()
    assert peewee.psycopg is driver is sys.modules["psycopg"]
    assert peewee.Psycopg3Adapter.txn_idle is sys.modules["psycopg"].pq.TransactionStatus.IDLE
