"""Small estimators for heavy-tailed, partly censored durations (DESIGN.md, Metrics).

Everything works on numpy arrays of seconds. Intervals are 95 % unless a ``z`` says otherwise.
A bound that the data cannot determine (too few incidents, a curve that never falls that far)
is ``None``: an open end, never a made-up number.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Z_95 = 1.959963984540054
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Interval:
    """A confidence interval; ``None`` for an end the data leave open."""

    low: float | None
    high: float | None

    @property
    def is_bounded(self) -> bool:
        return self.low is not None and self.high is not None


UNKNOWN = Interval(None, None)


@dataclass(frozen=True, eq=False)
class SurvivalEstimate:
    """A Kaplan–Meier curve: the share still waiting just after each distinct event time.

    ``survival[i]`` holds from ``times[i]`` until the next event time; before ``times[0]`` the
    share is 1. ``lower``/``upper`` are the pointwise log-log bands (Greenwood variance).
    """

    times: FloatArray
    at_risk: IntArray  # still waiting just before times[i]
    events: IntArray  # ended exactly at times[i]
    censored: IntArray  # still waiting when last seen, at times[i] (no event there counts 0)
    survival: FloatArray
    variance: FloatArray  # Greenwood: S² · Σ d / (n (n − d))
    lower: FloatArray
    upper: FloatArray
    censor_times: FloatArray  # every censored duration, sorted
    count: int

    def survival_at(self, moments: FloatArray) -> FloatArray:
        """S(t) at each moment: the step value at or before it (1 before the first event)."""
        steps = np.concatenate(([1.0], self.survival))
        return np.asarray(steps[np.searchsorted(self.times, moments, side="right")], np.float64)

    def at_risk_at(self, moments: FloatArray, durations: FloatArray) -> IntArray:
        """How many were still waiting (neither ended nor censored) just before each moment."""
        ordered = np.sort(durations)
        return np.asarray(len(ordered) - np.searchsorted(ordered, moments, side="left"), np.int64)


def kaplan_meier(durations: FloatArray, observed: BoolArray, z: float = Z_95) -> SurvivalEstimate:
    """The Kaplan–Meier estimate of the share still waiting after t.

    ``observed[i]`` is False for an incident still waiting when last seen (censored at
    ``durations[i]``). At a time with both events and censoring, the censored ones count as
    at risk for the events (the usual convention). The log-log interval is
    ``S ** exp(±z · sqrt(V) / |log S|)`` with Greenwood's V/S²; where S is 1 or 0 the bands
    equal S.
    """
    durations = np.asarray(durations, dtype=np.float64)
    observed = np.asarray(observed, dtype=np.bool_)
    if durations.shape != observed.shape:
        raise ValueError("durations and observed must have the same length")
    if np.all(durations[1:] >= durations[:-1]):
        ordered, ended = durations, observed  # already in order: what a stable sort keeps
    else:
        order = np.argsort(durations, kind="stable")
        ordered, ended = durations[order], observed[order]
    # distinct times of the sorted durations: where a value differs from the one before it
    first = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    unique = ordered[first]
    counts = np.diff(np.append(first, len(ordered)))
    events_all = (
        np.add.reduceat(ended.astype(np.int64), first) if len(first) else np.zeros(0, np.int64)
    )
    at_risk_all = len(ordered) - first
    with_event = events_all > 0
    times = unique[with_event]
    at_risk = at_risk_all[with_event].astype(np.int64)
    events = events_all[with_event].astype(np.int64)
    censored = (counts - events_all)[with_event].astype(np.int64)
    survival = np.asarray(np.cumprod(1.0 - events / at_risk), dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = events / (at_risk * (at_risk - events))
        greenwood = np.cumsum(np.where(at_risk > events, terms, 0.0))
        log_survival = np.log(survival)
        spread = z * np.sqrt(greenwood) / np.abs(log_survival)
        lower = survival ** np.exp(spread)
        upper = survival ** np.exp(-spread)
    defined = (survival > 0) & (survival < 1)
    lower = np.where(defined, lower, survival)
    upper = np.where(defined, upper, survival)
    return SurvivalEstimate(
        times=times,
        at_risk=at_risk,
        events=events,
        censored=censored,
        survival=survival,
        variance=survival**2 * greenwood,
        lower=lower,
        upper=upper,
        censor_times=ordered[~ended],
        count=len(ordered),
    )


def _first_time_at_or_below(times: FloatArray, curve: FloatArray, share: float) -> float | None:
    # A tiny tolerance: 1 − 1/2 computed as a product must count as exactly one half.
    below = np.nonzero(curve <= share + 1e-12)[0]
    return float(times[below[0]]) if len(below) else None


def survival_quantile(estimate: SurvivalEstimate, fraction: float) -> tuple[float | None, Interval]:
    """The time by which ``fraction`` of the incidents had ended, with its 95 % interval.

    The rule: the first time at which S(t) ≤ 1 − fraction. For the median (0.5), a curve with a
    flat step at exactly 0.5 gives the *start* of that step (as lifelines does; R's survfit
    takes the middle of the step). The interval runs from the first time the upper band falls
    to 1 − fraction to the first time the lower band does (Brookmeyer–Crowley style, read off
    the log-log bands); an end the curve never reaches is ``None``.
    """
    if not 0 < fraction < 1:
        raise ValueError(f"a quantile's fraction is strictly between 0 and 1, not {fraction}")
    share = 1.0 - fraction
    point = _first_time_at_or_below(estimate.times, estimate.survival, share)
    low = _first_time_at_or_below(estimate.times, estimate.lower, share)
    high = _first_time_at_or_below(estimate.times, estimate.upper, share)
    return point, Interval(low, high)


def order_statistic_ranks(count: int, fraction: float, z: float = Z_95) -> tuple[int, int]:
    """1-based ranks (l, u) of the distribution-free interval [x₍ₗ₎, x₍ᵤ₎] for a quantile.

    With B ~ Binomial(n, p), P(x₍ₗ₎ ≤ ξₚ < x₍ᵤ₎) = P(l ≤ B ≤ u − 1). l is the largest rank with
    P(B ≤ l − 1) ≤ α/2 and u the smallest with P(B ≤ u − 1) ≥ 1 − α/2, so each tail holds at
    most α/2. A rank of 0 or n + 1 means that end is not determined by so few values.
    """
    alpha = 2.0 * (1.0 - _normal_cdf(z))
    if count == 0:
        return 0, 1
    k = np.arange(count + 1, dtype=np.float64)
    # log C(n, k) by a running sum, exact enough and vectorised for n in the hundreds of thousands
    log_choose = np.concatenate(([0.0], np.cumsum(np.log((count - k[1:] + 1) / k[1:]))))
    with np.errstate(divide="ignore"):
        log_pmf = log_choose + k * np.log(fraction) + (count - k) * np.log1p(-fraction)
    cdf = np.cumsum(np.exp(log_pmf - log_pmf.max()))
    cdf /= cdf[-1]
    # cdf[j] = P(B ≤ j); P(B ≤ l − 1) ≤ α/2  ⇔  cdf[l − 1] ≤ α/2
    tail = alpha / 2
    low_ranks = np.nonzero(cdf <= tail)[0]
    low = int(low_ranks[-1]) + 1 if len(low_ranks) else 0
    high_ranks = np.nonzero(cdf >= 1 - tail)[0]
    high = int(high_ranks[0]) + 1 if len(high_ranks) else count + 1
    return low, high


def _normal_cdf(z: float) -> float:
    from math import erf, sqrt

    return 0.5 * (1.0 + erf(z / sqrt(2.0)))


@dataclass(frozen=True)
class QuantileEstimate:
    value: float | None
    interval: Interval


def quantile(values: FloatArray, fraction: float, z: float = Z_95) -> QuantileEstimate:
    """A quantile of finished durations (linear interpolation, as numpy's default and
    ``domain.metrics.percentile``) with the distribution-free order-statistic interval."""
    if not 0 <= fraction <= 1:
        raise ValueError(f"a quantile's fraction is between 0 and 1, not {fraction}")
    ordered = np.sort(np.asarray(values, dtype=np.float64))
    count = len(ordered)
    if count == 0:
        return QuantileEstimate(None, UNKNOWN)
    # numpy's "linear" rule, read off the sorted values (np.quantile would sort them again)
    position = fraction * (count - 1)
    below = int(np.floor(position))
    above = min(below + 1, count - 1)
    value = float(ordered[below] + (ordered[above] - ordered[below]) * (position - below))
    low_rank, high_rank = order_statistic_ranks(count, fraction, z)
    low = float(ordered[low_rank - 1]) if 1 <= low_rank <= count else None
    high = float(ordered[high_rank - 1]) if 1 <= high_rank <= count else None
    return QuantileEstimate(value, Interval(low, high))


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> Interval:
    """The Wilson score interval for a proportion; unknown for no trials."""
    if trials <= 0:
        return UNKNOWN
    if not 0 <= successes <= trials:
        raise ValueError(f"{successes} successes out of {trials} trials is not a proportion")
    share = successes / trials
    z2 = z * z
    centre = share + z2 / (2 * trials)
    spread = z * np.sqrt(share * (1 - share) / trials + z2 / (4 * trials * trials))
    denominator = 1 + z2 / trials
    return Interval(
        max(0.0, float((centre - spread) / denominator)),
        min(1.0, float((centre + spread) / denominator)),
    )


def intervals_overlap(first: Interval, second: Interval) -> bool:
    """True when the two intervals share a point: then the data cannot tell the two periods
    apart ("no clear change"). An open end reaches as far as it can, so an interval the data
    leave wholly open overlaps everything."""
    inf = float("inf")
    first_low = -inf if first.low is None else first.low
    first_high = inf if first.high is None else first.high
    second_low = -inf if second.low is None else second.low
    second_high = inf if second.high is None else second.high
    return first_low <= second_high and second_low <= first_high
