"""Sending a save again when the connection was lost as it committed: with an id of its own
(``storage/applied_writes.py``) the save finds out whether its first sending was applied, so
it is never applied twice and the person is not left wondering."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from incidentdesk.storage.database import (
    ConnectionLost,
    DatabaseUnavailable,
    is_connection_failure,
)

T = TypeVar("T")
log = logging.getLogger(__name__)


def sent_once(write_id: str | None, save: Callable[[], T]) -> T:
    """``save()``; once more, on a fresh connection, if the connection was lost and the save
    has a ``write_id``. Without one it cannot be sent again safely: the loss is raised."""
    try:
        return save()
    except ConnectionLost:
        if write_id is None:
            raise
        log.info("The connection was lost during a save; sending it again, applied once.")
    try:
        return save()
    except DatabaseUnavailable as error:
        if not is_connection_failure(error):
            raise
        # The first sending may have been applied: "nothing was saved" could be untrue.
        raise ConnectionLost(
            f"{error.message} The connection was lost as this was being saved, so it may or "
            "may not have been: save again once the status bar says Connected, and it will "
            "not be saved twice."
        ) from error
