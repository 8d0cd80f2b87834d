"""Attachments: stored in the database once per distinct content, with explicit limits."""

from __future__ import annotations

import hashlib
import re

import pytest

from incidentdesk.services.desk import Desk
from incidentdesk.services.errors import AttachmentRefused, NotFound
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
