"""The form's "Categorize and prioritize" box: service and category, the impact questions
that suggest a severity and say why, the severity and urgency, and the priority they give
with where it would rank among the open incidents."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QWidget,
)

from incidentdesk.domain.enums import ImpactScope, Severity, Status, Urgency
from incidentdesk.domain.incident import Impact
from incidentdesk.domain.priority import PriorityMatrix
from incidentdesk.domain.triage import suggest_severity
from incidentdesk.services.triage import Rank
from incidentdesk.ui.tasks import TaskRunner

# Puts an error label under a field (the form keeps them, to show what is wrong where).
WithError = Callable[[str, QWidget], QWidget]


class TriageBox(QGroupBox):
    """Until the person picks a severity (``severity_chosen``), it follows the one the
    impact answers suggest."""

    def __init__(
        self,
        runner: TaskRunner,
        incident_id: int | None,
        with_error: WithError,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Categorize and prioritize", parent)
        self._runner = runner
        self._incident_id = incident_id
        self._matrix: PriorityMatrix | None = None
        self._edited_status: Status | None = None
        self.severity_chosen = incident_id is not None
        form = QFormLayout(self)
        self.service = QComboBox()
        self.service.setEditable(True)
        self.service.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.service.setAccessibleName("Service affected")
        form.addRow("Ser&vice:", with_error("service", self.service))
        self.category = QComboBox()
        self.category.setAccessibleName("Category")
        form.addRow("Cate&gory:", with_error("category", self.category))

        self.impact_scope = QComboBox()
        self.impact_scope.setAccessibleName("People affected")
        for scope in ImpactScope:
            self.impact_scope.addItem(scope.label, scope)
        form.addRow("People &affected:", self.impact_scope)
        self.financial = QCheckBox("Fi&nancial")
        self.security = QCheckBox("Securit&y")
        self.compliance = QCheckBox("Co&mpliance")
        form.addRow("Implications:", self._row(self.financial, self.security, self.compliance))
        for box in (self.financial, self.security, self.compliance):
            box.setAccessibleName(f"{box.text().replace('&', '')} implications")

        self.suggestion = QLabel()
        self.suggestion.setAccessibleName("Suggested severity")
        self.suggestion.setWordWrap(True)
        self.use_suggestion = QPushButton("&Use")
        self.use_suggestion.setAccessibleName("Use the suggested severity")
        self.use_suggestion.clicked.connect(self._apply_suggestion)
        form.addRow("Suggested:", self._row(self.suggestion, self.use_suggestion, stretch=False))

        self.severity = QComboBox()
        self.severity.setAccessibleName("Severity")
        for severity in Severity:
            self.severity.addItem(
                f"{severity.label} — {severity.description.split(':')[0]}", severity
            )
            self.severity.setItemData(
                self.severity.count() - 1, severity.description, Qt.ItemDataRole.ToolTipRole
            )
        form.addRow("Se&verity:", self.severity)
        self.urgency = QComboBox()
        self.urgency.setAccessibleName("Urgency")
        for urgency in Urgency:
            self.urgency.addItem(urgency.label, urgency)
        form.addRow("&Urgency:", self.urgency)
        self.priority = QLabel()
        self.priority.setAccessibleName("Priority")
        self.priority.setTextFormat(Qt.TextFormat.RichText)
        form.addRow("Priority:", self.priority)
        self.urgency.setCurrentIndex(self.urgency.findData(Urgency.MEDIUM))
        # ``activated`` comes only from the person, after ``currentIndexChanged``: answering
        # there would put a severity they pick back to the suggestion.
        self.severity.activated.connect(self._severity_picked)
        self.impact_scope.currentIndexChanged.connect(self.impact_changed)
        for widget in (self.severity, self.urgency):
            widget.currentIndexChanged.connect(self.priority_changed)
        for box in (self.financial, self.security, self.compliance):
            box.toggled.connect(self.impact_changed)

    @staticmethod
    def _row(*widgets: QWidget, stretch: bool = True) -> QWidget:
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        for widget in widgets:
            row.addWidget(widget, 0 if stretch or widget is not widgets[0] else 1)
        if stretch:
            row.addStretch()
        box = QWidget()
        box.setLayout(row)
        return box

    def set_matrix(self, matrix: PriorityMatrix, edited_status: Status | None) -> None:
        """The team's priority matrix, and the status of the incident being edited (none for
        a new one)."""
        self._matrix, self._edited_status = matrix, edited_status

    def impact(self) -> Impact:
        return Impact(
            ImpactScope(self.impact_scope.currentData()),
            self.financial.isChecked(),
            self.security.isChecked(),
            self.compliance.isChecked(),
        )

    def impact_changed(self) -> None:
        """The impact answers changed: suggest a severity, followed until one is picked."""
        suggestion = suggest_severity(self.impact())
        self.suggestion.setText(suggestion.text)
        if not self.severity_chosen and self.severity.currentData() != suggestion.severity:
            self.severity.blockSignals(True)
            self.severity.setCurrentIndex(self.severity.findData(suggestion.severity))
            self.severity.blockSignals(False)
        self.priority_changed()

    def priority_changed(self) -> None:
        suggestion = suggest_severity(self.impact())
        self.use_suggestion.setEnabled(self.severity.currentData() != suggestion.severity)
        if self._matrix is None:
            return
        severity, urgency = (
            Severity(self.severity.currentData()),
            Urgency(self.urgency.currentData()),
        )
        priority = self._matrix.priority(severity, urgency)
        self.priority.setText(f"<b>{priority.label}</b>")
        if self._edited_status is not None and not self._edited_status.is_open:
            # A closed or cancelled incident has no place among the open ones.
            status = self._edited_status.label.lower()
            self.priority.setText(f"<b>{priority.label}</b> · {status}")
            return
        exclude = self._incident_id
        self._runner.read(
            self,
            lambda desk: desk.triage.rank_among_open(priority, exclude),
            lambda rank: self._show_rank(priority.label, rank),
            lambda _error: self.priority.setText(f"<b>{priority.label}</b>"),
            supersede="rank",
        )

    def _show_rank(self, label: str, rank: Rank) -> None:
        verb = "ranks" if self._incident_id is not None else "would rank"
        self.priority.setText(f"<b>{label}</b> · {verb} {rank.text}")

    def _severity_picked(self) -> None:
        self.severity_chosen = True

    def _apply_suggestion(self) -> None:
        self.severity_chosen = False
        self.impact_changed()
