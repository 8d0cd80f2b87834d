"""Tab goes through the incident form and the workspace in the order they read."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QWidget

from incidentdesk.services.desk import Desk
from tests.factories import make_draft
from tests.gui.conftest import FormMaker
from tests.gui.form_helpers import focused, press, type_text
from tests.gui.test_workspace import open_workspace


def name_of(widget: QWidget) -> str:
    if widget.accessibleName():
        return widget.accessibleName()
    if isinstance(widget, QAbstractButton):
        return widget.text().replace("&", "")
    return type(widget).__name__


def tab_cycle(start: QWidget, limit: int = 80) -> list[str]:
    """The names of the widgets Tab visits from ``start`` until it comes back to it, each once
    (a date and time field takes a Tab per part of it)."""
    start.setFocus()
    visited: list[str] = []
    for _ in range(limit):
        name = name_of(focused())
        if not visited or visited[-1] != name:
            visited.append(name)
        press(Qt.Key.Key_Tab)
        if focused() is start:
            return visited
    raise AssertionError(f"Tab never came back: {visited}")


def test_tab_from_the_title_goes_to_the_description_text(
    qtbot, sqlite_desk: Desk, make_form: FormMaker
) -> None:
    form = make_form(sqlite_desk)
    form.title.setFocus()
    type_text("Checkout fails")
    press(Qt.Key.Key_Tab)
    assert focused() is form.description
    type_text("Since 09:12 UTC")
    assert form.description.toPlainText() == "Since 09:12 UTC"


def test_the_form_tab_order_follows_its_layout(
    qtbot, sqlite_desk: Desk, make_form: FormMaker
) -> None:
    form = make_form(sqlite_desk)
    order = tab_cycle(form.title)
    assert "Description view" not in order  # Alt+W and Alt+P switch Write and Preview
    assert order[:8] == [
        "Title",
        "Description",
        "Source",
        "Source name",
        "Contact",
        "First reported at",
        "Set first reported to now",
        "Reported by",
    ]
    landmarks = [
        "Title",
        "Attachments",
        "Add Files…",
        "Service affected",
        "Category",
        "People affected",
        "Severity",
        "Urgency",
        "Assignee",
        "Team",
        "Chat channel",
        "Ticket",
        "Possible duplicates",
        "Cancel",
        "Save Incident",
    ]
    assert [name for name in order if name in landmarks] == landmarks


def test_alt_p_and_alt_w_still_switch_the_description_view(
    qtbot, sqlite_desk: Desk, make_form: FormMaker
) -> None:
    form = make_form(sqlite_desk)
    form.description.setFocus()
    type_text("**bold**")
    press(Qt.Key.Key_P, Qt.KeyboardModifier.AltModifier)
    assert form.description_tabs.currentWidget() is form.preview
    press(Qt.Key.Key_W, Qt.KeyboardModifier.AltModifier)
    assert form.description_tabs.currentWidget() is form.description


def test_the_workspace_tab_order_follows_its_layout(
    qtbot, sqlite_desk: Desk, runner, dialogs
) -> None:
    incident = sqlite_desk.incidents.create(make_draft(), sqlite_desk.actor_id)
    workspace = open_workspace(qtbot, sqlite_desk, runner, dialogs, incident.id)
    workspace.activateWindow()
    qtbot.waitUntil(workspace.isActiveWindow)
    first_step = next(button for button in workspace.step_buttons.values() if button.isVisible())
    order = tab_cycle(first_step)
    landmarks = [
        name_of(first_step),
        "Edit Details…",
        "Export",
        "Show entries of kind",
        "Timeline entries",
        "Entry kind",
        "When it happened",
        "Entry text",
        "Add Entry",
    ]
    assert [name for name in order if name in landmarks] == landmarks
