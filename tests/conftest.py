"""Shared fixtures: a fresh database on each engine, and a fixed clock."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from jaraco.classes import properties
from keyring.backend import KeyringBackend

from incidentdesk.services.desk import Desk, open_desk
from incidentdesk.storage.database import ConnectionLost
from incidentdesk.storage.locations import PostgresLocation, SqliteLocation

POSTGRES_ADMIN_URL = os.environ.get(
    "INCIDENTDESK_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)
ENGINES = ("sqlite", "postgres")


def _postgres_unavailable_reason() -> str | None:
    import psycopg

    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3):
            return None
    except psycopg.Error as error:
        return f"PostgreSQL at {POSTGRES_ADMIN_URL} is unreachable ({str(error).strip()})"


def require_postgres() -> None:
    """Skip (or, with CI=true, fail) when the PostgreSQL test server cannot be reached."""
    reason = _postgres_unavailable_reason()
    if reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; CI must test the PostgreSQL backend.")
    pytest.skip(f"{reason}; set INCIDENTDESK_TEST_POSTGRES to test the PostgreSQL backend.")


@contextmanager
def postgres_schema() -> Iterator[str]:
    """The address of a new, empty schema on the test server, dropped on leaving."""
    import psycopg

    require_postgres()
    schema = f"incidentdesk_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{POSTGRES_ADMIN_URL}?schema={schema}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def postgres_schema_address() -> Iterator[str]:
    """The address of an empty schema of its own on the test server, dropped afterwards."""
    with postgres_schema() as address:
        yield address


@pytest.fixture
def new_postgres_database() -> Iterator[str]:
    """The name of a new, empty database of its own on the test server, dropped afterwards
    (for what works on whole databases, as the first-run dialog does)."""
    import psycopg

    require_postgres()
    name = f"incidentdesk_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


GRANTING_TESTS_LOCK = 0x1D_6A_47  # an advisory lock's key: any number that no one else uses


def drop_postgres_roles(names: list[str]) -> None:
    """Drop the test's roles, first what they were granted in the test database; names
    never created are passed over. Logins before the roles they belong to."""
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        for name in names:
            exists = connection.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,))
            if exists.fetchone():
                connection.execute(f'DROP OWNED BY "{name}"')
                connection.execute(f'DROP ROLE "{name}"')


@pytest.fixture
def postgres_role_names() -> Iterator[Callable[[str], str]]:
    """Makes names for PostgreSQL roles of the test's own (``name("app")``); every role so
    named that the test created is dropped afterwards, with what it was granted.

    Such tests run one at a time, also across the workers of `make test`: the server refuses
    two GRANT ... ON DATABASE at once ("tuple concurrently updated"), as both change the
    database's one row of privileges. A lock of the server's own serializes them."""
    import psycopg

    require_postgres()
    made: list[str] = []
    suffix = uuid.uuid4().hex[:10]

    def name(kind: str) -> str:
        made.append(f"incidentdesk_test_{kind}_{suffix}")
        return made[-1]

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as lock:
        lock.execute("SELECT pg_advisory_lock(%s)", (GRANTING_TESTS_LOCK,))
        try:
            yield name
            drop_postgres_roles(list(reversed(made)))
        finally:
            lock.execute("SELECT pg_advisory_unlock(%s)", (GRANTING_TESTS_LOCK,))


_POSTGRES_FIXTURES = {"postgres_schema_address", "new_postgres_database", "postgres_role_names"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses the PostgreSQL server, so `-m "not postgres"` leaves it out."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and callspec.params.get("database_address") == "postgres"
        fixtures = getattr(item, "fixturenames", ())
        if on_postgres or _POSTGRES_FIXTURES & set(fixtures):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(autouse=True)
def no_error_is_logged(
    request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    """Fail a test that logs an error, as qutebrowser's tests do: a fault of the program in
    the background, or background work failing with no handler for it (ui/tasks.py logs
    both), would otherwise pass unseen. A test that provokes one on purpose says so with
    ``@pytest.mark.logs_errors``."""
    yield
    if request.node.get_closest_marker("logs_errors"):
        return
    errors = [
        record
        for when in ("setup", "call")
        for record in caplog.get_records(when)
        if record.levelno >= logging.ERROR
    ]
    if errors:
        logged = "\n".join(f"{record.name}: {record.getMessage()}" for record in errors)
        pytest.fail(f"The test logged {len(errors)} error(s):\n{logged}", pytrace=False)


@pytest.fixture
def sqlite_address(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'incidents.db'}"


@pytest.fixture(params=ENGINES)
def database_address(request: pytest.FixtureRequest) -> str:
    """A fresh, empty database address on each engine in turn."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_address"))
    return str(request.getfixturevalue("postgres_schema_address"))


@contextmanager
def opened_desk(address: str) -> Iterator[Desk]:
    """A desk for the test, closed afterwards. The test's own thread has the models bound to
    it, so a test may read and change rows directly; the program's services bind for
    themselves on whatever thread they run."""
    desk = open_desk(address, login="tester")
    try:
        with desk.store.bound():
            yield desk
    finally:
        desk.close()


@pytest.fixture
def desk(database_address: str) -> Iterator[Desk]:
    with opened_desk(database_address) as opened:
        yield opened


@pytest.fixture
def sqlite_desk(sqlite_address: str) -> Iterator[Desk]:
    with opened_desk(sqlite_address) as opened:
        yield opened


@dataclass
class LostReplies:
    """Commits whose answer was lost: how many so far, and what puts the real commit back."""

    restore: Callable[[], None]
    count: int = 0


LoseReplies = Callable[..., LostReplies]


@pytest.fixture
def lose_replies(monkeypatch: pytest.MonkeyPatch) -> LoseReplies:
    """``lose_replies(desk, times=None)``: from now on each commit of ``desk`` reaches the
    database, and then the connection ends before its answer comes (``ConnectionLost``), for
    the first ``times`` commits or, with None, for every one until ``restore()``."""

    def lose(desk: Desk, times: int | None = None) -> LostReplies:
        database: Any = desk.store.database
        commit: Callable[[], None] = database.commit
        lost = LostReplies(lambda: monkeypatch.setattr(database, "commit", commit))

        def commit_then_lose_the_reply() -> None:
            commit()
            if times is None or lost.count < times:
                lost.count += 1
                raise ConnectionLost("The connection to the server was lost as it committed.")

        monkeypatch.setattr(database, "commit", commit_then_lose_the_reply)
        return lost

    return lose


FIXED_NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def is_postgres(desk: Desk) -> bool:
    return isinstance(desk.store.location, PostgresLocation)


def is_sqlite(desk: Desk) -> bool:
    return isinstance(desk.store.location, SqliteLocation)


# Hypothesis: a bounded number of examples and no per-example deadline (a database round
# trip on a busy machine can take longer than the default 200 ms); under CI the examples are
# derived from the test itself so that every run checks the same inputs.
settings.register_profile(
    "incidentdesk",
    max_examples=60,
    deadline=None,
    derandomize=os.environ.get("CI", "").lower() == "true",
)
settings.load_profile("incidentdesk")


class MemoryKeyring(KeyringBackend):
    """A keyring that keeps passwords in a dict, so tests never touch the real one."""

    @properties.classproperty
    def priority(self) -> float:
        # Every subclass is registered with keyring; raising keeps this one (and the tests'
        # variants of it) from being picked as the default backend for the whole session.
        # Tests install it explicitly with the use_keyring fixture.
        raise RuntimeError("a keyring for tests, installed explicitly")

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.passwords[(service, username)]


InstallKeyring = Callable[[KeyringBackend], KeyringBackend]


@pytest.fixture
def use_keyring(monkeypatch: pytest.MonkeyPatch) -> InstallKeyring:
    """Installs a keyring backend for one test and puts the previous one back afterwards."""
    import keyring
    import keyring.core

    # keyring.set_keyring has no undo; the backend it sets lives in this module attribute.
    monkeypatch.setattr(keyring.core, "_keyring_backend", keyring.core._keyring_backend)

    def install(backend: KeyringBackend) -> KeyringBackend:
        keyring.set_keyring(backend)
        return backend

    return install


@pytest.fixture
def memory_keyring(use_keyring: InstallKeyring) -> MemoryKeyring:
    backend = MemoryKeyring()
    use_keyring(backend)
    return backend
