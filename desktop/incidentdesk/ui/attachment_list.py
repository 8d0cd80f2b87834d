"""The files about to be attached to an incident: thumbnails, names, sizes; remove, preview."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QKeyEvent, QPixmap
from PySide6.QtWidgets import QFileIconProvider, QListWidget, QListWidgetItem, QWidget

from incidentdesk.services.attachments import PARTLY_SEARCHABLE, human_size
from incidentdesk.ui.attachment_files import THUMBNAIL_SIZE, AttachmentCandidate

_KEY_ROLE = Qt.ItemDataRole.UserRole + 1


class AttachmentList(QListWidget):
    """Shows candidates as icons; Delete removes the selected one, Enter or a double-click
    previews it."""

    preview_requested = Signal(object)  # the AttachmentCandidate
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Attachments")
        self.setViewMode(QListWidget.ViewMode.IconMode)
        self.setIconSize(THUMBNAIL_SIZE)
        self.setGridSize(QSize(THUMBNAIL_SIZE.width() + 40, THUMBNAIL_SIZE.height() + 48))
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setMovement(QListWidget.Movement.Static)
        self.setWordWrap(True)
        self.setAcceptDrops(False)  # the form takes drops anywhere on it
        self.setMinimumHeight(THUMBNAIL_SIZE.height() + 60)
        self._candidates: dict[int, AttachmentCandidate] = {}
        self._next_key = 0
        self._icons = QFileIconProvider()
        self.itemActivated.connect(self._activated)

    def candidates(self) -> list[AttachmentCandidate]:
        return [self._candidate(self.item(row)) for row in range(self.count())]

    def _candidate(self, item: QListWidgetItem) -> AttachmentCandidate:
        return self._candidates[item.data(_KEY_ROLE)]

    def add(self, candidate: AttachmentCandidate) -> None:
        if any(existing.file.sha256 == candidate.file.sha256 for existing in self.candidates()):
            return  # the same content twice would be stored once anyway
        if candidate.thumbnail is not None:
            icon = QIcon(QPixmap.fromImage(candidate.thumbnail))
        else:
            icon = self._icons.icon(QFileIconProvider.IconType.File)
        label = f"{candidate.file.filename}\n{human_size(candidate.file.size)}"
        tooltip = candidate.source_path or "Pasted from the clipboard"
        if candidate.file.partly_indexed:
            label += "\nPartly searchable"
            tooltip += (
                f"\n{PARTLY_SEARCHABLE.capitalize()}: it has more distinct words than the "
                "search index keeps for one file."
            )
        item = QListWidgetItem(icon, label)
        item.setToolTip(tooltip)
        item.setData(Qt.ItemDataRole.AccessibleTextRole, label.replace("\n", ", "))
        item.setData(_KEY_ROLE, self._next_key)
        self._candidates[self._next_key] = candidate
        self._next_key += 1
        self.addItem(item)
        self.changed.emit()

    def remove_selected(self) -> None:
        for item in self.selectedItems():
            self._candidates.pop(item.data(_KEY_ROLE), None)
            self.takeItem(self.row(item))
        self.changed.emit()

    def _activated(self, item: QListWidgetItem) -> None:
        self.preview_requested.emit(self._candidate(item))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self.selectedItems():
            self.remove_selected()
            return
        super().keyPressEvent(event)
