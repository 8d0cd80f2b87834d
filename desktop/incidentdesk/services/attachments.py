"""Files attached to incidents, stored in the database once per distinct content."""

from __future__ import annotations

import hashlib
import json
import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from incidentdesk.domain.enums import EntryKind
from incidentdesk.services.clock import Clock, utc_now
from incidentdesk.services.errors import AttachmentRefused, NotFound
from incidentdesk.services.settings import SettingsService
from incidentdesk.storage import models as m
from incidentdesk.storage.database import Store

FILENAME_MAX_LENGTH = 255
# Only the start of a huge log is indexed: enough to find it, cheap to store twice.
INDEXED_TEXT_MAX_CHARACTERS = 1_000_000
TEXT_SUFFIXES = frozenset(
    {
        ".log",
        ".txt",
        ".text",
        ".csv",
        ".tsv",
        ".json",
        ".md",
        ".yaml",
        ".yml",
        ".xml",
        ".ini",
        ".conf",
        ".cfg",
        ".out",
        ".err",
        ".trace",
        ".har",
    }
)


def is_text_file(filename: str, media_type: str) -> bool:
    suffix = filename[filename.rfind(".") :].lower() if "." in filename else ""
    return media_type.startswith("text/") or suffix in TEXT_SUFFIXES


def searchable_text(filename: str, media_type: str, content: bytes) -> str:
    """The words of a text or log file for the search index; empty for any other file."""
    if not is_text_file(filename, media_type) or b"\x00" in content[:8192]:
        return ""
    text = content[: INDEXED_TEXT_MAX_CHARACTERS * 4].decode("utf-8", errors="replace")
    return text[:INDEXED_TEXT_MAX_CHARACTERS].replace("\x00", " ")


@dataclass(frozen=True)
class PreparedFile:
    """A file read, hashed and ready to store; made off the GUI thread."""

    filename: str
    media_type: str
    content: bytes
    sha256: str
    text: str  # what the search index gets; empty for files that are not text

    @property
    def size(self) -> int:
        return len(self.content)


def prepare_bytes(filename: str, content: bytes, media_type: str | None = None) -> PreparedFile:
    media_type = media_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return PreparedFile(
        filename,
        media_type,
        content,
        hashlib.sha256(content).hexdigest(),
        searchable_text(filename, media_type, content),
    )


@dataclass(frozen=True)
class AttachmentInfo:
    id: int
    incident_id: int
    filename: str
    media_type: str
    size: int
    sha256: str
    added_at: datetime


def human_size(size: int) -> str:
    """A file size as people read it: "812 bytes", "14 KB", "2.5 MB"."""
    if size < 1024:
        return f"{size} bytes" if size != 1 else "1 byte"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"


def check_file(filename: str, size: int, limit: int) -> None:
    """Refuse, with the reason, a file that cannot be attached; callable before reading it."""
    if size > limit:
        shown_size, shown_limit = human_size(size), human_size(limit)
        if shown_size == shown_limit:  # just over the limit: rounded, both read the same
            shown_size, shown_limit = f"{size:,} bytes", f"{limit:,} bytes"
        raise AttachmentRefused(
            f"{filename} is {shown_size}; files up to {shown_limit} can be "
            "attached. Compress it or attach an excerpt."
        )
    if size == 0:
        raise AttachmentRefused(f"{filename} is empty; there is nothing to attach.")
    if (
        not filename.strip()
        or len(filename) > FILENAME_MAX_LENGTH
        or any(ord(char) < 32 or "\ud800" <= char <= "\udfff" for char in filename)
    ):
        raise AttachmentRefused("A file name must have 1 to 255 characters.")


def check_files(files: Sequence[PreparedFile], limit: int) -> None:
    for file in files:
        check_file(file.filename, file.size, limit)


def store_file(
    incident_id: int,
    file: PreparedFile,
    actor_id: int | None,
    added_at: datetime,
    entry_id: int | None = None,
) -> int:
    """Write ``file`` for the incident inside the caller's write transaction; its id."""
    m.Blob.insert(
        sha256=file.sha256, size=file.size, content=file.content
    ).on_conflict_ignore().execute()
    return int(
        m.Attachment.insert(
            incident=incident_id,
            entry=entry_id,
            blob=file.sha256,
            filename=file.filename,
            media_type=file.media_type,
            size=file.size,
            added_by=actor_id,
            added_at=added_at,
            text_content=file.text,
        ).execute()
    )


def attach_files(
    incident_id: int, files: Sequence[PreparedFile], actor_id: int | None, now: datetime
) -> None:
    """Store ``files`` with one timeline entry each; inside the caller's write transaction."""
    for file in files:
        entry_id = m.TimelineEntry.insert(
            incident=incident_id,
            kind=EntryKind.ATTACHMENT.value,
            body=f"Attached {file.filename} ({human_size(file.size)})",
            details=json.dumps({"filename": file.filename, "size": file.size}, ensure_ascii=False),
            author=actor_id,
            occurred_at=now,
            recorded_at=now,
        ).execute()
        store_file(incident_id, file, actor_id, now, int(entry_id))


class AttachmentService:
    def __init__(self, store: Store, clock: Clock = utc_now) -> None:
        self._store = store
        self._clock = clock
        self._settings = SettingsService(store)

    def check(self, filename: str, size: int) -> None:
        check_file(filename, size, self._settings.attachment_max_bytes())

    def add(
        self,
        incident_id: int,
        filename: str,
        content: bytes,
        actor_id: int | None,
        media_type: str | None = None,
        entry_id: int | None = None,
    ) -> AttachmentInfo:
        return self.add_prepared(
            incident_id, prepare_bytes(filename, content, media_type), actor_id, entry_id
        )

    def attach(self, incident_id: int, files: Sequence[PreparedFile], actor_id: int | None) -> None:
        """Add ``files`` to an incident's timeline, one entry each, all or nothing."""
        check_files(files, self._settings.attachment_max_bytes())
        now = self._clock()
        with self._store.write():
            if not m.Incident.select().where(m.Incident.id == incident_id).exists():
                raise NotFound(f"Incident {incident_id} does not exist.")
            attach_files(incident_id, files, actor_id, now)
            m.Incident.update(updated_at=now).where(m.Incident.id == incident_id).execute()

    def add_prepared(
        self,
        incident_id: int,
        file: PreparedFile,
        actor_id: int | None,
        entry_id: int | None = None,
    ) -> AttachmentInfo:
        self.check(file.filename, file.size)
        with self._store.write():
            if not m.Incident.select().where(m.Incident.id == incident_id).exists():
                raise NotFound(f"Incident {incident_id} does not exist.")
            attachment_id = store_file(incident_id, file, actor_id, self._clock(), entry_id)
        return self._info(m.Attachment.get_by_id(attachment_id))

    @staticmethod
    def _info(row: m.Attachment) -> AttachmentInfo:
        return AttachmentInfo(
            row.id,
            row.incident_id,
            row.filename,
            row.media_type,
            row.size,
            row.blob_id,
            row.added_at,
        )

    def for_incident(self, incident_id: int) -> list[AttachmentInfo]:
        query = (
            m.Attachment.select()
            .where(m.Attachment.incident == incident_id)
            .order_by(m.Attachment.added_at, m.Attachment.id)
        )
        return [self._info(row) for row in query]

    def content(self, attachment_id: int) -> bytes:
        row = (
            m.Blob.select(m.Blob.content)
            .join(m.Attachment, on=m.Attachment.blob == m.Blob.sha256)
            .where(m.Attachment.id == attachment_id)
            .first()
        )
        if row is None:
            raise NotFound(f"Attachment {attachment_id} does not exist.")
        return bytes(row.content)
