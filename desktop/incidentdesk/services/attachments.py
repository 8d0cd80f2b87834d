"""Files attached to incidents, stored in the database once per distinct content."""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from datetime import datetime

from incidentdesk.services.clock import Clock, utc_now
from incidentdesk.services.errors import AttachmentRefused, NotFound
from incidentdesk.services.settings import SettingsService
from incidentdesk.storage import models as m
from incidentdesk.storage.database import Store

FILENAME_MAX_LENGTH = 255


@dataclass(frozen=True)
class AttachmentInfo:
    id: int
    incident_id: int
    filename: str
    media_type: str
    size: int
    sha256: str
    added_at: datetime


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


class AttachmentService:
    def __init__(self, store: Store, clock: Clock = utc_now) -> None:
        self._store = store
        self._clock = clock
        self._settings = SettingsService(store)

    def check(self, filename: str, size: int) -> None:
        """Refuse, with the reason, a file that cannot be attached; before reading it whole."""
        limit = self._settings.attachment_max_bytes()
        if size > limit:
            raise AttachmentRefused(
                f"{filename} is {_megabytes(size)}; files up to {_megabytes(limit)} can be "
                "attached. Compress it or attach an excerpt."
            )
        if size == 0:
            raise AttachmentRefused(f"{filename} is empty; there is nothing to attach.")
        if not filename.strip() or len(filename) > FILENAME_MAX_LENGTH:
            raise AttachmentRefused("A file name must have 1 to 255 characters.")

    def add(
        self,
        incident_id: int,
        filename: str,
        content: bytes,
        actor_id: int | None,
        media_type: str | None = None,
        entry_id: int | None = None,
    ) -> AttachmentInfo:
        self.check(filename, len(content))
        digest = hashlib.sha256(content).hexdigest()
        media_type = media_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        with self._store.write():
            if not m.Incident.select().where(m.Incident.id == incident_id).exists():
                raise NotFound(f"Incident {incident_id} does not exist.")
            m.Blob.insert(
                sha256=digest, size=len(content), content=content
            ).on_conflict_ignore().execute()
            attachment_id = m.Attachment.insert(
                incident=incident_id,
                entry=entry_id,
                blob=digest,
                filename=filename,
                media_type=media_type,
                size=len(content),
                added_by=actor_id,
                added_at=self._clock(),
            ).execute()
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
