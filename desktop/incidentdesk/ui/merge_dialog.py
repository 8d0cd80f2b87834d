"""After a refused save: the fields both people changed, each with the original, this
person's value and the other person's (who and when), to pick from one by one. Every other
field is merged already: each side's change is kept."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from incidentdesk.services.merge import Clash
from incidentdesk.ui.times import local_text

MINE, THEIRS = 1, 2


SHOWN_CHARACTERS = 60  # a radio button does not wrap: longer values end in … (all in the tooltip)


def shown(value: str) -> str:
    text = " ".join((value or "—").split())
    return text if len(text) <= SHOWN_CHARACTERS else text[: SHOWN_CHARACTERS - 1] + "…"


class MergeDialog(QDialog):
    """Accepted once each clash has a pick; ``kept_mine`` names the fields to keep as typed."""

    def __init__(
        self,
        key: str,
        clashes: list[Clash],
        parent: QWidget | None = None,
        *,
        title: str = "",
        part: str = "field",
    ) -> None:
        """``key`` names what was edited in a sentence ("INC-42", "the postmortem"), and
        ``title`` in the title bar when that differs; ``part`` is what a clash is of."""
        super().__init__(parent)
        self.setWindowTitle(f"Merge Your Changes to {title or key}")
        self._clashes = clashes
        self._picks: dict[str, QButtonGroup] = {}
        intro = QLabel(
            f"Someone else saved {key} while you were editing it. Their changes to the "
            f"{part}s you did not touch, and yours to the {part}s they did not touch, are both "
            f"kept. For each {part} you both changed, choose which to keep."
        )
        intro.setWordWrap(True)
        grid = QGridLayout()
        headings = (part.capitalize(), "Before either change", "Yours", "Theirs")
        for column, heading in enumerate(headings):
            label = QLabel(f"<b>{heading}</b>")
            grid.addWidget(label, 0, column)
        for row, clash in enumerate(clashes, start=1):
            self._add_row(grid, row, clash)
        grid.setRowStretch(len(clashes) + 1, 1)
        grid.setColumnStretch(2, 1)
        grid.setColumnStretch(3, 1)
        rows = QWidget()
        rows.setLayout(grid)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(rows)
        all_mine = QPushButton("Keep All &Mine")
        all_mine.clicked.connect(lambda: self._pick_all(MINE))
        all_theirs = QPushButton("Keep All T&heirs")
        all_theirs.clicked.connect(lambda: self._pick_all(THEIRS))
        quick = QHBoxLayout()
        quick.addWidget(all_mine)
        quick.addWidget(all_theirs)
        quick.addStretch()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.addButton(
            "&Save Merged", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.save_button.setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(scroll, 1)
        layout.addLayout(quick)
        layout.addWidget(self.buttons)
        self.resize(820, min(560, 220 + 60 * len(clashes)))

    def _add_row(self, grid: QGridLayout, row: int, clash: Clash) -> None:
        field = QLabel(clash.label)
        original = QLabel(shown(clash.original))
        original.setWordWrap(True)
        when = local_text(clash.changed_at) if clash.changed_at is not None else ""
        saved = ", ".join(part for part in (clash.changed_by, when) if part)
        mine = QRadioButton(shown(clash.mine))
        mine.setToolTip(clash.mine)
        mine.setAccessibleName(f"Keep your {clash.label.lower()}: {clash.mine or 'none'}")
        theirs = QRadioButton(shown(clash.theirs))
        theirs.setToolTip(clash.theirs)
        theirs.setAccessibleName(f"Keep their {clash.label.lower()}: {clash.theirs or 'none'}")
        theirs_cell = QWidget()
        theirs_layout = QVBoxLayout(theirs_cell)
        theirs_layout.setContentsMargins(0, 0, 0, 0)
        theirs_layout.setSpacing(0)
        theirs_layout.addWidget(theirs)
        if saved:
            by = QLabel(f"saved by {saved}" if clash.changed_by else f"saved {saved}")
            by.setEnabled(False)  # the palette's muted text, in light and dark themes
            by.setIndent(theirs.iconSize().width() + 6)
            theirs_layout.addWidget(by)
        group = QButtonGroup(self)
        group.addButton(mine, MINE)
        group.addButton(theirs, THEIRS)
        group.idClicked.connect(lambda _id: self._update_save())
        self._picks[clash.field] = group
        for column, widget in enumerate((field, original, mine, theirs_cell)):
            grid.addWidget(widget, row, column, Qt.AlignmentFlag.AlignTop)

    def _pick_all(self, side: int) -> None:
        for group in self._picks.values():
            button = group.button(side)
            if button is not None:
                button.setChecked(True)
        self._update_save()

    def pick(self, field: str, side: int) -> None:
        button = self._picks[field].button(side)
        if button is not None:
            button.setChecked(True)
        self._update_save()

    def _update_save(self) -> None:
        self.save_button.setEnabled(all(group.checkedId() > 0 for group in self._picks.values()))

    def kept_mine(self) -> set[str]:
        return {field for field, group in self._picks.items() if group.checkedId() == MINE}
