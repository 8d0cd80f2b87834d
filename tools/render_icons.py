"""Render the application icon (resources/icons/incidentdesk.svg) for packaging.

Writes packaging/icons/: PNGs at the usual sizes in the freedesktop hicolor layout
(``hicolor/NxN/apps/incidentdesk.png``) with the SVG as ``scalable``, ``incidentdesk.ico`` for
Windows and ``incidentdesk.icns`` for macOS. Run it again after changing the SVG:
``QT_QPA_PLATFORM=offscreen python tools/render_icons.py``.
"""

from __future__ import annotations

import io
import shutil
import sys
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QBuffer, QIODevice, QSize
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

REPOSITORY = Path(__file__).resolve().parent.parent
SOURCE = REPOSITORY / "resources" / "icons" / "incidentdesk.svg"
OUTPUT = REPOSITORY / "packaging" / "icons"
SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
NAME = "incidentdesk"


def render(renderer: QSvgRenderer, size: int) -> Image.Image:
    image = QImage(QSize(size, size), QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(0)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return Image.open(io.BytesIO(bytes(buffer.data()))).convert("RGBA")


def main() -> int:
    _app = QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        print(f"render_icons: {SOURCE} is not a valid SVG", file=sys.stderr)
        return 1
    images = {size: render(renderer, size) for size in SIZES}
    for size, image in images.items():
        folder = OUTPUT / "hicolor" / f"{size}x{size}" / "apps"
        folder.mkdir(parents=True, exist_ok=True)
        image.save(folder / f"{NAME}.png")
    scalable = OUTPUT / "hicolor" / "scalable" / "apps"
    scalable.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SOURCE, scalable / f"{NAME}.svg")
    largest = images[max(SIZES)]
    largest.save(OUTPUT / f"{NAME}.ico", sizes=[(size, size) for size in ICO_SIZES])
    largest.save(OUTPUT / f"{NAME}.icns")
    print(f"wrote {len(SIZES)} PNGs, the SVG, {NAME}.ico and {NAME}.icns in {OUTPUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
