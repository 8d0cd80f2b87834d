"""The lifecycle table, exhaustively: every status × every step × a minor and a major incident ×
every state of the postmortem, each allowed with its target or refused with its reason.

The expected table is written out here by hand, not derived from ``TRANSITIONS``: it is the
specification the domain table is checked against.
"""

from __future__ import annotations

import pytest

from incidentdesk.domain.enums import Severity, Status
from incidentdesk.domain.lifecycle import Decision, PostmortemState, Step, allowed_steps, decide

# Every step from every status for a minor incident (and for a major one, except closing).
# A cell is the status the step leads to, "-" means refused with the step's reason below.
MINOR_TABLE = """
status         triage   acknowledge  escalate  recover  postmortem  close   cancel     reopen
logged         triaged  invest.      invest.   recov.   -           -       cancelled  -
triaged        -        invest.      invest.   recov.   -           -       cancelled  -
investigating  -        -            invest.   recov.   -           -       cancelled  -
recovered      -        -            -         -        postmortem  closed  cancelled  invest.
postmortem     -        -            -         -        -           closed  cancelled  -
closed         -        -            -         -        -           -       -          invest.
cancelled      -        -            -         -        -           -       -          invest.
"""
_COLUMNS = {
    "triage": Step.TRIAGE,
    "acknowledge": Step.ACKNOWLEDGE,
    "escalate": Step.ESCALATE,
    "recover": Step.RECOVER,
    "postmortem": Step.START_POSTMORTEM,
    "close": Step.CLOSE,
    "cancel": Step.CANCEL,
    "reopen": Step.REOPEN,
}
_CELLS = {
    "triaged": Status.TRIAGED,
    "invest.": Status.INVESTIGATING,
    "recov.": Status.RECOVERED,
    "postmortem": Status.POSTMORTEM,
    "closed": Status.CLOSED,
    "cancelled": Status.CANCELLED,
    "-": None,
}

REFUSALS = {
    Step.TRIAGE: "Only a newly logged incident is triaged.",
    Step.ACKNOWLEDGE: "The incident has been acknowledged already.",
    Step.ESCALATE: "Only an incident still being worked on can be escalated.",
    Step.RECOVER: "Only an incident still being worked on can be marked recovered.",
    Step.START_POSTMORTEM: "A postmortem starts once the incident has recovered.",
    Step.CLOSE: "Only a recovered incident can be closed.",
    Step.CANCEL: "Only an open incident can be cancelled.",
    Step.REOPEN: "Only a recovered, closed or cancelled incident can be reopened.",
}

POSTMORTEM_STATES = {
    "no postmortem": PostmortemState(),
    "root cause only": PostmortemState(has_root_cause=True, action_items=0),
    "action item only": PostmortemState(has_root_cause=False, action_items=1),
    "root cause and action items": PostmortemState(has_root_cause=True, action_items=2),
    "waived": PostmortemState(waived=True),
}

SKIP = (
    "A major incident (SEV2) cannot skip the postmortem: start it, "
    "or have a lead waive it with a reason."
)


def needs(missing: str) -> str:
    return (
        f"The postmortem of a SEV2 incident needs {missing} before it can be closed "
        "(or a lead's waiver)."
    )


# Closing a major (SEV2) incident, by status and postmortem state; every other status refuses
# closing as in MINOR_TABLE.
MAJOR_CLOSE = {
    (Status.RECOVERED, "no postmortem"): SKIP,
    (Status.RECOVERED, "root cause only"): SKIP,
    (Status.RECOVERED, "action item only"): SKIP,
    (Status.RECOVERED, "root cause and action items"): SKIP,
    (Status.RECOVERED, "waived"): Status.CLOSED,
    (Status.POSTMORTEM, "no postmortem"): needs("a root cause and at least one action item"),
    (Status.POSTMORTEM, "root cause only"): needs("at least one action item"),
    (Status.POSTMORTEM, "action item only"): needs("a root cause"),
    (Status.POSTMORTEM, "root cause and action items"): Status.CLOSED,
    (Status.POSTMORTEM, "waived"): Status.CLOSED,
}


def _parse_table(text: str) -> dict[tuple[Status, Step], Status | None]:
    header, *rows = [line.split() for line in text.strip().splitlines()]
    steps = [_COLUMNS[name] for name in header[1:]]
    table: dict[tuple[Status, Step], Status | None] = {}
    for status_name, *cells in rows:
        assert len(cells) == len(steps)
        for step, cell in zip(steps, cells, strict=True):
            table[(Status(status_name), step)] = _CELLS[cell]
    return table


MINOR = _parse_table(MINOR_TABLE)


def expected(step: Step, status: Status, major: bool, postmortem: str) -> Decision:
    outcome: Status | str | None = MINOR[(status, step)]
    if major and step is Step.CLOSE and (status, postmortem) in MAJOR_CLOSE:
        outcome = MAJOR_CLOSE[(status, postmortem)]
    if isinstance(outcome, Status):
        return Decision(True, outcome, "")
    return Decision(False, None, outcome if isinstance(outcome, str) else REFUSALS[step])


def test_the_written_table_covers_every_status_and_step() -> None:
    assert set(MINOR) == {(status, step) for status in Status for step in Step}


@pytest.mark.parametrize("postmortem", list(POSTMORTEM_STATES))
@pytest.mark.parametrize(
    "severity", [Severity.SEV3, Severity.SEV2], ids=["minor SEV3", "major SEV2"]
)
@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("step", list(Step))
def test_every_step_from_every_status(
    step: Step, status: Status, severity: Severity, postmortem: str
) -> None:
    decision = decide(step, status, severity, POSTMORTEM_STATES[postmortem])

    assert decision == expected(step, status, severity.is_major, postmortem)


@pytest.mark.parametrize("postmortem", list(POSTMORTEM_STATES))
@pytest.mark.parametrize("severity", list(Severity))
def test_closing_depends_on_the_postmortem_only_for_major_incidents(
    severity: Severity, postmortem: str
) -> None:
    state = POSTMORTEM_STATES[postmortem]
    from_recovered = decide(Step.CLOSE, Status.RECOVERED, severity, state)
    from_postmortem = decide(Step.CLOSE, Status.POSTMORTEM, severity, state)

    if not severity.is_major:
        assert from_recovered == Decision(True, Status.CLOSED, "")
        assert from_postmortem == Decision(True, Status.CLOSED, "")
        return
    for status, decision in (
        (Status.RECOVERED, from_recovered),
        (Status.POSTMORTEM, from_postmortem),
    ):
        outcome = MAJOR_CLOSE[(status, postmortem)]
        if isinstance(outcome, Status):
            assert decision == Decision(True, outcome, "")
        else:  # the reason names the incident's own severity
            assert decision == Decision(False, None, outcome.replace("SEV2", severity.label))


def test_the_default_postmortem_state_is_none_written() -> None:
    assert decide(Step.CLOSE, Status.POSTMORTEM, Severity.SEV1) == Decision(
        False,
        None,
        "The postmortem of a SEV1 incident needs a root cause and at least one action item "
        "before it can be closed (or a lead's waiver).",
    )


ALLOWED_MINOR = {
    Status.LOGGED: [Step.TRIAGE, Step.ACKNOWLEDGE, Step.ESCALATE, Step.RECOVER, Step.CANCEL],
    Status.TRIAGED: [Step.ACKNOWLEDGE, Step.ESCALATE, Step.RECOVER, Step.CANCEL],
    Status.INVESTIGATING: [Step.ESCALATE, Step.RECOVER, Step.CANCEL],
    Status.RECOVERED: [Step.START_POSTMORTEM, Step.CLOSE, Step.CANCEL, Step.REOPEN],
    Status.POSTMORTEM: [Step.CLOSE, Step.CANCEL],
    Status.CLOSED: [Step.REOPEN],
    Status.CANCELLED: [Step.REOPEN],
}
# A major incident without a waiver or a complete postmortem cannot close.
ALLOWED_MAJOR_INCOMPLETE = {
    **ALLOWED_MINOR,
    Status.RECOVERED: [Step.START_POSTMORTEM, Step.CANCEL, Step.REOPEN],
    Status.POSTMORTEM: [Step.CANCEL],
}


@pytest.mark.parametrize("status", list(Status))
def test_allowed_steps_in_order(status: Status) -> None:
    complete = POSTMORTEM_STATES["root cause and action items"]
    waived = POSTMORTEM_STATES["waived"]

    assert allowed_steps(status, Severity.SEV3) == ALLOWED_MINOR[status]
    assert allowed_steps(status, Severity.SEV5, waived) == ALLOWED_MINOR[status]
    assert allowed_steps(status, Severity.SEV2) == ALLOWED_MAJOR_INCOMPLETE[status]
    assert (
        allowed_steps(status, Severity.SEV1, POSTMORTEM_STATES["root cause only"])
        == (ALLOWED_MAJOR_INCOMPLETE[status])
    )
    assert allowed_steps(status, Severity.SEV2, waived) == ALLOWED_MINOR[status]
    # A complete postmortem lets it close from the postmortem, never straight from recovered.
    with_complete = {**ALLOWED_MAJOR_INCOMPLETE, Status.POSTMORTEM: [Step.CLOSE, Step.CANCEL]}
    assert allowed_steps(status, Severity.SEV1, complete) == with_complete[status]


def test_step_labels() -> None:
    assert {step: step.label for step in Step} == {
        Step.TRIAGE: "Mark Triaged",
        Step.ACKNOWLEDGE: "Acknowledge",
        Step.ESCALATE: "Escalate",
        Step.RECOVER: "Recovered",
        Step.START_POSTMORTEM: "Start Postmortem",
        Step.CLOSE: "Close Incident",
        Step.CANCEL: "Cancel Incident",
        Step.REOPEN: "Reopen",
    }
