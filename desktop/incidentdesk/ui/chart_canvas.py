"""The widget that shows one chart: matplotlib's Qt canvas, painting a picture rendered on a
worker thread (see chart_render) instead of running Agg on the GUI thread. Hovering shows
the values under the mouse; a click asks for the incidents behind them."""

from __future__ import annotations

from typing import Any

from matplotlib.backend_bases import LocationEvent, MouseButton, MouseEvent
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PySide6.QtCore import QPoint, QSize, Qt, Signal
from PySide6.QtGui import QPainter, QPaintEvent, QPalette, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from incidentdesk.ui.chart_render import Hit, HitTest, RenderedChart, new_figure, no_hits


class ChartCanvas(FigureCanvasQTAgg):
    """``render_requested`` asks the page for a picture at the current size (after a resize or
    a change of screen); ``hovered`` and ``clicked`` carry the Hit under the mouse."""

    render_requested = Signal()
    painted = Signal()  # a rendered picture reached the screen
    hovered = Signal(object)  # Hit or None
    clicked = Signal(object)  # Hit

    def __init__(self, name: str, height: int, parent: QWidget | None = None) -> None:
        super().__init__(new_figure(QSize(640, height), 1.0))  # type: ignore[no-untyped-call]
        if parent is not None:
            self.setParent(parent)
        self.name = name
        self._rendered: RenderedChart | None = None
        self._hit_test: HitTest = no_hits
        self._placeholder = "Drawing…"
        self._laid_out = False
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(height)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setAutoFillBackground(False)
        self.setPalette(QPalette())  # matplotlib's canvas makes itself white; follow the theme
        self._connect_events()

    @property
    def placeholder(self) -> str:
        return self._placeholder

    @property
    def rendered(self) -> RenderedChart | None:
        return self._rendered

    @property
    def laid_out(self) -> bool:
        """Whether the layout has given the canvas its size: until then, a picture would be
        rendered at the size it was made with, only to be rendered again."""
        return self._laid_out

    def sizeHint(self) -> QSize:
        return QSize(640, self.height())

    def minimumSizeHint(self) -> QSize:
        return QSize(320, self.height())

    def wanted_size(self) -> tuple[QSize, float]:
        """The logical size and device pixel ratio a picture should be rendered at now."""
        return QSize(max(self.width(), 320), self.height()), self.devicePixelRatioF() or 1.0

    def show_placeholder(self, text: str) -> None:
        self._placeholder = text
        if self._rendered is None:
            self.update()

    def show_rendered(self, rendered: RenderedChart) -> Figure | None:
        """Show a picture rendered elsewhere, and answer hover and clicks from its figure; the
        figure of the picture shown before, which nothing here uses any more."""
        figure = rendered.figure
        replaced = self.figure
        self._rendered = rendered
        self._hit_test = rendered.hit_test
        self.figure = figure
        figure.set_canvas(self)
        # The figure was rendered at this ratio; matplotlib then scales nothing twice.
        self._set_device_pixel_ratio(rendered.device_pixel_ratio)
        self._connect_events()
        self.update()
        return replaced if replaced is not figure else None

    def clear(self, placeholder: str) -> None:
        """Show ``placeholder`` instead of a picture (the canvas keeps its figure, which Qt's
        resize events still ask about, until the next picture replaces it)."""
        self._rendered = None
        self._hit_test = no_hits
        self._placeholder = placeholder
        self.update()

    def _connect_events(self) -> None:
        # The callbacks belong to the figure, so each new figure is connected afresh.
        self.mpl_connect("motion_notify_event", self._moved)
        self.mpl_connect("button_press_event", self._pressed)
        self.mpl_connect("figure_leave_event", self._left)

    # Never render on the GUI thread: matplotlib calls draw() after a resize or a change of
    # screen, and the page renders a new picture on a worker instead.

    def draw(self) -> None:
        self.render_requested.emit()

    def draw_idle(self, *args: Any, **kwargs: Any) -> None:
        self.render_requested.emit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._laid_out = True
        super().resizeEvent(event)  # type: ignore[no-untyped-call]

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            palette = self.palette()
            painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Base))
            if self._rendered is None:
                painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
                painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self._placeholder)
                return
            # While a picture for a new size is on its way, the old one is shown as it was.
            painter.drawImage(QPoint(0, 0), self._rendered.image)
        finally:
            painter.end()
        self.painted.emit()

    # Hover and clicks

    def hit_at(self, event: MouseEvent) -> Hit | None:
        if self._rendered is None or event.inaxes is None:
            return None
        return self._hit_test(event)

    def _moved(self, event: LocationEvent) -> None:
        if not isinstance(event, MouseEvent):
            return
        hit = self.hit_at(event)
        if hit is None:
            QToolTip.hideText()
            self.setCursor(Qt.CursorShape.ArrowCursor)
        else:
            position = self.mapToGlobal(self._logical(event))
            QToolTip.showText(position, hit.text, self)
            self.setCursor(
                Qt.CursorShape.PointingHandCursor
                if hit.incident_ids
                else Qt.CursorShape.ArrowCursor
            )
        self.hovered.emit(hit)

    def _pressed(self, event: LocationEvent) -> None:
        if not isinstance(event, MouseEvent) or event.button is not MouseButton.LEFT:
            return
        hit = self.hit_at(event)
        if hit is not None and hit.incident_ids:
            self.clicked.emit(hit)

    def _left(self, _: LocationEvent) -> None:
        QToolTip.hideText()
        self.hovered.emit(None)

    def _logical(self, event: MouseEvent) -> QPoint:
        ratio = self.device_pixel_ratio or 1.0
        x = float(event.x or 0.0) / ratio
        y = (self.figure.bbox.height - float(event.y or 0.0)) / ratio
        return QPoint(round(x), round(y) + 16)
