"""The wheel ships the resources, so an installed Incident Desk finds its icons and templates."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_wheel_contains_every_resource_file(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("incidentdesk-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    resources = [
        path.relative_to(ROOT / "resources").as_posix()
        for path in (ROOT / "resources").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    ]
    assert resources
    missing = [name for name in resources if f"incidentdesk/resources/{name}" not in names]
    assert not missing
    assert "incidentdesk/ui/main_window.py" in names
