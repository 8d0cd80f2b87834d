"""SLA clocks: time left to acknowledge or recover an incident by its severity's targets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from incidentdesk.domain.metrics import format_duration

# A clock turns to a warning when less than this share of its target is left.
WARNING_SHARE = 0.25


class ClockState(StrEnum):
    RUNNING = "running"
    WARNING = "warning"
    BREACHED = "breached"
    MET = "met"
    MISSED = "missed"  # the milestone came, but after the target


@dataclass(frozen=True)
class SlaClock:
    name: str  # "acknowledge", "recover"
    state: ClockState
    remaining: timedelta  # negative once breached; for a stopped clock, the margin it had

    @property
    def text(self) -> str:
        """For the header and the board: "Recover: 42 min left", "Acknowledge: breached 5 min"."""
        label = self.name.capitalize()
        if self.state is ClockState.MET:
            return f"{label}: met"
        if self.state is ClockState.MISSED:
            return f"{label}: missed by {format_duration(-self.remaining)}"
        if self.state is ClockState.BREACHED:
            return f"{label}: breached {format_duration(-self.remaining)} ago"
        return f"{label}: {format_duration(self.remaining)} left"


def sla_clock(
    name: str, reported_at: datetime, reached_at: datetime | None, target: timedelta, now: datetime
) -> SlaClock:
    deadline = reported_at + target
    if reached_at is not None:
        margin = deadline - reached_at
        return SlaClock(
            name, ClockState.MET if margin >= timedelta(0) else ClockState.MISSED, margin
        )
    remaining = deadline - now
    if remaining < timedelta(0):
        return SlaClock(name, ClockState.BREACHED, remaining)
    if remaining < target * WARNING_SHARE:
        return SlaClock(name, ClockState.WARNING, remaining)
    return SlaClock(name, ClockState.RUNNING, remaining)
