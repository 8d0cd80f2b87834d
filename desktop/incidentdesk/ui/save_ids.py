"""The id a save is sent with (``storage/applied_writes.py``): the same while what a window
saves stays the same, so a save sent again after its reply was lost is applied once; a new
one as soon as anything in it differs, or once the save was answered.

A window that sends several kinds of save keeps a slot for each (``what`` is saved: a new
action item, one item's status, the postmortem's text): a save of one kind in between does
not make a resent save of another kind a new one, which would apply it twice."""

from __future__ import annotations

import uuid


class SaveIds:
    def __init__(self) -> None:
        self._slots: dict[object, tuple[object, str]] = {}  # what: (attempt, its id)

    def for_attempt(self, attempt: object, what: object = None) -> str:
        """The id for saving ``attempt`` (everything the save sends, compared by equality)
        as the latest save of ``what``."""
        slot = self._slots.get(what)
        if slot is None or slot[0] != attempt:
            slot = (attempt, uuid.uuid4().hex)
            self._slots[what] = slot
        return slot[1]

    def saved(self, write_id: str) -> None:
        """The save sent with ``write_id`` was answered: the same attempt made again after
        that is a save of its own (a second action item of the same title), not a resend."""
        for what, (_attempt, sent_id) in list(self._slots.items()):
            if sent_id == write_id:
                del self._slots[what]
