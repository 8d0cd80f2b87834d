"""Moments between the UTC the services use and the local time people read and edit."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QDateTime


def local_text(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def to_qt(moment: datetime) -> QDateTime:
    """For a date-time editor, which shows local time."""
    return QDateTime.fromSecsSinceEpoch(int(moment.timestamp())).toLocalTime()


def from_qt(moment: QDateTime) -> datetime:
    return datetime.fromtimestamp(moment.toSecsSinceEpoch(), UTC)
