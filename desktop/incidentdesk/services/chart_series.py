"""Each chart's series, computed with numpy masks from one ``IncidentSample``.

Durations are seconds from *reported* to a milestone: acknowledged (time to acknowledge),
recovered (time to recover) or closed (time to resolve). An incident that has not reached the
milestone is censored: still waiting at "now", or at its cancellation if it was cancelled
first. Days, weeks (Monday to Sunday) and months are in UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

import numpy as np

from incidentdesk.domain.enums import Severity
from incidentdesk.domain.estimators import (
    UNKNOWN,
    BoolArray,
    FloatArray,
    IntArray,
    Interval,
    QuantileEstimate,
    SurvivalEstimate,
    intervals_overlap,
    kaplan_meier,
    quantile,
    survival_quantile,
    wilson_interval,
)
from incidentdesk.domain.keys import format_key
from incidentdesk.domain.metrics import format_duration
from incidentdesk.services.statistics import CatalogNames, ChartFilters
from incidentdesk.storage.database import Store

DAY_S = 86_400.0
HOUR_S = 3_600.0
POINTS_DRAWN_PER_BOX = 2_000  # the figure thins a box's points to this many; the CSV has all
MIN_FOR_VERDICT = 10  # fewer incidents on either side and a comparison says "too few"
WEEKLY_UP_TO_DAYS = 120  # longer periods are shown by month
RISK_TIMES_S = (0.0, HOUR_S, 4 * HOUR_S, DAY_S, 3 * DAY_S, 7 * DAY_S, 30 * DAY_S)
AGE_EDGES_S = (0.0, HOUR_S, 4 * HOUR_S, DAY_S, 3 * DAY_S, 7 * DAY_S, 30 * DAY_S, np.inf)
AGE_LABELS = ("< 1 h", "1–4 h", "4–24 h", "1–3 d", "3–7 d", "7–30 d", "> 30 d")
NO_NAME = "(none)"
ROWS_PER_SLICE = 1_000


class Measure(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    RECOVER = "recover"
    RESOLVE = "resolve"

    @property
    def label(self) -> str:
        return f"Time to {self.value}"

    @property
    def milestone(self) -> str:
        return {"acknowledge": "acknowledged", "recover": "recovered", "resolve": "closed"}[
            self.value
        ]

    @property
    def not_yet(self) -> str:
        return {"acknowledge": "acknowledged", "recover": "recovered", "resolve": "resolved"}[
            self.value
        ]


class Dimension(StrEnum):
    CATEGORY = "category"
    SERVICE = "service"
    TEAM = "team"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Bucket(StrEnum):
    WEEK = "week"
    MONTH = "month"


# Loading


@dataclass(frozen=True, eq=False)
class IncidentSample:
    """The milestone columns as arrays (NaN where a milestone is missing, −1 for no team,
    service or category), with the filters and the moment they were read at."""

    filters: ChartFilters
    now: datetime
    names: CatalogNames
    targets_s: dict[Severity, dict[Measure, float]]
    ids: IntArray
    numbers: IntArray
    severity: IntArray
    team: IntArray
    service: IntArray
    category: IntArray
    reported: FloatArray
    acknowledged: FloatArray
    recovered: FloatArray
    closed: FloatArray
    cancelled: FloatArray
    duplicate: BoolArray

    def covers(self, filters: ChartFilters) -> bool:
        """Whether ``narrowed(filters)`` can answer: the same period, read at the same time."""
        return (filters.start, filters.end) == (self.filters.start, self.filters.end)

    def narrowed(self, filters: ChartFilters) -> IncidentSample:
        """The incidents of this sample that match ``filters``' severity, team, service and
        category (and its choice about cancelled incidents and duplicates)."""
        if not self.covers(filters):
            raise ValueError("a sample can only be narrowed to a filter of the same period")
        chosen = np.ones(len(self.ids), dtype=np.bool_)
        for values, wanted in (
            (self.severity, {int(severity) for severity in filters.severities}),
            (self.team, filters.team_ids),
            (self.service, filters.service_ids),
            (self.category, filters.category_ids),
        ):
            if wanted:
                chosen &= np.isin(values, np.fromiter(wanted, dtype=np.int64))
        arrays = {
            name: getattr(self, name)[chosen]
            for name in (
                "ids",
                "numbers",
                "severity",
                "team",
                "service",
                "category",
                "reported",
                "acknowledged",
                "recovered",
                "closed",
                "cancelled",
                "duplicate",
            )
        }
        return replace(self, filters=filters, **arrays)

    @property
    def now_s(self) -> float:
        return self.now.timestamp()

    def stop(self, measure: Measure) -> FloatArray:
        return {
            Measure.ACKNOWLEDGE: self.acknowledged,
            Measure.RECOVER: self.recovered,
            Measure.RESOLVE: self.closed,
        }[measure]

    def reported_in(self, filters: ChartFilters) -> BoolArray:
        return (self.reported >= filters.starts_at.timestamp()) & (
            self.reported < filters.ends_before.timestamp()
        )

    @property
    def is_duplicate(self) -> BoolArray:
        return self.duplicate

    @property
    def is_cancelled(self) -> BoolArray:
        """Cancelled and not a duplicate: the two exclusions never count one incident twice."""
        return ~np.isnan(self.cancelled) & ~self.duplicate

    @property
    def kept(self) -> BoolArray:
        """Not excluded by the filters' choice about cancelled incidents and duplicates."""
        keep = np.ones(len(self.ids), dtype=np.bool_)
        if not self.filters.include_cancelled:
            keep &= ~self.is_cancelled
        if not self.filters.include_duplicates:
            keep &= ~self.is_duplicate
        return keep

    def durations(self, measure: Measure) -> tuple[FloatArray, BoolArray]:
        """Seconds to the milestone, and whether it was reached (False: censored, still
        waiting at now or at the cancellation)."""
        stop = self.stop(measure)
        reached = ~np.isnan(stop)
        waiting_until = np.where(np.isnan(self.cancelled), self.now_s, self.cancelled)
        end = np.where(reached, stop, np.minimum(waiting_until, self.now_s))
        return np.maximum(end - self.reported, 0.0), reached

    @property
    def ended(self) -> FloatArray:
        """When each incident stopped being open (closed or cancelled); +inf if it is open."""
        end = np.fmin(self.closed, self.cancelled)
        return np.where(np.isnan(end), np.inf, end)


def _epoch(column: str, sqlite: bool) -> str:
    if sqlite:
        return f"(julianday({column}) - 2440587.5) * 86400.0"
    return f"EXTRACT(EPOCH FROM {column})::float8"


def sample_query(filters: ChartFilters, *, sqlite: bool) -> tuple[str, list[Any]]:
    """The one statement behind a sample, and its parameters (also run by the benchmark's
    raw-SQL baseline)."""
    param = "?" if sqlite else "%s"
    previous_start = filters.previous.starts_at

    def moment(value: datetime) -> Any:
        naive = value.astimezone(UTC).replace(tzinfo=None)
        return naive.isoformat(sep=" ") if sqlite else naive

    conditions = [
        f"reported_at < {param}",
        f"(reported_at >= {param} OR ((closed_at IS NULL OR closed_at >= {param})"
        f" AND (cancelled_at IS NULL OR cancelled_at >= {param})))",
    ]
    parameters: list[Any] = [moment(filters.ends_before)] + [moment(previous_start)] * 3
    columns = ", ".join(
        [
            "id",
            "number",
            "severity",
            "COALESCE(team_id, -1)",
            "COALESCE(service_id, -1)",
            "COALESCE(category_id, -1)",
            *(
                _epoch(name, sqlite)
                for name in (
                    "reported_at",
                    "acknowledged_at",
                    "recovered_at",
                    "closed_at",
                    "cancelled_at",
                )
            ),
            "CASE WHEN duplicate_of_id IS NULL THEN 0 ELSE 1 END",
        ]
    )
    sql = f"SELECT {columns} FROM incident WHERE {' AND '.join(conditions)} ORDER BY id"
    return sql, parameters


def load_sample(
    store: Store,
    filters: ChartFilters,
    now: datetime,
    *,
    targets_minutes: dict[str, dict[str, int]],
    names: CatalogNames,
) -> IncidentSample:
    """One query for every incident reported in this period or the one before, or open at
    some moment of either (the backlog counts those reported earlier), of every severity,
    team, service and category: the narrowing is a mask (``IncidentSample.narrowed``), so a
    changed severity or team filter needs no new query."""
    sql, parameters = sample_query(filters, sqlite=store.is_sqlite)
    cursor = store.database.execute_sql(sql, parameters)
    # In slices: numpy holds the interpreter lock while it converts a list of rows. The
    # 100,000 rows at once kept the GUI thread waiting for 30 ms, slices of 4,000 for 2-8 ms
    # each; 1,000 rows are a fraction of a millisecond, and the query takes no longer.
    parts = []
    while rows := cursor.fetchmany(ROWS_PER_SLICE):
        parts.append(np.array(rows, dtype=np.float64))
    table = np.concatenate(parts) if parts else np.zeros((0, 12), dtype=np.float64)
    # SQLite's julianday is off by some microseconds; to the millisecond both engines agree.
    table[:, 6:11] = np.round(table[:, 6:11], 3)
    whole = table[:, :6].astype(np.int64)
    targets = {
        severity: {
            measure: float(
                targets_minutes.get(severity.label, {}).get(f"{measure.value}_minutes", np.nan)
            )
            * 60.0
            for measure in Measure
        }
        for severity in Severity
    }
    return IncidentSample(
        filters=replace(
            filters,
            severities=frozenset(),
            team_ids=frozenset(),
            service_ids=frozenset(),
            category_ids=frozenset(),
        ),
        now=now,
        names=names,
        targets_s=targets,
        ids=whole[:, 0],
        numbers=whole[:, 1],
        severity=whole[:, 2],
        team=whole[:, 3],
        service=whole[:, 4],
        category=whole[:, 5],
        reported=table[:, 6].copy(),
        acknowledged=table[:, 7].copy(),
        recovered=table[:, 8].copy(),
        closed=table[:, 9].copy(),
        cancelled=table[:, 10].copy(),
        duplicate=table[:, 11] > 0,
    )


# What every chart shares


@dataclass(frozen=True)
class Exclusion:
    kind: str  # "cancelled", "duplicates"
    count: int
    included: bool

    @property
    def text(self) -> str:
        return f"{self.count:,} {self.kind} {'included' if self.included else 'excluded'}"


Rows = tuple[tuple[str, ...], list[tuple[Any, ...]]]


def _exclusions(sample: IncidentSample, current: BoolArray) -> tuple[Exclusion, ...]:
    return (
        Exclusion(
            "cancelled",
            int(np.count_nonzero(current & sample.is_cancelled)),
            sample.filters.include_cancelled,
        ),
        Exclusion(
            "duplicates",
            int(np.count_nonzero(current & sample.is_duplicate)),
            sample.filters.include_duplicates,
        ),
    )


def _period_words(filters: ChartFilters) -> str:
    return f"reported {filters.start.isoformat()} to {filters.end.isoformat()} (UTC)"


def _excluded_words(exclusions: Sequence[Exclusion]) -> str:
    return "; ".join(exclusion.text for exclusion in exclusions)


def _empty_message(count: int, filters: ChartFilters) -> str:
    return "" if count else f"No incidents {_period_words(filters)} match these filters."


@dataclass(frozen=True, eq=False, kw_only=True)
class Chart:
    """What every chart says besides its series: the question it answers, the incidents it
    leaves out, how it is computed, and the sentence shown instead when nothing matches."""

    title: str
    exclusions: tuple[Exclusion, ...]
    how_computed: str
    empty_message: str


@dataclass(frozen=True, eq=False)
class _Period:
    """A sample's incidents reported in its filters' period, and of those the ones counted
    (not excluded as cancelled or duplicates)."""

    sample: IncidentSample
    reported: BoolArray
    current: BoolArray
    exclusions: tuple[Exclusion, ...]
    count: int

    @property
    def excluded_words(self) -> str:
        return _excluded_words(self.exclusions).capitalize()

    def texts(self, title: str, how_computed: str) -> dict[str, Any]:
        """The ``Chart`` fields, for a chart's constructor."""
        return {
            "title": title,
            "exclusions": self.exclusions,
            "how_computed": how_computed,
            "empty_message": _empty_message(self.count, self.sample.filters),
        }


def _period(sample: IncidentSample) -> _Period:
    reported = sample.reported_in(sample.filters)
    current = reported & sample.kept
    return _Period(
        sample, reported, current, _exclusions(sample, reported), int(np.count_nonzero(current))
    )


def _duration_text(seconds: float | None) -> str:
    if seconds is None or np.isnan(seconds):
        return "—"
    if seconds < 60:
        return f"{seconds:.0f} s"
    # rounded to the second: arithmetic on epoch seconds leaves 19,199.9999 for 5 h 20 min
    return format_duration(timedelta(seconds=round(float(seconds))))


def interval_text(interval: Interval) -> str:
    return f"{_duration_text(interval.low)} – {_duration_text(interval.high)}"


def duration_text(seconds: float | None) -> str:
    """A duration as people say it; "—" for none."""
    return _duration_text(seconds)


def _key(number: int) -> str:
    return format_key(int(number))


def _severities(sample: IncidentSample) -> list[Severity]:
    return sorted(sample.filters.severities) if sample.filters.severities else list(Severity)


# How long do incidents take, by severity?


@dataclass(frozen=True, eq=False)
class DurationBox:
    measure: Measure
    severity: Severity
    seconds: FloatArray  # every finished duration, ascending
    incident_ids: IntArray  # aligned with seconds
    numbers: IntArray  # aligned with seconds
    waiting: int  # not yet reached: not in this box
    median: QuantileEstimate
    p90: QuantileEstimate
    quartiles: tuple[float, float] | None

    @property
    def count(self) -> int:
        return len(self.seconds)

    @property
    def label(self) -> str:
        return f"{self.severity.label} · {self.measure.label.lower()}"

    @property
    def summary(self) -> str:
        return (
            f"{self.label}: N = {self.count:,}, median {_duration_text(self.median.value)} "
            f"({interval_text(self.median.interval)}), p90 {_duration_text(self.p90.value)}"
            + (f"; {self.waiting:,} not yet {self.measure.not_yet}" if self.waiting else "")
        )


@dataclass(frozen=True, eq=False)
class DurationsChart(Chart):
    boxes: tuple[DurationBox, ...]

    def rows(self) -> Rows:
        header = ("measure", "severity", "incident_id", "key", "seconds")
        rows = [
            (box.measure.value, box.severity.label, int(id_), _key(number), float(seconds))
            for box in self.boxes
            for id_, number, seconds in zip(box.incident_ids, box.numbers, box.seconds, strict=True)
        ]
        return header, rows


def durations_chart(sample: IncidentSample) -> DurationsChart:
    period = _period(sample)
    current = period.current
    boxes = []
    waiting_by_measure = {}
    for measure in Measure:
        seconds, reached = sample.durations(measure)
        # One stable sort of the period's finished incidents, then each severity's in that
        # order: the same boxes as a sort per severity, with a fifth of the passes over the
        # whole sample (they were two thirds of this chart's series).
        finished = np.flatnonzero(current & reached)
        in_order = finished[np.argsort(seconds[finished], kind="stable")]
        severity_in_order = sample.severity[in_order]
        waiting_severities = sample.severity[current & ~reached]
        waiting_by_measure[measure] = len(waiting_severities)
        for severity in _severities(sample):
            taken = in_order[severity_in_order == severity]
            values = seconds[taken]
            boxes.append(
                DurationBox(
                    measure=measure,
                    severity=severity,
                    seconds=values,
                    incident_ids=sample.ids[taken],
                    numbers=sample.numbers[taken],
                    waiting=int(np.count_nonzero(waiting_severities == severity)),
                    median=quantile(values, 0.5),
                    p90=quantile(values, 0.9),
                    quartiles=(
                        (float(np.quantile(values, 0.25)), float(np.quantile(values, 0.75)))
                        if len(values)
                        else None
                    ),
                )
            )
    waiting = ", ".join(
        f"{waiting_by_measure[measure]:,} not yet {measure.not_yet}" for measure in Measure
    )
    how = (
        f"Clock from reported to acknowledged, recovered and closed, for the {period.count:,} "
        f"incidents {_period_words(sample.filters)} that reached each milestone; {waiting}: "
        "not in the boxes (the survival chart counts them as still waiting). "
        f"{period.excluded_words}. Median and p90 with 95 % "
        f"order-statistic intervals; at most {POINTS_DRAWN_PER_BOX:,} points drawn per box, "
        "every one in the CSV."
    )
    return DurationsChart(
        tuple(boxes), **period.texts("How long do incidents take, by severity?", how)
    )


# How many are still waiting?


@dataclass(frozen=True, eq=False)
class SurvivalCurve:
    measure: Measure
    severity: Severity
    estimate: SurvivalEstimate
    durations: FloatArray  # every incident's duration or censoring time, ascending
    reached: BoolArray  # aligned: False = censored
    incident_ids: IntArray  # aligned
    numbers: IntArray  # aligned
    median: float | None
    median_interval: Interval
    risk_times: FloatArray
    at_risk: IntArray  # at each of risk_times

    @property
    def count(self) -> int:
        return len(self.durations)

    @property
    def waiting(self) -> int:
        return int(np.count_nonzero(~self.reached))

    def ids_at_step(self, step: int) -> IntArray:
        """The incidents that reached the milestone at the curve's ``step``-th drop."""
        moment = self.estimate.times[step]
        low = np.searchsorted(self.durations, moment, side="left")
        high = np.searchsorted(self.durations, moment, side="right")
        ids: IntArray = self.incident_ids[low:high][self.reached[low:high]]
        return ids

    def ids_censored(self) -> IntArray:
        ids: IntArray = self.incident_ids[~self.reached]
        return ids

    def step_text(self, step: int) -> str:
        estimate = self.estimate
        return (
            f"{self.severity.label} after {_duration_text(float(estimate.times[step]))}: "
            f"{estimate.survival[step]:.0%} not yet {self.measure.not_yet} "
            f"(95 % {estimate.lower[step]:.0%}–{estimate.upper[step]:.0%}); "
            f"{int(estimate.events[step])} {self.measure.milestone} then, "
            f"{int(estimate.at_risk[step])} waiting before"
        )

    @property
    def summary(self) -> str:
        return (
            f"{self.severity.label}: N = {self.count:,}, {self.waiting:,} still waiting; "
            f"median {_duration_text(self.median)} ({interval_text(self.median_interval)})"
        )


@dataclass(frozen=True, eq=False)
class SurvivalChart(Chart):
    measure: Measure
    curves: tuple[SurvivalCurve, ...]
    risk_times: FloatArray

    def rows(self) -> Rows:
        header = ("measure", "severity", "incident_id", "key", "seconds", "reached")
        rows = [
            (
                self.measure.value,
                curve.severity.label,
                int(id_),
                _key(number),
                float(seconds),
                "yes" if reached else "still waiting",
            )
            for curve in self.curves
            for id_, number, seconds, reached in zip(
                curve.incident_ids, curve.numbers, curve.durations, curve.reached, strict=True
            )
        ]
        return header, rows


def survival_chart(sample: IncidentSample, measure: Measure) -> SurvivalChart:
    period = _period(sample)
    current = period.current
    seconds, reached = sample.durations(measure)
    longest = float(seconds[current].max()) if np.any(current) else 0.0
    risk_times = np.array([t for t in RISK_TIMES_S if t <= max(longest, 0.0)] or [0.0])
    curves = []
    for severity in _severities(sample):
        chosen = current & (sample.severity == severity)
        if not np.any(chosen):
            continue
        order = np.argsort(seconds[chosen], kind="stable")
        durations, ended = seconds[chosen][order], reached[chosen][order]
        estimate = kaplan_meier(durations, ended)
        median, median_interval = survival_quantile(estimate, 0.5)
        curves.append(
            SurvivalCurve(
                measure=measure,
                severity=severity,
                estimate=estimate,
                durations=durations,
                reached=ended,
                incident_ids=sample.ids[chosen][order],
                numbers=sample.numbers[chosen][order],
                median=median,
                median_interval=median_interval,
                risk_times=risk_times,
                at_risk=estimate.at_risk_at(risk_times, durations),
            )
        )
    waiting = int(np.count_nonzero(current & ~reached))
    cancelled_first = int(np.count_nonzero(current & ~reached & ~np.isnan(sample.cancelled)))
    cancelled_words = (
        f" ({cancelled_first:,} of them cancelled first: waiting until cancelled)"
        if cancelled_first
        else ""
    )
    how = (
        f"Share of incidents not yet {measure.not_yet} t after being reported (Kaplan–Meier), "
        f"for the {period.count:,} incidents {_period_words(sample.filters)}; {waiting:,} not "
        f"yet {measure.not_yet}, counted as still waiting up to now (ticks){cancelled_words}. "
        f"{period.excluded_words}. Shaded: 95 % log-log interval "
        "(Greenwood); the median is the first time the curve is at or below 50 %."
    )
    return SurvivalChart(
        measure,
        tuple(curves),
        risk_times,
        **period.texts(f"How many are still waiting to be {measure.not_yet}?", how),
    )


# Are we getting better?


@dataclass(frozen=True)
class Comparison:
    """Two groups' medians; ``clear`` only when both are big enough and the intervals do not
    overlap."""

    earlier: float | None
    earlier_interval: Interval
    earlier_count: int
    later: float | None
    later_interval: Interval
    later_count: int
    clear: bool
    text: str


def compare(
    earlier: tuple[float | None, Interval, int],
    later: tuple[float | None, Interval, int],
    earlier_name: str,
    later_name: str,
) -> Comparison:
    (early, early_interval, early_count), (late, late_interval, late_count) = earlier, later
    if min(early_count, late_count) < MIN_FOR_VERDICT or early is None or late is None:
        clear = False
        text = (
            f"No clear change: too few incidents to tell ({early_count:,} {earlier_name}, "
            f"{late_count:,} {later_name}; at least {MIN_FOR_VERDICT} each)"
        )
    elif intervals_overlap(early_interval, late_interval):
        clear = False
        text = "No clear change: the 95 % intervals overlap"
    else:
        clear = True
        word = "Faster" if late < early else "Slower"
        text = (
            f"{word}: median {_duration_text(late)} {later_name} against "
            f"{_duration_text(early)} {earlier_name}; the 95 % intervals do not overlap"
        )
    return Comparison(
        early, early_interval, early_count, late, late_interval, late_count, clear, text
    )


@dataclass(frozen=True, eq=False)
class TrendPoint:
    start: date
    end: date  # inclusive
    count: int
    waiting: int
    median: float | None
    median_interval: Interval
    p90: float | None
    p90_interval: Interval
    incident_ids: IntArray

    @property
    def label(self) -> str:
        return self.start.isoformat()


@dataclass(frozen=True, eq=False)
class TrendSeries:
    measure: Measure
    points: tuple[TrendPoint, ...]
    verdict: Comparison

    def point_text(self, index: int) -> str:
        point = self.points[index]
        return (
            f"{self.measure.label}, {point.start.isoformat()} to {point.end.isoformat()}: "
            f"N = {point.count:,} ({point.waiting:,} still waiting), median "
            f"{_duration_text(point.median)} ({interval_text(point.median_interval)}), "
            f"p90 {_duration_text(point.p90)}"
        )


@dataclass(frozen=True, eq=False)
class TrendChart(Chart):
    bucket: Bucket
    series: tuple[TrendSeries, ...]

    def rows(self) -> Rows:
        header = (
            "measure",
            f"{self.bucket.value}_start",
            "count",
            "still_waiting",
            "median_s",
            "median_low_s",
            "median_high_s",
            "p90_s",
            "p90_low_s",
            "p90_high_s",
            "incident_ids",
        )
        rows = [
            (
                series.measure.value,
                point.start.isoformat(),
                point.count,
                point.waiting,
                point.median,
                point.median_interval.low,
                point.median_interval.high,
                point.p90,
                point.p90_interval.low,
                point.p90_interval.high,
                " ".join(str(int(id_)) for id_ in point.incident_ids),
            )
            for series in self.series
            for point in series.points
        ]
        return header, rows


def _bucket_starts(filters: ChartFilters, bucket: Bucket) -> list[date]:
    if bucket is Bucket.WEEK:
        first = filters.start - timedelta(days=filters.start.weekday())
        return [
            first + timedelta(weeks=index) for index in range((filters.end - first).days // 7 + 1)
        ]
    starts, month = [], filters.start.replace(day=1)
    while month <= filters.end:
        starts.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return starts


def _day_numbers(seconds: FloatArray) -> IntArray:
    return np.floor(seconds / DAY_S).astype(np.int64)


_EPOCH_DAY = date(1970, 1, 1)


def _bucket_index(sample: IncidentSample, starts: list[date], bucket: Bucket) -> IntArray:
    """For each incident, the index of its bucket among ``starts`` (−1 before the first)."""
    edges = np.array([(start - _EPOCH_DAY).days for start in starts], dtype=np.int64)
    days = _day_numbers(np.nan_to_num(sample.reported))
    index: IntArray = np.searchsorted(edges, days, side="right") - 1
    return index


def _km_summary(
    durations: FloatArray, reached: BoolArray
) -> tuple[float | None, Interval, float | None, Interval]:
    if len(durations) == 0:
        return None, UNKNOWN, None, UNKNOWN
    estimate = kaplan_meier(durations, reached)
    median, median_interval = survival_quantile(estimate, 0.5)
    p90, p90_interval = survival_quantile(estimate, 0.9)
    return median, median_interval, p90, p90_interval


def trend_chart(sample: IncidentSample, bucket: Bucket | None = None) -> TrendChart:
    filters = sample.filters
    bucket = bucket or (Bucket.WEEK if filters.days <= WEEKLY_UP_TO_DAYS else Bucket.MONTH)
    starts = _bucket_starts(filters, bucket)
    ends = [*(start - timedelta(days=1) for start in starts[1:]), filters.end]
    period = _period(sample)
    current = period.current
    index = _bucket_index(sample, starts, bucket)
    middle = filters.starts_at.timestamp() + filters.days * DAY_S / 2
    series = []
    for measure in (Measure.RECOVER, Measure.RESOLVE):
        seconds, reached = sample.durations(measure)
        points = []
        for position, (start, end) in enumerate(zip(starts, ends, strict=True)):
            chosen = current & (index == position)
            median, median_interval, p90, p90_interval = _km_summary(
                seconds[chosen], reached[chosen]
            )
            points.append(
                TrendPoint(
                    start=max(start, filters.start),
                    end=end,
                    count=int(np.count_nonzero(chosen)),
                    waiting=int(np.count_nonzero(chosen & ~reached)),
                    median=median,
                    median_interval=median_interval,
                    p90=p90,
                    p90_interval=p90_interval,
                    incident_ids=sample.ids[chosen],
                )
            )
        halves = []
        for half in (current & (sample.reported < middle), current & (sample.reported >= middle)):
            median, median_interval, _, _ = _km_summary(seconds[half], reached[half])
            halves.append((median, median_interval, int(np.count_nonzero(half))))
        verdict = compare(halves[0], halves[1], "in the first half", "in the second half")
        series.append(TrendSeries(measure, tuple(points), verdict))
    how = (
        f"Median and p90 time to recover (reported → recovered) and to resolve (reported → "
        f"closed) per {bucket.value} (UTC, by the day reported) for the {period.count:,} "
        "incidents "
        f"{_period_words(filters)}, by Kaplan–Meier so that incidents still open count as "
        f"still waiting; band: 95 % interval of the median. The verdict compares the first "
        f'half of the period with the second and says "no clear change" when their '
        f"intervals overlap or either half has fewer than {MIN_FOR_VERDICT} incidents. "
        f"{period.excluded_words}."
    )
    return TrendChart(bucket, tuple(series), **period.texts("Are we getting better?", how))


# Where does the time go?


@dataclass(frozen=True, eq=False)
class BreakdownRow:
    key: int  # the team, service or category id; −1 for none
    name: str
    count: int
    waiting: int
    median: QuantileEstimate
    p90: QuantileEstimate
    incident_ids: IntArray

    @property
    def finished(self) -> int:
        return self.count - self.waiting


@dataclass(frozen=True, eq=False)
class BreakdownChart(Chart):
    dimension: Dimension
    measure: Measure
    rows_: tuple[BreakdownRow, ...]  # slowest median first; none last

    def rows(self) -> Rows:
        header = (
            self.dimension.value,
            "count",
            "still_waiting",
            "median_s",
            "median_low_s",
            "median_high_s",
            "p90_s",
            "incident_ids",
        )
        rows = [
            (
                row.name,
                row.count,
                row.waiting,
                row.median.value,
                row.median.interval.low,
                row.median.interval.high,
                row.p90.value,
                " ".join(str(int(id_)) for id_ in row.incident_ids),
            )
            for row in self.rows_
        ]
        return header, rows


def breakdown_chart(
    sample: IncidentSample, dimension: Dimension, measure: Measure = Measure.RECOVER
) -> BreakdownChart:
    keys = {Dimension.CATEGORY: sample.category, Dimension.SERVICE: sample.service}.get(
        dimension, sample.team
    )
    names = {
        Dimension.CATEGORY: sample.names.categories,
        Dimension.SERVICE: sample.names.services,
        Dimension.TEAM: sample.names.teams,
    }[dimension]
    period = _period(sample)
    current = period.current
    seconds, reached = sample.durations(measure)
    rows = []
    for key in np.unique(keys[current]):
        chosen = current & (keys == key)
        finished = seconds[chosen & reached]
        rows.append(
            BreakdownRow(
                key=int(key),
                name=names.get(int(key), f"#{int(key)}") if key >= 0 else NO_NAME,
                count=int(np.count_nonzero(chosen)),
                waiting=int(np.count_nonzero(chosen & ~reached)),
                median=quantile(finished, 0.5),
                p90=quantile(finished, 0.9),
                incident_ids=sample.ids[chosen],
            )
        )
    rows.sort(key=lambda row: (row.median.value is None, -(row.median.value or 0.0), row.name))
    waiting = int(np.count_nonzero(current & ~reached))
    how = (
        f"{measure.label} (reported → {measure.milestone}) by {dimension.value} for the "
        f"{period.count:,} incidents {_period_words(sample.filters)}; median and p90 of the "
        f"{period.count - waiting:,} that were {measure.milestone}, {waiting:,} not yet "
        f"{measure.not_yet} counted in N only. {period.excluded_words}."
    )
    title = f"Where does the time go? {measure.label} by {dimension.value}"
    return BreakdownChart(dimension, measure, tuple(rows), **period.texts(title, how))


# Do we meet our targets?


@dataclass(frozen=True, eq=False)
class SlaCell:
    month: date
    severity: Severity
    met: int
    breached: int
    pending: int  # still open within the target: not counted yet
    share: float | None  # met / (met + breached)
    interval: Interval  # Wilson, 95 %
    breach_ids: IntArray
    breach_seconds: FloatArray  # aligned: how long each took (or has taken so far)
    incident_ids: IntArray

    @property
    def counted(self) -> int:
        return self.met + self.breached


@dataclass(frozen=True, eq=False)
class SlaChart(Chart):
    measure: Measure
    months: tuple[date, ...]
    severities: tuple[Severity, ...]
    cells: tuple[SlaCell, ...]  # month-major
    targets_s: dict[Severity, float]

    def cell(self, month: date, severity: Severity) -> SlaCell:
        return next(c for c in self.cells if c.month == month and c.severity == severity)

    def rows(self) -> Rows:
        header = (
            "month",
            "severity",
            "met",
            "breached",
            "pending",
            "share_met",
            "wilson_low",
            "wilson_high",
            "breached_ids",
        )
        rows = [
            (
                cell.month.strftime("%Y-%m"),
                cell.severity.label,
                cell.met,
                cell.breached,
                cell.pending,
                cell.share,
                cell.interval.low,
                cell.interval.high,
                " ".join(str(int(id_)) for id_ in cell.breach_ids),
            )
            for cell in self.cells
        ]
        return header, rows


def sla_chart(sample: IncidentSample, measure: Measure = Measure.RECOVER) -> SlaChart:
    filters = sample.filters
    starts = _bucket_starts(filters, Bucket.MONTH)
    period = _period(sample)
    current = period.current
    index = _bucket_index(sample, starts, Bucket.MONTH)
    seconds, reached = sample.durations(measure)
    target = np.full(len(Severity) + 1, np.nan)  # indexed by severity number
    for severity in Severity:
        target[int(severity)] = sample.targets_s[severity][measure]
    own_target = target[np.clip(sample.severity, 0, 5)]
    met = reached & (seconds <= own_target)
    breached = seconds > own_target  # reached late, or still waiting past the target
    pending = ~reached & ~breached
    cells = []
    severities = tuple(_severities(sample))
    for position, month in enumerate(starts):
        in_month = current & (index == position)
        for severity in severities:
            chosen = in_month & (sample.severity == severity)
            met_count = int(np.count_nonzero(chosen & met))
            breach_count = int(np.count_nonzero(chosen & breached))
            counted = met_count + breach_count
            cells.append(
                SlaCell(
                    month=month,
                    severity=severity,
                    met=met_count,
                    breached=breach_count,
                    pending=int(np.count_nonzero(chosen & pending)),
                    share=met_count / counted if counted else None,
                    interval=wilson_interval(met_count, counted),
                    breach_ids=sample.ids[chosen & breached],
                    breach_seconds=seconds[chosen & breached],
                    incident_ids=sample.ids[chosen],
                )
            )
    pending_count = int(np.count_nonzero(current & pending))
    targets_words = ", ".join(
        f"{severity.label} {_duration_text(sample.targets_s[severity][measure])}"
        for severity in severities
    )
    how = (
        f"Share of incidents {measure.milestone} within their severity's target "
        f"(reported → {measure.milestone}), by the month reported (UTC), for the "
        f"{period.count:,} "
        f"incidents {_period_words(filters)}, with 95 % Wilson intervals. Recomputed from the "
        f"targets as they are now ({targets_words}), also for incidents reported before they "
        f"were set. Still open past the target: breached; {pending_count:,} still open within "
        f"it: not counted yet. {period.excluded_words}."
    )
    return SlaChart(
        measure,
        tuple(starts),
        severities,
        tuple(cells),
        {severity: sample.targets_s[severity][measure] for severity in severities},
        **period.texts(f"Do we meet our targets? {measure.label}", how),
    )


# What is piling up?


@dataclass(frozen=True, eq=False)
class BacklogChart(Chart):
    days: tuple[date, ...]
    open_counts: dict[Severity, IntArray]  # open at the end of each day (at now for today)
    as_of: datetime  # the moment the ages are measured at
    age_labels: tuple[str, ...]
    age_by_severity: dict[Severity, IntArray]  # counts per age bucket
    age_by_team: dict[str, IntArray]
    open_ids: IntArray  # incidents open at as_of
    open_numbers: IntArray
    open_severity: IntArray
    open_team: tuple[str, ...]
    open_age_s: FloatArray
    open_bucket: IntArray
    _moments: FloatArray
    _reported: FloatArray
    _ended: FloatArray
    _severity: IntArray
    _ids: IntArray

    def ids_open_on(self, day_index: int, severity: Severity) -> IntArray:
        """The incidents of ``severity`` open at the end of ``days[day_index]``."""
        moment = self._moments[day_index]
        chosen = (self._severity == severity) & (self._reported <= moment)
        chosen &= self._ended > moment
        ids: IntArray = self._ids[chosen]
        return ids

    def ids_aged(
        self, bucket: int, *, severity: Severity | None = None, team: str = ""
    ) -> IntArray:
        chosen = self.open_bucket == bucket
        if severity is not None:
            chosen &= self.open_severity == severity
        if team:
            chosen &= np.array([name == team for name in self.open_team], dtype=np.bool_)
        ids: IntArray = self.open_ids[chosen]
        return ids

    def rows(self) -> Rows:
        severities = list(self.open_counts)
        header = ("day", *(f"open_{severity.label}" for severity in severities))
        rows = [
            (day.isoformat(), *(int(self.open_counts[severity][i]) for severity in severities))
            for i, day in enumerate(self.days)
        ]
        return header, rows

    def age_rows(self) -> Rows:
        header = ("incident_id", "key", "severity", "team", "age_s", "age_bucket")
        rows = [
            (
                int(id_),
                _key(number),
                Severity(int(severity)).label,
                team,
                float(age),
                self.age_labels[int(bucket)],
            )
            for id_, number, severity, team, age, bucket in zip(
                self.open_ids,
                self.open_numbers,
                self.open_severity,
                self.open_team,
                self.open_age_s,
                self.open_bucket,
                strict=True,
            )
        ]
        return header, rows


def backlog_chart(sample: IncidentSample) -> BacklogChart:
    filters = sample.filters
    as_of_s = min(filters.ends_before.timestamp(), sample.now_s)
    as_of = datetime.fromtimestamp(as_of_s, UTC)
    last_day = min(
        filters.end, as_of.date() if as_of_s < filters.ends_before.timestamp() else filters.end
    )
    days = (
        tuple(
            filters.start + timedelta(days=offset)
            for offset in range((last_day - filters.start).days + 1)
        )
        if last_day >= filters.start
        else ()
    )
    moments = np.array(
        [
            min(
                datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC).timestamp(),
                as_of_s,
            )
            for day in days
        ],
        dtype=np.float64,
    )
    kept = sample.kept
    reported, ended = sample.reported[kept], sample.ended[kept]
    severity, ids = sample.severity[kept], sample.ids[kept]
    open_counts = {}
    for level in _severities(sample):
        own = severity == level
        starts = np.sort(reported[own])
        stops = np.sort(ended[own])
        open_counts[level] = np.asarray(
            np.searchsorted(starts, moments, side="right")
            - np.searchsorted(stops, moments, side="right"),
            dtype=np.int64,
        )
    open_now = (reported <= as_of_s) & (ended > as_of_s)
    ages = as_of_s - reported[open_now]
    buckets = np.searchsorted(np.array(AGE_EDGES_S), ages, side="right") - 1
    buckets = np.clip(buckets, 0, len(AGE_LABELS) - 1)
    # one name per team, not per incident: a year's backlog holds thousands of them
    team_ids, team_of = np.unique(sample.team[kept][open_now], return_inverse=True)
    names_of_ids = [
        sample.names.teams.get(int(team), f"#{int(team)}") if team >= 0 else NO_NAME
        for team in team_ids
    ]
    team_names = tuple(names_of_ids[index] for index in team_of)
    open_severity = severity[open_now]
    age_by_severity = {
        level: np.bincount(buckets[open_severity == level], minlength=len(AGE_LABELS)).astype(
            np.int64
        )
        for level in _severities(sample)
    }
    age_by_team = {
        name: np.bincount(buckets[team_of == index], minlength=len(AGE_LABELS)).astype(np.int64)
        for index, name in sorted(enumerate(names_of_ids), key=lambda pair: pair[1])
    }
    excluded = _period(sample)
    open_total = int(np.count_nonzero(open_now))
    how = (
        "Open incidents (reported, neither closed nor cancelled) at the end of each day "
        f"(UTC), by severity, from {filters.start.isoformat()} to {last_day.isoformat()}, "
        "including those reported earlier; and the age (now − reported) of the "
        f"{open_total:,} open at {as_of.strftime('%Y-%m-%d %H:%M')} UTC by severity and team. "
        f"{excluded.excluded_words}."
    )
    total = int(sum(int(counts.sum()) for counts in open_counts.values())) + open_total
    return BacklogChart(
        title="What is piling up?",
        days=days,
        open_counts=open_counts,
        as_of=as_of,
        age_labels=AGE_LABELS,
        age_by_severity=age_by_severity,
        age_by_team=age_by_team,
        open_ids=ids[open_now],
        open_numbers=sample.numbers[kept][open_now],
        open_severity=open_severity,
        open_team=team_names,
        open_age_s=ages,
        open_bucket=buckets.astype(np.int64),
        exclusions=excluded.exclusions,
        how_computed=how,
        empty_message=(
            "" if total else f"No incidents were open from {filters.start} to {last_day}."
        ),
        _moments=moments,
        _reported=reported,
        _ended=ended,
        _severity=severity,
        _ids=ids,
    )


# Headline tiles


@dataclass(frozen=True, eq=False)
class HeadlineTile:
    measure: Measure
    comparison: Comparison  # earlier: the period before, later: this period
    current_waiting: int
    previous_start: date
    previous_end: date

    @property
    def text(self) -> str:
        c = self.comparison
        return (
            f"Median {self.measure.label.lower()}: {_duration_text(c.later)} "
            f"({interval_text(c.later_interval)}), N = {c.later_count:,}; before: "
            f"{_duration_text(c.earlier)} ({interval_text(c.earlier_interval)}), "
            f"N = {c.earlier_count:,}. {c.text}."
        )


@dataclass(frozen=True, eq=False)
class HeadlineTiles:
    tiles: tuple[HeadlineTile, ...]
    how_computed: str
    empty_message: str


def headline_tiles(sample: IncidentSample) -> HeadlineTiles:
    filters, previous = sample.filters, sample.filters.previous
    period = _period(sample)
    current = period.current
    before = sample.reported_in(previous) & sample.kept
    tiles = []
    for measure in Measure:
        seconds, reached = sample.durations(measure)
        sides = []
        for chosen in (before, current):
            median, interval, _, _ = _km_summary(seconds[chosen], reached[chosen])
            sides.append((median, interval, int(np.count_nonzero(chosen))))
        tiles.append(
            HeadlineTile(
                measure,
                compare(sides[0], sides[1], "the period before", "this period"),
                int(np.count_nonzero(current & ~reached)),
                previous.start,
                previous.end,
            )
        )
    how = (
        f"Median time from reported to acknowledged, recovered and closed (Kaplan–Meier: "
        f"incidents still open count as still waiting) for the {period.count:,} incidents "
        f"{_period_words(filters)}, against the same number of days before "
        f"({previous.start.isoformat()} to {previous.end.isoformat()}); 95 % intervals; "
        '"no clear change" where they overlap.'
    )
    return HeadlineTiles(tuple(tiles), how, _empty_message(period.count, filters))


# Everything at once


@dataclass(frozen=True, eq=False)
class ChartsData:
    filters: ChartFilters
    now: datetime
    sample: IncidentSample  # the whole period, for ``StatisticsService.charts(reuse=...)``
    exclusions: tuple[Exclusion, ...]
    tiles: HeadlineTiles
    durations: DurationsChart
    survival: dict[Measure, SurvivalChart]  # recover, resolve
    trend: TrendChart
    breakdowns: dict[Dimension, BreakdownChart]  # time to recover
    sla: dict[Measure, SlaChart]  # acknowledge, recover
    backlog: BacklogChart

    @property
    def is_empty(self) -> bool:
        return bool(self.durations.empty_message)


def all_charts(whole_period: IncidentSample, filters: ChartFilters) -> ChartsData:
    sample = whole_period.narrowed(filters)
    return ChartsData(
        filters=sample.filters,
        now=sample.now,
        sample=whole_period,
        exclusions=_period(sample).exclusions,
        tiles=headline_tiles(sample),
        durations=durations_chart(sample),
        survival={
            measure: survival_chart(sample, measure)
            for measure in (Measure.RECOVER, Measure.RESOLVE)
        },
        trend=trend_chart(sample),
        breakdowns={dimension: breakdown_chart(sample, dimension) for dimension in Dimension},
        sla={
            measure: sla_chart(sample, measure)
            for measure in (Measure.ACKNOWLEDGE, Measure.RECOVER)
        },
        backlog=backlog_chart(sample),
    )
