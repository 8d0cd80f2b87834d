"""The measures of an incident's handling (DESIGN.md, Metrics), and how to sum them up."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

from incidentdesk.domain.incident import Milestones


def _since(reported_at: datetime, moment: datetime | None) -> timedelta | None:
    return moment - reported_at if moment is not None else None


def time_to_acknowledge(reported_at: datetime, milestones: Milestones) -> timedelta | None:
    """First response − reported."""
    return _since(reported_at, milestones.acknowledged_at)


def time_to_recover(reported_at: datetime, milestones: Milestones) -> timedelta | None:
    """Customer impact over − reported."""
    return _since(reported_at, milestones.recovered_at)


def time_to_resolve(reported_at: datetime, milestones: Milestones) -> timedelta | None:
    """Closed − reported (after the root cause analysis)."""
    return _since(reported_at, milestones.closed_at)


def percentile(values: Sequence[float], fraction: float) -> float:
    """The ``fraction`` percentile with linear interpolation; values need not be sorted."""
    if not values:
        raise ValueError("a percentile of no values is undefined")
    if not 0 <= fraction <= 1:  # also NaN; a negative one would silently index from the end
        raise ValueError(f"a percentile's fraction is between 0 and 1, not {fraction}")
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def format_duration(duration: timedelta) -> str:
    """As people say it: "less than a minute", "45 min", "3 h 20 min", "2 d 4 h"."""
    minutes = int(duration.total_seconds() // 60)
    if 0 <= minutes < 1:
        return "less than a minute"
    if minutes < 60:
        return f"{max(minutes, 0)} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
