"""The Qt-free core stays Qt-free: importing it never loads PySide6 (nor the other heavy
packages DESIGN.md keeps off the start-up path)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

PROBE = textwrap.dedent(
    """
    import importlib, json, pkgutil, sys

    def package_modules(package):
        try:
            module = importlib.import_module(f"incidentdesk.{package}")
        except ModuleNotFoundError as error:
            if error.name != f"incidentdesk.{package}":
                raise
            return []
        prefix = module.__name__ + "."
        return [module.__name__] + [i.name for i in pkgutil.walk_packages(module.__path__, prefix)]

    def loaded():
        return sorted({name.partition(".")[0] for name in sys.modules})

    core = ["incidentdesk.cli", "incidentdesk.paths", "incidentdesk.logs"]
    core += ["incidentdesk.diagnostics"]
    for package in ("domain", "storage", "services", "intake"):
        core += package_modules(package)
    for name in core:
        importlib.import_module(name)
    loaded_by_core = loaded()
    charts = package_modules("charts")
    for name in charts:
        importlib.import_module(name)
    print(json.dumps(
        {"core": core, "charts": charts, "loaded_by_core": loaded_by_core, "loaded": loaded()}
    ))
    """
)


@pytest.fixture(scope="module")
def imports() -> dict[str, list[str]]:
    finished = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=False
    )
    assert finished.returncode == 0, finished.stderr
    result: dict[str, list[str]] = json.loads(finished.stdout)
    return result


def test_every_core_module_was_imported(imports: dict[str, list[str]]) -> None:
    for name in (
        "incidentdesk.cli",
        "incidentdesk.paths",
        "incidentdesk.logs",
        "incidentdesk.diagnostics",
        "incidentdesk.domain.validation",
        "incidentdesk.storage.database",
        "incidentdesk.storage.secrets",
        "incidentdesk.services.desk",
        "incidentdesk.services.demo",
        "incidentdesk.services.export",
        "incidentdesk.intake.processing",
        "incidentdesk.intake.pagerduty",
    ):
        assert name in imports["core"]
    assert not any(name.startswith("incidentdesk.ui") for name in imports["core"])
    assert "peewee" in imports["loaded_by_core"]  # the probe sees what the imports load


def test_importing_the_core_and_charts_does_not_load_pyside6(
    imports: dict[str, list[str]],
) -> None:
    assert "PySide6" not in imports["loaded"]
    assert "shiboken6" not in imports["loaded"]


def test_importing_the_core_does_not_load_keyring_or_matplotlib(
    imports: dict[str, list[str]],
) -> None:
    # keyring (~130 ms) is for PostgreSQL passwords only; matplotlib (~420 ms) for charts only.
    assert "keyring" not in imports["loaded_by_core"]
    assert "matplotlib" not in imports["loaded_by_core"]


def test_importing_the_core_does_not_load_the_postgresql_driver(
    imports: dict[str, list[str]],
) -> None:
    # psycopg (~100 ms) is imported when a PostgreSQL database is opened, not with peewee.
    assert "psycopg" not in imports["loaded_by_core"]
    assert "psycopg2" not in imports["loaded_by_core"]
