"""``incidentdesk report``: the period report without a display, and its one-line errors."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from incidentdesk.domain.enums import Severity
from incidentdesk.storage import models as m
from tests.conftest import opened_desk
from tests.unit.test_cli import run
from tests.unit.test_statistics import add, at


@pytest.fixture
def address(sqlite_address: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.delenv("INCIDENTDESK_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    with opened_desk(sqlite_address):
        team = int(m.Team.insert(name="Platform SRE").execute())
        for day, minutes in enumerate((12, 40, 75, 200, 31, 9, 600, 48), start=1):
            add(at(day), acknowledged=3, recovered=minutes, closed=minutes * 5, team_id=team)
        add(at(3), severity=Severity.SEV1, acknowledged=1, recovered=25)
        add(at(4), cancelled=5)
    return sqlite_address


OCTOBER = ("--from", "2026-10-01", "--to", "2026-10-31")


def report(
    capsys: pytest.CaptureFixture[str], address: str, out: Path, *options: str
) -> tuple[int, str, str]:
    """``incidentdesk --db ADDRESS report OPTIONS --out OUT`` in this process."""
    return run(capsys, "--db", address, "report", *options, "--out", str(out))


def test_the_pdf_report_has_every_chart_its_filters_and_the_definitions(
    address: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pypdf = pytest.importorskip("pypdf")
    out = tmp_path / "report.pdf"

    status, _, err = report(capsys, address, out, *OCTOBER)

    assert status == 0
    assert err.strip() == f"Wrote the report on 9 incidents to {out}, 12 pages."
    reader = pypdf.PdfReader(out)
    assert len(reader.pages) == 12
    text = "\n".join(page.extract_text() for page in reader.pages)
    flat = " ".join(text.split())
    assert "Reported 2026-10-01 to 2026-10-31 (UTC days); all severities" in flat
    assert "1 cancelled excluded" in flat
    for title in (
        "How long do incidents take, by severity?",
        "How many are still waiting to be recovered?",
        "How many are still waiting to be resolved?",
        "Are we getting better?",
        "Where does the time go?",
        "Do we meet our targets?",
        "What is piling up?",
        "Definitions",
        "How this is computed",
    ):
        assert title in flat, title
    assert reader.metadata.subject.startswith("Reported 2026-10-01 to 2026-10-31")


def test_markdown_and_csv_with_filters(
    address: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    markdown, table = tmp_path / "report.md", tmp_path / "summary.csv"

    status, _, _ = report(
        capsys, address, markdown, *OCTOBER, "--severity", "SEV2", "--team", "platform sre"
    )
    assert status == 0
    text = markdown.read_text(encoding="utf-8")
    assert (
        "**Filters:** Reported 2026-10-01 to 2026-10-31 (UTC days); SEV2; teams: Platform SRE"
        in text
    )
    assert "| Time to recover | SEV2 | 8 | 0 | 40 min" in text
    assert "SEV1" not in text.split("## Summary")[1].split("## Trend")[0]

    status, _, _ = report(capsys, address, table, *OCTOBER, "--format", "csv")
    assert status == 0
    with table.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    recover = {row["severity"]: row for row in rows if row["measure"] == "recover"}
    assert recover["SEV2"]["incidents"] == "8"
    assert float(recover["SEV2"]["median_s"]) == 40 * 60  # Kaplan–Meier: the 4th of 8 values
    assert recover["SEV1"]["median_s"] == str(25 * 60.0)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["--from", "2026-10-32", "--to", "2026-10-31"],
            "'2026-10-32' is not a date like 2026-10-31",
        ),
        (
            ["--from", "2026-11-01", "--to", "2026-10-31"],
            "--from 2026-11-01 is after --to 2026-10-31",
        ),
        (["--from", "2026-10-01", "--severity", "SEV9"], "'SEV9' is not a severity"),
        (["--from", "2026-10-01", "--format", "docx"], "invalid choice: 'docx'"),
    ],
)
def test_bad_arguments_get_one_line_and_exit_status_2(
    address: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    arguments: list[str],
    message: str,
) -> None:
    status, out, err = report(capsys, address, tmp_path / "r.pdf", *arguments)

    assert status == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err + out
    assert not (tmp_path / "r.pdf").exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["--from", "2026-06-01", "--to", "2026-06-30"],
            "No incidents reported 2026-06-01 to 2026-06-30 (UTC) match these filters; "
            "there is nothing to report.",
        ),
        (
            ["--from", "2026-10-01", "--to", "2026-10-31", "--team", "Nobody"],
            "there is no team named Nobody (there are: Platform SRE).",
        ),
    ],
)
def test_an_empty_period_or_an_unknown_name_gets_one_line_and_exit_status_1(
    address: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    arguments: list[str],
    message: str,
) -> None:
    out = tmp_path / "report.pdf"

    status, stdout, err = report(capsys, address, out, *arguments)

    assert status == 1
    assert err.strip() == f"incidentdesk: {message}"
    assert "Traceback" not in err + stdout
    assert not out.exists()


def test_an_unwritable_output_path_gets_one_line_and_exit_status_1(
    address: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "no-such-folder" / "report.pdf"

    status, stdout, err = report(capsys, address, out, *OCTOBER)

    assert status == 1
    assert err.strip() == f"incidentdesk: {out} could not be written: No such file or directory."
    assert "Traceback" not in err + stdout


def test_a_missing_database_gets_one_line_and_exit_status_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    missing = f"sqlite:///{tmp_path / 'missing.db'}"

    status, _, err = report(capsys, missing, tmp_path / "r.pdf", "--from", "2026-10-01")

    assert status == 1
    assert len(err.strip().splitlines()) == 1
    assert "There is no database" in err


def test_the_report_runs_without_a_display_and_never_imports_qt(
    address: str, tmp_path: Path
) -> None:
    out = tmp_path / "report.pdf"
    environment = {
        key: value for key, value in os.environ.items() if key not in ("DISPLAY", "QT_QPA_PLATFORM")
    }
    code = (
        "import sys; from incidentdesk.cli import main; "
        f"status = main(['--db', {address!r}, 'report', '--from', '2026-10-01', "
        f"'--to', '2026-10-31', '--out', {str(out)!r}]); "
        "assert not [m for m in sys.modules if m.startswith('PySide6')], 'Qt imported'; "
        "sys.exit(status)"
    )

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environment, check=False
    )

    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:5] == b"%PDF-"
