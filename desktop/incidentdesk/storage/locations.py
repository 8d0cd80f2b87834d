"""Where a database lives: parsing ``sqlite:///…`` and ``postgresql://…`` addresses."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from incidentdesk.errors import ServiceError

POSTGRES_SCHEMES = ("postgresql", "postgres")
DEFAULT_POSTGRES_PORT = 5432


class BadDatabaseAddress(ServiceError, ValueError):
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
    # Needed to connect, never shown: not in repr(), url or display_name.
    password: str | None = field(default=None, repr=False)
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

HIDDEN_PASSWORD = "***"


def address_without_password(text: str) -> str:
    """``text`` fit to show or log: a password written into it replaced by ``***``.

    An address that cannot be parsed is still cleaned: when a ':' in the part after ``//``
    is followed by an '@' anywhere later, everything between them is taken for a password
    (one holding '/', '?' or '#' ends the host part early), so more is hidden rather than less.
    """
    scheme, separator, rest = text.partition("://")
    if not separator:
        return text
    end = min((rest.index(mark) for mark in "/?#" if mark in rest), default=len(rest))
    host_part = rest[:end]
    if "@" in host_part:
        user_info, _, host = host_part.rpartition("@")
        user, colon, _ = user_info.partition(":")
        if not colon:
            return text
        return f"{scheme}://{user}:{HIDDEN_PASSWORD}@{host}{rest[end:]}"
    user, colon, _ = host_part.partition(":")
    if colon and "@" in rest[end:]:
        _, _, after = rest.rpartition("@")
        return f"{scheme}://{user}:{HIDDEN_PASSWORD}@{after}"
    return text


def parse_location(text: str, default_user: str = "postgres") -> DatabaseLocation:
    """Read ``sqlite:///relative.db``, ``sqlite:////absolute.db``, a plain file path, or
    ``postgresql://user[:password]@host[:port]/name[?schema=s]``."""
    text = text.strip()
    if not text:
        raise BadDatabaseAddress("the database address is empty")
    if text.startswith("sqlite:"):
        if not text.startswith("sqlite:///"):
            raise BadDatabaseAddress(
                f"'{address_without_password(text)}' is not an SQLite address; "
                "write sqlite:///path/to/file.db"
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
    shown = address_without_password(text)
    # urlsplit's own errors quote parts of the address, the password among them: not chained.
    try:
        parts = urlsplit(text)
        hostname = parts.hostname
    except ValueError:
        raise BadDatabaseAddress(
            f"'{shown}' is not a PostgreSQL address; write postgresql://user@host:5432/name"
        ) from None
    database = unquote(parts.path.lstrip("/"))
    if not database or "/" in database:
        raise BadDatabaseAddress(
            f"'{shown}' names no database; write postgresql://user@host:5432/name"
        )
    try:
        port = parts.port or DEFAULT_POSTGRES_PORT
    except ValueError:
        raise BadDatabaseAddress(f"the port in '{shown}' is not a number from 1 to 65535") from None
    schema = None
    for pair in parts.query.split("&") if parts.query else ():
        name, _, value = pair.partition("=")
        if name != "schema":
            raise BadDatabaseAddress(f"unknown option '{name}' in the database address")
        schema = unquote(value)
    return PostgresLocation(
        host=hostname or "localhost",
        port=port,
        database=database,
        user=unquote(parts.username) if parts.username else default_user,
        password=unquote(parts.password) if parts.password else None,
        schema=schema or None,
    )
