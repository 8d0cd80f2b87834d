"""Reading files to attach, off the GUI thread: size and pixel limits, thumbnails, hashing.

These functions run on a worker thread, so they use only Qt classes that are safe there
(QImage, QImageReader, QBuffer), never widgets or pixmaps.
"""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize, Qt
from PySide6.QtGui import QImage, QImageReader

from incidentdesk.services.attachments import PreparedFile, check_file, searchable_text
from incidentdesk.services.errors import AttachmentRefused

THUMBNAIL_SIZE = QSize(160, 120)
READ_CHUNK_BYTES = 1024 * 1024
BYTES_PER_PIXEL = 4
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class AttachmentCandidate:
    """A file checked and read, ready to show in the form and to save with the incident."""

    file: PreparedFile
    thumbnail: QImage | None  # None for files that are not images
    source_path: str  # where it came from; empty for a pasted image


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_pixels: int


def _megapixels(pixels: int) -> str:
    return f"{pixels / 1_000_000:,.0f} megapixels"


def _is_image(name: str, media_type: str) -> bool:
    return media_type.startswith("image/") or name.lower().endswith((".png", ".jpg", ".jpeg"))


def _thumbnail(content: bytes, name: str, max_pixels: int) -> QImage:
    """A small copy of an image, refusing one that is too large or cannot be decoded.

    The header is read first (``size()`` decodes nothing), so a decompression bomb is refused
    before any pixel is decoded; the allocation limit stops one whose header lies."""
    buffer = QBuffer()
    buffer.setData(QByteArray(content))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    declared = reader.size()
    if declared.isValid() and declared.width() * declared.height() > max_pixels:
        raise AttachmentRefused(
            f"{name} declares {declared.width():,} × {declared.height():,} pixels; images up to "
            f"{_megapixels(max_pixels)} can be attached. Scale it down or crop it first."
        )
    reader.setAllocationLimit(max(1, max_pixels * BYTES_PER_PIXEL // (1024 * 1024)))
    if declared.isValid():
        reader.setScaledSize(declared.scaled(THUMBNAIL_SIZE, Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    buffer.close()
    if image.isNull():
        raise AttachmentRefused(
            f"{name} is not a readable image ({reader.errorString()}); it may be damaged."
        )
    return image


def prepare_path(
    path: Path, limits: Limits, progress: Progress | None = None
) -> AttachmentCandidate:
    """Check, read and hash a file from disk; raises AttachmentRefused saying why not."""
    name = path.name
    if path.is_dir():
        raise AttachmentRefused(f"{name} is a folder; attach the files inside it instead.")
    try:
        size = path.stat().st_size
        check_file(name, size, limits.max_bytes)
        digest = hashlib.sha256()
        chunks = []
        done = 0
        with path.open("rb") as stream:
            while chunk := stream.read(READ_CHUNK_BYTES):
                digest.update(chunk)
                chunks.append(chunk)
                done += len(chunk)
                if progress:
                    progress(done, size)
    except OSError as error:
        raise AttachmentRefused(f"{name} cannot be read: {error.strerror}.") from error
    content = b"".join(chunks)
    check_file(name, len(content), limits.max_bytes)  # it may have changed while it was read
    media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    thumbnail = (
        _thumbnail(content, name, limits.max_pixels) if _is_image(name, media_type) else None
    )
    prepared = PreparedFile(
        name, media_type, content, digest.hexdigest(), searchable_text(name, media_type, content)
    )
    return AttachmentCandidate(prepared, thumbnail, str(path))


def prepare_pasted_image(image: QImage, name: str, limits: Limits) -> AttachmentCandidate:
    """Encode an image from the clipboard as PNG and check it like a dropped file."""
    if image.width() * image.height() > limits.max_pixels:
        raise AttachmentRefused(
            f"The pasted image has {image.width():,} × {image.height():,} pixels; images up to "
            f"{_megapixels(limits.max_pixels)} can be attached."
        )
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    saved = image.save(buffer, "PNG")
    buffer.close()
    if not saved:
        raise AttachmentRefused("The pasted image could not be converted to PNG.")
    content = bytes(data.data())
    check_file(name, len(content), limits.max_bytes)
    prepared = PreparedFile(name, "image/png", content, hashlib.sha256(content).hexdigest(), "")
    thumbnail = image.scaled(THUMBNAIL_SIZE, Qt.AspectRatioMode.KeepAspectRatio)
    return AttachmentCandidate(prepared, thumbnail, "")
