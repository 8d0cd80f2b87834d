"""The incident and its postmortem as Markdown, on both engines."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from incidentdesk.domain.enums import ActionKind, ActionStatus, EntryKind, Role, Severity
from incidentdesk.domain.incident import Incident
from incidentdesk.domain.lifecycle import Step
from incidentdesk.domain.timeline import NewEntry
from incidentdesk.services.desk import Desk
from incidentdesk.services.lifecycle import StepRequest
from incidentdesk.services.postmortems import PostmortemText
from tests.conftest import FIXED_NOW
from tests.factories import make_draft

REPORTED = FIXED_NOW - timedelta(hours=3)  # 2026-11-27 09:00 UTC
TODAY = date(2026, 11, 27)


@pytest.fixture
def clocked(desk: Desk) -> Desk:
    return Desk(desk.store, desk.actor_id, clock=lambda: FIXED_NOW)


def walked_incident(desk: Desk, **changes: object) -> Incident:
    """A SEV2 incident acknowledged at 09:04, recovered at 10:30, in its postmortem."""
    draft = make_draft(reported_at=REPORTED, severity=Severity.SEV2, **changes)
    incident = desk.incidents.create(draft, desk.actor_id)
    for request in (
        StepRequest(Step.ACKNOWLEDGE, at=REPORTED + timedelta(minutes=4)),
        StepRequest(Step.RECOVER, at=REPORTED + timedelta(minutes=90), note="Renewed the cert"),
        StepRequest(Step.START_POSTMORTEM, at=REPORTED + timedelta(hours=2)),
    ):
        desk.lifecycle.take(incident.id, request, desk.actor_id)
    return desk.incidents.get(incident.id)


def test_the_incident_as_markdown(clocked: Desk) -> None:
    team = clocked.catalog.create_team("Payments")
    service = clocked.catalog.create_service("Checkout", team)
    incident = walked_incident(
        clocked,
        title="Checkout returns 502",
        description="Customers see **502** on pay.\n\n- EU only",
        service_id=service,
        team_id=team,
        source_name="Grafana",
    )
    clocked.timeline.append(
        incident.id,
        NewEntry(
            EntryKind.FINDING, "TLS handshake fails\nsince 08:58", REPORTED.replace(minute=20)
        ),
        clocked.actor_id,
    )
    clocked.attachments.add(incident.id, "gateway.log", b"x" * 2048, clocked.actor_id)

    text = clocked.reports.incident_markdown(incident.id)

    assert text.startswith(f"# {incident.key} — Checkout returns 502\n")
    for row in (
        "| Status | Postmortem |",
        "| Severity | SEV2 (Major: a core function is down or badly degraded for a team, or "
        "security or compliance is at stake) |",
        "| Priority | P3 |",
        "| Service | Checkout |",
        "| Category | — |",
        "| Team | Payments |",
        "| Assignee | — |",
        "| Source | Employee: Grafana |",
        "| First reported | 2026-11-27 09:00 UTC |",
        "| Acknowledged | 2026-11-27 09:04 UTC |",
        "| Recovered | 2026-11-27 10:30 UTC |",
        "| Closed | — |",
    ):
        assert row in text.splitlines()
    assert "## Description\n\nCustomers see **502** on pay.\n\n- EU only\n" in text
    timeline = text.split("## Timeline\n\n")[1].split("\n\n## Attachments")[0].splitlines()
    assert timeline[0] == "- **2026-11-27 09:00 UTC** · Status change · tester: Incident logged"
    assert "- **2026-11-27 09:20 UTC** · Finding · tester: TLS handshake fails" in timeline
    assert "  since 08:58" in timeline  # a body's further lines stay inside its list item
    assert (
        "- **2026-11-27 10:30 UTC** · Status change · tester: "
        "Investigating → Recovered: Renewed the cert"
    ) in timeline
    assert text.rstrip().endswith("## Attachments\n\n- gateway.log (2 KB, text/plain)")


def test_an_empty_incident_says_so(clocked: Desk) -> None:
    incident = clocked.incidents.create(make_draft(reported_at=REPORTED), clocked.actor_id)
    text = clocked.reports.incident_markdown(incident.id)
    assert "## Description\n\n_No description._" in text
    assert "## Attachments\n\n_None._" in text
    assert "| Recovered | — |" in text


def test_the_postmortem_as_markdown(clocked: Desk) -> None:
    incident = walked_incident(clocked, title="Checkout returns 502")
    owner = clocked.catalog.create_person("Olga Owner", "olga")
    view = clocked.postmortems.get(incident.id)
    assert view is not None
    clocked.postmortems.save_text(
        incident.id,
        PostmortemText(summary="40 minutes of failed payments.", root_cause="Expired cert."),
        view.version,
        None,
        base=view.text,
    )
    add = clocked.postmortems.add_action_item
    late = add(incident.id, "Alert on expiry", ActionKind.DETECT, owner, date(2026, 11, 20), None)
    add(incident.id, "Automate renewal", ActionKind.PREVENT, None, date(2026, 12, 20), None)
    done = add(incident.id, "Renew now", ActionKind.CORRECT, owner, date(2026, 11, 1), None)
    clocked.postmortems.set_action_status(done.id, ActionStatus.DONE, None, was=done.status)
    pinned = clocked.timeline.append(
        incident.id,
        NewEntry(EntryKind.FINDING, "Cert expired at 08:58", REPORTED.replace(minute=30)),
        None,
    )
    clocked.timeline.set_pinned(pinned.id, True)
    clocked.timeline.append(
        incident.id, NewEntry(EntryKind.NOTE, "Unpinned chatter", REPORTED), None
    )

    text = clocked.reports.postmortem_markdown(incident.id, today=TODAY)

    assert text.startswith(f"# Postmortem: {incident.key} — Checkout returns 502\n")
    assert "| Recovered | 2026-11-27 10:30 UTC |" in text
    assert "| Time to recover | 1 h 30 min |" in text
    assert "## Summary\n\n40 minutes of failed payments.\n" in text
    assert "## Root cause\n\nExpired cert.\n" in text
    for section in ("Impact", "Contributing factors", "What went well", "What went badly"):
        assert f"## {section}\n\n_Not written yet._\n" in text
    timeline = text.split("## Timeline\n\n")[1].split("\n\n## Action items")[0]
    assert timeline == "- **2026-11-27 09:30 UTC** · Finding: Cert expired at 08:58"
    items = text.split("## Action items\n\n")[1].strip().splitlines()
    assert items == [
        f"- [ ] **Detect**: {late.title} — Olga Owner, due 2026-11-20, open (**overdue**)",
        "- [ ] **Prevent**: Automate renewal — no owner, due 2026-12-20, open",
        "- [x] **Correct**: Renew now — Olga Owner, due 2026-11-01, done",
    ]


def test_an_empty_postmortem_and_a_waiver(clocked: Desk) -> None:
    incident = walked_incident(clocked)
    text = clocked.reports.postmortem_markdown(incident.id, today=TODAY)
    assert text.count("_Not written yet._") == 6
    assert "## Timeline\n\n_No entries._" in text
    assert "## Action items\n\n_No action items yet._" in text

    lena = clocked.catalog.create_person("Lena Lead", "lena", role=Role.LEAD)
    clocked.postmortems.waive(incident.id, "Vendor RCA covers it", lena)
    text = clocked.reports.postmortem_markdown(incident.id, today=TODAY)
    assert "_Postmortem waived by Lena Lead: Vendor RCA covers it_" in text


def test_no_postmortem_yet_is_a_lookup_error(clocked: Desk) -> None:
    incident = clocked.incidents.create(make_draft(reported_at=REPORTED), clocked.actor_id)
    with pytest.raises(LookupError, match="has no postmortem yet"):
        clocked.reports.postmortem_markdown(incident.id)


def test_markdown_and_dollar_signs_in_the_text_are_kept_as_typed(clocked: Desk) -> None:
    title = "Costs $5 ${title} $key $$ `code` *stars* | pipe # not a heading"
    description = "Price: $100\n\n$description ${timeline}\n\n| a | b |\n|---|---|"
    incident = walked_incident(
        clocked, title=title, description=description, source_name="Grafana | prod $env"
    )
    view = clocked.postmortems.get(incident.id)
    assert view is not None
    clocked.postmortems.save_text(
        incident.id,
        PostmortemText(summary="$summary ${root_cause} $$"),
        view.version,
        None,
        base=view.text,
    )

    report = clocked.reports.incident_markdown(incident.id)
    assert report.startswith(f"# {incident.key} — {title}\n")
    assert f"## Description\n\n{description}\n" in report
    # A pipe in a table cell is escaped, so the row keeps its two cells.
    assert "| Source | Employee: Grafana \\| prod $env |" in report.splitlines()

    postmortem = clocked.reports.postmortem_markdown(incident.id, today=TODAY)
    assert postmortem.startswith(f"# Postmortem: {incident.key} — {title}\n")
    assert "## Summary\n\n$summary ${root_cause} $$\n" in postmortem
    assert "## Root cause\n\n_Not written yet._" in postmortem


def test_a_correction_is_marked_as_such_in_the_export(clocked: Desk) -> None:
    incident = clocked.incidents.create(make_draft(reported_at=REPORTED), clocked.actor_id)
    wrong = clocked.timeline.append(
        incident.id,
        NewEntry(EntryKind.FINDING, "The certificate expired", REPORTED.replace(minute=20)),
        clocked.actor_id,
    )
    clocked.timeline.append(
        incident.id,
        NewEntry(
            EntryKind.FINDING,
            "The intermediate certificate expired",
            REPORTED.replace(minute=25),
            amends_id=wrong.id,
        ),
        clocked.actor_id,
    )
    text = clocked.reports.incident_markdown(incident.id)
    assert (
        "- **2026-11-27 09:20 UTC** · Finding · tester · _corrected later_: The certificate expired"
    ) in text
    assert (
        "- **2026-11-27 09:25 UTC** · Finding · tester · **correction** of the entry of "
        "2026-11-27 09:20 UTC: The intermediate certificate expired"
    ) in text


def test_the_details_table_has_no_empty_header_row(clocked: Desk) -> None:
    incident = clocked.incidents.create(make_draft(reported_at=REPORTED), clocked.actor_id)
    text = clocked.reports.incident_markdown(incident.id)
    assert "| | |" not in text
    assert "| Field | Value |\n|---|---|\n| Status |" in text
