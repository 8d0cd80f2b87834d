"""The id a save is sent with (``storage/applied_writes.py``): the same while what a window
saves stays the same, so a save sent again after its reply was lost is applied once; a new
one as soon as anything in it differs."""

from __future__ import annotations

import uuid


class SaveIds:
    def __init__(self) -> None:
        self._last_attempt: object = None
        self._write_id = ""

    def for_attempt(self, attempt: object) -> str:
        """The id for saving ``attempt``: everything the save sends, compared by equality."""
        if self._last_attempt != attempt or not self._write_id:
            self._last_attempt, self._write_id = attempt, uuid.uuid4().hex
        return self._write_id

    def saved(self, write_id: str) -> None:
        """The save sent with ``write_id`` was answered: the same attempt made again after
        that is a save of its own (a second action item of the same title), not a resend."""
        if write_id == self._write_id:
            self._write_id = ""
