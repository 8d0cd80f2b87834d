"""Exporting incidents to CSV or JSON for spreadsheets and other tools."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any, TextIO

import peewee as pw

from incidentdesk.domain.enums import Status, Urgency
from incidentdesk.domain.keys import format_key
from incidentdesk.storage import models as m
from incidentdesk.storage.database import Store

EXPORT_FORMATS = ("csv", "json")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = (
    "key",
    "title",
    "status",
    "severity",
    "urgency",
    "priority",
    "service",
    "category",
    "team",
    "assignee",
    "source_kind",
    "source_name",
    "reported_at",
    "acknowledged_at",
    "recovered_at",
    "closed_at",
    "cancelled_at",
)


def _records(open_only: bool) -> Iterator[dict[str, Any]]:
    assignee = m.User.alias("assignee")
    query = (
        m.Incident.select(
            m.Incident.number,
            m.Incident.title,
            m.Incident.status,
            m.Incident.severity,
            m.Incident.urgency,
            m.Incident.priority,
            m.Service.name,
            m.Category.name,
            m.Team.name,
            assignee.name,
            m.Incident.source_kind,
            m.Incident.source_name,
            m.Incident.reported_at,
            m.Incident.acknowledged_at,
            m.Incident.recovered_at,
            m.Incident.closed_at,
            m.Incident.cancelled_at,
        )
        .join_from(m.Incident, m.Service, pw.JOIN.LEFT_OUTER)
        .join_from(m.Incident, m.Category, pw.JOIN.LEFT_OUTER)
        .join_from(m.Incident, m.Team, pw.JOIN.LEFT_OUTER)
        .join_from(m.Incident, assignee, pw.JOIN.LEFT_OUTER, on=m.Incident.assignee == assignee.id)
        .order_by(m.Incident.number)
    )
    if open_only:
        query = query.where(m.Incident.status.not_in([Status.CLOSED.value, Status.CANCELLED.value]))
    for row in query.tuples().iterator():
        record = dict(zip(COLUMNS, row, strict=True))
        record["key"] = format_key(record["key"])
        record["severity"] = f"SEV{record['severity']}"
        record["priority"] = f"P{record['priority']}"
        record["urgency"] = Urgency(record["urgency"]).name.lower()  # named, as status is
        for name in ("reported_at", "acknowledged_at", "recovered_at", "closed_at", "cancelled_at"):
            value = m.Incident._meta.fields[name].python_value(record[name])
            record[name] = value.isoformat() if value else ""
        yield {name: "" if value is None else value for name, value in record.items()}


def _defused(value: object) -> object:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return f"'{value}"
    return value


def export_incidents(
    store: Store, output: TextIO, export_format: str, *, open_only: bool = False
) -> int:
    """Write every incident of ``store`` (or only the open ones) to ``output``; returns how
    many."""
    if export_format not in EXPORT_FORMATS:
        raise ValueError(f"Unknown export format '{export_format}'; use csv or json.")
    with store.bound():
        return _write(output, export_format, open_only=open_only)


def _write(output: TextIO, export_format: str, *, open_only: bool) -> int:
    count = 0
    if export_format == "csv":
        writer = csv.DictWriter(output, fieldnames=COLUMNS)
        writer.writeheader()
        for record in _records(open_only):
            writer.writerow({name: _defused(value) for name, value in record.items()})
            count += 1
        return count
    output.write("[")
    for record in _records(open_only):
        output.write(",\n " if count else "\n ")
        json.dump(record, output, ensure_ascii=False)
        count += 1
    output.write("\n]\n")
    return count
