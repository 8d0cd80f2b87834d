"""Any text typed into an incident is either stored exactly or refused naming its field.

Property-based: Hypothesis draws text from every Unicode category (lone surrogates, NUL,
control characters, unassigned code points) and lengths around the limits; the oracle below
restates the rules independently of the validator.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incidentdesk.domain.incident import IncidentDraft
from incidentdesk.domain.validation import (
    DESCRIPTION_MAX_LENGTH,
    SHORT_TEXT_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    ValidationFailed,
)
from incidentdesk.services.desk import Desk, open_desk
from incidentdesk.services.incidents import IncidentQuery
from tests.conftest import postgres_schema
from tests.factories import make_draft

LIMITS = {
    "title": TITLE_MAX_LENGTH,
    "description": DESCRIPTION_MAX_LENGTH,
    "source_name": SHORT_TEXT_MAX_LENGTH,
    "source_contact": SHORT_TEXT_MAX_LENGTH,
}
ALLOWED_CONTROLS = {"\t", "\n", "\r"}

# Every code point, surrogates included (Hypothesis leaves them out unless told).
any_character = st.characters(exclude_categories=())
# Mostly ordinary text, so that many examples are stored rather than refused.
friendly_character = st.one_of(
    st.characters(categories=["L", "M", "N", "P", "S", "Zs"]),
    st.sampled_from(["\t", "\n", "\r", " ", "é", "😀", "\u200b", "\ufeff", "\x85"]),
)
short_text = st.text(st.one_of(friendly_character, any_character), max_size=40)
near_limit_text = st.builds(
    lambda piece, size: (piece * (size // len(piece) + 1))[:size],
    st.text(friendly_character, min_size=1, max_size=5),
    st.sampled_from([TITLE_MAX_LENGTH - 1, TITLE_MAX_LENGTH, TITLE_MAX_LENGTH + 1]),
)
big_text = st.builds(
    lambda piece, size: (piece * (size // len(piece) + 1))[:size],
    st.text(friendly_character, min_size=1, max_size=5),
    st.sampled_from([100_000, DESCRIPTION_MAX_LENGTH, DESCRIPTION_MAX_LENGTH + 1]),
)
single_line_text = st.one_of(short_text, near_limit_text)
description_text = st.one_of(short_text, near_limit_text, big_text)


def broken_rules(field: str, text: str) -> bool:
    """True if ``text`` must be refused in ``field``: the rules restated for the oracle."""
    multiline = field == "description"
    return (
        len(text) > LIMITS[field]
        or "\x00" in text
        or any("\ud800" <= char <= "\udfff" for char in text)
        or any(
            (ord(char) < 32 or ord(char) == 127) and char not in ALLOWED_CONTROLS for char in text
        )
        or (not multiline and ("\n" in text or "\r" in text))
        or (field == "title" and not text.strip())
    )


# One database per engine for all examples (a fresh one per example would be too slow). The
# fixtures are class-scoped because the models follow the most recently opened database: each
# class opens its own when it starts and closes it when it ends.
@pytest.fixture(scope="class")
def sqlite_class_desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    desk = open_desk(f"sqlite:///{tmp_path_factory.mktemp('text') / 'incidents.db'}", login="t")
    yield desk
    desk.close()


@pytest.fixture(scope="class")
def postgres_class_desk() -> Iterator[Desk]:
    with postgres_schema() as address:
        desk = open_desk(address, login="tester")
        yield desk
        desk.close()


def check_round_trip(desk: Desk, draft: IncidentDraft) -> None:
    expected_refusals = {field for field in LIMITS if broken_rules(field, getattr(draft, field))}
    if expected_refusals:
        # Refused, and nothing but ValidationFailed: any other exception fails the test.
        with pytest.raises(ValidationFailed) as refused:
            desk.incidents.create(draft, desk.actor_id)
        assert {error.field for error in refused.value.errors} == expected_refusals
        assert all(error.message for error in refused.value.errors)
        return
    incident = desk.incidents.create(draft, desk.actor_id)
    stored = desk.incidents.get(incident.id)
    assert stored.draft == draft
    assert desk.incidents.rows(IncidentQuery(text=stored.key))[0].title == draft.title


def check_search_answers(desk: Desk, text: str) -> None:
    query = IncidentQuery(text=text)
    rows = desk.incidents.rows(query, limit=10_000)
    assert desk.incidents.count(query) == len(rows)


texts = {
    "title": single_line_text,
    "description": description_text,
    "source_name": single_line_text,
    "source_contact": short_text,
}
search_text = st.text(any_character, max_size=30)


class TestOnSqlite:
    @given(**texts)
    def test_text_is_stored_exactly_or_refused(
        self,
        sqlite_class_desk: Desk,
        title: str,
        description: str,
        source_name: str,
        source_contact: str,
    ) -> None:
        draft = make_draft(
            title=title,
            description=description,
            source_name=source_name,
            source_contact=source_contact,
        )
        check_round_trip(sqlite_class_desk, draft)

    @given(text=search_text)
    def test_any_search_text_is_answered(self, sqlite_class_desk: Desk, text: str) -> None:
        check_search_answers(sqlite_class_desk, text)


@pytest.mark.postgres
class TestOnPostgres:
    @settings(max_examples=25)
    @given(**texts)
    def test_text_is_stored_exactly_or_refused(
        self,
        postgres_class_desk: Desk,
        title: str,
        description: str,
        source_name: str,
        source_contact: str,
    ) -> None:
        draft = make_draft(
            title=title,
            description=description,
            source_name=source_name,
            source_contact=source_contact,
        )
        check_round_trip(postgres_class_desk, draft)

    @settings(max_examples=25)
    @given(text=search_text)
    def test_any_search_text_is_answered(self, postgres_class_desk: Desk, text: str) -> None:
        check_search_answers(postgres_class_desk, text)


def test_a_100_kb_description_with_every_allowed_control_character_round_trips(
    desk: Desk,
) -> None:
    description = ("Zeile ü 😀 \t\r\n\x85\u2028 \u202e " * 6000)[:100_000]
    draft = make_draft(description=description, title="Straße 😀 — “quotes” \u202e")
    incident = desk.incidents.create(draft, desk.actor_id)
    assert len(description) == 100_000
    assert desk.incidents.get(incident.id).draft == draft
