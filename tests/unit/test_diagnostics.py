"""The diagnostics text and the program's log: what they hold, and that no password gets in."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from incidentdesk import __version__
from incidentdesk.diagnostics import (
    NO_PROBLEMS,
    DatabaseFacts,
    ProgramFacts,
    about_lines,
    diagnostics_text,
    redact,
)
from incidentdesk.logs import LOG_FILE_BACKUPS, LOG_FILE_NAME, ProgramLog, RecentProblems
from incidentdesk.storage.locations import parse_location

SECRET = "Tr0ub4dor&3"


@pytest.fixture
def log() -> Iterator[ProgramLog]:
    program_log = ProgramLog()
    program_log.start()
    yield program_log
    program_log.stop()


def facts(address: str = "sqlite:////tmp/desk.db", schema: int = 5) -> ProgramFacts:
    return ProgramFacts.now(
        "Qt 6.11.3, PySide6 6.11.3", DatabaseFacts.of(parse_location(address), schema)
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            f"could not open postgresql://rosa:{SECRET}@db.example:5432/desk",
            "could not open postgresql://rosa:***@db.example:5432/desk",
        ),
        (
            f"host=db.example user=rosa password={SECRET} dbname=desk",
            "host=db.example user=rosa password=*** dbname=desk",
        ),
        (
            f"host=db password='{SECRET} with spaces' port=5432",
            "host=db password=*** port=5432",
        ),
        (f"the server said: {SECRET} is wrong", "the server said: *** is wrong"),
        ("sqlite:///home/rosa/desk.db", "sqlite:///home/rosa/desk.db"),
        ("no address here", "no address here"),
    ],
)
def test_redact_hides_every_kind_of_password(text: str, expected: str) -> None:
    assert redact(text, [SECRET]) == expected


def test_redact_hides_a_password_in_an_address_that_cannot_be_parsed() -> None:
    # A password holding '/' cuts the host part short; more is hidden rather than less.
    text = "opening 'postgresql://rosa:pa/ss@db:5432/desk' failed"
    assert "pa/ss" not in redact(text)
    assert "ss@db" not in redact(text)


def test_the_facts_name_version_python_qt_database_and_licence() -> None:
    shown = dict(about_lines(facts()))
    assert shown["Version"] == __version__
    assert shown["Python"].endswith(
        f"{sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}"
    )
    assert shown["Qt"] == "Qt 6.11.3, PySide6 6.11.3"
    assert shown["Database"] == "SQLite: /tmp/desk.db"
    assert shown["Schema version"] == "5"
    assert shown["Licence"] == "MIT"
    assert shown["Log file"] == "not written yet"
    assert shown["Platform"]


def test_without_a_database_the_facts_say_so() -> None:
    shown = dict(about_lines(ProgramFacts.now()))
    assert shown["Database"] == "none open"
    assert "Qt" not in shown  # the command line has no Qt


def test_diagnostics_list_the_recent_problems_oldest_first(log: ProgramLog) -> None:
    logging.getLogger("incidentdesk.test").warning("the first problem")
    logging.getLogger("incidentdesk.test").info("not a problem")
    logging.getLogger("incidentdesk.test").warning("the second problem\nover two lines")
    text = diagnostics_text(facts(), log.recent_problems.lines())
    assert text.startswith("Incident Desk diagnostics\nVersion: ")
    assert "Database: SQLite: /tmp/desk.db\nSchema version: 5\n" in text
    problems = text.split("Recent problems (2, warnings and errors, oldest first):\n")[1]
    lines = problems.splitlines()
    assert lines[0].endswith("WARNING incidentdesk.test: the first problem")
    assert lines[1].endswith("WARNING incidentdesk.test: the second problem")
    assert lines[2] == "  over two lines"
    assert "not a problem" not in text


def test_diagnostics_without_problems_say_so() -> None:
    assert f"  {NO_PROBLEMS}\n" in diagnostics_text(facts(), [])


def test_the_diagnostics_hold_no_password_even_when_the_address_carries_one(
    log: ProgramLog,
) -> None:
    address = f"postgresql://rosa:{SECRET}@db.example:5432/desk"
    location = parse_location(address)
    logging.getLogger("incidentdesk.storage").warning("could not connect to %s", address)
    logging.getLogger("incidentdesk.storage").warning(
        "connection failed: host=db.example password=%s", SECRET
    )
    logging.getLogger("incidentdesk.storage").warning("the server repeated %s", SECRET)
    text = diagnostics_text(
        ProgramFacts.now(database=DatabaseFacts.of(location, 5)),
        log.recent_problems.lines(),
        [SECRET],
    )
    assert SECRET not in text
    assert "Tr0ub4dor" not in text
    assert "Database: PostgreSQL: desk on db.example:5432 as rosa" in text
    assert "could not connect to postgresql://rosa:***@db.example:5432/desk" in text
    assert text.count("***") == 3


def test_the_ring_keeps_only_the_last_problems() -> None:
    ring = RecentProblems(capacity=3)
    logger = logging.getLogger("incidentdesk.ring-test")
    logger.addHandler(ring)
    try:
        for number in range(5):
            logger.warning("problem %d", number)
    finally:
        logger.removeHandler(ring)
    assert [line.rsplit(" ", 1)[1] for line in ring.lines()] == ["2", "3", "4"]


def test_the_log_file_gets_what_was_logged_before_it_opened(
    log: ProgramLog, tmp_path: Path
) -> None:
    logging.getLogger("incidentdesk.test").info("logged at start-up")
    assert log.file is None
    log.open_log_file(tmp_path / "log")
    logging.getLogger("incidentdesk.test").info("logged after the paint")
    assert log.file == tmp_path / "log" / LOG_FILE_NAME
    written = log.file.read_text(encoding="utf-8")
    assert "INFO incidentdesk.test: logged at start-up" in written
    assert "INFO incidentdesk.test: logged after the paint" in written
    handlers = [
        h
        for h in logging.getLogger().handlers
        if isinstance(h, logging.handlers.RotatingFileHandler)
    ]
    assert len(handlers) == 1
    assert handlers[0].backupCount == LOG_FILE_BACKUPS
    assert handlers[0].maxBytes > 0


def test_opening_the_log_file_twice_adds_no_second_handler(log: ProgramLog, tmp_path: Path) -> None:
    log.open_log_file(tmp_path)
    log.open_log_file(tmp_path / "elsewhere")
    assert log.file == tmp_path / LOG_FILE_NAME
    assert not (tmp_path / "elsewhere").exists()


def test_a_log_folder_that_cannot_be_made_logs_to_the_terminal(
    log: ProgramLog, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    log.open_log_file(blocker / "log")
    assert log.file is None
    err = capsys.readouterr().err
    assert err.startswith(f"incidentdesk: no log file can be written in {blocker / 'log'} (")
    assert err.rstrip().endswith("logging to the terminal instead.")
