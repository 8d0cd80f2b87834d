"""Painting a board card. A card is drawn once into a pixmap and copied from there while it
looks the same: a repaint of the board (a refresh, scrolling, a selection) then costs a copy
per card instead of a dozen text layouts."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from incidentdesk.domain.metrics import format_duration
from incidentdesk.domain.sla import ClockState, SlaClock, sla_clock
from incidentdesk.services.board import BoardCard
from incidentdesk.ui.theme import is_dark, severity_colours

CARD_ROLE = Qt.ItemDataRole.UserRole + 1
CARD_HEIGHT_LINES = 4
CARD_MARGIN = 4
CARD_PADDING = 8
# Pixmaps kept for cards drawn lately: a few screens of cards, at any pixel ratio.
RENDERED_BYTES_LIMIT = 24 * 1024 * 1024
Index = QModelIndex | QPersistentModelIndex

CLOCK_COLOURS = {  # light, dark
    ClockState.WARNING: ("#8a5300", "#ffcc80"),
    ClockState.BREACHED: ("#b3261e", "#ff8a80"),
}


def card_clocks(
    card: BoardCard, targets: dict[str, dict[str, int]], now: datetime
) -> SlaClock | None:
    """The clock that matters on a card: acknowledging first, then recovering."""
    target = targets.get(card.severity.label, {})
    for name, reached in (("acknowledge", card.acknowledged_at), ("recover", card.recovered_at)):
        minutes = target.get(f"{name}_minutes")
        if reached is None and minutes is not None:
            return sla_clock(name, card.reported_at, None, timedelta(minutes=minutes), now)
    return None


def initials(name: str) -> str:
    return "".join(part[0] for part in name.split()[:2]).upper()


def facts_line(card: BoardCard, age: str) -> str:
    who = initials(card.assignee_name) or "—"
    facts = f"{card.service_name or 'No service'} · {who} · {age} · {card.escalation_level.label}"
    if card.attachments:
        facts += f" · {card.attachments} file{'s' if card.attachments != 1 else ''}"
    return facts


@dataclass(frozen=True)
class _Fonts:
    regular: QFont
    bold: QFont
    metrics: QFontMetrics
    bold_metrics: QFontMetrics


class CardDelegate(QStyledItemDelegate):
    """Paints a card: key, severity badge (colour and text), priority, title, service,
    assignee initials, age, escalation level, attachments and the SLA clock."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.targets: dict[str, dict[str, int]] = {}
        self.now = datetime.now(UTC)
        self._rendered: OrderedDict[Hashable, QPixmap] = OrderedDict()
        self._rendered_bytes = 0
        self._fonts: dict[str, _Fonts] = {}

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        height = self._fonts_for(option.font).metrics.height()
        # The width is the view's: cards fill their column, however narrow.
        width = option.widget.viewport().width() if option.widget is not None else 200  # type: ignore[attr-defined]
        return QSize(
            max(120, width - 2), CARD_HEIGHT_LINES * height + 2 * CARD_PADDING + 2 * CARD_MARGIN
        )

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        card: BoardCard = index.data(CARD_ROLE)
        age = format_duration(self.now - card.reported_at)
        clock = card_clocks(card, self.targets, self.now)
        clock_face = (clock.text, clock.state) if clock is not None else None
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        ratio = painter.device().devicePixelRatioF()
        size = option.rect.size()
        key = (
            card,
            age,
            clock_face,
            selected,
            size.width(),
            size.height(),
            ratio,
            option.palette.cacheKey(),
            option.font.key(),
        )
        pixmap = self._rendered.get(key)
        if pixmap is None:
            pixmap = QPixmap(size * ratio)
            pixmap.setDevicePixelRatio(ratio)
            pixmap.fill(Qt.GlobalColor.transparent)
            card_painter = QPainter(pixmap)
            try:
                self._draw(card_painter, option, card, age, clock, selected)
            finally:
                card_painter.end()
            self._remember(key, pixmap)
        else:
            self._rendered.move_to_end(key)
        painter.drawPixmap(option.rect.topLeft(), pixmap)

    def _remember(self, key: Hashable, pixmap: QPixmap) -> None:
        self._rendered[key] = pixmap
        self._rendered_bytes += _bytes(pixmap)
        while self._rendered_bytes > RENDERED_BYTES_LIMIT and len(self._rendered) > 1:
            _, oldest = self._rendered.popitem(last=False)
            self._rendered_bytes -= _bytes(oldest)

    def _fonts_for(self, font: QFont) -> _Fonts:
        fonts = self._fonts.get(font.key())
        if fonts is None:
            # Copies: the font of a style option lives only as long as the option.
            regular, bold = QFont(font), QFont(font)
            bold.setBold(True)
            fonts = _Fonts(regular, bold, QFontMetrics(regular), QFontMetrics(bold))
            self._fonts[font.key()] = fonts
        return fonts

    def _draw(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        card: BoardCard,
        age: str,
        clock: SlaClock | None,
        selected: bool,
    ) -> None:
        palette, dark = option.palette, is_dark(option.palette)
        fonts = self._fonts_for(option.font)
        metrics, line = fonts.metrics, fonts.metrics.height()
        outer = QRect(0, 0, option.rect.width(), option.rect.height()).adjusted(
            CARD_MARGIN, CARD_MARGIN, -CARD_MARGIN, -CARD_MARGIN
        )
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(palette.base())
        border = palette.highlight().color() if selected else palette.mid().color()
        painter.setPen(QPen(border, 2 if selected else 1))
        painter.drawRoundedRect(outer, 6, 6)
        background, text = severity_colours(card.severity, palette)
        painter.fillRect(QRect(outer.left(), outer.top() + 6, 4, outer.height() - 12), background)

        inner = outer.adjusted(CARD_PADDING + 2, CARD_PADDING, -CARD_PADDING, -CARD_PADDING)
        left, top, width = inner.left(), inner.top(), inner.width()
        text_colour = palette.color(QPalette.ColorRole.Text)
        painter.setFont(fonts.bold)
        painter.setPen(text_colour)
        painter.drawText(QRect(left, top, width, line), Qt.AlignmentFlag.AlignLeft, card.key)
        badge_width = fonts.bold_metrics.horizontalAdvance(f" {card.severity.label} ") + 4
        priority_width = metrics.horizontalAdvance(card.priority.label) + 6
        badge = QRect(inner.right() - badge_width - priority_width, top, badge_width, line)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(background)
        painter.drawRoundedRect(badge, 3, 3)
        painter.setPen(text)
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, card.severity.label)
        painter.setFont(fonts.regular)
        painter.setPen(text_colour)
        painter.drawText(
            QRect(inner.right() - priority_width + 6, top, priority_width, line),
            Qt.AlignmentFlag.AlignLeft,
            card.priority.label,
        )
        elide = Qt.TextElideMode.ElideRight
        painter.drawText(
            QRect(left, top + line, width, line),
            Qt.AlignmentFlag.AlignLeft,
            metrics.elidedText(card.title, elide, width),
        )
        muted = palette.color(QPalette.ColorRole.PlaceholderText)
        painter.setPen(muted)
        painter.drawText(
            QRect(left, top + 2 * line, width, line),
            Qt.AlignmentFlag.AlignLeft,
            metrics.elidedText(facts_line(card, age), elide, width),
        )
        if clock is not None:
            colours = CLOCK_COLOURS.get(clock.state)
            clock_metrics = metrics
            if colours:
                painter.setPen(QColor(colours[1] if dark else colours[0]))
                painter.setFont(fonts.bold)
                clock_metrics = fonts.bold_metrics
            painter.drawText(
                QRect(left, top + 3 * line, width, line),
                Qt.AlignmentFlag.AlignLeft,
                clock_metrics.elidedText(clock.text, elide, width),
            )


def _bytes(pixmap: QPixmap) -> int:
    return pixmap.width() * pixmap.height() * max(1, pixmap.depth() // 8)
