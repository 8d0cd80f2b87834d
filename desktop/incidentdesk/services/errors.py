"""Failures a service reports to its caller, each a ``ServiceError`` with a message fit to
show a person."""

from __future__ import annotations

from typing import TYPE_CHECKING

from incidentdesk.domain.validation import FieldError, ValidationFailed
from incidentdesk.errors import ServiceError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from incidentdesk.domain.incident import Incident
    from incidentdesk.services.incidents import FieldChange

__all__ = [
    "AttachmentRefused",
    "EditConflict",
    "FieldError",
    "NotAllowed",
    "NotFound",
    "ServiceError",
    "ValidationFailed",
]


class NotFound(ServiceError, LookupError):
    """The incident (or entry, or file) asked for does not exist."""


class EditConflict(ServiceError, RuntimeError):
    """Someone else saved the incident since it was opened; ``current`` is what they saved
    and ``their_changes`` the fields they changed since the copy the edit started from, and
    ``my_changes`` those the refused edit changed (both empty where the caller did not say
    which copy that was)."""

    def __init__(
        self,
        current: Incident,
        their_changes: Sequence[FieldChange] = (),
        my_changes: Sequence[FieldChange] = (),
    ) -> None:
        self.current = current
        self.their_changes = tuple(their_changes)
        self.my_changes = tuple(my_changes)
        super().__init__(
            f"{current.key} was changed by someone else while you were editing it "
            f"(now at version {current.version}); review their changes and save again."
        )


class NotAllowed(ServiceError, PermissionError):
    """The step is not possible now (lifecycle rules, missing role); the message says why."""


class AttachmentRefused(ServiceError, ValueError):
    """A file cannot be attached (too large, empty, unreadable); the message says why."""
