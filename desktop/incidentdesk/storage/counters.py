"""Numbers that come from the database: unique across clients and never reused."""

from __future__ import annotations

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
    (last,) = _TAKE_NUMBERS.first_row(count=count) or (0,)
    return range(int(last) - count + 1, int(last) + 1)


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
