"""The PostgreSQL driver, loaded only when a PostgreSQL database is opened.

peewee imports psycopg as it is imported itself (about 100 ms of a start-up that needs under
a second), though most desks open an SQLite file and never use it. The storage package
therefore imports peewee with the drivers hidden, and ``load()`` imports psycopg and hands it
to peewee the first time a PostgreSQL database is opened.
"""

from __future__ import annotations

import sys
import threading
from importlib import import_module
from types import ModuleType
from typing import Any

# What peewee tries to import at its top; each one missing leaves its name None in peewee.
_DRIVERS = ("psycopg", "psycopg2", "psycopg2cffi")
_loading = threading.Lock()


def import_peewee_without_drivers() -> ModuleType:
    """peewee, imported now without the PostgreSQL drivers unless something imported it (or
    them) already, in which case nothing is left to save."""
    if "peewee" in sys.modules or any(name in sys.modules for name in _DRIVERS):
        import peewee

        return peewee
    # A None entry in sys.modules makes ``import name`` raise ImportError, as for a driver
    # that is not installed; peewee then leaves the driver unset.
    modules: dict[str, ModuleType | None] = sys.modules  # type: ignore[assignment]
    modules.update(dict.fromkeys(_DRIVERS))
    try:
        import peewee
    finally:
        for name in _DRIVERS:
            if name in modules and modules[name] is None:
                del modules[name]
    return peewee


def load() -> None:
    """Make psycopg (version 3) available to peewee's PostgreSQL databases; repeated calls
    cost nothing."""
    # peewee's type hints do not declare the driver names it binds at its import.
    peewee: Any = import_module("peewee")
    with _loading:
        if peewee.psycopg is not None:
            return
        import psycopg
        from psycopg.pq import TransactionStatus
        from psycopg.types.json import Json, Jsonb

        # The names peewee binds at its import, and the class attributes it derives from them.
        peewee.TransactionStatus = TransactionStatus
        peewee.Json_pg3, peewee.Jsonb_pg3 = Json, Jsonb
        adapter = peewee.Psycopg3Adapter
        adapter.txn_idle = TransactionStatus.IDLE
        adapter.txn_inerror = TransactionStatus.INERROR
        adapter.txn_unknown = TransactionStatus.UNKNOWN
        peewee.psycopg = psycopg  # last: it is what says the driver is there
