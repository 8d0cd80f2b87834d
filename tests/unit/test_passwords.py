"""PostgreSQL passwords live in the keyring: stored by `db set-password`, read when opening."""

from __future__ import annotations

import io

import keyring.errors
import pytest
from keyring.backends import fail

from incidentdesk.cli import main
from incidentdesk.storage.database import DatabaseOpenError, open_store
from incidentdesk.storage.locations import parse_location
from incidentdesk.storage.secrets import KEYRING_SERVICE, load_password
from tests.conftest import InstallKeyring, MemoryKeyring


def set_password(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, url: str, typed: str
) -> tuple[int, str, str]:
    # Not a terminal: the password is read from standard input, as from a pipe.
    monkeypatch.setattr("sys.stdin", io.StringIO(typed))
    status = main(["db", "set-password", url])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_set_password_stores_it_under_the_normalized_address(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    memory_keyring: MemoryKeyring,
) -> None:
    status, out, err = set_password(
        capsys, monkeypatch, "postgresql://ops@db.example.com/incidents", "s3cret pass\n"
    )

    assert (status, err) == (0, "")
    normalized = "postgresql://ops@db.example.com:5432/incidents"
    assert out == f"Stored the password for {normalized} in the system keyring.\n"
    assert memory_keyring.passwords == {(KEYRING_SERVICE, normalized): "s3cret pass"}
    assert load_password(normalized) == "s3cret pass"
    assert load_password("postgresql://ops@db.example.com:5432/other") is None


def test_set_password_is_only_for_postgresql(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    memory_keyring: MemoryKeyring,
) -> None:
    status, out, err = set_password(capsys, monkeypatch, "sqlite:///x.db", "pw\n")
    assert (status, out) == (1, "")
    assert err == "incidentdesk: only PostgreSQL databases have passwords.\n"
    assert memory_keyring.passwords == {}


def test_without_a_keyring_set_password_fails_in_one_sentence(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    use_keyring: InstallKeyring,
) -> None:
    use_keyring(fail.Keyring())
    status, out, err = set_password(capsys, monkeypatch, "postgresql://ops@db/incidents", "pw\n")
    assert (status, out) == (1, "")
    assert err.count("\n") == 1
    assert err.startswith("incidentdesk: there is no system keyring on this machine")
    assert err.endswith("and try again.\n")
    assert "Traceback" not in err


@pytest.mark.postgres
def test_opening_uses_the_stored_password(
    postgres_schema_address: str, memory_keyring: MemoryKeyring
) -> None:
    location = parse_location(postgres_schema_address)
    memory_keyring.set_password(KEYRING_SERVICE, location.url, "from the keyring")
    # The test server trusts every local connection, so any password is accepted; what is
    # checked is that the keyring's password is the one the connection is made with.
    store = open_store(location)
    try:
        assert store.database.connect_params["password"] == "from the keyring"
    finally:
        store.close()


@pytest.mark.postgres
def test_a_password_in_the_address_wins_over_the_keyring(
    postgres_schema_address: str, memory_keyring: MemoryKeyring
) -> None:
    location = parse_location(postgres_schema_address)
    memory_keyring.set_password(KEYRING_SERVICE, location.url, "from the keyring")
    inline = postgres_schema_address.replace("postgres@", "postgres:typed@")
    store = open_store(parse_location(inline))
    try:
        assert store.database.connect_params["password"] == "typed"
    finally:
        store.close()


@pytest.mark.postgres
def test_without_a_keyring_opening_proceeds_without_a_password(
    postgres_schema_address: str, use_keyring: InstallKeyring
) -> None:
    use_keyring(fail.Keyring())
    store = open_store(parse_location(postgres_schema_address))
    try:
        assert store.database.connect_params.get("password") is None
    finally:
        store.close()


class LockedKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("the keyring is locked")


def test_a_keyring_that_cannot_be_read_is_named(use_keyring: InstallKeyring) -> None:
    use_keyring(LockedKeyring())
    location = parse_location("postgresql://ops@127.0.0.1:1/incidents")
    with pytest.raises(DatabaseOpenError) as refused:
        open_store(location)
    assert str(refused.value) == ("the system keyring could not be read: the keyring is locked.")
