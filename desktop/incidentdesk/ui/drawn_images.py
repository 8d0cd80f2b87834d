"""Images of things drawn lately (board cards, list rows), kept for copying to the screen
while they look the same, the least recently shown dropped first."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable

from PySide6.QtGui import QColor, QImage, QPainter

# A few screens of cards or rows at a pixel ratio of 1; a high-DPI screen shows the same
# things in the square of its ratio more bytes, and the budget grows with it.
BYTES_LIMIT = 24 * 1024 * 1024


def draw_image(
    width: int, height: int, ratio: float, background: QColor, draw: Callable[[QPainter], None]
) -> QImage:
    """An image of ``width`` × ``height`` at the pixel ratio ``ratio``, drawn by ``draw``; safe
    on any thread. Opaque, on the background of what it is shown on: copied to the screen
    without blending."""
    image = QImage(round(width * ratio), round(height * ratio), QImage.Format.Format_RGB32)
    image.setDevicePixelRatio(ratio)
    image.fill(background)
    painter = QPainter(image)
    try:
        draw(painter)
    finally:
        painter.end()
    return image


class DrawnImages:
    def __init__(self) -> None:
        self._images: OrderedDict[Hashable, QImage] = OrderedDict()
        self._bytes = 0

    def has(self, key: Hashable) -> bool:
        """Whether the image of ``key`` is kept. Safe to ask from another thread: a
        dictionary lookup is atomic."""
        return key in self._images

    def get(self, key: Hashable) -> QImage | None:
        image = self._images.get(key)
        if image is not None:
            self._images.move_to_end(key)
        return image

    def put(self, key: Hashable, image: QImage) -> None:
        previous = self._images.pop(key, None)
        if previous is not None:
            self._bytes -= previous.sizeInBytes()
        self._images[key] = image
        self._bytes += image.sizeInBytes()
        limit = BYTES_LIMIT * max(1.0, image.devicePixelRatio()) ** 2
        while self._bytes > limit and len(self._images) > 1:
            _, oldest = self._images.popitem(last=False)
            self._bytes -= oldest.sizeInBytes()

    def put_all(self, images: dict[Hashable, QImage]) -> None:
        for key, image in images.items():
            self.put(key, image)
