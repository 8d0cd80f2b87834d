"""The incident workspace: header with the SLA clocks, lifecycle steps, and the timeline,
details, attachments and postmortem of one incident, in a window of its own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QCloseEvent, QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QTabWidget,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from incidentdesk.domain.incident import Incident
from incidentdesk.domain.lifecycle import Step
from incidentdesk.domain.metrics import format_duration
from incidentdesk.domain.permissions import Permission
from incidentdesk.domain.sla import ClockState, SlaClock, sla_clock
from incidentdesk.services.attachments import (
    PARTLY_SEARCHABLE,
    AttachmentInfo,
    human_size,
    prepare_bytes,
)
from incidentdesk.services.catalog import NamedItem, Person
from incidentdesk.services.changes import Changed, ChangeKind, changed
from incidentdesk.services.desk import Desk
from incidentdesk.services.lifecycle import (
    EscalationSuggestion,
    StepOption,
    StepRequest,
)
from incidentdesk.ui.attachment_preview import AttachmentPreview
from incidentdesk.ui.changes import IncidentsChanged
from incidentdesk.ui.dialogs import DialogService
from incidentdesk.ui.exports import (
    ExportFormat,
    choose_export_path,
    export_file_name,
    export_in_background,
)
from incidentdesk.ui.failures import error_text
from incidentdesk.ui.milestone_dialog import MilestoneDialog
from incidentdesk.ui.postmortem_panel import PostmortemPanel
from incidentdesk.ui.save_ids import SaveIds
from incidentdesk.ui.step_dialog import StepDialog
from incidentdesk.ui.tasks import TaskRunner
from incidentdesk.ui.theme import severity_colours
from incidentdesk.ui.timeline_view import TimelinePanel

CLOCK_REFRESH_MS = 30_000
CLOCK_STYLES = {
    ClockState.RUNNING: "",
    ClockState.MET: "",
    ClockState.WARNING: "font-weight: bold; color: #b26a00;",
    ClockState.BREACHED: "font-weight: bold; color: #c62828;",
    ClockState.MISSED: "color: #c62828;",
}


@dataclass(frozen=True)
class WorkspaceData:
    incident: Incident
    options: list[StepOption]
    targets: dict[str, dict[str, int]]
    attachments: list[AttachmentInfo]
    correction: Permission  # whether the viewer may correct milestone times, or why not


def load_workspace(desk: Desk, incident_id: int) -> WorkspaceData:
    """Runs on a worker thread."""
    return WorkspaceData(
        desk.incidents.get(incident_id),
        desk.lifecycle.options(incident_id),
        desk.settings.sla_targets(),
        desk.attachments.for_incident(incident_id),
        desk.lifecycle.may_correct_milestones(desk.actor_id),
    )


def sla_clocks(
    incident: Incident, targets: dict[str, dict[str, int]], now: datetime
) -> list[SlaClock]:
    target = targets.get(incident.draft.severity.label, {})
    reported = incident.draft.reported_at
    clocks = []
    for name, reached in (
        ("acknowledge", incident.milestones.acknowledged_at),
        ("recover", incident.milestones.recovered_at),
    ):
        minutes = target.get(f"{name}_minutes")
        if minutes is not None:
            clocks.append(sla_clock(name, reported, reached, timedelta(minutes=minutes), now))
    return clocks


class IncidentWorkspace(QWidget):
    """A top-level window for one incident. It shows each change this program saves to the
    incident, from this window or any other (the change stream of ``ui/changes.py``)."""

    edit_requested = Signal(int)
    loaded = Signal()
    exported = Signal(str)  # the file written

    def __init__(
        self,
        desk: Desk,
        runner: TaskRunner,
        dialogs: DialogService,
        incident_id: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self._desk, self._runner, self._dialogs = desk, runner, dialogs
        self.incident_id = incident_id
        self.data: WorkspaceData | None = None
        self._save_ids = SaveIds()  # a step taken again after a lost reply is applied once
        self.resize(1100, 800)
        self.setWindowTitle("Incident")

        facts_row = self._build_header()
        self._build_steps()
        self._build_tabs(runner, dialogs, incident_id)

        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addLayout(facts_row)
        layout.addLayout(self.steps_row)
        layout.addWidget(self.tabs, 1)
        QShortcut(QKeySequence.StandardKey.Refresh, self, self.refresh)
        QShortcut(QKeySequence.StandardKey.Close, self, self.close)
        self._clock_timer = QTimer(self)
        self._clock_timer.setInterval(CLOCK_REFRESH_MS)
        self._clock_timer.timeout.connect(self._show_clocks)
        self._clock_timer.start()
        runner.changes.incidents_changed.connect(self._incidents_changed)
        self._load()  # the timeline started reading its entries as it was built

    def _build_header(self) -> QHBoxLayout:
        """The key and title, the severity, the facts and the SLA clocks."""
        self.heading = QLabel()
        self.heading.setAccessibleName("Incident")
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.heading.setWordWrap(True)
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.heading.setFont(font)
        self.severity_badge = QLabel()
        self.severity_badge.setAccessibleName("Severity")
        self.facts = QLabel()
        self.facts.setAccessibleName("Status, priority, assignee, team and escalation level")
        self.facts.setWordWrap(True)
        self.clock_labels = [QLabel(), QLabel()]
        for label in self.clock_labels:
            label.setAccessibleName("SLA clock")
        facts_row = QHBoxLayout()
        facts_row.addWidget(self.severity_badge)
        facts_row.addWidget(self.facts, 1)
        for label in self.clock_labels:
            facts_row.addWidget(label)
        return facts_row

    def _build_steps(self) -> None:
        """The lifecycle steps and the incident's links, edit and export."""
        self.steps_row = QHBoxLayout()
        self.step_buttons: dict[Step, QPushButton] = {}
        for step in Step:
            button = QPushButton(step.label)
            button.clicked.connect(lambda _=False, step=step: self.take_step(step))
            button.hide()
            self.step_buttons[step] = button
            self.steps_row.addWidget(button)
        self.steps_row.addStretch()
        self.chat_button = QPushButton("Open C&hat Channel")
        self.chat_button.clicked.connect(lambda: self._open_link("chat"))
        self.bridge_button = QPushButton("Join &Bridge")
        self.bridge_button.clicked.connect(lambda: self._open_link("bridge"))
        self.correct_button = QPushButton("Correct &Times…")
        self.correct_button.clicked.connect(self.correct_times)
        self.correct_button.hide()
        self.steps_row.addWidget(self.correct_button)
        self.edit_button = QPushButton("&Edit Details…")
        self.edit_button.clicked.connect(lambda: self.edit_requested.emit(self.incident_id))
        self.export_button = QToolButton()
        self.export_button.setText("E&xport")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        export_menu = QMenu(self.export_button)
        for export_format in ExportFormat:
            export_menu.addAction(
                f"Incident as {export_format.label}…", partial(self.export, export_format)
            )
        self.export_button.setMenu(export_menu)
        buttons: list[QWidget] = [
            self.chat_button,
            self.bridge_button,
            self.edit_button,
            self.export_button,
        ]
        for widget in buttons:
            self.steps_row.addWidget(widget)

    def _build_tabs(self, runner: TaskRunner, dialogs: DialogService, incident_id: int) -> None:
        self.timeline = TimelinePanel(runner, dialogs, incident_id)
        self.details = QTextBrowser()
        self.details.setAccessibleName("Incident details")
        self.details.setOpenExternalLinks(True)
        self.attachments = QListWidget()
        self.attachments.setAccessibleName("Attachments")
        self.attachments.itemActivated.connect(self._preview_attachment)
        save_attachment = QPushButton("&Save a Copy…")
        save_attachment.clicked.connect(self._save_attachment)
        attachments_page = QWidget()
        attachments_layout = QVBoxLayout(attachments_page)
        attachments_layout.addWidget(self.attachments)
        attachments_layout.addWidget(save_attachment, 0, Qt.AlignmentFlag.AlignLeft)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.timeline, "&Timeline")
        self.tabs.addTab(self.details, "&Details")
        self._details_stale = True
        self.tabs.currentChanged.connect(lambda _: self._show_details())
        self.tabs.addTab(attachments_page, "Attach&ments")
        # Built when first shown: its editors and tables would slow every workspace's opening.
        self.postmortem: PostmortemPanel | None = None
        self._postmortem_page = QWidget()
        self._postmortem_layout = QVBoxLayout(self._postmortem_page)
        self._postmortem_layout.setContentsMargins(0, 0, 0, 0)
        self.tabs.addTab(self._postmortem_page, "P&ostmortem")
        self.tabs.currentChanged.connect(lambda _: self._show_postmortem())

    def _show_postmortem(self) -> None:
        if self.postmortem is None and self.tabs.currentWidget() is self._postmortem_page:
            self.postmortem = self._postmortem_panel()
            self._postmortem_layout.addWidget(self.postmortem)

    def _postmortem_panel(self) -> PostmortemPanel:
        return PostmortemPanel(self._runner, self._dialogs, self.incident_id)

    # Loading

    def refresh(self) -> None:
        self.timeline.refresh()  # first: the log is what a responder reads first
        self._load()

    def _load(self) -> None:
        """Read the incident, its SLA clocks and steps, and its postmortem."""
        incident_id = self.incident_id
        self._runner.read(
            self,
            lambda desk: load_workspace(desk, incident_id),
            self._loaded,
            self._failed,
            supersede="workspace",
        )
        if self.postmortem is not None:
            self.postmortem.refresh()

    def _incidents_changed(self, change: IncidentsChanged) -> None:
        if change.concerns(self._desk, self.incident_id):
            self.refresh()

    def _failed(self, error: Exception) -> None:
        self.facts.setText(
            f"The incident could not be loaded: {error_text(error)} Press F5 to try again."
        )

    def _loaded(self, data: WorkspaceData) -> None:
        self.data = data
        incident = data.incident
        self.setWindowTitle(f"{incident.key}: {incident.title}")
        self.heading.setText(f"{incident.key} · {incident.title}")
        severity = incident.draft.severity
        background, text = severity_colours(severity)
        self.severity_badge.setText(f" {severity.label} ")
        self.severity_badge.setToolTip(severity.description)
        self.severity_badge.setStyleSheet(
            f"background: {background.name()}; color: {text.name()}; font-weight: bold;"
            "border-radius: 3px; padding: 2px 6px;"
        )
        age = format_duration(datetime.now(UTC) - incident.draft.reported_at)
        self.facts.setText(
            "  ·  ".join(
                [
                    incident.status.label,
                    incident.priority.label,
                    f"assignee {incident.assignee_name or 'nobody'}",
                    f"team {incident.team_name or 'none'}",
                    f"escalation {incident.draft.escalation_level.label}",
                    f"reported {age} ago",
                ]
            )
        )
        self._show_clocks()
        self._show_steps(data.options)
        self.correct_button.show()
        self.correct_button.setEnabled(data.correction.allowed)
        self.correct_button.setToolTip(
            "Correct when a milestone happened; it is logged"
            if data.correction.allowed
            else data.correction.reason
        )
        self.chat_button.setEnabled(bool(incident.draft.links.chat))
        self.bridge_button.setEnabled(bool(incident.draft.links.bridge))
        self.timeline.set_incident(incident)
        self.attachments.clear()
        for info in data.attachments:
            label = f"{info.filename} · {human_size(info.size)} · {info.media_type}"
            if info.partly_indexed:
                label += f" · {PARTLY_SEARCHABLE}"
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, info)
            self.attachments.addItem(item)
        self.tabs.setTabText(2, f"Attach&ments ({len(data.attachments)})")
        self._details_stale = True
        self._show_details()
        self.loaded.emit()

    def _show_details(self) -> None:
        """The Details tab is rendered when it is looked at, and without the timeline, which
        has its own tab."""
        if not self._details_stale or self.tabs.currentWidget() is not self.details:
            return
        self._details_stale = False
        incident_id = self.incident_id
        self._runner.read(
            self,
            lambda desk: desk.reports.incident_markdown(incident_id, with_timeline=False),
            self.details.setMarkdown,
            lambda error: self.details.setMarkdown(
                f"The details could not be read: {error_text(error)} Press F5 to try again."
            ),
            supersede="details",
        )

    def _show_clocks(self) -> None:
        if self.data is None:
            return
        clocks = sla_clocks(self.data.incident, self.data.targets, datetime.now(UTC))
        open_incident = self.data.incident.status.is_open
        for label, clock in zip(self.clock_labels, clocks, strict=False):
            label.setText(clock.text)
            label.setStyleSheet(CLOCK_STYLES[clock.state] if open_incident else "")
            label.setVisible(open_incident or clock.state in (ClockState.MET, ClockState.MISSED))

    def _show_steps(self, options: list[StepOption]) -> None:
        for option in options:
            button = self.step_buttons[option.step]
            # Close stays visible when blocked, so the reason (e.g. the postmortem) can be read.
            blocked_close = option.step is Step.CLOSE and "postmortem" in option.reason
            button.setVisible(option.allowed or blocked_close)
            button.setEnabled(option.allowed)
            button.setToolTip(option.reason if not option.allowed else "")
            button.setAccessibleDescription(option.reason)

    # Steps

    def take_step(self, step: Step) -> None:
        if self.data is None:
            return
        option = next(option for option in self.data.options if option.step is step)
        if not option.allowed:
            self._dialogs.warn(self, f"Cannot {step.label}", option.reason)
            return
        incident_id = self.incident_id
        self._runner.read(
            self,
            lambda desk: (
                desk.catalog.teams(),
                desk.catalog.people(),
                desk.lifecycle.suggest_escalation(incident_id) if step is Step.ESCALATE else None,
            ),
            lambda loaded: self._ask_step(step, *loaded),
            self._step_failed,
        )

    def _ask_step(
        self,
        step: Step,
        teams: list[NamedItem],
        people: list[Person],
        suggestion: EscalationSuggestion | None,
    ) -> None:
        assert self.data is not None
        dialog = StepDialog(step, self.data.incident.key, teams, people, suggestion, self)
        self.step_dialog = dialog
        dialog.accepted.connect(lambda: self._submit_step(dialog.request()))
        dialog.open()

    def _submit_step(self, request: StepRequest) -> None:
        incident_id = self.incident_id
        # Not keyed on the version shown: by the time the person sends the step again, once
        # connected, the workspace has reloaded what its first sending did.
        write_id = self._save_ids.for_attempt((incident_id, request), what="step")
        self._runner.write(
            self,
            lambda desk: changed(
                desk.lifecycle.take(incident_id, request, desk.actor_id, write_id=write_id),
                [incident_id],
                ChangeKind.UPDATED,
                ChangeKind.TIMELINE,
            ),
            # The same step later is another one; the change stream refreshes this window.
            lambda _: self._save_ids.saved(write_id),
            self._step_failed,
        )

    def _step_failed(self, error: Exception) -> None:
        self._dialogs.warn_failure(self, "Not Done", error_text(error), error)
        self.refresh()

    def export(self, export_format: ExportFormat, path: Path | None = None) -> None:
        """The incident (details, full timeline, list of attachments) to a file."""
        if self.data is None:
            return
        key = self.data.incident.key
        path = path or choose_export_path(
            self, "Export Incident", export_file_name(key, "incident", export_format), export_format
        )
        if path is None:
            return
        incident_id = self.incident_id
        export_in_background(
            self._runner,
            self,
            lambda desk: desk.reports.incident_markdown(incident_id),
            path,
            f"{key}: {self.data.incident.title}",
            export_format,
            lambda written: self.exported.emit(str(written)),
            lambda error: self._dialogs.warn_failure(
                self, "Not Exported", f"{path} was not written: {error_text(error)}", error
            ),
        )

    def correct_times(self) -> None:
        if self.data is None:
            return
        dialog = MilestoneDialog(self.data.incident, self)
        self.milestone_dialog = dialog
        dialog.accepted.connect(
            lambda: self._submit_corrections(dialog.corrections(), dialog.reason.text())
        )
        dialog.open()

    def _submit_corrections(self, corrections: dict[str, datetime], reason: str) -> None:
        incident_id = self.incident_id
        assert self.data is not None
        shown = self.data.incident.milestones  # a correction made meanwhile is not put back
        write_id = self._save_ids.for_attempt(
            (incident_id, sorted(corrections.items()), reason), what="corrections"
        )

        def correct_all(desk: Desk) -> Changed[None]:
            for milestone, moment in corrections.items():
                desk.lifecycle.correct_milestone(
                    incident_id,
                    milestone,
                    moment,
                    desk.actor_id,
                    reason,
                    was=getattr(shown, milestone),
                    # One save per milestone: sent again, those applied already are skipped.
                    write_id=f"{write_id}:{milestone}",
                )
            return changed(None, [incident_id], ChangeKind.UPDATED, ChangeKind.TIMELINE)

        self._runner.write(
            self, correct_all, lambda _: self._save_ids.saved(write_id), self._step_failed
        )

    # Links and attachments

    def _open_link(self, which: str) -> None:
        if self.data is None:
            return
        url = getattr(self.data.incident.draft.links, which)
        if url:
            QDesktopServices.openUrl(QUrl(url))

    def _selected_attachment(self) -> AttachmentInfo | None:
        item = self.attachments.currentItem()
        info: AttachmentInfo | None = (
            item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        )
        return info

    def _preview_attachment(self) -> None:
        info = self._selected_attachment()
        if info is None:
            return
        self._runner.read(
            self,
            lambda desk: prepare_bytes(
                info.filename, desk.attachments.content(info.id), info.media_type
            ),
            lambda file: AttachmentPreview(file, self).open(),
            lambda error: self._dialogs.warn_failure(
                self, "No Preview", f"{info.filename} could not be read: {error_text(error)}", error
            ),
        )

    def _save_attachment(self) -> None:
        info = self._selected_attachment()
        if info is None:
            self._dialogs.inform(self, "Save a Copy", "Select an attachment first.")
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save a Copy", info.filename)
        if not path:
            return
        runner = self._runner

        def not_saved(error: Exception) -> None:
            self._dialogs.warn_failure(
                self, "Not Saved", f"{path} was not written: {error_text(error)}", error
            )

        runner.read(
            self,
            lambda desk: desk.attachments.content(info.id),
            lambda content: runner.files(
                self, lambda: Path(path).write_bytes(content), lambda _: None, not_saved
            ),
            not_saved,
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        self._clock_timer.stop()
        super().closeEvent(event)
