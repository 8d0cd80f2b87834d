"""The filters shared by the board and the list: mine, my team, from monitoring, severity,
service, category, assignee and free text; and named views that remember a set of them. The
less used ones (service, category, assignee) fold away behind "More Filters", so the bar fits a
window of the default width."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from incidentdesk.domain.enums import Severity, SourceKind
from incidentdesk.services.catalog import NamedItem, Person
from incidentdesk.services.incidents import IncidentQuery

ANY = "Any"
SAVED_VIEWS_SETTING = "board/saved_views"
NOBODY: frozenset[int] = frozenset({0})  # ids start at 1: a filter that matches no row


@dataclass(frozen=True)
class Filters:
    """What the bar is set to, in a form that can be saved under a name."""

    text: str = ""
    mine: bool = False
    my_team: bool = False
    severity: int | None = None
    service_id: int | None = None
    category_id: int | None = None
    assignee_id: int | None = None
    from_monitoring: bool = False

    def to_json(self) -> str:
        return json.dumps({item.name: getattr(self, item.name) for item in fields(self)})

    @classmethod
    def from_json(cls, text: str) -> Filters:
        data = json.loads(text)
        known = {item.name for item in fields(cls)}
        return cls(**{name: value for name, value in data.items() if name in known})


@dataclass
class Me:
    person_id: int | None = None
    team_id: int | None = None


@dataclass
class FilterChoices:
    services: list[NamedItem] = field(default_factory=list)
    categories: list[NamedItem] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)


def apply_filters(query: IncidentQuery, filters: Filters, me: Me) -> IncidentQuery:
    """``query`` narrowed by ``filters``; statuses and ordering stay as they are. Every filter
    narrows: "mine" with another assignee, or "my team" without a team, matches nothing."""
    assignees: frozenset[int] = frozenset()
    if filters.mine:
        others = filters.assignee_id is not None and filters.assignee_id != me.person_id
        assignees = NOBODY if me.person_id is None or others else frozenset({me.person_id})
    elif filters.assignee_id is not None:
        assignees = frozenset({filters.assignee_id})
    teams: frozenset[int] = frozenset()
    if filters.my_team:
        teams = frozenset({me.team_id}) if me.team_id is not None else NOBODY
    return IncidentQuery(
        statuses=query.statuses,
        text=filters.text,
        severities=frozenset({Severity(filters.severity)}) if filters.severity else frozenset(),
        service_ids=frozenset({filters.service_id}) if filters.service_id else frozenset(),
        category_ids=frozenset({filters.category_id}) if filters.category_id else frozenset(),
        team_ids=teams,
        assignee_ids=assignees,
        source_kinds=frozenset({SourceKind.MONITORING}) if filters.from_monitoring else frozenset(),
        sort=query.sort,
        descending=query.descending,
    )


def narrows(query: IncidentQuery) -> bool:
    """Whether the search or a filter of the bar leaves incidents out (statuses aside)."""
    return bool(
        query.text.strip()
        or query.severities
        or query.service_ids
        or query.category_ids
        or query.team_ids
        or query.assignee_ids
        or query.source_kinds
    )


class FilterBar(QWidget):
    """Emits ``changed`` with the new Filters whenever any control changes."""

    changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setPlaceholderText(
            "Search titles, descriptions, timelines and logs, or type a key such as INC-42"
        )
        self.search.setAccessibleName("Search incidents")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(220)
        self.mine = QCheckBox("&Mine")
        self.mine.setAccessibleName("Only incidents assigned to me")
        self.my_team = QCheckBox("My &team")
        self.my_team.setAccessibleName("Only my team's incidents")
        self.from_monitoring = QCheckBox("From m&onitoring")
        self.from_monitoring.setAccessibleName("Only incidents from monitoring")
        self.severity = QComboBox()
        self.severity.setAccessibleName("Severity")
        self.severity.addItem(f"Severity: {ANY}", None)
        for severity in Severity:
            self.severity.addItem(severity.label, severity.value)
        self.service = QComboBox()
        self.service.setAccessibleName("Service")
        self.category = QComboBox()
        self.category.setAccessibleName("Category")
        self.assignee = QComboBox()
        self.assignee.setAccessibleName("Assignee")
        self._fill(FilterChoices())
        self.more_button = QToolButton()
        self.more_button.setCheckable(True)
        self.more_button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.more_button.setAccessibleName("More filters")
        self.more_button.setToolTip("Filter by service, category and assignee too")
        self.more_button.toggled.connect(self._show_more)
        first_row = QHBoxLayout()
        first_row.addWidget(self.search, 3)
        for widget in (
            self.mine,
            self.my_team,
            self.from_monitoring,
            self.severity,
            self.more_button,
        ):
            first_row.addWidget(widget)
        self.more_row = QWidget()
        second_row = QHBoxLayout(self.more_row)
        second_row.setContentsMargins(0, 0, 0, 0)
        for widget in self._folded():
            second_row.addWidget(widget)
        second_row.addStretch()
        self.more_row.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(first_row)
        layout.addWidget(self.more_row)
        order = [
            self.search,
            self.mine,
            self.my_team,
            self.from_monitoring,
            self.severity,
            self.more_button,
        ]
        for before, after in zip(order, [*order[1:], *self._folded()], strict=False):
            QWidget.setTabOrder(before, after)
        for before, after in zip(self._folded(), self._folded()[1:], strict=False):
            QWidget.setTabOrder(before, after)
        self._show_folded_in_use()
        self.search.textChanged.connect(self._emit)
        for box in (self.mine, self.my_team, self.from_monitoring):
            box.toggled.connect(self._emit)
        for combo in (self.severity, self.service, self.category, self.assignee):
            combo.currentIndexChanged.connect(self._emit)

    def filter_widgets(self) -> list[QWidget]:
        return [
            self.search,
            self.mine,
            self.my_team,
            self.from_monitoring,
            self.severity,
            *self._folded(),
        ]

    def _folded(self) -> list[QComboBox]:
        return [self.service, self.category, self.assignee]

    def _show_more(self, shown: bool) -> None:
        self.more_row.setVisible(shown)
        self._show_folded_in_use()

    def _show_folded_in_use(self) -> None:
        """The button says how many of the folded filters narrow the incidents shown."""
        in_use = sum(1 for combo in self._folded() if combo.currentData() is not None)
        self.more_button.setText(f"More Filte&rs ({in_use})" if in_use else "More Filte&rs")
        self.more_button.setAccessibleDescription(
            f"Service, category and assignee; {in_use} in use"
        )

    def set_choices(self, choices: FilterChoices) -> None:
        """Fill the catalog lists (after a database opened), keeping what was chosen."""
        current = self.filters()
        self.blockSignals(True)
        self._fill(choices)
        self.set_filters(current, emit=False)
        self.blockSignals(False)

    def _fill(self, choices: FilterChoices) -> None:
        for combo, label, items in (
            (self.service, "Service", [(item.name, item.id) for item in choices.services]),
            (self.category, "Category", [(item.name, item.id) for item in choices.categories]),
            (self.assignee, "Assignee", [(person.name, person.id) for person in choices.people]),
        ):
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(f"{label}: {ANY}", None)
            for name, id_ in items:
                combo.addItem(name, id_)
            combo.blockSignals(False)

    def filters(self) -> Filters:
        return Filters(
            text=self.search.text(),
            mine=self.mine.isChecked(),
            my_team=self.my_team.isChecked(),
            severity=self.severity.currentData(),
            service_id=self.service.currentData(),
            category_id=self.category.currentData(),
            assignee_id=self.assignee.currentData(),
            from_monitoring=self.from_monitoring.isChecked(),
        )

    def set_filters(self, filters: Filters, *, emit: bool = True) -> None:
        widgets: list[QWidget] = [self, self.search, self.mine, self.my_team, self.severity]
        widgets.append(self.from_monitoring)
        widgets += [self.service, self.category, self.assignee]
        for widget in widgets:
            widget.blockSignals(True)
        self.search.setText(filters.text)
        self.mine.setChecked(filters.mine)
        self.my_team.setChecked(filters.my_team)
        self.from_monitoring.setChecked(filters.from_monitoring)
        for combo, value in (
            (self.severity, filters.severity),
            (self.service, filters.service_id),
            (self.category, filters.category_id),
            (self.assignee, filters.assignee_id),
        ):
            combo.setCurrentIndex(max(0, combo.findData(value)))
        for widget in widgets:
            widget.blockSignals(False)
        if any(combo.currentData() is not None for combo in self._folded()):
            self.more_button.setChecked(True)  # a saved view's filters are all on show
        self._show_folded_in_use()
        if emit:
            self._emit()

    def _emit(self, *_: Any) -> None:
        self._show_folded_in_use()
        self.changed.emit(self.filters())


def saved_views() -> dict[str, Filters]:
    stored = QSettings().value(SAVED_VIEWS_SETTING, "{}")
    try:
        data = json.loads(str(stored))
        return {str(name): Filters.from_json(text) for name, text in data.items()}
    except (ValueError, TypeError, AttributeError):
        return {}  # a damaged setting is forgotten, not fatal


def store_saved_views(views: dict[str, Filters]) -> None:
    QSettings().setValue(
        SAVED_VIEWS_SETTING, json.dumps({name: view.to_json() for name, view in views.items()})
    )
