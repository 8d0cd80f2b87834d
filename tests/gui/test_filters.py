"""The board's and the list's filters: each one narrows what the others leave."""

from __future__ import annotations

from incidentdesk.services.incidents import IncidentQuery
from incidentdesk.ui.filter_bar import NOBODY, Filters, Me, apply_filters

ME = Me(person_id=7, team_id=3)


def test_mine_is_my_incidents() -> None:
    query = apply_filters(IncidentQuery(), Filters(mine=True), ME)
    assert query.assignee_ids == frozenset({7})


def test_mine_and_someone_else_match_nothing() -> None:
    query = apply_filters(IncidentQuery(), Filters(mine=True, assignee_id=9), ME)
    assert query.assignee_ids == NOBODY


def test_mine_and_myself_as_assignee_are_mine() -> None:
    query = apply_filters(IncidentQuery(), Filters(mine=True, assignee_id=7), ME)
    assert query.assignee_ids == frozenset({7})


def test_my_team_without_a_team_matches_nothing() -> None:
    query = apply_filters(IncidentQuery(), Filters(my_team=True), Me(person_id=7, team_id=None))
    assert query.team_ids == NOBODY


def test_no_filters_leave_the_query_open() -> None:
    query = apply_filters(IncidentQuery(), Filters(), ME)
    assert (query.assignee_ids, query.team_ids, query.severities) == (
        frozenset(),
        frozenset(),
        frozenset(),
    )
