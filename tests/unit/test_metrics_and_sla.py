"""Per-incident measures, percentiles, durations as people say them, and the SLA clocks."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incidentdesk.domain.incident import Milestones
from incidentdesk.domain.metrics import (
    format_duration,
    percentile,
    time_to_acknowledge,
    time_to_recover,
    time_to_resolve,
)
from incidentdesk.domain.sla import WARNING_SHARE, ClockState, SlaClock, sla_clock

REPORTED = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def test_times_are_measured_from_the_first_report() -> None:
    milestones = Milestones(
        acknowledged_at=REPORTED + timedelta(minutes=4),
        recovered_at=REPORTED + timedelta(hours=2, minutes=5),
        postmortem_at=REPORTED + timedelta(hours=3),
        closed_at=REPORTED + timedelta(days=3, hours=1),
    )

    assert time_to_acknowledge(REPORTED, milestones) == timedelta(minutes=4)
    assert time_to_recover(REPORTED, milestones) == timedelta(hours=2, minutes=5)
    assert time_to_resolve(REPORTED, milestones) == timedelta(days=3, hours=1)


def test_a_milestone_not_reached_has_no_time() -> None:
    none = Milestones()
    assert time_to_acknowledge(REPORTED, none) is None
    assert time_to_recover(REPORTED, none) is None
    assert time_to_resolve(REPORTED, none) is None
    # Cancelled, never recovered or closed: still no times.
    cancelled = Milestones(cancelled_at=REPORTED + timedelta(hours=1))
    assert time_to_recover(REPORTED, cancelled) is None
    assert time_to_resolve(REPORTED, cancelled) is None


def test_times_across_time_zones() -> None:
    tokyo = datetime(2026, 11, 27, 18, 30, tzinfo=timezone(timedelta(hours=9)))
    milestones = Milestones(acknowledged_at=tokyo)
    assert time_to_acknowledge(REPORTED, milestones) == timedelta(minutes=30)


# Percentiles


@pytest.mark.parametrize(
    ("values", "fraction", "result"),
    [
        ([7.0], 0.0, 7.0),
        ([7.0], 0.5, 7.0),
        ([7.0], 1.0, 7.0),
        ([3.0, 1.0, 2.0], 0.5, 2.0),  # unsorted input
        ([1.0, 2.0, 3.0, 4.0], 0.5, 2.5),  # the median of an even count interpolates
        ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], 0.9, 9.1),
        ([10.0, 20.0], 0.25, 12.5),
        ([5.0, 1.0, 9.0], 0.0, 1.0),  # p0 is the minimum
        ([5.0, 1.0, 9.0], 1.0, 9.0),  # p100 the maximum
        ([4.0, 4.0, 4.0, 4.0], 0.9, 4.0),
        ([-3.0, 0.0, 3.0], 0.5, 0.0),
    ],
)
def test_percentile(values: list[float], fraction: float, result: float) -> None:
    assert percentile(values, fraction) == pytest.approx(result)


def test_the_percentile_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError, match="no values"):
        percentile([], 0.5)


@pytest.mark.parametrize("fraction", [-0.1, 1.5, math.nan])
def test_a_fraction_outside_0_to_1_is_an_error(fraction: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        percentile([1.0, 2.0, 3.0], fraction)


def reference_percentile(ordered: list[float], fraction: float) -> float:
    """Linear interpolation between the closest ranks, on an already sorted list."""
    rank = fraction * (len(ordered) - 1)
    below = int(rank)
    if below == len(ordered) - 1:
        return ordered[below]
    return ordered[below] * (1 - (rank - below)) + ordered[below + 1] * (rank - below)


durations = st.lists(
    st.floats(min_value=0, max_value=10_000_000, allow_nan=False), min_size=1, max_size=60
)
fractions = st.floats(min_value=0, max_value=1)


@given(values=durations, fraction=fractions, data=st.data())
def test_percentile_matches_a_sorted_list_reference(
    values: list[float], fraction: float, data: st.DataObject
) -> None:
    ordered = sorted(values)
    result = percentile(values, fraction)

    assert result == pytest.approx(reference_percentile(ordered, fraction), rel=1e-9, abs=1e-6)
    assert ordered[0] <= result <= ordered[-1]
    # The order of the values does not matter.
    shuffled = data.draw(st.permutations(values))
    assert percentile(shuffled, fraction) == result
    # A rank that falls on an element gives that element exactly.
    index = data.draw(st.integers(0, len(ordered) - 1))
    if len(ordered) > 1:
        assert percentile(values, index / (len(ordered) - 1)) == pytest.approx(ordered[index])


@given(values=durations, low=fractions, high=fractions)
def test_percentile_grows_with_the_fraction(values: list[float], low: float, high: float) -> None:
    low, high = sorted((low, high))
    assert percentile(values, low) <= percentile(values, high) + 1e-6


# Durations as people say them


@pytest.mark.parametrize(
    ("duration", "text"),
    [
        (timedelta(0), "less than a minute"),
        (timedelta(seconds=59), "less than a minute"),
        (timedelta(minutes=1), "1 min"),
        (timedelta(minutes=45, seconds=30), "45 min"),
        (timedelta(minutes=59, seconds=59), "59 min"),
        (timedelta(hours=1), "1 h"),
        (timedelta(hours=1, minutes=1), "1 h 1 min"),
        (timedelta(hours=3, minutes=20), "3 h 20 min"),
        (timedelta(hours=24), "24 h"),
        (timedelta(hours=47, minutes=59), "47 h 59 min"),
        (timedelta(hours=48), "2 d"),
        (timedelta(days=2, hours=4), "2 d 4 h"),
        (timedelta(days=2, hours=4, minutes=59), "2 d 4 h"),
        (timedelta(days=400, hours=1), "400 d 1 h"),
        (timedelta(seconds=-30), "0 min"),
        (timedelta(hours=-5), "0 min"),
    ],
)
def test_format_duration(duration: timedelta, text: str) -> None:
    assert format_duration(duration) == text


# SLA clocks

TARGET = timedelta(minutes=60)
DEADLINE = REPORTED + TARGET
WARNING_FROM = DEADLINE - TARGET * WARNING_SHARE  # 15 minutes left
TICK = timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("now", "state", "remaining"),
    [
        (REPORTED, ClockState.RUNNING, TARGET),
        (WARNING_FROM - TICK, ClockState.RUNNING, timedelta(minutes=15) + TICK),
        (WARNING_FROM, ClockState.RUNNING, timedelta(minutes=15)),
        (WARNING_FROM + TICK, ClockState.WARNING, timedelta(minutes=15) - TICK),
        (DEADLINE, ClockState.WARNING, timedelta(0)),
        (DEADLINE + TICK, ClockState.BREACHED, -TICK),
        (DEADLINE + timedelta(minutes=5), ClockState.BREACHED, timedelta(minutes=-5)),
    ],
)
def test_a_running_clock(now: datetime, state: ClockState, remaining: timedelta) -> None:
    assert sla_clock("recover", REPORTED, None, TARGET, now) == SlaClock(
        "recover", state, remaining
    )


@pytest.mark.parametrize(
    ("reached", "state", "margin"),
    [
        (REPORTED, ClockState.MET, TARGET),
        (DEADLINE - TICK, ClockState.MET, TICK),
        (DEADLINE, ClockState.MET, timedelta(0)),
        (DEADLINE + TICK, ClockState.MISSED, -TICK),
        (DEADLINE + timedelta(hours=2), ClockState.MISSED, timedelta(hours=-2)),
    ],
)
def test_a_stopped_clock(reached: datetime, state: ClockState, margin: timedelta) -> None:
    # Once the milestone is reached, the time now no longer matters.
    for now in (reached, DEADLINE + timedelta(days=30)):
        clock = sla_clock("acknowledge", REPORTED, reached, TARGET, now)
        assert clock == SlaClock("acknowledge", state, margin)


@pytest.mark.parametrize(
    ("clock", "text"),
    [
        (SlaClock("recover", ClockState.RUNNING, timedelta(minutes=42)), "Recover: 42 min left"),
        (
            SlaClock("recover", ClockState.WARNING, timedelta(minutes=3, seconds=30)),
            "Recover: 3 min left",
        ),
        (
            SlaClock("acknowledge", ClockState.BREACHED, timedelta(minutes=-5)),
            "Acknowledge: breached 5 min ago",
        ),
        (
            SlaClock("recover", ClockState.BREACHED, timedelta(hours=-26)),
            "Recover: breached 26 h ago",
        ),
        (SlaClock("acknowledge", ClockState.MET, timedelta(minutes=30)), "Acknowledge: met"),
        (SlaClock("acknowledge", ClockState.MET, timedelta(0)), "Acknowledge: met"),
        (
            SlaClock("recover", ClockState.MISSED, timedelta(hours=-3, minutes=-20)),
            "Recover: missed by 3 h 20 min",
        ),
        (
            SlaClock("recover", ClockState.RUNNING, timedelta(days=3, hours=2)),
            "Recover: 3 d 2 h left",
        ),
    ],
)
def test_clock_text(clock: SlaClock, text: str) -> None:
    assert clock.text == text


def test_clock_text_from_sla_clock() -> None:
    now = DEADLINE + timedelta(minutes=12)
    assert sla_clock("acknowledge", REPORTED, None, TARGET, now).text == (
        "Acknowledge: breached 12 min ago"
    )
    reached = DEADLINE + timedelta(minutes=7)
    assert sla_clock("acknowledge", REPORTED, reached, TARGET, now).text == (
        "Acknowledge: missed by 7 min"
    )


def test_a_target_missed_by_seconds_says_less_than_a_minute() -> None:
    now = DEADLINE + timedelta(minutes=12)
    reached = DEADLINE + timedelta(seconds=40)
    assert sla_clock("recover", REPORTED, reached, TARGET, now).text == (
        "Recover: missed by less than a minute"
    )
    assert sla_clock("recover", REPORTED, None, TARGET, DEADLINE + timedelta(seconds=5)).text == (
        "Recover: breached less than a minute ago"
    )
