"""The main window: the incident list with search and filters, menus and the status bar."""

from __future__ import annotations

import logging
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QEvent, QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDialog,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from incidentdesk import APPLICATION_NAME, paths
from incidentdesk.domain.counts import counted
from incidentdesk.domain.enums import OPEN_STATUSES, Status
from incidentdesk.domain.incident import Incident
from incidentdesk.services.desk import Desk
from incidentdesk.services.drafts import DraftStore, SavedDraft
from incidentdesk.services.incidents import IncidentQuery, SortKey
from incidentdesk.storage.locations import parse_location
from incidentdesk.ui.alert_drop import AlertFileDrop
from incidentdesk.ui.board_page import BoardPage
from incidentdesk.ui.dialogs import DialogService
from incidentdesk.ui.failures import as_sentence, error_text, fault_details, is_expected
from incidentdesk.ui.filter_bar import (
    FilterBar,
    FilterChoices,
    Filters,
    Me,
    apply_filters,
    narrows,
    saved_views,
    store_saved_views,
)
from incidentdesk.ui.incident_table import IncidentTable
from incidentdesk.ui.incident_table_model import COLUMNS, INCIDENT_ID_ROLE, IncidentTableModel
from incidentdesk.ui.live_updates import LiveUpdates
from incidentdesk.ui.notifications import Notifications
from incidentdesk.ui.recent_databases import (
    RecentDatabasesMenu,
    recent_databases,
    remember_database,
    set_asks_for_password,
)
from incidentdesk.ui.tasks import TaskRunner
from incidentdesk.ui.times import local_text

RESTORE = "Restore"
DISCARD_DRAFT = "Discard"
OPEN_ANYWAY = "Open Anyway"
TYPE_PASSWORD = "Type the Password…"
log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from incidentdesk.ui.about_dialog import AboutDialog
    from incidentdesk.ui.charts_page import ChartsPage
    from incidentdesk.ui.incident_form import IncidentForm
    from incidentdesk.ui.workspace import IncidentWorkspace

# (label, statuses shown, what the counter calls them); an empty set shows every status.
STATUS_FILTERS: tuple[tuple[str, frozenset[Status], str], ...] = (
    ("Open incidents", frozenset(OPEN_STATUSES), "open incidents"),
    ("All incidents", frozenset(), "incidents"),
    *((status.label, frozenset({status}), f"{status.value} incidents") for status in Status),
)
CHARTS_VIEW = 2  # the board is 0 and the list 1; the charts page is built when first shown
DEFAULT_COLUMN_WIDTHS = {
    SortKey.KEY: 90,
    SortKey.SEVERITY: 70,
    SortKey.PRIORITY: 64,
    SortKey.TITLE: 380,
    SortKey.STATUS: 100,
    SortKey.SERVICE: 150,
    SortKey.ASSIGNEE: 140,
}


class MainWindow(QMainWindow):
    """Shows one database; ``open_database`` switches to another without blocking."""

    database_opened = Signal(str)
    database_failed = Signal(str, str)  # the address, and why it could not be opened
    view_painted = Signal()  # the board or the list has drawn its incidents on screen

    def __init__(
        self,
        runner: TaskRunner,
        dialogs: DialogService,
        drafts: DraftStore | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._dialogs = dialogs
        self._drafts = drafts or DraftStore(paths.drafts_dir())
        self._forms: list[IncidentForm] = []
        self._charts: ChartsPage | None = None
        self._workspaces: dict[int, IncidentWorkspace] = {}
        self._closed_windows: list[QWidget] = []  # see _delete_closed_windows_when_idle
        self._desk: Desk | None = None
        self._address = ""
        # The windows whose unsaved text the person agreed to lose by opening another database.
        self._unsaved_text_given_up: set[str] = set()
        self._waiting_for_paint = False
        self._board_shown = False
        self._list_waits_for_board = False  # see _database_opened
        self.setWindowTitle(APPLICATION_NAME)
        self.resize(1180, 720)

        self.live_updates = LiveUpdates(runner, self)  # other clients' changes
        # A team server gone away: "Reconnecting in 2 s…", then "Connected" once it is back.
        # While reads wait for it, their countdown is the one shown.
        self.live_updates.listening_changed.connect(
            lambda _listening, text: (
                None if runner.server_retry.waiting else self.connection_label.setText(text)
            )
        )
        # A method, not a lambda: the runner outlives a window replaced or closed.
        runner.server_retry.state_changed.connect(self._show_server_state)
        # News for the person, and the badge; before the views, so that its check of a change
        # is queued on the read thread ahead of their reloads.
        self.notifications = Notifications(self, runner)
        self._build_list()

        self.empty_label = QLabel()
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setTextFormat(Qt.TextFormat.RichText)
        self.empty_label.setAccessibleName("No incidents")
        self.pages = QStackedWidget()
        self.pages.addWidget(self.table)
        self.pages.addWidget(self.empty_label)
        self.board = BoardPage(runner, dialogs)
        self.board.open_requested.connect(self.open_workspace)
        self.board.loaded.connect(self._board_loaded)
        self.views = QStackedWidget()
        self.views.addWidget(self.board)
        self.views.addWidget(self.pages)
        self.setCentralWidget(self.views)
        self._me = Me()
        self._list_stale = False

        self._build_toolbar()
        self._build_menus()
        self.new_button.setDefaultAction(self.new_action)
        self.new_button.setText("New Incident")
        self.table.activated.connect(
            lambda index: self.open_workspace(index.data(INCIDENT_ID_ROLE))
        )
        self._build_status_bar()
        self.model.loaded.connect(self._list_loaded)
        self.model.total_changed.connect(self._show_counts)
        self.model.load_failed.connect(self._load_failed)
        self.alert_drop = AlertFileDrop(self, runner, dialogs, lambda: self._desk)
        # On a later pass of the event loop: not inside the runner's delivery of results, and
        # after whatever else listens (the smoke test ends on a fault).
        runner.fault.connect(lambda error: QTimer.singleShot(0, lambda: self._report_fault(error)))
        # On a later pass, as a fault's dialog: not a modal loop inside the runner's delivery.
        runner.failed.connect(
            lambda error: QTimer.singleShot(0, lambda: self._unhandled_failure(error))
        )
        self._showing_fault = False
        runner.busy_changed.connect(
            lambda busy: (
                None if busy else QTimer.singleShot(0, self._delete_closed_windows_when_idle)
            )
        )
        self.database_opened.connect(self._remember_database)
        self._restore_settings()

    # Building

    def _build_list(self) -> None:
        """The incident list (Ctrl+2): a table over a model that reads page by page."""
        self.model = IncidentTableModel(self._runner, self)
        self.table = IncidentTable()
        self.table.setModel(self.model)
        self.model.draw_ahead = self.table.draw_ahead
        self.model.rows_drawn.connect(self.table.add_drawn)
        self.table.setAccessibleName("Incidents")
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, (key, _) in enumerate(COLUMNS):
            if key in DEFAULT_COLUMN_WIDTHS:
                header.resizeSection(column, DEFAULT_COLUMN_WIDTHS[key])
        priority_column = next(i for i, (key, _) in enumerate(COLUMNS) if key is SortKey.PRIORITY)
        header.setSortIndicator(priority_column, Qt.SortOrder.AscendingOrder)

    def _build_toolbar(self) -> None:
        toolbar = QToolBar("Search and filters")
        toolbar.setObjectName("search-toolbar")
        toolbar.setMovable(False)
        self.filter_bar = FilterBar()
        self.filter_bar.changed.connect(self._filters_changed)
        self.search = self.filter_bar.search
        self.search.returnPressed.connect(self._focus_current_view)
        self.status_filter = QComboBox()
        self.status_filter.setAccessibleName("Show incidents with status")
        for label, _, _ in STATUS_FILTERS:
            self.status_filter.addItem(label)
        self.status_filter.currentIndexChanged.connect(self._filter_changed)
        filter_label = QLabel("&Show:")
        filter_label.setBuddy(self.status_filter)
        self.new_button = QToolButton()
        self.new_button.setText("New Incident")
        self.new_button.setAccessibleName("New incident")
        self.new_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        toolbar.addWidget(self.new_button)
        toolbar.addSeparator()
        self.filter_bar_action = toolbar.addWidget(self.filter_bar)
        toolbar.addSeparator()
        self.status_filter_actions = [
            toolbar.addWidget(filter_label),
            toolbar.addWidget(self.status_filter),
        ]
        self.addToolBar(toolbar)
        self.setTabOrder(self.search, self.status_filter)
        self.setTabOrder(self.status_filter, self.table)
        self._build_saved_views()

    def _build_saved_views(self) -> None:
        self.saved_views = QListWidget()
        self.saved_views.setAccessibleName("Saved views")
        self.saved_views.itemActivated.connect(self._apply_saved_view)
        self.saved_views.itemClicked.connect(self._apply_saved_view)
        save = QPushButton("Save &View…")
        save.clicked.connect(self.save_current_view)
        delete = QPushButton("Delete")
        delete.clicked.connect(self._delete_saved_view)
        buttons = QHBoxLayout()
        buttons.addWidget(save)
        buttons.addWidget(delete)
        hint = QLabel("Set the filters above, then save them here under a name.")
        hint.setWordWrap(True)
        panel = QWidget()
        panel.setMaximumWidth(240)
        layout = QVBoxLayout(panel)
        layout.addWidget(hint)
        layout.addWidget(self.saved_views, 1)
        layout.addLayout(buttons)
        self.views_dock = QDockWidget("Saved Views", self)
        self.views_dock.setObjectName("saved-views")
        self.views_dock.setWidget(panel)
        self.views_dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetMovable
        )
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.views_dock)
        self.resizeDocks([self.views_dock], [170], Qt.Orientation.Horizontal)
        self._show_saved_views()

    def _build_menus(self) -> None:
        self._build_file_menu()
        self._build_edit_menu()
        self._build_view_menu()
        self._build_help_menu()

    def _build_file_menu(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.new_action = QAction("&New Incident…", self)
        self.new_action.setShortcut(QKeySequence.StandardKey.New)
        self.new_action.setToolTip("Log a new incident (Ctrl+N)")
        self.new_action.setEnabled(False)
        self.new_action.triggered.connect(self.new_incident)
        file_menu.addAction(self.new_action)
        self.open_incident_action = QAction("&Open Incident", self)
        self.open_incident_action.setShortcut(QKeySequence("Ctrl+Return"))
        self.open_incident_action.setEnabled(False)
        self.open_incident_action.triggered.connect(self._open_current)
        file_menu.addAction(self.open_incident_action)
        self.edit_action = QAction("&Edit Incident…", self)
        self.edit_action.setShortcut(QKeySequence("Ctrl+E"))
        self.edit_action.setEnabled(False)
        self.edit_action.triggered.connect(self._edit_current)
        file_menu.addAction(self.edit_action)
        file_menu.addSeparator()
        self.export_report_action = QAction("Export &Report…", self)
        self.export_report_action.setToolTip("The period report of the charts, as a PDF")
        self.export_report_action.triggered.connect(lambda: self.charts_page().export_report())
        file_menu.addAction(self.export_report_action)
        file_menu.addSeparator()
        self.open_action = QAction("&Open Database…", self)
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_action.triggered.connect(self.choose_database)
        file_menu.addAction(self.open_action)
        self.recent_menu = RecentDatabasesMenu(self)
        self.recent_menu.chosen.connect(self._open_recent)
        file_menu.addMenu(self.recent_menu)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

    def _build_edit_menu(self) -> None:
        edit_menu = self.menuBar().addMenu("&Edit")
        self.settings_action = QAction("&Settings…", self)
        self.settings_action.setShortcuts([QKeySequence("Ctrl+,")])
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.settings_action.setEnabled(False)
        self.settings_action.triggered.connect(self.show_settings)
        edit_menu.addAction(self.settings_action)

    def _build_view_menu(self) -> None:
        view_menu = self.menuBar().addMenu("&View")
        self.board_action = QAction("&Board", self)
        self.board_action.setShortcut(QKeySequence("Ctrl+1"))
        self.list_action = QAction("&List", self)
        self.list_action.setShortcut(QKeySequence("Ctrl+2"))
        self.charts_action = QAction("&Charts", self)
        self.charts_action.setShortcut(QKeySequence("Ctrl+3"))
        modes = QActionGroup(self)
        views = ((self.board_action, 0), (self.list_action, 1), (self.charts_action, CHARTS_VIEW))
        for action, page in views:
            action.setCheckable(True)
            modes.addAction(action)
            action.triggered.connect(lambda _=False, page=page: self.show_view(page))
            view_menu.addAction(action)
        self.board_action.setChecked(True)
        view_menu.addAction(self.board.undo_action)
        view_menu.addAction(self.views_dock.toggleViewAction())
        view_menu.addSeparator()
        find_action = QAction("&Find", self)
        find_action.setShortcuts([QKeySequence(QKeySequence.StandardKey.Find), QKeySequence("/")])
        find_action.triggered.connect(self.focus_search)
        refresh_action = QAction("&Refresh", self)
        refresh_action.setShortcut(QKeySequence.StandardKey.Refresh)
        refresh_action.triggered.connect(self.refresh)
        view_menu.addAction(find_action)
        view_menu.addAction(refresh_action)

    def _build_help_menu(self) -> None:
        help_menu = self.menuBar().addMenu("&Help")
        self.copy_diagnostics_action = QAction("Copy &Diagnostics", self)
        self.copy_diagnostics_action.setToolTip(
            "Copy the version, platform, database and recent problems for a bug report "
            "(never a password)"
        )
        self.copy_diagnostics_action.triggered.connect(self.copy_diagnostics)
        help_menu.addAction(self.copy_diagnostics_action)
        help_menu.addSeparator()
        about_action = QAction(f"&About {APPLICATION_NAME}", self)
        about_action.setMenuRole(QAction.MenuRole.AboutRole)
        about_action.triggered.connect(self.show_about)
        help_menu.addAction(about_action)

    def _build_status_bar(self) -> None:
        self.counts_label = QLabel()
        self.counts_label.setAccessibleName("Incident counts")
        self.database_label = QLabel("No database")
        self.database_label.setAccessibleName("Database")
        self.connection_label = QLabel("Opening…")
        self.connection_label.setAccessibleName("Connection state")
        bar = self.statusBar()
        bar.addWidget(self.counts_label, 1)
        bar.addPermanentWidget(self.database_label)
        bar.addPermanentWidget(self.connection_label)

    # Database

    @property
    def desk(self) -> Desk | None:
        return self._desk

    @property
    def address(self) -> str:
        return self._address

    def open_database(self, address: str) -> None:
        """Open ``address`` in the background; the current database stays until it succeeds.
        Then the windows of the current one close (see ``_close_windows_of``); if one holds
        typing that only a save would keep, the person is asked first."""
        from incidentdesk.services.desk import open_desk

        if not self._may_lose_unsaved_text(set()):
            return
        self._unsaved_text_given_up = set(self._workspaces_with_unsaved_text())
        self.connection_label.setText("Opening…")
        self.open_action.setEnabled(False)
        self._runner.open_database(
            self,
            lambda: open_desk(address),
            lambda desk: self._database_opened(address, desk),
            lambda error: self._database_failed(address, error),
        )

    def _may_lose_unsaved_text(self, given_up: set[str]) -> bool:
        """Whether the windows of the current database may close: none holds unsaved text
        besides ``given_up``, or the person says they may."""
        unsaved = [key for key in self._workspaces_with_unsaved_text() if key not in given_up]
        if not unsaved or self._desk is None:
            return True
        choice = self._dialogs.choose(
            self,
            "Open Another Database?",
            f"The windows of {self._desk.display_name} close when another database opens, "
            f"and text typed in {', '.join(unsaved)} is not saved yet. Save it first, or "
            "open the other database and lose that text.",
            [OPEN_ANYWAY],
        )
        return choice == OPEN_ANYWAY

    def _database_opened(self, address: str, desk: Desk) -> None:
        previous = self._desk
        # Text may have been typed while the database was opening: asked about too.
        if previous is not None and not self._may_lose_unsaved_text(self._unsaved_text_given_up):
            self.open_action.setEnabled(True)
            self.connection_label.setText("Connected")
            self._runner.close_database(desk)
            return
        if previous is not None:
            self._close_windows_of(previous)
        self._desk, self._address = desk, address
        self._runner.use(desk)
        self.live_updates.watch(desk)  # first: what the views read next is followed from here
        # The views' reads are queued before the rest, which runs while the read thread works.
        # (Their results reach the GUI thread after this, so the paint watch below sees them.)
        self.board.set_desk(desk)
        if self.views.currentIndex() == 1:
            self.model.set_desk(desk)
        else:
            # The board is on screen: the list reads its first page once the board has
            # painted, so that its query does not run before the board's on the read thread.
            self.model.set_desk(None)  # the rows of the database shown before go now
            self._list_waits_for_board = True
        self.open_action.setEnabled(True)
        self.database_label.setText(desk.display_name)
        self.database_label.setToolTip(desk.store.location.url)
        self.connection_label.setText("Connected")
        self.setWindowTitle(f"{APPLICATION_NAME} — {desk.display_name}")
        self._waiting_for_paint, self._board_shown = True, False
        self._watch_paints(True)
        if self._charts is not None:
            self._charts.set_desk(desk)
        self._load_filter_choices()
        self.new_action.setEnabled(True)
        self.settings_action.setEnabled(True)
        self.edit_action.setEnabled(True)
        self.open_incident_action.setEnabled(True)
        self._offer_drafts()
        if previous is not None:
            # Each worker thread holds its own connection to the old database.
            self._runner.close_database(previous)
        self.database_opened.emit(address)

    def _workspaces_with_unsaved_text(self) -> list[str]:
        """The incidents whose window holds typed text not saved yet (a timeline entry being
        written, not yet sent; postmortem sections), by key."""

        def unsaved(workspace: IncidentWorkspace) -> bool:
            timeline, postmortem = workspace.timeline, workspace.postmortem
            # While an entry is being sent its button is disabled: the write keeps it.
            writing = timeline.add_button.isEnabled() and timeline.body.toPlainText().strip()
            return bool(writing) or (postmortem is not None and postmortem.has_unsaved_changes)

        return [
            workspace.data.incident.key if workspace.data else f"incident {workspace.incident_id}"
            for workspace in self._workspaces.values()
            if unsaved(workspace)
        ]

    def _close_windows_of(self, desk: Desk) -> None:
        """Close the incident windows and forms of the database being left, as Anki closes a
        profile's windows: they show its incidents and would write to it. What a form holds is
        kept first as a draft of that database, offered again when it is next opened."""
        forms, workspaces = list(self._forms), list(self._workspaces.values())
        for form in forms:
            form.save_draft()
        for window in [*forms, *workspaces]:
            window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
            self._runner.retire(window)
        for form in forms:
            form.done(QDialog.DialogCode.Rejected)  # not reject(): that asks to discard
        for workspace in workspaces:
            workspace.close()
        self._forms.clear()
        self._workspaces.clear()
        self._closed_windows.extend([*forms, *workspaces])
        self._delete_closed_windows_when_idle()
        if forms:
            self.statusBar().showMessage(
                f"The incident forms of {desk.display_name} were closed; what was typed in "
                "them is kept as a draft and offered again when that database is opened.",
                15000,
            )
        elif workspaces:
            self.statusBar().showMessage(
                f"The incident windows of {desk.display_name} were closed.", 8000
            )

    def _delete_closed_windows_when_idle(self) -> None:
        """Delete the windows closed by a switch once no work is queued: what they had
        queued still runs (on their own database) and its results may still arrive for
        them, which must find them whole. Checked on a later pass of the event loop, as a
        result that ends the work is handled after the runner says it is idle."""
        if self._closed_windows and not self._runner.busy:
            for window in self._closed_windows:
                window.deleteLater()
            self._closed_windows.clear()

    def _load_filter_choices(self) -> None:
        def load(desk: Desk) -> FilterChoices:
            return FilterChoices(
                desk.catalog.services(), desk.catalog.categories(), desk.catalog.people()
            )

        def loaded(choices: FilterChoices) -> None:
            if self._desk is None:
                return
            actor_id = self._desk.actor_id
            me = next((person for person in choices.people if person.id == actor_id), None)
            self._me = Me(actor_id, me.team_id if me else None)
            self.filter_bar.set_choices(choices)

        self._runner.read(self, load, loaded, self._filter_choices_failed, supersede="choices")

    def _filter_choices_failed(self, error: Exception) -> None:
        self.statusBar().showMessage(
            f"The filters' services, categories and people could not be read: {error_text(error)}",
            15000,
        )

    def _drafts_unreadable(self, error: Exception) -> None:
        self.statusBar().showMessage(
            f"Unsaved incidents could not be looked for: {error_text(error)}", 15000
        )

    def _database_failed(self, address: str, error: Exception) -> None:
        self.open_action.setEnabled(True)
        self.connection_label.setText("Connected" if self._desk else "Not connected")
        self.database_failed.emit(address, error_text(error))

    def offer_next_step(self, address: str, message: str) -> None:
        """After a failed open: try again (for a server, with a password typed now), choose
        another database, or keep the current one."""
        from incidentdesk.storage.locations import BadDatabaseAddress, PostgresLocation

        try:
            location = parse_location(address)
        except BadDatabaseAddress:
            location = None
        server = isinstance(location, PostgresLocation)
        choices = ["Open Another Database…", *([TYPE_PASSWORD] if server else []), "Try Again"]
        choice = self._dialogs.choose(self, "Database Not Opened", message, choices)
        if choice == "Open Another Database…":
            self.choose_database()
        elif choice == "Try Again":
            self.open_database(address)
        elif choice == TYPE_PASSWORD and isinstance(location, PostgresLocation):
            from incidentdesk.ui.first_run import ask_password
            from incidentdesk.ui.first_run_dialog import address_with_password

            password = ask_password(self, location.url)
            if password is not None:
                self.open_database(address_with_password(location, password))

    def choose_database(self) -> None:
        from incidentdesk.ui.open_database_dialog import OpenDatabaseDialog

        dialog = OpenDatabaseDialog(self._address, self, recent_databases())
        if dialog.exec() != OpenDatabaseDialog.DialogCode.Accepted:
            return
        address_for_opening = dialog.address_for_opening()
        address, password = dialog.address(), dialog.password()
        # A password typed but not kept is asked for each time, never written to a file.
        set_asks_for_password(address, bool(password) and not dialog.remember_password())
        if not dialog.remember_password():
            self.open_database(address_for_opening)
            return
        from incidentdesk.storage.secrets import store_password

        def password_not_kept(error: Exception) -> None:
            self._password_not_kept(address, error)
            self.open_database(address_for_opening)

        # Stored before the database opens, which may read it back.
        self._runner.files(
            self,
            lambda: store_password(address, password),
            lambda _: self.open_database(address_for_opening),
            password_not_kept,
        )

    def _password_not_kept(self, address: str, error: Exception) -> None:
        set_asks_for_password(address, True)
        self._dialogs.warn_failure(
            self,
            "Password Not Kept",
            f"{as_sentence(error_text(error))} Until then Incident Desk asks for this "
            "database's password each time it opens it, rather than writing it into a file as "
            "plain text.",
            error,
        )

    def show_settings(self) -> QDialog | None:
        """Edit → Settings…: personal settings, and the team's for admins."""
        if self._desk is None:
            return None
        from incidentdesk.ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self._runner, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.team_saved.connect(self._load_filter_choices)
        dialog.open()
        return dialog

    def _open_recent(self, address: str) -> None:
        from incidentdesk.ui.first_run import open_remembered

        open_remembered(self, address)

    # Forms

    def open_workspace(self, incident_id: int) -> IncidentWorkspace | None:
        """The incident's own window: timeline, lifecycle, attachments, postmortem."""
        from incidentdesk.ui.workspace import IncidentWorkspace

        if self._desk is None:
            return None
        workspace = self._workspaces.get(incident_id)
        if workspace is None:
            workspace = IncidentWorkspace(
                self._desk, self._runner, self._dialogs, incident_id, self
            )
            workspace.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            workspace.edit_requested.connect(self.open_form)
            workspace.destroyed.connect(lambda: self._forget_workspace(incident_id, workspace))
            self._workspaces[incident_id] = workspace
        workspace.show()
        workspace.raise_()
        workspace.activateWindow()
        self.notifications.seen(incident_id)
        return workspace

    def _forget_workspace(self, incident_id: int, workspace: IncidentWorkspace) -> None:
        # Only this window: after a switch of database another may show the same id.
        if self._workspaces.get(incident_id) is workspace:
            del self._workspaces[incident_id]

    @property
    def workspaces(self) -> list[IncidentWorkspace]:
        return list(self._workspaces.values())

    def new_incident(self) -> IncidentForm | None:
        return self.open_form()

    def open_form(
        self,
        incident_id: int | None = None,
        draft: SavedDraft | None = None,
    ) -> IncidentForm | None:
        """Open the form for a new incident, an existing one, or a restored draft."""
        from incidentdesk.ui.incident_form import IncidentForm  # not needed at start-up

        if self._desk is None:
            return None
        for form in self._forms:
            if incident_id is not None and form.incident_id == incident_id:
                form.raise_()
                form.activateWindow()
                return form
        form = IncidentForm(
            self._desk,
            self._runner,
            self._dialogs,
            self._drafts,
            incident_id=incident_id,
            restored_draft=draft.fields if draft else None,
            draft_key=draft.key if draft else None,
            parent=self,
        )
        form.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        form.saved.connect(self._incident_saved)
        form.open_incident_requested.connect(self.open_form)
        form.destroyed.connect(lambda: self._forms.remove(form) if form in self._forms else None)
        form.finished.connect(lambda _: self._forms.remove(form) if form in self._forms else None)
        self._forms.append(form)
        form.show()
        return form

    @property
    def forms(self) -> list[IncidentForm]:
        return list(self._forms)

    def selected_incident_id(self) -> int | None:
        """The incident selected in the view in front (the board or the list); never the
        hidden view's."""
        if self.views.currentIndex() == 0:
            card = self.board.grid.selected_card()
            return card.id if card is not None else None
        rows = self.table.selectionModel().selectedRows()
        return int(rows[0].data(INCIDENT_ID_ROLE)) if rows else None

    def _nothing_selected(self, to_do: str) -> None:
        where = "on the board" if self.views.currentIndex() == 0 else "in the list"
        self.statusBar().showMessage(f"Select an incident {where} to {to_do} it.", 5000)

    def _open_current(self) -> None:
        incident_id = self.selected_incident_id()
        if incident_id is None:
            self._nothing_selected("open")
        else:
            self.open_workspace(incident_id)

    def _edit_current(self) -> None:
        incident_id = self.selected_incident_id()
        if incident_id is None:
            self._nothing_selected("edit")
        else:
            self.open_form(incident_id)

    def _incident_saved(self, incident: Incident) -> None:
        self.statusBar().showMessage(f"{incident.key} saved: {incident.title}", 8000)

    def _offer_drafts(self) -> None:
        """After a crash or a failed save, offer what was being typed."""
        drafts, desk = self._drafts, self._desk
        if desk is None:
            return
        database = desk.identity
        self._runner.files(
            self, lambda: drafts.made_on(database), self._drafts_found, self._drafts_unreadable
        )

    def _drafts_found(self, drafts: list[SavedDraft]) -> None:
        store = self._drafts
        for draft in drafts:
            when = local_text(draft.saved_at)
            choice = self._dialogs.choose(
                self,
                "Restore Unsaved Incident?",
                f"“{draft.title}” was being typed at {when} and was not saved.",
                [RESTORE, DISCARD_DRAFT],
            )
            if choice == RESTORE:
                self.open_form(draft.fields.get("incident_id"), draft)
            elif choice == DISCARD_DRAFT:
                self._runner.files(
                    self,
                    partial(store.discard, draft.key),
                    lambda _: None,
                    lambda error: self.statusBar().showMessage(
                        f"The draft could not be discarded: {error_text(error)}", 15000
                    ),
                )

    # The list

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _filters_changed(self, filters: Filters) -> None:
        # Only the view on screen queries now; the other catches up when it is shown.
        self.board.set_query(apply_filters(IncidentQuery(), filters, self._me))
        if self.views.currentIndex() == 1:
            self.model.set_query(apply_filters(self.model.query, filters, self._me))
        else:
            self._list_stale = True

    def show_view(self, page: int) -> None:
        """0: the board, 1: the list, both with the same filters; 2: the charts, which have
        filters of their own."""
        if page == CHARTS_VIEW:
            self.views.setCurrentWidget(self.charts_page())
        else:
            self.views.setCurrentIndex(page)
        (self.board_action, self.list_action, self.charts_action)[page].setChecked(True)
        for action in self.status_filter_actions:
            action.setVisible(page == 1)  # the board shows every open status side by side
        self.filter_bar_action.setVisible(page != CHARTS_VIEW)
        if page == 1:
            self._load_list_after_board()
        if page == 0:
            self._show_board_count()
        elif page == CHARTS_VIEW:
            self.counts_label.setText("")
        elif self._list_stale:
            self._list_stale = False
            self.model.set_query(
                apply_filters(self.model.query, self.filter_bar.filters(), self._me)
            )
        else:
            self._show_counts(self.model.total, counting=not self.model.counted)
        self._focus_current_view()

    def _focus_current_view(self) -> None:
        if self.views.currentIndex() == CHARTS_VIEW:
            self.charts_page().filter_bar.period.setFocus()
        elif self.views.currentIndex() == 1:
            self.table.setFocus()
        else:
            columns = self.board.grid.visible_columns()
            target = next((c for c in columns if c.model.rowCount()), columns[0])
            target.view.setFocus()
            if target.model.rowCount() and not target.view.currentIndex().isValid():
                target.view.setCurrentIndex(target.model.index(0))

    def _remember_database(self, address: str) -> None:
        # Each change QSettings writes to its file at once, with two fdatasyncs: on the files
        # thread, the GUI never waits for a busy disk (at start-up, before the first paint).
        self._runner.files(
            self, lambda: remember_database(address), lambda _: None, _database_not_remembered
        )

    def _show_server_state(self, _waiting: bool, text: str) -> None:
        self.connection_label.setText(text)

    def refresh(self) -> None:
        self._runner.server_retry.try_now()  # the reads below wait for it while it is away
        self.model.refresh()
        self.board.refresh()
        self._refresh_charts()

    # The charts

    def charts_page(self) -> ChartsPage:
        """The team leads' view, built the first time it is needed (it imports matplotlib, on
        a worker thread, only when first shown)."""
        if self._charts is None:
            from incidentdesk.ui.board_page import REFRESH_INTERVAL_MS
            from incidentdesk.ui.charts_page import ChartsPage
            from incidentdesk.ui.statistics_source import StatisticsSource

            self._charts = ChartsPage(self._runner, self._dialogs, StatisticsSource())
            self._charts.open_requested.connect(self.open_workspace)
            self._charts.exported.connect(
                lambda path: self.statusBar().showMessage(f"Saved {path}", 8000)
            )
            self._charts.set_refresh_interval(REFRESH_INTERVAL_MS)
            self.views.addWidget(self._charts)
            self._charts.set_desk(self._desk)
        return self._charts

    def _refresh_charts(self) -> None:
        if self._charts is not None:
            self._charts.refresh()

    def _board_loaded(self) -> None:
        # The columns fill in over a few passes of the event loop: painted means all of them,
        # so the next paint of a column with cards counts.
        self._board_shown = True
        if self.views.currentIndex() == 0:
            self._show_board_count()
            # In a narrow window the board scrolls sideways: a column out of view never paints.
            columns = [
                column
                for column in self.board.grid.visible_columns()
                if column.model.rowCount() and not column.view.viewport().visibleRegion().isEmpty()
            ]
            if self._waiting_for_paint and not columns:
                QTimer.singleShot(0, self._painted)
            elif self._waiting_for_paint:
                columns[-1].view.viewport().update()

    def _show_board_count(self) -> None:
        shown = self.shown_count()
        self.counts_label.setText(f"{counted(shown, 'incident')} on the board")

    def shown_count(self) -> int:
        """How many incidents the current view shows."""
        if self.views.currentIndex() == 0:
            return sum(column.model.total() for column in self.board.grid.visible_columns())
        return self.model.total

    # Saved views

    def _show_saved_views(self) -> None:
        self.saved_views.clear()
        for name in sorted(saved_views(), key=str.lower):
            self.saved_views.addItem(name)

    def save_current_view(self, name: str | None = None) -> None:
        if name is None:
            name, accepted = QInputDialog.getText(self, "Save View", "Name of this view:")
            if not accepted:
                return
        name = name.strip()
        if not name:
            return
        views = saved_views()
        views[name] = self.filter_bar.filters()
        store_saved_views(views)
        self._show_saved_views()

    def _apply_saved_view(self, item: QListWidgetItem) -> None:
        view = saved_views().get(item.text())
        if view is not None:
            self.filter_bar.set_filters(view)

    def _delete_saved_view(self) -> None:
        item = self.saved_views.currentItem()
        if item is None:
            return
        views = saved_views()
        views.pop(item.text(), None)
        store_saved_views(views)
        self._show_saved_views()

    def _filter_changed(self, index: int) -> None:
        statuses = STATUS_FILTERS[index][1]
        self.model.set_query(replace(self.model.query, statuses=statuses))

    def current_query(self) -> IncidentQuery:
        return self.model.query

    def _list_loaded(self) -> None:
        if not self.model.counted:
            self._show_counts(self.model.total, counting=True)
        if self.model.total == 0:
            self.empty_label.setText(self._empty_text())
            self.pages.setCurrentWidget(self.empty_label)
            if self._waiting_for_paint and self.views.currentIndex() == 1:
                QTimer.singleShot(0, self._painted)
        else:
            self.pages.setCurrentWidget(self.table)

    def _empty_text(self) -> str:
        query = self.model.query
        if self.model.database_empty:
            return (
                "<p><b>No incidents yet.</b></p><p>To try Incident Desk with realistic data, run "
                "<code>incidentdesk demo --incidents 1000</code>.</p>"
            )
        if query.text.strip():
            import html  # with its table of entities, off the start-up path

            return (
                f"<p>No incidents match <b>{html.escape(query.text)}</b>.</p>"
                "<p>Check the spelling or search for fewer words.</p>"
            )
        if narrows(query):
            return (
                "<p>No incidents match these filters.</p>"
                "<p>Clear some of them, or choose <b>All incidents</b>, to see the rest.</p>"
            )
        return (
            "<p>No incidents with this status.</p>"
            "<p>Choose <b>All incidents</b> to see the rest.</p>"
        )

    def _show_counts(self, total: int, *, counting: bool = False) -> None:
        if self.views.currentIndex() != 1:
            return
        query = self.model.query
        if query.text.strip():
            matches = counted(total, "incident matches", "incidents match", at_least=counting)
            text = f"{matches} “{query.text.strip()}”"
        else:
            plural = STATUS_FILTERS[self.status_filter.currentIndex()][2]
            text = counted(total, plural.removesuffix("s"), plural, at_least=counting)
        self.counts_label.setText(text)

    def _load_failed(self, error: Exception) -> None:
        self.connection_label.setText("Connection problem")
        self.statusBar().showMessage(
            f"The incidents could not be loaded: {error_text(error)} Press F5 to try again.",
            15000,
        )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self._waiting_for_paint and event.type() == QEvent.Type.Paint:
            on_list = self.views.currentIndex() == 1
            if on_list and watched is self.table.viewport() and self.model.rowCount() > 0:
                QTimer.singleShot(0, self._painted)
            board_views = [column.view for column in self.board.grid.visible_columns()]
            painted_card = any(
                watched is view.viewport() and view.model().rowCount() > 0 for view in board_views
            )
            if not on_list and painted_card and self._board_shown:
                QTimer.singleShot(0, self._painted)
        return super().eventFilter(watched, event)

    def _painted(self) -> None:
        if self._waiting_for_paint:
            self._waiting_for_paint = False
            self._watch_paints(False)
            # On a later pass: after what listens to the paint (the smoke test quits on it);
            # not at all once the window is gone.
            QTimer.singleShot(0, self, self._load_list_after_board)
            self.view_painted.emit()

    def _load_list_after_board(self) -> None:
        if self._list_waits_for_board:
            self._list_waits_for_board = False
            self.model.set_desk(self._desk)

    def _watch_paints(self, watching: bool) -> None:
        """Watch the views' paints only until the first after a database opens: each event
        they get would call into Python, and wait for the interpreter lock while a worker
        thread runs Python."""
        viewports = [self.table.viewport()]
        viewports += [column.view.viewport() for column in self.board.grid.columns.values()]
        for viewport in viewports:
            if watching:
                viewport.installEventFilter(self)
            else:
                viewport.removeEventFilter(self)

    # Failures of background work (see ui/failures.py)

    def _report_fault(self, error: Exception) -> None:
        """One dialog at a time, over the window in front (a form keeps its content)."""
        if self._showing_fault:
            return  # logged with its traceback already; one dialog is enough
        self._showing_fault = True
        try:
            parent = QApplication.activeWindow() or self
            self._dialogs.report_fault(parent, error_text(error), fault_details(error))
        finally:
            self._showing_fault = False

    def _unhandled_failure(self, error: Exception) -> None:
        if is_expected(error):  # an unexpected one has its fault dialog already
            self._dialogs.warn(QApplication.activeWindow() or self, "Not Done", error_text(error))

    # Window state

    def show_about(self) -> AboutDialog:
        from incidentdesk.ui.about_dialog import AboutDialog  # not needed at start-up

        dialog = AboutDialog(self._desk, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def copy_diagnostics(self) -> None:
        from incidentdesk.ui.diagnostics import copy_diagnostics

        copy_diagnostics(self._desk)
        self.statusBar().showMessage(
            "Diagnostics copied to the clipboard: paste them into a bug report.", 8000
        )

    def _restore_settings(self) -> None:
        settings = QSettings()
        geometry = settings.value("main_window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        header_state = settings.value("main_window/list_header")
        if isinstance(header_state, QByteArray):
            self.table.horizontalHeader().restoreState(header_state)
        state = settings.value("main_window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        self.show_view(1 if settings.value("main_window/view", 0, type=int) == 1 else 0)
        status_index = settings.value("main_window/status_filter", 0, type=int)
        if isinstance(status_index, int) and 0 <= status_index < len(STATUS_FILTERS):
            self.status_filter.setCurrentIndex(status_index)
        header = self.table.horizontalHeader()
        descending = header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
        sort = (
            COLUMNS[header.sortIndicatorSection()][0]
            if 0 <= header.sortIndicatorSection() < len(COLUMNS)
            else SortKey.PRIORITY
        )
        statuses = STATUS_FILTERS[self.status_filter.currentIndex()][1]
        self.model.set_query(IncidentQuery(statuses=statuses, sort=sort, descending=descending))

    def closeEvent(self, event: QCloseEvent) -> None:
        settings = QSettings()
        settings.setValue("main_window/geometry", self.saveGeometry())
        settings.setValue("main_window/list_header", self.table.horizontalHeader().saveState())
        settings.setValue("main_window/status_filter", self.status_filter.currentIndex())
        settings.setValue("main_window/view", self.views.currentIndex())
        settings.setValue("main_window/state", self.saveState())
        self.live_updates.stop()
        super().closeEvent(event)


def _database_not_remembered(error: Exception) -> None:
    """The database is open; it is only missing from File → Open Recent."""
    log.warning("The database could not be added to the recent ones: %s", error)
