"""The postmortem of one incident, as a section of the incident workspace: six sections of
Markdown saved with optimistic locking, the pinned timeline, action items, a lead's waiver,
and exports to Markdown and PDF. Every database read and write runs on the task runner."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from incidentdesk.domain.enums import ActionStatus, Severity, Status
from incidentdesk.domain.lifecycle import Step
from incidentdesk.domain.permissions import Permission
from incidentdesk.domain.timeline import TimelineEntry
from incidentdesk.domain.validation import ValidationFailed
from incidentdesk.services.catalog import Person
from incidentdesk.services.changes import Changed, ChangeKind, changed
from incidentdesk.services.desk import Desk
from incidentdesk.services.errors import NotAllowed
from incidentdesk.services.merge import merged_postmortem, postmortem_clashes
from incidentdesk.services.postmortems import (
    SECTION_LABELS,
    ActionItemChanged,
    ActionItemView,
    PostmortemChanged,
    PostmortemText,
    PostmortemView,
)
from incidentdesk.ui.action_items import (
    STATUS_BUTTON_TEXT,
    TITLE_COLUMN,
    ActionItemDialog,
    ActionItemTableModel,
)
from incidentdesk.ui.dialogs import DialogService
from incidentdesk.ui.exports import (
    ExportFormat,
    choose_export_path,
    export_file_name,
    export_in_background,
)
from incidentdesk.ui.failures import error_text
from incidentdesk.ui.merge_dialog import MergeDialog
from incidentdesk.ui.save_ids import SaveIds
from incidentdesk.ui.tasks import TaskRunner
from incidentdesk.ui.times import local_text

SECTION_TITLES = {
    "summary": "&Summary:",
    "impact": "&Impact:",
    "root_cause": "&Root cause:",
    "contributing_factors": "&Contributing factors:",
    "went_well": "What went w&ell:",
    "went_badly": "What went &badly:",
}
SECTION_PROMPTS = {
    "summary": "What happened, in two or three sentences.",
    "impact": "Who was affected, how badly and for how long.",
    "root_cause": "Why it happened: the cause that, once removed, stops it happening again.",
    "contributing_factors": "What made it more likely, worse or longer.",
    "went_well": "What helped: alerts, runbooks, people, tools.",
    "went_badly": "What slowed the response down or made it harder.",
}
PINNED_PREVIEW_LENGTH = 300
WAIVE_TIP = "Leads and admins can let a major incident close without a postmortem, saying why"
SAVE_AND_EXPORT = "Save, Then Export"
EXPORT_SAVED = "Export the Saved Version"
BANNER_STYLE = "padding: 6px; border-radius: 4px; background: palette(alternate-base);"


@dataclass(frozen=True)
class PostmortemContext:
    """Everything the panel shows, read together on the read thread."""

    key: str
    title: str
    severity: Severity
    status: Status
    postmortem: PostmortemView | None
    people: list[Person]
    waiver: Permission  # whether the viewer may waive it, or why not


def load_postmortem_context(desk: Desk, incident_id: int) -> PostmortemContext:
    incident = desk.incidents.get(incident_id)
    return PostmortemContext(
        key=incident.key,
        title=incident.title,
        severity=incident.draft.severity,
        status=incident.status,
        postmortem=desk.postmortems.get(incident_id),
        people=desk.catalog.people(),
        waiver=desk.postmortems.may_waive(desk.actor_id),
    )


def no_postmortem_text(context: PostmortemContext) -> str:
    start = f"“{Step.START_POSTMORTEM.label}”"
    if context.status in (Status.LOGGED, Status.TRIAGED, Status.INVESTIGATING):
        text = f"The postmortem starts once the incident has recovered, with the {start} step."
    elif context.status is Status.RECOVERED:
        text = f"There is no postmortem yet: start it with the {start} step."
    else:
        text = "This incident has no postmortem."
    if context.severity.is_major:
        text += (
            f" As a {context.severity.label} incident it needs one before it can close, "
            "unless a lead waives it."
        )
    return text


class WaiverDialog(QDialog):
    """Asks a lead why the postmortem is waived."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Waive Postmortem")
        explanation = QLabel(
            "A waiver lets a major incident close without a complete postmortem. Only leads "
            "and admins can waive one, and the reason stays in the incident's timeline."
        )
        explanation.setWordWrap(True)
        self.reason_edit = QPlainTextEdit()
        self.reason_edit.setAccessibleName("Reason for the waiver")
        self.reason_edit.setPlaceholderText("Why this incident needs no postmortem")
        self.reason_edit.setTabChangesFocus(True)
        reason_label = QLabel("&Reason:")
        reason_label.setBuddy(self.reason_edit)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.waive_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.waive_button.setText("&Waive")
        self.waive_button.setEnabled(False)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.reason_edit.textChanged.connect(
            lambda: self.waive_button.setEnabled(bool(self.reason().strip()))
        )
        layout = QVBoxLayout(self)
        layout.addWidget(explanation)
        layout.addWidget(reason_label)
        layout.addWidget(self.reason_edit)
        layout.addWidget(buttons)

    def reason(self) -> str:
        return self.reason_edit.toPlainText()


class PostmortemPanel(QWidget):
    """The postmortem part of the incident workspace, for one incident."""

    changed = Signal()  # a write succeeded: the workspace refreshes its header and timeline
    loaded = Signal()  # a refresh has arrived and is shown
    unsaved_changed = Signal(bool)  # whether some typed text is not saved yet
    exported = Signal(object)  # the Path of a finished export

    def __init__(
        self,
        runner: TaskRunner,
        dialogs: DialogService,
        incident_id: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._dialogs = dialogs
        self._incident_id = incident_id
        self._context: PostmortemContext | None = None
        # The stored text the editors started from, and its version: saving sends that
        # version, so a save over someone else's newer text is refused, not silently lost.
        self._baseline = PostmortemText()
        self._version: int | None = None
        self._unsaved: set[str] = set()
        self._saving = False
        self._save_ids = SaveIds()  # a save sent again after a lost reply is applied once
        self._selected_item_id: int | None = None
        self._shown_pinned: list[TimelineEntry] | None = None
        self.action_item_dialog: ActionItemDialog | None = None
        self.waiver_dialog: WaiverDialog | None = None
        self._build()
        self.refresh()

    # Building

    def _build(self) -> None:
        self.save_button = QPushButton("Sa&ve")
        shortcut_text = QKeySequence(QKeySequence.StandardKey.Save).toString(
            QKeySequence.SequenceFormat.NativeText
        )
        self.save_button.setToolTip(f"Save the postmortem ({shortcut_text})")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.save)
        self.unsaved_label = QLabel("● Unsaved changes")
        self.unsaved_label.setAccessibleName("Unsaved changes")
        self.unsaved_label.hide()
        self.status_label = QLabel()
        self.status_label.setAccessibleName("Postmortem status")
        self.status_label.setWordWrap(True)
        self.waive_button = QPushButton("&Waive Postmortem…")
        self.waive_button.setToolTip(WAIVE_TIP)
        self.waive_button.clicked.connect(self.waive)
        self.export_markdown_button = QPushButton("Export &Markdown…")
        self.export_markdown_button.clicked.connect(self.export_markdown)
        self.export_pdf_button = QPushButton("Export &PDF…")
        self.export_pdf_button.clicked.connect(self.export_pdf)
        toolbar = QHBoxLayout()
        toolbar.addWidget(self.save_button)
        toolbar.addWidget(self.unsaved_label)
        toolbar.addWidget(self.status_label, 1)
        toolbar.addWidget(self.waive_button)
        toolbar.addWidget(self.export_markdown_button)
        toolbar.addWidget(self.export_pdf_button)

        self.waiver_label = QLabel()
        self.waiver_label.setAccessibleName("Waiver")
        self.waiver_label.setTextFormat(Qt.TextFormat.PlainText)
        self.waiver_label.setWordWrap(True)
        self.waiver_label.setFrameShape(QFrame.Shape.StyledPanel)
        self.waiver_label.setStyleSheet(BANNER_STYLE)
        self.waiver_label.hide()

        self.empty_label = QLabel("Loading the postmortem…")
        self.empty_label.setAccessibleName("No postmortem")
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.content = QSplitter(Qt.Orientation.Horizontal)
        self.content.addWidget(self._build_sections())
        self.content.addWidget(self._build_side())
        self.content.setStretchFactor(0, 3)
        self.content.setStretchFactor(1, 2)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.empty_label)
        self.pages.addWidget(self.content)

        layout = QVBoxLayout(self)
        layout.addLayout(toolbar)
        layout.addWidget(self.waiver_label)
        layout.addWidget(self.pages, 1)
        self._show_buttons()
        save = QShortcut(QKeySequence.StandardKey.Save, self)
        # Several workspaces can be open, each with its own panel: Ctrl+S saves the one with
        # the focus.
        save.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        save.activated.connect(self.save)

    def _build_sections(self) -> QWidget:
        self.editors: dict[str, QPlainTextEdit] = {}
        sections = QWidget()
        layout = QVBoxLayout(sections)
        for name, title in SECTION_TITLES.items():
            editor = QPlainTextEdit()
            editor.setAccessibleName(SECTION_LABELS[name])
            editor.setAccessibleDescription(f"{SECTION_PROMPTS[name]} Markdown.")
            editor.setPlaceholderText(SECTION_PROMPTS[name])
            editor.setTabChangesFocus(True)
            editor.setMinimumHeight(90)
            editor.textChanged.connect(lambda name=name: self._section_edited(name))
            label = QLabel(title)
            label.setBuddy(editor)
            layout.addWidget(label)
            layout.addWidget(editor, 1)
            self.editors[name] = editor
        hint = QLabel("Markdown works: **bold**, `code`, lists with - or 1.")
        hint.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(hint)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(sections)
        return scroll

    def _build_side(self) -> QWidget:
        self.pinned_list = QListWidget()
        self.pinned_list.setAccessibleName("Pinned timeline")
        self.pinned_list.setWordWrap(True)
        self.pinned_list.setAlternatingRowColors(True)
        pinned_label = QLabel("Pinned &timeline, oldest first:")
        pinned_label.setBuddy(self.pinned_list)
        self.pinned_hint = QLabel()
        self.pinned_hint.setWordWrap(True)
        pinned = QWidget()
        pinned_layout = QVBoxLayout(pinned)
        pinned_layout.setContentsMargins(0, 0, 0, 0)
        pinned_layout.addWidget(pinned_label)
        pinned_layout.addWidget(self.pinned_list, 1)
        pinned_layout.addWidget(self.pinned_hint)

        self.action_items = ActionItemTableModel(self)
        self.action_table = QTableView()
        self.action_table.setModel(self.action_items)
        self.action_table.setAccessibleName("Action items")
        self.action_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.action_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.action_table.setTabKeyNavigation(False)  # Tab leaves the table, arrows move in it
        self.action_table.verticalHeader().hide()
        self.action_table.setWordWrap(False)  # long titles are elided; the tooltip has them
        header = self.action_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(TITLE_COLUMN, QHeaderView.ResizeMode.Stretch)
        self.action_table.selectionModel().selectionChanged.connect(self._selection_changed)
        actions_label = QLabel("Actio&n items:")
        actions_label.setBuddy(self.action_table)
        self.add_button = QPushButton("&Add Action Item…")
        self.add_button.clicked.connect(self.add_action_item)
        self.status_buttons: dict[ActionStatus, QPushButton] = {}
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addStretch()
        for status in ActionStatus:
            button = QPushButton(STATUS_BUTTON_TEXT[status])
            button.setAccessibleName(f"Mark the selected action item {status.label.lower()}")
            button.clicked.connect(lambda _=False, status=status: self.set_selected_status(status))
            buttons.addWidget(button)
            self.status_buttons[status] = button
        actions = QWidget()
        actions_layout = QVBoxLayout(actions)
        actions_layout.setContentsMargins(0, 0, 0, 0)
        actions_layout.addWidget(actions_label)
        actions_layout.addWidget(self.action_table, 1)
        actions_layout.addLayout(buttons)
        self._update_status_buttons()

        side = QSplitter(Qt.Orientation.Vertical)
        side.addWidget(pinned)
        side.addWidget(actions)
        return side

    # Loading

    def refresh(self) -> None:
        """Reload the postmortem in the background; text typed and not saved stays."""
        incident_id = self._incident_id
        self._runner.read(
            self,
            lambda desk: load_postmortem_context(desk, incident_id),
            self._loaded,
            self._load_failed,
            supersede="postmortem",
        )

    def _loaded(self, context: PostmortemContext) -> None:
        self._context = context
        view = context.postmortem
        self._show_buttons()
        if view is None:
            self.waiver_label.hide()
            self.empty_label.setText(no_postmortem_text(context))
            self.pages.setCurrentWidget(self.empty_label)
        else:
            self._show_stored_text(view)
            self._show_rest(view)
            self.pages.setCurrentWidget(self.content)
        self.loaded.emit()

    def _load_failed(self, error: Exception) -> None:
        message = f"The postmortem could not be loaded: {error_text(error)}"
        self.status_label.setText(message)
        if self._context is None:
            self.empty_label.setText(message)

    def _show_buttons(self) -> None:
        context = self._context
        has_postmortem = context is not None and context.postmortem is not None
        for button in (self.save_button, self.export_markdown_button, self.export_pdf_button):
            button.setVisible(has_postmortem)
        self.waive_button.setVisible(context is not None and context.severity.is_major)
        waived = (
            context is not None
            and context.postmortem is not None
            and bool(context.postmortem.waiver_reason)
        )
        waiver = context.waiver if context is not None else None
        self.waive_button.setEnabled(not waived and waiver is not None and waiver.allowed)
        if waived:
            self.waive_button.setToolTip("The postmortem is waived already")
        elif waiver is not None and not waiver.allowed:
            self.waive_button.setToolTip(waiver.reason)
        else:
            self.waive_button.setToolTip(WAIVE_TIP)

    def _show_stored_text(self, view: PostmortemView) -> None:
        if self._version is not None and view.version < self._version:
            return  # read before a save of ours whose result is shown already
        if not self._unsaved:
            self._replace_text(view.text, view.version)
        elif view.version != self._version:
            self.status_label.setText(
                "Someone else saved this postmortem while you were editing it; saving merges "
                "your sections with theirs, asking only where you both changed one."
            )

    def _replace_text(self, text: PostmortemText, version: int) -> None:
        self._baseline, self._version = text, version
        for name, editor in self.editors.items():
            stored = getattr(text, name)
            if editor.toPlainText() != stored:  # keeps the cursor and undo where unchanged
                editor.setPlainText(stored)
        self._set_unsaved(set())

    def _show_rest(self, view: PostmortemView) -> None:
        if view.waiver_reason:
            self.waiver_label.setText(
                f"Postmortem waived by {view.waived_by_name or 'someone'}: {view.waiver_reason}"
            )
        self.waiver_label.setVisible(bool(view.waiver_reason))
        self._show_pinned(view.pinned)
        self._show_action_items(view.action_items)

    def _show_pinned(self, entries: list[TimelineEntry]) -> None:
        if entries == self._shown_pinned:
            return  # rebuilding would lose the scroll position
        self._shown_pinned = entries
        self.pinned_list.clear()
        for entry in entries:
            body = entry.body.strip()
            preview = (
                body
                if len(body) <= PINNED_PREVIEW_LENGTH
                else body[:PINNED_PREVIEW_LENGTH].rstrip() + "…"
            )
            author = f" · {entry.author_name}" if entry.author_name else ""
            item = QListWidgetItem(
                f"{local_text(entry.occurred_at)} · {entry.kind.label}{author}\n{preview}"
            )
            item.setToolTip(body)
            item.setData(Qt.ItemDataRole.UserRole, entry.id)
            self.pinned_list.addItem(item)
        self.pinned_hint.setText(
            ""
            if entries
            else "Nothing is pinned yet: pin entries in the timeline to build the postmortem "
            "timeline."
        )
        self.pinned_hint.setVisible(not entries)

    def _show_action_items(self, items: list[ActionItemView]) -> None:
        selected = self._selected_item_id
        self.action_items.set_items(items, date.today())
        row = self.action_items.row_of(selected) if selected is not None else None
        if row is not None:
            self.action_table.selectRow(row)
        self._update_status_buttons()

    # Editing and saving

    @property
    def has_unsaved_changes(self) -> bool:
        return bool(self._unsaved)

    def text(self) -> PostmortemText:
        """The text in the editors, saved or not."""
        return PostmortemText(
            **{name: editor.toPlainText() for name, editor in self.editors.items()}
        )

    def _section_edited(self, name: str) -> None:
        unsaved = set(self._unsaved)
        if self.editors[name].toPlainText() != getattr(self._baseline, name):
            unsaved.add(name)
        else:
            unsaved.discard(name)
        self._set_unsaved(unsaved)

    def _set_unsaved(self, sections: set[str]) -> None:
        was_unsaved = bool(self._unsaved)
        self._unsaved = sections
        self.unsaved_label.setVisible(bool(sections))
        self.save_button.setEnabled(bool(sections) and not self._saving)
        if was_unsaved != bool(sections):
            self.unsaved_changed.emit(bool(sections))

    def save(self) -> None:
        """Save the typed text (Ctrl+S)."""
        self._save(then=None)

    def _save(self, then: Callable[[], None] | None) -> None:
        """Save the typed text, then run ``then`` if the save succeeded."""
        if self._version is None:
            return
        if self._saving:
            if then is not None:
                self.status_label.setText("Still saving; try again in a moment.")
            return
        if not self._unsaved:
            if then is not None:
                then()
            return
        text, version, base = self.text(), self._version, self._baseline
        incident_id = self._incident_id
        write_id = self._save_ids.for_attempt((incident_id, version, base, text), what="text")
        self._saving = True
        self.save_button.setEnabled(False)
        self.status_label.setText("Saving…")
        self._runner.write(
            self,
            lambda desk: changed(
                desk.postmortems.save_text(
                    incident_id, text, version, desk.actor_id, base=base, write_id=write_id
                ),
                [incident_id],
                ChangeKind.POSTMORTEM,
            ),
            lambda view: self._saved(text, view, then, write_id),
            self._save_failed,
        )

    def _saved(
        self,
        text: PostmortemText,
        view: PostmortemView,
        then: Callable[[], None] | None,
        write_id: str,
    ) -> None:
        self._save_ids.saved(write_id)
        self._saving = False
        # What was typed during the save stays, and stays marked unsaved.
        self._baseline, self._version = text, view.version
        self._set_unsaved(
            {
                name
                for name, editor in self.editors.items()
                if editor.toPlainText() != getattr(text, name)
            }
        )
        self.status_label.setText(f"Saved at {datetime.now():%H:%M}.")
        self.changed.emit()
        self.refresh()  # supersedes any refresh that read before the save
        if then is not None:
            then()

    def _save_failed(self, error: Exception) -> None:
        self._saving = False
        self._set_unsaved(self._unsaved)
        self.status_label.setText("Not saved.")
        if isinstance(error, PostmortemChanged):
            self._merge_with(error)
            return
        if isinstance(error, ValidationFailed):
            name = next((e.field for e in error.errors if e.field in self.editors), None)
            if name is not None:
                self.editors[name].setFocus(Qt.FocusReason.OtherFocusReason)
        self._dialogs.warn_failure(
            self,
            "Postmortem Not Saved",
            f"The postmortem was not saved: {error_text(error)} Your text is still here.",
            error,
        )

    def _merge_with(self, conflict: PostmortemChanged) -> None:
        """The sections only one side changed merge by themselves; those both changed are
        picked one by one. Nothing typed is lost, whatever is chosen."""
        found = postmortem_clashes(self._baseline, self.text(), conflict)
        if not found:
            self._save_merged(conflict, set())
            return
        dialog = MergeDialog("the postmortem", found, self, title="the Postmortem", part="section")
        self.merge_dialog = dialog
        dialog.accepted.connect(lambda: self._save_merged(conflict, dialog.kept_mine()))
        dialog.rejected.connect(
            lambda: self.status_label.setText(
                "Not saved: someone else changed the postmortem. Your text is still here; "
                "save again to merge."
            )
        )
        dialog.open()

    def _save_merged(self, conflict: PostmortemChanged, kept_mine: set[str]) -> None:
        theirs = conflict.current
        merged = merged_postmortem(self._baseline, self.text(), theirs.text, kept_mine)
        for name, editor in self.editors.items():
            if editor.toPlainText() != getattr(merged, name):  # keeps cursor and undo
                editor.setPlainText(getattr(merged, name))
        self._baseline, self._version = theirs.text, theirs.version
        for name in self.editors:
            self._section_edited(name)
        self._show_rest(theirs)
        who = f" by {conflict.changed_by}" if conflict.changed_by else ""
        if not self._unsaved:
            self.status_label.setText(f"Their version{who} is shown; nothing of yours was left.")
            return
        self.status_label.setText(f"Merged with the version saved{who}; saving…")
        self.save()

    # Action items

    def add_action_item(self) -> None:
        """Ask for a new action item; it is added when the dialog is accepted."""
        if self._context is None or self._context.postmortem is None:
            return
        dialog = ActionItemDialog(self._context.people, self)
        self.action_item_dialog = dialog
        dialog.accepted.connect(lambda: self._send_action_item(dialog))
        dialog.rejected.connect(dialog.deleteLater)
        dialog.open()

    def _send_action_item(self, dialog: ActionItemDialog) -> None:
        new = dialog.new_item()
        incident_id = self._incident_id
        write_id = self._save_ids.for_attempt((incident_id, new), what="new action item")
        self.status_label.setText("Adding the action item…")
        self._runner.write(
            self,
            lambda desk: changed(
                desk.postmortems.add_action_item(
                    incident_id,
                    new.title,
                    new.kind,
                    new.owner_id,
                    new.due_on,
                    desk.actor_id,
                    write_id=write_id,
                ),
                [incident_id],
                ChangeKind.POSTMORTEM,
            ),
            lambda added: self._action_item_added(dialog, added, write_id),
            lambda error: self._action_item_failed(dialog, error),
        )

    def _action_item_added(
        self, dialog: ActionItemDialog, added: ActionItemView, write_id: str
    ) -> None:
        self._save_ids.saved(write_id)  # the same item added again is a second one
        dialog.deleteLater()
        self._selected_item_id = added.id
        self.status_label.setText(f"Added “{added.title}”.")
        self.changed.emit()
        self.refresh()

    def _action_item_failed(self, dialog: ActionItemDialog, error: Exception) -> None:
        self.status_label.setText("The action item was not added.")
        self._dialogs.warn_failure(self, "Action Item Not Added", error_text(error), error)
        dialog.open()  # with what was typed, to correct or cancel

    def _selected_item(self) -> ActionItemView | None:
        rows = self.action_table.selectionModel().selectedRows()
        return self.action_items.item(rows[0].row()) if rows else None

    def _selection_changed(self) -> None:
        item = self._selected_item()
        self._selected_item_id = item.id if item is not None else None
        self._update_status_buttons()

    def _update_status_buttons(self) -> None:
        item = self._selected_item()
        for status, button in self.status_buttons.items():
            button.setEnabled(item is not None and item.status is not status)

    def set_selected_status(self, status: ActionStatus) -> None:
        item = self._selected_item()
        if item is None or item.status is status:
            return
        incident_id = self._incident_id
        write_id = self._save_ids.for_attempt((status, item.status), what=("status", item.id))

        def set_status(desk: Desk) -> Changed[None]:
            desk.postmortems.set_action_status(
                item.id, status, desk.actor_id, was=item.status, write_id=write_id
            )
            return changed(None, [incident_id], ChangeKind.POSTMORTEM)

        self._runner.write(
            self,
            set_status,
            lambda _: self._status_set(item, status, write_id),
            self._status_failed,
        )

    def _status_set(self, item: ActionItemView, status: ActionStatus, write_id: str) -> None:
        self._save_ids.saved(write_id)  # set again later (after a colleague's change): anew
        self.status_label.setText(f"“{item.title}” is now {status.label.lower()}.")
        self.changed.emit()
        self.refresh()

    def _status_failed(self, error: Exception) -> None:
        if isinstance(error, ActionItemChanged):
            self.status_label.setText(error_text(error))  # expected among colleagues: no dialog
        else:
            self._dialogs.warn_failure(self, "Status Not Changed", error_text(error), error)
        self.refresh()

    # Waiver

    def waive(self) -> None:
        """Ask for the reason; the service refuses anyone but a lead or an admin."""
        dialog = WaiverDialog(self)
        self.waiver_dialog = dialog
        dialog.accepted.connect(lambda: self._send_waiver(dialog))
        dialog.rejected.connect(dialog.deleteLater)
        dialog.open()

    def _send_waiver(self, dialog: WaiverDialog) -> None:
        reason = dialog.reason()
        incident_id = self._incident_id
        write_id = self._save_ids.for_attempt((incident_id, reason), what="waiver")
        self._runner.write(
            self,
            lambda desk: changed(
                desk.postmortems.waive(incident_id, reason, desk.actor_id, write_id=write_id),
                [incident_id],
                ChangeKind.POSTMORTEM,
                ChangeKind.TIMELINE,
            ),
            lambda _: self._waived(dialog, write_id),
            lambda error: self._waiver_failed(dialog, error),
        )

    def _waived(self, dialog: WaiverDialog, write_id: str) -> None:
        self._save_ids.saved(write_id)
        dialog.deleteLater()
        self.status_label.setText("Postmortem waived.")
        self.changed.emit()
        self.refresh()

    def _waiver_failed(self, dialog: WaiverDialog, error: Exception) -> None:
        if isinstance(error, NotAllowed):
            dialog.deleteLater()
            self._dialogs.warn(
                self,
                "Postmortem Not Waived",
                f"{error_text(error)} Ask a lead to waive it, or complete the postmortem.",
            )
            return
        self._dialogs.warn_failure(self, "Postmortem Not Waived", error_text(error), error)
        dialog.open()  # with the reason typed, to try again

    # Exports

    def export_markdown(self) -> None:
        self._choose_and_export(ExportFormat.MARKDOWN)

    def export_pdf(self) -> None:
        self._choose_and_export(ExportFormat.PDF)

    def _choose_and_export(self, export_format: ExportFormat) -> None:
        context = self._context
        if context is None or context.postmortem is None:
            return
        path = choose_export_path(
            self,
            f"Export Postmortem as {export_format.label}",
            export_file_name(context.key, "postmortem", export_format),
            export_format,
        )
        if path is not None:
            self.export_to(path, export_format)

    def export_to(self, path: Path, export_format: ExportFormat) -> None:
        """Write the saved postmortem to ``path``, offering to save typed text first;
        ``exported`` is emitted when the file is written."""
        if self._context is None or self._context.postmortem is None:
            return
        if self._unsaved:
            choice = self._dialogs.choose(
                self,
                "Export Unsaved Changes?",
                "Some of the postmortem is not saved yet, and an export shows what is saved.",
                [SAVE_AND_EXPORT, EXPORT_SAVED],
            )
            if choice is None:
                return
            if choice == SAVE_AND_EXPORT:
                self._save(then=lambda: self._export(path, export_format))
                return
        self._export(path, export_format)

    def _export(self, path: Path, export_format: ExportFormat) -> None:
        context = self._context
        assert context is not None
        incident_id, today = self._incident_id, date.today()
        self.status_label.setText(f"Exporting {path.name}…")
        export_in_background(
            self._runner,
            self,
            lambda desk: desk.reports.postmortem_markdown(incident_id, today),
            path,
            f"Postmortem {context.key}: {context.title}",
            export_format,
            self._exported,
            lambda error: self._export_failed(path, error),
        )

    def _exported(self, path: Path) -> None:
        self.status_label.setText(f"Exported to {path}.")
        self.exported.emit(path)

    def _export_failed(self, path: Path, error: Exception) -> None:
        self.status_label.setText("Not exported.")
        self._dialogs.warn_failure(
            self,
            "Export Failed",
            f"The postmortem could not be exported to {path}: {error_text(error)}",
            error,
        )
