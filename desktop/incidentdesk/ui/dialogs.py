"""Every message box goes through here, so tests can read and answer them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from incidentdesk.ui.failures import is_expected

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

LAST_SAVE_FOLDER_SETTING = "exports/folder"


class DialogService:
    """Shows messages and questions; a test replaces it with one that records and answers.

    Its methods import the Qt classes they show: PySide6 takes about a millisecond to make
    each the first time it is used, and the start-up's first paint shows no dialog."""

    def inform(self, parent: QWidget | None, title: str, text: str) -> None:
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.information(parent, title, text)

    def warn(self, parent: QWidget | None, title: str, text: str) -> None:
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.warning(parent, title, text)

    def warn_failure(self, parent: QWidget | None, title: str, text: str, error: Exception) -> None:
        """``warn`` for an expected failure; an unexpected one has a dialog of its own
        (``report_fault``, shown by the main window), so it gets no second one here."""
        if is_expected(error):
            self.warn(parent, title, text)

    def report_fault(self, parent: QWidget | None, text: str, details: str) -> None:
        """A fault of the program: what it means for the person, and its details (the
        traceback) to see or copy for a bug report."""
        from PySide6.QtGui import QGuiApplication
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(
            QMessageBox.Icon.Critical,
            "Something Went Wrong",
            text,
            QMessageBox.StandardButton.Close,
            parent,
        )
        box.setDetailedText(details)
        copy = box.addButton("Copy Details", QMessageBox.ButtonRole.ActionRole)
        box.exec()
        if box.clickedButton() is copy:
            QGuiApplication.clipboard().setText(details)

    def choose(
        self, parent: QWidget | None, title: str, text: str, choices: list[str]
    ) -> str | None:
        """Ask, offering ``choices`` as buttons (the first is the default); None if dismissed."""
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(
            QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.NoButton, parent
        )
        buttons = [box.addButton(choice, QMessageBox.ButtonRole.AcceptRole) for choice in choices]
        box.addButton(QMessageBox.StandardButton.Cancel)
        if buttons:
            box.setDefaultButton(buttons[0])
        box.exec()
        clicked = box.clickedButton()
        for choice, button in zip(choices, buttons, strict=True):
            if clicked is button:
                return choice
        return None

    def choose_save_path(
        self, parent: QWidget | None, caption: str, file_name: str, file_filter: str, suffix: str
    ) -> Path | None:
        """Ask where to save ``file_name``, starting in the folder used last; None if
        cancelled. ``suffix`` (".png") is added when the platform's dialog does not."""
        from PySide6.QtCore import QSettings, QStandardPaths
        from PySide6.QtWidgets import QFileDialog

        settings = QSettings()
        documents = QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation
        )
        folder = str(settings.value(LAST_SAVE_FOLDER_SETTING, documents or str(Path.home())))
        chosen, _ = QFileDialog.getSaveFileName(
            parent, caption, str(Path(folder) / file_name), file_filter
        )
        if not chosen:
            return None
        path = Path(chosen)
        if not path.suffix:
            path = path.with_name(path.name + suffix)
        settings.setValue(LAST_SAVE_FOLDER_SETTING, str(path.parent))
        return path
