"""What a write changed: every write operation returns one, so that whatever shows incidents
can refresh from a single announcement instead of being told by whoever wrote."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

T = TypeVar("T")


class ChangeKind(StrEnum):
    """What about an incident changed, for views that show only part of one."""

    CREATED = "created"  # a new incident
    UPDATED = "updated"  # its fields, status, milestones, rank or attachments
    TIMELINE = "timeline"  # an entry of its escalation and communication log
    POSTMORTEM = "postmortem"  # its postmortem or action items


@dataclass(frozen=True)
class Changed(Generic[T]):
    """The result of a write (``value``) and the incidents it changed, by kind."""

    value: T
    incident_ids: frozenset[int]
    kinds: frozenset[ChangeKind]


def changed(value: T, incident_ids: Iterable[int], *kinds: ChangeKind) -> Changed[T]:
    """``value``, returned by a write that changed ``incident_ids`` in the ways ``kinds`` say
    (``UPDATED`` when none is given)."""
    return Changed(value, frozenset(incident_ids), frozenset(kinds or (ChangeKind.UPDATED,)))


def unchanged(value: T) -> Changed[T]:
    """``value``, returned by a write that changed no incident (a setting, a password)."""
    return Changed(value, frozenset(), frozenset())
