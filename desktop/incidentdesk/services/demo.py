"""Realistic demo data: teams, people, services and incidents with their timelines."""

from __future__ import annotations

import hashlib
import json
import math
import random
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from incidentdesk.domain.enums import (
    Audience,
    Channel,
    EntryKind,
    EscalationLevel,
    ImpactScope,
    Role,
    Severity,
    SourceKind,
    Status,
    Urgency,
)
from incidentdesk.domain.keys import format_key
from incidentdesk.services.attachments import searchable_text
from incidentdesk.services.clock import Clock, utc_now
from incidentdesk.services.incidents import board_rank_for
from incidentdesk.services.settings import SettingsService
from incidentdesk.storage import models as m
from incidentdesk.storage.bulk import bulk_insert
from incidentdesk.storage.counters import allocate_incident_numbers
from incidentdesk.storage.database import Store

Progress = Callable[[int, int], None]

TEAMS = (
    ("Service Desk", "Front line: takes every report, first diagnosis"),
    ("Platform SRE", "Kubernetes, load balancers, deployments"),
    ("Database Team", "PostgreSQL clusters, replication, backups"),
    ("Network Operations", "Edge, DNS, VPN, office networks"),
    ("Payments Engineering", "Checkout, payment providers, billing"),
    ("Identity & Access", "SSO, accounts, permissions"),
    ("Security Operations", "Detection, response, compliance"),
)
PEOPLE = (
    ("Amara Okafor", 0, Role.LEAD),
    ("Ben Hughes", 0, Role.STAFF),
    ("Chloé Martin", 0, Role.STAFF),
    ("Dmitri Volkov", 0, Role.STAFF),
    ("Elif Yilmaz", 1, Role.LEAD),
    ("Felix Braun", 1, Role.STAFF),
    ("Grace Liu", 1, Role.STAFF),
    ("Hiro Tanaka", 1, Role.STAFF),
    ("Isabel Costa", 2, Role.LEAD),
    ("Jonas Berg", 2, Role.STAFF),
    ("Kavya Nair", 2, Role.STAFF),
    ("Liam O'Brien", 3, Role.LEAD),
    ("María Fernández", 3, Role.STAFF),
    ("Noah Schmidt", 4, Role.LEAD),
    ("Olivia Rossi", 4, Role.STAFF),
    ("Priya Sharma", 4, Role.STAFF),
    ("Quentin Dubois", 5, Role.LEAD),
    ("Rosa Jiménez", 5, Role.STAFF),
    ("Sven Lindqvist", 6, Role.LEAD),
    ("Tariq Haddad", 6, Role.STAFF),
    ("Uma Patel", 0, Role.ADMIN),
)
SERVICES = (
    ("Checkout API", 4),
    ("Payments Gateway", 4),
    ("Billing", 4),
    ("Customer Portal", 1),
    ("Mobile App Backend", 1),
    ("Search", 1),
    ("Email Delivery", 1),
    ("Single Sign-On", 5),
    ("Customer Database", 2),
    ("Data Warehouse", 2),
    ("VPN", 3),
    ("DNS", 3),
    ("CI/CD Pipeline", 1),
    ("Internal Wiki", 0),
    ("Notifications", 1),
)
MONITORS = ("Prometheus Alertmanager", "Datadog", "Grafana", "Pingdom", "CloudWatch", "Sentry")
HOSTS = ("db-prod-03", "k8s-node-17", "edge-lb-2", "api-eu-west-5", "worker-batch-9", "cache-02")

TITLES = {
    "Outage": (
        "{service} is down for all users",
        "{service} returns HTTP 503 errors",
        "{service} unreachable from the EU region",
        "Complete outage of {service} after deployment",
    ),
    "Degradation": (
        "Elevated latency on {service} (p99 over 4 s)",
        "{service} slow during peak hours",
        "Intermittent timeouts calling {service}",
        "Queue backlog growing on {service}",
        "Disk nearly full on {host}",
    ),
    "Bug": (
        "{service} shows wrong totals on invoices",
        "Password reset e-mails not sent by {service}",
        "{service} rejects valid postcodes",
        "Export button in {service} does nothing",
        "Time zone shown wrong in {service}",
    ),
    "Security": (
        "Suspicious login attempts against {service}",
        "Expired TLS certificate on {service}",
        "Secret exposed in {service} build logs",
    ),
    "Other": (
        "Question about {service} quota",
        "Planned maintenance on {service} overran",
        "Customer asks for {service} status report",
    ),
}
DESCRIPTIONS = (
    "Customers report errors when they try to pay. Monitoring shows the error rate at {rate}% "
    "since {time}. First seen on {host}.",
    "Alert fired: `http_5xx_ratio > 0.05` for 10 minutes on {host}.\n\n"
    "Steps to reproduce:\n1. Open the page\n2. Submit the form\n3. See *Something went wrong*",
    "Several people on the support chat say the page hangs. Latency p99 is {latency} ms; the "
    "usual is under 300 ms. No deployment in the last hour.",
    "Logs show `connection pool exhausted` on {host} roughly every {rate} seconds.",
)
FINDINGS = (
    "Connection pool on {host} exhausted: max_connections reached.",
    "Deployment {deploy} introduced a slow query on the orders table.",
    "Certificate renewal job failed silently three days ago.",
    "Upstream provider reports degraded performance in their EU region.",
    "Memory leak in the image resize worker; pods restarted every 40 minutes.",
    "A misconfigured firewall rule drops traffic from the new subnet.",
)
ACTIONS = (
    "Rolled back deployment {deploy}.",
    "Increased the pool size from 50 to 120 and restarted the workers.",
    "Failed over to the replica in the second zone.",
    "Renewed the certificate and added an expiry alert.",
    "Scaled the service from 6 to 12 instances.",
    "Purged the CDN cache for the affected paths.",
)
UPDATES = (
    "We are investigating reports of errors with {service}.",
    "We have identified the cause of the problem with {service} and are working on a fix.",
    "A fix has been applied to {service}; we are monitoring the results.",
    "{service} is working normally again. We apologise for the disruption.",
)

SEVERITY_WEIGHTS = {
    Severity.SEV1: 2,
    Severity.SEV2: 8,
    Severity.SEV3: 35,
    Severity.SEV4: 40,
    Severity.SEV5: 15,
}
# Median minutes (to acknowledge, to recover, recover→close) per severity; spread is log-normal.
MEDIAN_MINUTES = {
    Severity.SEV1: (4, 75, 3 * 24 * 60),
    Severity.SEV2: (10, 180, 5 * 24 * 60),
    Severity.SEV3: (35, 12 * 60, 2 * 24 * 60),
    Severity.SEV4: (120, 2 * 24 * 60, 24 * 60),
    Severity.SEV5: (300, 6 * 24 * 60, 12 * 60),
}
SCOPE_BY_SEVERITY = {
    Severity.SEV1: ImpactScope.ALL,
    Severity.SEV2: ImpactScope.MANY,
    Severity.SEV3: ImpactScope.MANY,
    Severity.SEV4: ImpactScope.TEAM,
    Severity.SEV5: ImpactScope.ONE,
}
OPEN_STATUS_WEIGHTS = {
    Status.LOGGED: 15,
    Status.TRIAGED: 20,
    Status.INVESTIGATING: 40,
    Status.RECOVERED: 15,
    Status.POSTMORTEM: 10,
}
BATCH_SIZE = 500
# Enough for any load test (the benchmarks use 100,000), small enough not to fill a disk:
# a million incidents take about 3.5 GB and half an hour.
MAX_INCIDENTS = 1_000_000
OPEN_FRACTION = 0.05
CANCELLED_FRACTION = 0.03
ATTACHMENT_EVERY = 40
HISTORY_DAYS = 730
OPEN_WINDOW = timedelta(days=3)


@dataclass(frozen=True)
class DemoSummary:
    incidents: int
    open_incidents: int
    timeline_entries: int
    attachments: int


def _png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    """A plain-colour PNG, made without any imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(colour) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


class _Generator:
    def __init__(self, store: Store, seed: int, now: datetime) -> None:
        self.store = store
        self.random = random.Random(seed)
        self.now = now
        self.teams: list[int] = []
        self.people: list[tuple[int, int]] = []  # (user id, team index)
        self.services: list[tuple[int, str, int]] = []  # (id, name, owning team index)
        self.categories: dict[str, int] = {}
        # (sha, filename, media type, size, searchable text)
        self.blobs: list[tuple[str, str, str, int, str]] = []
        self.entries = 0
        self.attachments = 0

    def ensure_catalog(self) -> None:
        with self.store.write():
            for order, (name, description) in enumerate(TEAMS):
                m.Team.insert(
                    name=name, description=description, escalation_order=order
                ).on_conflict_ignore().execute()
            team_ids = {
                name: id_ for id_, name in m.Team.select(m.Team.id, m.Team.name).tuples().iterator()
            }
            self.teams = [team_ids[name] for name, _ in TEAMS]
            for name, team_index, role in PEOPLE:
                login = name.split()[0].lower().replace("é", "e").replace("í", "i")
                m.User.insert(
                    name=name,
                    login=f"demo.{login}",
                    email=f"{login}@example.com",
                    team=self.teams[team_index],
                    role=role.value,
                ).on_conflict_ignore().execute()
            user_ids = {
                name: id_ for id_, name in m.User.select(m.User.id, m.User.name).tuples().iterator()
            }
            self.people = [(user_ids[name], team) for name, team, _ in PEOPLE]
            for name, team_index in SERVICES:
                m.Service.insert(
                    name=name, team=self.teams[team_index]
                ).on_conflict_ignore().execute()
            service_ids = {
                name: id_
                for id_, name in m.Service.select(m.Service.id, m.Service.name).tuples().iterator()
            }
            self.services = [(service_ids[name], name, team) for name, team in SERVICES]
            self.categories = {
                name: id_
                for id_, name in m.Category.select(m.Category.id, m.Category.name)
                .tuples()
                .iterator()
            }
            self._ensure_blobs()

    def _ensure_blobs(self) -> None:
        files = [
            (f"screenshot-{index}.png", "image/png", _png(320, 200, colour))
            for index, colour in enumerate(((220, 60, 60), (60, 120, 220), (240, 180, 40)))
        ]
        log_lines = "\n".join(
            f"2026-03-0{day} 12:{minute:02d}:07 [error] upstream timed out (110: Connection "
            f"timed out) while reading response header from upstream, client: 10.0.{day}.{minute}"
            for day in range(1, 4)
            for minute in range(60)
        )
        files.append(("nginx-error.log", "text/plain", log_lines.encode()))
        for filename, media_type, content in files:
            digest = hashlib.sha256(content).hexdigest()
            m.Blob.insert(
                sha256=digest, size=len(content), content=content
            ).on_conflict_ignore().execute()
            text = searchable_text(filename, media_type, content)
            self.blobs.append((digest, filename, media_type, len(content), text))

    def _minutes(self, median: float) -> timedelta:
        return timedelta(minutes=max(1.0, self.random.lognormvariate(math.log(median), 0.9)))

    def _fill(self, template: str, service: str) -> str:
        return template.format(
            service=service,
            host=self.random.choice(HOSTS),
            rate=self.random.randint(2, 40),
            latency=self.random.randint(900, 9000),
            time=f"{self.random.randint(0, 23):02d}:{self.random.randint(0, 59):02d} UTC",
            deploy=".".join(str(self.random.randint(0, 40)) for _ in range(3)),
        )

    def incident(
        self, number: int, reported_at: datetime, status: Status
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        rnd = self.random
        severity = rnd.choices(list(SEVERITY_WEIGHTS), weights=list(SEVERITY_WEIGHTS.values()))[0]
        urgency = Urgency(min(3, max(1, severity.value - 1 + rnd.choice((-1, 0, 0, 1)))))
        category = rnd.choices(list(TITLES), weights=(15, 35, 35, 5, 10))[0]
        if severity.is_major and category == "Other":
            category = "Outage"
        service_id, service_name, owner_team = rnd.choice(self.services)
        source_kind = rnd.choices(list(SourceKind), weights=(60, 25, 15))[0]
        source_name = rnd.choice(MONITORS) if source_kind is SourceKind.MONITORING else ""
        desk_people = [person for person, team in self.people if team == 0]
        owner_people = [person for person, team in self.people if team == owner_team] or desk_people
        reporter = rnd.choice(desk_people)
        ack_median, recover_median, close_median = MEDIAN_MINUTES[severity]
        acknowledged = reported_at + self._minutes(ack_median)
        recovered = acknowledged + self._minutes(recover_median)
        closed = recovered + self._minutes(close_median)
        escalation = EscalationLevel.L1
        assignee, team = rnd.choice(desk_people), self.teams[0]
        entries: list[dict[str, Any]] = []

        def entry(
            kind: EntryKind,
            at: datetime,
            body: str,
            details: dict[str, Any] | None = None,
            *,
            author: int | None = None,
            pinned: bool = False,
        ) -> None:
            # Nothing is logged after "now": a step drawn to come later is happening just now.
            at = min(at, self.now)
            entries.append(
                {
                    "kind": kind.value,
                    "body": body,
                    "details": json.dumps(details or {}, ensure_ascii=False),
                    "author": author or assignee,
                    "occurred_at": at,
                    "recorded_at": min(self.now, at + timedelta(seconds=rnd.randint(5, 600))),
                    "pinned": pinned,
                }
            )

        entry(
            EntryKind.STATUS_CHANGE,
            reported_at,
            "Incident logged",
            {"to": "logged"},
            author=reporter,
        )
        stage = list(OPEN_STATUS_WEIGHTS).index(status) if status in OPEN_STATUS_WEIGHTS else 99
        milestones: dict[str, Any] = {}
        if stage >= 1 and acknowledged < self.now:
            milestones["acknowledged_at"] = acknowledged
            entry(
                EntryKind.NOTE,
                acknowledged,
                f"Looking into it. {self._fill(rnd.choice(DESCRIPTIONS), service_name)}",
            )
        if stage >= 2 and severity <= Severity.SEV4 and rnd.random() < 0.7:
            escalation = EscalationLevel.L2 if rnd.random() < 0.75 else EscalationLevel.L3
            escalated_at = acknowledged + self._minutes(ack_median * 2)
            team = self.teams[owner_team]
            previous, assignee = assignee, rnd.choice(owner_people)
            entry(
                EntryKind.ESCALATION,
                escalated_at,
                f"Escalated to {TEAMS[owner_team][0]}: needs someone who knows {service_name}.",
                {
                    "from_team": TEAMS[0][0],
                    "to_team": TEAMS[owner_team][0],
                    "level": escalation.value,
                },
                author=previous,
                pinned=severity.is_major,
            )
            if severity.is_major:
                entry(
                    EntryKind.COMMUNICATION,
                    escalated_at + timedelta(minutes=3),
                    self._fill(UPDATES[0], service_name),
                    {"audience": Audience.EXTERNAL.value, "channel": Channel.STATUS_PAGE.value},
                )
            entry(
                EntryKind.FINDING,
                escalated_at + self._minutes(recover_median / 3),
                self._fill(rnd.choice(FINDINGS), service_name),
                pinned=severity.is_major,
            )
        if stage >= 3:
            milestones["recovered_at"] = min(recovered, self.now)
            entry(
                EntryKind.ACTION_TAKEN,
                milestones["recovered_at"],
                self._fill(rnd.choice(ACTIONS), service_name),
                pinned=severity.is_major,
            )
            entry(
                EntryKind.STATUS_CHANGE,
                milestones["recovered_at"],
                "Recovered: customer impact over",
                {"to": "recovered"},
            )
            if severity <= Severity.SEV3:
                entry(
                    EntryKind.COMMUNICATION,
                    milestones["recovered_at"] + timedelta(minutes=5),
                    self._fill(UPDATES[3], service_name),
                    {
                        "audience": (
                            Audience.EXTERNAL if severity.is_major else Audience.INTERNAL
                        ).value,
                        "channel": (
                            Channel.STATUS_PAGE if severity.is_major else Channel.CHAT
                        ).value,
                    },
                )
        if stage >= 4 and severity.is_major:
            milestones["postmortem_at"] = min(recovered + timedelta(hours=2), self.now)
        if status is Status.CLOSED:
            milestones["closed_at"] = min(closed, self.now)
            entry(EntryKind.STATUS_CHANGE, closed, "Closed", {"to": "closed"})
        cancel_reason = ""
        if status is Status.CANCELLED:
            cancelled_at = min(reported_at + self._minutes(30), self.now)
            milestones["cancelled_at"] = cancelled_at
            cancel_reason = rnd.choice(
                ("False alarm: the check itself was broken", "Duplicate report")
            )
            entry(
                EntryKind.STATUS_CHANGE,
                cancelled_at,
                f"Cancelled: {cancel_reason}",
                {"to": "cancelled"},
            )
        title = self._fill(rnd.choice(TITLES[category]), service_name)
        row = {
            "number": number,
            "title": title,
            "description": self._fill(rnd.choice(DESCRIPTIONS), service_name),
            "source_kind": source_kind.value,
            "source_name": source_name
            or ("" if source_kind is SourceKind.EMPLOYEE else "Customer call"),
            "source_contact": "",
            "reported_by": reporter,
            "reported_at": reported_at,
            "created_at": reported_at + timedelta(seconds=rnd.randint(20, 300)),
            "updated_at": max(entry_row["occurred_at"] for entry_row in entries),
            "service": service_id,
            "category": self.categories[category],
            "impact_scope": SCOPE_BY_SEVERITY[severity].value,
            "impact_financial": category in ("Outage", "Degradation") and severity.is_major,
            "impact_security": category == "Security",
            "impact_compliance": category == "Security" and severity.is_major,
            "severity": severity.value,
            "urgency": urgency.value,
            "priority": self.matrix.priority(severity, urgency).value,
            "status": status.value,
            "assignee": assignee,
            "team": team,
            "escalation_level": escalation.value,
            "chat_url": f"https://chat.example.com/channels/inc-{number}"
            if severity <= Severity.SEV3
            else "",
            "bridge_url": f"https://meet.example.com/inc-{number}" if severity.is_major else "",
            "ticket_url": "",
            "board_rank": board_rank_for(number),
            "cancel_reason": cancel_reason,
            "version": 1,
            **milestones,
        }
        return row, entries

    def run(self, count: int, progress: Progress | None) -> DemoSummary:
        self.ensure_catalog()
        self.matrix = SettingsService(self.store).priority_matrix()
        open_count = round(count * OPEN_FRACTION)
        done = 0
        while done < count:
            batch = min(BATCH_SIZE, count - done)
            with self.store.write():
                numbers = allocate_incident_numbers(batch)
                rows, timelines = [], []
                for offset, number in enumerate(numbers):
                    index = done + offset
                    reported_at = self._reported_at(index, count, open_count)
                    status = self._status(index, count, open_count)
                    row, entries = self.incident(number, reported_at, status)
                    rows.append(row)
                    timelines.append(entries)
                self._insert(rows, timelines)
            done += batch
            if progress:
                progress(done, count)
        return DemoSummary(count, open_count, self.entries, self.attachments)

    def _reported_at(self, index: int, count: int, open_count: int) -> datetime:
        """Oldest first, evenly spread with jitter: the resolved ones over the past two years,
        the open ones (the newest) over the last few days, as a live desk has them."""
        closed_count = count - open_count
        open_since = self.now - OPEN_WINDOW
        if index < closed_count:
            first, span, position, slots = (
                self.now - timedelta(days=HISTORY_DAYS),
                open_since - (self.now - timedelta(days=HISTORY_DAYS)),
                index,
                closed_count,
            )
        else:
            first, span, position, slots = (
                open_since,
                OPEN_WINDOW - timedelta(minutes=10),
                index - closed_count,
                open_count,
            )
        step = span / max(1, slots)
        return (
            first
            + step * position
            + timedelta(seconds=self.random.uniform(0, step.total_seconds()))
        )

    def _status(self, index: int, count: int, open_count: int) -> Status:
        if index >= count - open_count:
            return self.random.choices(
                list(OPEN_STATUS_WEIGHTS), weights=list(OPEN_STATUS_WEIGHTS.values())
            )[0]
        return Status.CANCELLED if self.random.random() < CANCELLED_FRACTION else Status.CLOSED

    def _insert(self, rows: list[dict[str, Any]], timelines: list[list[dict[str, Any]]]) -> None:
        bulk_insert(m.Incident, [{**_NO_MILESTONES, **row} for row in rows])
        ids = dict(
            m.Incident.select(m.Incident.number, m.Incident.id)
            .where(m.Incident.number.between(rows[0]["number"], rows[-1]["number"]))
            .tuples()
            .iterator()
        )
        entries, attachments = [], []
        for row, timeline in zip(rows, timelines, strict=True):
            incident_id = ids[row["number"]]
            for entry in timeline:
                entry["incident"] = incident_id
            entries.extend(timeline)
            if row["number"] % ATTACHMENT_EVERY == 0:
                sha, filename, media_type, size, text = self.random.choice(self.blobs)
                attachments.append(
                    {
                        "incident": incident_id,
                        "blob": sha,
                        "filename": filename,
                        "media_type": media_type,
                        "size": size,
                        "added_by": row["reported_by"],
                        "added_at": row["created_at"],
                        "text_content": text,
                    }
                )
        bulk_insert(m.TimelineEntry, [{"amends": None, **entry} for entry in entries])
        bulk_insert(m.Attachment, [{"entry": None, **attachment} for attachment in attachments])
        self.entries += len(entries)
        self.attachments += len(attachments)


_NO_MILESTONES: dict[str, Any] = dict.fromkeys(
    (
        "acknowledged_at",
        "recovered_at",
        "postmortem_at",
        "closed_at",
        "cancelled_at",
        "duplicate_of",
    )
)


def generate(
    store: Store,
    incidents: int,
    *,
    seed: int = 42,
    clock: Clock = utc_now,
    progress: Progress | None = None,
) -> DemoSummary:
    """Add ``incidents`` realistic incidents (5 % open, the newest) and the catalog they use."""
    if incidents < 0:
        raise ValueError("The number of incidents cannot be negative.")
    if incidents > MAX_INCIDENTS:
        raise ValueError(f"At most {MAX_INCIDENTS:,} demo incidents can be added at a time.")
    return _Generator(store, seed, clock()).run(incidents, progress)


def describe(summary: DemoSummary) -> str:
    return (
        f"Added {summary.incidents:,} incidents ({summary.open_incidents:,} open), "
        f"{summary.timeline_entries:,} timeline entries and {summary.attachments:,} attachments; "
        f"newest key {format_key(m.Counter.get(m.Counter.name == 'incident_number').value)}."
    )
