"""The incident list on both engines: every sort order, paging, filters and counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from incidentdesk.domain.enums import Severity, Status, Urgency
from incidentdesk.domain.priority import PriorityMatrix
from incidentdesk.services.desk import Desk
from incidentdesk.services.incidents import IncidentQuery, SortKey
from incidentdesk.storage import models as m
from tests.factories import make_draft, minutes_ago

INCIDENTS = 23


@dataclass(frozen=True)
class Expected:
    """What the test knows about one incident it created, to compute the expected order."""

    number: int
    title: str
    severity: Severity
    priority: int
    status: Status
    service: str | None
    service_id: int | None
    team_id: int | None
    assignee: str | None
    assignee_id: int | None
    reported_at: datetime


@pytest.fixture
def listed(desk: Desk) -> tuple[Desk, list[Expected]]:
    """23 incidents with repeated values in every column, and blanks where a column allows."""
    catalog = desk.catalog
    teams = [catalog.create_team("Platform"), catalog.create_team("Network")]
    services = [
        (catalog.create_service("Checkout", teams[0]), "Checkout"),
        (catalog.create_service("billing", teams[0]), "billing"),
        (catalog.create_service("Zebra DNS", teams[1]), "Zebra DNS"),
    ]
    people = [
        (catalog.create_person("Ada Lovelace", "ada"), "Ada Lovelace"),
        (catalog.create_person("grace hopper", "grace"), "grace hopper"),
    ]
    statuses = list(Status)
    base = minutes_ago(600)
    matrix = PriorityMatrix()
    expected = []
    for index in range(INCIDENTS):
        service = services[index % 4] if index % 4 < 3 else None
        person = people[index % 3] if index % 3 < 2 else None
        severity = Severity(index % 5 + 1)
        urgency = Urgency(index % 3 + 1)
        # Only a few distinct times and titles, so that the tie-break decides often.
        reported_at = base + timedelta(minutes=index % 4)
        title = f"incident{'abc'[index % 3]}"
        draft = make_draft(
            title=title,
            severity=severity,
            urgency=urgency,
            reported_at=reported_at,
            service_id=service[0] if service else None,
            team_id=teams[index % 2],
            assignee_id=person[0] if person else None,
        )
        incident = desk.incidents.create(draft, desk.actor_id)
        status = statuses[index % len(statuses)]
        m.Incident.update(status=status.value).where(m.Incident.id == incident.id).execute()
        expected.append(
            Expected(
                number=incident.number,
                title=title,
                severity=severity,
                priority=matrix.priority(severity, urgency).value,
                status=status,
                service=service[1] if service else None,
                service_id=service[0] if service else None,
                team_id=teams[index % 2],
                assignee=person[1] if person else None,
                assignee_id=person[0] if person else None,
                reported_at=reported_at,
            )
        )
    return desk, expected


SORT_VALUES: dict[SortKey, Any] = {
    SortKey.KEY: lambda e: e.number,
    SortKey.TITLE: lambda e: e.title,
    SortKey.SEVERITY: lambda e: e.severity.value,
    SortKey.PRIORITY: lambda e: e.priority,
    SortKey.STATUS: lambda e: list(Status).index(e.status),  # lifecycle order
    SortKey.SERVICE: lambda e: e.service,
    SortKey.ASSIGNEE: lambda e: e.assignee,
    SortKey.REPORTED_AT: lambda e: e.reported_at,
}


def expected_order(incidents: list[Expected], sort: SortKey, descending: bool) -> list[int]:
    """Sorted by the column, blanks last in either direction, the newest first among equals."""
    value = SORT_VALUES[sort]
    newest_first = sorted(incidents, key=lambda e: -e.number)
    filled = [e for e in newest_first if value(e) is not None]
    blank = [e for e in newest_first if value(e) is None]
    ordered = sorted(filled, key=value, reverse=descending) + blank
    return [e.number for e in ordered]


def test_every_sort_order_is_total_and_pages_are_complete(
    listed: tuple[Desk, list[Expected]],
) -> None:
    desk, incidents = listed
    for sort in SortKey:
        for descending in (False, True):
            query = IncidentQuery(sort=sort, descending=descending)
            whole = [row.number for row in desk.incidents.rows(query, limit=1000)]
            assert whole == expected_order(incidents, sort, descending), query

            paged: list[int] = []
            for offset in range(0, INCIDENTS + 7, 7):
                page = desk.incidents.rows(query, offset=offset, limit=7)
                paged += [row.number for row in page]
            assert paged == whole, query
            assert desk.incidents.rows(query, offset=INCIDENTS, limit=7) == []


def test_rows_carry_the_names_of_what_they_refer_to(listed: tuple[Desk, list[Expected]]) -> None:
    desk, incidents = listed
    rows = {row.number: row for row in desk.incidents.rows(IncidentQuery(), limit=1000)}
    for incident in incidents:
        row = rows[incident.number]
        assert row.key == f"INC-{incident.number}"
        assert row.title == incident.title
        assert row.severity is incident.severity
        assert row.priority.value == incident.priority
        assert row.status is incident.status
        assert row.service_name == (incident.service or "")
        assert row.assignee_name == (incident.assignee or "")
        assert row.team_name in ("Platform", "Network")
        assert row.reported_at == incident.reported_at
        assert row.reported_at.tzinfo is not None


FILTERS: dict[str, Any] = {
    "open statuses": (
        lambda ids: IncidentQuery(statuses=frozenset({Status.LOGGED, Status.INVESTIGATING})),
        lambda e, ids: e.status in (Status.LOGGED, Status.INVESTIGATING),
    ),
    "severity": (
        lambda ids: IncidentQuery(severities=frozenset({Severity.SEV1, Severity.SEV4})),
        lambda e, ids: e.severity in (Severity.SEV1, Severity.SEV4),
    ),
    "service": (
        lambda ids: IncidentQuery(service_ids=frozenset({ids["billing"]})),
        lambda e, ids: e.service_id == ids["billing"],
    ),
    "team": (
        lambda ids: IncidentQuery(team_ids=frozenset({ids["Network"]})),
        lambda e, ids: e.team_id == ids["Network"],
    ),
    "assignee": (
        lambda ids: IncidentQuery(assignee_ids=frozenset({ids["ada"], ids["grace"]})),
        lambda e, ids: e.assignee_id in (ids["ada"], ids["grace"]),
    ),
    "combined": (
        lambda ids: IncidentQuery(
            team_ids=frozenset({ids["Platform"]}),
            severities=frozenset({Severity.SEV1, Severity.SEV3, Severity.SEV5}),
            text="incidentb",
        ),
        lambda e, ids: (
            e.team_id == ids["Platform"] and e.severity.value % 2 == 1 and e.title == "incidentb"
        ),
    ),
}


def test_filters_select_exactly_the_matching_incidents_and_count_agrees(
    listed: tuple[Desk, list[Expected]],
) -> None:
    desk, incidents = listed
    ids = {item.name: item.id for item in desk.catalog.teams() + desk.catalog.services()}
    ids |= {person.login: person.id for person in desk.catalog.people()}
    for name, (make_query, matches) in FILTERS.items():
        query = make_query(ids)

        numbers = sorted(row.number for row in desk.incidents.rows(query, limit=1000))

        expected = sorted(e.number for e in incidents if matches(e, ids))
        assert expected, f"the {name} filter should select something"
        assert len(expected) < INCIDENTS, f"the {name} filter should leave something out"
        assert numbers == expected, name
        assert desk.incidents.count(query) == len(expected), name


def test_count_without_filters_and_status_counts(listed: tuple[Desk, list[Expected]]) -> None:
    desk, incidents = listed
    assert desk.incidents.count(IncidentQuery()) == INCIDENTS
    counts = desk.incidents.status_counts()
    assert sum(counts.values()) == INCIDENTS
    for status in Status:
        assert counts.get(status, 0) == sum(1 for e in incidents if e.status is status)


def test_an_empty_database_lists_nothing(desk: Desk) -> None:
    assert desk.incidents.rows(IncidentQuery()) == []
    assert desk.incidents.count(IncidentQuery(text="anything")) == 0
    assert desk.incidents.status_counts() == {}
