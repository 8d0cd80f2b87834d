"""The incident lifecycle as a table: which step is allowed from which status, and why not.

logged → triaged → investigating → recovered → postmortem → closed, plus cancelled; minor
incidents may close straight from recovered; closed and cancelled incidents can be reopened.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from incidentdesk.domain.enums import Severity, Status


class Step(StrEnum):
    TRIAGE = "triage"
    ACKNOWLEDGE = "acknowledge"
    ESCALATE = "escalate"
    RECOVER = "recover"
    START_POSTMORTEM = "start_postmortem"
    CLOSE = "close"
    CANCEL = "cancel"
    REOPEN = "reopen"

    @property
    def label(self) -> str:
        return _STEP_LABELS[self]


_STEP_LABELS = {
    Step.TRIAGE: "Mark Triaged",
    Step.ACKNOWLEDGE: "Acknowledge",
    Step.ESCALATE: "Escalate",
    Step.RECOVER: "Recovered",
    Step.START_POSTMORTEM: "Start Postmortem",
    Step.CLOSE: "Close Incident",
    Step.CANCEL: "Cancel Incident",
    Step.REOPEN: "Reopen",
}

# Steps that need a note: what was repaired, why it is escalated, cancelled or reopened.
NOTE_REQUIRED: dict[Step, str] = {
    Step.RECOVER: "Say what was repaired.",
    Step.CANCEL: "Say why the incident is cancelled.",
    Step.REOPEN: "Say why the incident is reopened.",
    Step.ESCALATE: "Say why it is escalated.",
}

_ACTIVE = (Status.LOGGED, Status.TRIAGED, Status.INVESTIGATING)
_OPEN = (*_ACTIVE, Status.RECOVERED, Status.POSTMORTEM)

# (step, from status) → the status after the step. Escalating keeps an investigation going.
TRANSITIONS: dict[tuple[Step, Status], Status] = {
    (Step.TRIAGE, Status.LOGGED): Status.TRIAGED,
    **{
        (Step.ACKNOWLEDGE, status): Status.INVESTIGATING
        for status in (Status.LOGGED, Status.TRIAGED)
    },
    **{(Step.ESCALATE, status): Status.INVESTIGATING for status in _ACTIVE},
    **{(Step.RECOVER, status): Status.RECOVERED for status in _ACTIVE},
    (Step.START_POSTMORTEM, Status.RECOVERED): Status.POSTMORTEM,
    (Step.CLOSE, Status.RECOVERED): Status.CLOSED,
    (Step.CLOSE, Status.POSTMORTEM): Status.CLOSED,
    **{(Step.CANCEL, status): Status.CANCELLED for status in _OPEN},
    (Step.REOPEN, Status.RECOVERED): Status.INVESTIGATING,
    (Step.REOPEN, Status.CLOSED): Status.INVESTIGATING,
    (Step.REOPEN, Status.CANCELLED): Status.INVESTIGATING,
}

_WHY_NOT: dict[Step, str] = {
    Step.TRIAGE: "Only a newly logged incident is triaged.",
    Step.ACKNOWLEDGE: "The incident has been acknowledged already.",
    Step.ESCALATE: "Only an incident still being worked on can be escalated.",
    Step.RECOVER: "Only an incident still being worked on can be marked recovered.",
    Step.START_POSTMORTEM: "A postmortem starts once the incident has recovered.",
    Step.CLOSE: "Only a recovered incident can be closed.",
    Step.CANCEL: "Only an open incident can be cancelled.",
    Step.REOPEN: "Only a recovered, closed or cancelled incident can be reopened.",
}


@dataclass(frozen=True)
class PostmortemState:
    """What closing a major incident depends on."""

    has_root_cause: bool = False
    action_items: int = 0
    waived: bool = False  # a lead waived the postmortem, with a reason


@dataclass(frozen=True)
class Decision:
    allowed: bool
    target: Status | None
    reason: str  # why not; empty when allowed


def decide(
    step: Step,
    status: Status,
    severity: Severity,
    postmortem: PostmortemState = PostmortemState(),
) -> Decision:
    """Whether ``step`` may be taken from ``status``, and where it leads."""
    target = TRANSITIONS.get((step, status))
    if target is None:
        return Decision(False, None, _WHY_NOT[step])
    if step is Step.CLOSE and severity.is_major and not postmortem.waived:
        if status is Status.RECOVERED:
            return Decision(
                False,
                None,
                f"A major incident ({severity.label}) cannot skip the postmortem: start it, "
                "or have a lead waive it with a reason.",
            )
        if not postmortem.has_root_cause or postmortem.action_items == 0:
            missing = []
            if not postmortem.has_root_cause:
                missing.append("a root cause")
            if postmortem.action_items == 0:
                missing.append("at least one action item")
            return Decision(
                False,
                None,
                f"The postmortem of a {severity.label} incident needs {' and '.join(missing)} "
                "before it can be closed (or a lead's waiver).",
            )
    return Decision(True, target, "")


def allowed_steps(
    status: Status,
    severity: Severity,
    postmortem: PostmortemState = PostmortemState(),
) -> list[Step]:
    return [step for step in Step if decide(step, status, severity, postmortem).allowed]
