"""Check the bundle in dist/IncidentDesk/ (`make bundle-test` builds it first).

Runs the bundled program as a person would, with no Python path of ours: ``--version``, the
smoke test offscreen on a new SQLite file and on the PostgreSQL test server, ``demo`` and
``report`` without a display; checks what the folder holds and leaves out; validates the Linux
desktop entry and AppStream metainfo. Prints ``bundle_size_mb`` and ``bundle_startup_s``; exits
1 on the first failure, naming it.

The PostgreSQL server is the tests' (``INCIDENTDESK_TEST_POSTGRES``, default
postgresql://postgres@127.0.0.1:5432/test); the check gets a schema of its own and drops it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
BUNDLE = REPOSITORY / "dist" / "IncidentDesk"
PROGRAM = BUNDLE / "incidentdesk"
LINUX = REPOSITORY / "packaging" / "linux"
APP_ID = "example.incidentdesk.IncidentDesk"
POSTGRES_ADMIN_URL = os.environ.get(
    "INCIDENTDESK_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)
TIMEOUT_S = 120
SMOKE_TEST_LINE = re.compile(r"smoke test passed: ([\d,]+) incidents shown")
# What the bundle must hold, relative to its _internal folder.
REQUIRED = (
    "incidentdesk/resources/icons/incidentdesk.svg",
    "incidentdesk/resources/templates/incident.md",
    "PySide6/Qt/plugins/platforms/libqoffscreen.so",
    "PySide6/Qt/plugins/platforms/libqxcb.so",
    "PySide6/Qt/plugins/platforms/libqwayland.so",
    "PySide6/Qt/plugins/imageformats/libqjpeg.so",
    "PySide6/Qt/plugins/imageformats/libqsvg.so",
    "PySide6/Qt/plugins/iconengines/libqsvgicon.so",
    "matplotlib/mpl-data/fonts/ttf/DejaVuSans.ttf",
    "PySide6/QtSvg.abi3.so",
    "psycopg_binary",
)
# What it must leave out: Qt parts (as part of any file name) and Python packages.
LEFT_OUT_QT = (
    "QtWebEngine",
    "Qt6Quick",
    "Qt6Qml",
    "Qt6Pdf",
    "Qt6Network",
    "libqgtk3",
    "libqeglfs",
    "libqvnc",
    "translations",
)
LEFT_OUT_PACKAGES = ("tkinter", "_tkinter", "lifelines", "pandas", "scipy", "pytest", "IPython")
# Modules that must be in the bundle's archive (build/…/PYZ-00.toc): imported late, by name.
ARCHIVED = (
    "matplotlib.backends.backend_qtagg",
    "matplotlib.backends.backend_pdf",
    "matplotlib.backends.backend_svg",
    "psycopg",
    "keyring.backends.SecretService",
)
PYZ_CONTENTS = REPOSITORY / "build" / "incidentdesk" / "PYZ-00.toc"
PLATFORMS = {"libqminimal.so", "libqoffscreen.so", "libqwayland.so", "libqxcb.so"}


class CheckFailed(Exception):
    """One check did not pass; the message says which and what was seen."""


def environment(home: Path, *, display: bool = True) -> dict[str, str]:
    """A person's environment: no PYTHONPATH or virtual environment of ours, user folders of
    the check's own, offscreen (or, with ``display=False``, no display at all)."""
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PYTHON", "VIRTUAL_ENV", "QT_", "XDG_", "INCIDENTDESK_"))
        and name not in ("DISPLAY", "WAYLAND_DISPLAY")
    }
    folders = {
        variable: str(home / variable.lower())
        for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME")
    }
    return {**kept, **folders, **({"QT_QPA_PLATFORM": "offscreen"} if display else {})}


def run(arguments: Sequence[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PROGRAM), *arguments],
        capture_output=True,
        text=True,
        env=env,
        cwd=BUNDLE.parent,
        timeout=TIMEOUT_S,
        check=False,
    )


def expect(finished: subprocess.CompletedProcess[str], what: str) -> str:
    if finished.returncode != 0:
        raise CheckFailed(
            f"{what}: exit status {finished.returncode}\n{finished.stdout}{finished.stderr}"
        )
    if "Traceback" in finished.stderr:
        raise CheckFailed(f"{what}: a traceback on standard error\n{finished.stderr}")
    return finished.stdout


def smoke_test(address: str, env: dict[str, str], what: str) -> float:
    """The bundled smoke test on ``address``; seconds from spawning it to its line."""
    started = time.perf_counter()
    output = expect(run(["--db", address, "--smoke-test"], env), what)
    elapsed = time.perf_counter() - started
    if SMOKE_TEST_LINE.search(output) is None:
        raise CheckFailed(f"{what}: no 'smoke test passed' line in\n{output}")
    return elapsed


@contextmanager
def postgres_schema() -> Iterator[str]:
    """The address of a new schema on the test server, dropped afterwards."""
    import psycopg

    schema = f"incidentdesk_bundle_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'CREATE SCHEMA "{schema}"')
    except psycopg.Error as error:
        raise CheckFailed(
            f"the PostgreSQL test server at {POSTGRES_ADMIN_URL} is unreachable ({error}); "
            "start it, or set INCIDENTDESK_TEST_POSTGRES"
        ) from None
    try:
        yield f"{POSTGRES_ADMIN_URL}?schema={schema}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


def check_contents() -> None:
    internal = BUNDLE / "_internal"
    missing = [path for path in REQUIRED if not (internal / path).exists()]
    if missing:
        raise CheckFailed(f"the bundle lacks {', '.join(missing)}")
    names = [str(path.relative_to(internal)) for path in internal.rglob("*")]
    archived = PYZ_CONTENTS.read_text(encoding="utf-8") if PYZ_CONTENTS.is_file() else ""
    present = [word for word in LEFT_OUT_QT if any(word in name for name in names)]
    present += [
        package
        for package in LEFT_OUT_PACKAGES
        if (internal / package).exists() or f"'{package}'" in archived
    ]
    if present:
        raise CheckFailed(f"the bundle holds what it should leave out: {', '.join(present)}")
    missing = [name for name in ARCHIVED if f"'{name}'" not in archived]
    if missing:
        raise CheckFailed(f"the bundle's archive ({PYZ_CONTENTS}) lacks {', '.join(missing)}")
    platforms = {path.name for path in (internal / "PySide6/Qt/plugins/platforms").iterdir()}
    if platforms != PLATFORMS:
        raise CheckFailed(f"the Qt platform plugins are {sorted(platforms)}, not {PLATFORMS}")


def validate_linux_files() -> None:
    for tool in ("desktop-file-validate", "appstreamcli"):
        if shutil.which(tool) is None:
            raise CheckFailed(
                f"{tool} is not installed; on Debian: apt-get install desktop-file-utils appstream"
            )
    for command in (
        ["desktop-file-validate", str(LINUX / f"{APP_ID}.desktop")],
        ["appstreamcli", "validate", "--no-net", str(LINUX / f"{APP_ID}.metainfo.xml")],
    ):
        finished = subprocess.run(command, capture_output=True, text=True, check=False)
        if finished.returncode != 0:
            raise CheckFailed(f"{' '.join(command)} failed:\n{finished.stdout}{finished.stderr}")


def folder_size_mb(folder: Path) -> float:
    files = (path for path in folder.rglob("*") if path.is_file() and not path.is_symlink())
    return sum(path.stat().st_size for path in files) / 1_000_000


def main() -> int:
    if not PROGRAM.is_file():
        print(f"check_bundle: {PROGRAM} does not exist; build it with 'make bundle'.")
        return 1
    sys.path.insert(0, str(REPOSITORY / "desktop"))
    from incidentdesk import __version__

    try:
        with tempfile.TemporaryDirectory() as folder:
            home = Path(folder)
            env = environment(home)
            version = expect(run(["--version"], env), "--version").strip()
            if version != f"incidentdesk {__version__}":
                raise CheckFailed(f"--version says '{version}', not 'incidentdesk {__version__}'")
            database = f"sqlite:///{home / 'new.db'}"
            startup_s = smoke_test(database, env, "the smoke test on a new SQLite file")
            if not (
                home / "xdg_state_home" / "incidentdesk" / "log" / "incidentdesk.log"
            ).is_file():
                raise CheckFailed("the smoke test wrote no log file")
            with postgres_schema() as address:
                smoke_test(address, env, "the smoke test on PostgreSQL")
            expect(run(["--db", database, "demo", "--incidents", "300"], env), "demo")
            report = home / "report.pdf"
            without_display = environment(home, display=False)
            expect(
                run(["--db", database, "report", "--out", str(report)], without_display), "report"
            )
            if not report.read_bytes().startswith(b"%PDF"):
                raise CheckFailed(f"the report {report} is not a PDF")
            check_contents()
            validate_linux_files()
    except CheckFailed as failure:
        print(f"check_bundle: {failure}", file=sys.stderr)
        return 1
    print("The bundle passed: --version, the smoke test on SQLite and PostgreSQL, demo, report,")
    print("its contents, and the desktop entry and metainfo.")
    print(f"bundle_size_mb {folder_size_mb(BUNDLE):.1f}")
    print(f"bundle_startup_s {startup_s:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
