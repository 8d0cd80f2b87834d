"""Database addresses: sqlite:///…, plain paths and postgresql://… with an optional schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from incidentdesk.storage.locations import (
    BadDatabaseAddress,
    PostgresLocation,
    SqliteLocation,
    parse_location,
)


def test_sqlite_absolute_and_relative_addresses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert parse_location("sqlite:////data/incidents.db") == SqliteLocation(
        Path("/data/incidents.db")
    )
    assert parse_location("sqlite:///relative.db") == SqliteLocation(tmp_path / "relative.db")
    assert parse_location("plain.db") == SqliteLocation(tmp_path / "plain.db")
    assert parse_location("sqlite:///with%20space.db") == SqliteLocation(tmp_path / "with space.db")


def test_sqlite_url_round_trips(tmp_path: Path) -> None:
    location = parse_location(f"sqlite:///{tmp_path / 'a.db'}")
    assert parse_location(location.url) == location
    assert location.display_name == str(tmp_path / "a.db")


def test_a_full_postgres_address() -> None:
    location = parse_location(
        "postgresql://alice:s%40cret@db.example.com:6543/incidents?schema=ops"
    )
    assert location == PostgresLocation(
        host="db.example.com",
        port=6543,
        database="incidents",
        user="alice",
        password="s@cret",
        schema="ops",
    )
    # The address shown and used as the keyring entry never contains the password.
    assert location.url == "postgresql://alice@db.example.com:6543/incidents?schema=ops"
    assert "s@cret" not in location.display_name
    assert location.display_name == "incidents on db.example.com:6543 as alice"


def test_postgres_defaults() -> None:
    location = parse_location("postgres://db/incidents", default_user="bob")
    assert location == PostgresLocation(host="db", port=5432, database="incidents", user="bob")
    assert location.url == "postgresql://bob@db:5432/incidents"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("sqlite:relative.db", "is not an SQLite address"),
        ("sqlite:///", "names no file"),
        ("ftp://x", "unknown kind of database 'ftp'"),
        ("mysql://u@h/db", "unknown kind of database 'mysql'"),
        ("postgresql://u@h", "names no database"),
        ("postgresql://u@h/", "names no database"),
        ("postgresql://u@h/a/b", "names no database"),
        ("postgresql://u@h:99999/db", "port"),
        ("postgresql://u@h:abc/db", "port"),
        ("postgresql://u@h/db?sslmode=require", "unknown option 'sslmode'"),
    ],
)
def test_bad_addresses_say_what_is_wrong(text: str, words: str) -> None:
    with pytest.raises(BadDatabaseAddress, match=words):
        parse_location(text)
