"""Two people edited one incident or its postmortem: what clashes, and what results from a
merge.

A field (a section of a postmortem) only one side changed is taken from that side; one both
changed to different values is a clash the person decides. Their edit is the base, so saving
the merge writes only the fields where this person's value was kept."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from incidentdesk.domain.incident import IncidentDraft
from incidentdesk.services.errors import EditConflict
from incidentdesk.services.incidents import edited_columns, with_columns
from incidentdesk.services.postmortems import SECTION_LABELS, PostmortemChanged, PostmortemText


@dataclass(frozen=True)
class Clash:
    """A field both people changed, in the words of the timeline."""

    field: str  # the column
    label: str
    original: str
    mine: str
    theirs: str
    changed_by: str  # who saved theirs, where known
    changed_at: datetime | None


def clashes(conflict: EditConflict) -> list[Clash]:
    """The fields both changed, to different values; the others merge by themselves."""
    mine = {change.field: change for change in conflict.my_changes}
    return [
        Clash(
            field=theirs.field,
            label=theirs.label,
            original=theirs.old,
            mine=mine[theirs.field].new,
            theirs=theirs.new,
            changed_by=theirs.changed_by,
            changed_at=theirs.changed_at,
        )
        for theirs in conflict.their_changes
        if theirs.field in mine and mine[theirs.field].new != theirs.new
    ]


def merged_draft(
    base: IncidentDraft, mine: IncidentDraft, theirs: IncidentDraft, keep_mine: Iterable[str]
) -> IncidentDraft:
    """``theirs`` with this person's edits (their changes from ``base``) put over it: every
    field they alone changed, and the clashing fields named in ``keep_mine``."""
    kept = set(keep_mine)
    their_fields = edited_columns(base, theirs)
    my_fields = {
        name: value
        for name, value in edited_columns(base, mine).items()
        if name not in their_fields or name in kept
    }
    return with_columns(theirs, my_fields)


def postmortem_clashes(
    base: PostmortemText, mine: PostmortemText, conflict: PostmortemChanged
) -> list[Clash]:
    """The sections both changed from ``base``, to different texts."""
    theirs = conflict.current.text
    return [
        Clash(
            field=name,
            label=label,
            original=getattr(base, name),
            mine=getattr(mine, name),
            theirs=getattr(theirs, name),
            changed_by=conflict.changed_by,
            changed_at=conflict.changed_at,
        )
        for name, label in SECTION_LABELS.items()
        if getattr(base, name)
        != getattr(mine, name)
        != getattr(theirs, name)
        != getattr(base, name)
    ]


def merged_postmortem(
    base: PostmortemText, mine: PostmortemText, theirs: PostmortemText, keep_mine: Iterable[str]
) -> PostmortemText:
    """``theirs`` with the sections this person changed from ``base`` put over it, where
    they did not change them too or the person chose to keep theirs (``keep_mine``)."""
    kept = set(keep_mine)
    return replace(
        theirs,
        **{
            name: getattr(mine, name)
            for name in SECTION_LABELS
            if getattr(mine, name) != getattr(base, name)
            and (getattr(theirs, name) == getattr(base, name) or name in kept)
        },
    )
