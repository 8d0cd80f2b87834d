"""The first-run dialog against the real PostgreSQL server: what connects, and the one
sentence for each failure; where the password goes (the keyring, nowhere else)."""

from __future__ import annotations

import logging
import socket
import struct
import threading
from pathlib import Path

import psycopg
import pytest
from keyring.backends import fail
from keyring.errors import PasswordSetError
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QDialog

from incidentdesk import paths
from incidentdesk.services.desk import open_desk
from incidentdesk.storage import models as m
from incidentdesk.storage.secrets import KEYRING_SERVICE
from incidentdesk.ui.first_run import open_at_start
from incidentdesk.ui.first_run_dialog import DatabaseChoice, FirstRunDialog
from incidentdesk.ui.main_window import MainWindow
from incidentdesk.ui.recent_databases import recent_databases, remember_database
from incidentdesk.ui.tasks import TaskRunner
from tests.conftest import POSTGRES_ADMIN_URL, InstallKeyring, MemoryKeyring, require_postgres
from tests.gui.conftest import RecordingDialogs
from tests.gui.form_helpers import activate
from tests.gui.test_settings_dialog import mnemonics
from tests.gui.test_tab_order import tab_cycle

PASSWORD = "Tr0ub4dor&3-not-for-files"
LOGIN = "first.runner"


def server_user() -> str:
    return psycopg.conninfo.conninfo_to_dict(POSTGRES_ADMIN_URL).get("user") or "postgres"


@pytest.fixture
def dialog(qtbot, runner: TaskRunner, tmp_path: Path, memory_keyring: MemoryKeyring):
    shown = FirstRunDialog(runner, tmp_path / "data" / "incidents.db", LOGIN)
    qtbot.addWidget(shown)
    qtbot.waitUntil(lambda: not runner.busy)  # the keyring has been looked at
    return shown


def fill_team(dialog: FirstRunDialog, database: str, *, port: int = 5432, host: str = "127.0.0.1"):
    dialog.team_choice.setChecked(True)
    dialog.host.setText(host)
    dialog.port.setValue(port)
    dialog.database.setText(database)
    dialog.user.setText(server_user())
    dialog.password.setText(PASSWORD)


def run_connection_test(qtbot, dialog: FirstRunDialog, runner: TaskRunner) -> str:
    dialog.test_button.click()
    assert not dialog.test_button.isEnabled()  # the test runs in the background
    qtbot.waitUntil(lambda: not runner.busy, timeout=15_000)
    return dialog.status.text()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def everything_written(folder: Path) -> str:
    return "\n".join(
        path.read_bytes().decode("utf-8", "replace") for path in folder.rglob("*") if path.is_file()
    )


def test_correct_settings_connect_and_the_password_goes_only_to_the_keyring(
    qtbot,
    dialog: FirstRunDialog,
    runner: TaskRunner,
    memory_keyring: MemoryKeyring,
    new_postgres_database: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    fill_team(dialog, new_postgres_database)
    sentence = run_connection_test(qtbot, dialog, runner)
    assert sentence == (
        f"Connected: {new_postgres_database} on 127.0.0.1:5432 as {server_user()} is empty, "
        "and Incident Desk sets it up when you open it."
    )
    dialog.name.setText("Ada Admin")
    dialog.email.setText("ada@example.org")
    with qtbot.waitSignal(dialog.accepted, timeout=20_000):
        dialog.open_button.click()
    choice = dialog.choice()
    assert choice is not None
    address = f"postgresql://{server_user()}@127.0.0.1:5432/{new_postgres_database}"
    assert choice.address == choice.address_for_opening == address
    assert not choice.asks_for_password
    assert memory_keyring.passwords == {(KEYRING_SERVICE, address): PASSWORD}
    # The database was set up, with the person as its first admin, known on PostgreSQL by
    # the server's login (not the computer's).
    desk = open_desk(address)
    try:
        with desk.store.bound():
            me = m.User.get_by_id(desk.actor_id)
            assert (me.name, me.email, me.role) == ("Ada Admin", "ada@example.org", "admin")
    finally:
        desk.close()
    QSettings().sync()
    assert PASSWORD not in everything_written(tmp_path)
    assert not any(PASSWORD in record.getMessage() for record in caplog.records)


def test_a_wrong_port_says_no_server_answers(
    qtbot, dialog: FirstRunDialog, runner: TaskRunner, new_postgres_database: str
) -> None:
    port = free_port()
    fill_team(dialog, new_postgres_database, port=port)
    assert run_connection_test(qtbot, dialog, runner) == (
        f"No PostgreSQL server answers at 127.0.0.1:{port}; check the host name and the port, "
        "and that the server is running and lets this computer connect."
    )
    dialog.open_button.click()
    qtbot.waitUntil(lambda: not runner.busy, timeout=15_000)
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.status.text().startswith("No PostgreSQL server answers")
    assert dialog.password.text() == PASSWORD  # nothing typed is lost


def test_a_missing_database_is_named(qtbot, dialog: FirstRunDialog, runner: TaskRunner) -> None:
    require_postgres()
    fill_team(dialog, "no_such_incident_database")
    assert run_connection_test(qtbot, dialog, runner) == (
        "There is no database called 'no_such_incident_database' on 127.0.0.1:5432; check "
        "the name, or ask whoever runs the server to create it."
    )


class PasswordCheckingServer:
    """Speaks PostgreSQL's protocol as far as asking for a password and refusing it, as a
    server with password authentication does (SQLSTATE 28P01). The test server trusts every
    connection from 127.0.0.1 (its pg_hba.conf), so it never refuses a password itself."""

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.2)
        self.port = int(self._socket.getsockname()[1])
        self.passwords: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            with connection:
                self._refuse(connection)

    @staticmethod
    def _read(connection: socket.socket, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = connection.recv(size - len(data))
            if not chunk:
                raise ConnectionError("the client left")
            data += chunk
        return data

    def _refuse(self, connection: socket.socket) -> None:
        connection.settimeout(5)
        try:
            while True:  # SSL and GSS encryption requests are declined, then comes the startup
                length, code = struct.unpack("!ii", self._read(connection, 8))
                self._read(connection, length - 8)
                if code not in (80877103, 80877104):
                    break
                connection.sendall(b"N")
            connection.sendall(b"R" + struct.pack("!ii", 8, 3))  # cleartext password, please
            kind = self._read(connection, 1)
            (length,) = struct.unpack("!i", self._read(connection, 4))
            body = self._read(connection, length - 4)
            if kind == b"p":
                self.passwords.append(body.rstrip(b"\0"))
            fields = (
                b"SFATAL\0VFATAL\0C28P01\0"
                + f'Mpassword authentication failed for user "{server_user()}"\0'.encode()
                + b"\0"
            )
            connection.sendall(b"E" + struct.pack("!i", len(fields) + 4) + fields)
        except (ConnectionError, TimeoutError):
            return

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._socket.close()


def test_a_wrong_password_says_so(qtbot, dialog: FirstRunDialog, runner: TaskRunner) -> None:
    server = PasswordCheckingServer()
    try:
        fill_team(dialog, "incidents", port=server.port)
        assert run_connection_test(qtbot, dialog, runner) == (
            f"The server at 127.0.0.1:{server.port} refused the password for "
            f"'{server_user()}'; type the right password (ask whoever runs the server if you "
            "do not know it)."
        )
        assert server.passwords == [PASSWORD.encode()]  # libpq really sent it, and was refused
    finally:
        server.close()


def test_just_this_computer_creates_the_file_and_makes_the_person_admin(
    qtbot, dialog: FirstRunDialog, tmp_path: Path
) -> None:
    assert dialog.local_choice.isChecked()
    assert dialog.local_file.text() == str(tmp_path / "data" / "incidents.db")
    assert not dialog.test_button.isVisible()
    dialog.name.setText("Grace")
    with qtbot.waitSignal(dialog.accepted, timeout=20_000):
        dialog.open_button.click()
    choice = dialog.choice()
    assert choice is not None
    assert choice.address == f"sqlite:///{tmp_path / 'data' / 'incidents.db'}"
    desk = open_desk(choice.address, login="someone.else")
    try:
        with desk.store.bound():
            roles = {row.login: (row.name, row.role) for row in m.User.select()}
    finally:
        desk.close()
    assert roles == {LOGIN: ("Grace", "admin"), "someone.else": ("someone.else", "staff")}


def test_an_invalid_email_is_refused_by_field(qtbot, dialog: FirstRunDialog) -> None:
    dialog.email.setText("not an address")
    dialog.open_button.click()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.status.text() == "The e-mail address looks wrong; write it as name@example.org."
    assert dialog.email.hasFocus() or dialog.focusWidget() is dialog.email


def test_an_existing_file_warns_about_network_shares(
    qtbot, dialog: FirstRunDialog, runner: TaskRunner, tmp_path: Path
) -> None:
    dialog.existing_choice.setChecked(True)
    warning = dialog.share_warning.text()
    assert "network share" in warning
    assert "corrupted" in warning
    assert "SQLite's own documentation" in warning
    assert "PostgreSQL" in warning
    dialog.existing_file.setText(str(tmp_path / "missing.db"))
    assert "There is no database at" in run_connection_test(qtbot, dialog, runner)
    other = tmp_path / "other.db"
    other.write_bytes(b"just some text, not SQLite")
    dialog.existing_file.setText(str(other))
    assert "is not an Incident Desk database" in run_connection_test(qtbot, dialog, runner)


def test_without_a_keyring_the_password_is_asked_each_time(
    qtbot, runner: TaskRunner, tmp_path: Path, use_keyring: InstallKeyring, new_postgres_database
) -> None:
    use_keyring(fail.Keyring())
    dialog = FirstRunDialog(runner, tmp_path / "incidents.db", LOGIN)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: not runner.busy)
    assert not dialog.keep_in_keyring.isEnabled()
    assert dialog.ask_each_time.isChecked()
    assert dialog.keyring_note.text().startswith("No system keyring works on this computer")
    assert "plain text" in dialog.keyring_note.text()
    fill_team(dialog, new_postgres_database)
    with qtbot.waitSignal(dialog.accepted, timeout=20_000):
        dialog.open_button.click()
    choice = dialog.choice()
    assert choice is not None
    assert choice.asks_for_password
    assert PASSWORD not in choice.address
    assert f":{PASSWORD.replace('&', '%26')}@" in choice.address_for_opening


def test_tab_visits_the_controls_in_reading_order(qtbot, dialog: FirstRunDialog) -> None:
    dialog.show()
    activate(qtbot, dialog)
    dialog.team_choice.setChecked(True)
    order = tab_cycle(dialog.team_choice)
    assert order == [
        "Team database (PostgreSQL, shared by several people)",
        "Server host",
        "Server port",
        "Database name",
        "User name on the server",
        "Password",
        "Keep the password in the system keyring",
        "Your name",
        "Your e-mail address",
        "Test Connection",
        "Quit",
        "Open",
    ]


def test_with_no_database_chosen_yet_the_first_run_dialog_opens(
    qtbot, runner: TaskRunner, dialogs: RecordingDialogs, sqlite_address: str, memory_keyring
) -> None:
    window = MainWindow(runner, dialogs)
    qtbot.addWidget(window)
    asked = open_at_start(window, runner, None)
    assert asked is not None
    assert asked.isVisible()
    assert asked.local_file.text() == str(paths.default_database_path())
    qtbot.waitUntil(lambda: not runner.busy)
    # As if the person had set up the database the test chose.
    asked._choice = DatabaseChoice(sqlite_address, sqlite_address, asks_for_password=False)
    with qtbot.waitSignal(window.database_opened, timeout=10_000):
        asked.done(QDialog.DialogCode.Accepted)
    qtbot.waitUntil(lambda: recent_databases() == [sqlite_address])


def test_the_database_used_last_opens_without_asking(
    qtbot, runner: TaskRunner, dialogs: RecordingDialogs, tmp_path: Path
) -> None:
    first, second = (f"sqlite:///{tmp_path / name}" for name in ("first.db", "second.db"))
    window = MainWindow(runner, dialogs)
    qtbot.addWidget(window)
    window.show()
    for address in (first, second):
        with qtbot.waitSignal(window.view_painted, timeout=10_000):
            window.open_database(address)
    qtbot.waitUntil(lambda: recent_databases() == [second, first])
    window.recent_menu.refill()
    labels = [action.text() for action in window.recent_menu.actions()]
    assert labels == [f"&1 {tmp_path / 'second.db'}", f"&2 {tmp_path / 'first.db'}"]
    with qtbot.waitSignal(window.database_opened, timeout=10_000) as opened:
        window.recent_menu.actions()[1].trigger()
    assert opened.args == [first]
    later = MainWindow(runner, dialogs)
    qtbot.addWidget(later)
    with qtbot.waitSignal(later.database_opened, timeout=10_000) as opened:
        assert open_at_start(later, runner, None) is None
    assert opened.args == [first]


def test_a_recent_database_never_keeps_its_password(qtbot) -> None:
    remember_database(f"postgresql://alice:{PASSWORD}@db.example.org:5432/incidents")
    assert recent_databases() == ["postgresql://alice@db.example.org:5432/incidents"]
    QSettings().sync()
    assert PASSWORD not in Path(QSettings().fileName()).read_text()


class LockedKeyring(MemoryKeyring):
    """A keyring that is there but refuses to store anything (locked, or denied)."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise PasswordSetError("the collection is locked")


def test_a_keyring_that_refuses_the_password_offers_to_ask_each_time(
    qtbot,
    runner: TaskRunner,
    tmp_path: Path,
    use_keyring: InstallKeyring,
    new_postgres_database: str,
) -> None:
    use_keyring(LockedKeyring())
    dialog = FirstRunDialog(runner, tmp_path / "incidents.db", LOGIN)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: not runner.busy)
    assert dialog.keep_in_keyring.isEnabled()
    fill_team(dialog, new_postgres_database)
    dialog.open_button.click()
    qtbot.waitUntil(lambda: not runner.busy and dialog.open_button.isEnabled(), timeout=15_000)
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.status.text() == (
        "The system keyring refused the password: the collection is locked. Choose “Ask for "
        "the password each time” to go on without keeping it."
    )
    dialog.ask_each_time.setChecked(True)
    with qtbot.waitSignal(dialog.accepted, timeout=20_000):
        dialog.open_button.click()
    choice = dialog.choice()
    assert choice is not None
    assert choice.asks_for_password


def older_database(path: Path, admin_login: str) -> str:
    address = f"sqlite:///{path}"
    desk = open_desk(address, login=admin_login)
    try:
        with desk.store.write():
            m.User.update(role="admin").where(m.User.id == desk.actor_id).execute()
            m.SchemaInfo.update(value="3").where(m.SchemaInfo.key == "version").execute()
    finally:
        desk.close()
    return address


def test_an_older_database_is_upgraded_by_its_admin_from_the_dialog(
    qtbot, dialog: FirstRunDialog, runner: TaskRunner, tmp_path: Path
) -> None:
    older_database(tmp_path / "old.db", LOGIN)
    dialog.show()
    dialog.existing_choice.setChecked(True)
    dialog.existing_file.setText(str(tmp_path / "old.db"))
    sentence = run_connection_test(qtbot, dialog, runner)
    assert "has schema 3 and this program needs" in sentence
    assert "as an admin you can upgrade it now" in sentence
    assert dialog.upgrade_button.isVisible()
    assert dialog.upgrade_button.isEnabled()
    dialog.upgrade_button.click()
    qtbot.waitUntil(lambda: not runner.busy, timeout=15_000)
    assert dialog.status.text().startswith(f"Upgraded: {tmp_path / 'old.db'} now has schema ")
    assert not dialog.upgrade_button.isVisible()
    assert run_connection_test(qtbot, dialog, runner).startswith("Connected: ")


def test_staff_are_told_to_ask_an_admin_to_upgrade(
    qtbot, dialog: FirstRunDialog, runner: TaskRunner, tmp_path: Path
) -> None:
    older_database(tmp_path / "old.db", "someone.else")
    dialog.show()
    dialog.existing_choice.setChecked(True)
    dialog.existing_file.setText(str(tmp_path / "old.db"))
    assert run_connection_test(qtbot, dialog, runner).endswith(
        "ask one of its admins to upgrade it."
    )
    assert dialog.upgrade_button.isVisible()
    assert not dialog.upgrade_button.isEnabled()
    assert dialog.upgrade_button.toolTip() == "Only an admin of this database may upgrade it"
    dialog.open_button.click()
    qtbot.waitUntil(lambda: not runner.busy, timeout=15_000)
    assert dialog.result() != QDialog.DialogCode.Accepted


def test_no_two_controls_of_a_page_share_a_mnemonic(qtbot, dialog: FirstRunDialog) -> None:
    dialog.show()
    for choice in (dialog.local_choice, dialog.existing_choice, dialog.team_choice):
        choice.setChecked(True)
        keys = mnemonics(dialog)
        assert len(keys) == len(set(keys)), (choice.text(), sorted(keys))
