"""The team leads' statistics: one query per filter into numpy arrays, then every chart's series.

``desk.statistics.charts(filters)`` returns everything the charts view and the period report
draw (``ChartsData``); each ``chart_series`` function can also be called on its own with the
``IncidentSample`` from ``load``. numpy is imported only when a sample is first loaded, so that
start-up stays as fast as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from incidentdesk.domain.enums import Severity
from incidentdesk.services.clock import Clock, utc_now
from incidentdesk.storage import models as m
from incidentdesk.storage.database import Store, store_operations

if TYPE_CHECKING:
    from incidentdesk.services.chart_series import ChartsData, IncidentSample

PERIOD_CHOICES_DAYS = (30, 90, 365)


@dataclass(frozen=True)
class ChartFilters:
    """Which incidents the charts count: those *reported* from ``start`` to ``end`` (both
    inclusive, days in UTC), narrowed by severity, team, service and category (an empty set
    means all). Cancelled incidents and duplicates are left out unless included."""

    start: date
    end: date
    severities: frozenset[Severity] = frozenset()
    team_ids: frozenset[int] = frozenset()
    service_ids: frozenset[int] = frozenset()
    category_ids: frozenset[int] = frozenset()
    include_cancelled: bool = False
    include_duplicates: bool = False

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValueError(
                f"the period starts on {self.start.isoformat()}, after it ends "
                f"({self.end.isoformat()})"
            )

    @classmethod
    def last_days(cls, days: int, today: date, **narrowing: Any) -> ChartFilters:
        """The last ``days`` days up to and including ``today``."""
        return cls(today - timedelta(days=days - 1), today, **narrowing)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def previous(self) -> ChartFilters:
        """The period of the same length just before this one, with the same narrowing."""
        return replace(
            self,
            start=self.start - timedelta(days=self.days),
            end=self.start - timedelta(days=1),
        )

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.start, datetime.min.time(), UTC)

    @property
    def ends_before(self) -> datetime:
        """The first moment after the period."""
        return datetime.combine(self.end + timedelta(days=1), datetime.min.time(), UTC)


@dataclass(frozen=True)
class CatalogNames:
    """The names behind the ids, for labels and for stating the filters."""

    teams: dict[int, str] = field(default_factory=dict)
    services: dict[int, str] = field(default_factory=dict)
    categories: dict[int, str] = field(default_factory=dict)


def describe_filters(filters: ChartFilters, names: CatalogNames) -> str:
    """The filters in words, so that a report can be made again with the same ones."""

    def chosen(ids: frozenset[int], known: dict[int, str], everything: str) -> str:
        if not ids:
            return everything
        return ", ".join(sorted(known.get(id_, f"#{id_}") for id_ in ids))

    severities = (
        ", ".join(severity.label for severity in sorted(filters.severities))
        if filters.severities
        else "all severities"
    )
    excluded = [
        kind
        for kind, included in (
            ("cancelled incidents", filters.include_cancelled),
            ("duplicates", filters.include_duplicates),
        )
        if not included
    ]
    return "; ".join(
        [
            f"Reported {filters.start.isoformat()} to {filters.end.isoformat()} (UTC days)",
            severities,
            "teams: " + chosen(filters.team_ids, names.teams, "all"),
            "services: " + chosen(filters.service_ids, names.services, "all"),
            "categories: " + chosen(filters.category_ids, names.categories, "all"),
            ("without " + " and ".join(excluded)) if excluded else "cancelled and duplicates in",
        ]
    )


@store_operations
class StatisticsService:
    """Reads on the caller's thread (the view's read thread, or the report command)."""

    def __init__(self, store: Store, settings_targets: Any, clock: Clock = utc_now) -> None:
        self._store = store
        self._targets = settings_targets
        self._clock = clock

    def names(self) -> CatalogNames:
        def named(model: Any) -> dict[int, str]:
            query = model.select(model.id, model.name).tuples()
            return {int(id_): str(name) for id_, name in query}

        return CatalogNames(named(m.Team), named(m.Service), named(m.Category))

    def load(self, filters: ChartFilters, now: datetime | None = None) -> IncidentSample:
        """The milestone columns of every incident the charts of ``filters``' period need, in
        one query: those reported in this period or the one before, and those still open at
        some point in either (for the backlog), of every severity, team, service and category
        (``sample.narrowed(filters)`` applies those)."""
        from incidentdesk.services.chart_series import load_sample

        return load_sample(
            self._store,
            filters,
            now or self._clock(),
            targets_minutes=self._targets(),
            names=self.names(),
        )

    def charts(
        self,
        filters: ChartFilters,
        now: datetime | None = None,
        *,
        reuse: IncidentSample | None = None,
    ) -> ChartsData:
        """Every chart's series for ``filters``. With ``reuse`` (a ``ChartsData.sample`` from
        before) of the same period, no query runs: only the narrowing changes. Pass no
        ``reuse`` to see changed data (F5, the refresh timer, one's own edits)."""
        from incidentdesk.services.chart_series import all_charts

        if reuse is not None and reuse.covers(filters):
            return all_charts(reuse, filters)
        return all_charts(self.load(filters, now), filters)
