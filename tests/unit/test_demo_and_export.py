"""The demo generator and CSV/JSON export, on both engines."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter

import pytest

from incidentdesk.domain.enums import OPEN_STATUSES, Severity, Status
from incidentdesk.services import demo
from incidentdesk.services.desk import Desk
from incidentdesk.services.export import COLUMNS, export_incidents
from incidentdesk.storage import models as m
from tests.conftest import FIXED_NOW
from tests.factories import make_draft


def check_demo_data(desk: Desk, count: int, seed: int) -> None:
    progress: list[tuple[int, int]] = []
    summary = demo.generate(
        desk.store,
        count,
        seed=seed,
        clock=lambda: FIXED_NOW,
        progress=lambda *p: progress.append(p),
    )

    # It made what it says it made.
    assert summary.incidents == m.Incident.select().count() == count
    assert summary.timeline_entries == m.TimelineEntry.select().count()
    assert summary.attachments == m.Attachment.select().count() > 0
    statuses = Counter(Status(row.status) for row in m.Incident.select(m.Incident.status))
    open_count = sum(statuses[status] for status in OPEN_STATUSES)
    assert summary.open_incidents == open_count == round(count * 0.05)
    assert progress[-1] == (count, count)
    assert f"Added {count:,} incidents ({open_count:,} open)" in demo.describe(summary)

    # The open incidents are the newest ones; keys are INC-1 … INC-N.
    numbers = [row.number for row in m.Incident.select(m.Incident.number, m.Incident.status)]
    assert sorted(numbers) == list(range(1, count + 1))
    open_numbers = {
        row.number for row in m.Incident.select().where(m.Incident.status.in_(list(OPEN_STATUSES)))
    }
    assert open_numbers == set(range(count - open_count + 1, count + 1))

    # Severities lean towards SEV3-4.
    severities = Counter(Severity(row.severity) for row in m.Incident.select(m.Incident.severity))
    assert severities[Severity.SEV3] + severities[Severity.SEV4] > count / 2

    for incident in m.Incident.select():
        times = [incident.reported_at, incident.acknowledged_at, incident.recovered_at]
        if incident.status == Status.CLOSED.value:
            assert incident.recovered_at is not None
            assert incident.closed_at is not None
            times.append(incident.closed_at)
        if incident.status == Status.CANCELLED.value:
            assert incident.cancelled_at is not None
            assert incident.cancel_reason
        known = [time for time in times if time is not None]
        # reported ≤ acknowledged ≤ recovered ≤ closed, and nothing after "now".
        assert known == sorted(known), incident.number
        assert all(
            time <= FIXED_NOW
            for time in (*known, incident.postmortem_at, incident.cancelled_at, incident.updated_at)
            if time is not None
        ), incident.number
    late_entries = m.TimelineEntry.select().where(m.TimelineEntry.occurred_at > FIXED_NOW)
    assert late_entries.count() == 0
    for entry in m.TimelineEntry.select(m.TimelineEntry.occurred_at, m.TimelineEntry.recorded_at):
        assert entry.occurred_at <= entry.recorded_at <= FIXED_NOW


def test_demo_data_is_consistent(desk: Desk) -> None:
    check_demo_data(desk, 300, seed=42)


@pytest.mark.parametrize("seed", [3, 8])
def test_demo_data_never_happens_after_now(sqlite_desk: Desk, seed: int) -> None:
    # These seeds used to close incidents and log entries after "now".
    check_demo_data(sqlite_desk, 300, seed=seed)


def test_demo_data_can_be_added_twice(sqlite_desk: Desk) -> None:
    demo.generate(sqlite_desk.store, 40, seed=1, clock=lambda: FIXED_NOW)
    teams = m.Team.select().count()
    summary = demo.generate(sqlite_desk.store, 40, seed=2, clock=lambda: FIXED_NOW)
    assert summary.incidents == 40
    assert m.Team.select().count() == teams == len(demo.TEAMS)
    assert m.Incident.select().count() == 80
    assert "newest key INC-80" in demo.describe(summary)


def test_demo_refuses_a_negative_count(sqlite_desk: Desk) -> None:
    with pytest.raises(ValueError, match="cannot be negative"):
        demo.generate(sqlite_desk.store, -1)


TRICKY_TITLES = [
    'Quotes "here", commas, and; semicolons',
    "Ünïcödé — 日本語 — 😀",
    '=HYPERLINK("http://example.com")',
    "  leading and trailing spaces  ",
]


@pytest.fixture
def exported_desk(desk: Desk) -> Desk:
    demo.generate(desk.store, 60, seed=7, clock=lambda: FIXED_NOW)
    for title in TRICKY_TITLES:
        desk.incidents.create(make_draft(title=title, source_name='a,b"c'), desk.actor_id)
    return desk


def database_titles() -> dict[str, str]:
    return {f"INC-{row.number}": row.title for row in m.Incident.select()}


def test_csv_export_holds_every_incident_and_parses_back(exported_desk: Desk) -> None:
    output = io.StringIO(newline="")
    count = export_incidents(exported_desk.store, output, "csv")

    rows = list(csv.DictReader(io.StringIO(output.getvalue(), newline="")))
    assert count == len(rows) == 64
    assert list(rows[0]) == list(COLUMNS)
    # A cell a spreadsheet would run as a formula is written with a leading apostrophe.
    defused = {
        key: f"'{title}" if title.startswith("=") else title
        for key, title in database_titles().items()
    }
    assert {row["key"]: row["title"] for row in rows} == defused
    tricky = [row for row in rows if row["title"].removeprefix("'") in TRICKY_TITLES]
    assert len(tricky) == len(TRICKY_TITLES)
    assert all(row["source_name"] == 'a,b"c' for row in tricky)
    assert all(row["status"] == "logged" and row["severity"] == "SEV3" for row in tricky)
    assert {row["urgency"] for row in rows} <= {"high", "medium", "low"}  # as in the JSON


def test_json_export_holds_every_incident_and_parses_back(exported_desk: Desk) -> None:
    output = io.StringIO()
    count = export_incidents(exported_desk.store, output, "json")

    records = json.loads(output.getvalue())
    assert count == len(records) == 64
    assert {record["key"]: record["title"] for record in records} == database_titles()
    for record in records:
        assert set(record) == set(COLUMNS)
        assert record["severity"] in {"SEV1", "SEV2", "SEV3", "SEV4", "SEV5"}
        assert record["priority"] in {"P1", "P2", "P3", "P4", "P5"}
        assert record["urgency"] in {"high", "medium", "low"}  # named, like the severity
    closed = [record for record in records if record["status"] == "closed"]
    assert closed
    assert all(record["closed_at"].startswith("20") for record in closed)


def test_export_of_open_incidents_only(exported_desk: Desk) -> None:
    output = io.StringIO()
    count = export_incidents(exported_desk.store, output, "json", open_only=True)
    records = json.loads(output.getvalue())
    open_in_database = m.Incident.select().where(m.Incident.status.in_(list(OPEN_STATUSES)))
    assert count == len(records) == open_in_database.count()
    assert {record["status"] for record in records} <= {status.value for status in OPEN_STATUSES}


@pytest.mark.parametrize("export_format", ["csv", "json"])
def test_an_empty_database_exports_an_empty_document(desk: Desk, export_format: str) -> None:
    output = io.StringIO()
    assert export_incidents(desk.store, output, export_format) == 0
    if export_format == "json":
        assert json.loads(output.getvalue()) == []
    else:
        assert output.getvalue().strip() == ",".join(COLUMNS)


def test_an_unknown_format_is_refused(desk: Desk) -> None:
    with pytest.raises(ValueError, match="Unknown export format 'xml'"):
        export_incidents(desk.store, io.StringIO(), "xml")
