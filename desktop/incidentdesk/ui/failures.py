"""What the person is told when something fails: the one place that turns an error into text.

An expected failure (a ``ServiceError``, or the disk refusing a file) carries its own
sentence. Anything else is a fault of the program: it is named as one, the work it was doing
did not happen, and its details go to the fault dialog (``DialogService.report_fault``).
"""

from __future__ import annotations

import traceback

from incidentdesk.errors import ServiceError


def is_expected(error: BaseException) -> bool:
    """A failure the person can understand and act on, not a fault of the program."""
    return isinstance(error, ServiceError | OSError)


def error_text(error: BaseException) -> str:
    """The sentence (or sentences) to show for ``error``, ending with a full stop."""
    if isinstance(error, ServiceError):
        return error.message
    if isinstance(error, OSError) and error.strerror:
        where = f" ({error.filename})" if error.filename else ""
        return f"{error.strerror}{where}."
    first_line = (str(error).strip().splitlines() or [""])[0]
    named = f"{type(error).__name__}: {first_line}" if first_line else type(error).__name__
    return (
        f"Incident Desk ran into a problem it did not expect ({named}), so this was not "
        "done. Nothing you typed is lost; please report the problem with its details."
    )


def as_sentence(text: str) -> str:
    """``text`` starting with a capital, for a message that begins with it."""
    return text[:1].upper() + text[1:]


def fault_details(error: BaseException) -> str:
    """The full traceback of an unexpected failure, for a bug report."""
    return "".join(traceback.format_exception(error)).rstrip()
