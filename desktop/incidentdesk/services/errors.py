"""Failures a service reports to its caller, each with a message fit to show a person."""

from __future__ import annotations

from typing import TYPE_CHECKING

from incidentdesk.domain.validation import FieldError, ValidationFailed

if TYPE_CHECKING:
    from incidentdesk.domain.incident import Incident

__all__ = [
    "AttachmentRefused",
    "EditConflict",
    "FieldError",
    "NotAllowed",
    "NotFound",
    "ValidationFailed",
]


class NotFound(LookupError):
    """The incident (or entry, or file) asked for does not exist."""


class EditConflict(RuntimeError):
    """Someone else saved the incident since it was opened; ``current`` is what they saved."""

    def __init__(self, current: Incident) -> None:
        self.current = current
        super().__init__(
            f"{current.key} was changed by someone else while you were editing it "
            f"(now at version {current.version}); review their changes and save again."
        )


class NotAllowed(PermissionError):
    """The step is not possible now (lifecycle rules, missing role); the message says why."""


class AttachmentRefused(ValueError):
    """A file cannot be attached (too large, empty, unreadable); the message says why."""
