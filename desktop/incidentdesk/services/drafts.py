"""Form drafts kept on this computer, so nothing typed is lost to a crash or a failed save."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from incidentdesk.services.clock import Clock, utc_now

DRAFT_SUFFIX = ".draft.json"


@dataclass(frozen=True)
class SavedDraft:
    key: str
    saved_at: datetime
    fields: dict[str, Any]

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

    def save(self, key: str, fields: dict[str, Any]) -> None:
        """Replace the draft for ``key``; a crash mid-write leaves the previous draft intact."""
        self._folder.mkdir(parents=True, exist_ok=True)
        document = {"key": key, "saved_at": self._clock().isoformat(), "fields": fields}
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
                drafts.append(SavedDraft(str(document["key"]), saved_at, dict(document["fields"])))
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return sorted(drafts, key=lambda draft: draft.saved_at, reverse=True)
