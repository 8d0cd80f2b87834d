"""Incident keys such as ``INC-42``: shown everywhere, unique, never reused."""

from __future__ import annotations

import re

KEY_PREFIX = "INC"
_KEY_PATTERN = re.compile(rf"^\s*{KEY_PREFIX}-?([0-9]{{1,12}})\s*$", re.IGNORECASE)


def format_key(number: int) -> str:
    return f"{KEY_PREFIX}-{number}"


def parse_key(text: str) -> int | None:
    """The incident number in ``text`` if it is a key (``INC-42``, ``inc42``), else None."""
    match = _KEY_PATTERN.match(text)
    return int(match.group(1)) if match else None
