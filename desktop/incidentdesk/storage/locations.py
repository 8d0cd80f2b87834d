"""Where a database lives: parsing ``sqlite:///…`` and ``postgresql://…`` addresses."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

POSTGRES_SCHEMES = ("postgresql", "postgres")
DEFAULT_POSTGRES_PORT = 5432


class BadDatabaseAddress(ValueError):
    """The text given as a database address cannot be understood."""


@dataclass(frozen=True)
class SqliteLocation:
    path: Path

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"

    @property
    def display_name(self) -> str:
        return str(self.path)


@dataclass(frozen=True)
class PostgresLocation:
    host: str
    port: int
    database: str
    user: str
    password: str | None = None
    schema: str | None = None

    @property
    def url(self) -> str:
        """The address without the password: the keyring entry's name and what we show."""
        query = f"?schema={self.schema}" if self.schema else ""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.database}{query}"

    @property
    def display_name(self) -> str:
        return f"{self.database} on {self.host}:{self.port} as {self.user}"


DatabaseLocation = SqliteLocation | PostgresLocation


def parse_location(text: str, default_user: str = "postgres") -> DatabaseLocation:
    """Read ``sqlite:///relative.db``, ``sqlite:////absolute.db``, a plain file path, or
    ``postgresql://user[:password]@host[:port]/name[?schema=s]``."""
    text = text.strip()
    if not text:
        raise BadDatabaseAddress("the database address is empty")
    if text.startswith("sqlite:"):
        if not text.startswith("sqlite:///"):
            raise BadDatabaseAddress(
                f"'{text}' is not an SQLite address; write sqlite:///path/to/file.db"
            )
        path_text = unquote(text[len("sqlite:///") :])
        if not path_text:
            raise BadDatabaseAddress("the SQLite address names no file")
        return SqliteLocation(Path(path_text).expanduser().absolute())
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if scheme in POSTGRES_SCHEMES:
        return _parse_postgres(text, default_user)
    if scheme:
        raise BadDatabaseAddress(
            f"unknown kind of database '{scheme}'; use sqlite:///file.db or postgresql://user@host/name"
        )
    return SqliteLocation(Path(text).expanduser().absolute())


def _parse_postgres(text: str, default_user: str) -> PostgresLocation:
    parts = urlsplit(text)
    database = unquote(parts.path.lstrip("/"))
    if not database or "/" in database:
        raise BadDatabaseAddress(
            f"'{text}' names no database; write postgresql://user@host:5432/name"
        )
    try:
        port = parts.port or DEFAULT_POSTGRES_PORT
    except ValueError as error:
        raise BadDatabaseAddress(f"the port in '{text}' is not a number from 1 to 65535") from error
    schema = None
    for pair in parts.query.split("&") if parts.query else ():
        name, _, value = pair.partition("=")
        if name != "schema":
            raise BadDatabaseAddress(f"unknown option '{name}' in the database address")
        schema = unquote(value)
    return PostgresLocation(
        host=parts.hostname or "localhost",
        port=port,
        database=database,
        user=unquote(parts.username) if parts.username else default_user,
        password=unquote(parts.password) if parts.password else None,
        schema=schema or None,
    )
