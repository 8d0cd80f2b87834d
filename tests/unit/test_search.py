"""Full-text search on both engines: words anywhere in an incident or its timeline, keys,
prefixes while typing, and search-box text that would break the engines' query syntax."""

from __future__ import annotations

from typing import Any

import pytest

from incidentdesk.domain.enums import EntryKind, Status
from incidentdesk.domain.timeline import NewEntry
from incidentdesk.services.desk import Desk
from incidentdesk.services.incidents import IncidentQuery
from incidentdesk.storage import models as m
from tests.factories import make_draft, minutes_ago


@pytest.fixture
def searchable(desk: Desk) -> Desk:
    """INC-1 … INC-4 with distinct words in title, description and timeline."""
    create = desk.incidents.create
    create(
        make_draft(
            title="Checkout latency above 4 s",
            description="The payment provider times out for card payments.",
        ),
        desk.actor_id,
    )
    create(
        make_draft(title="VPN drops every hour", description="Users in the Berlin office."),
        desk.actor_id,
    )
    third = create(make_draft(title="Disk nearly full", description=""), desk.actor_id)
    desk.timeline.append(
        third.id,
        NewEntry(EntryKind.ACTION_TAKEN, "Rotated the nginx logs on edge-lb-2", minutes_ago(5)),
        desk.actor_id,
    )
    create(make_draft(title="Café menu shows wrong prices", description="Straße"), desk.actor_id)
    return desk


def keys(desk: Desk, text: str, **query: Any) -> list[str]:
    found = desk.incidents.rows(IncidentQuery(text=text, **query), limit=1000)
    assert desk.incidents.count(IncidentQuery(text=text, **query)) == len(found)
    return sorted(row.key for row in found)


FINDS = [
    ("latency", ["INC-1"]),  # a word of the title
    ("payment", ["INC-1"]),  # a word of the description
    ("nginx", ["INC-3"]),  # a word of a timeline entry
    ("edge", ["INC-3"]),
    ("CHECKOUT", ["INC-1"]),  # any case
    ("berl", ["INC-2"]),  # the last word matches as a prefix while typing
    ("vpn drops", ["INC-2"]),  # every word must match
    ("drops vpn", ["INC-2"]),  # in any order
    ("latency vpn", []),
    ("check", ["INC-1"]),
    ("check ", []),  # a space ends the word: no longer a prefix
    ("checkout ", ["INC-1"]),
    ("pay latency", []),  # only the last word is a prefix
    ("café", ["INC-4"]),
    ("CAFÉ", ["INC-4"]),
    ("straße", ["INC-4"]),
    ("INC-2", ["INC-2"]),  # a key
    ("inc-3", ["INC-3"]),
    ("INC4", ["INC-4"]),
    ("  INC-1  ", ["INC-1"]),
    ("INC-42", []),  # a key that does not exist
    ("4", ["INC-1"]),  # "4 s" in the title
    ("zzz", []),
]


def test_search_finds_words_prefixes_and_keys(searchable: Desk) -> None:
    for text, expected in FINDS:
        assert keys(searchable, text) == expected, text


SYNTAX_BREAKERS = [
    '"',
    '""',
    "*",
    "-",
    "'",
    "(",
    ")",
    "AND (",
    "NEAR(",
    "NEAR(a b, 2)",
    '"unterminated',
    "title:",
    ":*",
    "&",
    "|",
    "!",
    "!!",
    "<->",
    "^",
    "+",
    "%",
    "_",
    "\\",
    "{}",
    "?",
    ";--",
    "'; DROP TABLE incident; --",
]


def test_search_text_that_would_break_the_query_syntax_never_raises(searchable: Desk) -> None:
    for text in SYNTAX_BREAKERS:
        found = keys(searchable, text)
        if not any(char.isalnum() for char in text):
            assert found == [], text  # punctuation alone matches nothing
    assert keys(searchable, "NEAR(") == ["INC-3"]  # "near" is a word: a prefix of "nearly"
    assert m.Incident.select().count() == 4  # and nothing was harmed


SEPARATED = [
    ('"vpn', ["INC-2"]),
    ("vpn*", ["INC-2"]),
    ("-vpn", ["INC-2"]),
    ("vpn:*", ["INC-2"]),
    ("(vpn)", ["INC-2"]),
    ("title:vpn", []),  # "title" is just another word that must match
    ("vpn OR disk", []),  # no operators: "or" is a word too
    ("vpn & drops", ["INC-2"]),
    ("vpn | drops", ["INC-2"]),
    ("edge-lb-2", ["INC-3"]),
    ("nginx's", []),
]


def test_operators_in_search_text_are_treated_as_separators(searchable: Desk) -> None:
    for text, expected in SEPARATED:
        assert keys(searchable, text) == expected, text


def test_search_combines_with_filters(searchable: Desk) -> None:
    m.Incident.update(status=Status.CLOSED.value).where(m.Incident.number == 1).execute()
    assert keys(searchable, "latency", statuses=frozenset({Status.CLOSED})) == ["INC-1"]
    assert keys(searchable, "latency", statuses=frozenset({Status.LOGGED})) == []


def test_edits_are_searchable_at_once(searchable: Desk) -> None:
    incident = searchable.incidents.get_by_number(2)
    searchable.incidents.update(
        incident.id,
        make_draft(title="Wireless outage", reported_at=incident.draft.reported_at),
        incident.version,
        searchable.actor_id,
        base=incident.draft,
    )
    assert keys(searchable, "wireless") == ["INC-2"]
    assert keys(searchable, "berlin") == []  # the description was emptied
    searchable.timeline.append(
        incident.id,
        NewEntry(EntryKind.NOTE, "Access point firmware rolled back", minutes_ago(1)),
        searchable.actor_id,
    )
    assert keys(searchable, "firmware") == ["INC-2"]
