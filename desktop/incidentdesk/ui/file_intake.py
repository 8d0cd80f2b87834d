"""Files and screenshots a person drops or pastes onto a window (the incident form, an
incident's log): what a drop or the clipboard offers, read the same way everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QGuiApplication, QImage


@dataclass(frozen=True)
class Offered:
    """Local files, or else an image (a screenshot copied or dragged from another program)."""

    paths: list[Path]
    image: QImage | None

    @property
    def is_empty(self) -> bool:
        return not self.paths and self.image is None


def local_paths(mime: QMimeData | None) -> list[Path]:
    if mime is None or not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


def offers_files(mime: QMimeData | None) -> bool:
    """Whether a drag brings something to attach: a local file or an image."""
    return mime is not None and (bool(local_paths(mime)) or mime.hasImage())


def offered_by(mime: QMimeData | None) -> Offered:
    """What a drop brings. Files win over an image that comes with them (a file manager may
    add the file's icon)."""
    paths = local_paths(mime)
    if paths or mime is None or not mime.hasImage():
        return Offered(paths, None)
    image = QImage(mime.imageData())
    return Offered([], None if image.isNull() else image)


def offered_by_clipboard() -> Offered:
    """What Ctrl+V brings: files copied in a file manager, or a screenshot."""
    clipboard = QGuiApplication.clipboard()
    paths = local_paths(clipboard.mimeData())
    if paths:
        return Offered(paths, None)
    image = clipboard.image()
    return Offered([], None if image.isNull() else image)


def clipboard_holds_only_an_image() -> bool:
    """An image without text: Ctrl+V in a text field attaches it rather than pasting nothing."""
    mime = QGuiApplication.clipboard().mimeData()
    return mime is not None and mime.hasImage() and not mime.hasText()
