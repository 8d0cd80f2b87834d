"""The one place this program announces which incidents its own writes changed. Whatever
writes publishes here once the write succeeded; every view that shows incidents subscribes
and refreshes itself. Nothing refreshes another view directly."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from incidentdesk.services.desk import Desk


@dataclass(frozen=True)
class IncidentsChanged:
    """Incidents of one open database that a write of this program changed."""

    desk: Desk
    incident_ids: frozenset[int]

    def concerns(self, desk: Desk | None, incident_id: int | None = None) -> bool:
        """Whether a view on ``desk`` (showing ``incident_id``, if it shows one) is affected;
        two databases can be open at once, and their ids mean different incidents."""
        same_database = desk is not None and desk is self.desk
        return same_database and (incident_id is None or incident_id in self.incident_ids)


class ChangeStream(QObject):
    """Lives on the GUI thread; ``publish`` is called from the result handlers of writes."""

    incidents_changed = Signal(object)  # IncidentsChanged

    def publish(self, desk: Desk, incident_ids: Iterable[int]) -> None:
        ids = frozenset(incident_ids)
        if ids:
            self.incidents_changed.emit(IncidentsChanged(desk, ids))
