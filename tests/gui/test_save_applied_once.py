"""A form saved again after its save's reply was lost logs the incident once; what is done
again once its save was answered is a save of its own."""

from __future__ import annotations

from incidentdesk.services.desk import Desk
from incidentdesk.services.incidents import IncidentQuery
from tests.conftest import LoseReplies
from tests.gui.conftest import FormMaker
from tests.gui.test_timeline_templates import composer


def count(desk: Desk) -> int:
    with desk.store.bound():
        return desk.incidents.count(IncidentQuery())


def test_saving_again_after_lost_replies_logs_the_incident_once(
    qtbot, make_form: FormMaker, sqlite_desk: Desk, lose_replies: LoseReplies
) -> None:
    form = make_form(sqlite_desk)
    form.title.setText("Checkout returns 502")
    form.description.setPlainText("Since the deploy at 10:02.")
    lost = lose_replies(sqlite_desk)
    form.save()
    qtbot.waitUntil(form.banner.isVisible)
    assert "may or may not have been" in form.banner.text()
    assert form.title.text() == "Checkout returns 502"
    lost.restore()
    with qtbot.waitSignal(form.saved) as saved:
        form.save()
    assert count(sqlite_desk) == 1
    assert saved.args[0].title == "Checkout returns 502"


def test_a_changed_form_is_a_new_save(
    qtbot, make_form: FormMaker, sqlite_desk: Desk, lose_replies: LoseReplies
) -> None:
    """What was sent before stays logged; what the person changed since is saved as well
    rather than dropped as "already saved"."""
    form = make_form(sqlite_desk)
    form.title.setText("Checkout returns 502")
    form.description.setPlainText("Since the deploy at 10:02.")
    lost = lose_replies(sqlite_desk)
    form.save()
    qtbot.waitUntil(form.banner.isVisible)
    lost.restore()
    form.title.setText("Checkout returns 502 for card payments")
    with qtbot.waitSignal(form.saved) as saved:
        form.save()
    assert saved.args[0].title == "Checkout returns 502 for card payments"
    assert count(sqlite_desk) == 2


def test_the_same_note_added_twice_is_two_entries(
    qtbot, sqlite_desk: Desk, runner, dialogs
) -> None:
    panel = composer(qtbot, sqlite_desk, runner, dialogs)
    for _ in range(2):
        panel.body.setPlainText("Still investigating.")
        panel.add_entry()
        qtbot.waitUntil(lambda: panel.body.toPlainText() == "")
    (incident,) = sqlite_desk.incidents.rows(IncidentQuery())
    with sqlite_desk.store.bound():
        bodies = [entry.body for entry in sqlite_desk.timeline.entries(incident.id)]
    assert bodies.count("Still investigating.") == 2
