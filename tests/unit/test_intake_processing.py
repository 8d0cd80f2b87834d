"""What alerts do to incidents, on SQLite and PostgreSQL: payloads as each sender documents
them create, group, add entries and set recovered as the rules say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from incidentdesk.domain.enums import Priority, Severity, SourceKind, Status, Urgency
from incidentdesk.domain.lifecycle import Step
from incidentdesk.domain.priority import PriorityMatrix
from incidentdesk.domain.validation import ValidationFailed
from incidentdesk.intake import formats, processing
from incidentdesk.intake.processing import (
    REQUEST_MEMORY,
    RULES_MAX_AGE,
    IntakeResult,
    IntakeService,
    body_request_id,
)
from incidentdesk.intake.rules import Rule, RuleService
from incidentdesk.services.desk import Desk
from incidentdesk.services.lifecycle import StepRequest
from incidentdesk.storage import models as m
from tests import intake_payloads as p
from tests.conftest import FIXED_NOW


def intake(desk: Desk) -> IntakeService:
    return IntakeService(
        desk.store, desk.incidents, desk.lifecycle, desk.actor_id, lambda: FIXED_NOW
    )


def send(desk: Desk, payload: dict[str, Any], request_id: str | None = None) -> IntakeResult:
    body = p.encoded(payload)
    notification = formats.parse(body, FIXED_NOW)
    return intake(desk).process(notification, request_id or body_request_id(body))


def bodies(desk: Desk, number: int = 1) -> list[str]:
    incident = desk.incidents.get_by_number(number)
    return [entry.body for entry in desk.timeline.entries(incident.id)]


def incident_count() -> int:
    return int(m.Incident.select().count())


def test_a_firing_alertmanager_alert_logs_an_incident_from_monitoring(desk: Desk) -> None:
    result = send(desk, p.alertmanager())
    assert [o.result for o in result.outcomes] == ["created"]
    incident = desk.incidents.get_by_number(1)
    assert result.incident_keys == [incident.key]
    assert incident.draft.source_kind is SourceKind.MONITORING
    assert incident.draft.source_name == "Alertmanager"
    assert incident.draft.reported_at == datetime(2026, 11, 27, 11, 8, 45, 828000, tzinfo=UTC)
    assert incident.title == "BlackBox Probe Failure: checkout-2b11"
    assert incident.draft.severity is Severity.SEV1  # severity=critical by the default rules
    assert incident.status is Status.LOGGED
    description = incident.draft.description
    for shown in (
        "| instance | checkout-2b11 |",
        "has been down for over 5m",
        "(http://prometheus.example.org:9090/graph?g0.expr=probe_success+%3D%3D+0)",
        "1a30ba71cca2921f",
    ):
        assert shown in description
    assert bodies(desk) == ["Incident logged", "ProbeFailure fired on checkout-2b11"]


def test_a_repeated_notification_adds_nothing_and_a_new_firing_adds_an_entry(desk: Desk) -> None:
    send(desk, p.alertmanager())
    repeat = send(desk, p.alertmanager(), request_id="repeat-interval-later")
    assert [o.result for o in repeat.outcomes] == ["still firing"]
    again = p.alertmanager(alerts=[p.alertmanager_alert(starts_at="2026-11-27T11:50:00Z")])
    fired = send(desk, again)
    assert [o.result for o in fired.outcomes] == ["fired again"]
    assert incident_count() == 1
    assert bodies(desk)[-1] == "ProbeFailure fired again on checkout-2b11"


def test_alerts_of_one_group_join_one_incident(desk: Desk) -> None:
    first = p.alertmanager(
        alerts=[p.alertmanager_alert(), p.alertmanager_alert("checkout-7f3a", "2b2b2b2b2b2b2b2b")]
    )
    assert [o.result for o in send(desk, first).outcomes] == ["created", "grouped"]
    later = p.alertmanager(alerts=[p.alertmanager_alert("checkout-9c1d", "3c3c3c3c3c3c3c3c")])
    assert [o.result for o in send(desk, later).outcomes] == ["grouped"]
    other_group = p.alertmanager(
        alerts=[p.alertmanager_alert("search-1", "4d4d4d4d4d4d4d4d")], group_key="{}:{other}"
    )
    assert [o.result for o in send(desk, other_group).outcomes] == ["created"]
    assert incident_count() == 2
    assert "ProbeFailure fired on checkout-9c1d, in the same group" in bodies(desk)


def test_a_resolve_adds_an_entry_and_leaves_the_incident_open_by_default(desk: Desk) -> None:
    firing = p.alertmanager()
    send(desk, firing)
    result = send(desk, p.resolved(firing))
    assert [o.result for o in result.outcomes] == ["resolved"]
    assert bodies(desk)[-1] == "ProbeFailure resolved on checkout-2b11"
    assert desk.incidents.get_by_number(1).status is Status.LOGGED
    again = send(desk, p.resolved(firing), request_id="resent")
    assert [o.result for o in again.outcomes] == ["already resolved"]


def test_a_rule_sets_recovered_once_every_alert_of_the_incident_has_resolved(desk: Desk) -> None:
    RuleService(desk.store).replace(
        [*RuleService(desk.store).rules(), Rule(recover_when_resolved=True)]
    )
    two = [p.alertmanager_alert(), p.alertmanager_alert("checkout-7f3a", "2b2b2b2b2b2b2b2b")]
    send(desk, p.alertmanager(alerts=two))
    half = p.resolved(p.alertmanager(alerts=two[:1]))
    assert [o.result for o in send(desk, half).outcomes] == ["resolved"]
    assert desk.incidents.get_by_number(1).status is Status.LOGGED
    rest = p.resolved(p.alertmanager(alerts=two[1:]), ends_at="2026-11-27T11:45:00Z")
    assert [o.result for o in send(desk, rest).outcomes] == ["recovered"]
    incident = desk.incidents.get_by_number(1)
    assert incident.status is Status.RECOVERED  # never closed: the postmortem is the people's
    assert incident.milestones.recovered_at == datetime(2026, 11, 27, 11, 45, tzinfo=UTC)
    assert incident.milestones.closed_at is None
    again = p.alertmanager(alerts=[p.alertmanager_alert(starts_at="2026-11-27T11:55:00Z")])
    assert [o.result for o in send(desk, again).outcomes] == ["fired again; reopened"]
    assert desk.incidents.get_by_number(1).status is Status.INVESTIGATING


def test_an_alert_of_a_cancelled_incident_fires_into_a_new_one_when_it_fires_anew(
    desk: Desk,
) -> None:
    send(desk, p.alertmanager())
    first = desk.incidents.get_by_number(1)
    desk.lifecycle.take(first.id, StepRequest(Step.CANCEL, note="false alarm"), desk.actor_id)
    reminder = send(desk, p.alertmanager(), request_id="repeat-interval-later")
    assert [o.result for o in reminder.outcomes] == ["still firing; its incident is finished"]
    assert incident_count() == 1
    again = p.alertmanager(alerts=[p.alertmanager_alert(starts_at="2026-11-27T11:55:00Z")])
    assert [o.result for o in send(desk, again).outcomes] == ["created"]
    assert incident_count() == 2


def test_grafana_alerts_with_their_values_and_links(desk: Desk) -> None:
    payload = p.grafana([p.grafana_alert(), p.grafana_alert("eu-1", "bc97ff14869b13e3")])
    result = send(desk, payload)
    # Grafana's groupKey "{}:{}" puts both in one group, as its notification did.
    assert [o.result for o in result.outcomes] == ["created", "grouped"]
    incident = desk.incidents.get_by_number(1)
    assert incident.draft.source_name == "Grafana"
    assert incident.draft.severity is Severity.SEV3  # no severity label: the default
    assert "B = 44.2394" in incident.draft.description
    assert "[Silence](https://play.grafana.org/alerting/silence/" in incident.draft.description
    resolved = send(desk, p.resolved(payload))
    assert [o.result for o in resolved.outcomes] == ["resolved", "resolved"]


def test_pagerduty_events_trigger_repeat_acknowledge_and_resolve(desk: Desk) -> None:
    created = send(desk, p.pagerduty_trigger())
    assert [o.result for o in created.outcomes] == ["created"]
    incident = desk.incidents.get_by_number(1)
    assert incident.draft.source_name == "Sample Monitoring Service"
    assert incident.title == "Example alert on host1.example.com"
    assert incident.draft.severity is Severity.SEV1
    assert '"ping time": "1500ms"' in incident.draft.description
    assert "[Link text](https://example.com/)" in incident.draft.description
    again = send(desk, p.pagerduty_trigger(timestamp="2026-11-27T09:00:00Z"))
    assert [o.result for o in again.outcomes] == ["fired again"]
    assert bodies(desk)[-1] == (
        "Example alert on host1.example.com fired again on host1.example.com"
    )
    assert [o.result for o in send(desk, p.pagerduty_followup("acknowledge")).outcomes] == [
        "acknowledged"
    ]
    assert [o.result for o in send(desk, p.pagerduty_followup("resolve")).outcomes] == ["resolved"]
    assert incident_count() == 1


def test_a_resolve_for_no_open_incident_creates_nothing(desk: Desk) -> None:
    result = send(desk, p.pagerduty_followup("resolve", "never-triggered"))
    assert [o.result for o in result.outcomes] == ["resolved; no open incident"]
    assert result.incident_keys == []
    assert incident_count() == 0


def test_the_generic_form_fires_and_resolves(desk: Desk) -> None:
    assert [o.result for o in send(desk, p.generic()).outcomes] == ["created"]
    incident = desk.incidents.get_by_number(1)
    assert (incident.draft.source_name, incident.draft.severity) == ("backup-check", Severity.SEV2)
    assert "pg_dump exited with status 1" in incident.draft.description
    done = send(desk, p.generic(status="resolved"))
    assert [o.result for o in done.outcomes] == ["resolved"]
    assert bodies(desk)[-1] == "Nightly backup failed resolved on db-1"


def test_rules_map_labels_to_service_category_severity_and_group(desk: Desk) -> None:
    service_id = desk.catalog.create_service("Checkout")
    category = next(c for c in desk.catalog.categories() if c.name == "Outage")
    RuleService(desk.store).replace(
        [
            Rule(label="job", value="http_checks", service="Checkout", category="Outage"),
            Rule(label="team", value="payments", severity=Severity.SEV2, group_by="team"),
            *RuleService(desk.store).rules(),
        ]
    )
    send(desk, p.alertmanager())
    incident = desk.incidents.get_by_number(1)
    assert (incident.draft.service_id, incident.draft.category_id) == (service_id, category.id)
    assert incident.draft.severity is Severity.SEV1
    first = p.generic(key="a", labels={"team": "payments"}, severity="info")
    second = p.generic(key="b", labels={"team": "payments"})
    assert [o.result for o in send(desk, first).outcomes] == ["created"]
    assert [o.result for o in send(desk, second).outcomes] == ["grouped"]
    assert desk.incidents.get_by_number(2).draft.severity is Severity.SEV2


def test_a_rule_naming_a_service_the_catalog_lacks_is_refused(desk: Desk) -> None:
    before = RuleService(desk.store).rules()
    with pytest.raises(ValidationFailed, match="no service named 'Nowhere'"):
        RuleService(desk.store).replace([Rule(service="Nowhere")])
    assert RuleService(desk.store).rules() == before


def test_the_same_request_twice_is_processed_once(desk: Desk) -> None:
    payload = p.pagerduty_trigger()
    first = send(desk, payload, request_id="delivery-1")
    second = send(desk, payload, request_id="delivery-1")
    assert second.repeated
    assert not first.repeated
    assert second.outcomes == first.outcomes
    assert incident_count() == 1
    assert bodies(desk).count("Example alert on host1.example.com fired on host1.example.com") == 1
    assert m.IntakeRequest.select().count() == 1


def test_a_request_remembered_longer_than_an_hour_ago_is_processed_anew(desk: Desk) -> None:
    payload = p.pagerduty_trigger()
    first = send(desk, payload, request_id="delivery-1")
    later = FIXED_NOW + REQUEST_MEMORY + timedelta(minutes=1)
    service = IntakeService(
        desk.store, desk.incidents, desk.lifecycle, desk.actor_id, lambda: later
    )
    again = service.process(formats.parse(p.encoded(payload), later), "delivery-1")
    assert not again.repeated  # processed: the alert is known, still firing
    assert [o.result for o in again.outcomes] == ["still firing"]
    assert again.incident_keys == first.incident_keys
    assert m.IntakeRequest.select().count() == 1


def test_the_rules_and_the_priority_matrix_are_read_again_once_they_are_old(desk: Desk) -> None:
    """A busy receiver keeps them for RULES_MAX_AGE: an admin's change applies after that."""
    now = [FIXED_NOW]
    service = IntakeService(
        desk.store, desk.incidents, desk.lifecycle, desk.actor_id, lambda: now[0]
    )

    def fire(key: str) -> tuple[Severity, Priority]:
        body = p.encoded(p.generic(key=key, severity="warning"))
        result = service.process(formats.parse(body, now[0]), body_request_id(body))
        incident = desk.incidents.get(result.outcomes[0].incident_id or 0)
        return incident.draft.severity, incident.priority

    assert fire("a") == (Severity.SEV3, Priority.P4)
    matrix = desk.settings.priority_matrix()
    desk.settings.set_priority_matrix(
        PriorityMatrix({**matrix.cells, (Severity.SEV2, Urgency.HIGH): Priority.P1})
    )
    RuleService(desk.store).replace(
        [Rule(label="severity", value="warning", severity=Severity.SEV2)]
    )
    now[0] += RULES_MAX_AGE / 2
    assert fire("b") == (Severity.SEV3, Priority.P4)
    now[0] += RULES_MAX_AGE
    assert fire("c") == (Severity.SEV2, Priority.P1)


def recorded_statements(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every statement the desk's database runs from now on, in order."""
    statements: list[str] = []
    database = desk.store.database
    execute = database.execute_sql

    def recording(sql: str, params: Any = None) -> Any:
        statements.append(sql)
        return execute(sql, params)

    monkeypatch.setattr(database, "execute_sql", recording)
    return statements


def test_a_new_alert_in_the_writers_batch_opens_one_savepoint_its_requests(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The incident is written inside the request's savepoint, without one of its own: a
    savepoint is two statements more, each a pass over SQLite's search indexes."""
    statements = recorded_statements(desk, monkeypatch)
    with desk.store.write():  # the writer's batch
        result = send(desk, p.alertmanager())
    assert [o.result for o in result.outcomes] == ["created"]
    assert sum(sql.startswith("SAVEPOINT") for sql in statements) == 1
    assert bodies(desk) == ["Incident logged", "ProbeFailure fired on checkout-2b11"]


def test_a_request_that_fails_after_its_incident_is_written_leaves_nothing(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a savepoint of its own the incident goes with its request's."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise ValidationFailed([])

    monkeypatch.setattr(processing, "_INSERT_ALERT", type("Refusing", (), {"execute": refuse}))
    with desk.store.write():  # the writer's batch: the other requests of it stay
        with pytest.raises(ValidationFailed):
            send(desk, p.alertmanager())
        m.Team.insert(name="written beside it").execute()
    assert incident_count() == 0
    assert m.TimelineEntry.select().count() == 0
    assert m.Team.select().where(m.Team.name == "written beside it").count() == 1
