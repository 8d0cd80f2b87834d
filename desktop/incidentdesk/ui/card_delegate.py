"""Painting a board card. A card is drawn once into an image and copied from there while it
looks the same, so a repaint of the board (a refresh, scrolling, a selection) costs a copy per
card instead of a dozen text layouts. Drawing needs no widget: the board draws the cards a
refresh brings on its read thread, and the GUI thread only copies them."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from incidentdesk.domain.metrics import format_duration
from incidentdesk.domain.sla import ClockState, SlaClock, sla_clock
from incidentdesk.services.board import BoardCard
from incidentdesk.ui.drawn_images import DrawnImages, draw_image
from incidentdesk.ui.theme import is_dark, severity_colours

CARD_ROLE = Qt.ItemDataRole.UserRole + 1
CARD_HEIGHT_LINES = 4
CARD_MARGIN = 4
CARD_PADDING = 8
FACES_KEPT = 5_000  # a few columns' worth of cards
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
    if card.monitoring_source:
        facts = f"From {card.monitoring_source} · {facts}"
    if card.attachments:
        facts += f" · {card.attachments} file{'s' if card.attachments != 1 else ''}"
    return facts


@dataclass(frozen=True)
class CardLook:
    """What a drawn card depends on besides the card and the time: its size, the screen's
    pixel ratio, the palette and the font, as a view last painted its cards."""

    width: int
    height: int
    ratio: float
    palette: QPalette
    font: QFont

    @cached_property  # asked for each card painted; a font's key takes a while to build
    def key(self) -> tuple[int, int, float, int, QPalette.ColorGroup, str]:
        palette = self.palette
        # The cache key of a palette leaves out which of its colour groups is current (an
        # inactive window's selection may be drawn in another colour).
        return (
            self.width,
            self.height,
            self.ratio,
            palette.cacheKey(),
            palette.currentColorGroup(),
            self.font.key(),
        )


@dataclass(frozen=True)
class CardFace:
    """The time-dependent parts of a card at one moment: its age and its SLA clock."""

    age: str
    clock: SlaClock | None

    @staticmethod
    def of(card: BoardCard, targets: dict[str, dict[str, int]], now: datetime) -> CardFace:
        return CardFace(format_duration(now - card.reported_at), card_clocks(card, targets, now))

    @property
    def key(self) -> tuple[str, str | None, ClockState | None]:
        clock = self.clock
        return (self.age, None, None) if clock is None else (self.age, clock.text, clock.state)


def drawn_key(card: BoardCard, face: CardFace, selected: bool, look: CardLook) -> Hashable:
    return (card, face.key, selected, look.key)


def draw_cards(
    cards: Iterable[BoardCard],
    look: CardLook,
    targets: dict[str, dict[str, int]],
    now: datetime,
    known: Callable[[Hashable], bool],
) -> dict[Hashable, QImage]:
    """Images of the cards, as shown unselected, except those ``known`` already; safe on any
    thread (it touches no widget)."""
    drawn = {}
    for card in cards:
        face = CardFace.of(card, targets, now)
        key = drawn_key(card, face, False, look)
        if not known(key):
            drawn[key] = draw_card(card, face, False, look)
    return drawn


def draw_card(card: BoardCard, face: CardFace, selected: bool, look: CardLook) -> QImage:
    return draw_image(
        look.width,
        look.height,
        look.ratio,
        look.palette.color(QPalette.ColorRole.Base),
        lambda painter: _draw(painter, card, face, selected, look),
    )


def _draw(
    painter: QPainter, card: BoardCard, face: CardFace, selected: bool, look: CardLook
) -> None:
    palette, dark = look.palette, is_dark(look.palette)
    # Fonts of this drawing's own: the GUI thread may be drawing with the look's at once.
    regular, bold = QFont(look.font), QFont(look.font)
    bold.setBold(True)
    metrics, bold_metrics = QFontMetrics(regular), QFontMetrics(bold)
    line = metrics.height()
    outer = QRect(0, 0, look.width, look.height).adjusted(
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
    painter.setFont(bold)
    painter.setPen(text_colour)
    painter.drawText(QRect(left, top, width, line), Qt.AlignmentFlag.AlignLeft, card.key)
    badge_width = bold_metrics.horizontalAdvance(f" {card.severity.label} ") + 4
    priority_width = metrics.horizontalAdvance(card.priority.label) + 6
    badge = QRect(inner.right() - badge_width - priority_width, top, badge_width, line)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(background)
    painter.drawRoundedRect(badge, 3, 3)
    painter.setPen(text)
    painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, card.severity.label)
    painter.setFont(regular)
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
        metrics.elidedText(facts_line(card, face.age), elide, width),
    )
    clock = face.clock
    if clock is not None:
        colours = CLOCK_COLOURS.get(clock.state)
        clock_metrics = metrics
        if colours:
            painter.setPen(QColor(colours[1] if dark else colours[0]))
            painter.setFont(bold)
            clock_metrics = bold_metrics
        painter.drawText(
            QRect(left, top + 3 * line, width, line),
            Qt.AlignmentFlag.AlignLeft,
            clock_metrics.elidedText(clock.text, elide, width),
        )


def _card_width(view: QWidget | None) -> int:
    """Cards fill their column, however narrow, and keep their width when its scroll bar
    comes and goes (they would all have to be drawn again)."""
    if not isinstance(view, QAbstractScrollArea):
        return 200
    frame = view.frameWidth() * 2
    scroll_bar = view.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, view)
    return max(120, view.width() - frame - scroll_bar - 2)


_CARD_HEIGHTS: dict[str, int] = {}  # by font key: measuring a font costs more than a lookup


def card_height(font: QFont) -> int:
    """The height of a card in ``font``, the same for every card."""
    key = font.key()
    height = _CARD_HEIGHTS.get(key)
    if height is None:
        height = CARD_HEIGHT_LINES * QFontMetrics(font).height() + 2 * (CARD_PADDING + CARD_MARGIN)
        _CARD_HEIGHTS[key] = height
    return height


def _expected_look(view: QWidget) -> CardLook:
    """The look a view's paint gives its cards, from the view as a paint's style option sees
    it: its palette (in the colour group of the view's state now), font and pixel ratio."""
    font = QFont(view.font())
    return CardLook(
        _card_width(view),
        card_height(font),
        # The view's ratio is its viewport's (one window, one screen); asking the viewport
        # would make Python look up which of Qt's widget classes a viewport is, building
        # every one of them (about 8 ms) before the first paint.
        view.devicePixelRatioF(),
        QPalette(view.palette()),
        font,
    )


class CardDelegate(QStyledItemDelegate):
    """Paints a card: key, severity badge (colour and text), priority, title, service,
    assignee initials, age, escalation level, attachments and the SLA clock."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.targets: dict[str, dict[str, int]] = {}
        self.now = datetime.now(UTC)
        self._drawn = DrawnImages()
        self._looks: dict[QWidget, CardLook] = {}
        # Each card's face at ``now``: a repaint (scrolling, a selection) reuses it.
        self._faces: dict[int, tuple[BoardCard, datetime, dict[str, dict[str, int]], CardFace]] = {}

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return QSize(_card_width(option.widget), card_height(option.font))

    def look_in(self, view: QWidget) -> CardLook | None:
        """The look of the cards ``view`` painted last or, before its first paint, the look
        they will get when it paints as it is laid out now (so that the cards of a first load
        are drawn off the GUI thread too); None while it is not shown."""
        look = self._looks.get(view)
        if look is None and view.isVisible():
            return _expected_look(view)
        return look

    def has_drawn(self, key: Hashable) -> bool:
        """Whether the card of ``key`` (see ``drawn_key``) is drawn already; safe to ask from
        another thread."""
        return self._drawn.has(key)

    def add_drawn(self, drawn: dict[Hashable, QImage]) -> None:
        """Keep cards drawn elsewhere (by ``draw_cards``) for the next paint."""
        self._drawn.put_all(drawn)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        if option.rect.isEmpty():
            return  # a row not laid out yet
        look = self.look_of(option, painter.device().devicePixelRatioF())
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.drawImage(
            option.rect.topLeft(), self.image_of(index.data(CARD_ROLE), selected, look)
        )

    def image_of(self, card: BoardCard, selected: bool, look: CardLook) -> QImage:
        """The card as it looks now, drawn on this thread unless it was drawn already."""
        face = self._face_of(card)
        key = drawn_key(card, face, selected, look)
        image = self._drawn.get(key)
        if image is None:
            image = draw_card(card, face, selected, look)
            self._drawn.put(key, image)
        return image

    def _face_of(self, card: BoardCard) -> CardFace:
        known = self._faces.get(card.id)
        if (
            known is not None
            and known[0] is card
            and known[1] is self.now
            and known[2] is self.targets
        ):
            return known[3]
        if len(self._faces) > FACES_KEPT:
            self._faces.clear()
        face = CardFace.of(card, self.targets, self.now)
        self._faces[card.id] = (card, self.now, self.targets, face)
        return face

    def look_of(self, option: QStyleOptionViewItem, ratio: float) -> CardLook:
        """The look of the cards a paint with ``option`` at pixel ratio ``ratio`` shows."""
        # The view stretches its items to its width; the card keeps the width it asked for.
        view, width, height = option.widget, _card_width(option.widget), option.rect.height()
        look = self._looks.get(view)
        if (
            look is None
            or (look.width, look.height, look.ratio) != (width, height, ratio)
            or look.palette.cacheKey() != option.palette.cacheKey()
            or look.palette.currentColorGroup() != option.palette.currentColorGroup()
            or look.font != option.font
        ):
            # Copies: the palette and font of a style option live only as long as the option.
            look = CardLook(width, height, ratio, QPalette(option.palette), QFont(option.font))
            self._looks[view] = look
        return look
