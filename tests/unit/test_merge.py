"""Two people edit one incident or its postmortem: the refused save says what each side
changed, the clashes are only the fields both changed differently, and the merge keeps both
sides' work."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from incidentdesk.domain.enums import Severity
from incidentdesk.domain.incident import IncidentDraft
from incidentdesk.services.desk import Desk
from incidentdesk.services.errors import EditConflict
from incidentdesk.services.merge import (
    clashes,
    merged_draft,
    merged_postmortem,
    postmortem_clashes,
)
from incidentdesk.services.postmortems import PostmortemChanged, PostmortemText, PostmortemView
from tests.factories import make_draft


def refused_save(desk: Desk) -> tuple[EditConflict, IncidentDraft, IncidentDraft]:
    incident = desk.incidents.create(
        make_draft(title="Search is slow", severity=Severity.SEV3), desk.actor_id
    )
    base = incident.draft
    desk.incidents.update(
        incident.id,
        replace(base, severity=Severity.SEV2, description="Frankfurt too"),
        incident.version,
        None,
        base=base,
    )
    mine = replace(base, title="Search is slow in the EU", severity=Severity.SEV4)
    with pytest.raises(EditConflict) as refused:
        desk.incidents.update(incident.id, mine, incident.version, desk.actor_id, base=base)
    return refused.value, base, mine


def test_only_the_fields_both_changed_differently_clash(desk: Desk) -> None:
    conflict, _, _ = refused_save(desk)
    assert {change.field for change in conflict.my_changes} == {"title", "severity"}
    assert [
        (clash.field, clash.original, clash.mine, clash.theirs) for clash in clashes(conflict)
    ] == [("severity", "SEV3", "SEV4", "SEV2")]


@pytest.mark.parametrize(
    ("keep_mine", "severity"), [((), Severity.SEV2), (("severity",), Severity.SEV4)]
)
def test_the_merge_keeps_both_sides_and_saves_as_chosen(
    desk: Desk, keep_mine: tuple[str, ...], severity: Severity
) -> None:
    conflict, base, mine = refused_save(desk)
    current = conflict.current
    merged = merged_draft(base, mine, current.draft, keep_mine)
    saved, _ = desk.incidents.update(
        current.id, merged, current.version, desk.actor_id, base=current.draft
    )
    assert saved.title == "Search is slow in the EU"  # mine alone
    assert saved.draft.description == "Frankfurt too"  # theirs alone
    assert saved.draft.severity is severity  # the clash, as chosen


def postmortem_conflict(theirs: PostmortemText) -> PostmortemChanged:
    view = PostmortemView(1, theirs, 2, datetime(2026, 12, 1, tzinfo=UTC), "", "", [], [])
    return PostmortemChanged(view, "Priya", datetime(2026, 12, 1, 9, 30, tzinfo=UTC))


def test_postmortem_sections_both_changed_clash_and_the_others_merge() -> None:
    base = PostmortemText(summary="Checkout failed.", root_cause="Unknown.")
    mine = replace(base, root_cause="A connection leak.", impact="EU customers.")
    theirs = replace(base, root_cause="A bad deploy.", went_well="Paging worked.")
    conflict = postmortem_conflict(theirs)

    (clash,) = postmortem_clashes(base, mine, conflict)
    assert (clash.field, clash.label) == ("root_cause", "Root cause")
    assert (clash.original, clash.mine, clash.theirs) == (
        "Unknown.",
        "A connection leak.",
        "A bad deploy.",
    )
    assert clash.changed_by == "Priya"

    kept_theirs = merged_postmortem(base, mine, theirs, keep_mine=set())
    assert kept_theirs == replace(theirs, impact="EU customers.")
    kept_mine = merged_postmortem(base, mine, theirs, keep_mine={"root_cause"})
    assert kept_mine == replace(theirs, impact="EU customers.", root_cause="A connection leak.")


def test_the_same_change_on_both_sides_is_no_clash() -> None:
    base = PostmortemText(summary="Checkout failed.")
    same = replace(base, summary="Checkout failed for 40 minutes.")
    assert postmortem_clashes(base, same, postmortem_conflict(same)) == []
    assert merged_postmortem(base, same, same, keep_mine=set()) == same
