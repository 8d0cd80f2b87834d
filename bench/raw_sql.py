"""The raw-SQL baseline: the work of the program's list and search queries, written by hand
and run through the ``sqlite3`` module, with no ORM, no objects and no Qt.

The statements mirror ``IncidentService.rows``/``count`` and ``storage/search.py``: the first
page of 200 rows (the list model's page size) with the service, assignee and team names, in
priority order, and the count when the page is full. The benchmarks compare the counts with
what the program showed, so a change to the program's queries that is not made here too stops
the benchmark instead of skewing the ratios. ``python -m bench.raw_sql DB`` runs the
open-incidents query once in a fresh process: the floor for a cold start.
"""

from __future__ import annotations

import re
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from incidentdesk.domain.enums import OPEN_STATUSES
from incidentdesk.domain.keys import parse_key

FIRST_PAGE = 200  # ui/incident_table_model.py PAGE_SIZE
MATCH_LIMIT = 1000  # storage/search.py MATCH_LIMIT
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_MATCHING_IDS = (
    "SELECT rowid FROM (SELECT rowid FROM incident_fts WHERE incident_fts MATCH ? "
    f"ORDER BY rowid DESC LIMIT {MATCH_LIMIT}) "
    "UNION SELECT incident_id FROM (SELECT entry.incident_id FROM timeline_entry_fts "
    "JOIN timeline_entry AS entry ON entry.id = timeline_entry_fts.rowid "
    "WHERE timeline_entry_fts MATCH ? "
    f"ORDER BY timeline_entry_fts.rowid DESC LIMIT {MATCH_LIMIT}) "
    "UNION SELECT incident_id FROM (SELECT file.incident_id FROM attachment_fts "
    "JOIN attachment AS file ON file.id = attachment_fts.rowid "
    "WHERE attachment_fts MATCH ? "
    f"ORDER BY attachment_fts.rowid DESC LIMIT {MATCH_LIMIT})"
)
_FIRST_PAGE = (
    "SELECT i.id, i.number, i.title, i.severity, i.priority, i.status, s.name, a.name, t.name, "
    "i.reported_at FROM incident AS i "
    "LEFT JOIN service AS s ON s.id = i.service_id "
    "LEFT JOIN user AS a ON a.id = i.assignee_id "
    "LEFT JOIN team AS t ON t.id = i.team_id "
    "WHERE {where} ORDER BY i.priority ASC, i.number DESC LIMIT ? OFFSET 0"
)
_COUNT = "SELECT COUNT(i.id) FROM incident AS i WHERE {where}"


def connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path)


def open_list(connection: sqlite3.Connection) -> int:
    """The open incidents' first page and count, as the list shows them at start; the count."""
    return _first_page_and_count(connection, *_open_condition())


def search(connection: sqlite3.Connection, text: str) -> int:
    """Open incidents matching ``text`` (words, the last one a prefix), or the incident a key
    names whatever its status; the count."""
    number = parse_key(text)
    if number is not None:
        return _first_page_and_count(connection, "i.number = ?", [number])
    where, params = _open_condition()
    words = [word.lower() for word in _WORD.findall(text)]
    matches = []
    if words:
        terms = [f'"{word}"' for word in words]
        if not text[-1:].isspace():
            terms[-1] += "*"
        matches.append(f"i.id IN ({_MATCHING_IDS})")
        params += [" ".join(terms)] * _MATCHING_IDS.count("?")
    where += f" AND ({' OR '.join(matches) or '1 = 0'})"
    return _first_page_and_count(connection, where, params)


def time_open_list_ms(path: Path, repeats: int) -> list[float]:
    connection = connect(path)
    try:
        return [_elapsed_ms(lambda: open_list(connection)) for _ in range(repeats)]
    finally:
        connection.close()


def time_searches_ms(path: Path, texts: Sequence[str], repeats: int) -> list[float]:
    """For each text, the median time of ``repeats`` searches (warm cache, as while typing)."""
    connection = connect(path)
    try:
        return [
            statistics.median(
                _elapsed_ms(lambda text=text: search(connection, text)) for _ in range(repeats)
            )
            for text in texts
        ]
    finally:
        connection.close()


def _open_condition() -> tuple[str, list[object]]:
    placeholders = ", ".join("?" for _ in OPEN_STATUSES)
    return f"i.status IN ({placeholders})", [status.value for status in OPEN_STATUSES]


def _first_page_and_count(connection: sqlite3.Connection, where: str, params: list[object]) -> int:
    rows = connection.execute(_FIRST_PAGE.format(where=where), [*params, FIRST_PAGE]).fetchall()
    if len(rows) < FIRST_PAGE:
        return len(rows)
    return int(connection.execute(_COUNT.format(where=where), params).fetchone()[0])


def _elapsed_ms(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return (time.perf_counter() - started) * 1000


if __name__ == "__main__":
    open_list(connect(Path(sys.argv[1])))
