"""The team leads' view: headline tiles, then the charts, under filters they all share.

Nothing here imports matplotlib. The first time the page is shown it imports the chart modules
on the files thread while the read thread computes the first statistics, behind a busy
indicator, and only then builds its canvases (on the GUI thread, as Qt requires). Every change
of filter computes on the read thread, keeping only the newest request, and each chart is
rendered on the read thread too; the GUI thread only copies finished pictures to the screen.
"""

from __future__ import annotations

import csv
import gc
import importlib
import io
import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QModelIndex, QObject, QPoint, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QFont, QHideEvent, QPalette, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from incidentdesk.charts.style import LIGHT, SEVERITY_LINES
from incidentdesk.services.desk import Desk
from incidentdesk.ui.changes import IncidentsChanged
from incidentdesk.ui.chart_rows_model import ChartRowsModel
from incidentdesk.ui.chart_summary_model import SummaryTableModel
from incidentdesk.ui.charts_filter_bar import ChartsFilterBar, ChartsSelection, utc_today
from incidentdesk.ui.charts_source import (
    ChartInfo,
    ChartsSource,
    CsvTable,
    Palette,
    SummaryTable,
    Tile,
)
from incidentdesk.ui.dialogs import DialogService
from incidentdesk.ui.exports import write_atomically
from incidentdesk.ui.incident_table_model import INCIDENT_ID_ROLE
from incidentdesk.ui.tasks import TaskRunner
from incidentdesk.ui.theme import is_dark
from incidentdesk.ui.wrapped_label import WrappedLabel

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from incidentdesk.ui.chart_canvas import ChartCanvas
    from incidentdesk.ui.chart_render import Hit, RenderedChart

log = logging.getLogger(__name__)

# Imported on the files thread the first time the page opens: matplotlib and everything that
# draws with it, but not the Qt canvas subclass, which is defined on the GUI thread.
CHART_MODULES = (
    "matplotlib.backends.backend_qtagg",
    "incidentdesk.ui.chart_render",
    "incidentdesk.services.chart_series",
    "incidentdesk.charts.figures",
)
RESIZE_SETTLE_MS = 120
CHANGES_SETTLE_MS = 1000
# After this long without a new picture, the charts are idle: then the garbage renders kept
# out of the collector's reach is collected (chart_render.FrozenRenders.collect_escaped).
IDLE_COLLECTION_MS = 20_000
# Replaced figures are taken apart once no picture has come for this long, or at once when
# this many wait (see _ReplacedFigures).
RELEASE_WHEN_QUIET_MS = 250
MOST_FIGURES_WAITING = 24
CHART_HEIGHT = 440  # the canvas's, so that a table beside it lines up
ROWS_PER_READ = 5000  # ids per query when listing the incidents behind a click
IMAGE_FORMATS = (("png", "PNG image"), ("svg", "SVG drawing"), ("pdf", "PDF document"))


def chart_palette(palette: QPalette, font_size: float) -> Palette:
    dark = is_dark(palette)
    return Palette(
        text=palette.color(QPalette.ColorRole.WindowText).name(),
        background=palette.color(QPalette.ColorRole.Base).name(),
        muted=palette.color(QPalette.ColorRole.PlaceholderText).name(),
        grid=palette.color(QPalette.ColorRole.Mid).name(),
        accent=palette.color(QPalette.ColorRole.Highlight).name(),
        severity=SEVERITY_LINES["dark" if dark else "light"],
        font_size=font_size,
        dark=dark,
    )


def export_palette(font_size: float) -> Palette:
    """Exported charts are meant for paper and slides: always on white."""
    return Palette(
        text=LIGHT.foreground,
        background=LIGHT.background,
        muted=LIGHT.muted,
        grid=LIGHT.grid,
        accent=LIGHT.accent,
        severity=SEVERITY_LINES["light"],
        font_size=font_size,
        dark=False,
    )


def import_chart_modules() -> None:
    """Import matplotlib and the charts (on the files thread, beside the first read). The
    collector is held off meanwhile and what the import made is frozen afterwards, as the
    program freezes its start-up objects: a full collection over matplotlib's thousands of
    new objects ran for over 100 ms holding the interpreter lock, and the GUI thread missed
    frames."""
    gc.disable()
    try:
        for name in CHART_MODULES:
            importlib.import_module(name)
    finally:
        gc.freeze()
        gc.enable()


def write_csv(path: Path, table: CsvTable) -> Path:
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(table.header)
    writer.writerows(table.rows)
    write_atomically(path, text.getvalue().encode("utf-8"))
    return path


def file_name_for(chart: str, selection: ChartsSelection, suffix: str, variant: str = "") -> str:
    name = f"{chart}-{variant}" if variant else chart
    return f"{name}-{selection.start.isoformat()}-to-{selection.end.isoformat()}.{suffix}"


@dataclass(frozen=True)
class Refused:
    """An export that could not be done, for a reason the person can act on."""

    error: Exception


class TileView(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = WrappedLabel()
        self.value = QLabel()
        value_font = QFont(self.font())
        value_font.setPointSizeF(value_font.pointSizeF() * 1.9)
        value_font.setBold(True)
        self.value.setFont(value_font)
        self.detail = WrappedLabel()
        self.comparison = WrappedLabel()
        title_font = QFont(self.font())
        title_font.setBold(True)
        self.title.setFont(title_font)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.value)
        layout.addWidget(self.detail)
        layout.addWidget(self.comparison)
        layout.addStretch(1)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def show_tile(self, tile: Tile) -> None:
        self.title.setText(tile.title)
        self.value.setText(tile.value)
        self.detail.setText(tile.detail)
        self.comparison.setText(tile.comparison)
        self.setAccessibleName(f"{tile.title}: {tile.value}")
        self.setAccessibleDescription(f"{tile.detail}. {tile.comparison}")


class ChartPanel(QFrame):
    """One chart: its question, the picture, how it was computed, and the incidents behind
    the last thing clicked."""

    export_requested = Signal(str, str)  # chart name, format: png, svg, pdf or csv
    rows_requested = Signal(str, object)  # chart name, Hit
    variant_changed = Signal(str)  # chart name
    open_requested = Signal(int)

    def __init__(self, info: ChartInfo, canvas: ChartCanvas, parent: QWidget | None = None):
        super().__init__(parent)
        self.info = info
        self.canvas = canvas
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName(f"chart-{info.name}")
        self.setAccessibleName(info.title)
        self._build_heading(info)
        self._build_summary()
        canvas.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        canvas.customContextMenuRequested.connect(self._context_menu)
        canvas.setAccessibleName(info.title)
        canvas.clicked.connect(lambda hit: self.rows_requested.emit(self.info.name, hit))
        self.how = WrappedLabel()
        self.how.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.how.setAccessibleName(f"How {info.title.lower()} is computed")
        self._rows_built = False  # the list of incidents behind a click: see build_rows
        heading = QHBoxLayout()
        heading.addWidget(self.title, 1)
        heading.addWidget(self.variant)
        heading.addWidget(self.export_button)
        self.body = QHBoxLayout()
        self.body.addWidget(canvas, 3)
        self.body.addWidget(self.summary_table, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(heading)
        layout.addLayout(self.body)
        layout.addWidget(self.how)
        self.rows_box = QWidget()  # filled by build_rows
        self.rows_box.hide()
        layout.addWidget(self.rows_box)
        self.variant.setVisible(bool(info.variants))  # once in the layout, or it is a window

    def _build_heading(self, info: ChartInfo) -> None:
        self.title = QLabel(info.title)
        title_font = QFont(self.font())
        title_font.setPointSizeF(title_font.pointSizeF() * 1.25)
        title_font.setBold(True)
        self.title.setFont(title_font)
        self.export_button = QToolButton()
        self.export_button.setText("Export")
        self.export_button.setAccessibleName(f"Export {info.title}")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.export_menu = QMenu(self)
        self.export_actions: dict[str, QAction] = {}
        for suffix, label in (*IMAGE_FORMATS, ("csv", "rows as CSV")):
            action = self.export_menu.addAction(f"Save Chart as {label}…")
            if suffix == "csv":
                action.setText("Save the Rows Behind It as CSV…")
            action.triggered.connect(
                lambda _=False, suffix=suffix: self.export_requested.emit(self.info.name, suffix)
            )
            self.export_actions[suffix] = action
        self.export_button.setMenu(self.export_menu)
        self.variant = QComboBox()
        self.variant.setAccessibleName(f"What {info.title.lower()} shows")
        for key, label in info.variants:
            self.variant.addItem(label, key)
        self.variant.currentIndexChanged.connect(
            lambda _: self.variant_changed.emit(self.info.name)
        )

    def _build_summary(self) -> None:
        self.summary_model = SummaryTableModel(self)
        self.summary_table = QTableView()
        self.summary_table.setModel(self.summary_model)
        self.summary_table.setAccessibleName(f"Table of {self.info.title.lower()}")
        self.summary_table.setSortingEnabled(True)
        self.summary_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.summary_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.summary_table.verticalHeader().hide()
        self.summary_table.setWordWrap(False)
        self.summary_table.setFixedHeight(CHART_HEIGHT)
        self.summary_table.setMinimumWidth(420)
        self.summary_table.hide()
        self.summary_table.activated.connect(self._summary_row_chosen)
        self.summary_table.clicked.connect(self._summary_row_chosen)

    def build_rows(self) -> None:
        """The list of the incidents behind a click, under the chart (hidden until then).
        The page builds it in a pass of the event loop of its own, once the panel is in
        place: the whole panel at once kept the GUI thread from a frame. Its widgets then
        follow the panel's others in the tab order, as they would if built with them."""
        if self._rows_built:
            return
        self._rows_built = True
        self._build_rows(self.info)

    def _build_rows(self, info: ChartInfo) -> None:
        self.rows_title = WrappedLabel()
        self.rows_model = ChartRowsModel(self)
        self.rows_table = QTableView()
        self.rows_table.setModel(self.rows_model)
        self.rows_table.setAccessibleName(f"Incidents behind {info.title.lower()}")
        self.rows_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.rows_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.rows_table.setSortingEnabled(True)
        self.rows_table.sortByColumn(6, Qt.SortOrder.DescendingOrder)
        self.rows_table.verticalHeader().hide()
        self.rows_table.horizontalHeader().setStretchLastSection(True)
        self.rows_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.rows_table.setWordWrap(False)
        self.rows_table.setMinimumHeight(180)
        self.rows_table.activated.connect(
            lambda index: self.open_requested.emit(index.data(INCIDENT_ID_ROLE))
        )
        self.hide_rows = QPushButton("Hide List")
        self.hide_rows.clicked.connect(self.clear_rows)
        rows_layout = QVBoxLayout(self.rows_box)
        rows_layout.setContentsMargins(0, 0, 0, 0)
        rows_heading = QHBoxLayout()
        rows_heading.addWidget(self.rows_title, 1)
        rows_heading.addWidget(self.hide_rows)
        rows_layout.addLayout(rows_heading)
        rows_layout.addWidget(self.rows_table)

    def variant_key(self) -> str:
        return str(self.variant.currentData() or "")

    def show_summary(self, table: SummaryTable | None) -> None:
        self.summary_model.set_table(table)
        self.summary_table.setVisible(table is not None)
        if table is not None:
            header = self.summary_table.horizontalHeader()
            # A few dozen rows at most: fitting the numbers to their contents is cheap, and
            # the names get the rest of the width.
            header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
            header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
            header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)

    def _summary_row_chosen(self, index: QModelIndex) -> None:
        from incidentdesk.ui.chart_render import Hit

        if not index.isValid():
            return
        label = self.summary_model.label(index.row())
        ids = self.summary_model.incident_ids(index.row())
        self.rows_requested.emit(self.info.name, Hit(label, label, ids))

    def _context_menu(self, position: QPoint) -> None:
        self.export_menu.popup(self.canvas.mapToGlobal(position))

    def show_how(self, text: str) -> None:
        self.how.setText(f"<b>How this is computed:</b> {text}")

    def show_rows_loading(self, hit: Hit) -> None:
        self.build_rows()
        self.rows_title.setText(f"<b>{hit.title}</b> — listing {len(hit.incident_ids):,}…")
        self.rows_box.show()

    def show_rows(self, hit: Hit, rows: Sequence[Any]) -> None:
        self.build_rows()
        self.rows_model.set_rows(rows, hit.measure_title, hit.measured)
        header = self.rows_table.horizontalHeader()
        self.rows_model.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        count = len(rows)
        self.rows_title.setText(
            f"<b>{hit.title}</b> — {count:,} incident{'s' if count != 1 else ''}. "
            "Press Enter or double-click to open one."
        )
        self.rows_box.show()
        if count:
            self.rows_table.setCurrentIndex(self.rows_model.index(0, 0))
        self.rows_table.setFocus(Qt.FocusReason.OtherFocusReason)

    def clear_rows(self) -> None:
        if not self._rows_built:
            return
        self.rows_model.clear()
        self.rows_box.hide()


class ChartsPage(QWidget):
    """``loaded``: the chart modules are in and the canvases built; ``data_shown``: the
    series of the current filters are computed and the charts are being rendered;
    ``chart_ready(name)``: a chart's picture of them is in its canvas; ``chart_painted(name)``:
    that picture reached the screen (only charts scrolled into view are painted);
    ``collected_while_idle(done)``: the idle moment's collection ran (see ``FrozenRenders``)."""

    loaded = Signal()
    data_shown = Signal()
    chart_painted = Signal(str)
    chart_ready = Signal(str)  # a chart's picture of the newest data is handed to its canvas
    open_requested = Signal(int)
    exported = Signal(object)  # the path written
    collected_while_idle = Signal(bool)  # whether the garbage renders froze was collected

    def __init__(
        self,
        runner: TaskRunner,
        dialogs: DialogService,
        source: ChartsSource,
        today: Callable[[], date] = utc_today,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._dialogs = dialogs
        self._source = source
        self._desk: Desk | None = None
        self._data: Any = None
        self._data_selection: ChartsSelection | None = None
        self._loading = False
        self._modules_ready = False
        self._stale = True
        self.panels: dict[str, ChartPanel] = {}
        self.setAccessibleName("Charts")

        self.filter_bar = ChartsFilterBar(today)
        self.filter_bar.changed.connect(lambda _: self._compute(reuse=True))
        self.status = QLabel()  # long work under way, such as writing the report
        self.updating = QLabel("Updating…")
        self.updating.setAccessibleName("Charts are updating")
        self.updating.setVisible(False)
        top = QHBoxLayout()
        top.addWidget(self.filter_bar, 1)
        top.addWidget(self.status, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.updating, 0, Qt.AlignmentFlag.AlignTop)

        self._build_busy_page()
        self.tiles = [TileView() for _ in range(3)]
        self.empty_label = WrappedLabel()
        self.empty_label.setVisible(False)
        self.empty_label.setAccessibleName("No incidents in this period")
        self.content = QWidget()
        self.content_layout = QVBoxLayout(self.content)
        tiles_row = QHBoxLayout()
        for tile in self.tiles:
            tiles_row.addWidget(tile)
        self.content_layout.addLayout(tiles_row)
        self.content_layout.addWidget(self.empty_label)
        self.scroll_area = _charts_scroll_area(self.content)

        self.stack = QStackedWidget()
        self.stack.addWidget(self.busy)
        self.stack.addWidget(self.scroll_area)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)

        self._resize_timers: dict[str, QTimer] = {}
        self._asked_sizes: dict[str, tuple[QSize, float]] = {}  # of each chart's newest picture
        self._chart_palette: Palette | None = None  # see _palette_for_charts
        self._generation = 0  # of the data shown; a picture of older data is not news
        self._fresh: set[str] = set()  # charts whose new data is being rendered
        self._awaiting_paint: set[str] = set()  # charts with new data not yet on screen
        # The GUI thread's share of showing new data, a step per pass of the event loop (see
        # _show_in_steps), and the charts in view whose pictures the steps wait for.
        self._steps: deque[Callable[[], None]] = deque()
        self._awaited_pictures: set[str] = set()
        self._step_timer = _single_shot_timer(self, self._next_step)
        self._loaded_emitted = False
        self._after_first_paint = _single_shot_timer(self, self._start_work)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.timeout.connect(self.refresh)
        # Several saves in a row (a form, then its log entry) recompute the charts once.
        self._changes_settled = QTimer(self)
        self._changes_settled.setSingleShot(True)
        self._changes_settled.setInterval(CHANGES_SETTLE_MS)
        self._changes_settled.timeout.connect(self.refresh)
        self._idle = _single_shot_timer(self, self._collect_while_idle, IDLE_COLLECTION_MS)
        self._replaced = _ReplacedFigures(self, runner)
        runner.changes.incidents_changed.connect(self._incidents_changed)

    def _build_busy_page(self) -> None:
        """What shows while matplotlib and the charts are imported."""
        self.busy = QWidget()
        busy_layout = QVBoxLayout(self.busy)
        busy_layout.addStretch(1)
        self.busy_label = QLabel("Loading the charts…")
        self.busy_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)  # no known end: an animated busy indicator
        self.busy_bar.setMaximumWidth(320)
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setAccessibleName("Loading the charts")
        busy_layout.addWidget(self.busy_label)
        busy_layout.addWidget(self.busy_bar, 0, Qt.AlignmentFlag.AlignHCenter)
        busy_layout.addStretch(2)

    # State

    @property
    def is_loaded(self) -> bool:
        """Whether every chart's panel is built."""
        return len(self.panels) == len(self._source.charts)

    @property
    def data(self) -> Any:
        return self._data

    def selection(self) -> ChartsSelection:
        return self.filter_bar.selection()

    def set_desk(self, desk: Desk | None) -> None:
        self._desk = desk
        self._data = None
        for panel in self.panels.values():
            panel.clear_rows()
        if desk is not None:
            source = self._source
            self._runner.read(
                self, source.choices, self.filter_bar.set_choices, self._failed, supersede="choices"
            )
        self.refresh()

    def _incidents_changed(self, change: IncidentsChanged) -> None:
        if change.concerns(self._desk):
            self._changes_settled.start()

    def set_refresh_interval(self, milliseconds: int) -> None:
        self._refresh_timer.start(milliseconds)

    # Loading, once

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # The workers start once the page is laid out and painted: started at once, they
        # held the interpreter lock the GUI thread's first layout and paint of the page
        # kept asking for, and that pass took twice as long.
        self._after_first_paint.start()

    def _start_work(self) -> None:
        if not self.isVisible():
            return  # hidden again at once: the next show starts it
        if not self._modules_ready and not self._loading:
            self._loading = True
            # matplotlib is imported on the files thread while the read thread reads the
            # data: the import is Python, the query mostly SQLite's C code, and on two cores
            # the two overlap (the first chart came 300 ms sooner)
            self._runner.files(
                self, import_chart_modules, lambda _: self._build_charts(), self._failed
            )
            self.refresh()
        elif self._stale:
            self.refresh()
        else:
            self._idle.start()  # no new pictures: quiet from now on, unless filters change

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._stale = True  # what changed meanwhile is computed when the page is shown again
        self._replaced.release()  # no frame of the page to keep smooth now

    def _build_charts(self) -> None:
        """The first panel is built here, the others in the steps that show the data (each
        in two passes of the event loop, the list under it in the second), after the first
        chart's picture: so that no frame is missed, and the first picture comes sooner."""
        self._loading = False
        self._modules_ready = True
        self.stack.setCurrentWidget(self.scroll_area)
        self._build_panel(self._source.charts[0])
        if self._data is not None or self._desk is None:
            self._show_in_next_pass()
        # otherwise the data, on its way, is shown in steps when it comes

    def _build_panel(self, info: ChartInfo) -> ChartPanel:
        from incidentdesk.ui.chart_canvas import ChartCanvas  # matplotlib is imported by now

        canvas = ChartCanvas(info.name, CHART_HEIGHT)
        panel = ChartPanel(info, canvas)
        panel.export_requested.connect(self.export_chart)
        panel.rows_requested.connect(self._list_rows)
        panel.variant_changed.connect(lambda name: self._show_chart(self.panels[name]))
        panel.open_requested.connect(self.open_requested)
        canvas.render_requested.connect(lambda panel=panel: self._resized(panel))
        canvas.painted.connect(lambda name=info.name: self._painted(name))
        self.panels[info.name] = panel
        self.content_layout.addWidget(panel)
        if self.is_loaded:
            self.content_layout.addStretch(1)
        return panel

    # Computing

    def refresh(self) -> None:
        """Read the data again and compute the charts for the current filters (F5, the timer,
        changes made here); a hidden page only notes that it must when it is shown."""
        self._compute(reuse=False)

    def _compute(self, *, reuse: bool) -> None:
        """With ``reuse``, only the narrowing changed: what was read for the period may do."""
        if self._desk is None or not (self._modules_ready or self._loading):
            return
        if not self.isVisible():
            self._stale = True
            return
        self._stale = False
        selection, source, asked_on = self.selection(), self._source, self._desk
        previous = self._data if reuse else None
        self.updating.setVisible(True)
        self._runner.read(
            self,
            lambda desk: (selection, source.compute(desk, selection, previous)),
            lambda result: self._data_arrived(result, asked_on),
            self._failed,
            supersede="charts",
        )

    def _data_arrived(self, result: tuple[ChartsSelection, Any], asked_on: Desk | None) -> None:
        if asked_on is not self._desk:
            return  # computed on the database shown before; a new compute is on its way
        selection, data = result
        self.updating.setVisible(False)
        self._data, self._data_selection = data, selection
        self._generation += 1
        source = self._source
        for tile, shown in zip(self.tiles, source.tiles(data), strict=False):
            tile.show_tile(shown)
        self.filter_bar.set_exclusion_counts(*source.exclusion_counts(data))
        everything_empty = all(
            source.empty_text(info.name, self._variant_of(info), data) is not None
            for info in source.charts
        )
        self.empty_label.setVisible(everything_empty)
        if everything_empty:
            self.empty_label.setText(
                f"<b>No incidents were reported from {selection.start.isoformat()} to "
                f"{selection.end.isoformat()} with these filters.</b> Choose a longer period "
                "or fewer filters."
            )
        for panel in self.panels.values():
            panel.clear_rows()
        if self._modules_ready:
            self._show_in_next_pass()
        else:
            self.data_shown.emit()  # the charts show it once they are built

    def _show_in_next_pass(self) -> None:
        """The steps start in the next pass of the event loop, once the panels are laid out
        for what was shown in this one: only then is it known which are in view."""
        self._steps = deque([self._show_in_steps])
        self._awaited_pictures = set()
        self._step_timer.start()

    def _show_in_steps(self) -> None:
        """Show the data, a step per pass of the event loop: first the texts of the charts in
        view, then their pictures are asked for; once those came, the panels not built yet
        are built and every other chart's texts shown, and only then are their pictures
        asked for. The GUI thread's steps (laying out and painting word-wrapped texts, 5 to
        10 ms each) and the read thread's renders then never run at once: side by side, each
        of Qt's calls into Python waited for the interpreter lock, and each step took twice
        as long."""
        panels, in_view = self._panels_in_view()
        others = [panel for panel in panels if panel not in in_view]
        to_render: list[ChartPanel] = []
        steps: list[Callable[[], None]] = []

        def show(panel: ChartPanel) -> None:
            if self._show_texts(panel):
                to_render.append(panel)

        def build(info: ChartInfo) -> None:
            show(self._build_panel(info))

        def render_and_await() -> None:
            # A canvas not laid out yet asks for its picture once it is (``_resized``).
            self._awaited_pictures = {
                panel.info.name
                for panel in to_render
                if self._ask_picture(panel) or not panel.canvas.laid_out
            }
            to_render.clear()

        def build_rows(name: str) -> None:
            self.panels[name].build_rows()

        def render(name: str) -> None:
            panel = self.panels.get(name)
            if panel is not None and panel in to_render:
                self._ask_picture(panel)

        if self._data is not None:
            steps += [partial(show, panel) for panel in in_view]
            steps.append(render_and_await)
        steps += [panel.build_rows for panel in panels]  # done already but once
        for info in self._source.charts:
            if info.name not in self.panels:
                steps += [partial(build, info), partial(build_rows, info.name)]
        if self._data is not None:
            steps += [partial(show, panel) for panel in others]
            # One a pass: once the first is asked for, the read thread renders it, and the
            # GUI thread's asking for the next waits for the interpreter lock.
            steps += [partial(render, info.name) for info in self._source.charts]
        steps.append(self._all_shown)
        self._steps = deque(steps)
        self._awaited_pictures = set()
        self._step_timer.start()

    def _panels_in_view(self) -> tuple[list[ChartPanel], list[ChartPanel]]:
        """Every panel, most in view first, and those in view."""
        panels = sorted(
            self.panels.values(),
            key=lambda panel: -panel.visibleRegion().boundingRect().height(),
        )
        in_view = [panel for panel in panels if not panel.visibleRegion().isEmpty()]
        if not in_view and panels and self.isVisible():
            # Not laid out yet (the first panel, just built): the first comes in view.
            in_view = [self.panels[self._source.charts[0].name]]
        return panels, in_view

    def _next_step(self) -> None:
        if self._awaited_pictures:
            return  # the next picture of a chart in view starts the steps again
        if self._steps:
            self._steps.popleft()()
        if self._steps:
            self._step_timer.start()

    def _all_shown(self) -> None:
        if self.is_loaded and not self._loaded_emitted:
            self._loaded_emitted = True
            self.loaded.emit()
        self.data_shown.emit()

    def _variant_of(self, info: ChartInfo) -> str:
        panel = self.panels.get(info.name)
        if panel is not None:
            return panel.variant_key()
        return info.variants[0][0] if info.variants else ""

    def _show_chart(self, panel: ChartPanel) -> None:
        """The chart's how-line, table and picture for the data and its variant."""
        if self._show_texts(panel):
            self._ask_picture(panel)

    def _show_texts(self, panel: ChartPanel) -> bool:
        """The chart's how-line and table for the data and its variant, or the sentence
        shown instead of an empty chart; whether the chart needs a picture."""
        data, source = self._data, self._source
        if data is None:
            return False
        name, variant = panel.info.name, panel.variant_key()
        panel.show_how(source.how_computed(name, variant, data))
        empty_text = source.empty_text(name, variant, data)
        panel.show_summary(None if empty_text else source.summary_table(name, variant, data))
        self._awaiting_paint.discard(name)
        if empty_text is not None:
            self._fresh.discard(name)
            panel.canvas.clear(empty_text)
            self.chart_ready.emit(name)
            self.chart_painted.emit(name)
            return False
        return True

    def _ask_picture(self, panel: ChartPanel) -> bool:
        """A picture of the newest data for the chart; whether it was asked for now (else
        its canvas asks once laid out)."""
        self._fresh.add(panel.info.name)
        return self._render(panel)

    def _render(self, panel: ChartPanel) -> bool:
        """Ask the read thread for the chart's picture; whether it was asked for."""
        from incidentdesk.ui.chart_render import render

        data, name, generation = self._data, panel.info.name, self._generation
        if data is None or not panel.canvas.laid_out:
            return False  # a canvas not laid out yet asks when it is, at its size (``_resized``)
        palette = self._palette_for_charts()
        drawing = self._source.drawing(name, panel.variant_key(), data, palette, on_screen=True)
        size, ratio = self._asked_sizes[name] = panel.canvas.wanted_size()
        self._runner.read(
            panel,
            lambda _desk: render(name, drawing, size, ratio),
            lambda rendered: self._rendered(panel, rendered, generation),
            self._failed,
            supersede="picture",
            on_dropped=lambda rendered: self._release(rendered.figure),
        )
        return True

    def _rendered(self, panel: ChartPanel, rendered: RenderedChart, generation: int) -> None:
        if generation != self._generation:
            self._release(rendered.figure)  # newer data is on its way
            return
        self._idle.start()
        self._replaced.not_quiet_yet()
        fresh = panel.info.name in self._fresh
        if fresh:
            self._fresh.discard(panel.info.name)
            self._awaiting_paint.add(panel.info.name)
        self._release(panel.canvas.show_rendered(rendered))
        if fresh:
            self.chart_ready.emit(panel.info.name)
        self._picture_came(panel.info.name)

    def _picture_came(self, name: str) -> None:
        """The steps waiting for the pictures of the charts in view go on once the last came
        (in the next pass, after it is painted)."""
        if name in self._awaited_pictures:
            self._awaited_pictures.discard(name)
            if not self._awaited_pictures:
                self._step_timer.start()

    def _release(self, figure: Figure | None) -> None:
        """Take a figure no longer shown apart on the read thread (``_ReplacedFigures``). A
        render overtaken while the page was being deleted is taken apart here: the page can
        no longer ask the read thread."""
        if figure is None:
            return
        if not shiboken6.isValid(self):
            from incidentdesk.charts.figures import release

            release(figure)
            return
        self._replaced.add(figure)

    def _collect_while_idle(self) -> None:
        """No picture arrived for a while: the one long collection renders put off is taken
        now (on the read thread, where renders run), when no frame of the charts is missed.
        A hidden page waits until it is shown and quiet again."""
        if not self.isVisible():
            return
        from incidentdesk.ui import chart_render

        self._runner.read(
            self,
            lambda _desk: chart_render.FROZEN_RENDERS.collect_escaped(),
            self.collected_while_idle.emit,
            _not_collected,
        )

    def _painted(self, name: str) -> None:
        if name in self._awaiting_paint:  # the first paint of a chart's new data
            self._awaiting_paint.discard(name)
            self.chart_painted.emit(name)

    def _resized(self, panel: ChartPanel) -> None:
        """The canvas's size or pixel ratio changed (or matplotlib asked it to draw): a
        picture at the new size, unless one is shown or on its way. A chart whose new data
        has no picture yet gets it at once; otherwise the size must first settle (a window
        being dragged bigger)."""
        name = panel.info.name
        if not self._needs_picture_at_new_size(panel):
            return
        if name in self._fresh and panel.canvas.rendered is None:
            self._render(panel)
            return
        timer = self._resize_timers.get(name)
        if timer is None:
            timer = QTimer(self)
            timer.setSingleShot(True)
            timer.setInterval(RESIZE_SETTLE_MS)
            timer.timeout.connect(lambda panel=panel: self._render_at_settled_size(panel))
            self._resize_timers[name] = timer
        timer.start()

    def _render_at_settled_size(self, panel: ChartPanel) -> None:
        if self._needs_picture_at_new_size(panel):
            self._render(panel)

    def _needs_picture_at_new_size(self, panel: ChartPanel) -> bool:
        """Whether the chart shows a picture, or awaits one, of another size than its
        canvas's now (an empty chart shows a sentence instead)."""
        name = panel.info.name
        if panel.canvas.rendered is None and name not in self._fresh:
            return False
        return self._asked_sizes.get(name) != panel.canvas.wanted_size()

    def _points(self) -> float:
        size = self.font().pointSizeF()
        return size if size > 0 else 10.0

    def _palette_for_charts(self) -> Palette:
        """The charts' colours and text size, kept until the page's palette or font changes.
        Made afresh for each render, it called into Qt seven times (the font, six colours),
        and each call let go of the interpreter lock, then waited up to 5 ms for a render on
        the read thread to give it back."""
        if self._chart_palette is None:
            self._chart_palette = chart_palette(self.palette(), self._points())
        return self._chart_palette

    def changeEvent(self, event: Any) -> None:
        super().changeEvent(event)
        if event.type() in (event.Type.PaletteChange, event.Type.FontChange):
            self._chart_palette = None
            if self.is_loaded:
                for panel in self.panels.values():
                    self._render(panel)

    # Click-through

    def _list_rows(self, name: str, hit: Hit) -> None:
        if self._desk is None:
            return
        panel = self.panels[name]
        panel.show_rows_loading(hit)
        ids = list(hit.incident_ids)

        def read(desk: Desk) -> list[Any]:
            rows: list[Any] = []
            for start in range(0, len(ids), ROWS_PER_READ):
                rows += desk.incidents.rows_by_id(ids[start : start + ROWS_PER_READ])
            return rows

        self._runner.read(
            panel, read, lambda rows: panel.show_rows(hit, rows), self._failed, supersede="rows"
        )

    # Export

    def export_chart(self, name: str, suffix: str, path: Path | None = None) -> None:
        """Save chart ``name`` as png, svg or pdf, or the rows behind it as csv; asks where
        unless ``path`` is given."""
        from incidentdesk.ui.chart_render import export_figure

        data, selection = self._data, self._data_selection
        panel = self.panels.get(name)
        if data is None or selection is None or panel is None:
            self._dialogs.inform(
                self, "Nothing to Export Yet", "The charts are still being computed; try again."
            )
            return
        label = dict((*IMAGE_FORMATS, ("csv", "CSV table")))[suffix]
        if path is None:
            path = self._dialogs.choose_save_path(
                self,
                f"Export {panel.info.title}",
                file_name_for(name, selection, suffix, panel.variant_key()),
                f"{label} (*.{suffix})",
                f".{suffix}",
            )
        if path is None:
            return
        chosen = path
        variant = panel.variant_key()
        if suffix == "csv":
            table = self._source.csv(name, variant, data)
            self._runner.files(
                self, self._refusing(lambda: write_csv(chosen, table)), self._exported, self._failed
            )
            return
        drawing = self._source.drawing(
            name, variant, data, export_palette(self._points()), on_screen=False
        )
        title = f"{panel.info.title} ({selection.start.isoformat()} – {selection.end.isoformat()})"
        metadata: dict[str, str] = {"Title": title} if suffix in ("svg", "pdf") else {}
        self._runner.files(
            self,
            self._refusing(lambda: export_figure(drawing, chosen, suffix, **metadata)),
            self._exported,
            self._failed,
        )

    def export_report(self, path: Path | None = None) -> None:
        """The period report (PDF) for the current filters; asks where unless ``path``."""
        if self._desk is None:
            return
        selection = self.selection()
        if path is None:
            path = self._dialogs.choose_save_path(
                self,
                "Export Report",
                file_name_for("incident-report", selection, "pdf"),
                "PDF document (*.pdf)",
                ".pdf",
            )
        if path is None:
            return
        chosen = path
        self.status.setText("Writing the report…")
        source = self._source
        # On the read thread: the report reads the database, then draws and writes the PDF.
        self._runner.read(
            self,
            lambda desk: self._refusing(lambda: source.write_report(desk, selection, chosen))(),
            self._exported,
            self._failed,
        )

    def _refusing(self, work: Callable[[], Path]) -> Callable[[], Path | Refused]:
        """``work`` for a worker thread, with the failures people can put right (a folder
        that cannot be written, an empty period) handed back as a Refused, logged at INFO
        without a traceback."""
        source = self._source

        def run() -> Path | Refused:
            try:
                return work()
            except Exception as error:
                if not (isinstance(error, OSError) or source.is_refusal(error)):
                    raise
                log.info("Export refused: %s", error)
                return Refused(error)

        return run

    def _exported(self, result: Path | Refused) -> None:
        self.status.setText("")
        if isinstance(result, Refused):
            self._failed(result.error)
        else:
            self.exported.emit(result)

    def _failed(self, error: Exception) -> None:
        self._loading = False
        if self._awaited_pictures:  # a picture that failed is not waited for
            self._awaited_pictures.clear()
            self._step_timer.start()
        self.updating.setVisible(False)
        self.status.setText("")
        if isinstance(error, OSError):
            message = f"The file could not be written: {error.strerror or error}."
        elif self._source.is_refusal(error):
            message = f"{error}"
        else:
            message = f"The charts could not be computed: {error}."
        if not message.endswith("."):
            message += "."
        self._dialogs.warn(self, "Charts", f"{message} Press F5 to try again.")
        if not self._modules_ready:
            self.busy_label.setText(message)
            self.busy_bar.hide()


class _ReplacedFigures:
    """Figures no longer shown, taken apart on the read thread (``figures.release``) once
    the page is quiet: no picture for ``RELEASE_WHEN_QUIET_MS``, or the page hidden, or
    ``MOST_FIGURES_WAITING`` of them waiting. Sent as each picture came, the taking apart ran
    on the read thread while the GUI thread laid out and painted the new picture, and each of
    the GUI thread's many calls into Python then waited for the interpreter lock: the longest
    frame gaps of a filter change."""

    def __init__(self, page: QWidget, runner: TaskRunner) -> None:
        self._page, self._runner = page, runner
        self._figures: list[Figure] = []
        self._quiet = _single_shot_timer(page, self.release, RELEASE_WHEN_QUIET_MS)

    def add(self, figure: Figure) -> None:
        self._figures.append(figure)
        if len(self._figures) >= MOST_FIGURES_WAITING:
            self.release()
        else:
            self._quiet.start()

    def not_quiet_yet(self) -> None:
        """A picture came: wait again before taking the figures apart."""
        if self._figures:
            self._quiet.start()

    def release(self) -> None:
        figures, self._figures = self._figures, []
        self._quiet.stop()

        def take_apart(_desk: object) -> None:
            from incidentdesk.charts.figures import release

            for figure in figures:
                release(figure)

        if figures:
            self._runner.read(self._page, take_apart, lambda _: None, _not_released)


def _single_shot_timer(parent: QObject, slot: Callable[[], None], interval_ms: int = 0) -> QTimer:
    """A timer that calls ``slot`` once, ``interval_ms`` after it is started. With no
    interval, in a later pass of the event loop, after the events posted before it started
    (layouts, paints): a timer, not a queued call, for Qt delivers calls queued while it
    delivers queued calls in the same pass."""
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(interval_ms)
    timer.timeout.connect(slot)
    return timer


def _charts_scroll_area(content: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    # The charts are always taller than the view. Shown from the start, the scroll bar
    # leaves the canvases their width: appearing as the second panel came, it made the
    # first chart's picture be rendered twice.
    area.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
    area.setWidget(content)
    return area


def _not_collected(error: Exception) -> None:
    """A collection that failed is tried again at the next idle moment."""
    log.info("The charts' garbage was not collected: %s", error)


def _not_released(error: Exception) -> None:
    """A figure that could not be taken apart is left to the garbage collector."""
    log.info("A replaced chart was not taken apart: %s", error)
