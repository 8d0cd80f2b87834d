"""Edit → Settings…: the person's own settings (kept on this computer) and, for admins, the
team's (kept in the database): limits, the priority matrix, SLA targets and the catalogs,
with a record of who changed what."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from incidentdesk.domain.validation import ValidationFailed
from incidentdesk.services.changes import unchanged
from incidentdesk.services.team_settings import SettingChange, TeamSettings, TeamSettingsService
from incidentdesk.ui.failures import error_text
from incidentdesk.ui.intake_rules_tab import IntakeRulesTab
from incidentdesk.ui.people_tab import PeopleTab
from incidentdesk.ui.personal_settings import (
    NOTIFICATION_KINDS,
    PersonalSettings,
    Theme,
    TimeDisplay,
    apply_personal_settings,
    load_personal_settings,
    save_personal_settings,
)
from incidentdesk.ui.settings_models import PriorityMatrixModel, SlaTargetsModel
from incidentdesk.ui.tasks import TaskRunner
from incidentdesk.ui.times import local_text

MEGABYTE = 1024 * 1024
# (catalog key, label); "monitoring_sources" is a list setting, the others are tables.
CATALOGS = (
    ("services", "Services"),
    ("categories", "Categories"),
    ("teams", "Teams, in escalation order"),
    ("monitoring_sources", "Monitoring sources"),
)
SETTING_NAMES = {
    "attachment_max_bytes": "the attachment size limit",
    "priority_matrix": "the priority matrix",
    "sla_targets": "the SLA targets",
    "monitoring_sources": "the monitoring sources",
    "teams.escalation_order": "the escalation order",
    "intake_rules": "the alert rules",
    "people.change": "someone's role, team or details",
}
ITEM_ID_ROLE = Qt.ItemDataRole.UserRole


def change_text(change: SettingChange) -> str:
    catalog, _, action = change.setting.partition(".")
    if action == "add":
        what = f"added “{change.new_value}” to the {catalog}"
    elif action == "rename":
        what = f"renamed “{change.old_value}” to “{change.new_value}” in the {catalog}"
    else:
        what = f"changed {SETTING_NAMES.get(change.setting, change.setting)}"
    return f"{local_text(change.changed_at)}  {change.actor} {what}"


class SettingsDialog(QDialog):
    team_saved = Signal()

    """Works on the database the runner has open (``TaskRunner.use``)."""

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._team: TeamSettings | None = None
        self.setWindowTitle("Settings")
        self.setMinimumSize(720, 620)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._personal_tab(), "&Personal")
        self.tabs.addTab(self._team_tab(), "&Team")
        self.tabs.addTab(self._catalogs_tab(), "&Catalogs")
        self.alert_rules = IntakeRulesTab(runner)
        self.alert_rules.saved.connect(self._reload_changes)
        # No mnemonic: every letter of its name is taken on one page or another; Ctrl+Tab.
        self.tabs.addTab(self.alert_rules, "Alert Rules")
        self.people_tab = PeopleTab(runner)
        self.people_tab.changed.connect(self.reload)
        self.team_saved.connect(self.people_tab.reload)
        self.tabs.addTab(self.people_tab, "Peop&le")
        self.tabs.addTab(self._changes_tab(), "C&hanges")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(buttons)
        self._set_team_editable(False, "Loading the team's settings…")
        self._set_catalogs_editable(False, "Loading the team's settings…")
        self.reload()

    # Personal

    def _personal_tab(self) -> QWidget:
        chosen = load_personal_settings()
        self.theme = QComboBox()
        self.theme.setAccessibleName("Theme")
        for theme in Theme:
            self.theme.addItem(theme.label, theme.value)
        self.theme.setCurrentIndex(list(Theme).index(chosen.theme))
        self.time_display = QComboBox()
        self.time_display.setAccessibleName("Show times in")
        for display in TimeDisplay:
            self.time_display.addItem(display.label, display.value)
        self.time_display.setCurrentIndex(list(TimeDisplay).index(chosen.time_display))
        notifications = QGroupBox("Notify me about")
        notification_layout = QVBoxLayout(notifications)
        self.notifications: dict[str, QCheckBox] = {}
        for kind, label in NOTIFICATION_KINDS:
            box = QCheckBox(label)
            box.setChecked(chosen.notifications.get(kind, True))
            box.toggled.connect(self._personal_changed)
            notification_layout.addWidget(box)
            self.notifications[kind] = box
        how = QLabel(
            "Shown on the desktop and counted in the status bar; your own changes never notify you."
        )
        how.setWordWrap(True)
        notification_layout.addWidget(how)
        page = QWidget()
        form = QFormLayout(page)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        form.addRow("Th&eme:", self.theme)
        form.addRow("Show t&imes in:", self.time_display)
        form.addRow(notifications)
        where = QLabel("These settings are yours, kept on this computer.")
        where.setWordWrap(True)
        form.addRow(where)
        self.theme.currentIndexChanged.connect(self._personal_changed)
        self.time_display.currentIndexChanged.connect(self._personal_changed)
        return page

    def personal_settings(self) -> PersonalSettings:
        return PersonalSettings(
            theme=Theme(self.theme.currentData()),
            time_display=TimeDisplay(self.time_display.currentData()),
            notifications={kind: box.isChecked() for kind, box in self.notifications.items()},
        )

    def _personal_changed(self) -> None:
        chosen = self.personal_settings()
        save_personal_settings(chosen)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_personal_settings(app, chosen)

    # Team

    def _team_tab(self) -> QWidget:
        self.role_note = QLabel()
        self.role_note.setWordWrap(True)
        self.role_note.setAccessibleName("Who may change these settings")
        self.attachment_limit = QSpinBox()
        self.attachment_limit.setRange(1, 2048)
        self.attachment_limit.setSuffix(" MB")
        self.attachment_limit.setAccessibleName("Attachment size limit")
        self.matrix_model = PriorityMatrixModel(self)
        self.matrix = self._grid(self.matrix_model, "Priority matrix")
        self.sla_model = SlaTargetsModel(self)
        self.sla = self._grid(self.sla_model, "SLA targets")
        self.save_button = QPushButton("&Save Team Settings")
        self.save_button.clicked.connect(self.save_team)
        self.team_status = QLabel()
        self.team_status.setWordWrap(True)
        self.team_status.setAccessibleName("Team settings result")
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(self.role_note)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        form.addRow("&Attachment size limit:", self.attachment_limit)
        layout.addLayout(form)
        matrix_label = QLabel("Priorit&y of each severity × urgency (P1 is worked on first):")
        matrix_label.setBuddy(self.matrix)
        layout.addWidget(matrix_label)
        layout.addWidget(self.matrix)
        sla_label = QLabel("SLA tar&gets per severity, in minutes:")
        sla_label.setBuddy(self.sla)
        layout.addWidget(sla_label)
        layout.addWidget(self.sla)
        row = QHBoxLayout()
        row.addWidget(self.team_status, 1)
        row.addWidget(self.save_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(row)
        return page

    @staticmethod
    def _grid(model: PriorityMatrixModel | SlaTargetsModel, name: str) -> QTableView:
        view = QTableView()
        view.setModel(model)
        view.setAccessibleName(name)
        view.setTabKeyNavigation(False)  # Tab leaves the grid; arrows move inside it
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows = model.rowCount()
        height = view.verticalHeader().defaultSectionSize() * rows
        view.setFixedHeight(height + view.horizontalHeader().sizeHint().height() + 4)
        return view

    # Catalogs

    def _catalogs_tab(self) -> QWidget:
        self.catalog = QComboBox()
        self.catalog.setAccessibleName("Catalog")
        for key, label in CATALOGS:
            self.catalog.addItem(label, key)
        self.entries = QListWidget()
        self.entries.setAccessibleName("Catalog entries")
        self.entry_name = QLineEdit()
        self.entry_name.setAccessibleName("Entry name")
        self.entry_name.setPlaceholderText("Name")
        self.add_button = QPushButton("A&dd")
        self.rename_button = QPushButton("&Rename")
        self.up_button = QPushButton("Move &Up")
        self.down_button = QPushButton("Move Do&wn")
        self.remove_button = QPushButton("Remo&ve")
        self.catalog_status = QLabel()
        self.catalog_status.setWordWrap(True)
        self.catalog_status.setAccessibleName("Catalog result")
        self.add_button.clicked.connect(self.add_entry)
        self.rename_button.clicked.connect(self.rename_entry)
        self.up_button.clicked.connect(lambda: self.move_entry(-1))
        self.down_button.clicked.connect(lambda: self.move_entry(1))
        self.remove_button.clicked.connect(self.remove_entry)
        self.catalog.currentIndexChanged.connect(self._show_catalog)
        self.entries.currentItemChanged.connect(
            lambda item, _: self.entry_name.setText(item.text() if item else "")
        )
        side = QVBoxLayout()
        for button in (
            self.add_button,
            self.rename_button,
            self.up_button,
            self.down_button,
            self.remove_button,
        ):
            side.addWidget(button)
        side.addStretch(1)
        lists = QHBoxLayout()
        lists.addWidget(self.entries, 1)
        lists.addLayout(side)
        page = QWidget()
        layout = QVBoxLayout(page)
        form = QFormLayout()
        form.addRow("Catal&og:", self.catalog)
        form.addRow("&Name:", self.entry_name)
        layout.addLayout(form)
        layout.addLayout(lists, 1)
        layout.addWidget(self.catalog_status)
        return page

    def _changes_tab(self) -> QWidget:
        self.changes = QListWidget()
        self.changes.setAccessibleName("Changes to the team's settings")
        page = QWidget()
        layout = QVBoxLayout(page)
        label = QLabel("Who changed the team's settings, newest first:")
        layout.addWidget(label)
        layout.addWidget(self.changes)
        return page

    # Loading

    def reload(self) -> None:
        self._runner.read(
            self,
            lambda desk: (desk.team_settings.current(), desk.team_settings.history()),
            self._loaded,
            self._load_failed,
        )

    def _loaded(self, loaded: tuple[TeamSettings, list[SettingChange]]) -> None:
        team, history = loaded
        self._team = team
        self.attachment_limit.setValue(max(1, round(team.attachment_max_bytes / MEGABYTE)))
        self.matrix_model.set_cells(team.priority_cells)
        self.sla_model.set_targets(team.sla_targets)
        self._show_catalog()
        self._show_changes(history)
        settings, catalogs = team.settings_permission, team.catalogs_permission
        self._set_team_editable(
            settings.allowed,
            "You are an admin: changes here apply to everyone."
            if settings.allowed
            else settings.reason,
        )
        self._set_catalogs_editable(catalogs.allowed, catalogs.reason)

    def _reload_changes(self) -> None:
        self._runner.read(
            self,
            lambda desk: desk.team_settings.history(),
            self._show_changes,
            lambda error: self.changes.addItem(
                f"The latest changes could not be read: {error_text(error)}"
            ),
        )

    def _show_changes(self, history: list[SettingChange]) -> None:
        self.changes.clear()
        for change in history:
            item = QListWidgetItem(change_text(change))
            item.setToolTip(f"Before: {change.old_value}\nAfter: {change.new_value}")
            self.changes.addItem(item)
        if not history:
            self.changes.addItem("No changes recorded yet.")

    def _load_failed(self, error: Exception) -> None:
        note = f"The team's settings could not be read: {error_text(error)}"
        self._set_team_editable(False, note)
        self._set_catalogs_editable(False, note)

    def _set_team_editable(self, editable: bool, note: str) -> None:
        self.role_note.setText(note)
        reason = "" if editable else note
        self.matrix_model.editable = self.sla_model.editable = editable
        for widget in (self.attachment_limit, self.save_button):
            widget.setEnabled(editable)
            widget.setToolTip(reason)
        for view in (self.matrix, self.sla):
            view.setToolTip(reason)

    def _set_catalogs_editable(self, editable: bool, reason: str) -> None:
        """Leads and admins change the catalogs; for others each control says why not."""
        self._catalogs_editable = editable
        for widget in (
            self.entry_name,
            self.add_button,
            self.rename_button,
            self.up_button,
            self.down_button,
            self.remove_button,
        ):
            widget.setEnabled(editable)
            widget.setToolTip(reason)
        if editable:
            self._show_catalog()

    # Saving

    def save_team(self) -> None:
        limit = self.attachment_limit.value() * MEGABYTE
        if self._team is not None and abs(self._team.attachment_max_bytes - limit) < MEGABYTE / 2:
            limit = self._team.attachment_max_bytes  # shown rounded; unchanged if not touched
        cells, targets = self.matrix_model.cells(), self.sla_model.targets()
        self.save_button.setEnabled(False)
        self.team_status.setText("Saving…")
        self._runner.write(
            self,
            lambda desk: unchanged(
                desk.team_settings.update(
                    attachment_max_bytes=limit, priority_cells=cells, sla_targets=targets
                )
            ),
            self._team_saved,
            self._team_refused,
        )

    def _team_saved(self, changed: list[str]) -> None:
        self.save_button.setEnabled(True)
        names = [SETTING_NAMES.get(key, key) for key in changed]
        self.team_status.setText(
            f"Saved {', '.join(names)}." if names else "Nothing had changed, so nothing was saved."
        )
        self.team_saved.emit()
        self.reload()

    def _team_refused(self, error: Exception) -> None:
        self.save_button.setEnabled(True)
        self.team_status.setText(error_text(error))
        if isinstance(error, ValidationFailed) and error.errors:
            field = error.errors[0].field
            if field.startswith("priority_matrix"):
                self.matrix.setFocus()
            elif field.startswith("sla_targets"):
                self.sla.setFocus()
            elif field == "attachment_max_bytes":
                self.attachment_limit.setFocus()

    # Catalog entries

    def _catalog_key(self) -> str:
        return str(self.catalog.currentData())

    def _show_catalog(self) -> None:
        self.entries.clear()
        team = self._team
        if team is None:
            return
        key = self._catalog_key()
        if key == "monitoring_sources":
            for name in team.monitoring_sources:
                self.entries.addItem(name)
        else:
            for entry in getattr(team, key):
                item = QListWidgetItem(entry.name)
                item.setData(ITEM_ID_ROLE, entry.id)
                self.entries.addItem(item)
        if not self._catalogs_editable:
            return  # every button stays disabled, its tooltip saying why
        ordered = key in ("teams", "monitoring_sources")
        for button in (self.up_button, self.down_button):
            button.setEnabled(ordered)
            button.setToolTip("" if ordered else "This catalog is kept in alphabetical order")
        removable = key == "monitoring_sources"
        self.remove_button.setEnabled(removable)
        self.remove_button.setToolTip(
            "" if removable else "Entries that incidents refer to are kept; rename one instead"
        )

    def _sources(self) -> list[str]:
        return [self.entries.item(row).text() for row in range(self.entries.count())]

    def _catalog_write(self, change: Callable[[TeamSettingsService], object]) -> None:
        """Make ``change`` to the team's settings; it changes how incidents read (a renamed
        service), not the incidents themselves."""
        self.catalog_status.setText("Saving…")
        self._runner.write(
            self,
            lambda desk: unchanged(change(desk.team_settings)),
            lambda _: self._catalog_saved(),
            self._catalog_refused,
        )

    def _catalog_saved(self) -> None:
        self.catalog_status.setText("Saved.")
        self.team_saved.emit()
        self.reload()

    def _catalog_refused(self, error: Exception) -> None:
        self.catalog_status.setText(error_text(error))

    def add_entry(self) -> None:
        key, name = self._catalog_key(), self.entry_name.text()
        if key == "monitoring_sources":
            sources = [*self._sources(), name]
            self._catalog_write(lambda service: service.update(monitoring_sources=sources))
        else:
            self._catalog_write(lambda service: service.add(key, name))

    def rename_entry(self) -> None:
        item = self.entries.currentItem()
        if item is None:
            self.catalog_status.setText("Choose the entry to rename in the list first.")
            return
        key, name = self._catalog_key(), self.entry_name.text()
        if key == "monitoring_sources":
            sources = self._sources()
            sources[self.entries.row(item)] = name
            self._catalog_write(lambda service: service.update(monitoring_sources=sources))
        else:
            item_id = int(item.data(ITEM_ID_ROLE))
            self._catalog_write(lambda service: service.rename(key, item_id, name))

    def move_entry(self, step: int) -> None:
        row = self.entries.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.entries.count():
            return
        item = self.entries.takeItem(row)
        self.entries.insertItem(target, item)
        self.entries.setCurrentRow(target)
        if self._catalog_key() == "teams":
            order = [
                int(self.entries.item(index).data(ITEM_ID_ROLE))
                for index in range(self.entries.count())
            ]
            self._catalog_write(lambda service: service.set_escalation_order(order))
        else:
            sources = self._sources()
            self._catalog_write(lambda service: service.update(monitoring_sources=sources))

    def remove_entry(self) -> None:
        row = self.entries.currentRow()
        if row < 0 or self._catalog_key() != "monitoring_sources":
            return
        sources = self._sources()
        del sources[row]
        self._catalog_write(lambda service: service.update(monitoring_sources=sources))
