"""Attachments: stored in the database once per distinct content, with explicit limits."""

from __future__ import annotations

import hashlib
import re

import pytest

from incidentdesk.domain.enums import EntryKind
from incidentdesk.services.attachments import prepare_bytes
from incidentdesk.services.desk import Desk
from incidentdesk.services.errors import AttachmentRefused, NotFound
from incidentdesk.services.incidents import IncidentQuery
from incidentdesk.storage import models as m
from tests.factories import make_draft

MB = 1024 * 1024


@pytest.fixture
def incident_id(desk: Desk) -> int:
    return desk.incidents.create(make_draft(), desk.actor_id).id


def test_the_same_content_twice_is_stored_once(desk: Desk, incident_id: int) -> None:
    content = b"2026-11-27 12:00:07 ERROR upstream timed out\n" * 100
    other_incident = desk.incidents.create(make_draft(), desk.actor_id).id

    first = desk.attachments.add(incident_id, "nginx-error.txt", content, desk.actor_id)
    second = desk.attachments.add(other_incident, "copy of the log.log", content, desk.actor_id)

    assert first.sha256 == second.sha256 == hashlib.sha256(content).hexdigest()
    assert first.id != second.id
    assert m.Blob.select().count() == 1
    assert m.Attachment.select().count() == 2
    assert desk.attachments.content(first.id) == content
    assert desk.attachments.content(second.id) == content
    assert first.size == len(content)
    assert first.media_type == "text/plain"  # guessed from the name
    assert [a.filename for a in desk.attachments.for_incident(other_incident)] == [
        "copy of the log.log"
    ]


def test_different_content_is_stored_separately_byte_for_byte(desk: Desk, incident_id: int) -> None:
    png = bytes(range(256)) * 40  # every byte value, NUL included
    added = desk.attachments.add(
        incident_id, "screenshot.png", png, desk.actor_id, media_type="image/png"
    )
    other = desk.attachments.add(incident_id, "screenshot.png", png[::-1], desk.actor_id)
    assert m.Blob.select().count() == 2
    assert desk.attachments.content(added.id) == png
    assert desk.attachments.content(other.id) == png[::-1]
    assert added.media_type == "image/png"
    assert [a.id for a in desk.attachments.for_incident(incident_id)] == [added.id, other.id]


def refusal_sizes(refused: pytest.ExceptionInfo[AttachmentRefused]) -> tuple[str, str]:
    """The file's size and the limit as the refusal shows them."""
    found = re.fullmatch(
        r"\S+ is (.+); files up to (.+) can be attached\. Compress it or attach an excerpt\.",
        str(refused.value),
    )
    assert found, str(refused.value)
    return found.group(1), found.group(2)


def test_a_file_over_the_limit_is_refused_naming_its_size_and_the_limit(
    desk: Desk, incident_id: int
) -> None:
    assert desk.settings.attachment_max_bytes() == 25 * MB
    with pytest.raises(AttachmentRefused) as refused:
        desk.attachments.check("capture.pcap", 30 * MB)
    size, limit = refusal_sizes(refused)
    assert re.fullmatch(r"30(\.0)? MB", size)
    assert re.fullmatch(r"25(\.0)? MB", limit)

    with pytest.raises(AttachmentRefused) as refused:
        desk.attachments.add(incident_id, "capture.pcap", bytes(25 * MB + 1), desk.actor_id)
    # One byte over: the two figures must still differ, or the message makes no sense.
    size, limit = refusal_sizes(refused)
    assert size != limit
    assert m.Attachment.select().count() == 0
    assert m.Blob.select().count() == 0


def test_the_limit_comes_from_the_settings(desk: Desk, incident_id: int) -> None:
    desk.settings.set_attachment_max_bytes(1000)
    desk.attachments.add(incident_id, "exactly.bin", bytes(1000), desk.actor_id)
    with pytest.raises(AttachmentRefused) as refused:
        desk.attachments.add(incident_id, "too-big.bin", bytes(1001), desk.actor_id)
    size, limit = refusal_sizes(refused)
    assert re.fullmatch(r"1,?001 bytes", size)
    assert re.fullmatch(r"1,?000 bytes", limit)
    with pytest.raises(ValueError, match="positive"):
        desk.settings.set_attachment_max_bytes(0)


def test_an_empty_file_is_refused(desk: Desk, incident_id: int) -> None:
    with pytest.raises(AttachmentRefused, match=r"^empty\.txt is empty; there is nothing"):
        desk.attachments.add(incident_id, "empty.txt", b"", desk.actor_id)
    assert m.Attachment.select().count() == 0


@pytest.mark.parametrize("filename", ["", "   ", "x" * 256])
def test_a_file_name_must_have_1_to_255_characters(
    desk: Desk, incident_id: int, filename: str
) -> None:
    with pytest.raises(AttachmentRefused, match="1 to 255 characters"):
        desk.attachments.add(incident_id, filename, b"data", desk.actor_id)


def test_attaching_to_a_missing_incident_is_not_found(desk: Desk) -> None:
    with pytest.raises(NotFound):
        desk.attachments.add(999, "a.txt", b"data", desk.actor_id)
    assert m.Blob.select().count() == 0
    with pytest.raises(NotFound):
        desk.attachments.content(999)


# The whole text of a log is searchable


def log_of_size(size: int, last_line: str) -> bytes:
    """A gateway log of about ``size`` bytes, a request id of its own on every line, ending
    with ``last_line``."""
    lines = []
    written = 0
    number = 0
    while written < size:
        line = (
            f"2026-11-27T09:{number % 60:02d}:{number % 59:02d}Z gateway INFO request "
            f"r{number:07x} GET /api/v1/orders/{number % 997} 200 in {number % 431} ms\n"
        )
        lines.append(line)
        written += len(line)
        number += 1
    lines.append(last_line + "\n")
    return "".join(lines).encode()


def test_a_word_in_the_last_line_of_a_2_mb_log_is_found(desk: Desk, incident_id: int) -> None:
    content = log_of_size(2 * MB, "2026-11-27T23:59:59Z gateway ERROR zanzibarquux gave up")
    assert len(content) > 2 * MB
    added = desk.attachments.add(incident_id, "gateway.log", content, desk.actor_id)

    assert not added.partly_indexed
    for text in ("zanzibarquux", "zanzibarq", "gave zanzibarquux", "r0000000"):
        assert desk.incidents.count(IncidentQuery(text=text)) == 1, text
    assert desk.incidents.count(IncidentQuery(text="zanzibarquuxx ")) == 0
    assert not desk.attachments.for_incident(incident_id)[0].partly_indexed


def test_a_log_with_more_distinct_words_than_the_index_keeps_says_so(
    desk: Desk, incident_id: int
) -> None:
    # Every word different: more than the 1 MB of words PostgreSQL keeps for one document.
    words = [f"w{hashlib.sha256(str(n).encode()).hexdigest()[:12]}" for n in range(90_000)]
    content = (" ".join(words) + "\n").encode()
    file = prepare_bytes("unique-ids.log", content)
    assert file.partly_indexed
    desk.attachments.attach(incident_id, [file], desk.actor_id)

    [listed] = desk.attachments.for_incident(incident_id)
    assert listed.partly_indexed
    assert desk.incidents.count(IncidentQuery(text=words[0])) == 1  # the start is searchable
    [entry] = [e for e in desk.timeline.entries(incident_id) if e.kind is EntryKind.ATTACHMENT]
    assert entry.body.endswith("; only part of its text is searchable")


# Names and media types


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("..\\..\\..\\Windows\\System32\\evil.png", "evil.png"),
        ("../../../etc/cron.d/evil.log", "evil.log"),
        ("C:\\Users\\rosa\\Desktop\\gateway.log", "gateway.log"),
        ("logs/2026/gateway.log", "gateway.log"),
        ("gate\x00way\x1b[31m.log", "gateway[31m.log"),
        ("\u202egpj.exe", "gpj.exe"),  # a right-to-left override would show "exe.jpg"
        ("  report.txt\r\n", "report.txt"),
        ("résumé – café.txt", "résumé – café.txt"),
    ],
)
def test_a_file_is_stored_under_its_base_name_without_control_characters(
    desk: Desk, incident_id: int, given: str, stored: str
) -> None:
    added = desk.attachments.add(incident_id, given, b"data", desk.actor_id)
    assert added.filename == stored
    assert m.Attachment.get_by_id(added.id).filename == stored


def test_files_attached_together_are_stored_under_their_base_names(
    desk: Desk, incident_id: int
) -> None:
    files = [prepare_bytes("..\\..\\evil.png", b"png"), prepare_bytes("/tmp/x/ok.log", b"log")]
    desk.attachments.attach(incident_id, files, desk.actor_id)
    assert [a.filename for a in desk.attachments.for_incident(incident_id)] == [
        "evil.png",
        "ok.log",
    ]
    bodies = [e.body for e in desk.timeline.entries(incident_id) if e.kind is EntryKind.ATTACHMENT]
    assert not any("\\" in body or "/" in body for body in bodies)


@pytest.mark.parametrize("given", ["..", ".", "logs/", "..\\..\\", "\x00\x01", "a/.."])
def test_a_name_with_nothing_left_after_its_folders_is_refused(
    desk: Desk, incident_id: int, given: str
) -> None:
    with pytest.raises(AttachmentRefused, match="name"):
        desk.attachments.add(incident_id, given, b"data", desk.actor_id)
    assert m.Attachment.select().count() == 0


def test_a_name_stored_before_names_were_made_safe_is_listed_and_exported_safely(
    desk: Desk, incident_id: int
) -> None:
    added = desk.attachments.add(incident_id, "evil.png", b"png", desk.actor_id)
    unsafe = "..\\..\\..\\Windows\\System32\\evil.png"
    m.Attachment.update(filename=unsafe).where(m.Attachment.id == added.id).execute()

    assert [a.filename for a in desk.attachments.for_incident(incident_id)] == ["evil.png"]
    report = desk.reports.incident_markdown(incident_id)
    assert "- evil.png (" in report
    assert "Windows" not in report


@pytest.mark.parametrize(
    ("filename", "media_type"),
    [
        ("gateway.log", "text/plain"),
        ("notes.txt", "text/plain"),
        ("app.out", "text/plain"),
        ("payload.json", "application/json"),
        ("values.yaml", "application/yaml"),
        ("values.yml", "application/yaml"),
        ("export.csv", "text/csv"),
        ("README.md", "text/markdown"),
        ("GATEWAY.LOG", "text/plain"),
        ("screenshot.png", "image/png"),
        ("dump.bin", "application/octet-stream"),
    ],
)
def test_common_text_files_are_stored_as_text(
    desk: Desk, incident_id: int, filename: str, media_type: str
) -> None:
    added = desk.attachments.add(incident_id, filename, b"alpha beta", desk.actor_id)
    assert added.media_type == media_type
