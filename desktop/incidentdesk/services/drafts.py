"""Form drafts kept on this computer, so nothing typed is lost to a crash or a failed save."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from incidentdesk.domain.incident import Incident, IncidentDraft
from incidentdesk.services.clock import Clock, utc_now
from incidentdesk.services.incidents import draft_columns, draft_from_columns

log = logging.getLogger(__name__)

DRAFT_SUFFIX = ".draft.json"


@dataclass(frozen=True)
class DatabaseIdentity:
    """Which database a draft belongs to: the id kept in the database itself, and where it
    was opened (a copy of the file elsewhere is another database)."""

    database_id: str
    location: str


@dataclass(frozen=True)
class SavedDraft:
    key: str
    saved_at: datetime
    fields: dict[str, Any]
    database: DatabaseIdentity | None = None  # None: written before drafts named their database

    @property
    def title(self) -> str:
        return str(self.fields.get("title", "")).strip() or "Untitled incident"


class DraftStore:
    """One JSON file per open form in ``folder``; written atomically, removed on save."""

    def __init__(self, folder: Path, clock: Clock = utc_now) -> None:
        self._folder = folder
        self._clock = clock

    @property
    def folder(self) -> Path:
        return self._folder

    def _path(self, key: str) -> Path:
        safe = "".join(char if char.isalnum() or char in "-_" else "_" for char in key)
        return self._folder / f"{safe}{DRAFT_SUFFIX}"

    def save(self, key: str, fields: dict[str, Any], database: DatabaseIdentity) -> None:
        """Replace the draft for ``key``, made on ``database``; a crash mid-write leaves the
        previous draft intact."""
        self._folder.mkdir(parents=True, exist_ok=True)
        document = {
            "key": key,
            "saved_at": self._clock().isoformat(),
            "database": {"id": database.database_id, "location": database.location},
            "fields": fields,
        }
        handle, temporary = tempfile.mkstemp(dir=self._folder, suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(document, stream, ensure_ascii=False)
            os.replace(temporary, self._path(key))
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def discard(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def all(self) -> list[SavedDraft]:
        """Every readable draft, newest first; unreadable files are skipped, not deleted."""
        drafts = []
        for path in self._folder.glob(f"*{DRAFT_SUFFIX}") if self._folder.is_dir() else ():
            try:
                document = json.loads(path.read_text(encoding="utf-8"))
                saved_at = datetime.fromisoformat(document["saved_at"])
                if saved_at.tzinfo is None:  # sorting it among aware times would raise
                    saved_at = saved_at.replace(tzinfo=UTC)
                owner = document.get("database")
                database = (
                    DatabaseIdentity(str(owner["id"]), str(owner["location"])) if owner else None
                )
                drafts.append(
                    SavedDraft(str(document["key"]), saved_at, dict(document["fields"]), database)
                )
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return sorted(drafts, key=lambda draft: draft.saved_at, reverse=True)

    def made_on(self, database: DatabaseIdentity) -> list[SavedDraft]:
        """The drafts to offer on ``database``: only those made on it. A draft from before
        drafts named their database cannot be placed, and is left on disk untouched."""
        drafts = []
        for draft in self.all():
            if draft.database is None:
                log.info("Draft %s names no database; it is kept but not offered", draft.key)
            elif draft.database == database:
                drafts.append(draft)
        return drafts


def base_to_json(base: IncidentDraft | None) -> dict[str, Any] | None:
    """The copy of the incident an edit started from, for the draft file."""
    if base is None:
        return None
    columns = draft_columns(base)
    return {**columns, "reported_at": base.reported_at.isoformat()}


def restored_base(
    fields: dict[str, Any], current: Incident | None
) -> tuple[int | None, IncidentDraft | None]:
    """The version and copy an edit restored from a draft started from, so that saving it
    goes through the same conflict check as if the form had stayed open. A draft without
    them (a new incident) starts from what is stored now."""
    if current is None:
        return None, None
    try:
        columns = dict(fields["base"])
        columns["reported_at"] = datetime.fromisoformat(columns["reported_at"])
        return int(fields["version"]), draft_from_columns(columns)
    except (KeyError, TypeError, ValueError):
        # Unreadable: the draft's own version, if it has one, still catches a newer save.
        version = fields.get("version")
        return (version if isinstance(version, int) else current.version), current.draft
