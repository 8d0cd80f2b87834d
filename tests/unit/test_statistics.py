"""The statistics service on small data sets worked out by hand, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from incidentdesk.domain.enums import Severity, Status
from incidentdesk.services.chart_series import (
    Bucket,
    Dimension,
    IncidentSample,
    Measure,
    backlog_chart,
    breakdown_chart,
    durations_chart,
    headline_tiles,
    sla_chart,
    survival_chart,
    trend_chart,
)
from incidentdesk.services.desk import Desk
from incidentdesk.services.statistics import ChartFilters, describe_filters
from incidentdesk.storage import models as m

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
OCTOBER = ChartFilters(date(2026, 10, 1), date(2026, 10, 31))
_numbers = itertools.count(1)


def add(
    reported: datetime,
    *,
    severity: Severity = Severity.SEV2,
    acknowledged: float | None = None,
    recovered: float | None = None,
    closed: float | None = None,
    cancelled: float | None = None,
    duplicate_of: int | None = None,
    team_id: int | None = None,
    category_id: int | None = None,
) -> int:
    """An incident with its milestones given as minutes after it was reported."""

    def after(minutes: float | None) -> datetime | None:
        return None if minutes is None else reported + timedelta(minutes=minutes)

    status = (
        Status.CANCELLED
        if cancelled is not None
        else Status.CLOSED
        if closed is not None
        else Status.RECOVERED
        if recovered is not None
        else Status.INVESTIGATING
    )
    return int(
        m.Incident.insert(
            number=next(_numbers),
            title="Checkout slow",
            source_kind="monitoring",
            reported_at=reported,
            created_at=reported,
            updated_at=reported,
            impact_scope="many",
            severity=int(severity),
            urgency=1,
            priority=2,
            status=status.value,
            acknowledged_at=after(acknowledged),
            recovered_at=after(recovered),
            closed_at=after(closed),
            cancelled_at=after(cancelled),
            duplicate_of=duplicate_of,
            team=team_id,
            category=category_id,
        ).execute()
    )


def at(day: int, hour: int = 12, month: int = 10, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def sample(desk: Desk, filters: ChartFilters = OCTOBER) -> IncidentSample:
    return desk.statistics.load(filters, NOW).narrowed(filters)


def test_durations_by_severity_with_odd_and_even_counts_and_ties(desk: Desk) -> None:
    for minutes in (10, 20, 30):  # SEV2: odd count, median 20 min
        add(at(3), severity=Severity.SEV2, acknowledged=1, recovered=minutes, closed=600)
    for minutes in (10, 10, 30, 50):  # SEV3: even count with a tie, median 20 min
        add(at(4), severity=Severity.SEV3, acknowledged=5, recovered=minutes, closed=900)
    add(at(5), severity=Severity.SEV3, acknowledged=5)  # not yet recovered

    chart = durations_chart(sample(desk))

    sev2 = next(
        b for b in chart.boxes if b.measure is Measure.RECOVER and b.severity is Severity.SEV2
    )
    sev3 = next(
        b for b in chart.boxes if b.measure is Measure.RECOVER and b.severity is Severity.SEV3
    )
    assert (sev2.count, sev2.median.value, sev2.waiting) == (3, 20 * 60, 0)
    assert sev2.p90.value == pytest.approx(28 * 60)  # 20 + 0.8 × (30 − 20) minutes
    assert (sev3.count, sev3.median.value, sev3.waiting) == (4, 20 * 60, 1)
    assert sev3.seconds.tolist() == [600, 600, 1800, 3000]
    assert len(sev3.incident_ids) == 4
    assert "1 not yet recovered" in chart.how_computed
    assert "8 incidents reported 2026-10-01 to 2026-10-31" in chart.how_computed
    header, rows = chart.rows()
    assert header[:3] == ("measure", "severity", "incident_id")
    assert len(rows) == 8 + 7 + 7  # every finished duration: acknowledge, recover, resolve


def test_open_incidents_are_censored_at_now_in_the_survival_curve(desk: Desk) -> None:
    recovered = [add(at(1), recovered=minutes) for minutes in (60, 120)]
    still_open = add(at(2))  # waiting since 2 October: censored at NOW

    chart = survival_chart(sample(desk), Measure.RECOVER)

    (curve,) = chart.curves
    assert curve.count == 3
    assert curve.waiting == 1
    assert curve.estimate.survival.tolist() == pytest.approx([2 / 3, 1 / 3])
    assert curve.ids_at_step(0).tolist() == [recovered[0]]
    assert curve.ids_censored().tolist() == [still_open]
    assert curve.estimate.censor_times.tolist() == [(NOW - at(2)).total_seconds()]
    assert curve.median == 120 * 60
    assert "1 not yet recovered, counted as still waiting" in chart.how_computed
    assert curve.at_risk.tolist()[:3] == [3, 3, 1]  # at 0, 1 h (T ≥ t) and 4 h


def test_none_censored_and_all_censored(desk: Desk) -> None:
    add(at(1), severity=Severity.SEV1, recovered=30)
    add(at(1), severity=Severity.SEV1, recovered=90)
    add(at(1), severity=Severity.SEV4)
    add(at(2), severity=Severity.SEV4)

    chart = survival_chart(sample(desk), Measure.RECOVER)

    sev1, sev4 = chart.curves
    assert (sev1.waiting, sev1.estimate.survival.tolist()) == (0, [0.5, 0.0])
    assert sev1.median == 30 * 60
    assert (sev4.waiting, len(sev4.estimate.times), sev4.median) == (2, 0, None)


def test_one_incident(desk: Desk) -> None:
    add(at(9), severity=Severity.SEV1, acknowledged=2, recovered=45, closed=300)

    data = desk.statistics.charts(OCTOBER, NOW)

    box = next(b for b in data.durations.boxes if b.measure is Measure.RECOVER and b.count)
    assert (box.count, box.median.value, box.p90.value) == (1, 45 * 60, 45 * 60)
    assert box.median.interval.low is None  # one value says nothing of the spread
    assert data.survival[Measure.RECOVER].curves[0].median == 45 * 60
    tile = next(t for t in data.tiles.tiles if t.measure is Measure.RECOVER)
    assert tile.comparison.later == 45 * 60
    assert not tile.comparison.clear
    assert "too few" in tile.comparison.text


def test_cancelled_and_duplicates_are_excluded_and_counted(desk: Desk) -> None:
    kept = add(at(3), recovered=10)
    add(at(3), cancelled=5)
    add(at(3), cancelled=6)
    add(at(4), recovered=20, duplicate_of=kept)

    excluded = durations_chart(sample(desk))
    included = durations_chart(
        sample(desk, ChartFilters(OCTOBER.start, OCTOBER.end, include_cancelled=True))
    )

    assert [(e.kind, e.count, e.included) for e in excluded.exclusions] == [
        ("cancelled", 2, False),
        ("duplicates", 1, False),
    ]
    assert "2 cancelled excluded; 1 duplicates excluded" in excluded.how_computed
    recover = [b for b in excluded.boxes if b.measure is Measure.RECOVER]
    assert sum(b.count for b in recover) == 1
    survival = survival_chart(
        sample(desk, ChartFilters(OCTOBER.start, OCTOBER.end, include_cancelled=True)),
        Measure.RECOVER,
    )
    assert survival.curves[0].count == 3  # the two cancelled wait until cancelled
    assert survival.curves[0].waiting == 2
    assert sorted(survival.curves[0].durations.tolist()) == [300, 360, 600]
    assert "2 cancelled included" in included.how_computed


def test_incidents_reported_in_another_time_zone_count_by_their_utc_day(desk: Desk) -> None:
    new_york = timezone(timedelta(hours=-5))
    berlin = timezone(timedelta(hours=2))
    add(datetime(2026, 10, 31, 23, 30, tzinfo=new_york), recovered=10)  # 1 Nov 04:30 UTC
    add(datetime(2026, 10, 1, 1, 0, tzinfo=berlin), recovered=10)  # 30 Sep 23:00 UTC
    inside = add(datetime(2026, 10, 31, 18, 0, tzinfo=new_york), recovered=10)  # 23:00 UTC

    chart = survival_chart(sample(desk), Measure.RECOVER)

    assert [curve.incident_ids.tolist() for curve in chart.curves] == [[inside]]


def test_weeks_across_a_year_boundary(desk: Desk) -> None:
    filters = ChartFilters(date(2026, 12, 21), date(2027, 1, 10))
    add(at(31, month=12), recovered=60, closed=120)  # Thursday of the week of 28 Dec
    add(at(2, month=1, year=2027), recovered=120, closed=240)  # Saturday, same week
    add(at(5, month=1, year=2027), recovered=30, closed=60)  # Tuesday, the next week

    chart = trend_chart(
        desk.statistics.load(filters, datetime(2027, 2, 1, tzinfo=UTC)).narrowed(filters)
    )

    assert chart.bucket is Bucket.WEEK
    recover = chart.series[0]
    assert [p.start for p in recover.points] == [
        date(2026, 12, 21),
        date(2026, 12, 28),
        date(2027, 1, 4),
    ]
    assert [p.count for p in recover.points] == [0, 2, 1]
    assert recover.points[1].median == 60 * 60  # KM median of 60 and 120 minutes
    assert recover.points[0].median is None
    assert "too few" in recover.verdict.text


def test_a_long_period_is_shown_by_month(desk: Desk) -> None:
    filters = ChartFilters(date(2026, 1, 1), date(2026, 6, 30))
    add(at(15, month=1), recovered=60)
    add(at(15, month=6), recovered=60)

    chart = trend_chart(desk.statistics.load(filters, NOW).narrowed(filters))

    assert chart.bucket is Bucket.MONTH
    assert [p.count for p in chart.series[0].points] == [1, 0, 0, 0, 0, 1]


def test_breakdown_by_team(desk: Desk) -> None:
    sre = int(m.Team.insert(name="Platform SRE").execute())
    db = int(m.Team.insert(name="Database Team").execute())
    for minutes in (10, 30):
        add(at(5), team_id=sre, recovered=minutes)
    add(at(5), team_id=db, recovered=240)
    add(at(5), team_id=db)  # still waiting
    add(at(6), recovered=5)  # no team

    chart = breakdown_chart(sample(desk), Dimension.TEAM)

    assert [(r.name, r.count, r.waiting, r.median.value) for r in chart.rows_] == [
        ("Database Team", 2, 1, 240 * 60),
        ("Platform SRE", 2, 0, 20 * 60),
        ("(none)", 1, 0, 5 * 60),
    ]
    assert len(chart.rows()[1]) == 3


def test_sla_compliance_per_month_from_todays_targets(desk: Desk) -> None:
    # SEV2 recovers within 4 h by the default targets
    met = [add(at(2), recovered=minutes) for minutes in (30, 200)]
    late = add(at(3), recovered=300)
    overdue = add(at(29, hour=0))  # still open, long past 4 h: breached
    add(datetime(2026, 11, 27, 11, 0, tzinfo=UTC))  # open within its target (November)
    filters = ChartFilters(date(2026, 10, 1), date(2026, 11, 30))

    chart = sla_chart(desk.statistics.load(filters, NOW).narrowed(filters))

    october = chart.cell(date(2026, 10, 1), Severity.SEV2)
    november = chart.cell(date(2026, 11, 1), Severity.SEV2)
    assert (october.met, october.breached, october.pending) == (2, 2, 0)
    assert sorted(october.breach_ids.tolist()) == sorted([late, overdue])
    assert october.share == 0.5
    assert october.interval.low == pytest.approx(0.1500, abs=1e-3)
    assert (november.met, november.breached, november.pending) == (0, 0, 1)
    assert november.share is None
    assert len(met) == 2
    assert "targets as they are now" in chart.how_computed
    assert "SEV2 4 h" in chart.how_computed


def test_backlog_counts_open_incidents_each_day_and_their_ages(desk: Desk) -> None:
    filters = ChartFilters(date(2026, 10, 1), date(2026, 10, 5))
    add(at(20, month=9), severity=Severity.SEV3)  # open since before the period
    add(at(2, hour=6), severity=Severity.SEV3, recovered=60, closed=60 * 24 * 2)  # 2–4 Oct
    add(at(3, hour=6), severity=Severity.SEV1, cancelled=60)  # cancelled: excluded

    chart = backlog_chart(desk.statistics.load(filters, NOW).narrowed(filters))

    assert chart.days == tuple(date(2026, 10, day) for day in range(1, 6))
    assert chart.open_counts[Severity.SEV3].tolist() == [1, 2, 2, 1, 1]
    assert chart.open_counts[Severity.SEV1].tolist() == [0, 0, 0, 0, 0]
    assert len(chart.ids_open_on(1, Severity.SEV3)) == 2
    # the ages at the end of the period (6 Oct 00:00): 16 days → "7–30 d"
    assert chart.as_of == datetime(2026, 10, 6, tzinfo=UTC)
    assert chart.age_by_severity[Severity.SEV3].tolist() == [0, 0, 0, 0, 0, 1, 0]
    assert chart.age_by_team["(none)"].tolist() == [0, 0, 0, 0, 0, 1, 0]
    assert len(chart.ids_aged(5, severity=Severity.SEV3)) == 1


def test_headline_tiles_compare_with_the_period_before(desk: Desk) -> None:
    for day in range(1, 21):  # September: recovered in 4 h; October: in 1 h
        add(at(day, month=9), recovered=240 + day, acknowledged=5, closed=1000)
        add(at(day), recovered=60 + day, acknowledged=5, closed=1000)

    tiles = headline_tiles(sample(desk))

    recover = next(t for t in tiles.tiles if t.measure is Measure.RECOVER)
    assert recover.comparison.clear
    assert recover.comparison.text.startswith("Faster")
    assert (recover.comparison.earlier_count, recover.comparison.later_count) == (20, 20)
    assert recover.previous_start == date(2026, 8, 31)  # October has 31 days
    acknowledge = next(t for t in tiles.tiles if t.measure is Measure.ACKNOWLEDGE)
    assert not acknowledge.comparison.clear
    assert acknowledge.comparison.text.startswith("No clear change")


def test_an_empty_period_says_so_in_every_chart(desk: Desk) -> None:
    add(at(3, month=8), recovered=10, closed=20)

    data = desk.statistics.charts(OCTOBER, NOW)

    assert data.is_empty
    for chart in (
        data.durations,
        data.trend,
        data.breakdowns[Dimension.TEAM],
        data.sla[Measure.RECOVER],
        data.survival[Measure.RESOLVE],
        data.tiles,
    ):
        assert chart.empty_message == (
            "No incidents reported 2026-10-01 to 2026-10-31 (UTC) match these filters."
        )
    assert data.backlog.empty_message.startswith("No incidents were open")


def test_narrowing_a_loaded_sample_gives_what_a_fresh_load_gives(desk: Desk) -> None:
    for severity, minutes in ((Severity.SEV1, 30), (Severity.SEV2, 90), (Severity.SEV1, 50)):
        add(at(7), severity=severity, recovered=minutes)
    narrow = ChartFilters(OCTOBER.start, OCTOBER.end, severities=frozenset({Severity.SEV1}))

    whole = desk.statistics.charts(OCTOBER, NOW)
    reused = desk.statistics.charts(narrow, NOW, reuse=whole.sample)
    fresh = desk.statistics.charts(narrow, NOW)

    for data in (reused, fresh):
        curves = data.survival[Measure.RECOVER].curves
        assert [c.severity for c in curves] == [Severity.SEV1]
        assert curves[0].durations.tolist() == [1800, 3000]
    assert reused.sample is whole.sample


def test_filters_refuse_a_period_that_ends_before_it_starts() -> None:
    with pytest.raises(ValueError, match="after it ends"):
        ChartFilters(date(2026, 10, 31), date(2026, 10, 1))
    assert ChartFilters.last_days(30, date(2026, 10, 30)).start == date(2026, 10, 1)
    assert OCTOBER.previous == ChartFilters(date(2026, 8, 31), date(2026, 9, 30))


def test_filters_in_words(desk: Desk) -> None:
    team = int(m.Team.insert(name="Platform SRE").execute())
    filters = ChartFilters(
        OCTOBER.start,
        OCTOBER.end,
        severities=frozenset({Severity.SEV1}),
        team_ids=frozenset({team}),
    )

    text = describe_filters(filters, desk.statistics.names())

    assert text == (
        "Reported 2026-10-01 to 2026-10-31 (UTC days); SEV1; teams: Platform SRE; "
        "services: all; categories: all; without cancelled incidents and duplicates"
    )
