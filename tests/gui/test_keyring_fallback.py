"""Without a working keyring the password is asked for each time, never written to a file."""

from __future__ import annotations

from pathlib import Path

import pytest
from keyring.backends import fail
from PySide6.QtCore import QSettings

from incidentdesk.ui import first_run
from incidentdesk.ui.main_window import MainWindow
from incidentdesk.ui.open_database_dialog import OpenDatabaseDialog
from incidentdesk.ui.recent_databases import asks_for_password, recent_databases
from incidentdesk.ui.tasks import TaskRunner
from tests.conftest import InstallKeyring
from tests.gui.conftest import RecordingDialogs
from tests.gui.test_first_run import (
    PASSWORD,
    PasswordCheckingServer,
    everything_written,
    server_user,
)


def test_a_password_the_keyring_cannot_keep_is_asked_for_each_time(
    qtbot,
    window: MainWindow,
    runner: TaskRunner,
    dialogs: RecordingDialogs,
    use_keyring: InstallKeyring,
    new_postgres_database: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    use_keyring(fail.Keyring())

    def fill_and_accept(dialog: OpenDatabaseDialog) -> int:
        dialog._postgres_choice.setChecked(True)
        dialog._host.setText("127.0.0.1")
        dialog._name.setText(new_postgres_database)
        dialog._user.setText(server_user())
        dialog._password.setText(PASSWORD)
        return int(OpenDatabaseDialog.DialogCode.Accepted.value)

    monkeypatch.setattr(OpenDatabaseDialog, "exec", fill_and_accept)
    address = f"postgresql://{server_user()}@127.0.0.1:5432/{new_postgres_database}"
    with qtbot.waitSignal(window.database_opened, timeout=15_000):
        window.choose_database()
    qtbot.waitUntil(lambda: not runner.busy)
    kind, title, text = dialogs.messages[-1]
    assert (kind, title) == ("warn", "Password Not Kept")
    assert text.startswith("There is no system keyring on this machine to keep the password in")
    assert "asks for this database's password each time" in text
    assert asks_for_password(address)
    qtbot.waitUntil(lambda: recent_databases()[:1] == [address])
    QSettings().sync()
    assert PASSWORD not in everything_written(tmp_path)


def test_a_database_whose_password_is_asked_for_opens_with_the_typed_one(
    qtbot,
    window: MainWindow,
    new_postgres_database: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    address = f"postgresql://{server_user()}@127.0.0.1:5432/{new_postgres_database}"
    first_run.set_asks_for_password(address, True)
    asked: list[str] = []
    monkeypatch.setattr(
        first_run, "ask_password", lambda parent, shown: asked.append(shown) or PASSWORD
    )
    with qtbot.waitSignal(window.database_opened, timeout=15_000) as opened:
        first_run.open_remembered(window, address)
    assert asked == [address]
    assert f":{PASSWORD.replace('&', '%26')}@" in opened.args[0]  # this connection only
    qtbot.waitUntil(lambda: recent_databases()[:1] == [address])


def test_a_server_that_wants_a_password_can_be_given_one_after_a_failed_open(
    qtbot,
    runner: TaskRunner,
    dialogs: RecordingDialogs,
    memory_keyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = PasswordCheckingServer()
    try:
        window = MainWindow(runner, dialogs)
        qtbot.addWidget(window)
        window.database_failed.connect(window.offer_next_step)
        monkeypatch.setattr(first_run, "ask_password", lambda parent, shown: PASSWORD)
        dialogs.answers = ["Type the Password…", None]
        address = f"postgresql://{server_user()}@127.0.0.1:{server.port}/incidents"
        with qtbot.waitSignals([window.database_failed] * 2, timeout=20_000):
            window.open_database(address)
        assert [title for _, title, _ in dialogs.messages] == ["Database Not Opened"] * 2
        assert server.passwords[-1] == PASSWORD.encode()  # the typed one was sent
        assert "refused the password" in dialogs.messages[-1][2]
        assert PASSWORD not in "\n".join(text for _, _, text in dialogs.messages)
    finally:
        server.close()
