"""Colours that carry meaning (severity), chosen to stay readable in light and dark themes,
and outlines of controls that stay visible on a dark palette."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QGuiApplication, QPainter, QPalette, QPen
from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle, QStyleOption, QWidget

from incidentdesk.domain.enums import Severity

# (background, text) per severity for light and dark palettes; contrast ≥ 4.5:1 in both.
_SEVERITY_LIGHT = {
    Severity.SEV1: ("#b3261e", "#ffffff"),
    Severity.SEV2: ("#e8590c", "#ffffff"),
    Severity.SEV3: ("#f5c542", "#1f1f1f"),
    Severity.SEV4: ("#d0e4ff", "#0b2a55"),
    Severity.SEV5: ("#e6e6e6", "#333333"),
}
_SEVERITY_DARK = {
    Severity.SEV1: ("#f2b8b5", "#601410"),
    Severity.SEV2: ("#ffb77c", "#4a1f00"),
    Severity.SEV3: ("#f5d67a", "#3a2e00"),
    Severity.SEV4: ("#3a5f94", "#e8f0ff"),
    Severity.SEV5: ("#4a4a4a", "#e6e6e6"),
}


def is_dark(palette: QPalette | None = None) -> bool:
    palette = palette or QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def severity_colours(severity: Severity, palette: QPalette | None = None) -> tuple[QColor, QColor]:
    background, text = (_SEVERITY_DARK if is_dark(palette) else _SEVERITY_LIGHT)[severity]
    return QColor(background), QColor(text)


def dark_palette() -> QPalette:
    """A dark palette for the Fusion style, for when the platform offers none."""
    palette = QPalette()
    colours = {
        QPalette.ColorRole.Window: "#1e1f22",
        QPalette.ColorRole.WindowText: "#e6e6e6",
        QPalette.ColorRole.Base: "#17181a",
        QPalette.ColorRole.AlternateBase: "#222327",
        QPalette.ColorRole.ToolTipBase: "#2b2d31",
        QPalette.ColorRole.ToolTipText: "#e6e6e6",
        QPalette.ColorRole.PlaceholderText: "#8a8d93",
        QPalette.ColorRole.Text: "#e6e6e6",
        QPalette.ColorRole.Button: "#2b2d31",
        QPalette.ColorRole.ButtonText: "#e6e6e6",
        QPalette.ColorRole.BrightText: "#ff6b6b",
        QPalette.ColorRole.Highlight: "#3d6fb6",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: "#8ab4f8",
        QPalette.ColorRole.Mid: "#3a3c41",
        QPalette.ColorRole.Dark: "#111214",
        QPalette.ColorRole.Light: "#3a3c41",
    }
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    disabled = QPalette.ColorGroup.Disabled
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.ButtonText,
    ):
        palette.setColor(disabled, role, QColor("#6f7278"))
    return palette


def outline_colour(palette: QPalette) -> QColor:
    """An outline for controls that contrasts at least 3:1 with the window (WCAG's rule for
    the parts of a control that identify it): window text mixed into the window colour."""
    window, text = (
        palette.color(QPalette.ColorRole.Window),
        palette.color(QPalette.ColorRole.WindowText),
    )
    share = 0.55
    return QColor.fromRgbF(
        window.redF() + (text.redF() - window.redF()) * share,
        window.greenF() + (text.greenF() - window.greenF()) * share,
        window.blueF() + (text.blueF() - window.blueF()) * share,
    )


_OUTLINED = {
    QStyle.PrimitiveElement.PE_IndicatorCheckBox,
    QStyle.PrimitiveElement.PE_IndicatorItemViewItemCheck,
    QStyle.PrimitiveElement.PE_IndicatorRadioButton,
    QStyle.PrimitiveElement.PE_FrameLineEdit,
}


class ReadableStyle(QProxyStyle):
    """Fusion, with outlines that show on a dark palette. Fusion outlines check boxes, radio
    buttons and text fields a shade darker than the window, which on a dark window leaves
    them all but invisible; on a light palette it draws exactly as Fusion does."""

    def __init__(self) -> None:
        super().__init__("Fusion")

    def drawPrimitive(
        self,
        element: QStyle.PrimitiveElement,
        option: QStyleOption,
        painter: QPainter,
        widget: QWidget | None = None,
    ) -> None:
        super().drawPrimitive(element, option, painter, widget)
        if element not in _OUTLINED or not is_dark(option.palette):
            return
        rect = QRectF(option.rect).adjusted(0.5, 0.5, -0.5, -0.5)
        if element is QStyle.PrimitiveElement.PE_IndicatorRadioButton:
            rect = rect.adjusted(1, 1, -1, -1)  # Fusion's circle sits inside the rectangle
        colour = outline_colour(option.palette)
        if option.state & QStyle.StateFlag.State_HasFocus:
            colour = option.palette.color(QPalette.ColorRole.Highlight)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(colour, 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if element is QStyle.PrimitiveElement.PE_IndicatorRadioButton:
            painter.drawEllipse(rect)
        else:
            painter.drawRoundedRect(rect, 2, 2)
        painter.restore()


def outline_controls_when_dark(app: QApplication) -> None:
    """Where the application draws with Fusion (Qt's default where the desktop offers no
    style of its own), outline its controls so that they show on a dark palette: now, if the
    palette is dark, or once the desktop's colour scheme turns dark. On a light palette
    Fusion draws as ReadableStyle would, without calling into Python for every part of every
    control it paints (at start-up, that call alone makes Python build Qt's 60-odd style
    option classes)."""
    outline_if_dark(app)
    app.styleHints().colorSchemeChanged.connect(
        # The application's palette follows the scheme once this signal has been handled.
        lambda _: QTimer.singleShot(0, lambda: outline_if_dark(app))
    )


def outline_if_dark(app: QApplication) -> None:
    """Outline Fusion's controls if the application's palette is dark now."""
    style = app.style()
    fusion = style.name().lower() == "fusion"
    if fusion and is_dark(app.palette()) and not isinstance(style, ReadableStyle):
        app.setStyle(ReadableStyle())


def use_light_theme(app: QApplication) -> None:
    """Switch to the Fusion style with its own light palette."""
    app.setStyle("Fusion")
    app.setPalette(app.style().standardPalette())


def use_dark_theme(app: QApplication) -> None:
    """Switch to the Fusion style with a dark palette (the platform may not provide one)."""
    app.setStyle(ReadableStyle())
    app.setPalette(dark_palette())
