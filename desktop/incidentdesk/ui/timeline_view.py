"""The escalation and communication log: a painted list of entries, filters, the selected
entry in full, and a composer for new entries."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QDateTime,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDropEvent,
    QFont,
    QFontMetrics,
    QGuiApplication,
    QImage,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QShortcut,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDateTimeEdit,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from incidentdesk.domain.enums import Audience, Channel, EntryKind
from incidentdesk.domain.incident import Incident
from incidentdesk.domain.timeline import NewEntry, TimelineEntry
from incidentdesk.services.attachments import PreparedFile, refusal_message
from incidentdesk.services.changes import Changed, ChangeKind, changed
from incidentdesk.services.communications import (
    TEMPLATES,
    entry_as_markdown,
    entry_as_text,
    fill_template,
)
from incidentdesk.services.desk import Desk
from incidentdesk.services.errors import AttachmentRefused, ValidationFailed
from incidentdesk.ui.attachment_files import Limits, prepare_pasted_image, prepare_paths
from incidentdesk.ui.dialogs import DialogService
from incidentdesk.ui.failures import error_text
from incidentdesk.ui.file_intake import offered_by, offered_by_clipboard, offers_files
from incidentdesk.ui.save_ids import SaveIds
from incidentdesk.ui.tasks import TaskRunner
from incidentdesk.ui.theme import is_dark
from incidentdesk.ui.times import from_qt, local_text

ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1
BODY_LINES_SHOWN = 3
PADDING = 6
STRIPE_WIDTH = 5
Index = QModelIndex | QPersistentModelIndex

# Light and dark colours per kind; the kind is also written out, never shown by colour alone.
KIND_COLOURS: dict[EntryKind, tuple[str, str]] = {
    EntryKind.NOTE: ("#607d8b", "#90a4ae"),
    EntryKind.STATUS_CHANGE: ("#3949ab", "#9fa8da"),
    EntryKind.FIELD_CHANGE: ("#757575", "#bdbdbd"),
    EntryKind.ESCALATION: ("#d84315", "#ffab91"),
    EntryKind.COMMUNICATION: ("#00897b", "#80cbc4"),
    EntryKind.FINDING: ("#8e24aa", "#ce93d8"),
    EntryKind.ACTION_TAKEN: ("#2e7d32", "#a5d6a7"),
    EntryKind.ATTACHMENT: ("#6d4c41", "#bcaaa4"),
}
COMPOSER_KINDS = (
    EntryKind.NOTE,
    EntryKind.FINDING,
    EntryKind.ACTION_TAKEN,
    EntryKind.COMMUNICATION,
)


def kind_colour(kind: EntryKind) -> QColor:
    light, dark = KIND_COLOURS[kind]
    return QColor(dark if is_dark() else light)


class ChoiceBox(QComboBox):
    """A combo box whose choice is an action (fill in a template): it is taken with Enter or
    a click in its list (``chosen``), never by browsing it with the arrow keys, typing or the
    mouse wheel on the closed box, which in a plain QComboBox each emit ``activated``."""

    chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._browsing = False
        self.activated.connect(self._activated)

    def _activated(self, index: int) -> None:
        if not self._browsing:
            self.chosen.emit(index)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.chosen.emit(self.currentIndex())
            event.accept()
            return
        self._browsing = True
        try:
            super().keyPressEvent(event)
        finally:
            self._browsing = False

    def wheelEvent(self, event: QWheelEvent) -> None:
        self._browsing = True
        try:
            super().wheelEvent(event)
        finally:
            self._browsing = False


class TimelineModel(QAbstractListModel):
    """The entries, filtered by kind and in either order; filtering a few thousand entries in
    Python takes about a millisecond, so no proxy model."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._all: list[TimelineEntry] = []
        self._shown: list[TimelineEntry] = []
        self._kinds: frozenset[EntryKind] = frozenset()
        # The latest entries matter most while an incident is being worked on.
        self._newest_first = True

    def set_entries(self, entries: list[TimelineEntry]) -> None:
        self.beginResetModel()
        self._all = entries
        self._shown = self._select()
        self.endResetModel()

    def set_filter(self, kinds: frozenset[EntryKind], newest_first: bool) -> None:
        self.beginResetModel()
        self._kinds, self._newest_first = kinds, newest_first
        self._shown = self._select()
        self.endResetModel()

    def _select(self) -> list[TimelineEntry]:
        shown = [entry for entry in self._all if not self._kinds or entry.kind in self._kinds]
        return shown[::-1] if self._newest_first else shown

    def entry(self, row: int) -> TimelineEntry:
        return self._shown[row]

    def row_of(self, entry_id: int) -> int | None:
        return next((row for row, entry in enumerate(self._shown) if entry.id == entry_id), None)

    def all_entries(self) -> list[TimelineEntry]:
        return list(self._all)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._shown)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._shown):
            return None
        entry = self._shown[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            pinned = "pinned, " if entry.pinned else ""
            return (
                f"{entry.kind.label}, {pinned}{local_text(entry.occurred_at)}, "
                f"{entry.author_name or 'the program'}: {entry.body}"
            )
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"Recorded {local_text(entry.recorded_at)}"
        if role == ENTRY_ROLE:
            return entry
        return None


class TimelineDelegate(QStyledItemDelegate):
    """Paints an entry: a coloured stripe, a header (time, kind, author, pin) and up to three
    lines of its text, all entries the same height."""

    def _metrics(self, option: QStyleOptionViewItem) -> tuple[QFontMetrics, QFont]:
        bold = QFont(option.font)
        bold.setBold(True)
        return QFontMetrics(option.font), bold

    @staticmethod
    def row_height(font: QFont) -> int:
        """One height for every entry: its header and up to three lines of its text."""
        return PADDING * 2 + QFontMetrics(font).height() * (1 + BODY_LINES_SHOWN) + 2

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return QSize(200, self.row_height(option.font))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        entry: TimelineEntry = index.data(ENTRY_ROLE)
        style = option.widget.style() if option.widget else QApplication.style()
        style.drawPrimitive(
            QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, option.widget
        )
        painter.save()
        rect: QRect = option.rect
        painter.fillRect(
            QRect(rect.left(), rect.top() + 2, STRIPE_WIDTH, rect.height() - 4),
            kind_colour(entry.kind),
        )
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        text_colour = option.palette.highlightedText() if selected else option.palette.text()
        metrics, bold = self._metrics(option)
        left = rect.left() + STRIPE_WIDTH + PADDING * 2
        width = rect.right() - left - PADDING
        top = rect.top() + PADDING
        header = f"{local_text(entry.occurred_at)}  ·  {entry.kind.label}"
        if entry.author_name:
            header += f"  ·  {entry.author_name}"
        if entry.amends_id is not None:
            header += "  ·  correction"
        if entry.pinned:
            header += "  ·  ★ pinned"
        painter.setFont(bold)
        painter.setPen(text_colour.color())
        painter.drawText(
            QRect(left, top, width, metrics.height()),
            Qt.AlignmentFlag.AlignLeft,
            metrics.elidedText(header, Qt.TextElideMode.ElideRight, width),
        )
        painter.setFont(option.font)
        lines = entry.body.splitlines()[:BODY_LINES_SHOWN]
        if entry.body.count("\n") >= BODY_LINES_SHOWN:
            lines[-1] += " …"
        for number, line in enumerate(lines, start=1):
            painter.drawText(
                QRect(left, top + metrics.height() * number, width, metrics.height()),
                Qt.AlignmentFlag.AlignLeft,
                metrics.elidedText(line, Qt.TextElideMode.ElideRight, width),
            )
        painter.restore()


class EntryTable(QTableView):
    """The entries as a table of one column with rows of one fixed height: unlike a list
    view, it never lays out thousands of entries one by one (a list view called into Python
    twice per entry, 30 ms for 5,000). Home and End go to the first and last entry, as in a
    list."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.horizontalHeader().hide()
        self.horizontalHeader().setStretchLastSection(True)
        self.verticalHeader().hide()
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self._fit_rows_to_font()
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setTabKeyNavigation(False)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setAlternatingRowColors(True)

    def moveCursor(
        self, action: QAbstractItemView.CursorAction, modifiers: Qt.KeyboardModifier
    ) -> QModelIndex:
        model = self.model()
        rows = model.rowCount() if model is not None else 0
        if rows and action is QAbstractItemView.CursorAction.MoveHome:
            return model.index(0, 0)
        if rows and action is QAbstractItemView.CursorAction.MoveEnd:
            return model.index(rows - 1, 0)
        return super().moveCursor(action, modifiers)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit_rows_to_font()

    def _fit_rows_to_font(self) -> None:
        self.verticalHeader().setDefaultSectionSize(TimelineDelegate.row_height(self.font()))


class TimelinePanel(QWidget):
    """The log of one incident. ``changed`` after an entry was added or pinned."""

    changed = Signal()
    loaded = Signal()

    def __init__(
        self,
        runner: TaskRunner,
        dialogs: DialogService,
        incident_id: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner, self._dialogs = runner, dialogs
        self._incident_id = incident_id
        # Read while the rest of the panel and its window are built (the entries arrive
        # after): reading a long log takes longer than building them.
        self.refresh()
        self._incident: Incident | None = None
        self._amending: TimelineEntry | None = None
        self._save_ids = SaveIds()  # an entry sent again after a lost reply is added once
        self.model = TimelineModel(self)
        self.view = EntryTable()
        self.view.setModel(self.model)
        self.view.setItemDelegate(TimelineDelegate(self.view))
        self.view.setAccessibleName("Timeline entries")
        self.view.selectionModel().currentChanged.connect(self._show_selected)

        self.kind_filter = QComboBox()
        self.kind_filter.setAccessibleName("Show entries of kind")
        self.kind_filter.addItem("All entries", None)
        for kind in EntryKind:
            self.kind_filter.addItem(kind.label, kind)
        self.order = QComboBox()
        self.order.setAccessibleName("Order")
        self.order.addItems(["Oldest first", "Newest first"])
        self.order.setCurrentIndex(1)
        for combo in (self.kind_filter, self.order):
            combo.currentIndexChanged.connect(self._filter_changed)
        self.pin_button = QPushButton("&Pin")
        self.pin_button.clicked.connect(self.toggle_pin)
        self.amend_button = QPushButton("&Correct…")
        self.amend_button.setToolTip(
            "Add an entry that corrects this one; the original stays visible"
        )
        self.amend_button.clicked.connect(self.start_amending)
        self.copy_text_button = QPushButton("Copy as &Text")
        self.copy_text_button.clicked.connect(lambda: self._copy(markdown=False))
        self.copy_markdown_button = QPushButton("Copy as &Markdown")
        self.copy_markdown_button.clicked.connect(lambda: self._copy(markdown=True))
        top = QHBoxLayout()
        show_label = QLabel("S&how:")
        show_label.setBuddy(self.kind_filter)
        top.addWidget(show_label)
        top.addWidget(self.kind_filter)
        top.addWidget(self.order)
        top.addStretch()
        for button in (
            self.pin_button,
            self.amend_button,
            self.copy_text_button,
            self.copy_markdown_button,
        ):
            button.setEnabled(False)
            top.addWidget(button)

        self.detail = QTextBrowser()
        self.detail.setAccessibleName("Selected entry")
        self.detail.setOpenExternalLinks(True)
        self.detail.setMarkdown("*Select an entry to read it in full.*")
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.view)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)

        self.setAcceptDrops(True)
        paste = QShortcut(QKeySequence("Ctrl+Shift+V"), self)
        paste.activated.connect(self.paste_image)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        layout.addWidget(self._build_composer())

    def _build_composer(self) -> QGroupBox:
        group = QGroupBox("Add to the log")
        self.composer_group = group
        form = QFormLayout(group)
        self.entry_kind = QComboBox()
        self.entry_kind.setAccessibleName("Entry kind")
        for kind in COMPOSER_KINDS:
            self.entry_kind.addItem(kind.label, kind)
        self.entry_kind.currentIndexChanged.connect(self._kind_changed)
        # Left as it is, the time is "now" when the entry is added; a person sets it to log
        # something that happened earlier.
        self.occurred_at = QDateTimeEdit(QDateTime.currentDateTime())
        self._time_set_by_hand = False
        self.occurred_at.dateTimeChanged.connect(self._time_edited)
        self.occurred_at.setAccessibleName("When it happened")
        self.occurred_at.setCalendarPopup(True)
        self.occurred_at.setDisplayFormat("yyyy-MM-dd HH:mm")
        row = QHBoxLayout()
        row.addWidget(self.entry_kind)
        when_label = QLabel("at")
        row.addWidget(when_label)
        row.addWidget(self.occurred_at)
        self.audience = QComboBox()
        self.audience.setAccessibleName("Audience")
        for audience in Audience:
            self.audience.addItem(audience.value.capitalize(), audience)
        self.channel = QComboBox()
        self.channel.setAccessibleName("Channel")
        for channel in Channel:
            self.channel.addItem(channel.value.replace("_", " ").capitalize(), channel)
        self.template = ChoiceBox()
        self.template.setAccessibleName("Message template")
        self.template.setToolTip("Arrow keys to look, Enter to use the template")
        self.template.addItem("Template…", None)
        for template in TEMPLATES:
            self.template.addItem(template.name, template)
        self.template.chosen.connect(self._apply_template)
        for widget in (self.audience, self.channel, self.template):
            row.addWidget(widget)
        row.addStretch()
        kind_label = QLabel("&Kind:")
        kind_label.setBuddy(self.entry_kind)
        form.addRow(kind_label, row)
        self.body = QPlainTextEdit()
        self.body.setAccessibleName("Entry text")
        self.body.setPlaceholderText("What was found, done or said. Markdown works.")
        self.body.setTabChangesFocus(True)
        self.body.setMaximumHeight(110)
        self.amending_label = QLabel()
        self.amending_label.hide()
        self.add_button = QPushButton("&Add Entry")
        self.add_button.setToolTip("Ctrl+Enter")
        self.add_button.clicked.connect(self.add_entry)
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #c62828;")
        self.problem.setWordWrap(True)
        self.problem.setAccessibleName("Problem with the entry")
        buttons = QHBoxLayout()
        buttons.addWidget(self.amending_label)
        buttons.addWidget(self.problem, 1)
        buttons.addWidget(self.add_button)
        text_label = QLabel("&Text:")
        text_label.setBuddy(self.body)
        form.addRow(text_label, self.body)
        form.addRow(buttons)
        for sequence in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(sequence), self.body)
            shortcut.activated.connect(self.add_entry)
        self._kind_changed()
        return group

    # Loading

    def set_incident(self, incident: Incident) -> None:
        self._incident = incident

    def refresh(self) -> None:
        incident_id = self._incident_id
        self._runner.read(
            self,
            lambda desk: desk.timeline.entries(incident_id),
            self._entries_arrived,
            self._load_failed,
            supersede="entries",
        )

    def _load_failed(self, error: Exception) -> None:
        self.problem.setText(f"The timeline could not be loaded: {error_text(error)} Press F5.")

    def _entries_arrived(self, entries: list[TimelineEntry]) -> None:
        selected = self._selected()
        self.model.set_entries(entries)
        if selected is not None and (row := self.model.row_of(selected.id)) is not None:
            self.view.setCurrentIndex(self.model.index(row))
        elif self.order.currentIndex() == 0:
            self.view.scrollToBottom()  # oldest first: the latest are at the end
        self.loaded.emit()

    def _filter_changed(self) -> None:
        kind = self.kind_filter.currentData()
        kinds = frozenset({EntryKind(kind)}) if kind is not None else frozenset()
        self.model.set_filter(kinds, newest_first=self.order.currentIndex() == 1)
        self._show_selected()

    # The selected entry

    def _selected(self) -> TimelineEntry | None:
        index = self.view.currentIndex()
        return self.model.entry(index.row()) if index.isValid() else None

    def _show_selected(self) -> None:
        entry = self._selected()
        for button in (
            self.pin_button,
            self.amend_button,
            self.copy_text_button,
            self.copy_markdown_button,
        ):
            button.setEnabled(entry is not None)
        if entry is None:
            self.detail.setMarkdown("*Select an entry to read it in full.*")
            return
        self.pin_button.setText("Un&pin" if entry.pinned else "&Pin")
        corrected_by = [other for other in self.model.all_entries() if other.amends_id == entry.id]
        author = f" by {entry.author_name}" if entry.author_name else ""
        recorded = f"recorded {local_text(entry.recorded_at)}{author}"
        notes = [f"*{entry.kind.label} · {local_text(entry.occurred_at)} · {recorded}*"]
        if entry.amends_id is not None:
            notes.append("*This entry corrects an earlier one.*")
        if corrected_by:
            notes.append(f"*Corrected later ({local_text(corrected_by[-1].occurred_at)}).*")
        self.detail.setMarkdown("\n\n".join([*notes, entry.body or "*No text.*"]))

    def toggle_pin(self) -> None:
        entry = self._selected()
        if entry is None:
            return
        incident_id = self._incident_id

        def pin(desk: Desk) -> Changed[None]:
            desk.timeline.set_pinned(entry.id, not entry.pinned)
            return changed(None, [incident_id], ChangeKind.TIMELINE)

        self._runner.write(
            self,
            pin,
            lambda _: self._written(),
            self._failed,
        )

    def start_amending(self) -> None:
        entry = self._selected()
        if entry is None:
            return
        self._amending = entry
        self.amending_label.setText(f"Correcting the entry of {local_text(entry.occurred_at)}:")
        self.amending_label.show()
        self.entry_kind.setCurrentIndex(max(0, self.entry_kind.findData(entry.kind)))
        self.body.setPlainText(entry.body)
        self.body.setFocus()

    def _copy(self, *, markdown: bool) -> None:
        entry = self._selected()
        if entry is None or self._incident is None:
            return
        convert = entry_as_markdown if markdown else entry_as_text
        log = self.model.all_entries()
        QGuiApplication.clipboard().setText(convert(entry, self._incident.key, log))

    # Composing

    def _kind_changed(self) -> None:
        communication = self.entry_kind.currentData() == EntryKind.COMMUNICATION
        for widget in (self.audience, self.channel, self.template):
            widget.setVisible(communication)

    def _time_edited(self) -> None:
        self._time_set_by_hand = True

    def _apply_template(self, index: int) -> None:
        template = self.template.itemData(index)
        if template is not None and self._incident is not None:
            self.body.setPlainText(fill_template(template, self._incident, datetime.now(UTC)))
            self.body.setFocus()
        self.template.setCurrentIndex(0)

    def add_entry(self) -> None:
        kind = EntryKind(self.entry_kind.currentData())
        details: dict[str, Any] = {}
        if kind is EntryKind.COMMUNICATION:
            details = {
                "audience": Audience(self.audience.currentData()).value,
                "channel": Channel(self.channel.currentData()).value,
            }
        if not self.body.toPlainText().strip():
            self.problem.setText("Write the entry first.")
            self.body.setFocus()
            return
        entry = NewEntry(
            kind=kind,
            body=self.body.toPlainText(),
            occurred_at=(
                from_qt(self.occurred_at.dateTime())
                if self._time_set_by_hand
                else datetime.now(UTC)
            ),
            details=details,
            amends_id=self._amending.id if self._amending else None,
        )
        incident_id = self._incident_id
        # The time of an entry not timed by hand is the moment of each try: not part of it.
        write_id = self._save_ids.for_attempt(
            (
                incident_id,
                entry.kind,
                entry.body,
                sorted(entry.details.items()),
                entry.amends_id,
                entry.occurred_at if self._time_set_by_hand else None,
            )
        )
        self.add_button.setEnabled(False)
        self._runner.write(
            self,
            lambda desk: changed(
                desk.timeline.append(incident_id, entry, desk.actor_id, write_id=write_id),
                [incident_id],
                ChangeKind.TIMELINE,
            ),
            lambda _: self._entry_added(write_id),
            self._failed,
        )

    def _entry_added(self, write_id: str) -> None:
        self._save_ids.saved(write_id)  # the same words written again are an entry of their own
        self.add_button.setEnabled(True)
        self.body.clear()
        self.problem.clear()
        self._amending = None
        self.amending_label.hide()
        self.occurred_at.setDateTime(QDateTime.currentDateTime())
        self._time_set_by_hand = False
        self._written()

    # Files dropped or pasted into the log

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if offers_files(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        offered = offered_by(event.mimeData())
        event.acceptProposedAction()
        if not offered.is_empty:
            self.attach(offered.paths, offered.image)

    def paste_image(self) -> None:
        offered = offered_by_clipboard()
        if offered.is_empty:
            self.problem.setText("There is no image or file on the clipboard.")
            return
        self.attach(offered.paths, offered.image)

    def attach(self, paths: list[Path], image: QImage | None = None) -> None:
        """Read the team's limits, then the files off the GUI thread, then store the good
        ones with an entry each; every refused one is named in one message."""
        copy = image.copy() if image is not None else None
        name = f"screenshot-{datetime.now().strftime('%Y-%m-%d-%H%M%S')}.png"

        def prepare(limits: Limits) -> tuple[list[PreparedFile], str]:
            batch = prepare_paths(paths, limits)
            files = [candidate.file for candidate in batch.candidates]
            refusals = list(batch.refusals)
            if copy is not None:
                try:
                    files.append(prepare_pasted_image(copy, name, limits).file)
                except AttachmentRefused as refused:
                    refusals.append(str(refused))
            return files, refusal_message(refusals)

        self.problem.setText("Attaching…")
        self._runner.read(
            self,
            lambda desk: Limits(
                desk.settings.attachment_max_bytes(), desk.settings.image_max_pixels()
            ),
            lambda limits: self._runner.files(
                self, lambda: prepare(limits), self._store_files, self._failed
            ),
            self._failed,
        )

    def _store_files(self, prepared: tuple[list[PreparedFile], str]) -> None:
        files, refused = prepared
        if not files:
            self.problem.setText(refused)
            return
        incident_id = self._incident_id

        def attach(desk: Desk) -> Changed[None]:
            desk.attachments.attach(incident_id, files, desk.actor_id)
            return changed(None, [incident_id], ChangeKind.UPDATED, ChangeKind.TIMELINE)

        self._runner.write(
            self,
            attach,
            lambda _: self._attached(len(files), refused),
            self._failed,
        )

    def _attached(self, count: int, refused: str = "") -> None:
        attached = f"Attached {count} file{'s' if count != 1 else ''}."
        self.problem.setText(f"{attached} {refused}" if refused else attached)
        self._written()

    def _written(self) -> None:
        self.changed.emit()  # the change stream has the window read the log again

    def _failed(self, error: Exception) -> None:
        self.add_button.setEnabled(True)
        if isinstance(error, AttachmentRefused | ValidationFailed):
            self.problem.setText(error_text(error))
        else:
            self.problem.setText(f"Not saved: {error_text(error)} Your text is still here.")
