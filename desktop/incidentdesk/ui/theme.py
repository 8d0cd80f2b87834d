"""Colours that carry meaning (severity), chosen to stay readable in light and dark themes."""

from __future__ import annotations

from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

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


def use_dark_theme(app: QApplication) -> None:
    """Switch to the Fusion style with a dark palette (the platform may not provide one)."""
    app.setStyle("Fusion")
    app.setPalette(dark_palette())
