"""Render the main views with demo data to docs/screenshots/*.png (`make screenshots`), in the
light and the dark theme. ``--scale 2`` renders at a device pixel ratio of 2 (a high-DPI
screen), and ``--output DIR`` writes elsewhere, to check such a rendering without replacing
the documentation's pictures."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication, QEventLoop, QSettings, QTimer, SignalInstance
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtWidgets import QApplication, QWidget

from incidentdesk.domain.enums import ActionKind, EntryKind, Severity, Urgency
from incidentdesk.domain.incident import IncidentDraft, Links
from incidentdesk.domain.lifecycle import Step
from incidentdesk.domain.timeline import NewEntry
from incidentdesk.intake.rules import Rule, RuleService
from incidentdesk.services import demo
from incidentdesk.services.desk import current_login, open_desk
from incidentdesk.services.lifecycle import StepRequest
from incidentdesk.services.postmortems import PostmortemText
from incidentdesk.storage import models as m
from incidentdesk.ui.dialogs import DialogService
from incidentdesk.ui.first_run_dialog import FirstRunDialog
from incidentdesk.ui.main_window import MainWindow
from incidentdesk.ui.tasks import TaskRunner
from incidentdesk.ui.theme import outline_controls_when_dark, use_dark_theme

DOCS_SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
OUTPUT = {"folder": DOCS_SCREENSHOTS}  # where ``shoot`` writes; ``--output`` changes it
WINDOW_SIZE = (1440, 860)
DEMO_INCIDENTS = 2000


def run_until(
    signal: SignalInstance, action: Callable[[], object], timeout_ms: int = 20_000
) -> None:
    """Do ``action`` and keep the event loop running until ``signal`` fires."""
    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(timeout_ms, loop.quit)
    action()
    loop.exec()
    signal.disconnect(loop.quit)


def settle() -> None:
    """Let pending background results and paints through."""
    loop = QEventLoop()
    QTimer.singleShot(300, loop.quit)
    loop.exec()


def shoot(window: QWidget, name: str) -> None:
    settle()
    path = OUTPUT["folder"] / f"{name}.png"
    window.grab().save(str(path))
    print(f"wrote {path}")


class DiscardingDialogs(DialogService):
    """Answers every question with its first choice ("Discard" when a form closes)."""

    def choose(
        self, parent: QWidget | None, title: str, text: str, choices: list[str]
    ) -> str | None:
        return choices[0] if choices else None


def fake_screenshot(path: Path) -> None:
    """A picture of an error page, to attach in the form screenshot."""
    image = QImage(960, 600, QImage.Format.Format_RGB32)
    image.fill(QColor("#f4f5f7"))
    painter = QPainter(image)
    painter.fillRect(0, 0, 960, 64, QColor("#1f4e8c"))
    painter.setPen(QColor("#ffffff"))
    painter.setFont(QFont("DejaVu Sans", 22))
    painter.drawText(24, 42, "Shop · Checkout")
    painter.setPen(QColor("#b3261e"))
    painter.setFont(QFont("DejaVu Sans", 40, QFont.Weight.Bold))
    painter.drawText(24, 220, "503 Service Unavailable")
    painter.setPen(QColor("#333333"))
    painter.setFont(QFont("DejaVu Sans", 18))
    painter.drawText(24, 290, "Something went wrong while placing your order.")
    painter.end()
    image.save(str(path))


def render_form(window: MainWindow, folder: Path, suffix: str) -> None:
    form = window.open_form()
    assert form is not None
    form.resize(1180, 820)
    run_until(form.loaded, lambda: None)  # the form was just opened; wait for its lists
    shoot(form, f"incident-form-empty{suffix}")
    form.title.setText("Checkout API returns 503 errors for EU customers")
    form.description.setPlainText(
        "Customers in the EU get **503 Service Unavailable** when they place an order.\n\n"
        "- started around 09:40 UTC\n- about 12 % of checkouts fail\n- the US is not affected"
    )
    form.source_kind.setCurrentIndex(form.source_kind.findData("customer"))
    form.source_name.setEditText("Jana Novák (Acme GmbH)")
    form.source_contact.setText("jana.novak@acme.example")
    form.service.setEditText("Checkout API")
    form.impact_scope.setCurrentIndex(2)
    form.financial.setChecked(True)
    form.chat.setText("https://chat.example.com/channels/inc-checkout-eu")
    screenshot, log = folder / "checkout-error.png", folder / "checkout-api.log"
    fake_screenshot(screenshot)
    log.write_text(
        "".join(
            f"2026-11-27T09:{41 + n // 6:02d}:{n * 7 % 60:02d}Z ERROR upstream payments-eu "
            "timed out after 30000 ms (order service)\n"
            for n in range(120)
        )
    )
    run_until(form.attachments.changed, lambda: form.add_paths([screenshot, log]))
    run_until(form.attachments.changed, lambda: None, timeout_ms=3000)
    shoot(form, f"incident-form-filled{suffix}")
    form.reject()  # the dialog service below answers "Discard"


def prepare_major_incident(address: str) -> int:
    """A recovered SEV2 with a written postmortem, action items and pinned entries."""
    desk = open_desk(address, login="demo")
    try:
        incident = desk.incidents.create(
            IncidentDraft(
                title="Checkout API returns 503 errors for EU customers",
                description="Customers in the EU get **503 Service Unavailable** at checkout.",
                reported_at=datetime.now(UTC) - timedelta(hours=3, minutes=10),
                severity=Severity.SEV2,
                urgency=Urgency.HIGH,
                links=Links(chat="https://chat.example.com/channels/inc-checkout-eu"),
            ),
            desk.actor_id,
        )
        lifecycle, timeline = desk.lifecycle, desk.timeline
        start = incident.draft.reported_at
        lifecycle.take(
            incident.id,
            StepRequest(Step.ACKNOWLEDGE, start + timedelta(minutes=4), "On it"),
            desk.actor_id,
        )
        for minutes, kind, body, details in (
            (
                9,
                EntryKind.COMMUNICATION,
                "Investigating — Checkout API: we are investigating failed orders in the EU.",
                {"audience": "external", "channel": "status_page"},
            ),
            (
                21,
                EntryKind.FINDING,
                "The EU payments pool is exhausted: 120 of 120 connections in use since 09:38.",
                {},
            ),
            (34, EntryKind.NOTE, "Error rate at 12 % of checkouts; US unaffected.", {}),
        ):
            timeline.append(
                incident.id,
                NewEntry(kind, body, start + timedelta(minutes=minutes), details),
                desk.actor_id,
            )
        team = desk.catalog.teams()[1].id
        lifecycle.take(
            incident.id,
            StepRequest(
                Step.ESCALATE,
                start + timedelta(minutes=40),
                "Needs the payments on-call",
                to_team_id=team,
            ),
            desk.actor_id,
        )
        lifecycle.take(
            incident.id,
            StepRequest(
                Step.RECOVER,
                start + timedelta(minutes=95),
                "Raised the pool to 300 and restarted the workers",
            ),
            desk.actor_id,
        )
        lifecycle.take(incident.id, StepRequest(Step.START_POSTMORTEM), desk.actor_id)
        for entry in timeline.entries(incident.id):
            if entry.kind in (EntryKind.FINDING, EntryKind.ESCALATION, EntryKind.STATUS_CHANGE):
                timeline.set_pinned(entry.id, True)
        view = desk.postmortems.get(incident.id)
        assert view is not None
        desk.postmortems.save_text(
            incident.id,
            PostmortemText(
                summary="For 95 minutes, 12 % of EU checkouts failed with HTTP 503.",
                impact="About 3,400 failed orders; support received 180 tickets.",
                root_cause="A release doubled the payment calls per order; the pool was sized "
                "for the old rate.",
                contributing_factors="No alert on pool saturation; load test used US traffic only.",
                went_well="Status page updated within 10 minutes.",
                went_badly="Escalation to payments took 40 minutes.",
            ),
            view.version,
            desk.actor_id,
            base=view.text,
        )
        people = desk.catalog.people()
        for title, action_kind, days in (
            ("Alert when a connection pool is 80 % used", ActionKind.DETECT, -3),
            ("Load test with EU traffic before releases", ActionKind.PREVENT, 14),
            ("Refund the failed orders' fees", ActionKind.CORRECT, 2),
        ):
            desk.postmortems.add_action_item(
                incident.id,
                title,
                action_kind,
                people[0].id,
                date.today() + timedelta(days=days),
                desk.actor_id,
            )
        return incident.id
    finally:
        desk.close()


def render_workspace(window: MainWindow, incident_id: int, suffix: str) -> None:
    workspace = window.open_workspace(incident_id)
    assert workspace is not None
    workspace.resize(1180, 820)
    run_until(workspace.loaded, lambda: None)
    settle()
    shoot(workspace, f"workspace-timeline{suffix}")
    workspace.tabs.setCurrentIndex(3)
    shoot(workspace, f"workspace-postmortem{suffix}")
    workspace.close()


def render_charts(window: MainWindow, suffix: str) -> None:
    """The team leads' view, whole and one image per chart with the table or rows it has."""
    page = window.charts_page()
    ready: set[str] = set()
    page.chart_ready.connect(ready.add)
    loop = QEventLoop()
    page.chart_ready.connect(lambda _: loop.quit() if len(ready) == len(page.panels) else None)
    QTimer.singleShot(60_000, loop.quit)
    window.show_view(2)
    loop.exec()
    shoot(window, f"charts{suffix}")
    for name, panel in page.panels.items():
        settle()
        path = OUTPUT["folder"] / f"chart-{name}{suffix}.png"
        panel.grab().save(str(path))
        print(f"wrote {path}")


def render_notification(window: MainWindow, address: str, suffix: str) -> None:
    """A major incident logged by a colleague: its notification in the status bar and the
    badge counting it."""
    colleague = open_desk(address, login="colleague")
    draft = IncidentDraft(
        # Each theme's pass logs one: different titles, so that the second board is not odd.
        title="Card payments time out at checkout" if suffix else "Payments declined everywhere",
        reported_at=datetime.now(UTC),
        description="Reported by the payments on-call: every authorisation is refused.",
        severity=Severity.SEV1,
        urgency=Urgency.HIGH,
    )
    try:
        run_until(
            window.notifications.shown,
            lambda: colleague.incidents.create(draft, colleague.actor_id),
        )
    finally:
        colleague.close()
    shoot(window, f"board-notification{suffix}")


def render_about(window: MainWindow, suffix: str) -> None:
    dialog = window.show_about()
    settle()
    shoot(dialog, f"about{suffix}")


def render_first_run(suffix: str) -> None:
    """The first-run dialog on each of its three choices."""
    runner = TaskRunner()
    dialog = FirstRunDialog(
        runner, Path("/home/alex/.local/share/incidentdesk/incidents.db"), "alex"
    )
    dialog.show()
    settle()
    shoot(dialog, f"first-run{suffix}")
    dialog.existing_choice.setChecked(True)
    dialog.existing_file.setText("/home/alex/Documents/incidents.db")
    shoot(dialog, f"first-run-existing{suffix}")
    dialog.team_choice.setChecked(True)
    dialog.host.setText("localhost")
    dialog.user.setText("alex")
    dialog.password.setText("secret")
    dialog.name.setText("Alex Morgan")
    dialog.email.setText("alex@example.org")
    # A real test: the local server (if any) has no database of that name.
    run_until(runner.busy_changed, dialog.test_connection)
    while runner.busy:
        settle()
    shoot(dialog, f"first-run-team{suffix}")
    dialog.close()
    runner.shutdown()


def make_admin(address: str) -> None:
    """The person taking the screenshots is an admin, so the settings window is editable."""
    desk = open_desk(address, login=current_login())
    with desk.store.write():
        m.User.update(name="Alex Morgan", role="admin").where(m.User.id == desk.actor_id).execute()
    desk.team_settings.update(attachment_max_bytes=50 * 1024 * 1024)
    desk.team_settings.add("categories", "Capacity")
    service = desk.catalog.services()[0].name
    rules = RuleService(desk.store).rules()
    desk.team_settings.set_intake_rules(
        [
            Rule(label="job", value="checkout", service=service, category="Outage"),
            *rules,
            Rule(group_by="cluster", recover_when_resolved=True),
        ]
    )
    desk.close()


def render_settings(window: MainWindow, suffix: str) -> None:
    dialog = window.show_settings()
    assert dialog is not None
    dialog.resize(760, 660)
    settle()
    for index, name in enumerate(("personal", "team", "catalogs", "alert-rules", "changes")):
        dialog.tabs.setCurrentIndex(index)  # type: ignore[attr-defined]
        if name == "catalogs":
            dialog.catalog.setCurrentIndex(2)  # type: ignore[attr-defined]
        shoot(dialog, f"settings-{name}{suffix}")
    dialog.close()


def render(address: str, folder: Path, suffix: str, major_incident: int) -> None:
    runner = TaskRunner()
    window = MainWindow(runner, DiscardingDialogs())
    window.resize(*WINDOW_SIZE)
    window.show()
    run_until(window.view_painted, lambda: window.open_database(address))
    shoot(window, f"board{suffix}")
    render_notification(window, address, suffix)
    window.show_view(1)
    shoot(window, f"main-window{suffix}")
    run_until(window.model.loaded, lambda: window.search.setText("certificate"))
    shoot(window, f"main-window-search{suffix}")
    run_until(window.model.loaded, window.search.clear)
    run_until(window.model.loaded, lambda: window.status_filter.setCurrentIndex(1))
    shoot(window, f"main-window-all{suffix}")
    window.show_view(0)
    render_form(window, folder, suffix)
    render_workspace(window, major_incident, suffix)
    render_charts(window, suffix)
    render_about(window, suffix)
    render_settings(window, suffix)
    window.close()
    runner.shutdown()
    QSettings().clear()  # each theme starts from the same first view


def render_setup(address: str, suffix: str) -> None:
    render_first_run(suffix)
    runner = TaskRunner()
    window = MainWindow(runner, DiscardingDialogs())
    window.show()
    run_until(window.view_painted, lambda: window.open_database(address))
    render_settings(window, suffix)
    window.close()
    runner.shutdown()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="device pixel ratio")
    parser.add_argument("--output", type=Path, default=DOCS_SCREENSHOTS, help="folder")
    parser.add_argument(
        "--only", choices=("all", "setup"), default="all", help="setup: first run and settings"
    )
    options = parser.parse_args()
    OUTPUT["folder"] = options.output
    if options.scale != 1.0:
        os.environ["QT_SCALE_FACTOR"] = str(options.scale)  # read when the application starts
    with tempfile.TemporaryDirectory() as folder:
        settings_folder = Path(folder) / "settings"
        QCoreApplication.setOrganizationName("Incident Desk Screenshots")
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(
            QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(settings_folder)
        )
        app = QApplication(sys.argv[:1])
        outline_controls_when_dark(app)
        address = f"sqlite:///{Path(folder) / 'demo.db'}"
        desk = open_desk(address, login="demo")
        demo.generate(desk.store, DEMO_INCIDENTS, seed=2026)
        desk.close()
        options.output.mkdir(parents=True, exist_ok=True)
        major_incident = prepare_major_incident(address)
        make_admin(address)
        if options.only == "setup":  # the first-run dialog and the settings window only
            render_setup(address, "")
            use_dark_theme(app)
            render_setup(address, "-dark")
            return 0
        render_first_run("")
        render(address, Path(folder), "", major_incident)
        use_dark_theme(app)
        render_first_run("-dark")
        render(address, Path(folder), "-dark", major_incident)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
