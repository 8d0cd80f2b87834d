"""Full-text search over incidents, their timelines and their text attachments: FTS5 on
SQLite, tsvector on PostgreSQL.

Search-box text is never passed to the engine's query syntax: it is cut into words, every
word must match, and the last one matches as a prefix while it is still being typed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import peewee as pw

from incidentdesk.domain.enums import Status
from incidentdesk.domain.keys import parse_key
from incidentdesk.storage import models as m

# The most recent matches kept from each index; a search box needs the best few hundred.
MATCH_LIMIT = 1000
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def search_words(text: str) -> list[str]:
    return [word.lower() for word in _WORD.findall(text)]


def _fts5_query(words: list[str], *, last_is_prefix: bool) -> str:
    terms = [f'"{word}"' for word in words]
    if last_is_prefix:
        terms[-1] += "*"
    return " ".join(terms)


def _tsquery(words: list[str], *, last_is_prefix: bool) -> str:
    terms = list(words)
    if last_is_prefix:
        terms[-1] += ":*"
    return " & ".join(terms)


def matching_incident_ids(database: pw.Database, text: str) -> pw.Node | None:
    """A subquery of the ids of incidents matching ``text``, or None if it has no words."""
    words = search_words(text)
    if not words:
        return None
    last_is_prefix = not text[-1:].isspace()
    if isinstance(database, pw.SqliteDatabase):
        query = _fts5_query(words, last_is_prefix=last_is_prefix)
        sql = (
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
    else:
        query = _tsquery(words, last_is_prefix=last_is_prefix)
        sql = (
            "(SELECT id FROM incident WHERE search_vector @@ to_tsquery('simple', %s) "
            f"ORDER BY id DESC LIMIT {MATCH_LIMIT}) "
            "UNION (SELECT incident_id FROM timeline_entry "
            "WHERE search_vector @@ to_tsquery('simple', %s) "
            f"ORDER BY id DESC LIMIT {MATCH_LIMIT}) "
            "UNION (SELECT incident_id FROM attachment "
            "WHERE search_vector @@ to_tsquery('simple', %s) "
            f"ORDER BY id DESC LIMIT {MATCH_LIMIT})"
        )
    return pw.SQL(f"({sql})", (query, query, query))


def search_condition(database: pw.Database, text: str) -> pw.Node:
    """A WHERE condition for incidents matching ``text`` by words or by key (``INC-42``)."""
    number = parse_key(text)
    key_condition = m.Incident.number == number if number is not None else None
    ids = matching_incident_ids(database, text)
    word_condition = m.Incident.id.in_(ids) if ids is not None else None
    if key_condition is not None and word_condition is not None:
        return key_condition | word_condition
    if key_condition is not None:
        return key_condition
    if word_condition is not None:
        return word_condition
    return pw.SQL("1 = 0")


# Words too common in incident reports to say two reports are about the same thing.
_COMMON_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "from",
        "has",
        "have",
        "in",
        "is",
        "it",
        "of",
        "on",
        "or",
        "the",
        "to",
        "was",
        "were",
        "with",
        "not",
        "no",
        "can",
        "cannot",
        "error",
        "errors",
        "issue",
        "problem",
        "users",
        "user",
        "customers",
    ]
)
MIN_SIMILAR_WORD_LENGTH = 3
MAX_SIMILAR_WORDS = 24


def significant_words(text: str) -> set[str]:
    """The words of ``text`` that say what it is about: not short, not common."""
    return {
        word
        for word in search_words(text)
        if len(word) >= MIN_SIMILAR_WORD_LENGTH and word not in _COMMON_WORDS
    }


def similar_incident_ids(
    database: pw.Database, text: str, statuses: Iterable[Status], limit: int
) -> list[int]:
    """Ids of incidents in ``statuses`` sharing the most words with ``text``, best first."""
    words = sorted(significant_words(text))[:MAX_SIMILAR_WORDS]
    if not words:
        return []
    status_values = [status.value for status in statuses]
    placeholders = ", ".join([database.param] * len(status_values))
    if isinstance(database, pw.SqliteDatabase):
        sql = (
            "SELECT incident.id FROM incident_fts "
            "JOIN incident ON incident.id = incident_fts.rowid "
            f"WHERE incident_fts MATCH ? AND incident.status IN ({placeholders}) "
            "ORDER BY bm25(incident_fts, 3.0, 1.0) LIMIT ?"
        )
        query = " OR ".join(f'"{word}"' for word in words)
    else:
        sql = (
            "SELECT id FROM incident, to_tsquery('simple', %s) AS query "
            f"WHERE search_vector @@ query AND status IN ({placeholders}) "
            "ORDER BY ts_rank(search_vector, query) DESC, id DESC LIMIT %s"
        )
        query = " | ".join(words)
    cursor = database.execute_sql(sql, (query, *status_values, limit))
    return [int(row[0]) for row in cursor.fetchall()]
