"""What an alert does to the incidents: a new one logs an incident, a repeat adds to the
open incident it belongs to, a resolve adds an entry (and, if a rule says so, sets the
incident recovered once all its alerts have resolved). Nothing here ever closes an incident:
the postmortem stays with the people.

One request is one transaction: all of it is written, or nothing. It is processed once: its
id (the sender's ``Idempotency-Key`` or ``X-Request-Id``, else the digest of its body) is kept
for ``REQUEST_MEMORY``, and a retry within that time gets the first answer again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from incidentdesk.domain.enums import (
    OPEN_STATUSES,
    EntryKind,
    Severity,
    SourceKind,
    Status,
    Urgency,
)
from incidentdesk.domain.incident import IncidentDraft
from incidentdesk.domain.keys import format_key
from incidentdesk.domain.lifecycle import Step
from incidentdesk.domain.priority import PriorityMatrix
from incidentdesk.domain.validation import (
    DESCRIPTION_MAX_LENGTH,
    SHORT_TEXT_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    ValidationFailed,
)
from incidentdesk.intake import formats
from incidentdesk.intake.alerts import Alert, AlertState, Format, Notification, PayloadRefused
from incidentdesk.intake.rules import Decision, RuleService, StoredRule, decide
from incidentdesk.services.clock import Clock, utc_now
from incidentdesk.services.errors import NotAllowed
from incidentdesk.services.incidents import IncidentService
from incidentdesk.services.lifecycle import LifecycleService, StepRequest
from incidentdesk.services.settings import SettingsService
from incidentdesk.services.timeline import add_entry
from incidentdesk.storage import models as m
from incidentdesk.storage.database import Store, store_operations
from incidentdesk.storage.prepared import PreparedQuery, slot

REQUEST_MEMORY = timedelta(hours=1)
PRUNE_INTERVAL = timedelta(minutes=1)
RULES_MAX_AGE = timedelta(seconds=10)
MONITORING_LOGIN = "monitoring"
REQUEST_ID_MAX_LENGTH = 200
FILE_MAX_BYTES = 1_000_000  # as the receiver's default body limit
_ACTIVE = (Status.LOGGED, Status.TRIAGED, Status.INVESTIGATING)
_OPEN_VALUES = [status.value for status in OPEN_STATUSES]


def body_request_id(body: bytes) -> str:
    """The id of a request that brings none of its own: the digest of its body, so that a
    sender's retry of the same body is known as one."""
    return "sha256:" + hashlib.sha256(body).hexdigest()


@dataclass(frozen=True)
class AlertOutcome:
    """What one alert did: ``result`` is created, grouped, fired again, still firing,
    acknowledged, resolved, recovered, already resolved or no open incident."""

    fingerprint: str
    result: str
    incident_key: str = ""
    incident_id: int | None = None

    def as_json(self) -> dict[str, str]:
        return {
            "fingerprint": self.fingerprint,
            "result": self.result,
            "incident": self.incident_key,
        }


@dataclass(frozen=True)
class IntakeResult:
    format: Format
    outcomes: tuple[AlertOutcome, ...]
    repeated: bool = False

    @property
    def incident_keys(self) -> list[str]:
        return list(dict.fromkeys(o.incident_key for o in self.outcomes if o.incident_key))

    @property
    def incident_ids(self) -> list[int]:
        return list(dict.fromkeys(o.incident_id for o in self.outcomes if o.incident_id))

    @property
    def summary(self) -> str:
        """One line for the log and the person: each result with its count and incidents."""
        counts: dict[str, int] = {}
        for outcome in self.outcomes:
            counts[outcome.result] = counts.get(outcome.result, 0) + 1
        results = ", ".join(
            f"{count} {result}" if count > 1 else result for result, count in counts.items()
        )
        keys = " ".join(self.incident_keys) or "-"
        repeated = " (a repeat of a request already processed)" if self.repeated else ""
        return f"{self.format.value}: {results}; incidents {keys}{repeated}"

    def as_json(self) -> dict[str, Any]:
        return {
            "format": self.format.value,
            "alerts": [outcome.as_json() for outcome in self.outcomes],
            "incidents": self.incident_keys,
            "repeated": self.repeated,
        }

    def stored_json(self) -> dict[str, Any]:
        """The answer as kept for a retry, with the incidents' ids."""
        return {**self.as_json(), "ids": [o.incident_id for o in self.outcomes]}

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> IntakeResult:
        ids = document.get("ids") or [None] * len(document["alerts"])
        return cls(
            Format(document["format"]),
            tuple(
                AlertOutcome(entry["fingerprint"], entry["result"], entry["incident"], id_)
                for entry, id_ in zip(document["alerts"], ids, strict=True)
            ),
            repeated=True,
        )


def import_file(service: IntakeService, path: Path, now: datetime) -> IntakeResult:
    """A payload from a file, as the receiver would take it (a file imported twice is known
    by its digest); ``PayloadRefused`` or ``OSError`` say why it was not."""
    with path.open("rb") as stream:
        body = stream.read(FILE_MAX_BYTES + 1)
    if len(body) > FILE_MAX_BYTES:
        raise PayloadRefused(f"the file is over {FILE_MAX_BYTES:,} bytes")
    return service.process(formats.parse(body, now), body_request_id(body))


# The statements every alert needs, built once per database: peewee would otherwise build
# each anew, most of a busy receiver's time (see storage/prepared.py).
_EARLIER_REQUEST = PreparedQuery(
    m.IntakeRequest,
    lambda: (
        m.IntakeRequest.select(
            m.IntakeRequest.id, m.IntakeRequest.received_at, m.IntakeRequest.answer
        )
        .where(m.IntakeRequest.request_id == slot("request_id", m.IntakeRequest.request_id))
        .limit(1)
    ),
    (m.IntakeRequest.id, m.IntakeRequest.received_at, m.IntakeRequest.answer),
)
_REMEMBER_REQUEST = PreparedQuery(
    m.IntakeRequest,
    lambda: m.IntakeRequest.insert(
        request_id=slot("request_id", m.IntakeRequest.request_id),
        received_at=slot("received_at", m.IntakeRequest.received_at),
        answer=slot("answer", m.IntakeRequest.answer),
    ),
)
_KNOWN_COLUMNS = (
    m.IntakeAlert.id,
    m.IntakeAlert.firing,
    m.IntakeAlert.starts_at,
    m.Incident.id,
    m.Incident.number,
    m.Incident.status,
)
_KNOWN_ALERT = PreparedQuery(
    m.IntakeAlert,
    lambda: (
        m.IntakeAlert.select(*_KNOWN_COLUMNS)
        .join(m.Incident)
        .where(m.IntakeAlert.fingerprint == slot("fingerprint", m.IntakeAlert.fingerprint))
        .limit(1)
    ),
    _KNOWN_COLUMNS,
)
_OPEN_INCIDENT_OF_GROUP = PreparedQuery(
    m.IntakeAlert,
    lambda: (
        m.IntakeAlert.select(m.Incident.id, m.Incident.number)
        .join(m.Incident)
        .where(
            (m.IntakeAlert.group_key == slot("group_key", m.IntakeAlert.group_key))
            & m.Incident.status.in_(_OPEN_VALUES)
        )
        .order_by(m.Incident.number.desc())
        .limit(1)
    ),
    (m.Incident.id, m.Incident.number),
)
_ALERT_VALUES = ("incident", "group_key", "firing", "starts_at", "updated_at")
_INSERT_ALERT = PreparedQuery(
    m.IntakeAlert,
    lambda: m.IntakeAlert.insert(
        fingerprint=slot("fingerprint", m.IntakeAlert.fingerprint),
        **{name: slot(name, getattr(m.IntakeAlert, name)) for name in _ALERT_VALUES},
    ),
)
_REFIRE_ALERT = PreparedQuery(
    m.IntakeAlert,
    lambda: m.IntakeAlert.update(
        {
            getattr(m.IntakeAlert, name): slot(name, getattr(m.IntakeAlert, name))
            for name in _ALERT_VALUES
        }
    ).where(m.IntakeAlert.id == slot("id", m.IntakeAlert.id)),
)


@dataclass(frozen=True)
class _KnownAlert:
    """An alert seen before, and the incident it belongs to."""

    id: int
    firing: bool
    starts_at: datetime | None
    incident_id: int
    number: int
    status: str

    def same_firing(self, alert: Alert) -> bool:
        """Whether ``alert`` repeats the firing already recorded (Alertmanager sends a firing
        group again every repeat_interval, with the same startsAt)."""
        return self.firing and alert.starts_at is not None and self.starts_at == alert.starts_at


def _one_line(text: str, limit: int) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _place(alert: Alert) -> str:
    return f" on {alert.where}" if alert.where else ""


def _markdown_table(title: str, values: dict[str, str]) -> list[str]:
    if not values:
        return []
    rows = [f"**{title}**", "", "| name | value |", "|---|---|"]
    for name, value in sorted(values.items()):
        cell = value.replace("|", "\\|").replace("\r", " ").replace("\n", "<br>")
        rows.append(f"| {name} | {cell} |")
    return [*rows, ""]


def describe(alert: Alert) -> str:
    """The incident's description: the summary, the alert's own description, then its
    labels, annotations, values and links."""
    annotations = dict(alert.annotations)
    lines = [alert.summary, ""]
    description = annotations.pop("description", "")
    if description:
        lines += [description, ""]
    if alert.details:
        lines += ["**Details**", "", "```", alert.details, "```", ""]
    lines += _markdown_table("Labels", dict(alert.labels))
    lines += _markdown_table("Annotations", annotations)
    if alert.links:
        lines += ["**Links**", ""]
        lines += [f"- [{link.text or link.url}]({link.url})" for link in alert.links]
        lines.append("")
    lines.append(f"Fingerprint: `{alert.fingerprint}`")
    text = "\n".join(lines)
    return text if len(text) <= DESCRIPTION_MAX_LENGTH else text[: DESCRIPTION_MAX_LENGTH - 1] + "…"


@store_operations
class IntakeService:
    """Processes notifications on one store, as the person ``actor_id`` (the receiver's
    "Monitoring", or whoever dropped a file on the window)."""

    def __init__(
        self,
        store: Store,
        incidents: IncidentService,
        lifecycle: LifecycleService,
        actor_id: int | None,
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._incidents = incidents
        self._lifecycle = lifecycle
        self._rules = RuleService(store)
        self._actor_id = actor_id
        self._clock = clock
        self._settings = SettingsService(store)
        self._cached_rules: list[StoredRule] = []
        self._matrix: PriorityMatrix | None = None
        self._rules_read_at: datetime | None = None
        self._pruned_at = datetime.min.replace(tzinfo=UTC)

    def process(self, notification: Notification, request_id: str) -> IntakeResult:
        """Apply ``notification``; ``request_id`` makes a retry of it harmless."""
        request_id = request_id[:REQUEST_ID_MAX_LENGTH]
        now = self._clock()
        with self._store.write():
            earlier = _EARLIER_REQUEST.first_row(request_id=request_id)
            if earlier is not None:
                earlier_id, received_at, answer = earlier
                if received_at >= now - REQUEST_MEMORY:
                    return IntakeResult.from_json(json.loads(answer))
                # seen too long ago to be a retry: a new request
                m.IntakeRequest.delete().where(m.IntakeRequest.id == earlier_id).execute()
            if now - self._pruned_at > PRUNE_INTERVAL:
                m.IntakeRequest.delete().where(
                    m.IntakeRequest.received_at < now - REQUEST_MEMORY
                ).execute()
                self._pruned_at = now
            rules = self._current_rules(now)
            outcomes = tuple(
                self._apply(notification.format, alert, rules, now) for alert in notification.alerts
            )
            result = IntakeResult(notification.format, outcomes)
            _REMEMBER_REQUEST.execute(
                request_id=request_id,
                received_at=now,
                answer=json.dumps(result.stored_json(), ensure_ascii=False),
            )
        return result

    def _current_rules(self, now: datetime) -> list[StoredRule]:
        """The rules (and the priority matrix), read again once they are ``RULES_MAX_AGE``
        old: a change made by an admin applies within that time, and a busy receiver is
        spared four queries a request."""
        if self._rules_read_at is None or now - self._rules_read_at > RULES_MAX_AGE:
            self._cached_rules = self._rules.stored()
            self._matrix = self._settings.priority_matrix()
            self._rules_read_at = now
        return self._cached_rules

    def _apply(
        self, format_: Format, alert: Alert, rules: list[StoredRule], now: datetime
    ) -> AlertOutcome:
        key = f"{format_.value}:{alert.fingerprint}"
        row = _KNOWN_ALERT.first_row(fingerprint=key)
        known = _KnownAlert(*row) if row is not None else None
        decision = decide(rules, alert.labels)
        if known is not None and known.status in _OPEN_VALUES:
            return self._update(known, alert, decision, now)
        if alert.state is not AlertState.FIRING:
            return AlertOutcome(alert.fingerprint, f"{alert.state.value}; no open incident")
        if known is not None and known.same_firing(alert):
            # Someone closed or cancelled its incident while it fired: a reminder of the same
            # firing is not a new incident; firing anew (a later startsAt) is.
            return AlertOutcome(alert.fingerprint, "still firing; its incident is finished")
        group_key = self._group_key(format_, alert, decision)
        joined = self._open_incident_of_group(group_key) if group_key else None
        if joined is not None:
            incident_id, number = joined
            self._entry(
                incident_id, f"{alert.name} fired{_place(alert)}, in the same group", alert, now
            )
            result = "grouped"
            if decision.recover_when_resolved:
                result = self._reopen_if_recovered(incident_id, result)
        else:
            incident_id, number = self._incidents.log_in_transaction(
                self._draft(alert, decision, now), self._actor_id, matrix=self._matrix
            )
            self._entry(incident_id, f"{alert.name} fired{_place(alert)}", alert, now)
            result = "created"
        values = {
            "incident": incident_id,
            "group_key": group_key,
            "firing": True,
            "starts_at": alert.starts_at,
            "updated_at": now,
        }
        if known is None:
            _INSERT_ALERT.execute(fingerprint=key, **values)
        else:  # its incident was closed or cancelled: it fires into a new one
            _REFIRE_ALERT.execute(id=known.id, **values)
        return AlertOutcome(alert.fingerprint, result, format_key(number), incident_id)

    def _update(
        self, known: _KnownAlert, alert: Alert, decision: Decision, now: datetime
    ) -> AlertOutcome:
        incident_id, key = known.incident_id, format_key(known.number)
        changes: dict[str, Any] = {"updated_at": now}
        if alert.state is AlertState.FIRING:
            if known.same_firing(alert):
                # Alertmanager repeats a firing group every repeat_interval: nothing new.
                result = "still firing"
            else:
                self._entry(incident_id, f"{alert.name} fired again{_place(alert)}", alert, now)
                changes.update(firing=True, starts_at=alert.starts_at)
                result = "fired again"
        elif alert.state is AlertState.ACKNOWLEDGED:
            self._entry(incident_id, f"{alert.name} acknowledged in {alert.system}", alert, now)
            result = "acknowledged"
        elif not known.firing:
            result = "already resolved"
        else:
            at = alert.ends_at or now
            self._entry(incident_id, f"{alert.name} resolved{_place(alert)}", alert, now, at=at)
            changes["firing"] = False
            result = "resolved"
        m.IntakeAlert.update(**changes).where(m.IntakeAlert.id == known.id).execute()
        if result == "resolved" and decision.recover_when_resolved:
            result = self._recover_if_all_resolved(incident_id, alert.ends_at or now, now)
        elif result == "fired again" and decision.recover_when_resolved:
            result = self._reopen_if_recovered(incident_id, result)
        return AlertOutcome(alert.fingerprint, result, key, incident_id)

    def _reopen_if_recovered(self, incident_id: int, result: str) -> str:
        """Where the rules let monitoring set an incident recovered, an alert firing again
        takes it back: the impact is not over. A postmortem already begun stays."""
        if m.Incident.get_by_id(incident_id).status != Status.RECOVERED.value:
            return result
        try:
            self._lifecycle.take(
                incident_id,
                StepRequest(Step.REOPEN, note="an alert from monitoring fired again"),
                self._actor_id,
            )
        except (NotAllowed, ValidationFailed):
            return result
        return f"{result}; reopened"

    def _recover_if_all_resolved(self, incident_id: int, at: datetime, now: datetime) -> str:
        still_firing = (
            m.IntakeAlert.select()
            .where((m.IntakeAlert.incident == incident_id) & m.IntakeAlert.firing)
            .exists()
        )
        record = m.Incident.get_by_id(incident_id)
        if still_firing or Status(record.status) not in _ACTIVE:
            return "resolved"
        # Dated when monitoring saw the end, kept between the milestones before it and now.
        earliest = max(t for t in (record.reported_at, record.acknowledged_at) if t is not None)
        at = min(max(at, earliest), now)
        try:
            self._lifecycle.take(
                incident_id,
                StepRequest(Step.RECOVER, at=at, note="every alert from monitoring has resolved"),
                self._actor_id,
            )
        except (NotAllowed, ValidationFailed):
            return "resolved"  # a person moved it on meanwhile; theirs is the word that counts
        return "recovered"

    @staticmethod
    def _group_key(format_: Format, alert: Alert, decision: Decision) -> str:
        if decision.group_by:
            value = alert.labels.get(decision.group_by)
            if value is not None:
                return f"rule:{decision.group_by}={value}"[:500]
        return f"{format_.value}:{alert.group_key}"[:500] if alert.group_key else ""

    def _open_incident_of_group(self, group_key: str) -> tuple[int, int] | None:
        row = _OPEN_INCIDENT_OF_GROUP.first_row(group_key=group_key)
        return (int(row[0]), int(row[1])) if row else None

    def _draft(self, alert: Alert, decision: Decision, now: datetime) -> IncidentDraft:
        return IncidentDraft(
            title=_one_line(alert.summary, TITLE_MAX_LENGTH) or "Alert from monitoring",
            reported_at=alert.starts_at or now,
            severity=decision.severity,
            urgency=Urgency.HIGH if decision.severity <= Severity.SEV2 else Urgency.MEDIUM,
            description=describe(alert),
            source_kind=SourceKind.MONITORING,
            source_name=_one_line(alert.system, SHORT_TEXT_MAX_LENGTH),
            service_id=decision.service_id,
            category_id=decision.category_id,
        )

    def _entry(
        self,
        incident_id: int,
        body: str,
        alert: Alert,
        now: datetime,
        *,
        at: datetime | None = None,
    ) -> None:
        occurred = at or (alert.starts_at if alert.state is AlertState.FIRING else None) or now
        # add_entry, not TimelineService.append: the body is checked text already, and append
        # reads the entry back, a third of a busy receiver's time per alert.
        add_entry(
            incident_id,
            EntryKind.NOTE,
            _one_line(body, 1_000),
            {"alert": alert.fingerprint, "state": alert.state.value, "system": alert.system},
            self._actor_id,
            min(occurred, now),
            now,
        )
