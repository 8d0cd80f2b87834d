"""Saves applied once: a save may carry an id its client made up (a random UUID). The id is
recorded in the save's own transaction, so a save sent again after its reply was lost (the
connection ended as it committed) finds it and is not applied a second time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from incidentdesk.storage import models as m

# Long enough for any retry; a client away longer starts a new save with a new id.
KEPT_FOR = timedelta(days=7)
WRITE_ID_MAX_LENGTH = 64


@dataclass(frozen=True)
class EarlierSave:
    incident_id: int
    record_id: int | None  # a timeline entry it added, for a save of one


def earlier_save(write_id: str | None) -> EarlierSave | None:
    """Inside the save's transaction: what a save of ``write_id`` applied before, or None
    if none was."""
    if write_id is None:
        return None
    if not write_id or len(write_id) > WRITE_ID_MAX_LENGTH:
        raise ValueError(f"a write id has 1 to {WRITE_ID_MAX_LENGTH} characters: {write_id!r}")
    row = (
        m.AppliedWrite.select(m.AppliedWrite.incident_id, m.AppliedWrite.record_id)
        .where(m.AppliedWrite.write_id == write_id)
        .tuples()
        .first()
    )
    return None if row is None else EarlierSave(*row)


def record_applied(
    write_id: str | None, incident_id: int, now: datetime, record_id: int | None = None
) -> None:
    """Inside the save's transaction, after its changes: ``write_id`` is applied."""
    if write_id is not None:
        m.AppliedWrite.insert(
            write_id=write_id, incident_id=incident_id, record_id=record_id, applied_at=now
        ).execute()


def prune(now: datetime | None = None) -> None:
    """Forget the ids of saves older than ``KEPT_FOR``."""
    cutoff = (now or datetime.now(UTC)) - KEPT_FOR
    m.AppliedWrite.delete().where(m.AppliedWrite.applied_at < cutoff).execute()
