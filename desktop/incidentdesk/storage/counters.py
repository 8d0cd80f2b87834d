"""Numbers that come from the database: unique across clients and never reused."""

from __future__ import annotations

import peewee as pw

from incidentdesk.storage import models as m
from incidentdesk.storage.migrations import INCIDENT_NUMBER_COUNTER
from incidentdesk.storage.prepared import PreparedQuery, slot


def allocate_incident_number() -> int:
    """The next incident number; call inside a write transaction.

    The counter row is locked by the UPDATE until the transaction ends, so concurrent clients
    queue on it and a number taken by a rolled-back transaction is simply handed out again.
    """
    return allocate_incident_numbers(1)[0]


def allocate_incident_numbers(count: int) -> range:
    """``count`` consecutive new incident numbers at once, for bulk imports."""
    row = _TAKE_NUMBERS.first_row(count=count)
    if row is None:  # every migrated database has it (migration 1): a fault, not a refusal
        raise pw.IntegrityError("the database has no incident number counter")
    last = int(row[0])
    return range(last - count + 1, last + 1)


# Built once per database: each incident logged runs it (storage/prepared.py).
_TAKE_NUMBERS = PreparedQuery(
    m.Counter,
    lambda: (
        m.Counter.update(value=m.Counter.value + slot("count", m.Counter.value))
        .where(m.Counter.name == INCIDENT_NUMBER_COUNTER)
        .returning(m.Counter.value)
    ),
    (m.Counter.value,),
)
