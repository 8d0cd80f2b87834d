"""What a bug report needs to know about this program, as text safe to paste anywhere.

Help → Copy Diagnostics and the About dialog use it: the version, the platform, Qt's version,
the database's kind and schema version, where the log is and the last problems it holds. The
text never carries a password: addresses are cleaned with ``address_without_password``, a
``password=`` setting loses its value, and any password the program knows is replaced.
"""

from __future__ import annotations

import platform
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from incidentdesk import APPLICATION_NAME, __version__
from incidentdesk.storage.locations import (
    HIDDEN_PASSWORD,
    DatabaseLocation,
    PostgresLocation,
    address_without_password,
)

LICENCE = "MIT"
NO_PROBLEMS = "none since the program started"
# Anything written like an address (scheme://…) up to white space or a quote.
_ADDRESS = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>]+")
# libpq's key=value form: "host=db password=s3cret user=…", also quoted.
_PASSWORD_SETTING = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


@dataclass(frozen=True)
class DatabaseFacts:
    kind: str  # "SQLite" or "PostgreSQL"
    name: str  # the file, or the database on its server, without a password
    schema_version: int

    @classmethod
    def of(cls, location: DatabaseLocation, schema_version: int) -> DatabaseFacts:
        if isinstance(location, PostgresLocation):
            return cls("PostgreSQL", location.display_name, schema_version)
        return cls("SQLite", location.display_name, schema_version)


@dataclass(frozen=True)
class ProgramFacts:
    version: str
    python: str
    platform: str
    qt: str  # "Qt 6.11.3, PySide6 6.11.3"; empty without the GUI
    database: DatabaseFacts | None
    log_file: Path | None

    @classmethod
    def now(
        cls, qt: str = "", database: DatabaseFacts | None = None, log_file: Path | None = None
    ) -> ProgramFacts:
        python = f"{platform.python_implementation()} {platform.python_version()}"
        frozen = " (bundled)" if getattr(sys, "frozen", False) else ""
        return cls(__version__ + frozen, python, platform.platform(), qt, database, log_file)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every password in it replaced by ``***``: those written into an address,
    those of a ``password=`` setting, and each of ``secrets`` wherever it appears."""
    for secret in sorted({secret for secret in secrets if secret}, key=len, reverse=True):
        text = text.replace(secret, HIDDEN_PASSWORD)
    text = _ADDRESS.sub(lambda match: address_without_password(match.group(0)), text)
    return _PASSWORD_SETTING.sub(lambda match: match.group(1) + HIDDEN_PASSWORD, text)


def about_lines(facts: ProgramFacts) -> list[tuple[str, str]]:
    """The facts as (label, value) pairs, in the order they are shown."""
    lines = [
        ("Version", facts.version),
        ("Python", facts.python),
        ("Platform", facts.platform),
    ]
    if facts.qt:
        lines.append(("Qt", facts.qt))
    if facts.database is None:
        lines.append(("Database", "none open"))
    else:
        database = facts.database
        lines.append(("Database", f"{database.kind}: {database.name}"))
        lines.append(("Schema version", str(database.schema_version)))
    lines.append(("Log file", str(facts.log_file) if facts.log_file else "not written yet"))
    lines.append(("Licence", LICENCE))
    return lines


def diagnostics_text(
    facts: ProgramFacts, recent_problems: Sequence[str], secrets: Iterable[str] = ()
) -> str:
    """The text Help → Copy Diagnostics puts on the clipboard, with no password in it."""
    secrets = list(secrets)
    lines = [f"{APPLICATION_NAME} diagnostics"]
    lines += [f"{label}: {value}" for label, value in about_lines(facts)]
    lines.append("")
    lines.append(f"Recent problems ({len(recent_problems)}, warnings and errors, oldest first):")
    for problem in recent_problems:
        lines += [f"  {line}" for line in problem.splitlines()]
    if not recent_problems:
        lines.append(f"  {NO_PROBLEMS}")
    return redact("\n".join(lines), secrets) + "\n"
