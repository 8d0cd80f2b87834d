"""An incident and its postmortem as Markdown, from the templates in resources/templates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from string import Template

from incidentdesk import paths
from incidentdesk.domain.metrics import format_duration, time_to_recover
from incidentdesk.domain.timeline import TimelineEntry
from incidentdesk.services.attachments import AttachmentService, human_size
from incidentdesk.services.incidents import IncidentService
from incidentdesk.services.postmortems import SECTION_LABELS, PostmortemService
from incidentdesk.services.timeline import TimelineService

NOT_YET = "—"


def _template(name: str) -> Template:
    return Template(paths.resource("templates", name).read_text(encoding="utf-8"))


def _cell(text: str) -> str:
    """A value for a table cell: a pipe in it would end the cell and cut the row short."""
    return text.replace("|", "\\|")


def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else NOT_YET


def _timeline(entries: list[TimelineEntry]) -> str:
    """The entries as a list; a correction says which entry it corrects, and an entry corrected
    later says so, as the timeline view does (the log is append-only: both stay)."""
    if not entries:
        return "_No entries._"
    by_id = {entry.id: entry for entry in entries}
    corrected = {entry.amends_id for entry in entries if entry.amends_id is not None}
    lines = []
    for entry in entries:
        body = entry.body.replace("\n", "\n  ")
        author = f" · {entry.author_name}" if entry.author_name else ""
        marks = ""
        if entry.amends_id is not None:
            original = by_id.get(entry.amends_id)
            of = f" of the entry of {_when(original.occurred_at)}" if original else ""
            marks += f" · **correction**{of}"
        if entry.id in corrected:
            marks += " · _corrected later_"
        lines.append(
            f"- **{_when(entry.occurred_at)}** · {entry.kind.label}{author}{marks}: {body}"
        )
    return "\n".join(lines)


class ReportService:
    def __init__(
        self,
        incidents: IncidentService,
        timeline: TimelineService,
        attachments: AttachmentService,
        postmortems: PostmortemService,
    ) -> None:
        self._incidents = incidents
        self._timeline = timeline
        self._attachments = attachments
        self._postmortems = postmortems

    def incident_markdown(self, incident_id: int, *, with_timeline: bool = True) -> str:
        """The incident as a document; without the timeline for a quick look at the details
        (thousands of entries take seconds to lay out as rich text)."""
        incident = self._incidents.get(incident_id)
        draft = incident.draft
        files = self._attachments.for_incident(incident_id)
        source = draft.source_kind.label + (f": {draft.source_name}" if draft.source_name else "")
        return _template("incident.md").safe_substitute(
            key=incident.key,
            title=incident.title,
            status=incident.status.label,
            severity=f"{draft.severity.label} ({draft.severity.description})",
            priority=incident.priority.label,
            service=_cell(incident.service_name) or NOT_YET,
            category=_cell(incident.category_name) or NOT_YET,
            team=_cell(incident.team_name) or NOT_YET,
            assignee=_cell(incident.assignee_name) or NOT_YET,
            source=_cell(source),
            reported_at=_when(draft.reported_at),
            acknowledged_at=_when(incident.milestones.acknowledged_at),
            recovered_at=_when(incident.milestones.recovered_at),
            closed_at=_when(incident.milestones.closed_at),
            description=draft.description.strip() or "_No description._",
            timeline=(
                _timeline(self._timeline.entries(incident_id))
                if with_timeline
                else "_See the Timeline tab._"
            ),
            attachments="\n".join(
                f"- {file.filename} ({human_size(file.size)}, {file.media_type})" for file in files
            )
            or "_None._",
        )

    def postmortem_markdown(self, incident_id: int, today: date | None = None) -> str:
        incident = self._incidents.get(incident_id)
        postmortem = self._postmortems.get(incident_id)
        if postmortem is None:
            raise LookupError(f"{incident.key} has no postmortem yet.")
        today = today or datetime.now(UTC).date()
        recover = time_to_recover(incident.draft.reported_at, incident.milestones)
        sections = {
            name: getattr(postmortem.text, name).strip() or "_Not written yet._"
            for name in SECTION_LABELS
        }
        items = [
            f"- [{'x' if item.status.value == 'done' else ' '}] **{item.kind.label}**: {item.title}"
            f" — {item.owner_name or 'no owner'}"
            f", due {item.due_on.isoformat() if item.due_on else 'no date'}"
            f", {item.status.label.lower()}" + (" (**overdue**)" if item.is_overdue(today) else "")
            for item in postmortem.action_items
        ]
        if postmortem.waiver_reason:
            items.append(
                f"\n_Postmortem waived by {postmortem.waived_by_name}: {postmortem.waiver_reason}_"
            )
        return _template("postmortem.md").safe_substitute(
            key=incident.key,
            title=incident.title,
            severity=incident.draft.severity.label,
            service=_cell(incident.service_name) or NOT_YET,
            reported_at=_when(incident.draft.reported_at),
            recovered_at=_when(incident.milestones.recovered_at),
            time_to_recover=format_duration(recover) if recover else NOT_YET,
            status=incident.status.label,
            timeline=_timeline(postmortem.pinned),
            action_items="\n".join(items) or "_No action items yet._",
            **sections,
        )
