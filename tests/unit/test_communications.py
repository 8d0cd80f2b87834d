"""Status update templates filled from an incident, and entries copied as text or Markdown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from incidentdesk.domain.enums import EntryKind, Priority, Status
from incidentdesk.domain.incident import Incident
from incidentdesk.domain.timeline import TimelineEntry
from incidentdesk.services.communications import (
    TEMPLATES,
    entry_as_markdown,
    entry_as_text,
    fill_template,
)
from tests.factories import make_draft

NOW = datetime(2026, 11, 27, 12, 40, tzinfo=UTC)


def incident(title: str = "Checkout latency above 4 s", service: str = "Checkout") -> Incident:
    return Incident(
        id=7,
        number=42,
        draft=make_draft(title=title, reported_at=NOW - timedelta(hours=1)),
        priority=Priority.P2,
        status=Status.INVESTIGATING,
        created_at=NOW,
        updated_at=NOW,
        version=3,
        service_name=service,
    )


def test_every_template_filled_from_the_incident() -> None:
    filled = {template.name: fill_template(template, incident(), NOW) for template in TEMPLATES}

    assert filled == {
        "Investigating": "Investigating — Checkout: we are investigating reports of checkout "
        "latency above 4 s. Next update by 13:10 UTC. (INC-42)",
        "Identified": "Identified — Checkout: we have found the cause of checkout latency above "
        "4 s and are working on a fix. Next update by 13:10 UTC. (INC-42)",
        "Monitoring": "Monitoring — Checkout: a fix is in place and we are watching the results. "
        "Next update by 13:10 UTC. (INC-42)",
        "Resolved": "Resolved — Checkout: the problem with checkout latency above 4 s is over and "
        "everything works normally again. We are sorry for the disruption. (INC-42)",
    }


def test_the_next_update_is_given_in_utc() -> None:
    in_berlin = datetime(2026, 11, 27, 23, 45, tzinfo=timezone(timedelta(hours=1)))
    text = fill_template(TEMPLATES[0], incident(), in_berlin)
    assert "Next update by 23:15 UTC." in text


def test_without_a_service_it_says_our_service() -> None:
    text = fill_template(TEMPLATES[0], incident(service=""), NOW)
    assert text.startswith("Investigating — our service: we are investigating reports of ")


@pytest.mark.parametrize(
    ("title", "problem"),
    [
        ("Checkout latency above 4 s", "checkout latency above 4 s"),
        ("A spike in 502s", "a spike in 502s"),
        ("Ärger mit Zahlungen", "ärger mit Zahlungen"),
        # Acronyms and names written with capitals inside stay as they are.
        ("API gateway returns 502", "API gateway returns 502"),
        ("EU customers cannot log in", "EU customers cannot log in"),
        ("iOS app crashes on start", "iOS app crashes on start"),
        ("PostgreSQL replica lag", "PostgreSQL replica lag"),
        ("502 on checkout", "502 on checkout"),
        # Braces in a title are text, not placeholders.
        ("Template {key} shown to users", "template {key} shown to users"),
    ],
)
def test_the_title_reads_as_part_of_the_sentence(title: str, problem: str) -> None:
    text = fill_template(TEMPLATES[0], incident(title), NOW)
    assert f"investigating reports of {problem}. Next update" in text


def entry(kind: EntryKind, body: str, author: str = "Ann Responder", **details: Any) -> Any:
    return TimelineEntry(
        id=1,
        incident_id=7,
        kind=kind,
        body=body,
        occurred_at=datetime(2026, 11, 27, 13, 5, tzinfo=timezone(timedelta(hours=1))),
        recorded_at=NOW,
        author_name=author,
        details=details,
        pinned=False,
        amends_id=None,
    )


def test_a_communication_as_text() -> None:
    update = entry(
        EntryKind.COMMUNICATION,
        "We are investigating.\nNext update at 13:10.",
        audience="external",
        channel="status_page",
    )
    assert entry_as_text(update, "INC-42") == (
        "INC-42 · 2026-11-27 12:05 UTC · Communication (External, status page) — Ann Responder\n"
        "We are investigating.\nNext update at 13:10."
    )


def test_other_entries_as_text() -> None:
    note = entry(EntryKind.FINDING, "The cert expired.", author="")
    assert (
        entry_as_text(note, "INC-42")
        == "INC-42 · 2026-11-27 12:05 UTC · Finding\nThe cert expired."
    )
    escalation = entry(EntryKind.ESCALATION, "Escalated to DBA (L2): lag", to_team="DBA")
    assert entry_as_text(escalation, "INC-1").startswith(
        "INC-1 · 2026-11-27 12:05 UTC · Escalation — Ann Responder\n"
    )


def test_an_entry_as_markdown() -> None:
    update = entry(
        EntryKind.COMMUNICATION,
        "We found the cause.\n\n*Fix* deploying.",
        audience="internal",
        channel="chat",
    )
    assert entry_as_markdown(update, "INC-42") == (
        "**INC-42 · 2026-11-27 12:05 UTC · Communication (Internal, chat) — Ann Responder**\n\n"
        "> We found the cause.\n>\n> *Fix* deploying."
    )


def test_an_empty_entry_as_markdown_is_still_a_quote() -> None:
    empty = entry(EntryKind.ACTION_TAKEN, "", author="")
    assert entry_as_markdown(empty, "INC-42") == (
        "**INC-42 · 2026-11-27 12:05 UTC · Action taken**\n\n>"
    )


def test_a_copy_says_which_entry_it_corrects_and_that_an_entry_was_corrected() -> None:
    wrong = entry(EntryKind.FINDING, "The cert expired.")
    fixed = wrong._replace(
        id=2,
        body="The intermediate cert expired.",
        occurred_at=datetime(2026, 11, 27, 12, 30, tzinfo=UTC),
        amends_id=1,
    )
    log = [wrong, fixed]
    assert entry_as_text(fixed, "INC-42", log).splitlines()[0] == (
        "INC-42 · 2026-11-27 12:30 UTC · Finding — Ann Responder"
        " · correction of the entry of 2026-11-27 12:05 UTC"
    )
    assert entry_as_text(wrong, "INC-42", log).splitlines()[0].endswith(" · corrected later")
    assert "corrected later" in entry_as_markdown(wrong, "INC-42", log)
    # Without the log (or with the original gone from it) a correction still says so.
    assert entry_as_text(fixed, "INC-42").splitlines()[0].endswith(" · correction")
    assert "correct" not in entry_as_text(wrong, "INC-42")
