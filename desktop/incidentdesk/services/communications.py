"""Status updates for stakeholders: templates for the usual messages, and entries as text
to paste into chat or mail."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from incidentdesk.domain.enums import EntryKind
from incidentdesk.domain.incident import Incident
from incidentdesk.domain.timeline import TimelineEntry


@dataclass(frozen=True)
class UpdateTemplate:
    name: str
    text: str


# The four updates a status page usually goes through (Atlassian Statuspage's wording).
TEMPLATES = (
    UpdateTemplate(
        "Investigating",
        "Investigating — {service}: we are investigating reports of {problem}. "
        "Next update by {next_update}. ({key})",
    ),
    UpdateTemplate(
        "Identified",
        "Identified — {service}: we have found the cause of {problem} and are working on a fix. "
        "Next update by {next_update}. ({key})",
    ),
    UpdateTemplate(
        "Monitoring",
        "Monitoring — {service}: a fix is in place and we are watching the results. "
        "Next update by {next_update}. ({key})",
    ),
    UpdateTemplate(
        "Resolved",
        "Resolved — {service}: the problem with {problem} is over and everything works normally "
        "again. We are sorry for the disruption. ({key})",
    ),
)
NEXT_UPDATE_MINUTES = 30


def _in_sentence(title: str) -> str:
    """The title as it reads inside a sentence: "Checkout down" → "checkout down", but an
    acronym or a name with capitals inside ("API", "EU", "PostgreSQL") keeps its spelling."""
    first_word = title.split(" ", 1)[0]
    if first_word[1:] != first_word[1:].lower():
        return title
    return title[:1].lower() + title[1:]


def fill_template(template: UpdateTemplate, incident: Incident, now: datetime) -> str:
    next_update = datetime.fromtimestamp(now.timestamp() + NEXT_UPDATE_MINUTES * 60, UTC)
    return template.text.format(
        service=incident.service_name or "our service",
        problem=_in_sentence(incident.title),
        next_update=next_update.strftime("%H:%M UTC"),
        key=incident.key,
    )


def _headline(entry: TimelineEntry, incident_key: str, log: Sequence[TimelineEntry]) -> str:
    when = _when(entry.occurred_at)
    kind = entry.kind.label
    if entry.kind is EntryKind.COMMUNICATION:
        audience = str(entry.details.get("audience", "")).capitalize()
        channel = str(entry.details.get("channel", "")).replace("_", " ")
        kind = f"{kind} ({audience}, {channel})" if audience else kind
    author = f" — {entry.author_name}" if entry.author_name else ""
    return f"{incident_key} · {when} · {kind}{author}{_correction_marks(entry, log)}"


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _correction_marks(entry: TimelineEntry, log: Sequence[TimelineEntry]) -> str:
    """Whether ``entry`` corrects another entry of ``log`` or was corrected by one: a copy
    pasted elsewhere must not pass an entry corrected later off as the last word."""
    marks = ""
    if entry.amends_id is not None:
        original = next((other for other in log if other.id == entry.amends_id), None)
        of = f" of the entry of {_when(original.occurred_at)}" if original else ""
        marks += f" · correction{of}"
    if any(other.amends_id == entry.id for other in log):
        marks += " · corrected later"
    return marks


def entry_as_text(
    entry: TimelineEntry, incident_key: str, log: Sequence[TimelineEntry] = ()
) -> str:
    """The entry for pasting into a chat or an email; ``log`` is the incident's timeline, for
    saying whether the entry corrects another or was corrected."""
    return f"{_headline(entry, incident_key, log)}\n{entry.body}"


def entry_as_markdown(
    entry: TimelineEntry, incident_key: str, log: Sequence[TimelineEntry] = ()
) -> str:
    """As ``entry_as_text``, in Markdown."""
    quoted = "\n".join(f"> {line}" if line else ">" for line in entry.body.splitlines())
    return f"**{_headline(entry, incident_key, log)}**\n\n{quoted or '>'}"
