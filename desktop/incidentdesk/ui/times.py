"""Moments between the UTC the services use and the local time people read and edit."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QDateTime

_shown_in = {"utc": False}  # Settings → Personal → Times


def show_times_in_utc(utc: bool) -> None:
    _shown_in["utc"] = utc


def local_text(moment: datetime) -> str:
    """``moment`` as the person reads times: local time, or UTC if they chose it."""
    if _shown_in["utc"]:
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def to_qt(moment: datetime) -> QDateTime:
    """For a date-time editor, which shows local time."""
    return QDateTime.fromSecsSinceEpoch(int(moment.timestamp())).toLocalTime()


def from_qt(moment: QDateTime) -> datetime:
    return datetime.fromtimestamp(moment.toSecsSinceEpoch(), UTC)
