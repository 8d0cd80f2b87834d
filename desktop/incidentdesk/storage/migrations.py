"""Numbered schema migrations; the database records the version it is at.

Migration 1 creates the tables from the current models, so a new database already has the
columns that later migrations add: each later migration adds a column only where it is
missing, and creates what it adds only if absent, so that a database created at any version
upgrades to the same schema.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import peewee as pw

from incidentdesk.domain.enums import DEFAULT_CATEGORIES
from incidentdesk.storage import change_log
from incidentdesk.storage import models as m
from incidentdesk.storage.settings_schema import DEFAULT_SETTINGS

APPLICATION_MARK = "incidentdesk"
INCIDENT_NUMBER_COUNTER = "incident_number"

# FTS5 over incidents and timeline entries, kept in step by triggers so every write path
# (the program, the demo generator, a future import) updates the index.
_SQLITE_SEARCH = (
    """CREATE VIRTUAL TABLE incident_fts USING fts5(
        title, description, content='incident', content_rowid='id',
        tokenize="unicode61 remove_diacritics 2")""",
    """CREATE TRIGGER incident_fts_insert AFTER INSERT ON incident BEGIN
        INSERT INTO incident_fts(rowid, title, description)
        VALUES (new.id, new.title, new.description);
    END""",
    """CREATE TRIGGER incident_fts_delete AFTER DELETE ON incident BEGIN
        INSERT INTO incident_fts(incident_fts, rowid, title, description)
        VALUES ('delete', old.id, old.title, old.description);
    END""",
    """CREATE TRIGGER incident_fts_update AFTER UPDATE OF title, description ON incident BEGIN
        INSERT INTO incident_fts(incident_fts, rowid, title, description)
        VALUES ('delete', old.id, old.title, old.description);
        INSERT INTO incident_fts(rowid, title, description)
        VALUES (new.id, new.title, new.description);
    END""",
    """CREATE VIRTUAL TABLE timeline_entry_fts USING fts5(
        body, content='timeline_entry', content_rowid='id',
        tokenize="unicode61 remove_diacritics 2")""",
    """CREATE TRIGGER timeline_entry_fts_insert AFTER INSERT ON timeline_entry BEGIN
        INSERT INTO timeline_entry_fts(rowid, body) VALUES (new.id, new.body);
    END""",
    """CREATE TRIGGER timeline_entry_fts_delete AFTER DELETE ON timeline_entry BEGIN
        INSERT INTO timeline_entry_fts(timeline_entry_fts, rowid, body)
        VALUES ('delete', old.id, old.body);
    END""",
    """CREATE TRIGGER timeline_entry_fts_update AFTER UPDATE OF body ON timeline_entry BEGIN
        INSERT INTO timeline_entry_fts(timeline_entry_fts, rowid, body)
        VALUES ('delete', old.id, old.body);
        INSERT INTO timeline_entry_fts(rowid, body) VALUES (new.id, new.body);
    END""",
)

# The 'simple' configuration matches FTS5's unicode61 tokenizer: words, no stemming.
_POSTGRES_SEARCH = (
    """ALTER TABLE incident ADD COLUMN search_vector tsvector GENERATED ALWAYS AS
        (to_tsvector('simple', title || ' ' || description)) STORED""",
    "CREATE INDEX incident_search_vector ON incident USING GIN (search_vector)",
    """ALTER TABLE timeline_entry ADD COLUMN search_vector tsvector GENERATED ALWAYS AS
        (to_tsvector('simple', body)) STORED""",
    "CREATE INDEX timeline_entry_search_vector ON timeline_entry USING GIN (search_vector)",
)

_SQLITE_ATTACHMENT_SEARCH = (
    """CREATE VIRTUAL TABLE IF NOT EXISTS attachment_fts USING fts5(
        text_content, content='attachment', content_rowid='id',
        tokenize="unicode61 remove_diacritics 2")""",
    """CREATE TRIGGER IF NOT EXISTS attachment_fts_insert AFTER INSERT ON attachment BEGIN
        INSERT INTO attachment_fts(rowid, text_content) VALUES (new.id, new.text_content);
    END""",
    """CREATE TRIGGER IF NOT EXISTS attachment_fts_delete AFTER DELETE ON attachment BEGIN
        INSERT INTO attachment_fts(attachment_fts, rowid, text_content)
        VALUES ('delete', old.id, old.text_content);
    END""",
    """CREATE TRIGGER IF NOT EXISTS attachment_fts_update AFTER UPDATE OF text_content
        ON attachment BEGIN
        INSERT INTO attachment_fts(attachment_fts, rowid, text_content)
        VALUES ('delete', old.id, old.text_content);
        INSERT INTO attachment_fts(rowid, text_content) VALUES (new.id, new.text_content);
    END""",
    "INSERT INTO attachment_fts(attachment_fts) VALUES ('rebuild')",
)
_POSTGRES_ATTACHMENT_SEARCH = (
    """ALTER TABLE attachment ADD COLUMN IF NOT EXISTS search_vector tsvector GENERATED ALWAYS
        AS (to_tsvector('simple', text_content)) STORED""",
    """CREATE INDEX IF NOT EXISTS attachment_search_vector ON attachment
        USING GIN (search_vector)""",
)

SEARCH_TABLES_SQLITE = ("incident_fts", "timeline_entry_fts", "attachment_fts")


def _create_initial_schema(db: pw.Database) -> None:
    db.create_tables(m.ALL_MODELS)
    statements = _SQLITE_SEARCH if isinstance(db, pw.SqliteDatabase) else _POSTGRES_SEARCH
    for statement in statements:
        db.execute_sql(statement)
    m.SchemaInfo.create(key="application", value=APPLICATION_MARK)
    m.Counter.create(name=INCIDENT_NUMBER_COUNTER, value=0)
    m.Setting.insert_many(
        [{"key": key, "value": json.dumps(value)} for key, value in DEFAULT_SETTINGS.items()]
    ).execute()
    m.Category.insert_many(
        [{"name": name, "position": index} for index, name in enumerate(DEFAULT_CATEGORIES)]
    ).execute()


def _index_attachment_text(db: pw.Database) -> None:
    if "text_content" not in {column.name for column in db.get_columns("attachment")}:
        db.execute_sql("ALTER TABLE attachment ADD COLUMN text_content TEXT NOT NULL DEFAULT ''")
    sqlite = isinstance(db, pw.SqliteDatabase)
    for statement in _SQLITE_ATTACHMENT_SEARCH if sqlite else _POSTGRES_ATTACHMENT_SEARCH:
        db.execute_sql(statement)


def _add_postmortems(db: pw.Database) -> None:
    db.create_tables([m.Postmortem, m.ActionItem], safe=True)


# Search-as-you-type matches the last word as a prefix; without these indexes FTS5 scans
# every term starting with a one- or two-letter prefix (100-300 ms at 100,000 incidents).
_SQLITE_PREFIX_INDEXED = {
    "incident_fts": ("title, description", "incident"),
    "timeline_entry_fts": ("body", "timeline_entry"),
    "attachment_fts": ("text_content", "attachment"),
}


def _index_prefixes(db: pw.Database) -> None:
    if not isinstance(db, pw.SqliteDatabase):
        return  # PostgreSQL's GIN index answers prefix queries (word:*) as they are
    for table, (columns, content) in _SQLITE_PREFIX_INDEXED.items():
        db.execute_sql(f"DROP TABLE IF EXISTS {table}")
        db.execute_sql(
            f"CREATE VIRTUAL TABLE {table} USING fts5({columns}, content='{content}', "
            "content_rowid='id', prefix='1 2', tokenize=\"unicode61 remove_diacritics 2\")"
        )
        db.execute_sql(f"INSERT INTO {table}({table}) VALUES ('rebuild')")


DATABASE_ID_KEY = "database_id"


def _give_identity(db: pw.Database) -> None:
    """A random id kept in the database itself: what is tied to one database (a form's draft)
    can tell it from another that has the same incident numbers."""
    m.SchemaInfo.insert(key=DATABASE_ID_KEY, value=uuid.uuid4().hex).on_conflict_ignore().execute()


# Monitoring's usual severity labels (Alertmanager/Grafana ``severity``, PagerDuty's four
# values) and the severity they give an incident; anything else is SEV3.
DEFAULT_SEVERITY_RULES = (
    ("critical", 1),
    ("error", 2),
    ("high", 2),
    ("warning", 3),
    ("info", 4),
)


def _add_intake(db: pw.Database) -> None:
    db.create_tables([m.IntakeRule, m.IntakeAlert, m.IntakeRequest], safe=True)
    if not m.IntakeRule.select().exists():
        m.IntakeRule.insert_many(
            [
                {"position": index, "label": "severity", "value": value, "severity": severity}
                for index, (value, severity) in enumerate(DEFAULT_SEVERITY_RULES)
            ]
        ).execute()


def _record_setting_changes(db: pw.Database) -> None:
    db.create_tables([m.SettingChange], safe=True)


def _remember_applied_writes(db: pw.Database) -> None:
    db.create_tables([m.AppliedWrite], safe=True)


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[pw.Database], None]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1, "tables, full-text search, default settings and categories", _create_initial_schema
    ),
    Migration(2, "full-text search in text and log attachments", _index_attachment_text),
    Migration(3, "postmortems and their action items", _add_postmortems),
    Migration(4, "prefix indexes for search as you type", _index_prefixes),
    Migration(5, "an identity of its own for the database", _give_identity),
    Migration(6, "alerts from monitoring: intake rules, alerts and requests", _add_intake),
    Migration(7, "a record of who changed the team's settings", _record_setting_changes),
    Migration(8, "a log of changes for other clients to follow", change_log.create),
    Migration(
        9, "the ids of saves, so that a save sent again is applied once", _remember_applied_writes
    ),
)
LATEST_VERSION = MIGRATIONS[-1].version


def read_version(db: pw.Database) -> int:
    """The schema version recorded in the database, 0 if it has no Incident Desk tables."""
    if "schema_info" not in db.get_tables():
        return 0
    with m.bound_to(db):
        row = m.SchemaInfo.get_or_none(m.SchemaInfo.key == "version")
    return int(row.value) if row else 0


def read_database_id(db: pw.Database) -> str:
    """The database's identity (given by migration 5); empty if it has none."""
    with m.bound_to(db):
        row = m.SchemaInfo.get_or_none(m.SchemaInfo.key == DATABASE_ID_KEY)
    return str(row.value) if row else ""


def pending_migrations(current_version: int) -> list[Migration]:
    return [migration for migration in MIGRATIONS if migration.version > current_version]


def apply_migrations(db: pw.Database, current_version: int) -> list[Migration]:
    """Apply every migration after ``current_version``, each in its own transaction."""
    applied = []
    for migration in pending_migrations(current_version):
        with m.bound_to(db), db.atomic():
            migration.apply(db)
            m.SchemaInfo.insert(key="version", value=str(migration.version)).on_conflict(
                conflict_target=[m.SchemaInfo.key],
                update={m.SchemaInfo.value: str(migration.version)},
            ).execute()
        applied.append(migration)
    return applied
