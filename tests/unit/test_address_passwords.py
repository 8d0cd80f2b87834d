"""A password written into a database address is never shown, logged or kept in an error."""

from __future__ import annotations

from pathlib import Path

import pytest

from incidentdesk.cli import main
from incidentdesk.services.desk import open_desk
from incidentdesk.storage.database import DatabaseOpenError
from incidentdesk.storage.locations import (
    BadDatabaseAddress,
    address_without_password,
    parse_location,
)

PASSWORD = "s3cr3t-Pa55"

# Each address carries the password and is wrong in its own way.
BAD_ADDRESSES = {
    "port out of range": f"postgresql://u:{PASSWORD}@127.0.0.1:99999/x",
    "no database name": f"postgresql://u:{PASSWORD}@127.0.0.1:99999",
    "no database name, no port": f"postgresql://u:{PASSWORD}@127.0.0.1",
    "unknown option": f"postgresql://u:{PASSWORD}@127.0.0.1/x?sslmode=off",
    "port not a number": f"postgresql://u:{PASSWORD}@127.0.0.1:abc/x",
    "broken host": f"postgresql://u:{PASSWORD}@[::1/x",
    "password with a slash": f"postgresql://u:{PASSWORD}/x@127.0.0.1:99999/x",
    "unreachable server": f"postgresql://u:{PASSWORD}@127.0.0.1:1/x",
}


def exception_chain(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INCIDENTDESK_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))


@pytest.mark.parametrize("address", BAD_ADDRESSES.values(), ids=BAD_ADDRESSES.keys())
@pytest.mark.parametrize("command", [["db", "check"], ["export", "--format", "csv"], ["demo"]])
def test_the_command_line_never_prints_the_password(
    capsys: pytest.CaptureFixture[str], address: str, command: list[str]
) -> None:
    try:
        status = main(["--db", address, *command])
    except SystemExit as exit_:
        status = exit_.code if isinstance(exit_.code, int) else 1
    out, err = capsys.readouterr()
    assert status in (1, 2)
    assert PASSWORD not in out + err
    assert "Traceback" not in err
    assert err.count("\n") == 1, err


@pytest.mark.parametrize("address", BAD_ADDRESSES.values(), ids=BAD_ADDRESSES.keys())
def test_no_error_in_the_chain_carries_the_password(address: str) -> None:
    with pytest.raises((BadDatabaseAddress, DatabaseOpenError)) as raised:
        open_desk(address, login="tester")
    for error in exception_chain(raised.value):
        assert PASSWORD not in str(error), type(error)
        assert PASSWORD not in repr(error), type(error)


def test_the_location_keeps_the_password_but_never_shows_it() -> None:
    location = parse_location(f"postgresql://u:{PASSWORD}@db.example.com:5433/desk?schema=a")
    assert location.password == PASSWORD  # needed to connect
    for shown in (location.url, location.display_name, repr(location), str(location)):
        assert PASSWORD not in shown


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (f"postgresql://u:{PASSWORD}@h:5432/db", "postgresql://u:***@h:5432/db"),
        (f"postgres://u:{PASSWORD}@h/db?schema=s", "postgres://u:***@h/db?schema=s"),
        (f"postgresql://u:{PASSWORD}@h", "postgresql://u:***@h"),
        (f"postgresql://u:{PASSWORD}/x@h:1/db", "postgresql://u:***@h:1/db"),
        (f"postgresql://u:p@ss{PASSWORD}@h/db", "postgresql://u:***@h/db"),
        (f"postgresql://:{PASSWORD}@h/db", "postgresql://:***@h/db"),
        ("postgresql://u@h:5432/db", "postgresql://u@h:5432/db"),
        ("postgresql://h/db?schema=a@b", "postgresql://h/db?schema=a@b"),
        ("sqlite:///tmp/a@b:c.db", "sqlite:///tmp/a@b:c.db"),
        ("/plain/path.db", "/plain/path.db"),
    ],
)
def test_an_address_is_shown_without_its_password(text: str, shown: str) -> None:
    assert address_without_password(text) == shown


def test_a_bad_address_names_the_address_without_the_password() -> None:
    with pytest.raises(BadDatabaseAddress) as raised:
        parse_location(f"postgresql://u:{PASSWORD}@127.0.0.1:99999/x")
    assert "postgresql://u:***@127.0.0.1:99999/x" in str(raised.value)
