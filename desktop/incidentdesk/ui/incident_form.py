"""The incident form: log a new incident or edit one, with attachments, drafts and triage."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDateTime, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QImage,
    QKeyEvent,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDateTimeEdit,
    QDialog,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from incidentdesk.domain.enums import (
    EscalationLevel,
    Severity,
    SourceKind,
    Urgency,
)
from incidentdesk.domain.incident import Incident, IncidentDraft, Links
from incidentdesk.domain.validation import FieldError, ValidationFailed, validate_draft
from incidentdesk.services.changes import Changed, ChangeKind, changed
from incidentdesk.services.desk import Desk
from incidentdesk.services.draft_format import draft_fields, restore_fields
from incidentdesk.services.drafts import DraftStore, restored_base
from incidentdesk.services.errors import AttachmentRefused, EditConflict
from incidentdesk.services.incidents import edited_columns, with_columns
from incidentdesk.services.merge import Clash, clashes, merged_draft
from incidentdesk.ui.attachment_files import (
    AttachmentCandidate,
    PreparedBatch,
    prepare_pasted_image,
    prepare_paths,
)
from incidentdesk.ui.attachment_list import AttachmentList
from incidentdesk.ui.attachment_preview import AttachmentPreview
from incidentdesk.ui.dialogs import DialogService
from incidentdesk.ui.duplicates_panel import DuplicatesPanel
from incidentdesk.ui.failures import error_text
from incidentdesk.ui.file_intake import (
    Offered,
    clipboard_holds_only_an_image,
    local_paths,
    offered_by,
    offered_by_clipboard,
    offers_files,
)
from incidentdesk.ui.form_context import FormContext, load_form_context
from incidentdesk.ui.merge_dialog import MergeDialog
from incidentdesk.ui.save_ids import SaveIds
from incidentdesk.ui.tasks import TaskRunner
from incidentdesk.ui.times import from_qt, local_text, to_qt
from incidentdesk.ui.triage_box import TriageBox

DRAFT_INTERVAL_MS = 3000
NONE_CHOICE = "—"
DISCARD = "Discard"

log = logging.getLogger(__name__)


def editor_of(combo: QComboBox) -> QLineEdit:
    """The line edit of an editable combo box."""
    line = combo.lineEdit()
    assert line is not None, "the combo box is made editable when it is built"
    return line


class IncidentForm(QDialog):
    """Non-modal: several can be open. ``saved`` carries the stored incident."""

    loaded = Signal()  # the lists are filled and the form can be used
    saved = Signal(object)  # Incident
    open_incident_requested = Signal(int)

    def __init__(
        self,
        desk: Desk,
        runner: TaskRunner,
        dialogs: DialogService,
        drafts: DraftStore,
        incident_id: int | None = None,
        restored_draft: dict[str, Any] | None = None,
        draft_key: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._desk = desk
        self._runner = runner
        self._dialogs = dialogs
        self._drafts = drafts
        self._incident_id = incident_id
        # Drafts of several databases share one folder, where incident ids repeat.
        self._draft_key = draft_key or (
            f"edit-{desk.identity.database_id[:12]}-{incident_id}"
            if incident_id is not None
            else f"new-{uuid.uuid4().hex[:12]}"
        )
        self._context: FormContext | None = None
        self._version: int | None = None
        # The copy of the incident the edit started from: a save sends only what differs.
        self._base: IncidentDraft | None = None
        self._dirty = False
        self._saving = False
        self._save_ids = SaveIds()
        self._loading = True
        self._pending_reads = 0
        self._attempted_save = False
        self._touched: set[str] = set()
        self._pasted_paths: dict[str, str] = {}  # sha256 → file in the drafts folder
        self._restored_draft = restored_draft
        self._conflict: Incident | None = None
        self._clashes: list[Clash] = []
        # An edited incident's stored time and the field's value showing it: the field holds
        # whole seconds, the database microseconds, and an untouched time must stay as it is.
        self._stored_reported_at: tuple[QDateTime, datetime] | None = None
        # An edited incident keeps its severity; a new one follows the suggestion until picked.
        self._escalation_level = EscalationLevel.L1  # changed by escalating, not in this form
        self.setWindowTitle("Edit Incident" if incident_id is not None else "New Incident")
        self.setAcceptDrops(True)
        self.setSizeGripEnabled(True)
        self.resize(1100, 780)
        self._build()
        self.setEnabled(False)
        self._autosave = QTimer(self)
        self._autosave.setInterval(DRAFT_INTERVAL_MS)
        self._autosave.timeout.connect(self.save_draft)
        self._typed_before_retry: dict[str, Any] | None = None
        self._load_context()

    def _load_context(self) -> None:
        incident_id = self._incident_id
        self._runner.read(
            self,
            lambda desk: load_form_context(desk, incident_id),
            self._context_loaded,
            self._context_failed,
        )

    # Building

    def _build(self) -> None:
        self._build_banner()
        self.errors: dict[str, QLabel] = {}
        main = QVBoxLayout()
        main.addWidget(self._build_report())
        main.addWidget(self._build_attachments(), 1)
        side = QVBoxLayout()
        side.addWidget(self._build_triage())
        side.addWidget(self._build_people_and_links())
        self.duplicates = DuplicatesPanel(self._runner, self._incident_id)
        self.duplicates.setVisible(self._incident_id is None)
        self.duplicates.open_requested.connect(self.open_incident_requested)
        self.duplicates.add_requested.connect(self._add_to_duplicate)
        side.addWidget(self.duplicates, 1)

        left, right = QWidget(), QWidget()
        left.setLayout(main)
        right.setLayout(side)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a container, not a stop for Tab
        scroll.setWidget(splitter)
        self._fields_area = splitter

        self.save_button = QPushButton(
            "&Save Incident" if self._incident_id is None else "&Save Changes"
        )
        self.save_button.setDefault(True)
        self.save_button.setToolTip("Ctrl+Enter")
        self.save_button.clicked.connect(self.save)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        self.status_label = QLabel()
        self.status_label.setAccessibleName("Form status")
        buttons = QHBoxLayout()
        buttons.addWidget(self.status_label, 1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.save_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        conflict_buttons = QHBoxLayout()
        conflict_buttons.addWidget(self.retry_button)
        conflict_buttons.addWidget(self.merge_button)
        conflict_buttons.addWidget(self.take_theirs_button)
        conflict_buttons.addWidget(self.overwrite_button)
        conflict_buttons.addStretch()
        layout.addLayout(conflict_buttons)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)
        for sequence in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(sequence), self, self.save)
        QShortcut(QKeySequence.StandardKey.Paste, self, self.paste)

    def _build_banner(self) -> None:
        """Above the fields: what went wrong, and what can be done about a conflict."""
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setAccessibleName("Problem")
        self.banner.setFrameShape(QFrame.Shape.StyledPanel)
        self.banner.setStyleSheet(
            "padding: 6px; border-radius: 4px; background: palette(alternate-base);"
        )
        self.banner.hide()
        self.overwrite_button = QPushButton("Save &My Changes Over Theirs")
        self.overwrite_button.setToolTip(
            "Saves only the fields you changed; their changes to other fields stay"
        )
        self.overwrite_button.clicked.connect(self._overwrite)
        self.overwrite_button.hide()
        self.take_theirs_button = QPushButton("&Take Their Changes, Keep My Other Edits")
        self.take_theirs_button.setToolTip(
            "Puts their values into the fields they changed; your edits to other fields stay"
        )
        self.take_theirs_button.clicked.connect(self._take_their_changes)
        self.take_theirs_button.hide()
        self.merge_button = QPushButton("Mer&ge Field by Field…")
        self.merge_button.setToolTip("Choose, for each field you both changed, whose value stays")
        self.merge_button.clicked.connect(self._merge)
        self.merge_button.hide()
        self.retry_button = QPushButton("&Retry Loading")
        self.retry_button.setToolTip("Loads the form's lists again, keeping what you typed")
        self.retry_button.clicked.connect(self._retry_loading)
        self.retry_button.hide()

    def _error_label(self, field: str) -> QLabel:
        label = QLabel()
        label.setWordWrap(True)
        label.setAccessibleName(f"Problem with {field.replace('_', ' ')}")
        label.setStyleSheet("color: #c62828;")
        label.hide()
        self.errors[field] = label
        return label

    def _with_error(self, field: str, widget: QWidget) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(widget)
        layout.addWidget(self._error_label(field))
        return box

    def _build_report(self) -> QGroupBox:
        group = QGroupBox("Report")
        form = QFormLayout(group)
        self.title = QLineEdit()
        self.title.setAccessibleName("Title")
        self.title.setPlaceholderText("What is wrong, in a few words")
        form.addRow("&Title:", self._with_error("title", self.title))

        self.description = QPlainTextEdit()
        self.description.setAccessibleName("Description")
        self.description.setPlaceholderText(
            "What happened, what people see, since when. Markdown works: **bold**, `code`, lists."
        )
        self.description.setTabChangesFocus(True)
        self.preview = QTextBrowser()
        self.preview.setAccessibleName("Description preview")
        self.preview.setOpenExternalLinks(True)
        self.description_tabs = QTabWidget()
        self.description_tabs.addTab(self.description, "&Write")
        self.description_tabs.addTab(self.preview, "&Preview")
        self.description_tabs.tabBar().setAccessibleName("Description view")
        # Tab goes from the title straight to the text (a stop on the tab bar swallowed what
        # was typed next); Alt+W and Alt+P switch between writing and the preview.
        self.description_tabs.tabBar().setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.description_tabs.currentChanged.connect(self._render_preview)
        self.description_tabs.setMinimumHeight(180)
        description_label = QLabel("&Description:")
        description_label.setBuddy(self.description)
        form.addRow(description_label, self._with_error("description", self.description_tabs))

        self._add_source_row(form)

        self.reported_at = QDateTimeEdit()
        self.reported_at.setAccessibleName("First reported at")
        self.reported_at.setCalendarPopup(True)
        self.reported_at.setDisplayFormat("yyyy-MM-dd HH:mm")
        now_button = QPushButton("&Now")
        now_button.setAccessibleName("Set first reported to now")
        now_button.clicked.connect(
            lambda: self.reported_at.setDateTime(QDateTime.currentDateTime())
        )
        when_row = QHBoxLayout()
        when_row.setContentsMargins(0, 0, 0, 0)
        when_row.addWidget(self.reported_at)
        when_row.addWidget(now_button)
        when_row.addStretch()
        when_box = QWidget()
        when_box.setLayout(when_row)
        when_label = QLabel("First re&ported:")
        when_label.setBuddy(self.reported_at)
        form.addRow(when_label, self._with_error("reported_at", when_box))

        self.reported_by = QComboBox()
        self.reported_by.setAccessibleName("Reported by")
        form.addRow("Reported &by:", self._with_error("reported_by", self.reported_by))
        return group

    def _add_source_row(self, form: QFormLayout) -> None:
        """Where the report came from: a monitoring system or a person, and a contact."""
        self.source_kind = QComboBox()
        self.source_kind.setAccessibleName("Source")
        for kind in SourceKind:
            self.source_kind.addItem(kind.label, kind)
        self.source_kind.setCurrentIndex(self.source_kind.findData(SourceKind.EMPLOYEE))
        self.source_name = QComboBox()
        self.source_name.setEditable(True)
        self.source_name.setAccessibleName("Source name")
        self.source_name.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.source_contact = QLineEdit()
        self.source_contact.setAccessibleName("Contact")
        self.source_contact.setPlaceholderText("e-mail or phone")
        source_row = QHBoxLayout()
        source_row.addWidget(self.source_kind)
        source_row.addWidget(self.source_name, 1)
        source_row.addWidget(self.source_contact, 1)
        source_box = QWidget()
        source_box.setLayout(source_row)
        source_row.setContentsMargins(0, 0, 0, 0)
        source_label = QLabel("Sou&rce:")
        source_label.setBuddy(self.source_kind)
        source_errors = QWidget()
        errors_layout = QVBoxLayout(source_errors)
        errors_layout.setContentsMargins(0, 0, 0, 0)
        errors_layout.addWidget(source_box)
        errors_layout.addWidget(self._error_label("source_name"))
        errors_layout.addWidget(self._error_label("source_contact"))
        form.addRow(source_label, source_errors)
        self.source_kind.currentIndexChanged.connect(self._source_kind_changed)

    def _build_attachments(self) -> QGroupBox:
        group = QGroupBox("Screenshots and logs")
        layout = QVBoxLayout(group)
        self.attachments = AttachmentList()
        self.attachments.preview_requested.connect(self._preview)
        self.attachments.changed.connect(self._changed)
        hint = QLabel("Drop files anywhere on this form, or paste a screenshot with Ctrl+V.")
        hint.setWordWrap(True)
        add = QPushButton("Add &Files…")
        add.clicked.connect(self.choose_files)
        paste = QPushButton("Paste &Image")
        paste.clicked.connect(self.paste_image)
        remove = QPushButton("Remo&ve")
        remove.clicked.connect(self.attachments.remove_selected)
        self.reading = QProgressBar()
        self.reading.setAccessibleName("Reading files")
        self.reading.setTextVisible(True)
        self.reading.hide()
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(paste)
        row.addWidget(remove)
        row.addWidget(self.reading, 1)
        layout.addWidget(self.attachments, 1)
        layout.addWidget(hint)
        layout.addLayout(row)
        return group

    def _build_triage(self) -> QGroupBox:
        self.triage = TriageBox(self._runner, self._incident_id, self._with_error)
        box = self.triage
        self.service, self.category, self.severity, self.urgency = (
            box.service,
            box.category,
            box.severity,
            box.urgency,
        )
        self.impact_scope, self.financial, self.security, self.compliance = (
            box.impact_scope,
            box.financial,
            box.security,
            box.compliance,
        )
        return box

    def _build_people_and_links(self) -> QGroupBox:
        group = QGroupBox("Who and where")
        form = QFormLayout(group)
        self.assignee = QComboBox()
        self.assignee.setAccessibleName("Assignee")
        form.addRow("Ass&ignee:", self._with_error("assignee", self.assignee))
        self.team = QComboBox()
        self.team.setAccessibleName("Team")
        form.addRow("T&eam:", self._with_error("team", self.team))
        self.chat = QLineEdit()
        self.bridge = QLineEdit()
        self.ticket = QLineEdit()
        for widget, name, label, placeholder in (
            (self.chat, "links.chat", "C&hat channel:", "https://chat.example.com/channels/…"),
            (self.bridge, "links.bridge", "Video &bridge:", "https://meet.example.com/…"),
            (self.ticket, "links.ticket", "Tic&ket:", "https://tickets.example.com/…"),
        ):
            widget.setAccessibleName(label.replace("&", "").rstrip(":"))
            widget.setPlaceholderText(placeholder)
            form.addRow(label, self._with_error(name, widget))
        return group

    # Loading

    def _context_failed(self, error: Exception) -> None:
        self.setEnabled(True)
        self.save_button.setEnabled(False)
        # A new report can be typed meanwhile; an edit has nothing to show until it loads.
        self._fields_area.setEnabled(self._incident_id is None)
        self.status_label.setText("Not loaded.")
        self._show_banner(
            f"The form could not load its lists: {error_text(error)} It cannot be saved until "
            "they load: press Retry Loading when the database is back. What you typed stays."
        )
        self.retry_button.show()
        (self.title if self._incident_id is None else self.retry_button).setFocus()

    def _retry_loading(self) -> None:
        if self._incident_id is None:
            self._typed_before_retry = {**self.fields(), "files": []}  # files stay attached
        self.retry_button.hide()
        self.banner.hide()
        self.status_label.setText("Loading…")
        self._load_context()

    def _context_loaded(self, context: FormContext) -> None:
        self._context = context
        self._fill_choices(context)
        if context.incident is not None:
            self._version = context.incident.version
            self._base = context.incident.draft
            self._show_incident(context.incident)
        else:
            self.reported_at.setDateTime(QDateTime.currentDateTime())
            self.reported_by.setCurrentIndex(max(0, self.reported_by.findData(self._desk.actor_id)))
        if self._restored_draft is not None:
            self.load_fields(self._restored_draft)
            self._version, self._base = restored_base(self._restored_draft, context.incident)
        if self._typed_before_retry is not None:
            self.load_fields(self._typed_before_retry)
        self._fields_area.setEnabled(True)
        self.save_button.setEnabled(True)
        self.status_label.clear()
        self._source_kind_changed()
        self.triage.set_matrix(
            context.matrix, context.incident.status if context.incident is not None else None
        )
        self.triage.impact_changed()
        self._connect_changes()
        self._loading = False
        self._dirty = self._restored_draft is not None or self._typed_before_retry is not None
        self.setEnabled(True)
        self.title.setFocus()
        self._autosave.start()
        self.loaded.emit()

    def _fill_choices(self, context: FormContext) -> None:
        for combo, items in (
            (self.service, [(item.name, item.id) for item in context.services]),
            (self.category, [(item.name, item.id) for item in context.categories]),
            (self.team, [(item.name, item.id) for item in context.teams]),
            (self.assignee, [(person.name, person.id) for person in context.people]),
            (self.reported_by, [(person.name, person.id) for person in context.people]),
        ):
            combo.addItem(NONE_CHOICE, None)
            for name, id_ in items:
                combo.addItem(name, id_)
        completer = QCompleter([item.name for item in context.services], self.service)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.service.setCompleter(completer)
        editor_of(self.service).setPlaceholderText("Type to find a service")
        self.service.setCurrentIndex(0)
        self.service.setEditText("")

    def _show_incident(self, incident: Incident) -> None:
        self._show_draft(incident.draft)
        self.setWindowTitle(f"Edit {incident.key}: {incident.title}")

    def _show_draft(self, draft: IncidentDraft) -> None:
        self.title.setText(draft.title)
        self.description.setPlainText(draft.description)
        self.source_kind.setCurrentIndex(self.source_kind.findData(draft.source_kind))
        self._source_kind_changed()
        self.source_name.setEditText(draft.source_name)
        self.source_contact.setText(draft.source_contact)
        self.reported_at.setDateTime(to_qt(draft.reported_at))
        self._stored_reported_at = (self.reported_at.dateTime(), draft.reported_at)
        self._select(self.reported_by, draft.reported_by_id)
        self._select(self.service, draft.service_id)
        if draft.service_id is None:
            self.service.setEditText("")
        self._select(self.category, draft.category_id)
        self.impact_scope.setCurrentIndex(self.impact_scope.findData(draft.impact.scope))
        self.financial.setChecked(draft.impact.financial)
        self.security.setChecked(draft.impact.security)
        self.compliance.setChecked(draft.impact.compliance)
        self.severity.setCurrentIndex(self.severity.findData(draft.severity))
        self.urgency.setCurrentIndex(self.urgency.findData(draft.urgency))
        self._select(self.assignee, draft.assignee_id)
        self._select(self.team, draft.team_id)
        self.chat.setText(draft.links.chat)
        self.bridge.setText(draft.links.bridge)
        self.ticket.setText(draft.links.ticket)
        self._escalation_level = draft.escalation_level

    @staticmethod
    def _select(combo: QComboBox, value: Any) -> None:
        combo.setCurrentIndex(max(0, combo.findData(value)))

    def _connect_changes(self) -> None:
        for line in (self.title, self.source_contact, self.chat, self.bridge, self.ticket):
            line.textChanged.connect(self._changed)
        self.description.textChanged.connect(self._changed)
        self.source_name.editTextChanged.connect(self._changed)
        self.service.editTextChanged.connect(self._changed)
        self.reported_at.dateTimeChanged.connect(self._changed)
        for combo in (
            self.source_kind,
            self.reported_by,
            self.category,
            self.impact_scope,
            self.severity,
            self.urgency,
            self.assignee,
            self.team,
        ):
            combo.currentIndexChanged.connect(self._changed)
        for box in (self.financial, self.security, self.compliance):
            box.toggled.connect(self._changed)
        self.title.textChanged.connect(self._text_changed)
        self.description.textChanged.connect(self._text_changed)
        for field, line in (
            ("title", self.title),
            ("source_contact", self.source_contact),
            ("links.chat", self.chat),
            ("links.bridge", self.bridge),
            ("links.ticket", self.ticket),
        ):
            line.editingFinished.connect(lambda field=field: self._touch(field))
        editor_of(self.service).editingFinished.connect(lambda: self._touch("service"))
        editor_of(self.source_name).editingFinished.connect(lambda: self._touch("source_name"))
        self.reported_at.editingFinished.connect(lambda: self._touch("reported_at"))
        for text_field in self.findChildren(QLineEdit) + self.findChildren(QPlainTextEdit):
            text_field.installEventFilter(self)
        self.description.viewport().installEventFilter(self)  # where drops on it arrive

    # Reactions

    def _changed(self) -> None:
        if self._loading:
            return
        self._dirty = True
        if self._attempted_save or self._touched:
            self._show_errors(self._errors(), only_touched=not self._attempted_save)

    def _touch(self, field: str) -> None:
        self._touched.add(field)
        self._show_errors(self._errors(), only_touched=not self._attempted_save)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.description and event.type() == QEvent.Type.FocusOut:
            self._touch("description")
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and event.matches(QKeySequence.StandardKey.Paste)
            and clipboard_holds_only_an_image()
        ):
            # A text field would swallow Ctrl+V and paste nothing; leave it to the form's
            # shortcut, which attaches the screenshot.
            return True
        if isinstance(event, QDropEvent) and local_paths(event.mimeData()):
            # Files dropped on a text field are attachments, not their addresses as text.
            if event.type() == QEvent.Type.Drop:
                self.dropEvent(event)
            else:
                event.acceptProposedAction()
            return True
        return super().eventFilter(watched, event)

    def _source_kind_changed(self) -> None:
        kind = self._source_kind()
        monitoring = kind is SourceKind.MONITORING
        typed = self.source_name.currentText()
        self.source_name.blockSignals(True)
        self.source_name.clear()
        if monitoring and self._context is not None:
            self.source_name.addItems(self._context.monitoring_sources)
        self.source_name.setEditText(typed)
        self.source_name.blockSignals(False)
        editor_of(self.source_name).setPlaceholderText(
            "Which monitoring system" if monitoring else "Name of the person who reported it"
        )
        self.source_contact.setEnabled(not monitoring)

    def _source_kind(self) -> SourceKind:
        # Qt hands a StrEnum back as a plain str.
        return SourceKind(self.source_kind.currentData())

    def _render_preview(self, index: int) -> None:
        if self.description_tabs.widget(index) is self.preview:
            text = self.description.toPlainText()
            self.preview.setMarkdown(text if text.strip() else "*Nothing written yet.*")

    # Attachments

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if offers_files(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        self._attach(offered_by(event.mimeData()))
        event.acceptProposedAction()

    def choose_files(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(self, "Attach Files")
        self.add_paths([Path(name) for name in names])

    def paste(self) -> None:
        """Ctrl+V outside a text field: a screenshot on the clipboard becomes an attachment."""
        self.paste_image()

    def paste_image(self) -> None:
        offered = offered_by_clipboard()
        if offered.is_empty:
            self.status_label.setText("There is no image or file on the clipboard to paste.")
            return
        self._attach(offered)

    def _attach(self, offered: Offered) -> None:
        if offered.paths:
            self.add_paths(offered.paths)
        elif offered.image is not None:
            self.add_image(offered.image)

    def add_image(self, image: QImage) -> None:
        if self._context is None:
            return
        limits = self._context.limits
        name = f"screenshot-{datetime.now().strftime('%Y-%m-%d-%H%M%S')}.png"
        copy = image.copy()  # the clipboard may change while the worker encodes
        self._start_reading()
        folder, key = self._drafts.folder / "files", self._draft_key
        self._runner.files(
            self,
            lambda: _keep_pasted(prepare_pasted_image(copy, name, limits), folder, key),
            self._pasted_image_ready,
            self._attachment_refused,
        )

    def _pasted_image_ready(self, result: tuple[AttachmentCandidate, str]) -> None:
        candidate, kept_at = result
        self._pasted_paths[candidate.file.sha256] = kept_at
        self._attachment_ready(candidate)

    def add_paths(self, paths: list[Path]) -> None:
        """Read files dropped or chosen together, in one piece of background work, so that
        every refusal among them is shown in one message and the good ones are still added."""
        if self._context is None or not paths:
            return
        limits = self._context.limits
        report = self._runner.progress_reporter(self, self._reading_progress)
        self._start_reading()
        self._runner.files(
            self,
            lambda: prepare_paths(paths, limits, report),
            self._files_read,
            self._attachment_refused,
        )

    def _files_read(self, batch: PreparedBatch) -> None:
        self._finish_reading()
        for candidate in batch.candidates:
            self.attachments.add(candidate)
        if batch.candidates:
            added = ", ".join(candidate.file.filename for candidate in batch.candidates)
            self.status_label.setText(f"Added {added}.")
        if batch.refusals:
            self._show_banner(batch.message)

    def _start_reading(self) -> None:
        self._pending_reads += 1
        self.reading.setRange(0, 0)
        self.reading.setFormat("Reading…")
        self.reading.show()

    def _reading_progress(self, done: int, total: int) -> None:
        if total > 4 * 1024 * 1024:
            self.reading.setRange(0, 1000)
            self.reading.setValue(round(1000 * done / max(1, total)))
            self.reading.setFormat("Reading… %p%")

    def _finish_reading(self) -> None:
        self._pending_reads -= 1
        if self._pending_reads == 0:
            self.reading.hide()

    def _attachment_ready(self, candidate: AttachmentCandidate) -> None:
        self._finish_reading()
        self.attachments.add(candidate)
        self.status_label.setText(f"Added {candidate.file.filename}.")

    def _attachment_refused(self, error: Exception) -> None:
        self._finish_reading()
        message = (
            error_text(error)
            if isinstance(error, AttachmentRefused)
            else f"The file could not be added: {error_text(error)}"
        )
        self._show_banner(message)

    def _preview(self, candidate: AttachmentCandidate) -> None:
        AttachmentPreview(candidate.file, self).exec()

    # Possible duplicates

    def _text_changed(self) -> None:
        self.duplicates.look_for(self.title.text(), self.description.toPlainText())

    def _add_to_duplicate(self, incident_id: int) -> None:
        if self._saving:
            return
        draft = self._draft_or_show_errors()
        if draft is None:
            return
        files = [candidate.file for candidate in self.attachments.candidates()]
        self._begin_saving("Adding the report…")
        self._runner.write(
            self,
            lambda desk: changed(
                desk.triage.add_duplicate_report(incident_id, draft, desk.actor_id, files),
                [incident_id],
                ChangeKind.UPDATED,
                ChangeKind.TIMELINE,
            ),
            self._saved,
            self._save_failed,
        )

    # Saving

    def to_draft(self) -> IncidentDraft:
        return IncidentDraft(
            title=self.title.text(),
            description=self.description.toPlainText(),
            reported_at=self._reported_at(),
            severity=Severity(self.severity.currentData()),
            urgency=Urgency(self.urgency.currentData()),
            source_kind=self._source_kind(),
            source_name=self.source_name.currentText(),
            source_contact=self.source_contact.text() if self.source_contact.isEnabled() else "",
            reported_by_id=self.reported_by.currentData(),
            service_id=self._service_id(),
            category_id=self.category.currentData(),
            impact=self.triage.impact(),
            assignee_id=self.assignee.currentData(),
            team_id=self.team.currentData(),
            escalation_level=self._escalation_level,
            links=Links(self.chat.text(), self.bridge.text(), self.ticket.text()),
        )

    def _reported_at(self) -> datetime:
        shown = self.reported_at.dateTime()
        if self._stored_reported_at is not None and shown == self._stored_reported_at[0]:
            return self._stored_reported_at[1]
        return from_qt(shown)

    def _service_id(self) -> int | None:
        typed = self.service.currentText().strip()
        if not typed:
            return None
        index = self.service.findText(typed, Qt.MatchFlag.MatchFixedString)
        return self.service.itemData(index) if index > 0 else None

    def _errors(self) -> list[FieldError]:
        errors = validate_draft(self.to_draft(), datetime.now(UTC))
        typed_service = self.service.currentText().strip()
        if typed_service and self._service_id() is None:
            errors.append(
                FieldError(
                    "service",
                    f"“{typed_service}” is not in the service catalog; pick one from the list.",
                )
            )
        return errors

    def _show_errors(self, errors: list[FieldError], *, only_touched: bool = False) -> None:
        by_field: dict[str, list[str]] = {}
        for error in errors:
            by_field.setdefault(error.field, []).append(error.message)
        for field, label in self.errors.items():
            messages = by_field.get(field, [])
            visible = bool(messages) and (not only_touched or field in self._touched)
            label.setText(" ".join(messages))
            label.setVisible(visible)

    def _focus_first_error(self, errors: list[FieldError]) -> None:
        widgets: dict[str, QWidget] = {
            "title": self.title,
            "description": self.description,
            "source_name": self.source_name,
            "source_contact": self.source_contact,
            "reported_at": self.reported_at,
            "reported_by": self.reported_by,
            "service": self.service,
            "category": self.category,
            "assignee": self.assignee,
            "team": self.team,
            "links.chat": self.chat,
            "links.bridge": self.bridge,
            "links.ticket": self.ticket,
        }
        order = list(widgets)
        first = min(
            errors,
            key=lambda error: order.index(error.field) if error.field in order else len(order),
        )
        widget = widgets.get(first.field)
        if widget is not None:
            if widget is self.description:
                self.description_tabs.setCurrentWidget(self.description)
            widget.setFocus(Qt.FocusReason.OtherFocusReason)
        self.status_label.setText(first.message)

    def _draft_or_show_errors(self) -> IncidentDraft | None:
        self._attempted_save = True
        errors = self._errors()
        self._show_errors(errors)
        if errors:
            self._focus_first_error(errors)
            return None
        return self.to_draft()

    def save(self) -> None:
        """Ctrl+Enter: save if the form is valid, else point at the first problem."""
        if self._saving:
            return
        if self._context is None:
            self.status_label.setText(
                "Not saved: the form's lists have not loaded. Press Retry Loading when the "
                "database is back; what you typed stays."
                if not self.retry_button.isHidden()
                else "Still loading the form; save again in a moment."
            )
            return
        if self._pending_reads:
            self.status_label.setText("Still reading files; save again when they are added.")
            return
        draft = self._draft_or_show_errors()
        if draft is None:
            return
        self._store(draft, self._version)

    def _store(self, draft: IncidentDraft, version: int | None) -> None:
        files = [candidate.file for candidate in self.attachments.candidates()]
        incident_id = self._incident_id
        write_id = self._save_ids.for_attempt(
            (incident_id, version, draft, tuple(file.sha256 for file in files))
        )
        self._begin_saving("Saving…")
        if incident_id is None:

            def create(desk: Desk) -> Changed[Incident]:
                incident = desk.incidents.create(draft, desk.actor_id, files, write_id=write_id)
                return changed(incident, [incident.id], ChangeKind.CREATED)

            self._runner.write(
                self,
                create,
                self._saved,
                self._save_failed,
            )
        else:
            base = self._base
            assert version is not None
            assert base is not None
            self._runner.write(
                self,
                lambda desk: changed(
                    desk.incidents.update(
                        incident_id,
                        draft,
                        version,
                        desk.actor_id,
                        files,
                        base=base,
                        write_id=write_id,
                    )[0],
                    [incident_id],
                ),
                self._saved,
                self._save_failed,
            )

    def _begin_saving(self, text: str) -> None:
        self._saving = True
        self.save_button.setEnabled(False)
        self.status_label.setText(text)
        self._hide_conflict()

    def _saved(self, incident: Incident) -> None:
        self._saving = False
        self._dirty = False
        self._autosave.stop()
        key = self._draft_key
        pasted = list(self._pasted_paths.values())
        self._runner.files(
            self, lambda: self._forget_draft(key, pasted), lambda _: None, _draft_not_removed
        )
        self.saved.emit(incident)
        self.accept()

    def _forget_draft(self, key: str, pasted: list[str]) -> None:
        self._drafts.discard(key)
        for path in pasted:
            Path(path).unlink(missing_ok=True)

    def _save_failed(self, error: Exception) -> None:
        self._saving = False
        self.save_button.setEnabled(True)
        self.status_label.setText("Not saved.")
        self.save_draft()
        if isinstance(error, ValidationFailed):
            self._show_errors(error.errors)
            self._focus_first_error(error.errors)
            return
        if isinstance(error, EditConflict):
            self._conflict, self._clashes = error.current, clashes(error)
            self._show_banner(
                f"{conflict_text(error)}\nEverything you typed is still here. Take their "
                "changes into the form, or save only the fields you changed over theirs."
            )
            self.overwrite_button.show()
            self.take_theirs_button.setVisible(bool(error.their_changes))
            self.merge_button.setVisible(bool(self._clashes))
            if self._clashes:
                self._merge()
            return
        self._show_banner(
            f"The incident was not saved: {error_text(error)} Everything you typed is still "
            "here and kept as a draft; try again when the database is back."
        )

    def _overwrite(self) -> None:
        """Save the fields this person changed over the newer version; the other person's
        changes to other fields stay, as the service writes only what differs from the base."""
        draft = self._draft_or_show_errors()
        if draft is not None and self._conflict is not None:
            self._store(draft, self._conflict.version)

    def _merge(self) -> None:
        """The fields both changed, to pick from one by one; the rest merge by themselves."""
        current = self._conflict
        if current is None or not self._clashes:
            return
        dialog = MergeDialog(current.key, self._clashes, self)
        self.merge_dialog = dialog
        dialog.accepted.connect(lambda: self._save_merged(dialog.kept_mine()))
        dialog.open()

    def _save_merged(self, kept_mine: set[str]) -> None:
        current, base = self._conflict, self._base
        draft = self._draft_or_show_errors()
        if current is None or base is None or draft is None:
            return
        merged = merged_draft(base, draft, current.draft, kept_mine)
        self._show_draft(merged)
        self._version, self._base, self._conflict, self._clashes = (
            current.version,
            current.draft,
            None,
            [],
        )
        self.triage.impact_changed()
        self._hide_conflict()
        self._store(merged, current.version)

    def _hide_conflict(self) -> None:
        self.banner.hide()
        for button in (self.overwrite_button, self.take_theirs_button, self.merge_button):
            button.hide()

    def _take_their_changes(self) -> None:
        """Rebase the edit on the version saved meanwhile: their values in the fields they
        changed, this person's edits in every other field."""
        current, base = self._conflict, self._base
        if current is None or base is None:
            return
        theirs = edited_columns(base, current.draft)
        mine = {
            name: value
            for name, value in edited_columns(base, self.to_draft()).items()
            if name not in theirs
        }
        self._show_draft(with_columns(current.draft, mine))
        self._version, self._base, self._conflict = current.version, current.draft, None
        self.triage.impact_changed()
        self._hide_conflict()
        self.status_label.setText("Their changes are in the form; review them and save again.")
        self._dirty = True
        self.save_draft()

    def _show_banner(self, text: str) -> None:
        self.banner.setText(text)
        self.banner.show()

    # Drafts

    def fields(self) -> dict[str, Any]:
        """The form's content as JSON-compatible values, for the draft file."""
        return draft_fields(
            self.to_draft(),
            incident_id=self._incident_id,
            version=self._version,
            base=self._base,
            service_text=self.service.currentText(),
            files=[
                candidate.source_path or self._pasted_paths.get(candidate.file.sha256, "")
                for candidate in self.attachments.candidates()
            ],
        )

    def load_fields(self, fields: dict[str, Any]) -> None:
        """Fill the form from a draft; values that no longer fit are left as they are."""
        restored = restore_fields(fields)
        self.title.setText(restored.title)
        self.description.setPlainText(restored.description)
        if restored.reported_at is not None:
            self.reported_at.setDateTime(to_qt(restored.reported_at))
        choices: tuple[tuple[QComboBox, Enum | None], ...] = (
            (self.severity, restored.severity),
            (self.urgency, restored.urgency),
            (self.source_kind, restored.source_kind),
            (self.impact_scope, restored.impact_scope),
        )
        for combo, member in choices:
            if member is not None:
                combo.setCurrentIndex(max(0, combo.findData(member)))
        self.triage.severity_chosen = True  # the draft's severity is what the person had
        self._source_kind_changed()
        self.source_name.setEditText(restored.source_name)
        self.source_contact.setText(restored.source_contact)
        for combo, chosen in (
            (self.reported_by, restored.reported_by_id),
            (self.category, restored.category_id),
            (self.assignee, restored.assignee_id),
            (self.team, restored.team_id),
        ):
            self._select(combo, chosen)
        self.service.setEditText(restored.service)
        self.financial.setChecked(restored.financial)
        self.security.setChecked(restored.security)
        self.compliance.setChecked(restored.compliance)
        for line, link in zip((self.chat, self.bridge, self.ticket), restored.links, strict=True):
            line.setText(link)
        self.add_paths([Path(path) for path in restored.files])

    def save_draft(self) -> None:
        if not self._dirty or self._loading:
            return
        fields, key, drafts, database = (
            self.fields(),
            self._draft_key,
            self._drafts,
            self._desk.identity,
        )
        self._runner.files(
            self,
            lambda: drafts.save(key, fields, database),
            lambda _: None,
            self._draft_failed,
        )

    def _draft_failed(self, error: Exception) -> None:
        self.status_label.setText(f"The draft could not be kept on disk: {error_text(error)}")

    @property
    def draft_key(self) -> str:
        return self._draft_key

    @property
    def incident_id(self) -> int | None:
        return self._incident_id

    # Closing

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Enter on an item of a list opens or previews it; the list passes the key on, and
        # the dialog would then also press its default button, Save.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and isinstance(
            self.focusWidget(), QListWidget
        ):
            event.accept()
            return
        super().keyPressEvent(event)

    def reject(self) -> None:
        """Esc or Cancel: ask before throwing away what was typed."""
        if self._dirty and not self._saving:
            choice = self._dialogs.choose(
                self,
                "Discard This Incident?" if self._incident_id is None else "Discard Your Changes?",
                "What you typed will be lost.",
                [DISCARD],
            )
            if choice != DISCARD:
                return
            key, pasted = self._draft_key, list(self._pasted_paths.values())
            self._runner.files(
                self, lambda: self._forget_draft(key, pasted), lambda _: None, _draft_not_removed
            )
        self._autosave.stop()
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.isVisible() and self.result() == QDialog.DialogCode.Rejected and self._dirty:
            self.reject()
            if self.isVisible():
                event.ignore()
                return
        super().closeEvent(event)


def _keep_pasted(
    candidate: AttachmentCandidate, folder: Path, draft_key: str
) -> tuple[AttachmentCandidate, str]:
    """On the files thread: a pasted image is kept beside the draft, so a restored draft
    still has it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{draft_key}-{candidate.file.sha256[:16]}.png"
    path.write_bytes(candidate.file.content)
    return candidate, str(path)


def _draft_not_removed(error: Exception) -> None:
    """The incident is saved (or the draft discarded); a draft file left behind is offered
    again at the next start, which is harmless."""
    log.warning("A draft could not be removed: %s", error)


def conflict_text(conflict: EditConflict) -> str:
    """What the other person changed, field by field, with who and when where known."""
    lines = [str(conflict)]
    for change in conflict.their_changes:
        who = f" by {change.changed_by}" if change.changed_by else ""
        when = f" at {local_text(change.changed_at)}" if change.changed_at else ""
        lines.append(f"• {change.label}: {change.old or '—'} → {change.new or '—'}{who}{when}")
    return "\n".join(lines)
