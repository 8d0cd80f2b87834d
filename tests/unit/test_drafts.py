"""Form drafts on disk: saved, listed newest first, discarded; a crash mid-write keeps the old
draft, and unreadable files are skipped."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from incidentdesk.domain.enums import Severity
from incidentdesk.services import drafts as drafts_module
from incidentdesk.services.drafts import (
    DRAFT_SUFFIX,
    DatabaseIdentity,
    DraftStore,
    SavedDraft,
    base_to_json,
    restored_base,
)
from tests.factories import make_draft

START = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
HERE = DatabaseIdentity("0f1e2d3c4b5a69788796a5b4c3d2e1f0", "sqlite:////srv/a.db")
ELSEWHERE = DatabaseIdentity("ffffffffffffffffffffffffffffffff", "sqlite:////srv/b.db")


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
    store.save("new-1", FIELDS, HERE)

    assert store.all() == [SavedDraft("new-1", START + timedelta(minutes=1), FIELDS, HERE)]
    assert store.all()[0].title == "Checkout returns 502 — “again” 🔥"


def test_saving_again_replaces_the_draft(store: DraftStore) -> None:
    store.save("incident-7", {"title": "First"}, HERE)
    store.save("incident-7", {"title": "Second"}, HERE)

    [draft] = store.all()
    assert draft.fields == {"title": "Second"}
    assert draft.saved_at == START + timedelta(minutes=2)
    assert [p.name for p in store.folder.iterdir()] == [f"incident-7{DRAFT_SUFFIX}"]


def test_newest_first_and_discard(store: DraftStore) -> None:
    store.save("new-1", {"title": "Oldest"}, HERE)
    store.save("new-2", {"title": "Middle"}, HERE)
    store.save("incident-3", {"title": "Newest"}, HERE)
    store.save("new-1", {"title": "Oldest, edited last"}, HERE)

    assert [d.key for d in store.all()] == ["new-1", "incident-3", "new-2"]

    store.discard("incident-3")
    store.discard("incident-3")  # twice is fine
    store.discard("never-saved")
    assert [d.key for d in store.all()] == ["new-1", "new-2"]


def test_an_untitled_draft(store: DraftStore) -> None:
    store.save("new-1", {"title": "   "}, HERE)
    store.save("new-2", {}, HERE)
    assert [d.title for d in store.all()] == ["Untitled incident", "Untitled incident"]


def test_keys_that_are_not_file_names(store: DraftStore) -> None:
    store.save("../../etc/passwd", {"title": "Sneaky"}, HERE)
    [path] = store.folder.iterdir()
    assert path.parent == store.folder
    assert store.all()[0].key == "../../etc/passwd"
    store.discard("../../etc/passwd")
    assert store.all() == []


def test_a_crash_mid_write_leaves_the_previous_draft(
    store: DraftStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.save("new-1", {"title": "Safe"}, HERE)

    def crash(document: Any, stream: Any, **options: Any) -> None:
        stream.write('{"key": "new-1", "saved_at": "2026-')  # half written
        raise OSError("No space left on device")

    monkeypatch.setattr(drafts_module.json, "dump", crash)
    with pytest.raises(OSError, match="No space left"):
        store.save("new-1", {"title": "Lost"}, HERE)
    monkeypatch.undo()

    assert [d.fields for d in store.all()] == [{"title": "Safe"}]
    assert [p.name for p in store.folder.iterdir()] == [f"new-1{DRAFT_SUFFIX}"]  # no temp file


def test_fields_that_cannot_be_written_keep_the_previous_draft(store: DraftStore) -> None:
    store.save("new-1", {"title": "Safe"}, HERE)
    with pytest.raises(TypeError):
        store.save("new-1", {"title": "Bad", "when": object()}, HERE)
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
    store.save("good", {"title": "Readable"}, HERE)
    broken = store.folder / f"broken{DRAFT_SUFFIX}"
    broken.write_bytes(content)

    assert [d.key for d in store.all()] == ["good"]
    assert broken.read_bytes() == content


def test_a_draft_without_a_time_zone_is_read_as_utc(store: DraftStore) -> None:
    store.save("good", {"title": "Aware"}, HERE)
    naive = {"key": "old", "saved_at": "2026-11-27T13:00:00", "fields": {"title": "Naive"}}
    (store.folder / f"old{DRAFT_SUFFIX}").write_text(json.dumps(naive), encoding="utf-8")

    drafts = store.all()

    assert [d.key for d in drafts] == ["old", "good"]
    assert drafts[0].saved_at == datetime(2026, 11, 27, 13, 0, tzinfo=UTC)


def test_other_files_in_the_folder_are_ignored(store: DraftStore) -> None:
    store.save("good", {"title": "Readable"}, HERE)
    (store.folder / "notes.txt").write_text("hello", encoding="utf-8")
    (store.folder / "left.tmp").write_text("{", encoding="utf-8")
    (store.folder / f"folder{DRAFT_SUFFIX}").mkdir()
    assert [d.key for d in store.all()] == ["good"]


def test_drafts_are_offered_only_on_their_own_database(store: DraftStore) -> None:
    store.save("edit-590", {"title": "On A"}, HERE)
    store.save("edit-591", {"title": "On B"}, ELSEWHERE)
    store.save("edit-592", {"title": "A's file copied"}, replace(HERE, location="sqlite:///c.db"))

    assert [d.key for d in store.made_on(HERE)] == ["edit-590"]
    assert [d.key for d in store.made_on(ELSEWHERE)] == ["edit-591"]
    assert len(store.all()) == 3


def test_a_draft_that_names_no_database_is_never_offered(
    store: DraftStore, caplog: pytest.LogCaptureFixture
) -> None:
    store.folder.mkdir(parents=True)
    old = {"key": "edit-590", "saved_at": "2026-11-27T13:00:00+00:00", "fields": {"title": "?"}}
    path = store.folder / f"edit-590{DRAFT_SUFFIX}"
    path.write_text(json.dumps(old), encoding="utf-8")

    with caplog.at_level("INFO", logger="incidentdesk.services.drafts"):
        assert store.made_on(HERE) == []

    assert path.exists()
    assert [(r.levelname, r.exc_info) for r in caplog.records] == [("INFO", None)]
    assert "names no database" in caplog.text


def test_an_edit_draft_keeps_the_version_and_copy_it_started_from() -> None:
    base = make_draft(title="As loaded", severity=Severity.SEV3)
    fields = json.loads(json.dumps({"version": 4, "base": base_to_json(base)}))
    current = SimpleNamespace(version=6, draft=replace(base, severity=Severity.SEV1))

    assert restored_base(fields, current) == (4, base)  # type: ignore[arg-type]
    assert restored_base({}, None) == (None, None)
    unreadable = {"version": 4, "base": {"title": "half"}}
    assert restored_base(unreadable, current) == (4, current.draft)  # type: ignore[arg-type]
