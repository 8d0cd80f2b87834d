"""Where Incident Desk keeps its files: per-user folders and the bundled resources."""

from __future__ import annotations

import os
from importlib import resources
from importlib.resources.abc import Traversable
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


def resource(*parts: str) -> Traversable:
    """A file shipped in ``resources/`` (inside the wheel as ``incidentdesk.resources``)."""
    node = resources.files("incidentdesk.resources")
    for part in parts:
        node = node.joinpath(part)
    return node
