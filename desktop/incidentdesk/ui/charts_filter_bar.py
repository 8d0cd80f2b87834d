"""The filters every chart shares: the period, severity, team, service and category, and the
incidents left out by default (cancelled ones and duplicates), each with its count."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from incidentdesk.domain.enums import Severity
from incidentdesk.services.catalog import NamedItem

ANY = "Any"
DATE_FORMAT = "yyyy-MM-dd"


class Period(Enum):
    LAST_30_DAYS = 30
    LAST_90_DAYS = 90
    LAST_365_DAYS = 365
    CUSTOM = 0

    @property
    def label(self) -> str:
        return "Custom range" if self is Period.CUSTOM else f"Last {self.value} days"


@dataclass(frozen=True)
class ChartsSelection:
    """What the bar is set to: the days from ``start`` to ``end``, both included."""

    start: date
    end: date
    period: Period = Period.LAST_90_DAYS
    severity: Severity | None = None
    team_id: int | None = None
    service_id: int | None = None
    category_id: int | None = None
    include_cancelled: bool = False
    include_duplicates: bool = False


@dataclass
class ChartsChoices:
    teams: list[NamedItem] = field(default_factory=list)
    services: list[NamedItem] = field(default_factory=list)
    categories: list[NamedItem] = field(default_factory=list)


def period_days(period: Period, today: date) -> tuple[date, date]:
    """The first and the last day of a "last N days" period that ends today."""
    return today - timedelta(days=period.value - 1), today


def utc_today() -> date:
    """Periods are whole days in UTC, as the statistics count them."""
    return datetime.now(UTC).date()


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _date(day: QDate) -> date:
    return date(day.year(), day.month(), day.day())


class ChartsFilterBar(QWidget):
    """Emits ``changed`` with the new ChartsSelection whenever a control changes."""

    changed = Signal(object)

    def __init__(
        self, today: Callable[[], date] = utc_today, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._today = today
        self.period = QComboBox()
        self.period.setAccessibleName("Period")
        for period in Period:
            self.period.addItem(period.label, period)
        self.period.setCurrentIndex(self.period.findData(Period.LAST_90_DAYS))
        period_label = QLabel("&Period:")
        period_label.setBuddy(self.period)
        start, end = period_days(Period.LAST_90_DAYS, today())
        self.from_date = self._date_edit("First day of the period", start)
        self.to_date = self._date_edit("Last day of the period", end)
        self.to_label = QLabel("to")
        self.severity = QComboBox()
        self.severity.setAccessibleName("Severity")
        self.severity.addItem(f"Severity: {ANY}", None)
        for severity in Severity:
            self.severity.addItem(severity.label, severity)
        self.team = QComboBox()
        self.team.setAccessibleName("Team")
        self.service = QComboBox()
        self.service.setAccessibleName("Service")
        self.category = QComboBox()
        self.category.setAccessibleName("Category")
        self._fill(ChartsChoices())
        self.include_cancelled = QCheckBox()
        self.include_cancelled.setAccessibleName("Include cancelled incidents")
        self.include_duplicates = QCheckBox()
        self.include_duplicates.setAccessibleName("Include duplicates")
        self.set_exclusion_counts(None, None)

        first_line = QHBoxLayout()
        first_line.setContentsMargins(0, 0, 0, 0)
        for widget in (period_label, self.period, self.from_date, self.to_label, self.to_date):
            first_line.addWidget(widget)
        first_line.addSpacing(12)
        for combo in (self.severity, self.team, self.service, self.category):
            first_line.addWidget(combo)
        first_line.addStretch(1)
        second_line = QHBoxLayout()
        second_line.setContentsMargins(0, 0, 0, 0)
        left_out = QLabel("Left out unless ticked:")
        second_line.addWidget(left_out)
        second_line.addWidget(self.include_cancelled)
        second_line.addWidget(self.include_duplicates)
        second_line.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(first_line)
        layout.addLayout(second_line)
        self._show_custom_range(False)

        self.period.currentIndexChanged.connect(self._period_chosen)
        self.from_date.dateChanged.connect(self._range_edited)
        self.to_date.dateChanged.connect(self._range_edited)
        for combo in (self.severity, self.team, self.service, self.category):
            combo.currentIndexChanged.connect(self._emit)
        for box in (self.include_cancelled, self.include_duplicates):
            box.toggled.connect(self._emit)

    def _date_edit(self, name: str, day: date) -> QDateEdit:
        edit = QDateEdit(_qdate(day))
        edit.setAccessibleName(name)
        edit.setDisplayFormat(DATE_FORMAT)
        edit.setCalendarPopup(True)
        return edit

    def set_choices(self, choices: ChartsChoices) -> None:
        """Fill the catalog lists (after a database opened), keeping what was chosen."""
        current = self.selection()
        combos = (self.team, self.service, self.category)
        for combo in combos:
            combo.blockSignals(True)
        self._fill(choices)
        for combo, value in (
            (self.team, current.team_id),
            (self.service, current.service_id),
            (self.category, current.category_id),
        ):
            combo.setCurrentIndex(max(0, combo.findData(value)))
        for combo in combos:
            combo.blockSignals(False)
        if self.selection() != current:  # what was chosen is gone from the new database
            self._emit()

    def _fill(self, choices: ChartsChoices) -> None:
        for combo, label, items in (
            (self.team, "Team", choices.teams),
            (self.service, "Service", choices.services),
            (self.category, "Category", choices.categories),
        ):
            blocked = combo.blockSignals(True)
            combo.clear()
            combo.addItem(f"{label}: {ANY}", None)
            for item in items:
                combo.addItem(item.name, item.id)
            combo.blockSignals(blocked)

    def set_exclusion_counts(self, cancelled: int | None, duplicates: int | None) -> None:
        """How many incidents of the period each exclusion leaves out (None: not known yet)."""
        for box, count, what in (
            (self.include_cancelled, cancelled, "cancelled"),
            (self.include_duplicates, duplicates, "duplicates"),
        ):
            number = "…" if count is None else f"{count:,}"
            box.setText(f"{number} {what}")
            box.setToolTip(
                f"Tick to count the {what} of this period in every chart; they are left out "
                "by default."
            )

    def selection(self) -> ChartsSelection:
        period: Period = self.period.currentData()
        if period is Period.CUSTOM:
            start, end = _date(self.from_date.date()), _date(self.to_date.date())
        else:
            start, end = period_days(period, self._today())
        return ChartsSelection(
            start=start,
            end=end,
            period=period,
            severity=self.severity.currentData(),
            team_id=self.team.currentData(),
            service_id=self.service.currentData(),
            category_id=self.category.currentData(),
            include_cancelled=self.include_cancelled.isChecked(),
            include_duplicates=self.include_duplicates.isChecked(),
        )

    def _period_chosen(self, _: int) -> None:
        period: Period = self.period.currentData()
        custom = period is Period.CUSTOM
        if not custom:
            start, end = period_days(period, self._today())
            for edit, day in ((self.from_date, start), (self.to_date, end)):
                blocked = edit.blockSignals(True)
                edit.setDate(_qdate(day))
                edit.blockSignals(blocked)
        self._show_custom_range(custom)
        self._emit()

    def _show_custom_range(self, shown: bool) -> None:
        for widget in (self.from_date, self.to_label, self.to_date):
            widget.setVisible(shown)

    def _range_edited(self, _: QDate) -> None:
        # A range that ends before it starts is turned around rather than refused.
        if self.from_date.date() > self.to_date.date():
            start, end = self.to_date.date(), self.from_date.date()
            for edit, day in ((self.from_date, start), (self.to_date, end)):
                blocked = edit.blockSignals(True)
                edit.setDate(day)
                edit.blockSignals(blocked)
        if self.period.currentData() is Period.CUSTOM:
            self._emit()

    def _emit(self, *_: Any) -> None:
        self.changed.emit(self.selection())
