"""Queries whose SQL peewee builds once per database and that then run with new values.

peewee builds a query's SQL anew on every execution, walking its tree of nodes: for an
insert of a few columns that is 0.1–0.4 ms, several times what SQLite needs to run it. A
path that runs the same statements thousands of times (the alert receiver's writer, logging
an incident) builds each once with ``slot`` placeholders where its values go, and then only
fills them in. The SQL is still peewee's own for the database's engine (quoting, parameter
style, schema), and each value is converted by its field's ``db_value``, as peewee would."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import peewee as pw


@dataclass(frozen=True)
class Slot:
    """Where a value named ``name`` goes, converted for the database by ``convert``."""

    name: str
    convert: Callable[[Any], Any]


def slot(name: str, field: pw.Field) -> pw.Value:
    """A placeholder for ``name`` in a query, converted as ``field`` converts its values."""
    return pw.Value(Slot(name, field.db_value), converter=False)


@dataclass(frozen=True)
class _Built:
    sql: str
    params: tuple[Any, ...]  # constants, and a Slot where a value is filled in
    names: frozenset[str]
    slots: tuple[tuple[int, Slot], ...]  # where in ``params`` each Slot is


class PreparedQuery:
    """A query on ``model``'s table made by ``build`` (with ``slot`` placeholders), built
    once for each database it runs on: the one the models are bound to on the calling
    thread (``Store.bound()``), as for any query. ``columns`` are the fields of the rows it
    gives (a select's columns, an insert's ``RETURNING``), in order; each value read is
    converted by its field's ``python_value``, as peewee would."""

    def __init__(
        self,
        model: type[pw.Model],
        build: Callable[[], pw.Query],
        columns: Sequence[pw.Field] = (),
    ) -> None:
        self._model = model
        self._build = build
        self._readers: tuple[Callable[[Any], Any], ...] = tuple(
            field.python_value for field in columns
        )
        self._built: weakref.WeakKeyDictionary[pw.Database, _Built] = weakref.WeakKeyDictionary()

    def _for(self, database: pw.Database) -> _Built:
        built = self._built.get(database)
        if built is None:
            sql, params = database.get_sql_context().parse(self._build())
            slots = tuple(
                (index, param) for index, param in enumerate(params) if isinstance(param, Slot)
            )
            names = frozenset(param.name for _index, param in slots)
            built = _Built(sql, tuple(params), names, slots)
            self._built[database] = built
        return built

    def execute(self, **values: Any) -> Any:
        """Run the statement with ``values`` in its slots; the driver's cursor."""
        database = self._model._meta.database
        if database is None:
            raise pw.InterfaceError(
                f"Query must be bound to a database: nothing is bound to {self._model.__name__}"
            )
        built = self._for(database)
        if values.keys() != built.names:
            # A value without a slot would be dropped without a word: a column left out.
            raise TypeError(
                f"the statement takes {sorted(built.names)}, and was given {sorted(values)}"
            )
        params = list(built.params)
        for index, param in built.slots:
            params[index] = param.convert(values[param.name])
        return database.execute_sql(built.sql, params)

    def first_row(self, **values: Any) -> tuple[Any, ...] | None:
        """The first row the statement gives, its values converted, or None."""
        row = _one_row(self.execute(**values))
        if row is None:
            return None
        return tuple(read(value) for read, value in zip(self._readers, row, strict=True))

    def returned_id(self, **values: Any) -> int:
        """An insert's ``RETURNING id``: the id of the row it wrote."""
        (row_id,) = _one_row(self.execute(**values))
        return int(row_id)


def _one_row(cursor: Any) -> Any:
    """The first row, with the statement then closed: an UPDATE or INSERT … RETURNING left
    open on SQLite is a write still in progress, which its transaction's COMMIT cannot end."""
    try:
        return cursor.fetchone()
    finally:
        cursor.close()
