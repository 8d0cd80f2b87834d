"""Beside a new incident's form: the open incidents that look the same, looked up as the
person types, to open one or to add the report to it instead of logging a duplicate."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from incidentdesk.domain.incident import IncidentRow
from incidentdesk.ui.failures import error_text
from incidentdesk.ui.tasks import TaskRunner

log = logging.getLogger(__name__)

# Typing pauses this long before the lookup: one query per pause, not one per key.
SEARCH_DELAY_MS = 400
NO_SERVICE = "—"


class DuplicatesPanel(QGroupBox):
    """``open_requested`` and ``add_requested`` carry the chosen incident's id."""

    open_requested = Signal(int)
    add_requested = Signal(int)

    def __init__(
        self, runner: TaskRunner, excluded_id: int | None, parent: QWidget | None = None
    ) -> None:
        super().__init__("Open incidents that look the same", parent)
        self._runner = runner
        self._excluded_id = excluded_id
        self._title, self._description = "", ""
        self._delay = QTimer(self)
        self._delay.setSingleShot(True)
        self._delay.setInterval(SEARCH_DELAY_MS)
        self._delay.timeout.connect(self._look_up)

        self.list = QListWidget()
        self.list.setAccessibleName("Possible duplicates")
        self.list.itemActivated.connect(lambda _: self._open())
        self.hint = QLabel("As you type a title, similar open incidents appear here.")
        self.hint.setWordWrap(True)
        open_button = QPushButton("&Open")
        open_button.clicked.connect(self._open)
        self.link_button = QPushButton("Add as &Report to This One")
        self.link_button.setToolTip(
            "Instead of a new incident, record this report (text and files) on the selected one"
        )
        self.link_button.clicked.connect(self._add)
        buttons = QHBoxLayout()
        buttons.addWidget(open_button)
        buttons.addWidget(self.link_button)
        buttons.addStretch()
        layout = QVBoxLayout(self)
        layout.addWidget(self.hint)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)

    def look_for(self, title: str, description: str) -> None:
        """Look for open incidents like this text once typing pauses."""
        self._title, self._description = title, description
        self._delay.start()

    def _look_up(self) -> None:
        title, description, excluded = self._title, self._description, self._excluded_id
        if not (title + description).strip():
            self.list.clear()
            return
        self._runner.read(
            self,
            lambda desk: desk.triage.similar_open(title, description, excluded),
            self._show,
            self._failed,
            supersede="duplicates",
        )

    def _failed(self, error: Exception) -> None:
        """A quiet note: looking for duplicates helps, and its failure must not interrupt."""
        log.info("Looking for similar incidents failed: %s", error)
        self.list.clear()
        self.hint.setText(
            f"Similar open incidents could not be looked up: {error_text(error)} "
            "They are looked up again as you type."
        )

    def _show(self, rows: list[IncidentRow]) -> None:
        self.list.clear()
        for row in rows:
            item = QListWidgetItem(
                f"{row.key} · {row.severity.label} · {row.status.label}\n{row.title}"
            )
            item.setData(Qt.ItemDataRole.UserRole, row.id)
            item.setToolTip(f"{row.key}: {row.title}\nService: {row.service_name or NO_SERVICE}")
            self.list.addItem(item)
        self.hint.setText(
            f"{len(rows)} open incident{'s' if len(rows) != 1 else ''} may be the same: "
            "open one, or add this report to it."
            if rows
            else "No open incident looks the same."
        )

    def _chosen(self) -> int | None:
        item = self.list.currentItem() or self.list.item(0)
        return int(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    def _open(self) -> None:
        incident_id = self._chosen()
        if incident_id is not None:
            self.open_requested.emit(incident_id)

    def _add(self) -> None:
        incident_id = self._chosen()
        if incident_id is not None:
            self.add_requested.emit(incident_id)
