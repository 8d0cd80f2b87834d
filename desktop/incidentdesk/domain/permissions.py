"""Who may do what: the one table of roles and capabilities, and the sentence that explains a
refusal. Services check it before they change anything; windows ask it to disable what the
person may not do and to say why on hover.

Every person, staff included, logs incidents, edits them, moves them through their
lifecycle, writes the timeline and the postmortem, and attaches files: those need no check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from incidentdesk.domain.enums import Role


class Capability(StrEnum):
    """What only some roles may do."""

    RERANK = "rerank"
    CORRECT_MILESTONES = "correct_milestones"
    WAIVE_POSTMORTEM = "waive_postmortem"
    EDIT_CATALOGS = "edit_catalogs"
    MANAGE_PEOPLE = "manage_people"
    CHANGE_TEAM_SETTINGS = "change_team_settings"


# The least role that has each capability; a higher role has what a lower one has.
MINIMUM_ROLE: dict[Capability, Role] = {
    Capability.RERANK: Role.LEAD,
    Capability.CORRECT_MILESTONES: Role.LEAD,
    Capability.WAIVE_POSTMORTEM: Role.LEAD,
    Capability.EDIT_CATALOGS: Role.LEAD,
    Capability.MANAGE_PEOPLE: Role.ADMIN,
    Capability.CHANGE_TEAM_SETTINGS: Role.ADMIN,
}
_ORDER = (Role.STAFF, Role.LEAD, Role.ADMIN)

# What the capability lets one do, as the end of "Only a lead or an admin can …".
_DOING = {
    Capability.RERANK: "re-rank incidents on the board",
    Capability.CORRECT_MILESTONES: "correct milestone times",
    Capability.WAIVE_POSTMORTEM: "waive a postmortem",
    Capability.EDIT_CATALOGS: "change the catalogs (services, categories, teams)",
    Capability.MANAGE_PEOPLE: "add people or change their role and team",
    Capability.CHANGE_TEAM_SETTINGS: (
        "change the team's settings (priority matrix, SLA targets, limits)"
    ),
}
_WHO = {Role.LEAD: "a lead or an admin", Role.ADMIN: "an admin"}


@dataclass(frozen=True)
class Permission:
    """Whether the person may do it; ``reason`` says why not (empty when allowed)."""

    allowed: bool
    reason: str = ""


def has(role: Role | None, capability: Capability) -> bool:
    return role is not None and _ORDER.index(role) >= _ORDER.index(MINIMUM_ROLE[capability])


def decide(role: Role | None, capability: Capability, deciders: Sequence[str] = ()) -> Permission:
    """May someone of ``role`` (None: no person of this database) do it? ``deciders`` are
    the names of the people who may, to say whom to ask."""
    if has(role, capability):
        return Permission(True)
    needed = MINIMUM_ROLE[capability]
    who = _WHO[needed]
    you = f"you are {role.value}" if role is not None else "you are not one of its people"
    if deciders:
        shown = ", ".join(deciders[:3]) + (" or another" if len(deciders) > 3 else "")
        ask = f"ask {shown} to do it"
    else:
        ask = f"ask {who} of this database to do it"
    if capability in (Capability.RERANK, Capability.CORRECT_MILESTONES):
        ask += f", or to make you a {Role.LEAD.value}"
    return Permission(False, f"Only {who} can {_DOING[capability]}, and {you}; {ask}.")
