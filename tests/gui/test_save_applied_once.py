"""A form saved again after its save's reply was lost logs the incident once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from incidentdesk.services.desk import Desk
from incidentdesk.services.incidents import IncidentQuery
from incidentdesk.storage.database import ConnectionLost
from tests.gui.conftest import FormMaker


def lose_every_reply(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Each commit reaches the database, and then the connection ends before its answer;
    returns what puts the real commit back."""
    database: Any = desk.store.database
    commit: Callable[[], None] = database.commit

    def commit_then_lose_the_reply() -> None:
        commit()
        raise ConnectionLost("The connection to the server was lost.")

    monkeypatch.setattr(database, "commit", commit_then_lose_the_reply)
    return lambda: monkeypatch.setattr(database, "commit", commit)


def count(desk: Desk) -> int:
    with desk.store.bound():
        return desk.incidents.count(IncidentQuery())


def test_saving_again_after_lost_replies_logs_the_incident_once(
    qtbot, make_form: FormMaker, sqlite_desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    form = make_form(sqlite_desk)
    form.title.setText("Checkout returns 502")
    form.description.setPlainText("Since the deploy at 10:02.")
    restore = lose_every_reply(sqlite_desk, monkeypatch)
    form.save()
    qtbot.waitUntil(form.banner.isVisible)
    assert "may or may not have been" in form.banner.text()
    assert form.title.text() == "Checkout returns 502"
    restore()
    with qtbot.waitSignal(form.saved) as saved:
        form.save()
    assert count(sqlite_desk) == 1
    assert saved.args[0].title == "Checkout returns 502"


def test_a_changed_form_is_a_new_save(
    qtbot, make_form: FormMaker, sqlite_desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What was sent before stays logged; what the person changed since is saved as well
    rather than dropped as "already saved"."""
    form = make_form(sqlite_desk)
    form.title.setText("Checkout returns 502")
    form.description.setPlainText("Since the deploy at 10:02.")
    restore = lose_every_reply(sqlite_desk, monkeypatch)
    form.save()
    qtbot.waitUntil(form.banner.isVisible)
    restore()
    form.title.setText("Checkout returns 502 for card payments")
    with qtbot.waitSignal(form.saved) as saved:
        form.save()
    assert saved.args[0].title == "Checkout returns 502 for card payments"
    assert count(sqlite_desk) == 2
