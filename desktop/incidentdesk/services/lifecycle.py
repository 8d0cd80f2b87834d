"""Moving an incident through its lifecycle: each step checked by the domain table, its
milestone set, and the change written to the timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from incidentdesk.domain.enums import EntryKind, EscalationLevel, Severity, Status
from incidentdesk.domain.incident import Incident
from incidentdesk.domain.keys import format_key
from incidentdesk.domain.lifecycle import NOTE_REQUIRED, PostmortemState, Step, decide
from incidentdesk.domain.permissions import Capability, Permission
from incidentdesk.domain.validation import CLOCK_SKEW_ALLOWANCE, FieldError, ValidationFailed
from incidentdesk.services.access import permission, require
from incidentdesk.services.clock import Clock, utc_now
from incidentdesk.services.errors import EditConflict, NotAllowed
from incidentdesk.services.incidents import IncidentService, incident_record
from incidentdesk.services.sent_once import sent_once
from incidentdesk.services.timeline import add_entry
from incidentdesk.storage import models as m
from incidentdesk.storage.applied_writes import earlier_save, record_applied
from incidentdesk.storage.database import Store, store_operations

MILESTONES = {
    "acknowledged_at": "Acknowledged",
    "recovered_at": "Recovered",
    "closed_at": "Closed",
}
NOTE_MAX_LENGTH = 20_000


@dataclass(frozen=True)
class StepRequest:
    """A lifecycle step and what it needs: the time it happened (default now), a note (what
    was repaired, why it was cancelled or reopened, why it is escalated), and for escalations
    and duplicates, where to."""

    step: Step
    at: datetime | None = None
    note: str = ""
    duplicate_of_number: int | None = None
    to_team_id: int | None = None
    to_person_id: int | None = None
    level: EscalationLevel | None = None


@dataclass(frozen=True)
class StepOption:
    step: Step
    allowed: bool
    reason: str


@dataclass(frozen=True)
class EscalationSuggestion:
    team_id: int | None
    team_name: str
    level: EscalationLevel


def postmortem_state(incident_id: int) -> PostmortemState:
    row = m.Postmortem.get_or_none(m.Postmortem.incident == incident_id)
    if row is None:
        return PostmortemState()
    items = m.ActionItem.select().where(m.ActionItem.postmortem == row.id).count()
    return PostmortemState(bool(row.root_cause.strip()), items, bool(row.waiver_reason.strip()))


_MILESTONE_ORDER = ("acknowledged_at", "recovered_at", "closed_at")
_STEP_MILESTONE = {Step.RECOVER: "recovered_at", Step.CLOSE: "closed_at"}


def _out_of_order(label: str, earlier: str) -> ValidationFailed:
    return ValidationFailed([FieldError("at", f"{label} cannot come before {earlier}.")])


def _check_milestone_order(record: m.Incident, step: Step, at: datetime) -> None:
    """Recovery cannot be dated before the first response, nor closing before recovery."""
    milestone = _STEP_MILESTONE.get(step)
    if milestone is None:
        return
    for earlier in _MILESTONE_ORDER[: _MILESTONE_ORDER.index(milestone)]:
        moment = getattr(record, earlier)
        if moment is not None and at < moment:
            raise _out_of_order(
                MILESTONES[milestone],
                f"{MILESTONES[earlier].lower()} ({moment:%Y-%m-%d %H:%M} UTC)",
            )


def _check_corrected_order(record: m.Incident, milestone: str, moment: datetime) -> None:
    position = _MILESTONE_ORDER.index(milestone)
    for earlier in _MILESTONE_ORDER[:position]:
        when = getattr(record, earlier)
        if when is not None and moment < when:
            raise _out_of_order(MILESTONES[milestone], MILESTONES[earlier].lower())
    for later in _MILESTONE_ORDER[position + 1 :]:
        when = getattr(record, later)
        if when is not None and moment > when:
            raise _out_of_order(MILESTONES[later], MILESTONES[milestone].lower())


@store_operations
class LifecycleService:
    def __init__(self, store: Store, incidents: IncidentService, clock: Clock = utc_now) -> None:
        self._store = store
        self._incidents = incidents
        self._clock = clock

    def may_correct_milestones(self, person_id: int | None) -> Permission:
        """Whether the person may correct milestone times (leads and admins), and if not, why."""
        return permission(person_id, Capability.CORRECT_MILESTONES)

    def options(self, incident_id: int) -> list[StepOption]:
        """Every step, whether it is possible now, and if not, why."""
        record = incident_record(incident_id)
        state = postmortem_state(incident_id)
        status, severity = Status(record.status), Severity(record.severity)
        return [
            StepOption(step, decision.allowed, decision.reason)
            for step in Step
            for decision in [decide(step, status, severity, state)]
        ]

    def suggest_escalation(self, incident_id: int) -> EscalationSuggestion:
        """The next team in the escalation order after the one working on it, one level up."""
        record = incident_record(incident_id)
        teams = list(m.Team.select().order_by(m.Team.escalation_order, m.Team.name))
        current = next((i for i, team in enumerate(teams) if team.id == record.team_id), -1)
        following = teams[current + 1] if current + 1 < len(teams) else None
        level = EscalationLevel(min(EscalationLevel.VENDOR, record.escalation_level + 1))
        if following is None:
            return EscalationSuggestion(None, "", level)
        return EscalationSuggestion(following.id, following.name, level)

    def take(
        self,
        incident_id: int,
        request: StepRequest,
        actor_id: int | None,
        *,
        write_id: str | None = None,
    ) -> Incident:
        """Take the step. With ``write_id`` it is applied once (see
        ``IncidentService.create``): a step applied already returns the incident as it is,
        neither refused as a move from a status it has left nor logged twice."""
        return sent_once(write_id, lambda: self._take(incident_id, request, actor_id, write_id))

    def _take(
        self, incident_id: int, request: StepRequest, actor_id: int | None, write_id: str | None
    ) -> Incident:
        now = self._clock()
        at = request.at or now
        self._check_request(request, at, now)
        with self._store.write():
            if earlier_save(write_id) is not None:
                return self._incidents.get(incident_id)
            record = incident_record(incident_id)
            status, severity = Status(record.status), Severity(record.severity)
            decision = decide(request.step, status, severity, postmortem_state(incident_id))
            if not decision.allowed or decision.target is None:
                raise NotAllowed(decision.reason)
            if at < record.reported_at:
                raise ValidationFailed(
                    [FieldError("at", "That is before the incident was first reported.")]
                )
            changes: dict[str, Any] = {"status": decision.target.value}
            details: dict[str, Any] = {"from": status.value, "to": decision.target.value}
            details["step"] = request.step.value
            # Any step but reopening is a response: an incident recovered or cancelled without
            # an explicit acknowledgement was acknowledged then at the latest.
            if request.step is not Step.REOPEN and record.acknowledged_at is None:
                changes["acknowledged_at"] = at
            _check_milestone_order(record, request.step, at)
            changes.update(self._step_changes(record, request, actor_id, at, now))
            if request.step is Step.CANCEL:
                details["duplicate_of"] = changes.get("duplicate_of")
            updated = (
                m.Incident.update(updated_at=now, version=m.Incident.version + 1, **changes)
                .where((m.Incident.id == incident_id) & (m.Incident.version == record.version))
                .execute()
            )
            if updated != 1:
                raise EditConflict(self._incidents.get(incident_id))
            if request.step is not Step.ESCALATE or status is not decision.target:
                body = f"{status.label} → {decision.target.label}"
                if request.note.strip():
                    body += f": {request.note.strip()}"
                add_entry(incident_id, EntryKind.STATUS_CHANGE, body, details, actor_id, at, now)
            record_applied(write_id, incident_id, now)
        return self._incidents.get(incident_id)

    def _step_changes(
        self,
        record: m.Incident,
        request: StepRequest,
        actor_id: int | None,
        at: datetime,
        now: datetime,
    ) -> dict[str, Any]:
        """The columns a step sets besides the status, inside the step's transaction."""
        step = request.step
        if step is Step.ESCALATE:
            return self._escalate(record, request, actor_id, at, now)
        if step is Step.RECOVER:
            return {"recovered_at": at}
        if step is Step.START_POSTMORTEM:
            m.Postmortem.insert(incident=record.id, updated_at=now).on_conflict_ignore().execute()
            return {"postmortem_at": at}
        if step is Step.CLOSE:
            return {"closed_at": at}
        if step is Step.CANCEL:
            return self._cancellation(record, request, at)
        if step is Step.REOPEN:
            # The cancellation's reason and original stay in the timeline, not on the
            # incident: a reopened incident is no longer a cancelled duplicate.
            return {
                "recovered_at": None,
                "postmortem_at": None,
                "closed_at": None,
                "cancelled_at": None,
                "cancel_reason": "",
                "duplicate_of": None,
            }
        return {}

    def _check_request(self, request: StepRequest, at: datetime, now: datetime) -> None:
        errors = []
        if at.tzinfo is None:
            errors.append(FieldError("at", "The time has no time zone."))
        elif at > now + CLOCK_SKEW_ALLOWANCE:
            errors.append(FieldError("at", "That time is in the future."))
        if len(request.note) > NOTE_MAX_LENGTH or "\x00" in request.note:
            errors.append(FieldError("note", "The note is too long or holds a NUL character."))
        if request.step in NOTE_REQUIRED and not request.note.strip():
            errors.append(FieldError("note", NOTE_REQUIRED[request.step]))
        if (
            request.step is Step.ESCALATE
            and request.to_team_id is None
            and request.to_person_id is None
        ):
            errors.append(FieldError("to", "Choose the team or person to escalate to."))
        if errors:
            raise ValidationFailed(errors)

    def _escalate(
        self,
        record: m.Incident,
        request: StepRequest,
        actor_id: int | None,
        at: datetime,
        now: datetime,
    ) -> dict[str, Any]:
        team = m.Team.get_or_none(m.Team.id == request.to_team_id) if request.to_team_id else None
        person = (
            m.User.get_or_none(m.User.id == request.to_person_id) if request.to_person_id else None
        )
        if request.to_team_id is not None and team is None:
            raise ValidationFailed([FieldError("to", "That team does not exist.")])
        if request.to_person_id is not None and person is None:
            raise ValidationFailed([FieldError("to", "That person is not known.")])
        level = request.level or EscalationLevel(
            min(EscalationLevel.VENDOR, record.escalation_level + 1)
        )
        previous_team = m.Team.get_or_none(m.Team.id == record.team_id) if record.team_id else None
        previous_person = (
            m.User.get_or_none(m.User.id == record.assignee_id) if record.assignee_id else None
        )
        target = " / ".join(name for name in (team and team.name, person and person.name) if name)
        add_entry(
            record.id,
            EntryKind.ESCALATION,
            f"Escalated to {target} ({level.label}): {request.note.strip()}",
            {
                "from_team": previous_team.name if previous_team else "",
                "from_person": previous_person.name if previous_person else "",
                "to_team": team.name if team else "",
                "to_person": person.name if person else "",
                # The names are for reading; the ids say whom it reaches (a notification).
                "to_team_id": team.id if team else None,
                "to_person_id": person.id if person else None,
                "level": level.value,
                "reason": request.note.strip(),
            },
            actor_id,
            at,
            now,
        )
        changes: dict[str, Any] = {"escalation_level": level.value}
        if team is not None:
            changes["team"] = team.id
        if person is not None:
            changes["assignee"] = person.id
        return changes

    def _cancellation(
        self, record: m.Incident, request: StepRequest, at: datetime
    ) -> dict[str, Any]:
        duplicate_of = None
        if request.duplicate_of_number is not None:
            original = m.Incident.get_or_none(m.Incident.number == request.duplicate_of_number)
            if original is None or original.id == record.id:
                raise ValidationFailed(
                    [
                        FieldError(
                            "duplicate_of",
                            f"{format_key(request.duplicate_of_number)} is not another incident.",
                        )
                    ]
                )
            duplicate_of = original.id
        return {
            "cancelled_at": at,
            "cancel_reason": request.note.strip(),
            "duplicate_of": duplicate_of,
        }

    def correct_milestone(
        self,
        incident_id: int,
        milestone: str,
        moment: datetime,
        actor_id: int | None,
        reason: str,
        *,
        was: datetime | None = None,
        write_id: str | None = None,
    ) -> Incident:
        """A lead corrects when a milestone happened; the correction is logged with the reason.

        ``was`` is the time the lead was shown: if someone else corrected it since, the
        correction is refused (``EditConflict``) instead of putting an older view back.
        ``write_id`` as for ``take``."""
        return sent_once(
            write_id,
            lambda: self._correct_milestone(
                incident_id, milestone, moment, actor_id, reason, was, write_id
            ),
        )

    def _correct_milestone(
        self,
        incident_id: int,
        milestone: str,
        moment: datetime,
        actor_id: int | None,
        reason: str,
        was: datetime | None,
        write_id: str | None,
    ) -> Incident:
        if milestone not in MILESTONES:
            raise ValueError(f"Unknown milestone {milestone!r}.")
        now = self._clock()
        if not reason.strip():
            raise ValidationFailed([FieldError("reason", "Say why the time is corrected.")])
        if moment.tzinfo is None or moment > now + CLOCK_SKEW_ALLOWANCE:
            raise ValidationFailed([FieldError("at", "That time is in the future.")])
        with self._store.write():
            if earlier_save(write_id) is not None:
                return self._incidents.get(incident_id)
            require(actor_id, Capability.CORRECT_MILESTONES)
            record = incident_record(incident_id)
            old = getattr(record, milestone)
            if old is None:
                raise NotAllowed(
                    f"{MILESTONES[milestone]} has not happened yet; nothing to correct."
                )
            if moment < record.reported_at:
                raise ValidationFailed(
                    [FieldError("at", "That is before the incident was first reported.")]
                )
            if was is not None and old != was:
                raise EditConflict(self._incidents.get(incident_id))
            _check_corrected_order(record, milestone, moment)
            column = getattr(m.Incident, milestone)
            updated = (
                m.Incident.update(
                    updated_at=now, version=m.Incident.version + 1, **{milestone: moment}
                )
                .where((m.Incident.id == incident_id) & (column == old))
                .execute()
            )
            if updated != 1:
                raise EditConflict(self._incidents.get(incident_id))
            label = MILESTONES[milestone]
            add_entry(
                incident_id,
                EntryKind.FIELD_CHANGE,
                f"{label} time corrected: {old.isoformat(timespec='minutes')} → "
                f"{moment.isoformat(timespec='minutes')} ({reason.strip()})",
                {
                    "field": milestone,
                    "old": old.isoformat(),
                    "new": moment.isoformat(),
                    "reason": reason.strip(),
                },
                actor_id,
                now,
                now,
            )
            record_applied(write_id, incident_id, now)
        return self._incidents.get(incident_id)
