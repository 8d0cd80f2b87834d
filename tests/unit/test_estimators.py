"""The estimators against values computed by hand, published, or from lifelines."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from incidentdesk.domain.estimators import (
    Interval,
    intervals_overlap,
    kaplan_meier,
    order_statistic_ranks,
    quantile,
    survival_quantile,
    wilson_interval,
)

# The textbook example, checked against lifelines and R (survfit, conf.type = "log-log").
EXAMPLE_TIMES = np.array([9.0, 19.0, 32.0, 34.0, 48.0, 50.0])
EXAMPLE_OBSERVED = np.array([True, True, True, True, False, False])


# (duration, reached the milestone) pairs, with ties of both kinds
DURATIONS_SEEN = st.lists(
    st.tuples(st.integers(min_value=1, max_value=25), st.booleans()), min_size=2, max_size=80
)


def test_kaplan_meier_matches_the_published_example() -> None:
    estimate = kaplan_meier(EXAMPLE_TIMES, EXAMPLE_OBSERVED)

    assert estimate.times.tolist() == [9, 19, 32, 34]
    assert estimate.at_risk.tolist() == [6, 5, 4, 3]
    assert estimate.survival.round(3).tolist() == [0.833, 0.667, 0.5, 0.333]
    assert estimate.lower.round(4).tolist() == [0.2731, 0.1946, 0.1109, 0.0461]
    assert estimate.upper.round(3).tolist() == [0.975, 0.904, 0.804, 0.676]
    assert estimate.censor_times.tolist() == [48, 50]


def test_the_median_of_a_flat_step_at_one_half_is_its_start() -> None:
    estimate = kaplan_meier(EXAMPLE_TIMES, EXAMPLE_OBSERVED)

    median, interval = survival_quantile(estimate, 0.5)

    assert median == 32  # S = 0.5 exactly from 32 to 34: the first time S ≤ 0.5
    assert interval == Interval(9.0, None)  # the upper band never falls to 0.5


def test_all_censored_gives_a_curve_that_never_falls() -> None:
    estimate = kaplan_meier(np.array([5.0, 7.0]), np.array([False, False]))

    assert len(estimate.times) == 0
    assert estimate.survival_at(np.array([0.0, 100.0])).tolist() == [1.0, 1.0]
    assert survival_quantile(estimate, 0.5) == (None, Interval(None, None))


def test_one_incident_ends_the_curve_at_zero() -> None:
    estimate = kaplan_meier(np.array([60.0]), np.array([True]))

    assert estimate.survival.tolist() == [0.0]
    assert estimate.lower.tolist() == [0.0]
    assert survival_quantile(estimate, 0.5)[0] == 60


def test_ties_of_events_and_censoring_count_the_censored_as_at_risk() -> None:
    estimate = kaplan_meier(np.array([10.0, 10.0, 10.0, 20.0]), np.array([True, True, False, True]))

    assert estimate.at_risk.tolist() == [4, 1]
    assert estimate.events.tolist() == [2, 1]
    assert estimate.censored.tolist() == [1, 0]
    assert estimate.survival.tolist() == [0.5, 0.0]


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="same length"):
        kaplan_meier(np.array([1.0, 2.0]), np.array([True]))


@given(st.lists(st.integers(min_value=1, max_value=30), min_size=1, max_size=60))
def test_without_censoring_the_curve_is_one_minus_the_empirical_distribution(
    values: list[int],
) -> None:
    durations = np.array(values, dtype=np.float64)
    estimate = kaplan_meier(durations, np.ones(len(values), dtype=bool))

    ecdf = np.array([np.mean(durations <= t) for t in estimate.times])
    np.testing.assert_allclose(estimate.survival, 1.0 - ecdf, atol=1e-12)


@given(DURATIONS_SEEN)
def test_kaplan_meier_agrees_with_lifelines(pairs: list[tuple[int, bool]]) -> None:
    lifelines = pytest.importorskip("lifelines")
    durations = np.array([duration for duration, _ in pairs], dtype=np.float64)
    observed = np.array([seen for _, seen in pairs])
    estimate = kaplan_meier(durations, observed)
    fitter = lifelines.KaplanMeierFitter().fit(durations, observed)

    if len(estimate.times):
        theirs = fitter.survival_function_at_times(estimate.times).to_numpy()
        np.testing.assert_allclose(estimate.survival, theirs, atol=1e-10)
        bands = fitter.confidence_interval_.loc[estimate.times].to_numpy()
        defined = (estimate.survival > 0) & (estimate.survival < 1)
        np.testing.assert_allclose(estimate.lower[defined], bands[defined, 0], atol=1e-8)
        np.testing.assert_allclose(estimate.upper[defined], bands[defined, 1], atol=1e-8)
    median, _ = survival_quantile(estimate, 0.5)
    theirs_median = fitter.median_survival_time_
    # lifelines multiplies in log space, so a curve that falls to exactly one half lands a
    # hair above or below it; the rule here counts exactly one half as reached.
    exactly_half = bool(np.any(np.isclose(estimate.survival, 0.5, rtol=0, atol=1e-9)))
    if not exactly_half:
        assert (median is None and math.isinf(theirs_median)) or median == theirs_median


@given(DURATIONS_SEEN)
def test_durations_given_in_order_give_the_same_curve(pairs: list[tuple[int, bool]]) -> None:
    durations = np.array([duration for duration, _ in pairs], dtype=np.float64)
    observed = np.array([seen for _, seen in pairs])
    order = np.argsort(durations, kind="stable")

    shuffled = kaplan_meier(durations, observed)
    in_order = kaplan_meier(durations[order], observed[order])  # skips its own sort

    for field in ("times", "at_risk", "events", "censored", "survival", "lower", "upper"):
        np.testing.assert_array_equal(getattr(in_order, field), getattr(shuffled, field))
    np.testing.assert_array_equal(in_order.censor_times, shuffled.censor_times)


def test_order_statistic_interval_of_a_median_of_100_is_the_40th_to_61st() -> None:
    # The classic table value: P(40 ≤ B ≤ 60) ≥ 0.95 for B ~ Binomial(100, 1/2).
    assert order_statistic_ranks(100, 0.5) == (40, 61)


def test_too_few_values_leave_the_interval_open() -> None:
    # P(B = 0) = 1/32 > 2.5 % for five values: no order statistic is low enough.
    assert order_statistic_ranks(5, 0.5) == (0, 6)
    estimate = quantile(np.array([5.0, 1.0, 3.0, 4.0, 2.0]), 0.5)
    assert estimate.value == 3.0
    assert estimate.interval == Interval(None, None)


@given(st.integers(min_value=1, max_value=300), st.sampled_from([0.5, 0.9]))
def test_order_statistic_tails_each_hold_at_most_two_and_a_half_percent(
    count: int, fraction: float
) -> None:
    low, high = order_statistic_ranks(count, fraction)

    def below(rank: int) -> float:  # P(B ≤ rank − 1)
        return sum(
            math.comb(count, k) * fraction**k * (1 - fraction) ** (count - k) for k in range(rank)
        )

    if low >= 1:
        assert below(low) <= 0.025 + 1e-9
        assert below(low + 1) > 0.025 - 1e-9  # the largest such rank
    if high <= count:
        assert below(high) >= 0.975 - 1e-9
        assert below(high - 1) < 0.975 + 1e-9  # the smallest such rank


def test_quantiles_of_odd_and_even_counts_and_ties() -> None:
    assert quantile(np.array([30.0, 10.0, 20.0]), 0.5).value == 20.0
    assert quantile(np.array([10.0, 20.0, 30.0, 40.0]), 0.5).value == 25.0
    assert quantile(np.array([10.0, 10.0, 10.0, 40.0]), 0.5).value == 10.0
    assert quantile(np.arange(1.0, 11.0), 0.9).value == pytest.approx(9.1)
    assert quantile(np.array([]), 0.5).value is None
    with pytest.raises(ValueError, match="between 0 and 1"):
        quantile(np.array([1.0]), 1.5)


def test_a_quantile_interval_of_many_values_brackets_it() -> None:
    values = np.arange(1.0, 101.0)
    estimate = quantile(values, 0.5)

    assert estimate.interval == Interval(40.0, 61.0)


def test_wilson_interval() -> None:
    interval = wilson_interval(8, 10)
    assert interval.low == pytest.approx(0.4902, abs=1e-4)
    assert interval.high == pytest.approx(0.9433, abs=1e-4)
    assert wilson_interval(10, 10).high == pytest.approx(1.0)
    assert wilson_interval(0, 10).low == 0.0
    assert wilson_interval(0, 0) == Interval(None, None)
    with pytest.raises(ValueError, match="not a proportion"):
        wilson_interval(11, 10)


def test_overlapping_intervals_and_open_ends() -> None:
    assert intervals_overlap(Interval(1, 5), Interval(4, 9))
    assert not intervals_overlap(Interval(1, 3), Interval(4, 9))
    assert intervals_overlap(Interval(None, None), Interval(4, 9))
    assert not intervals_overlap(Interval(10, None), Interval(1, 5))
    assert intervals_overlap(Interval(None, 5), Interval(5, 9))
