"""The one place this program announces which incidents its own writes changed. The task
runner publishes here what each write operation returned (see ``services/changes.py``);
every view that shows incidents subscribes and refreshes itself. Nothing refreshes another
view directly."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from incidentdesk.services.changes import ChangeKind

if TYPE_CHECKING:
    from incidentdesk.services.changes import Changed
    from incidentdesk.services.desk import Desk


@dataclass(frozen=True)
class IncidentsChanged:
    """Incidents of one open database that a write of this program, or of another client,
    changed."""

    desk: Desk
    incident_ids: frozenset[int]
    kinds: frozenset[ChangeKind] = frozenset({ChangeKind.UPDATED})

    def concerns(self, desk: Desk | None, incident_id: int | None = None) -> bool:
        """Whether a view on ``desk`` (showing ``incident_id``, if it shows one) is affected;
        two databases can be open at once, and their ids mean different incidents."""
        same_database = desk is not None and desk is self.desk
        return same_database and (incident_id is None or incident_id in self.incident_ids)


class ChangeStream(QObject):
    """Lives on the GUI thread; the task runner publishes each write's changes here, and
    ``LiveUpdates`` those of other clients."""

    incidents_changed = Signal(object)  # IncidentsChanged

    def publish(self, desk: Desk, change: Changed[Any]) -> None:
        """Announce ``change`` to ``desk``: a write of this program, or of another client
        (``ui/live_updates.py``)."""
        if change.incident_ids:
            self.incidents_changed.emit(IncidentsChanged(desk, change.incident_ids, change.kinds))
