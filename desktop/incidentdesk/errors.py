"""The one base of every failure the program expects (a refusal, a conflict, a database
that is gone), so callers can tell them from faults of the program itself."""

from __future__ import annotations


class ServiceError(Exception):
    """An expected failure. ``message`` is the sentence shown to the person as it is: what
    happened and what to do next. It is no fault of the program, so it is logged without a
    traceback; any other exception is one, and is reported with its details."""

    @property
    def message(self) -> str:
        text = str(self).strip()
        return text if text.endswith((".", "?", "!")) else f"{text}."
