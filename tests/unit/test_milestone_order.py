"""Milestones stay in order: acknowledged ≤ recovered ≤ closed, whatever path was taken."""

from __future__ import annotations

import pytest

from incidentdesk.domain.lifecycle import Step
from incidentdesk.domain.validation import ValidationFailed
from incidentdesk.services.desk import Desk
from incidentdesk.services.errors import EditConflict
from tests.unit.test_lifecycle_service import at, clocked, lead, new_incident, take

__all__ = ["clocked"]  # the fixture, used by name


def test_recovering_without_acknowledging_counts_as_the_first_response(clocked: Desk) -> None:
    incident = new_incident(clocked)
    recovered = take(clocked, incident, Step.RECOVER, at=at(30), note="Restarted")
    assert recovered.milestones.acknowledged_at == at(30)
    assert recovered.milestones.recovered_at == at(30)


def test_cancelling_counts_as_the_first_response_and_reopening_does_not(clocked: Desk) -> None:
    incident = new_incident(clocked)
    cancelled = take(clocked, incident, Step.CANCEL, at=at(5), note="False alarm")
    assert cancelled.milestones.acknowledged_at == at(5)
    reopened = take(clocked, incident, Step.REOPEN, at=at(9), note="It is real")
    assert reopened.milestones.acknowledged_at == at(5)


def test_recovery_cannot_be_dated_before_the_first_response(clocked: Desk) -> None:
    incident = new_incident(clocked)
    take(clocked, incident, Step.ACKNOWLEDGE, at=at(20))
    with pytest.raises(ValidationFailed) as refused:
        take(clocked, incident, Step.RECOVER, at=at(10), note="Restarted")
    [problem] = refused.value.errors
    assert problem.field == "at"
    assert problem.message.startswith("Recovered cannot come before acknowledged")


def test_a_correction_keeps_the_milestones_in_order(clocked: Desk) -> None:
    incident = new_incident(clocked)
    take(clocked, incident, Step.ACKNOWLEDGE, at=at(10))
    take(clocked, incident, Step.RECOVER, at=at(60), note="Failed over")
    boss = lead(clocked)
    with pytest.raises(ValidationFailed, match="Recovered cannot come before acknowledged"):
        clocked.lifecycle.correct_milestone(incident.id, "recovered_at", at(5), boss, "typo")
    with pytest.raises(ValidationFailed, match="Recovered cannot come before acknowledged"):
        clocked.lifecycle.correct_milestone(incident.id, "acknowledged_at", at(70), boss, "typo")
    corrected = clocked.lifecycle.correct_milestone(
        incident.id, "acknowledged_at", at(3), boss, "the pager log says 3 minutes"
    )
    assert corrected.milestones.acknowledged_at == at(3)


def test_a_correction_made_meanwhile_is_not_put_back_from_an_older_view(clocked: Desk) -> None:
    incident = new_incident(clocked)
    take(clocked, incident, Step.ACKNOWLEDGE, at=at(20))
    shown = clocked.incidents.get(incident.id).milestones.acknowledged_at
    boss = lead(clocked)
    clocked.lifecycle.correct_milestone(
        incident.id, "acknowledged_at", at(5), boss, "pager log", was=shown
    )
    with pytest.raises(EditConflict):
        clocked.lifecycle.correct_milestone(
            incident.id, "acknowledged_at", at(12), boss, "chat log", was=shown
        )
    assert clocked.incidents.get(incident.id).milestones.acknowledged_at == at(5)
