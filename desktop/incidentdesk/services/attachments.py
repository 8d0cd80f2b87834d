"""Files attached to incidents, stored in the database once per distinct content."""

from __future__ import annotations

import hashlib
import json
import mimetypes
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import peewee as pw

from incidentdesk.domain.enums import EntryKind
from incidentdesk.services.clock import Clock, utc_now
from incidentdesk.services.errors import AttachmentRefused, NotFound
from incidentdesk.services.settings import SettingsService
from incidentdesk.services.timeline import add_entry
from incidentdesk.storage import models as m
from incidentdesk.storage.database import Store, store_operations
from incidentdesk.storage.search import search_words

FILENAME_MAX_LENGTH = 255
# The index keeps each distinct word of a text file once, from its whole text: a search needs
# only which words occur, and a log repeats most of its words on every line. PostgreSQL refuses
# a tsvector over 1,048,575 bytes (each word 2-byte aligned, plus 4 bytes for its position), so
# the words stop short of that, with room for its parser cutting a word differently; a file
# with more distinct words (a log full of unique request ids) is indexed only in part, and the
# attachment lists say so.
INDEXED_WORDS_MAX_BYTES = 950_000
_INDEXED_WORD_OVERHEAD_BYTES = 5
# Longer "words" are encoded data (base64, minified JSON), not something typed into a search box.
INDEXED_WORD_MAX_CHARACTERS = 255
# Text is cut into words a slice at a time: the regular expression holds the interpreter lock
# while it runs, and the GUI thread must not wait for it longer than a fraction of a frame.
_WORDS_SLICE_CHARACTERS = 32 * 1024
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
# Media types for text files that the platform's tables may not know (or know only as
# "application/octet-stream"), so they are stored, previewed and searched as text.
_TEXT_MEDIA_TYPES = {
    ".log": "text/plain",
    ".txt": "text/plain",
    ".text": "text/plain",
    ".out": "text/plain",
    ".err": "text/plain",
    ".trace": "text/plain",
    ".ini": "text/plain",
    ".conf": "text/plain",
    ".cfg": "text/plain",
    ".csv": "text/csv",
    ".tsv": "text/tab-separated-values",
    ".md": "text/markdown",
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
    ".json": "application/json",
    ".xml": "application/xml",
    ".har": "application/json",
}
_PATH_SEPARATORS = re.compile(r"[/\\]")


def _suffix(filename: str) -> str:
    return filename[filename.rfind(".") :].lower() if "." in filename else ""


def is_text_file(filename: str, media_type: str) -> bool:
    return media_type.startswith("text/") or _suffix(filename) in TEXT_SUFFIXES


def media_type_for(filename: str) -> str:
    """The media type a file is stored under, from its name."""
    known = _TEXT_MEDIA_TYPES.get(_suffix(filename))
    return known or mimetypes.guess_type(filename)[0] or "application/octet-stream"


def safe_filename(filename: str) -> str:
    """The name a file is stored and exported under: its last path component (for ``/`` and
    ``\\``, whatever the platform), without control or formatting characters (a right-to-left
    override could disguise ``gpj.exe`` as ``exe.jpg``) or surrounding spaces.

    An attachment's name is shown and offered as a file name to save to; a name such as
    ``..\\..\\Windows\\System32\\evil.png`` must never reach a save dialog or an export as a
    path. ``check_file`` refuses what is left if it is empty, ``.`` or ``..``."""
    base = _PATH_SEPARATORS.split(filename)[-1]
    visible = "".join(char for char in base if unicodedata.category(char) not in ("Cc", "Cf", "Cs"))
    return visible.strip()


@dataclass(frozen=True)
class SearchableText:
    """What the search index gets for a file: its distinct words, and whether that is all."""

    words: str
    complete: bool = True


def _word_slices(text: str) -> Iterator[str]:
    start = 0
    while start < len(text):
        end = start + _WORDS_SLICE_CHARACTERS
        if end < len(text):
            space = text.find(" ", end)
            newline = text.find("\n", end)
            breaks = [at for at in (space, newline) if at != -1]
            end = min(breaks) if breaks else len(text)
        yield text[start:end]
        start = end


def distinct_words(text: str) -> SearchableText:
    """The distinct search words of ``text`` in the order they first appear, up to
    ``INDEXED_WORDS_MAX_BYTES``."""
    seen: dict[str, None] = {}
    used = 0
    for piece in _word_slices(text):
        for word in dict.fromkeys(search_words(piece)):
            if word in seen or len(word) > INDEXED_WORD_MAX_CHARACTERS:
                continue
            cost = len(word.encode("utf-8")) + _INDEXED_WORD_OVERHEAD_BYTES
            if used + cost > INDEXED_WORDS_MAX_BYTES:
                return SearchableText(" ".join(seen), complete=False)
            seen[word] = None
            used += cost
    return SearchableText(" ".join(seen))


def index_text(filename: str, media_type: str, content: bytes) -> SearchableText:
    """The words of a text or log file for the search index; none for any other file."""
    if not is_text_file(filename, media_type) or b"\x00" in content[:8192]:
        return SearchableText("")
    return distinct_words(content.decode("utf-8", errors="replace"))


def searchable_text(filename: str, media_type: str, content: bytes) -> str:
    return index_text(filename, media_type, content).words


@dataclass(frozen=True)
class PreparedFile:
    """A file read, hashed and ready to store; made off the GUI thread."""

    filename: str
    media_type: str
    content: bytes
    sha256: str
    text: str  # what the search index gets; empty for files that are not text
    partly_indexed: bool = False  # more distinct words than the index keeps

    def __post_init__(self) -> None:
        # Whoever made it, a file is stored under a name that is not a path.
        object.__setattr__(self, "filename", safe_filename(self.filename))

    @property
    def size(self) -> int:
        return len(self.content)


def prepare_bytes(filename: str, content: bytes, media_type: str | None = None) -> PreparedFile:
    filename = safe_filename(filename)
    media_type = media_type or media_type_for(filename)
    indexed = index_text(filename, media_type, content)
    return PreparedFile(
        filename,
        media_type,
        content,
        hashlib.sha256(content).hexdigest(),
        indexed.words,
        partly_indexed=not indexed.complete,
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
    partly_indexed: bool = False


PARTLY_SEARCHABLE = "only part of its text is searchable"
PARTLY_INDEXED_NOTE = f"; {PARTLY_SEARCHABLE}"


def human_size(size: int) -> str:
    """A file size as people read it: "812 bytes", "14 KB", "2.5 MB"."""
    if size < 1024:
        return f"{size} bytes" if size != 1 else "1 byte"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"


def check_file(filename: str, size: int, limit: int) -> None:
    """Refuse, with the reason, a file that cannot be attached; callable before reading it.
    The name is judged as it would be stored (``safe_filename``)."""
    name = safe_filename(filename)
    if size > limit:
        shown_size, shown_limit = human_size(size), human_size(limit)
        if shown_size == shown_limit:  # just over the limit: rounded, both read the same
            shown_size, shown_limit = f"{size:,} bytes", f"{limit:,} bytes"
        raise AttachmentRefused(
            f"{name} is {shown_size}; files up to {shown_limit} can be "
            "attached. Compress it or attach an excerpt."
        )
    if size == 0:
        raise AttachmentRefused(f"{name or 'The file'} is empty; there is nothing to attach.")
    if not name or len(name) > FILENAME_MAX_LENGTH:
        raise AttachmentRefused("A file name must have 1 to 255 characters.")
    if name in (".", ".."):
        raise AttachmentRefused(
            f'"{name}" is not a file name; save the file under a name of its own and attach it.'
        )


def refusal_message(refusals: Sequence[str]) -> str:
    """One message for the files of a drop that were not attached, each with its reason."""
    if len(refusals) == 1:
        return refusals[0]
    if not refusals:
        return ""
    return f"{len(refusals)} files were not attached:\n" + "\n".join(
        f"• {refusal}" for refusal in refusals
    )


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
        details: dict[str, object] = {"filename": file.filename, "size": file.size}
        if file.partly_indexed:
            details["partly_indexed"] = True
        body = f"Attached {file.filename} ({human_size(file.size)})" + (
            PARTLY_INDEXED_NOTE if file.partly_indexed else ""
        )
        entry_id = add_entry(incident_id, EntryKind.ATTACHMENT, body, details, actor_id, now, now)
        store_file(incident_id, file, actor_id, now, entry_id)


@store_operations
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
        info = self._info(m.Attachment.get_by_id(attachment_id))
        return replace(info, partly_indexed=file.partly_indexed)

    @staticmethod
    def _info(row: m.Attachment, entry_details: str | None = None) -> AttachmentInfo:
        details = json.loads(entry_details) if entry_details else {}
        return AttachmentInfo(
            row.id,
            row.incident_id,
            safe_filename(row.filename),  # a name stored before names were made safe
            row.media_type,
            row.size,
            row.blob_id,
            row.added_at,
            partly_indexed=bool(isinstance(details, dict) and details.get("partly_indexed")),
        )

    def for_incident(self, incident_id: int) -> list[AttachmentInfo]:
        query = (
            m.Attachment.select(m.Attachment, m.TimelineEntry.details.alias("entry_details"))
            .join(m.TimelineEntry, pw.JOIN.LEFT_OUTER, on=m.Attachment.entry == m.TimelineEntry.id)
            .where(m.Attachment.incident == incident_id)
            .order_by(m.Attachment.added_at, m.Attachment.id)
            .objects()
        )
        # The joined column is set on each row by .objects(); the model does not declare it.
        return [self._info(row, getattr(row, "entry_details", None)) for row in query]

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
