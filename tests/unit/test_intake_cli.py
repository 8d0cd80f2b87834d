"""``incidentdesk intake``: file, token and rules from the command line, their messages and
exit statuses, and the systemd unit's command line."""

from __future__ import annotations

import io
import json
import re
import stat
import sys
from pathlib import Path

import pytest

from incidentdesk import cli, intake_command
from incidentdesk.intake import tokens
from incidentdesk.storage.locations import parse_location
from tests import intake_payloads as p

REPOSITORY = Path(__file__).resolve().parents[2]


def run(*argv: str) -> int:
    return cli.main(list(argv))


def test_a_payload_file_is_imported_once(
    sqlite_address: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    payload = tmp_path / "alert.json"
    payload.write_text(json.dumps(p.alertmanager()))
    assert run("--db", sqlite_address, "intake", "file", str(payload)) == cli.EXIT_OK
    assert capsys.readouterr().out == "alertmanager: created; incidents INC-1\n"
    assert run("--db", sqlite_address, "intake", "file", str(payload)) == cli.EXIT_OK
    assert "a repeat of a request already processed" in capsys.readouterr().out


def test_a_payload_from_standard_input_with_its_format_named(
    sqlite_address: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(p.encoded(p.generic())))
    monkeypatch.setattr(sys, "stdin", stdin)
    code = run("--db", sqlite_address, "intake", "file", "-", "--format", "generic")
    assert code == cli.EXIT_OK
    assert capsys.readouterr().out == "generic: created; incidents INC-1\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"alerts": [', "alert.json was not imported: the body is not valid JSON"),
        (b'{"hello": 1}', "alert.json was not imported: the format is not known"),
        (b" " * 1_000_001, "alert.json was not imported: the file is over 1,000,000 bytes"),
    ],
)
def test_a_refused_payload_file_ends_with_one_line_and_status_1(
    sqlite_address: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: bytes,
    message: str,
) -> None:
    payload = tmp_path / "alert.json"
    payload.write_bytes(content)
    assert run("--db", sqlite_address, "intake", "file", str(payload)) == cli.EXIT_FAILURE
    error = capsys.readouterr().err
    assert error.startswith("incidentdesk: ")
    assert message in error
    assert error.count("\n") == 1


def test_a_missing_payload_file_is_named(
    sqlite_address: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "gone.json"
    assert run("--db", sqlite_address, "intake", "file", str(missing)) == cli.EXIT_FAILURE
    assert capsys.readouterr().err == (
        f"incidentdesk: {missing} could not be read: No such file or directory.\n"
    )


@pytest.mark.parametrize("listen", ["nowhere", "127.0.0.1:http", "127.0.0.1:70000", ":9095"])
def test_a_listen_address_that_is_none_is_a_usage_error(
    listen: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        run("intake", "serve", "--listen", listen)
    assert exit_.value.code == cli.EXIT_USAGE
    assert "--listen" in capsys.readouterr().err


def test_a_token_kept_in_a_file_only_its_owner_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "intake-token"
    assert run("intake", "token", "--file", str(target)) == cli.EXIT_OK
    printed = capsys.readouterr().out.strip()
    assert len(printed) >= 40
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert tokens.read_token_file(target) == printed


def test_a_token_goes_to_the_keyring_where_there_is_one(
    memory_keyring, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("intake", "token") == cli.EXIT_OK
    printed = capsys.readouterr().out.strip()
    assert memory_keyring.passwords[(tokens.KEYRING_SERVICE, tokens.KEYRING_NAME)] == printed


def test_a_token_file_others_can_read_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "token"
    target.write_text("x" * 40)
    target.chmod(0o644)
    with pytest.raises(tokens.TokenUnavailable, match="chmod 600"):
        tokens.read_token_file(target)


def test_rules_are_printed_and_replaced(
    sqlite_address: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("--db", sqlite_address, "intake", "rules") == cli.EXIT_OK
    defaults = json.loads(capsys.readouterr().out)
    assert {"label": "severity", "value": "critical", "severity": "SEV1"} in defaults
    new = tmp_path / "rules.json"
    new.write_text(json.dumps([{"group_by": "cluster", "recover_when_resolved": True}]))
    assert run("--db", sqlite_address, "intake", "rules", "--set", str(new)) == cli.EXIT_OK
    capsys.readouterr()
    assert run("--db", sqlite_address, "intake", "rules") == cli.EXIT_OK
    assert json.loads(capsys.readouterr().out) == [
        {"label": "", "value": "", "group_by": "cluster", "recover_when_resolved": True}
    ]


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ([{"severity": "SEV9"}], "severity must be SEV1 to SEV5"),
        ([{"colour": "red"}], "fields no rule has: colour"),
        ({"not": "a list"}, "must hold a JSON array of rules"),
        ([{"service": "Nowhere"}], "there is no service named 'Nowhere'"),
    ],
)
def test_rules_that_are_wrong_leave_the_stored_ones(
    sqlite_address: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    rules: object,
    message: str,
) -> None:
    new = tmp_path / "rules.json"
    new.write_text(json.dumps(rules))
    assert run("--db", sqlite_address, "intake", "rules", "--set", str(new)) == cli.EXIT_FAILURE
    assert message in capsys.readouterr().err


def test_the_systemd_unit_runs_a_command_the_program_knows() -> None:
    unit = (REPOSITORY / "packaging" / "incidentdesk-intake.service").read_text()
    (exec_start,) = re.findall(r"^ExecStart=(.*)$", unit, re.MULTILINE)
    program, *arguments = exec_start.replace(
        "${INCIDENTDESK_INTAKE_LISTEN}", "127.0.0.1:9095"
    ).split()
    assert program.endswith("/incidentdesk")
    parsed = cli.build_parser().parse_args(arguments)
    assert (parsed.command, parsed.action, parsed.listen) == (
        "intake",
        "serve",
        ("127.0.0.1", 9095),
    )
    assert "KillSignal=SIGTERM" in unit


def test_the_receivers_store_keeps_sqlites_temporary_files_in_memory(sqlite_address: str) -> None:
    """Each transaction's statement journals, some 250 KB a new alert, stay out of files."""
    desk = intake_command._open(parse_location(sqlite_address))
    try:
        assert desk.store.database.execute_sql("PRAGMA temp_store").fetchone()[0] == 2
    finally:
        desk.close()
