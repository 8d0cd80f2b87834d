"""The word-wrapped label keeps its height for each width, and forgets it whenever the text
or the look that decides it changes."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel

from incidentdesk.ui.wrapped_label import HEIGHTS_KEPT, WrappedLabel

LONG = "<b>How this is computed:</b> " + "the median of every incident's time " * 12


@pytest.fixture
def layouts(monkeypatch) -> list[int]:
    """The widths at which Qt's label laid its text out."""
    asked: list[int] = []
    qt_height_for_width = QLabel.heightForWidth

    def laid_out(label: QLabel, width: int) -> int:
        asked.append(width)
        return qt_height_for_width(label, width)

    monkeypatch.setattr(QLabel, "heightForWidth", laid_out)
    return asked


def test_the_height_at_a_width_is_laid_out_once(qtbot, layouts: list[int]) -> None:
    label = WrappedLabel(LONG)
    qtbot.addWidget(label)
    heights = [label.heightForWidth(300) for _ in range(5)]
    assert layouts == [300]
    assert len(set(heights)) == 1
    label.heightForWidth(600)
    assert layouts == [300, 600]
    assert label.heightForWidth(600) < heights[0]  # wider, fewer lines


def test_a_new_text_or_font_is_laid_out_again(qtbot, layouts: list[int]) -> None:
    label = WrappedLabel("short")
    qtbot.addWidget(label)
    one_line = label.heightForWidth(300)
    label.setText(LONG)
    assert label.heightForWidth(300) > one_line
    several_lines = label.heightForWidth(300)
    bigger = QFont(label.font())
    bigger.setPointSizeF(bigger.pointSizeF() * 2)
    label.setFont(bigger)
    assert label.heightForWidth(300) > several_lines
    assert layouts == [300, 300, 300]


def test_only_so_many_widths_are_kept(qtbot, layouts: list[int]) -> None:
    label = WrappedLabel(LONG)
    qtbot.addWidget(label)
    for width in range(200, 200 + HEIGHTS_KEPT + 1):
        label.heightForWidth(width)
    label.heightForWidth(200)  # forgotten when the list was full
    assert len(layouts) == HEIGHTS_KEPT + 2
