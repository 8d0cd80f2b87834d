"""The raw-SQL baseline: the work of the program's queries and writes, written by hand and
run through the ``sqlite3`` module, with no ORM, no objects and no Qt.

The statements mirror ``IncidentService.rows``/``count`` and ``storage/search.py``: the first
page of 200 rows (the list model's page size) with the service, assignee and team names, in
priority order, and the count when the page is full. The benchmarks compare the counts with
what the program showed, so a change to the program's queries that is not made here too stops
the benchmark instead of skewing the ratios. ``python -m bench.raw_sql DB`` runs the
open-incidents query once in a fresh process: the floor for a cold start.

The board's query mirrors ``BoardService.cards``: every open incident matching the filter
with the columns a card shows (names, the attachment count), in column order, and a status
move from the board (``LifecycleService.take`` acknowledging: the incident row updated and
the status-change entry added, in one transaction).

Also ``TimelineService.entries`` (an incident's log with the authors' names, in order) and
the write of ``IncidentService.create`` with one file: the incident row, its first timeline
entry, the attachment's entry, the content and the attachment row, in one transaction.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from incidentdesk.domain.enums import (
    OPEN_STATUSES,
    EntryKind,
    ImpactScope,
    Severity,
    SourceKind,
    Status,
    Urgency,
)
from incidentdesk.domain.keys import parse_key
from incidentdesk.domain.priority import PriorityMatrix
from incidentdesk.services.board import FIRST_CARDS

FIRST_PAGE = 100  # ui/incident_table_model.py PAGE_SIZE
MATCH_LIMIT = 1000  # storage/search.py MATCH_LIMIT
INCIDENT_NUMBER_COUNTER = "incident_number"  # storage/migrations.py INCIDENT_NUMBER_COUNTER
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
_TIMELINE = (
    "SELECT e.id, e.kind, e.body, e.occurred_at, e.recorded_at, u.name, e.details, e.pinned, "
    "e.amends_id FROM timeline_entry AS e LEFT JOIN user AS u ON u.id = e.author_id "
    "WHERE e.incident_id = ? ORDER BY e.occurred_at, e.id"
)
_BOARD_ORDER = (
    "SELECT i.id, i.status FROM incident AS i WHERE {where} "
    "ORDER BY i.status, i.priority, i.board_rank, i.id"
)
_BOARD_CARDS = (
    "SELECT i.id, i.number, i.title, i.severity, i.priority, i.status, i.board_rank, s.name, "
    "a.name, t.name, i.escalation_level, "
    "(SELECT COUNT(f.id) FROM attachment AS f WHERE f.incident_id = i.id), i.reported_at, "
    "i.acknowledged_at, i.recovered_at, i.postmortem_at, i.closed_at, i.cancelled_at, "
    "i.version FROM incident AS i "
    "LEFT JOIN service AS s ON s.id = i.service_id "
    "LEFT JOIN user AS a ON a.id = i.assignee_id "
    "LEFT JOIN team AS t ON t.id = i.team_id "
    "WHERE i.id IN ({ids})"
)
_STATUS_MOVE = (
    "UPDATE incident SET status = ?, acknowledged_at = coalesce(acknowledged_at, ?), "
    "updated_at = ?, version = version + 1 WHERE id = ? AND version = ?"
)
_NEXT_NUMBER = "UPDATE counter SET value = value + 1 WHERE name = ? RETURNING value"
_NEW_INCIDENT = (
    "INSERT INTO incident (number, title, description, source_kind, source_name, "
    "source_contact, reported_by_id, reported_at, created_at, updated_at, impact_scope, "
    "impact_financial, impact_security, impact_compliance, severity, urgency, priority, status, "
    "escalation_level, chat_url, bridge_url, ticket_url, board_rank, cancel_reason, version) "
    "VALUES (?, ?, '', ?, '', '', ?, ?, ?, ?, ?, 0, 0, 0, ?, ?, ?, ?, 1, '', '', '', ?, '', 1)"
)
_NEW_ENTRY = (
    "INSERT INTO timeline_entry (incident_id, kind, body, details, author_id, occurred_at, "
    "recorded_at, pinned) VALUES (?, ?, ?, ?, ?, ?, ?, 0)"
)
_NEW_BLOB = "INSERT INTO blob (sha256, size, content) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
_NEW_ATTACHMENT = (
    "INSERT INTO attachment (incident_id, entry_id, blob_sha256, filename, media_type, size, "
    "added_by_id, added_at, text_content) VALUES (?, ?, ?, ?, 'image/png', ?, ?, ?, '')"
)
_STORED_FILES = (
    "SELECT b.sha256, length(b.content) FROM attachment AS a "
    "JOIN blob AS b ON b.sha256 = a.blob_sha256 WHERE a.incident_id = ?"
)


def connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path)


def open_list(connection: sqlite3.Connection) -> int:
    """The open incidents' first page and count, as the list shows them at start; the count."""
    return _first_page_and_count(connection, *_open_condition())


def search(connection: sqlite3.Connection, text: str) -> int:
    """Open incidents matching ``text`` (words, the last one a prefix), or the incident a key
    names whatever its status; the count."""
    return _first_page_and_count(connection, *_text_condition(text, key_any_status=True))


def board(connection: sqlite3.Connection, text: str = "") -> int:
    """The board as it opens: the open incidents matching ``text`` (as ``search``, or all of
    them when it is empty) in board order, and the cards of the first of each column; how many
    incidents."""
    where, params = _text_condition(text)
    columns: dict[str, list[int]] = {}
    for incident_id, status in connection.execute(_BOARD_ORDER.format(where=where), params):
        columns.setdefault(status, []).append(incident_id)
    first = [i for ids in columns.values() for i in ids[:FIRST_CARDS]]
    if first:
        cards = _BOARD_CARDS.format(ids=", ".join("?" * len(first)))
        connection.execute(cards, first).fetchall()
    return sum(len(ids) for ids in columns.values())


def timeline(connection: sqlite3.Connection, incident_id: int) -> int:
    """The incident's timeline entries with their authors' names, in order; how many."""
    return len(connection.execute(_TIMELINE, [incident_id]).fetchall())


def stored_files(connection: sqlite3.Connection, incident_id: int) -> list[tuple[str, int]]:
    """The SHA-256 and stored length of each file attached to the incident."""
    return [
        (sha256, int(length)) for sha256, length in connection.execute(_STORED_FILES, [incident_id])
    ]


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


def time_board_ms(path: Path, texts: Sequence[str], repeats: int) -> list[float]:
    """For each text, the median time of ``repeats`` board queries (warm cache)."""
    connection = connect(path)
    try:
        return [
            statistics.median(
                _elapsed_ms(lambda text=text: board(connection, text)) for _ in range(repeats)
            )
            for text in texts
        ]
    finally:
        connection.close()


def time_status_moves_ms(
    path: Path, from_status: Status, to_status: Status, moves: int
) -> list[float]:
    """The time of ``moves`` board moves of ``from_status`` cards to ``to_status``: the
    incident row (status, acknowledgement, version) and its status-change entry, in one
    transaction, on a connection set up as the program's, by the first user."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA foreign_keys = 1")
        connection.execute("PRAGMA synchronous = normal")
        (actor_id,) = connection.execute("SELECT min(id) FROM user").fetchone()
        cards = connection.execute(
            "SELECT id, version FROM incident WHERE status = ? ORDER BY priority, board_rank "
            "LIMIT ?",
            [from_status.value, moves],
        ).fetchall()
        return [
            _elapsed_ms(
                lambda card=card: _move_card(connection, *card, from_status, to_status, actor_id)
            )
            for card in cards
        ]
    finally:
        connection.close()


def _move_card(
    connection: sqlite3.Connection,
    incident_id: int,
    version: int,
    from_status: Status,
    to_status: Status,
    actor_id: int,
) -> None:
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ")
    connection.execute("BEGIN IMMEDIATE")
    connection.execute(_STATUS_MOVE, [to_status.value, now, now, incident_id, version])
    details = f'{{"from": "{from_status.value}", "to": "{to_status.value}"}}'
    body = f"{from_status.label} → {to_status.label}"
    connection.execute(
        _NEW_ENTRY,
        [incident_id, EntryKind.STATUS_CHANGE.value, body, details, actor_id, now, now],
    )
    connection.execute("COMMIT")


def time_timeline_ms(path: Path, incident_id: int, repeats: int) -> list[float]:
    connection = connect(path)
    try:
        return [_elapsed_ms(lambda: timeline(connection, incident_id)) for _ in range(repeats)]
    finally:
        connection.close()


def time_saves_ms(path: Path, contents: Sequence[bytes]) -> list[float]:
    """For each of ``contents`` (hashed beforehand, as the program does when it reads a file),
    the time to log an incident with it attached as a PNG, in one transaction, on a connection
    set up as the program's (foreign keys, WAL, synchronous=NORMAL), by the first user."""
    files = [(content, hashlib.sha256(content).hexdigest()) for content in contents]
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA foreign_keys = 1")
        connection.execute("PRAGMA synchronous = normal")
        (actor_id,) = connection.execute("SELECT min(id) FROM user").fetchone()
        return [
            _elapsed_ms(
                lambda content=content, sha256=sha256: _save_incident(
                    connection, content, sha256, actor_id
                )
            )
            for content, sha256 in files
        ]
    finally:
        connection.close()


def _save_incident(
    connection: sqlite3.Connection, content: bytes, sha256: str, actor_id: int
) -> None:
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ")
    severity, urgency = Severity.SEV3, Urgency.MEDIUM
    priority = PriorityMatrix().priority(severity, urgency).value
    connection.execute("BEGIN IMMEDIATE")
    (number,) = connection.execute(_NEXT_NUMBER, [INCIDENT_NUMBER_COUNTER]).fetchone()
    incident_row = [number, "Checkout page blank after payment", SourceKind.EMPLOYEE.value]
    incident_row += [actor_id, now, now, now, ImpactScope.ONE.value, severity.value]
    incident_row += [urgency.value, priority, Status.LOGGED.value, float(number)]
    incident_id = connection.execute(_NEW_INCIDENT, incident_row).lastrowid
    logged = [EntryKind.STATUS_CHANGE.value, "Incident logged", '{"to": "logged"}']
    connection.execute(_NEW_ENTRY, [incident_id, *logged, actor_id, now, now])
    attached = [EntryKind.ATTACHMENT.value, "Attached screenshot.png (10 MB)", "{}"]
    entry_id = connection.execute(
        _NEW_ENTRY, [incident_id, *attached, actor_id, now, now]
    ).lastrowid
    connection.execute(_NEW_BLOB, [sha256, len(content), content])
    attachment_row = [incident_id, entry_id, sha256, "screenshot.png", len(content), actor_id, now]
    connection.execute(_NEW_ATTACHMENT, attachment_row)
    connection.execute("COMMIT")


def _text_condition(text: str, key_any_status: bool = False) -> tuple[str, list[object]]:
    """Open incidents matching ``text`` (all of them when it is empty); a key names one
    incident, whatever its status for the list, among the open ones for the board."""
    where, params = _open_condition()
    number = parse_key(text)
    if number is not None:
        if key_any_status:
            return "i.number = ?", [number]
        return f"{where} AND i.number = ?", [*params, number]
    if not text.strip():
        return where, params
    words = [word.lower() for word in _WORD.findall(text)]
    matches = []
    if words:
        terms = [f'"{word}"' for word in words]
        if not text[-1:].isspace():
            terms[-1] += "*"
        matches.append(f"i.id IN ({_MATCHING_IDS})")
        params += [" ".join(terms)] * _MATCHING_IDS.count("?")
    where += f" AND ({' OR '.join(matches) or '1 = 0'})"
    return where, params


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
