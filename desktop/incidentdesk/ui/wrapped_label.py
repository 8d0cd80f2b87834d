"""A word-wrapped label that remembers its height at each width until its text or look changes.

Qt's QLabel lays its text out again at every ``heightForWidth`` question (a rich-text label
relays out its whole document), and a layout asks each label several times a pass. The charts
page's scroll area asks for the height of its whole content at each change of filter: its
how-lines and tiles laid out over and over were most of the GUI thread's work then.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QLabel, QWidget

HEIGHTS_KEPT = 32  # widths: a window being dragged wider asks for a new one at each step

# What changes the height a text needs at a width (its font, the style's margins, the text's
# direction); its text changes through setText.
_RELAYOUT_EVENTS = frozenset(
    {
        QEvent.Type.FontChange,
        QEvent.Type.StyleChange,
        QEvent.Type.LayoutDirectionChange,
        QEvent.Type.ContentsRectChange,
    }
)


class WrappedLabel(QLabel):
    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setWordWrap(True)
        self._heights: dict[int, int] = {}

    def setText(self, text: str) -> None:
        self._heights.clear()
        super().setText(text)

    def heightForWidth(self, width: int) -> int:
        height = self._heights.get(width)
        if height is None:
            if len(self._heights) >= HEIGHTS_KEPT:
                self._heights.clear()
            height = self._heights[width] = super().heightForWidth(width)
        return height

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in _RELAYOUT_EVENTS:
            self._heights.clear()
        super().changeEvent(event)
