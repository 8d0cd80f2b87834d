"""Every message box goes through here, so tests can read and answer them."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget


class DialogService:
    """Shows messages and questions; a test replaces it with one that records and answers."""

    def inform(self, parent: QWidget | None, title: str, text: str) -> None:
        QMessageBox.information(parent, title, text)

    def warn(self, parent: QWidget | None, title: str, text: str) -> None:
        QMessageBox.warning(parent, title, text)

    def choose(
        self, parent: QWidget | None, title: str, text: str, choices: list[str]
    ) -> str | None:
        """Ask, offering ``choices`` as buttons (the first is the default); None if dismissed."""
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
