"""The rules the team-wide settings must meet, each failure naming its field."""

from __future__ import annotations

from collections.abc import Mapping

from incidentdesk.domain.enums import Priority, Severity, Urgency
from incidentdesk.domain.validation import FieldError

ATTACHMENT_LIMIT_MIN_BYTES = 64 * 1024
ATTACHMENT_LIMIT_MAX_BYTES = 2 * 1024 * 1024 * 1024
# The three clocks of each severity, in the order an incident reaches them.
SLA_CLOCKS: tuple[tuple[str, str], ...] = (
    ("acknowledge_minutes", "acknowledge"),
    ("recover_minutes", "recover"),
    ("resolve_minutes", "resolve"),
)
SLA_MAX_MINUTES = 366 * 24 * 60
MONITORING_SOURCES_MAX = 100
SOURCE_NAME_MAX_LENGTH = 200

Cells = Mapping[tuple[Severity, Urgency], int]


def matrix_field(severity: Severity, urgency: Urgency) -> str:
    return f"priority_matrix.{severity.label}/{urgency.name}"


def attachment_limit_errors(limit: int) -> list[FieldError]:
    if ATTACHMENT_LIMIT_MIN_BYTES <= limit <= ATTACHMENT_LIMIT_MAX_BYTES:
        return []
    return [
        FieldError(
            "attachment_max_bytes",
            "Attachment size limit: choose from 64 KB to 2 GB "
            f"(it was {limit / (1024 * 1024):,.2f} MB).",
        )
    ]


def priority_matrix_errors(cells: Cells) -> list[FieldError]:
    """Every cell holds a priority from P1 to P5, and a cell is never more pressing than the
    one above it (a worse severity) or to its left (a higher urgency): otherwise a milder
    incident would be worked on before a worse one."""
    errors = []
    valid = {priority.value for priority in Priority}
    for severity in Severity:
        for urgency in Urgency:
            where = f"Priority matrix, {severity.label} × {urgency.label}"
            value = cells.get((severity, urgency))
            if value not in valid:
                shown = "nothing" if value is None else repr(value)
                errors.append(
                    FieldError(
                        matrix_field(severity, urgency),
                        f"{where}: choose a priority from P1 to P5 (it was {shown}).",
                    )
                )
                continue
            assert value is not None
            worse = cells.get((Severity(severity - 1), urgency)) if severity > 1 else None
            if worse in valid and worse is not None and value < worse:
                errors.append(
                    FieldError(
                        matrix_field(severity, urgency),
                        f"{where}: P{value} would come before P{worse} of the worse severity "
                        f"{Severity(severity - 1).label}; make it P{worse} or lower.",
                    )
                )
                continue
            higher = cells.get((severity, Urgency(urgency - 1))) if urgency > 1 else None
            if higher in valid and higher is not None and value < higher:
                errors.append(
                    FieldError(
                        matrix_field(severity, urgency),
                        f"{where}: P{value} would come before P{higher} of the higher urgency "
                        f"{Urgency(urgency - 1).label}; make it P{higher} or lower.",
                    )
                )
    return errors


def sla_target_errors(targets: Mapping[str, Mapping[str, int]]) -> list[FieldError]:
    """Each severity has the three targets, each a whole number of minutes from 1 minute to a
    year, and they come in order: acknowledge, then recover, then resolve."""
    errors = []
    for severity in Severity:
        minutes = targets.get(severity.label, {})
        previous: tuple[str, int] | None = None
        for key, label in SLA_CLOCKS:
            field = f"sla_targets.{severity.label}.{key}"
            where = f"SLA targets, {severity.label} {label}"
            value = minutes.get(key)
            if not isinstance(value, int) or isinstance(value, bool):
                errors.append(FieldError(field, f"{where}: give a number of minutes."))
                previous = None
                continue
            if not 1 <= value <= SLA_MAX_MINUTES:
                errors.append(
                    FieldError(field, f"{where}: choose from 1 minute to a year (it was {value}).")
                )
                previous = None
                continue
            if previous is not None and value < previous[1]:
                errors.append(
                    FieldError(
                        field,
                        f"{where}: {value} min is sooner than {previous[0]} ({previous[1]} min); "
                        f"an incident is acknowledged, then recovered, then resolved.",
                    )
                )
            previous = (label, value)
    return errors


def monitoring_source_errors(names: list[str]) -> list[FieldError]:
    if len(names) > MONITORING_SOURCES_MAX:
        return [
            FieldError(
                "monitoring_sources",
                f"Monitoring sources: keep at most {MONITORING_SOURCES_MAX} in the list.",
            )
        ]
    for name in names:
        if not name.strip() or len(name) > SOURCE_NAME_MAX_LENGTH or "\n" in name:
            return [
                FieldError(
                    "monitoring_sources",
                    "Monitoring sources: each is one line of 1 to "
                    f"{SOURCE_NAME_MAX_LENGTH} characters.",
                )
            ]
    if len({name.casefold() for name in names}) < len(names):
        return [FieldError("monitoring_sources", "Monitoring sources: a name is listed twice.")]
    return []
