"""Where a new incident ranks among the open ones, open incidents that look the same, and
another report added to an open incident, on both engines."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from incidentdesk.domain.enums import EntryKind, Priority, Severity, SourceKind, Urgency
from incidentdesk.domain.incident import Incident
from incidentdesk.domain.lifecycle import Step
from incidentdesk.domain.validation import ValidationFailed
from incidentdesk.services.attachments import prepare_bytes
from incidentdesk.services.desk import Desk
from incidentdesk.services.errors import AttachmentRefused, NotFound
from incidentdesk.services.incidents import IncidentQuery
from incidentdesk.services.lifecycle import StepRequest
from incidentdesk.services.triage import Rank
from incidentdesk.storage import models as m
from tests.conftest import FIXED_NOW
from tests.factories import make_draft

REPORTED = FIXED_NOW - timedelta(hours=1)


@pytest.fixture
def clocked(desk: Desk) -> Desk:
    return Desk(desk.store, desk.actor_id, clock=lambda: FIXED_NOW)


def log(desk: Desk, title: str = "Checkout latency", **changes: Any) -> Incident:
    draft = make_draft(title=title, reported_at=REPORTED, **changes)
    return desk.incidents.create(draft, desk.actor_id)


def cancel(desk: Desk, incident: Incident) -> None:
    request = StepRequest(Step.CANCEL, note="False alarm")
    desk.lifecycle.take(incident.id, request, desk.actor_id)


@pytest.mark.parametrize(
    ("position", "text"),
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (10, "10th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (20, "20th"),
        (21, "21st"),
        (22, "22nd"),
        (23, "23rd"),
        (101, "101st"),
        (111, "111th"),
        (112, "112th"),
        (113, "113th"),
        (1002, "1002nd"),
    ],
)
def test_rank_text_with_ordinals(position: int, text: str) -> None:
    assert Rank(position, 1200).text == f"{text} of 1200 open"


def test_rank_among_open(clocked: Desk) -> None:
    # Default matrix: SEV1 × high = P1, SEV2 × high = P2, SEV3 × medium = P4.
    p1 = [log(clocked, severity=Severity.SEV1, urgency=Urgency.HIGH) for _ in range(2)]
    p4 = [log(clocked) for _ in range(11)]
    closed_p1 = log(clocked, severity=Severity.SEV1, urgency=Urgency.HIGH)
    cancel(clocked, closed_p1)  # not open: does not count
    rank = clocked.triage.rank_among_open

    assert rank(Priority.P2) == Rank(3, 14)
    assert rank(Priority.P2).text == "3rd of 14 open"
    # Same priority: after every open incident of that priority, as the board orders them.
    assert rank(Priority.P1).text == "3rd of 14 open"
    assert rank(Priority.P4).text == "14th of 14 open"
    assert rank(Priority.P5).text == "14th of 14 open"
    # An incident being edited is not counted against itself.
    assert rank(Priority.P1, exclude_id=p1[0].id).text == "2nd of 13 open"
    assert rank(Priority.P4, exclude_id=p4[0].id).text == "13th of 13 open"
    assert rank(Priority.P4, exclude_id=closed_p1.id).text == "14th of 14 open"


def test_rank_with_nothing_open(clocked: Desk) -> None:
    assert clocked.triage.rank_among_open(Priority.P3).text == "1st of 1 open"


def titles(rows: list[Any]) -> list[str]:
    return sorted(row.title for row in rows)


def test_similar_open_incidents(clocked: Desk) -> None:
    same = log(clocked, "Checkout payment timeouts in EU")
    log(clocked, "Payment gateway timeouts")
    log(clocked, "Timeouts on the VPN")  # one word in common is no likeness
    log(clocked, "Login page slow")
    log(clocked, "Cart checkout broken")  # shares words, but none of the title's
    closed = log(clocked, "Checkout payment timeouts")
    cancel(clocked, closed)  # only open incidents

    similar = clocked.triage.similar_open("Payment timeouts", "at checkout, cart broken")

    assert titles(similar) == ["Checkout payment timeouts in EU", "Payment gateway timeouts"]
    assert similar[0].title == "Checkout payment timeouts in EU"  # the most alike first
    # While editing an incident, it is not its own duplicate.
    excluded = clocked.triage.similar_open(same.title, "", exclude_id=same.id)
    assert titles(excluded) == ["Payment gateway timeouts"]
    assert clocked.triage.similar_open("", "") == []
    assert clocked.triage.similar_open("Printer jam", "on floor three") == []


def test_description_words_count_towards_the_likeness(clocked: Desk) -> None:
    log(clocked, "Replica lag", description="The orders database replica is hours behind")
    similar = clocked.triage.similar_open("Orders replica", "")
    assert titles(similar) == ["Replica lag"]
    # A one-word title needs only that word in common.
    assert titles(clocked.triage.similar_open("replica", "")) == ["Replica lag"]


def test_at_most_five_similar_incidents(clocked: Desk) -> None:
    for number in range(7):
        log(clocked, f"Search index stale on node {number}")
    similar = clocked.triage.similar_open("Search index stale", "")
    assert len(similar) == 5
    assert all(row.title.startswith("Search index stale") for row in similar)


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_another_report_is_added_to_the_open_incident(clocked: Desk) -> None:
    incident = log(clocked, "Checkout returns 502")
    report = make_draft(
        title="Cannot pay for my order",
        description="Error 502 at the last step.\nTried twice.",
        source_kind=SourceKind.CUSTOMER,
        source_name="Maria Gómez",
        source_contact="maria@example.com",
        reported_at=FIXED_NOW - timedelta(minutes=10),
    )
    files = [
        prepare_bytes("screenshot.png", PNG),
        prepare_bytes("console.log", b"POST /pay 502 upstream-zebra-gateway"),
    ]

    updated = clocked.triage.add_duplicate_report(incident.id, report, clocked.actor_id, files)

    assert m.Incident.select().count() == 1  # no new incident
    assert updated.updated_at == FIXED_NOW
    assert updated.draft == incident.draft
    note = next(
        e for e in clocked.timeline.entries(incident.id) if e.details.get("duplicate_report")
    )
    assert note.kind is EntryKind.NOTE
    assert note.body == (
        "Also reported by Maria Gómez: Cannot pay for my order\n\n"
        "Error 502 at the last step.\nTried twice."
    )
    assert note.details == {
        "duplicate_report": True,
        "source_kind": "customer",
        "source_name": "Maria Gómez",
        "source_contact": "maria@example.com",
        "reported_at": report.reported_at.isoformat(),
    }
    assert note.occurred_at == report.reported_at
    assert note.recorded_at == FIXED_NOW
    assert note.author_name == "tester"
    attached = clocked.attachments.for_incident(incident.id)
    assert [(a.filename, a.size) for a in attached] == [
        ("screenshot.png", len(PNG)),
        ("console.log", 36),
    ]
    attachment_entries = [
        e.body for e in clocked.timeline.entries(incident.id) if e.kind is EntryKind.ATTACHMENT
    ]
    assert attachment_entries == [
        f"Attached screenshot.png ({len(PNG)} bytes)",
        "Attached console.log (36 bytes)",
    ]
    # The report's log is searchable like any other attachment.
    found = clocked.incidents.rows(IncidentQuery(text="zebra"))
    assert [row.id for row in found] == [incident.id]


def test_a_report_without_a_source_name_names_the_kind(clocked: Desk) -> None:
    incident = log(clocked)
    report = make_draft(title="Slow", source_kind=SourceKind.MONITORING, reported_at=REPORTED)
    clocked.triage.add_duplicate_report(incident.id, report, None)
    body = clocked.timeline.entries(incident.id)[-1].body
    assert body == "Also reported by Monitoring system: Slow"


def test_a_bad_report_adds_nothing(clocked: Desk) -> None:
    incident = log(clocked)
    before = clocked.timeline.entries(incident.id)
    clocked.settings.set_attachment_max_bytes(1000)
    report = make_draft(title="Cannot pay", reported_at=REPORTED)

    with pytest.raises(ValidationFailed) as refused:
        clocked.triage.add_duplicate_report(incident.id, make_draft(title=" "), None)
    assert refused.value.errors[0].field == "title"
    with pytest.raises(NotFound):
        clocked.triage.add_duplicate_report(9999, report, None)
    files = [prepare_bytes("small.txt", b"ok"), prepare_bytes("big.log", b"x" * 1001)]
    with pytest.raises(AttachmentRefused, match=r"big\.log"):
        clocked.triage.add_duplicate_report(incident.id, report, None, files)
    with pytest.raises(AttachmentRefused, match="empty"):
        clocked.triage.add_duplicate_report(incident.id, report, None, [prepare_bytes("e", b"")])

    assert clocked.timeline.entries(incident.id) == before
    assert clocked.attachments.for_incident(incident.id) == []
    assert m.Blob.select().count() == 0
