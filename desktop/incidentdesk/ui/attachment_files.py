"""Reading files to attach, off the GUI thread: size and pixel limits, thumbnails, hashing.

These functions run on a worker thread, so they use only Qt classes that are safe there
(QImage, QImageReader, QBuffer), never widgets or pixmaps.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize, Qt
from PySide6.QtGui import QImage, QImageReader

from incidentdesk.services.attachments import (
    PreparedFile,
    check_file,
    index_text,
    media_type_for,
    refusal_message,
    safe_filename,
)
from incidentdesk.services.errors import AttachmentRefused
from incidentdesk.storage.database import held_by_this_process

log = logging.getLogger(__name__)

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


def _jpeg_is_whole(content: bytes) -> bool:
    """Whether a JPEG's markers run from its start to its end-of-image marker. Segments carry
    their length; inside a scan's coded data a 0xFF byte is always followed by 0x00 or a restart
    marker, so the next other marker there ends the scan."""
    at = 2  # after the start-of-image marker
    while at + 4 <= len(content):
        if content[at] != 0xFF:
            return False
        marker = content[at + 1]
        if marker == 0xFF:  # fill byte before a marker
            at += 1
            continue
        if marker == 0xD9:
            return True
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            at += 2
            continue
        at += 2 + int.from_bytes(content[at + 2 : at + 4], "big")
        if marker == 0xDA:  # start of scan: skip its coded data
            while True:
                at = content.find(b"\xff", at)
                if at == -1 or at + 1 >= len(content):
                    return False
                following = content[at + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:
                    at += 2
                    continue
                break
    return content[at : at + 2] == b"\xff\xd9"


def _cut_short(content: bytes) -> bool:
    """Whether an image file ends before its picture does. Qt decodes a truncated JPEG or BMP
    without an error, filling the missing part with grey, so their structure is checked here,
    before the decoder sees them (it would also log warnings about them)."""
    if content.startswith(b"\xff\xd8\xff"):
        return not _jpeg_is_whole(content)
    if content.startswith(b"BM") and len(content) >= 6:
        return int.from_bytes(content[2:6], "little") > len(content)
    return False


def _cut_short_refusal(name: str) -> AttachmentRefused:
    return AttachmentRefused(
        f"{name} is cut short: the file ends before its picture does. It may not have "
        "finished downloading or copying; attach a complete copy."
    )


def decode_image(content: bytes, name: str, max_pixels: int) -> QImage:
    """The whole image, decoded, refusing one that is too large, cut short or damaged.

    The header is read first (``size()`` decodes nothing), so a decompression bomb is refused
    before any pixel is decoded; the allocation limit stops one whose header lies. Every pixel
    is then decoded, so a file that fails part way is refused now, not shown half grey later.
    Runs on a worker thread: QImage and QImageReader are safe there."""
    buffer = QBuffer()
    buffer.setData(QByteArray(content))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    if _cut_short(content):
        raise _cut_short_refusal(name)
    reader = QImageReader(buffer)
    declared = reader.size()
    if declared.isValid() and declared.width() * declared.height() > max_pixels:
        raise AttachmentRefused(
            f"{name} declares {declared.width():,} × {declared.height():,} pixels; images up to "
            f"{_megapixels(max_pixels)} can be attached. Scale it down or crop it first."
        )
    reader.setAllocationLimit(max(1, max_pixels * BYTES_PER_PIXEL // (1024 * 1024)))
    image = reader.read()
    buffer.close()
    if image.isNull():
        raise AttachmentRefused(
            f"{name} is not a readable image ({reader.errorString()}); it may be damaged."
        )
    if declared.isValid() and image.size() != declared:
        raise _cut_short_refusal(name)
    return image


def _thumbnail(image: QImage) -> QImage:
    return image.scaled(
        THUMBNAIL_SIZE,
        Qt.AspectRatioMode.KeepAspectRatio,
        Qt.TransformationMode.SmoothTransformation,
    )


def prepare_path(
    path: Path, limits: Limits, progress: Progress | None = None
) -> AttachmentCandidate:
    """Check, read and hash a file from disk; raises AttachmentRefused saying why not."""
    name = safe_filename(path.name)
    if path.is_dir():
        raise AttachmentRefused(f"{name} is a folder; attach the files inside it instead.")
    if held_by_this_process(path):
        # Reading it here would release this program's locks on it (storage/database.py).
        raise AttachmentRefused(
            f"{name} is the database Incident Desk has open, or one of its files; attach a "
            "copy instead ('incidentdesk db backup' makes one)."
        )
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
    media_type = media_type_for(name)
    thumbnail = (
        _thumbnail(decode_image(content, name, limits.max_pixels))
        if _is_image(name, media_type)
        else None
    )
    indexed = index_text(name, media_type, content)
    prepared = PreparedFile(
        name,
        media_type,
        content,
        digest.hexdigest(),
        indexed.words,
        partly_indexed=not indexed.complete,
    )
    return AttachmentCandidate(prepared, thumbnail, str(path))


@dataclass(frozen=True)
class PreparedBatch:
    """Files dropped or chosen together: those read and checked, and why the others were not."""

    candidates: list[AttachmentCandidate]
    refusals: list[str]  # one sentence per refused file, naming it

    @property
    def message(self) -> str:
        return refusal_message(self.refusals)


def prepare_paths(
    paths: list[Path], limits: Limits, progress: Progress | None = None
) -> PreparedBatch:
    """Read every file of a drop; a refused file is noted and the others are still read."""
    candidates, refusals = [], []
    for path in paths:
        try:
            candidates.append(prepare_path(path, limits, progress))
        except AttachmentRefused as refused:
            # Expected, not a fault: the person is told; the log notes it without a traceback.
            log.info("Attachment refused: %s", refused)
            refusals.append(str(refused))
    return PreparedBatch(candidates, refusals)


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
    saved = image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stubs omit QIODevice
    buffer.close()
    if not saved:
        raise AttachmentRefused("The pasted image could not be converted to PNG.")
    content = bytes(data.data())
    check_file(name, len(content), limits.max_bytes)
    prepared = PreparedFile(name, "image/png", content, hashlib.sha256(content).hexdigest(), "")
    return AttachmentCandidate(prepared, _thumbnail(image), "")
