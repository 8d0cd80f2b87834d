"""The databases opened lately, newest first, kept in QSettings without any password; and
the File menu's list of them."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from incidentdesk.storage.locations import BadDatabaseAddress, parse_location

RECENT_KEY = "databases/recent"
ASK_PASSWORD_KEY = "databases/ask_password"  # addresses whose password is asked each time
RECENT_LIMIT = 8


def _clean(address: str) -> str | None:
    """The address fit to keep: a password written into it left out."""
    try:
        return parse_location(address).url
    except BadDatabaseAddress:
        return None


def _stored_list(key: str) -> list[str]:
    value = QSettings().value(key, [])
    if isinstance(value, str):  # QSettings gives a one-element list back as a string
        return [value] if value else []
    return [str(item) for item in value] if isinstance(value, list) else []


def recent_databases() -> list[str]:
    return _stored_list(RECENT_KEY)


def last_database() -> str | None:
    recent = recent_databases()
    return recent[0] if recent else None


def remember_database(address: str) -> None:
    cleaned = _clean(address)
    if cleaned is None:
        return
    recent = [cleaned, *(known for known in recent_databases() if known != cleaned)]
    QSettings().setValue(RECENT_KEY, recent[:RECENT_LIMIT])


def asks_for_password(address: str) -> bool:
    """Whether the person chose to type this database's password each time it opens."""
    return _clean(address) in _stored_list(ASK_PASSWORD_KEY)


def set_asks_for_password(address: str, asks: bool) -> None:
    cleaned = _clean(address)
    if cleaned is None:
        return
    others = [known for known in _stored_list(ASK_PASSWORD_KEY) if known != cleaned]
    QSettings().setValue(ASK_PASSWORD_KEY, [*others, cleaned] if asks else others)


class RecentDatabasesMenu(QMenu):
    """File → Open Recent: one entry per database opened lately, filled as it opens."""

    chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Open &Recent", parent)
        self.aboutToShow.connect(self.refill)
        self.refill()

    def refill(self) -> None:
        self.clear()
        recent = recent_databases()
        for number, address in enumerate(recent, start=1):
            location = parse_location(address)
            mnemonic = f"&{number} " if number < 10 else ""
            shown = location.display_name.replace("&", "&&")
            action = QAction(f"{mnemonic}{shown}", self)
            action.setToolTip(address)
            action.triggered.connect(lambda _=False, address=address: self.chosen.emit(address))
            self.addAction(action)
        if not recent:
            empty = QAction("No databases opened yet", self)
            empty.setEnabled(False)
            self.addAction(empty)
