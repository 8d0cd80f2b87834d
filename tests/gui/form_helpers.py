"""Helpers for the incident form tests: keys to the focused widget, catalog, test files."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent, QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from incidentdesk.services.desk import Desk, open_desk
from incidentdesk.services.drafts import DatabaseIdentity, DraftStore
from incidentdesk.ui.incident_form import IncidentForm
from incidentdesk.ui.main_window import MainWindow

# The offscreen platform cannot raise or grab for popups (a combo box's type-ahead list).
OFFSCREEN_POPUP_MESSAGES = (
    "This plugin does not support raise",
    "This plugin does not support grabbing the keyboard",
)


def focused() -> QWidget:
    """Where a key press goes: an open popup (a type-ahead list) first, as on a desktop."""
    widget = QApplication.activePopupWidget() or QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    return widget


def press(key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    QTest.keyClick(focused(), key, modifier)


def type_text(text: str) -> None:
    QTest.keyClicks(focused(), text)


def open_ready_form(qtbot, window: MainWindow) -> IncidentForm:
    """A new incident form from the main window, its lists loaded."""
    form = window.open_form()
    assert form is not None
    qtbot.waitUntil(form.isEnabled)
    return form


def activate(qtbot, form: QWidget) -> None:
    """Make ``form`` the active window again; offscreen, a closed popup keeps activation."""
    form.activateWindow()
    qtbot.waitUntil(form.isActiveWindow)


def seed_catalog(desk: Desk) -> dict[str, int]:
    """A team, two services, a person; the ids by name, with the default categories."""
    ids: dict[str, int] = {}
    ids["Payments"] = desk.catalog.create_team("Payments")
    ids["Payments API"] = desk.catalog.create_service("Payments API", ids["Payments"])
    ids["Search"] = desk.catalog.create_service("Search")
    ids["Rosa Lindqvist"] = desk.catalog.create_person(
        "Rosa Lindqvist", "rosa", "rosa@example.com", ids["Payments"]
    )
    for category in desk.catalog.categories():
        ids[category.name] = category.id
    return ids


def identity_of(address: str) -> DatabaseIdentity:
    """The identity a draft made on the database at ``address`` carries."""
    desk = open_desk(address, login="identity-check")
    try:
        return desk.identity
    finally:
        desk.close()


def draft_titles(drafts: DraftStore) -> list[str]:
    return [str(draft.fields.get("title", "")) for draft in drafts.all()]


# Files


def write_png(path: Path, width: int = 64, height: int = 48, color: str = "#1565c0") -> Path:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor(color))
    assert image.save(str(path), "PNG")
    return path


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int, rows: int = 2) -> bytes:
    """A valid 8-bit grey PNG that declares ``width`` × ``height`` pixels but carries only the
    first ``rows`` rows of zero bytes: a decompression bomb, a few hundred bytes long."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress((b"\x00" + b"\x00" * width) * rows, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", pixels)
        + _chunk(b"IEND", b"")
    )


# Drag and drop


def drop_urls(target: QWidget, paths: list[Path]) -> bool:
    """Drag local files onto ``target`` and drop them there, as the window system would
    deliver it (the enter event travels up from ``target`` to the widget that accepts it).
    Returns whether the drop was accepted."""
    mime = QMimeData()  # kept referenced until the events are done with it
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    return drop_mime(target, mime)


def drop_mime(target: QWidget, mime: QMimeData) -> bool:
    position = QPointF(target.rect().center())
    actions = Qt.DropAction.CopyAction
    buttons, modifiers = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    # QDropEvent takes the QPointF; QDragEnterEvent has only the QPoint form.
    enter = QDragEnterEvent(position.toPoint(), actions, mime, buttons, modifiers)
    QApplication.sendEvent(target, enter)
    if not enter.isAccepted():
        return False
    drop = QDropEvent(position, actions, mime, buttons, modifiers)
    QApplication.sendEvent(target, drop)
    return drop.isAccepted()
