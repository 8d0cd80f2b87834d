"""Asking what a lifecycle step needs: when it happened, a note, and where an escalation or a
duplicate points."""

from __future__ import annotations

from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from incidentdesk.domain.enums import EscalationLevel
from incidentdesk.domain.keys import parse_key
from incidentdesk.domain.lifecycle import NOTE_REQUIRED, Step
from incidentdesk.services.catalog import NamedItem, Person
from incidentdesk.services.lifecycle import EscalationSuggestion, StepRequest
from incidentdesk.ui.times import from_qt

NOTE_PROMPTS = {
    Step.TRIAGE: ("Note (optional):", "Anything the next person should know"),
    Step.ACKNOWLEDGE: ("Note (optional):", "First diagnosis, who is looking at it"),
    Step.ESCALATE: ("Reason:", "Why the next team is needed, what has been tried"),
    Step.RECOVER: ("What was repaired:", "The repair that ended the customer impact"),
    Step.START_POSTMORTEM: ("Note (optional):", ""),
    Step.CLOSE: ("Note (optional):", ""),
    Step.CANCEL: ("Reason:", "Duplicate, false alarm, not an incident…"),
    Step.REOPEN: ("Reason:", "What happened again"),
}
WHEN_LABELS = {Step.RECOVER: "Impact ended at:", Step.CLOSE: "Closed at:"}


class StepDialog(QDialog):
    """Collects a StepRequest; Ok stays possible and names what is missing."""

    def __init__(
        self,
        step: Step,
        incident_key: str,
        teams: list[NamedItem],
        people: list[Person],
        suggestion: EscalationSuggestion | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.step = step
        self.setWindowTitle(f"{step.label} — {incident_key}")
        self.setMinimumWidth(480)
        form = QFormLayout()
        self.when = QDateTimeEdit(QDateTime.currentDateTime())
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.when.setAccessibleName("When it happened")
        # Left alone, the time is "now" when the step is taken, not when the dialog opened.
        self._when_changed = False
        self.when.dateTimeChanged.connect(self._when_edited)
        form.addRow(WHEN_LABELS.get(step, "When:"), self.when)
        self.team = QComboBox()
        self.person = QComboBox()
        self.level = QComboBox()
        if step is Step.ESCALATE:
            self.team.setAccessibleName("Escalate to team")
            self.team.addItem("—", None)
            for team in teams:
                self.team.addItem(team.name, team.id)
            self.person.setAccessibleName("Escalate to person")
            self.person.addItem("—", None)
            for person in people:
                self.person.addItem(person.name, person.id)
            self.level.setAccessibleName("Escalation level")
            for level in EscalationLevel:
                self.level.addItem(level.label, level)
            if suggestion is not None:
                if suggestion.team_id is not None:
                    self.team.setCurrentIndex(self.team.findData(suggestion.team_id))
                self.level.setCurrentIndex(self.level.findData(suggestion.level))
            form.addRow("To &team:", self.team)
            form.addRow("To &person:", self.person)
            form.addRow("&Level:", self.level)
            if suggestion is not None and suggestion.team_name:
                hint = QLabel(f"Next in the escalation order: {suggestion.team_name}.")
                form.addRow("", hint)
        self.duplicate_of = QLineEdit()
        if step is Step.CANCEL:
            self.duplicate_of.setPlaceholderText("INC-123, if it is a duplicate")
            self.duplicate_of.setAccessibleName("Duplicate of")
            form.addRow("&Duplicate of:", self.duplicate_of)
        label, placeholder = NOTE_PROMPTS[step]
        self.note = QPlainTextEdit()
        self.note.setPlaceholderText(placeholder)
        self.note.setAccessibleName(label.rstrip(":"))
        self.note.setTabChangesFocus(True)
        self.note.setMaximumHeight(120)
        form.addRow(label, self.note)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #c62828;")
        self.problem.setAccessibleName("Problem")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(step.label)
        buttons.accepted.connect(self._accept_if_complete)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.note.setFocus()

    def _when_edited(self) -> None:
        self._when_changed = True

    def request(self) -> StepRequest:
        moment = from_qt(self.when.dateTime())
        return StepRequest(
            step=self.step,
            at=moment if self._when_changed else None,
            note=self.note.toPlainText(),
            duplicate_of_number=parse_key(self.duplicate_of.text())
            if self.duplicate_of.text().strip()
            else None,
            to_team_id=self.team.currentData() if self.step is Step.ESCALATE else None,
            to_person_id=self.person.currentData() if self.step is Step.ESCALATE else None,
            level=EscalationLevel(self.level.currentData()) if self.step is Step.ESCALATE else None,
        )

    def show_problem(self, text: str) -> None:
        self.problem.setText(text)

    def _accept_if_complete(self) -> None:
        if self.step in NOTE_REQUIRED and not self.note.toPlainText().strip():
            self.show_problem(f"Fill in “{NOTE_PROMPTS[self.step][0].rstrip(':')}”.")
            self.note.setFocus()
            return
        if (
            self.step is Step.ESCALATE
            and self.team.currentData() is None
            and self.person.currentData() is None
        ):
            self.show_problem("Choose the team or the person to escalate to.")
            self.team.setFocus()
            return
        if self.duplicate_of.text().strip() and parse_key(self.duplicate_of.text()) is None:
            self.show_problem("Write the original incident's key, such as INC-123.")
            self.duplicate_of.setFocus()
            return
        self.accept()
