"""Where Incident Desk keeps its files: per-user folders and the bundled resources."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_DIR_NAME = "incidentdesk"
DATABASE_ENVIRONMENT_VARIABLE = "INCIDENTDESK_DB"


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_DIR_NAME, appauthor=False))


def drafts_dir() -> Path:
    return data_dir() / "drafts"


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP_DIR_NAME, appauthor=False))


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_DIR_NAME, appauthor=False))


def intake_token_path() -> Path:
    """Where the receiver's token is kept on a machine without a system keyring."""
    return config_dir() / "intake-token"


def default_database_path() -> Path:
    return data_dir() / "incidents.db"


def chosen_database_address(explicit: str | None) -> str | None:
    """The database named for this run: ``--db``, then ``INCIDENTDESK_DB``; else None."""
    if explicit:
        return explicit
    return os.environ.get(DATABASE_ENVIRONMENT_VARIABLE, "").strip() or None


def configured_database_address(explicit: str | None) -> str:
    """The database to open: ``--db``, then ``INCIDENTDESK_DB``, then the default file
    (whose folder is created here, so that a first start needs no set-up)."""
    chosen = chosen_database_address(explicit)
    if chosen:
        return chosen
    default = default_database_path()
    default.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{default}"


def resource(*parts: str) -> Path:
    """A file shipped in ``resources/`` (inside the wheel as ``incidentdesk.resources``).

    A plain path next to the package, not ``importlib.resources``: that costs about 5 ms of
    imports at every start, and the program is never run from a zip file (a wheel, an editable
    install and the PyInstaller bundle all keep the folder as files).
    """
    from importlib import import_module  # the package maps to resources/ (pyproject.toml)

    shipped = import_module("incidentdesk.resources")
    return Path(str(shipped.__file__)).parent.joinpath(*parts)
