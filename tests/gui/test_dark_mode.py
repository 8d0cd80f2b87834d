"""Dark mode: check boxes, radio buttons and text fields keep an outline that can be seen
against the window, at device pixel ratios 1 and 2."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QLineEdit,
    QRadioButton,
    QStyle,
    QStyleOptionButton,
    QWidget,
)

from incidentdesk.ui import personal_settings as settings_module
from incidentdesk.ui.personal_settings import PersonalSettings, Theme, apply_personal_settings
from incidentdesk.ui.theme import (
    ReadableStyle,
    dark_palette,
    is_dark,
    outline_controls_when_dark,
    use_dark_theme,
    use_light_theme,
)

# WCAG 2.1, 1.4.11: parts of a control needed to identify it contrast at least 3:1.
NON_TEXT_CONTRAST = 3.0


def luminance(colour: QColor) -> float:
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(colour.redF())
        + 0.7152 * channel(colour.greenF())
        + 0.0722 * channel(colour.blueF())
    )


def contrast(one: QColor, other: QColor) -> float:
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def in_theme(qapp: QApplication, use: Callable[[QApplication], None]) -> Iterator[QApplication]:
    """The application in the theme ``use`` sets; afterwards, its look as it was."""
    style, palette = qapp.style().name(), QPalette(qapp.palette())
    use(qapp)
    yield qapp
    qapp.setStyle(style)
    qapp.setPalette(palette)


@pytest.fixture
def dark(qapp: QApplication) -> Iterator[QApplication]:
    yield from in_theme(qapp, use_dark_theme)


def rendered(widget: QWidget, ratio: float) -> QImage:
    widget.resize(widget.sizeHint())
    image = QImage(widget.size() * ratio, QImage.Format.Format_ARGB32)
    image.setDevicePixelRatio(ratio)
    image.fill(widget.palette().color(QPalette.ColorRole.Window))
    widget.render(image)
    return image


def best_contrast(image: QImage, area: QRect, ratio: float, against: QColor) -> float:
    """The strongest contrast of a pixel in ``area`` (logical pixels) with ``against``."""
    left, top = int(area.left() * ratio), int(area.top() * ratio)
    right, bottom = int((area.right() + 1) * ratio), int((area.bottom() + 1) * ratio)
    return max(
        contrast(image.pixelColor(x, y), against)
        for x in range(max(0, left), min(image.width(), right))
        for y in range(max(0, top), min(image.height(), bottom))
    )


def indicator(widget: QCheckBox | QRadioButton, element: QStyle.SubElement) -> QRect:
    option = QStyleOptionButton()
    widget.initStyleOption(option)
    return widget.style().subElementRect(element, option, widget)


Case = tuple[Callable[[], QWidget], Callable[[QWidget], QRect]]
CASES: dict[str, Case] = {
    "check box": (
        lambda: QCheckBox("Mine"),
        lambda w: indicator(w, QStyle.SubElement.SE_CheckBoxIndicator),  # type: ignore[arg-type]
    ),
    "radio button": (
        lambda: QRadioButton("Internal"),
        lambda w: indicator(w, QStyle.SubElement.SE_RadioButtonIndicator),  # type: ignore[arg-type]
    ),
    "text field": (QLineEdit, lambda w: w.rect()),
}


@pytest.mark.parametrize("ratio", [1.0, 2.0])
@pytest.mark.parametrize("kind", list(CASES))
def test_controls_are_outlined_against_a_dark_window(
    qtbot, dark: QApplication, kind: str, ratio: float
) -> None:
    make, area_of = CASES[kind]
    widget = make()
    qtbot.addWidget(widget)
    image = rendered(widget, ratio)
    window = widget.palette().color(QPalette.ColorRole.Window)
    assert best_contrast(image, area_of(widget), ratio, window) >= NON_TEXT_CONTRAST


def test_a_check_mark_is_as_clear_as_text(qtbot, dark: QApplication) -> None:
    box = QCheckBox("Mine")
    box.setChecked(True)
    qtbot.addWidget(box)
    image = rendered(box, 1.0)
    base = box.palette().color(QPalette.ColorRole.Base)
    area = indicator(box, QStyle.SubElement.SE_CheckBoxIndicator).adjusted(3, 3, -3, -3)
    assert best_contrast(image, area, 1.0, base) >= 4.5


@pytest.fixture
def fusion(qapp: QApplication) -> Iterator[QApplication]:
    """Plain Fusion on its light palette."""
    yield from in_theme(qapp, use_light_theme)


def test_a_light_palette_keeps_plain_fusion(fusion: QApplication) -> None:
    outline_controls_when_dark(fusion)
    assert not isinstance(fusion.style(), ReadableStyle)
    assert fusion.style().name().lower() == "fusion"


def test_a_dark_palette_at_start_gets_the_outlines(fusion: QApplication) -> None:
    fusion.setPalette(dark_palette())
    outline_controls_when_dark(fusion)
    assert isinstance(fusion.style(), ReadableStyle)


def test_the_outlines_follow_the_desktop_turning_dark(qtbot, fusion: QApplication) -> None:
    outline_controls_when_dark(fusion)
    fusion.setPalette(dark_palette())
    fusion.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    qtbot.waitUntil(lambda: isinstance(fusion.style(), ReadableStyle))


def test_back_to_a_dark_system_palette_from_light_gets_the_outlines(
    fusion: QApplication,
) -> None:
    fusion.setPalette(dark_palette())
    system_look = dict(settings_module._system_look)
    settings_module._system_look["palette"] = QPalette(fusion.palette())
    try:
        apply_personal_settings(fusion, PersonalSettings(theme=Theme.LIGHT))
        assert not isinstance(fusion.style(), ReadableStyle)
        apply_personal_settings(fusion, PersonalSettings(theme=Theme.SYSTEM))
        assert isinstance(fusion.style(), ReadableStyle)
        assert is_dark(fusion.palette())
    finally:
        settings_module._system_look.clear()
        settings_module._system_look.update(system_look)
