"""Files saved with an incident, on both engines: all or nothing, one timeline entry each,
text files searchable."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from incidentdesk.domain.enums import EntryKind
from incidentdesk.services import attachments as attachments_module
from incidentdesk.services.attachments import prepare_bytes
from incidentdesk.services.desk import Desk
from incidentdesk.services.errors import AttachmentRefused
from incidentdesk.services.incidents import IncidentQuery
from incidentdesk.storage import models as m
from tests.conftest import FIXED_NOW
from tests.factories import make_draft

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
LOG = b"12:00:01 ERROR upstream quokka-7 timed out\n" * 20


@pytest.fixture
def clocked(desk: Desk) -> Desk:
    return Desk(desk.store, desk.actor_id, clock=lambda: FIXED_NOW)


def draft(**changes: Any) -> Any:
    return make_draft(reported_at=FIXED_NOW - timedelta(minutes=20), **changes)


def search(desk: Desk, text: str) -> list[int]:
    return [row.id for row in desk.incidents.rows(IncidentQuery(text=text))]


def nothing_written() -> bool:
    return (
        m.Incident.select().count() == 0
        and m.TimelineEntry.select().count() == 0
        and m.Attachment.select().count() == 0
        and m.Blob.select().count() == 0
    )


def test_create_with_files(clocked: Desk) -> None:
    files = [prepare_bytes("screenshot.png", PNG), prepare_bytes("gateway.log", LOG)]

    incident = clocked.incidents.create(draft(), clocked.actor_id, files)

    attached = clocked.attachments.for_incident(incident.id)
    assert [(a.filename, a.media_type, a.size) for a in attached] == [
        ("screenshot.png", "image/png", len(PNG)),
        ("gateway.log", "text/plain", len(LOG)),
    ]
    assert [clocked.attachments.content(a.id) for a in attached] == [PNG, LOG]
    assert all(a.added_at == FIXED_NOW for a in attached)
    logged, *attachment_entries = clocked.timeline.entries(incident.id)
    assert logged.body == "Incident logged"
    assert [(e.kind, e.body, e.details) for e in attachment_entries] == [
        (
            EntryKind.ATTACHMENT,
            "Attached screenshot.png (1 KB)",
            {"filename": "screenshot.png", "size": len(PNG)},
        ),
        (
            EntryKind.ATTACHMENT,
            "Attached gateway.log (860 bytes)",
            {"filename": "gateway.log", "size": len(LOG)},
        ),
    ]
    assert all(e.author_name == "tester" for e in attachment_entries)
    # The attachment rows point at their entries.
    entry_ids = {a.entry_id for a in m.Attachment.select()}
    assert entry_ids == {e.id for e in attachment_entries}
    # The log's words find the incident; the image's bytes are not indexed.
    assert search(clocked, "quokka") == [incident.id]
    assert m.Attachment.get(m.Attachment.filename == "screenshot.png").text_content == ""


def test_a_file_over_the_limit_refuses_the_whole_save(clocked: Desk) -> None:
    clocked.settings.set_attachment_max_bytes(1000)
    files = [prepare_bytes("small.log", b"fine"), prepare_bytes("screenshot.png", PNG)]

    with pytest.raises(AttachmentRefused, match=r"screenshot\.png is 1 KB"):
        clocked.incidents.create(draft(), clocked.actor_id, files)

    assert nothing_written()
    # The key was not used up either.
    assert clocked.incidents.create(draft(), clocked.actor_id).key == "INC-1"


def test_a_failure_while_storing_files_leaves_nothing_behind(
    clocked: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_store_file = attachments_module.store_file
    calls: list[str] = []

    def fail_on_the_second(incident_id: int, file: Any, *args: Any, **kwargs: Any) -> int:
        calls.append(file.filename)
        if len(calls) == 2:
            raise OSError("disk gone")
        return real_store_file(incident_id, file, *args, **kwargs)

    monkeypatch.setattr(attachments_module, "store_file", fail_on_the_second)
    files = [prepare_bytes("a.log", b"alpha"), prepare_bytes("b.log", b"beta")]

    with pytest.raises(OSError, match="disk gone"):
        clocked.incidents.create(draft(), clocked.actor_id, files)

    assert calls == ["a.log", "b.log"]
    monkeypatch.undo()
    assert nothing_written()


def test_update_with_files(clocked: Desk) -> None:
    incident = clocked.incidents.create(draft(), clocked.actor_id)

    updated, changes = clocked.incidents.update(
        incident.id,
        incident.draft,
        incident.version,
        clocked.actor_id,
        [prepare_bytes("trace.txt", b"stack trace of the wombat handler")],
        base=incident.draft,
    )

    assert changes == []
    assert updated.version == incident.version + 1  # a file alone is a change
    kinds = [e.kind for e in clocked.timeline.entries(incident.id)]
    assert kinds == [EntryKind.STATUS_CHANGE, EntryKind.ATTACHMENT]
    assert search(clocked, "wombat") == [incident.id]

    edited, changes = clocked.incidents.update(
        incident.id,
        replace(updated.draft, title="Checkout down"),
        updated.version,
        clocked.actor_id,
        [prepare_bytes("more.txt", b"more")],
        base=updated.draft,
    )
    assert [c.field for c in changes] == ["title"]
    assert edited.version == updated.version + 1
    kinds = [e.kind for e in clocked.timeline.entries(incident.id)]
    assert kinds.count(EntryKind.ATTACHMENT) == 2
    assert kinds.count(EntryKind.FIELD_CHANGE) == 1


def test_an_update_with_a_refused_file_changes_nothing(
    clocked: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident = clocked.incidents.create(draft(), clocked.actor_id)
    entries_before = clocked.timeline.entries(incident.id)
    edited = replace(incident.draft, title="Checkout down", description="Changed")
    clocked.settings.set_attachment_max_bytes(100)

    with pytest.raises(AttachmentRefused):
        clocked.incidents.update(
            incident.id,
            edited,
            incident.version,
            None,
            [prepare_bytes("big.log", b"x" * 101)],
            base=incident.draft,
        )
    with pytest.raises(AttachmentRefused, match="empty"):
        clocked.incidents.update(
            incident.id,
            edited,
            incident.version,
            None,
            [prepare_bytes("empty.log", b"")],
            base=incident.draft,
        )

    def broken(*args: Any, **kwargs: Any) -> int:
        raise OSError("disk gone")

    monkeypatch.setattr(attachments_module, "store_file", broken)
    with pytest.raises(OSError, match="disk gone"):
        clocked.incidents.update(
            incident.id,
            edited,
            incident.version,
            None,
            [prepare_bytes("ok.log", b"ok")],
            base=incident.draft,
        )
    monkeypatch.undo()

    assert clocked.incidents.get(incident.id) == incident
    assert clocked.timeline.entries(incident.id) == entries_before
    assert m.Attachment.select().count() == 0
