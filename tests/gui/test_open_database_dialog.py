"""File → Open Database…: choosing an SQLite file or a PostgreSQL server."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QDialog

from incidentdesk.ui.open_database_dialog import OpenDatabaseDialog


def test_starts_on_the_current_sqlite_file(qtbot, tmp_path: Path) -> None:
    dialog = OpenDatabaseDialog(f"sqlite:///{tmp_path / 'team.db'}")
    qtbot.addWidget(dialog)
    assert dialog._sqlite_choice.isChecked()
    assert dialog.address() == f"sqlite:///{tmp_path / 'team.db'}"


def test_starts_on_the_current_postgres_server(qtbot) -> None:
    dialog = OpenDatabaseDialog("postgresql://alice@db.example.com:6543/incidents")
    qtbot.addWidget(dialog)
    assert dialog._postgres_choice.isChecked()
    assert dialog._host.text() == "db.example.com"
    assert dialog._port.value() == 6543
    assert dialog.address() == "postgresql://alice@db.example.com:6543/incidents"


def test_missing_fields_are_named_and_the_dialog_stays_open(qtbot) -> None:
    dialog = OpenDatabaseDialog("sqlite:///x.db")
    qtbot.addWidget(dialog)
    dialog._file.clear()
    dialog._accept_if_valid()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog._error.text() == "Choose a database file."
    dialog._postgres_choice.setChecked(True)
    dialog._host.setText("db.example.com")
    dialog._name.setText("incidents")
    dialog._user.clear()
    dialog._accept_if_valid()
    assert dialog._error.text() == "Fill in the user name."
    assert dialog.result() != QDialog.DialogCode.Accepted


def test_a_typed_password_is_used_for_this_connection_and_may_be_remembered(qtbot) -> None:
    dialog = OpenDatabaseDialog("postgresql://alice@db.example.com:5432/incidents")
    qtbot.addWidget(dialog)
    dialog._password.setText("s3cret/:@")
    assert dialog.address() == "postgresql://alice@db.example.com:5432/incidents"
    assert dialog.address_for_opening() == (
        "postgresql://alice:s3cret%2F%3A%40@db.example.com:5432/incidents"
    )
    assert dialog.remember_password()
    dialog._remember.setChecked(False)
    assert not dialog.remember_password()
    dialog._accept_if_valid()
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_every_field_has_an_accessible_name(qtbot) -> None:
    dialog = OpenDatabaseDialog("sqlite:///x.db")
    qtbot.addWidget(dialog)
    for field in (
        dialog._file,
        dialog._host,
        dialog._port,
        dialog._name,
        dialog._user,
        dialog._password,
    ):
        assert field.accessibleName()


def test_a_recent_database_fills_in_the_fields(qtbot, tmp_path: Path) -> None:
    recent = ["postgresql://alice@db.example.com:6543/incidents", f"sqlite:///{tmp_path / 'a.db'}"]
    dialog = OpenDatabaseDialog(f"sqlite:///{tmp_path / 'x.db'}", recent=recent)
    qtbot.addWidget(dialog)
    assert dialog.recent.count() == 3
    assert dialog.recent.itemText(1) == "incidents on db.example.com:6543 as alice"
    dialog.recent.setCurrentIndex(1)
    assert dialog._postgres_choice.isChecked()
    assert dialog.address() == recent[0]
    dialog.recent.setCurrentIndex(2)
    assert dialog._sqlite_choice.isChecked()
    assert dialog.address() == recent[1]
