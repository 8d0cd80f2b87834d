"""Form drafts on disk: saved, listed newest first, discarded; a crash mid-write keeps the old
draft, and unreadable files are skipped."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from incidentdesk.services import drafts as drafts_module
from incidentdesk.services.drafts import DRAFT_SUFFIX, DraftStore, SavedDraft

START = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


class SteppingClock:
    """A clock that moves one minute on every reading."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> DraftStore:
    return DraftStore(tmp_path / "drafts", SteppingClock())


FIELDS = {
    "title": "Checkout returns 502 — “again” 🔥",
    "description": "Line one\nLine two\x07",
    "severity": 2,
    "files": ["/tmp/a.png"],
    "impact": {"scope": "many", "financial": True},
    "reported_at": None,
}


def test_save_and_read_back(store: DraftStore) -> None:
    assert store.all() == []  # the folder does not exist yet
    store.save("new-1", FIELDS)

    assert store.all() == [SavedDraft("new-1", START + timedelta(minutes=1), FIELDS)]
    assert store.all()[0].title == "Checkout returns 502 — “again” 🔥"


def test_saving_again_replaces_the_draft(store: DraftStore) -> None:
    store.save("incident-7", {"title": "First"})
    store.save("incident-7", {"title": "Second"})

    [draft] = store.all()
    assert draft.fields == {"title": "Second"}
    assert draft.saved_at == START + timedelta(minutes=2)
    assert [p.name for p in store.folder.iterdir()] == [f"incident-7{DRAFT_SUFFIX}"]


def test_newest_first_and_discard(store: DraftStore) -> None:
    store.save("new-1", {"title": "Oldest"})
    store.save("new-2", {"title": "Middle"})
    store.save("incident-3", {"title": "Newest"})
    store.save("new-1", {"title": "Oldest, edited last"})

    assert [d.key for d in store.all()] == ["new-1", "incident-3", "new-2"]

    store.discard("incident-3")
    store.discard("incident-3")  # twice is fine
    store.discard("never-saved")
    assert [d.key for d in store.all()] == ["new-1", "new-2"]


def test_an_untitled_draft(store: DraftStore) -> None:
    store.save("new-1", {"title": "   "})
    store.save("new-2", {})
    assert [d.title for d in store.all()] == ["Untitled incident", "Untitled incident"]


def test_keys_that_are_not_file_names(store: DraftStore) -> None:
    store.save("../../etc/passwd", {"title": "Sneaky"})
    [path] = store.folder.iterdir()
    assert path.parent == store.folder
    assert store.all()[0].key == "../../etc/passwd"
    store.discard("../../etc/passwd")
    assert store.all() == []


def test_a_crash_mid_write_leaves_the_previous_draft(
    store: DraftStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.save("new-1", {"title": "Safe"})

    def crash(document: Any, stream: Any, **options: Any) -> None:
        stream.write('{"key": "new-1", "saved_at": "2026-')  # half written
        raise OSError("No space left on device")

    monkeypatch.setattr(drafts_module.json, "dump", crash)
    with pytest.raises(OSError, match="No space left"):
        store.save("new-1", {"title": "Lost"})
    monkeypatch.undo()

    assert [d.fields for d in store.all()] == [{"title": "Safe"}]
    assert [p.name for p in store.folder.iterdir()] == [f"new-1{DRAFT_SUFFIX}"]  # no temp file


def test_fields_that_cannot_be_written_keep_the_previous_draft(store: DraftStore) -> None:
    store.save("new-1", {"title": "Safe"})
    with pytest.raises(TypeError):
        store.save("new-1", {"title": "Bad", "when": object()})
    assert [d.fields for d in store.all()] == [{"title": "Safe"}]
    assert len(list(store.folder.iterdir())) == 1


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{not json",
        b'{"key": "x", "saved_at": "2026-11-27T12:00:00+00:00"',  # cut short
        b"\xff\xfe\x00garbage",
        b"[1, 2, 3]",
        b'{"saved_at": "2026-11-27T12:00:00+00:00", "fields": {}}',
        b'{"key": "x", "saved_at": "yesterday", "fields": {}}',
        b'{"key": "x", "saved_at": 5, "fields": {}}',
        b'{"key": "x", "saved_at": "2026-11-27T12:00:00+00:00", "fields": "text"}',
        b'{"key": "x", "saved_at": "2026-11-27T12:00:00+00:00", "fields": null}',
    ],
)
def test_unreadable_drafts_are_skipped_not_deleted(store: DraftStore, content: bytes) -> None:
    store.save("good", {"title": "Readable"})
    broken = store.folder / f"broken{DRAFT_SUFFIX}"
    broken.write_bytes(content)

    assert [d.key for d in store.all()] == ["good"]
    assert broken.read_bytes() == content


def test_a_draft_without_a_time_zone_is_read_as_utc(store: DraftStore) -> None:
    store.save("good", {"title": "Aware"})
    naive = {"key": "old", "saved_at": "2026-11-27T13:00:00", "fields": {"title": "Naive"}}
    (store.folder / f"old{DRAFT_SUFFIX}").write_text(json.dumps(naive), encoding="utf-8")

    drafts = store.all()

    assert [d.key for d in drafts] == ["old", "good"]
    assert drafts[0].saved_at == datetime(2026, 11, 27, 13, 0, tzinfo=UTC)


def test_other_files_in_the_folder_are_ignored(store: DraftStore) -> None:
    store.save("good", {"title": "Readable"})
    (store.folder / "notes.txt").write_text("hello", encoding="utf-8")
    (store.folder / "left.tmp").write_text("{", encoding="utf-8")
    (store.folder / f"folder{DRAFT_SUFFIX}").mkdir()
    assert [d.key for d in store.all()] == ["good"]
