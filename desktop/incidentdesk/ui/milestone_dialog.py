"""A lead corrects when milestones happened; each correction needs a reason and is logged."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtWidgets import (
    QCheckBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from incidentdesk.domain.incident import Incident
from incidentdesk.services.lifecycle import MILESTONES
from incidentdesk.ui.times import from_qt, to_qt


class MilestoneDialog(QDialog):
    """Offers the milestones that have happened; ``corrections()`` lists the changed ones."""

    def __init__(self, incident: Incident, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Correct Times — {incident.key}")
        form = QFormLayout()
        self.edits: dict[str, tuple[QCheckBox, QDateTimeEdit, datetime]] = {}
        for name, label in MILESTONES.items():
            moment = getattr(incident.milestones, name)
            if moment is None:
                continue
            change = QCheckBox(f"{label}:")
            edit = QDateTimeEdit(to_qt(moment))
            edit.setDisplayFormat("yyyy-MM-dd HH:mm")
            edit.setCalendarPopup(True)
            edit.setEnabled(False)
            edit.setAccessibleName(f"{label} at")
            change.toggled.connect(edit.setEnabled)
            form.addRow(change, edit)
            self.edits[name] = (change, edit, moment)
        self.reason = QLineEdit()
        self.reason.setAccessibleName("Reason for the correction")
        self.reason.setPlaceholderText("e.g. the monitoring showed recovery at 10:42")
        form.addRow("&Reason:", self.reason)
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #c62828;")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._accept_if_complete)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        if not self.edits:
            layout.addWidget(
                QLabel("No milestone has been reached yet; there is nothing to correct.")
            )
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)

    def corrections(self) -> dict[str, datetime]:
        return {
            name: from_qt(edit.dateTime())
            for name, (change, edit, _) in self.edits.items()
            if change.isChecked()
        }

    def _accept_if_complete(self) -> None:
        if not self.corrections():
            self.problem.setText("Tick the time you want to correct.")
            return
        if not self.reason.text().strip():
            self.problem.setText("Say why the time is corrected.")
            self.reason.setFocus()
            return
        self.accept()
