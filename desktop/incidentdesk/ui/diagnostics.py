"""Help → Copy Diagnostics: the program's facts and its recent problems, on the clipboard.

Everything comes from memory (the open store's location and schema version, the log's ring of
recent problems), so copying never waits on the database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import PySide6
from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QApplication

from incidentdesk.diagnostics import DatabaseFacts, ProgramFacts, diagnostics_text
from incidentdesk.logs import program_log

if TYPE_CHECKING:
    from incidentdesk.services.desk import Desk


def qt_versions() -> str:
    return f"Qt {qVersion()}, PySide6 {PySide6.__version__}"


def program_facts(desk: Desk | None) -> ProgramFacts:
    database = (
        None if desk is None else DatabaseFacts.of(desk.store.location, desk.store.schema_version)
    )
    return ProgramFacts.now(qt_versions(), database, program_log.file)


def known_passwords(desk: Desk | None) -> list[str]:
    """The passwords this program holds for the open database: typed into its address, or
    read from the keyring to connect."""
    if desk is None:
        return []
    location = desk.store.location
    typed = getattr(location, "password", None)
    connecting = desk.store.database.connect_params.get("password")
    return [secret for secret in (typed, connecting) if isinstance(secret, str) and secret]


def current_diagnostics(desk: Desk | None) -> str:
    return diagnostics_text(
        program_facts(desk), program_log.recent_problems.lines(), known_passwords(desk)
    )


def copy_diagnostics(desk: Desk | None) -> str:
    """Put the diagnostics on the clipboard; the text copied."""
    text = current_diagnostics(desk)
    QApplication.clipboard().setText(text)
    return text
