"""Looking at an attachment before it is saved: images with zoom, text and logs as text."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QImage, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from incidentdesk.services.attachments import PreparedFile, human_size, is_text_file

ZOOM_STEPS = (0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0)
TEXT_PREVIEW_MAX_CHARACTERS = 2_000_000


class AttachmentPreview(QDialog):
    def __init__(self, file: PreparedFile, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{file.filename} — {human_size(file.size)}")
        self.resize(900, 650)
        layout = QVBoxLayout(self)
        self.image = (
            QImage.fromData(file.content) if file.media_type.startswith("image/") else QImage()
        )
        self.zoom = 1.0
        if not self.image.isNull():
            self._image_label = QLabel()
            self._image_label.setAccessibleName(f"Image {file.filename}")
            self._image_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            scroll = QScrollArea()
            scroll.setWidget(self._image_label)
            scroll.setWidgetResizable(False)
            scroll.setAlignment(Qt.AlignmentFlag.AlignCenter)
            layout.addWidget(scroll)
            controls = QHBoxLayout()
            self._zoom_label = QLabel()
            for text, handler, shortcut in (
                ("Zoom &Out", self.zoom_out, QKeySequence.StandardKey.ZoomOut),
                ("&Actual Size", self.actual_size, QKeySequence("Ctrl+0")),
                ("Zoom &In", self.zoom_in, QKeySequence.StandardKey.ZoomIn),
            ):
                button = QPushButton(text)
                button.clicked.connect(handler)
                controls.addWidget(button)
                QShortcut(QKeySequence(shortcut), self, handler)
            controls.addStretch()
            controls.addWidget(self._zoom_label)
            layout.addLayout(controls)
            fitting = min(1.0, 860 / max(1, self.image.width()), 560 / max(1, self.image.height()))
            self._show_zoom(fitting)
        else:
            contents = QPlainTextEdit()
            contents.setReadOnly(True)
            contents.setAccessibleName(f"Contents of {file.filename}")
            contents.setFont(QFont("monospace"))
            contents.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
            if is_text_file(file.filename, file.media_type):
                shown = file.content.decode("utf-8", errors="replace")
                if len(shown) > TEXT_PREVIEW_MAX_CHARACTERS:
                    shown = shown[:TEXT_PREVIEW_MAX_CHARACTERS] + "\n… (the rest is not shown)"
                contents.setPlainText(shown)
            else:
                contents.setPlainText(
                    f"{file.filename} ({file.media_type}, {human_size(file.size)}) cannot be "
                    "shown here; it will be stored with the incident as it is."
                )
            layout.addWidget(contents)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _show_zoom(self, zoom: float) -> None:
        self.zoom = zoom
        scaled = self.image.scaled(
            max(1, round(self.image.width() * zoom)),
            max(1, round(self.image.height() * zoom)),
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        self._image_label.setPixmap(QPixmap.fromImage(scaled))
        self._image_label.resize(scaled.size())
        self._zoom_label.setText(
            f"{self.image.width():,} × {self.image.height():,} pixels, {zoom:.0%}"
        )

    def zoom_in(self) -> None:
        self._show_zoom(next((step for step in ZOOM_STEPS if step > self.zoom + 1e-6), self.zoom))

    def zoom_out(self) -> None:
        smaller = [step for step in ZOOM_STEPS if step < self.zoom - 1e-6]
        self._show_zoom(smaller[-1] if smaller else self.zoom)

    def actual_size(self) -> None:
        self._show_zoom(1.0)
