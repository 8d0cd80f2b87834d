"""Counts agree with their nouns."""

from __future__ import annotations

import pytest

from incidentdesk.domain.counts import counted


@pytest.mark.parametrize(
    ("number", "at_least", "text"),
    [
        (0, False, "0 incidents match"),
        (1, False, "1 incident matches"),
        (2, False, "2 incidents match"),
        (1000, True, "1,000+ incidents match"),
        (1, True, "1+ incidents match"),
    ],
)
def test_a_count_agrees_with_its_noun(number: int, at_least: bool, text: str) -> None:
    assert counted(number, "incident matches", "incidents match", at_least=at_least) == text


def test_the_plural_is_the_singular_with_an_s_unless_given() -> None:
    assert counted(1, "open incident") == "1 open incident"
    assert counted(12_345, "open incident") == "12,345 open incidents"
    assert counted(3, "entry", "entries") == "3 entries"
