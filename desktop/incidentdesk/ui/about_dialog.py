"""Help → About Incident Desk: the version, Qt, PySide6 and Python, the licence and the
database in use, with a button that copies the diagnostics."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from incidentdesk import APPLICATION_NAME, paths
from incidentdesk.diagnostics import about_lines
from incidentdesk.ui.diagnostics import copy_diagnostics, program_facts

if TYPE_CHECKING:
    from incidentdesk.services.desk import Desk

ICON_SIZE = 64
SUMMARY = (
    "An incident tracker for small support, DevOps and SRE teams: log, prioritize, escalate, "
    "communicate, resolve and learn."
)
COPIED = "Copied to the clipboard: paste them into a bug report."


class AboutDialog(QDialog):
    def __init__(self, desk: Desk | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._desk = desk
        self.setWindowTitle(f"About {APPLICATION_NAME}")
        icon = QLabel()
        icon.setPixmap(
            QIcon(str(paths.resource("icons", "incidentdesk.svg"))).pixmap(ICON_SIZE, ICON_SIZE)
        )
        title = QLabel(f"<h2>{html.escape(APPLICATION_NAME)}</h2>")
        summary = QLabel(SUMMARY)
        summary.setWordWrap(True)
        facts = QFormLayout()
        self.values: dict[str, QLabel] = {}
        for label, value in about_lines(program_facts(desk)):
            shown = QLabel(value)
            shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            shown.setWordWrap(True)
            facts.addRow(f"{label}:", shown)
            self.values[label] = shown
        self.copied = QLabel()
        self.copied.setAccessibleName("Diagnostics copied")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("&Copy Diagnostics")
        self.copy_button.setToolTip(
            "The version, platform, database and recent problems, without any password"
        )
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_diagnostics)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(icon, alignment=Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(title, alignment=Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(summary)
        layout.addLayout(facts)
        layout.addWidget(self.copied)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)

    def copy_diagnostics(self) -> None:
        copy_diagnostics(self._desk)
        self.copied.setText(COPIED)
