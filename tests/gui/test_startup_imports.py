"""What a start on an SQLite file leaves out until the window has painted.

The PostgreSQL driver, the keyring and matplotlib are each about 100 ms or more of imports
that a desk on an SQLite file never needs: they are imported when a PostgreSQL address is
opened, a password is needed, or the charts open. The rest of ``NOT_BEFORE_THE_PAINT`` is
what the first paint of the board does not use (the views and dialogs not shown first, the
Qt modules the program does not use at all, the log file's handlers); each is imported when
first used. docs/architecture.md ("Start-up") has the rule.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from incidentdesk.logs import LOG_FILE_NAME

# Whole packages: none of their modules is imported before the paint.
PACKAGES_NOT_BEFORE_THE_PAINT = (
    "psycopg",
    "psycopg2",
    "psycopg_binary",
    "keyring",
    "matplotlib",
    "numpy",
    "incidentdesk.charts",
    "incidentdesk.intake",
)
NOT_BEFORE_THE_PAINT = (
    # The log file opens once the window has painted.
    "logging.handlers",
    # Qt modules the window does not use.
    "PySide6.QtSvg",
    "PySide6.QtNetwork",
    "PySide6.QtPrintSupport",
    "PySide6.QtDBus",
    # Windows, views and dialogs not shown first.
    "incidentdesk.ui.workspace",
    "incidentdesk.ui.timeline_view",
    "incidentdesk.ui.incident_form",
    "incidentdesk.ui.postmortem_panel",
    "incidentdesk.ui.settings_dialog",
    "incidentdesk.ui.step_dialog",
    "incidentdesk.ui.charts_page",
    "incidentdesk.ui.exports",
    "incidentdesk.ui.attachment_preview",
    "incidentdesk.ui.about_dialog",
    "incidentdesk.ui.diagnostics",
    "incidentdesk.ui.first_run_dialog",
    "incidentdesk.ui.open_database_dialog",
    # Services the board does not read with.
    "incidentdesk.services.attachments",
    "incidentdesk.services.triage",
    "incidentdesk.services.postmortems",
    "incidentdesk.services.reports",
    "incidentdesk.services.export",
    "incidentdesk.services.demo",
    # What only those, or rare paths, use.
    "mimetypes",
    "unicodedata",
    "html",
    "ctypes",
)
# Notes what is imported, and how many collections ran, when the smoke test's line is
# written: the window has painted the board's first cards then.
PROBE = textwrap.dedent(
    """
    import gc, json, sys
    from importlib.abc import MetaPathFinder
    from incidentdesk.cli import main
    at_paint = {}
    after_qt = []
    class NotesWhatComesAfterQt(MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if "PySide6" in sys.modules and not at_paint:
                after_qt.append(name)
    sys.meta_path.insert(0, NotesWhatComesAfterQt())
    collections = {"before the paint": 0, "after it": 0}
    class Watched:
        def write(self, text):
            if "smoke test passed" in text:
                at_paint["modules"] = sorted(sys.modules)
            return sys.__stdout__.write(text)
        def flush(self):
            sys.__stdout__.flush()
    def counted(phase, info):
        if phase == "start":
            collections["after it" if at_paint else "before the paint"] += 1
    gc.callbacks.append(counted)
    sys.stdout = Watched()
    code = main(["--db", sys.argv[1], "--smoke-test"])
    garbage = [object() for _ in range(100_000)]  # enough new objects for a collection
    sys.stdout = sys.__stdout__
    print(json.dumps({
        "code": code,
        "at_paint": at_paint.get("modules", []),
        "after_qt": after_qt,
        "gc_enabled": gc.isenabled(),
        **collections,
    }))
    """
)


def start(address: str, home: Path) -> dict[str, object]:
    environment = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_STATE_HOME": str(home / "state"),
    }
    finished = subprocess.run(
        [sys.executable, "-c", PROBE, address],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    result: dict[str, object] = json.loads(finished.stdout.strip().splitlines()[-1])
    assert result["code"] == 0
    return result


def modules_at_paint(result: dict[str, object]) -> list[str]:
    modules = result["at_paint"]
    assert isinstance(modules, list)
    assert "PySide6.QtWidgets" in modules  # the probe saw the paint
    return modules


def test_a_start_on_an_sqlite_file_leaves_out_what_the_first_paint_does_not_use(
    tmp_path: Path,
) -> None:
    result = start(f"sqlite:///{tmp_path / 'new.db'}", tmp_path)
    loaded = modules_at_paint(result)
    assert "peewee" in loaded
    assert "incidentdesk.ui.board_page" in loaded
    assert [name for name in NOT_BEFORE_THE_PAINT if name in loaded] == []
    packages = [
        name
        for name in loaded
        if any(
            name == package or name.startswith(f"{package}.")
            for package in PACKAGES_NOT_BEFORE_THE_PAINT
        )
    ]
    assert packages == []
    # The log file opened once the window painted, and holds what was logged before.
    assert (tmp_path / "state" / "incidentdesk" / "log" / LOG_FILE_NAME).is_file()


def test_the_core_the_first_paint_uses_is_imported_before_qt(tmp_path: Path) -> None:
    """After PySide6, every module imported has its source read by PySide6's import hook
    (see app.CORE_BEFORE_QT): the Qt-free core comes first."""
    result = start(f"sqlite:///{tmp_path / 'new.db'}", tmp_path)
    after_qt = result["after_qt"]
    assert isinstance(after_qt, list)
    assert "incidentdesk.ui.board_page" in after_qt  # the probe saw the window's imports
    core = ("incidentdesk.domain", "incidentdesk.services", "incidentdesk.storage")
    assert [name for name in after_qt if name.startswith(core)] == []


def test_no_garbage_collection_runs_before_the_first_paint(tmp_path: Path) -> None:
    """Start-up makes some 50,000 objects that all live on: collecting them cost about 15 ms
    of a start and found a few hundred. They are frozen at the paint; collections resume."""
    result = start(f"sqlite:///{tmp_path / 'new.db'}", tmp_path)
    assert result["before the paint"] == 0
    assert result["gc_enabled"] is True
    assert isinstance(result["after it"], int)
    assert result["after it"] > 0


@pytest.mark.postgres
def test_a_start_on_postgresql_imports_the_driver(
    postgres_schema_address: str, tmp_path: Path
) -> None:
    loaded = modules_at_paint(start(postgres_schema_address, tmp_path))
    assert "psycopg" in loaded
