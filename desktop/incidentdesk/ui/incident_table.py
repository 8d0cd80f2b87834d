"""The incident list's table, painted a row at a time from images. A row is drawn once into an
image and copied while it looks the same; the read thread draws the rows a new search will
show along with its results, so a repaint while typing costs the GUI thread a copy per row
instead of laying out two hundred cells of text (12 ms at the default window size)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass

from PySide6.QtCore import QAbstractItemModel, QItemSelectionModel, QModelIndex, QPoint, QRect, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QImage,
    QPainter,
    QPaintEvent,
    QPalette,
    QStandardItemModel,
)
from PySide6.QtWidgets import QStyle, QStyleOptionViewItem, QTableView, QWidget

from incidentdesk.ui.drawn_images import DrawnImages, draw_image
from incidentdesk.ui.incident_table_model import (
    CENTRED_COLUMNS,
    SEVERITY_COLUMN,
    IncidentTableModel,
    ListedIncident,
)
from incidentdesk.ui.theme import severity_colours
from incidentdesk.ui.viewports import use_own_viewport

Drawn = dict[Hashable, QImage]


@dataclass(frozen=True)
class RowLook:
    """What a drawn row depends on besides its incident: the columns (model column, left
    edge, width, in the order shown), the row's size, the screen's pixel ratio, the palette,
    the font, the cells' text margin and the grid's colour, as the table last painted."""

    columns: tuple[tuple[int, int, int], ...]
    width: int
    height: int
    ratio: float
    palette: QPalette
    font: QFont
    margin: int
    grid: int  # an RGBA value; None of QColor's objects cross threads

    @property
    def key(self) -> Hashable:
        palette = self.palette
        return (
            self.columns,
            self.width,
            self.height,
            self.ratio,
            palette.cacheKey(),
            palette.currentColorGroup(),
            self.font.key(),
            self.margin,
            self.grid,
        )


def row_key(listed: ListedIncident, selected: bool, alternate: bool, look: RowLook) -> Hashable:
    return (listed, selected, alternate, look.key)


def draw_rows(
    rows: Iterable[tuple[int, ListedIncident]],
    look: RowLook,
    known: Callable[[Hashable], bool],
) -> Drawn:
    """Images of the numbered rows as shown unselected, except those ``known`` already; safe
    on any thread (it touches no widget)."""
    drawn = {}
    for number, listed in rows:
        alternate = number % 2 == 1
        key = row_key(listed, False, alternate, look)
        if not known(key):
            drawn[key] = draw_row(listed, False, alternate, look)
    return drawn


def draw_row(listed: ListedIncident, selected: bool, alternate: bool, look: RowLook) -> QImage:
    return draw_image(
        look.width,
        look.height,
        look.ratio,
        look.palette.color(QPalette.ColorRole.Base),
        lambda painter: _draw(painter, listed, selected, alternate, look),
    )


def _draw(
    painter: QPainter, listed: ListedIncident, selected: bool, alternate: bool, look: RowLook
) -> None:
    palette = look.palette
    font = QFont(look.font)  # this drawing's own: another thread may draw with the look's
    metrics = QFontMetrics(font)
    painter.setFont(font)
    row_background = (
        palette.highlight()
        if selected
        else palette.alternateBase()
        if alternate
        else palette.base()
    )
    text_colour = palette.color(
        QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
    )
    grid = QColor.fromRgba(look.grid)
    for column, left, width in look.columns:
        cell = QRect(left, 0, width, look.height)
        colour = text_colour
        if column == SEVERITY_COLUMN and not selected:
            background, colour = severity_colours(listed.severity, palette)
            painter.fillRect(cell, background)
        else:
            painter.fillRect(cell, row_background)
        painter.setPen(colour)
        text_area = cell.adjusted(look.margin, 0, -look.margin - 1, -1)
        alignment = (
            Qt.AlignmentFlag.AlignCenter
            if column in CENTRED_COLUMNS
            else Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        )
        text = metrics.elidedText(
            listed.texts[column], Qt.TextElideMode.ElideRight, text_area.width()
        )
        painter.drawText(text_area, alignment, text)
        painter.setPen(grid)
        painter.drawLine(cell.right(), 0, cell.right(), look.height - 1)
    painter.setPen(grid)
    painter.drawLine(0, look.height - 1, look.width, look.height - 1)


class IncidentTable(QTableView):
    """A table of incidents whose rows are painted from images (see the module)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        use_own_viewport(self)
        # Always there: a scroll bar that came and went with the number of matches would
        # change the width of every row, and each would be drawn again.
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self._drawn = DrawnImages()
        self._look: RowLook | None = None
        self._place: tuple[int | None, int, int] = (None, 0, 0)

    def setModel(self, model: QAbstractItemModel | None) -> None:
        super().setModel(model)
        if isinstance(model, IncidentTableModel):
            model.modelAboutToBeReset.connect(self._remember_place)
            model.modelReset.connect(self._restore_place)
            # The column titles are kept by Qt: the header asked for them about a hundred
            # times a paint, each answer from Python waiting for the interpreter lock while a
            # worker ran Python, and it no longer starts over with every search's reset.
            titles = QStandardItemModel(0, model.columnCount(), self)
            titles.setHorizontalHeaderLabels(
                [
                    model.headerData(column, Qt.Orientation.Horizontal)
                    for column in range(model.columnCount())
                ]
            )
            self.horizontalHeader().setModel(titles)

    def _remember_place(self) -> None:
        rows = self.selectionModel().selectedRows()
        selected = self.model().listed(rows[0].row()).id if rows else None  # type: ignore[attr-defined]
        self._place = (
            selected,
            self.verticalScrollBar().value(),
            self.horizontalScrollBar().value(),
        )

    def _restore_place(self) -> None:
        """The selected incident stays selected where it is still listed; a refresh of the
        same query also keeps the scroll position."""
        model = self.model()
        assert isinstance(model, IncidentTableModel)
        selected, vertical, horizontal = self._place
        row = model.row_of(selected) if selected is not None else None
        if row is not None:
            flags = QItemSelectionModel.SelectionFlag
            self.selectionModel().setCurrentIndex(
                model.index(row, max(0, self.currentIndex().column())),
                flags.ClearAndSelect | flags.Rows,
            )
        if model.refreshing:
            self.updateGeometries()  # the scroll ranges for the new rows, before the values
            self.verticalScrollBar().setValue(vertical)
            self.horizontalScrollBar().setValue(horizontal)

    def draw_ahead(self) -> Callable[[list[ListedIncident]], Drawn] | None:
        """Work for the read thread: draw the rows a new first page will show (from the top)
        as the table looks now; None while it is hidden."""
        if not self.isVisible():
            return None
        look = self._current_look()
        fitting = self.viewport().height() // max(1, look.height) + 1
        known = self.has_drawn
        return lambda rows: draw_rows(enumerate(rows[:fitting]), look, known)

    def has_drawn(self, key: Hashable) -> bool:
        """Whether the row of ``key`` (see ``row_key``) is drawn already; safe to ask from
        another thread."""
        return self._drawn.has(key)

    def add_drawn(self, drawn: Drawn) -> None:
        """Keep rows drawn elsewhere (by ``draw_ahead``'s work) for the next paint."""
        self._drawn.put_all(drawn)

    def paintEvent(self, event: QPaintEvent) -> None:
        model = self.model()
        if not isinstance(model, IncidentTableModel) or model.rowCount() == 0:
            super().paintEvent(event)
            return
        look = self._current_look()
        region = event.rect()
        first = self.rowAt(region.top())
        last = self.rowAt(region.bottom())
        last = model.rowCount() - 1 if last < 0 else last
        selection, root = self.selectionModel(), QModelIndex()
        alternating = self.alternatingRowColors()
        painter = QPainter(self.viewport())
        for row in range(max(first, 0), last + 1):
            listed = model.listed(row)
            selected = selection.isRowSelected(row, root)
            key = row_key(listed, selected, alternating and row % 2 == 1, look)
            image = self._drawn.get(key)
            if image is None:
                image = draw_row(listed, selected, alternating and row % 2 == 1, look)
                self._drawn.put(key, image)
            painter.drawImage(QPoint(0, self.rowViewportPosition(row)), image)
        painter.end()

    def _current_look(self) -> RowLook:
        header = self.horizontalHeader()
        columns = tuple(
            (logical, header.sectionViewportPosition(logical), header.sectionSize(logical))
            for logical in (header.logicalIndex(visual) for visual in range(header.count()))
            if not header.isSectionHidden(logical)
        )
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        style = self.style()
        margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, self) + 1
        grid = style.styleHint(QStyle.StyleHint.SH_Table_GridLineColor, option, self)
        palette = option.palette
        look = self._look
        if (
            look is None
            or look.columns != columns
            or look.width != self.viewport().width()
            or look.height != self.verticalHeader().defaultSectionSize()
            or look.ratio != self.devicePixelRatioF()
            or look.palette.cacheKey() != palette.cacheKey()
            or look.palette.currentColorGroup() != palette.currentColorGroup()
            or look.font != option.font
            or (look.margin, look.grid) != (margin, grid & 0xFFFFFFFF)
        ):
            # Copies: the palette and font of a style option live only as long as the option.
            look = RowLook(
                columns,
                self.viewport().width(),
                self.verticalHeader().defaultSectionSize(),
                self.devicePixelRatioF(),
                QPalette(palette),
                QFont(option.font),
                margin,
                grid & 0xFFFFFFFF,
            )
            self._look = look
        return look
