"""The change log: one row per incident changed by a committed write, for other clients.

Database triggers write it, in the same transaction as the change, so every write path (the
program, the demo generator, an import, a script) is recorded. Each row names the writing
client: a random id per open database (``new_client_id``), set on each of its connections
(SQLite: a temporary table read by a temporary trigger; PostgreSQL: the setting
``incidentdesk.client``), so that a client skips what it wrote itself, which it already
announced. On PostgreSQL each statement that adds rows also sends
``NOTIFY incidentdesk, '<kind>:<ids>'`` (see ``CHANNEL``), at most ``NOTIFY_BATCH_IDS`` ids
per notification, so that each payload stays far under PostgreSQL's 8,000 bytes.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from dataclasses import dataclass

import peewee as pw

TABLE = "change_log"
CHANNEL = "incidentdesk"
# Incident ids below 2**31 take at most 11 bytes with their comma: 500 of them 5.5 kB.
NOTIFY_BATCH_IDS = 500
KEPT_FOR_S = 24 * 3600
# The kinds of ``services/changes.py: ChangeKind``; the triggers write these words.
CREATED, UPDATED, TIMELINE, POSTMORTEM = "created", "updated", "timeline", "postmortem"

# (table, kind, the incident id of a row of it)
_RECORDED: tuple[tuple[str, str, str], ...] = (
    ("incident", UPDATED, "{row}.id"),
    ("timeline_entry", TIMELINE, "{row}.incident_id"),
    ("attachment", UPDATED, "{row}.incident_id"),
    ("postmortem", POSTMORTEM, "{row}.incident_id"),
    (
        "action_item",
        POSTMORTEM,
        "(SELECT postmortem.incident_id FROM postmortem WHERE postmortem.id = {row}.postmortem_id)",
    ),
)
_EVENTS = ("INSERT", "UPDATE", "DELETE")


def new_client_id() -> str:
    return uuid.uuid4().hex


def _kind(table: str, kind: str, event: str) -> str:
    return CREATED if table == "incident" and event == "INSERT" else kind


def _sqlite_statements() -> list[str]:
    statements = [
        f"""CREATE TABLE IF NOT EXISTS {TABLE} (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            incident_id INTEGER NOT NULL,
            kind TEXT NOT NULL,
            client TEXT NOT NULL DEFAULT '',
            written_at INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER)))""",
        f"CREATE INDEX IF NOT EXISTS {TABLE}_written_at ON {TABLE} (written_at)",
    ]
    for table, kind, incident in _RECORDED:
        for event in _EVENTS:
            row = "old" if event == "DELETE" else "new"
            # A cascade from a deleted incident (or postmortem) leaves no incident id to read.
            where = f"WHEN {incident.format(row=row)} IS NOT NULL " if table != "incident" else ""
            statements.append(
                f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_{table}_{event.lower()}
                AFTER {event} ON {table} {where}BEGIN
                    INSERT INTO {TABLE} (incident_id, kind)
                    VALUES ({incident.format(row=row)}, '{_kind(table, kind, event)}');
                END"""
            )
    return statements


def _postgres_function(table: str, incident: str) -> str:
    """The trigger function of ``table``: log the incidents of the statement's rows, then
    notify them, one notification per ``NOTIFY_BATCH_IDS`` ids. Static SQL, whose plan
    PL/pgSQL keeps, and one function per table: a bulk insert runs it once per row."""
    incident_id = incident.format(row="changed_rows")
    return f"""CREATE OR REPLACE FUNCTION incidentdesk_log_{table}() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
        ids integer[];
        channel text := CASE WHEN TG_TABLE_SCHEMA = 'public' THEN '{CHANNEL}'
                             ELSE '{CHANNEL}.' || TG_TABLE_SCHEMA END;
    BEGIN
        SELECT array_agg(DISTINCT changed.incident_id ORDER BY changed.incident_id) INTO ids
        FROM (SELECT {incident_id} AS incident_id FROM changed_rows) AS changed
        WHERE changed.incident_id IS NOT NULL;
        IF ids IS NULL THEN
            RETURN NULL;
        END IF;
        INSERT INTO {TABLE} (incident_id, kind, client)
        SELECT unnest(ids), TG_ARGV[0], coalesce(current_setting('incidentdesk.client', true), '');
        -- Delivered at commit, never for a transaction rolled back.
        FOR part IN 0 .. (cardinality(ids) - 1) / {NOTIFY_BATCH_IDS} LOOP
            PERFORM pg_notify(channel, TG_ARGV[0] || ':' || array_to_string(
                ids[part * {NOTIFY_BATCH_IDS} + 1 : (part + 1) * {NOTIFY_BATCH_IDS}], ','));
        END LOOP;
        RETURN NULL;
    END $$"""


def _postgres_statements() -> list[str]:
    statements = [
        f"""CREATE TABLE IF NOT EXISTS {TABLE} (
            id BIGSERIAL PRIMARY KEY,
            incident_id INTEGER NOT NULL,
            kind TEXT NOT NULL,
            client TEXT NOT NULL DEFAULT '',
            written_at BIGINT NOT NULL DEFAULT extract(epoch FROM now())::bigint)""",
        f"CREATE INDEX IF NOT EXISTS {TABLE}_written_at ON {TABLE} (written_at)",
    ]
    # Statement-level triggers see all the rows of a statement at once (an UPDATE of
    # thousands is one statement); PostgreSQL allows a transition table per event.
    for table, kind, incident in _RECORDED:
        statements.append(_postgres_function(table, incident))
        for event in _EVENTS:
            rows = "OLD" if event == "DELETE" else "NEW"
            statements.append(
                f"""CREATE OR REPLACE TRIGGER {TABLE}_{table}_{event.lower()}
                AFTER {event} ON {table} REFERENCING {rows} TABLE AS changed_rows
                FOR EACH STATEMENT EXECUTE FUNCTION incidentdesk_log_{table}(
                    '{_kind(table, kind, event)}')"""
            )
    return statements


def create(db: pw.Database) -> None:
    """Create the change log and its triggers (schema migration 8)."""
    sqlite = isinstance(db, pw.SqliteDatabase)
    for statement in _sqlite_statements() if sqlite else _postgres_statements():
        # psycopg reads % as its own placeholder; %% is one % for the server.
        db.execute_sql(statement if sqlite else statement.replace("%", "%%"))
    client = getattr(db, "client_id", "")
    if sqlite and client:
        # This connection was opened before the table existed.
        identify_sqlite_connection(db.connection(), client)


def identify_sqlite_connection(connection: sqlite3.Connection, client: str) -> None:
    """Record ``client`` as the writer of the change-log rows this connection adds. A
    trigger of the database cannot read a connection's temporary table, but a temporary
    trigger, which lives only on this connection, can."""
    has_log = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)
    ).fetchone()
    if not has_log:
        return
    connection.execute("CREATE TEMP TABLE IF NOT EXISTS incidentdesk_client (id TEXT NOT NULL)")
    connection.execute("DELETE FROM temp.incidentdesk_client")
    connection.execute("INSERT INTO temp.incidentdesk_client (id) VALUES (?)", (client,))
    connection.execute(
        f"""CREATE TEMP TRIGGER IF NOT EXISTS {TABLE}_client AFTER INSERT ON main.{TABLE}
        BEGIN
            UPDATE {TABLE} SET client = (SELECT id FROM temp.incidentdesk_client)
            WHERE id = new.id;
        END"""
    )


@dataclass(frozen=True)
class LoggedChange:
    id: int
    incident_id: int
    kind: str


def last_id(db: pw.Database) -> int:
    """The id of the newest row of the change log (0 if it is empty)."""
    row = db.execute_sql(f"SELECT max(id) FROM {TABLE}").fetchone()
    return int(row[0] or 0)


def changes_after(db: pw.Database, after_id: int, client: str) -> list[LoggedChange]:
    """The rows after ``after_id`` that another client than ``client`` wrote, oldest first."""
    cursor = db.execute_sql(
        f"SELECT id, incident_id, kind FROM {TABLE} WHERE id > {db.param} AND client <> "
        f"{db.param} ORDER BY id",
        (after_id, client),
    )
    return [LoggedChange(int(row[0]), int(row[1]), str(row[2])) for row in cursor.fetchall()]


def prune(db: pw.Database, now: float | None = None) -> None:
    """Delete the rows older than ``KEPT_FOR_S``: a client away longer reloads everything."""
    cutoff = int((time.time() if now is None else now) - KEPT_FOR_S)
    db.execute_sql(f"DELETE FROM {TABLE} WHERE written_at < {db.param}", (cutoff,))


def sqlite_data_version(db: pw.Database) -> int:
    """SQLite's count that moves when another connection commits (``PRAGMA data_version``)."""
    return int(db.execute_sql("PRAGMA data_version").fetchone()[0])


def postgres_channel(schema: str) -> str:
    """The channel the triggers of tables in ``schema`` notify on."""
    return CHANNEL if schema == "public" else f"{CHANNEL}.{schema}"
