"""Team-wide settings kept in the database."""

from __future__ import annotations

import json
from typing import Any

from incidentdesk.domain.priority import PriorityMatrix
from incidentdesk.storage import models as m
from incidentdesk.storage import settings_schema as keys
from incidentdesk.storage.database import Store, store_operations


@store_operations
class SettingsService:
    def __init__(self, store: Store) -> None:
        self._store = store

    def _read(self, key: str) -> Any:
        row = m.Setting.get_or_none(m.Setting.key == key)
        return json.loads(row.value) if row else keys.DEFAULT_SETTINGS[key]

    def _write(self, key: str, value: Any) -> None:
        with self._store.write():
            m.Setting.insert(key=key, value=json.dumps(value)).on_conflict(
                conflict_target=[m.Setting.key], update={m.Setting.value: json.dumps(value)}
            ).execute()

    def priority_matrix(self) -> PriorityMatrix:
        return PriorityMatrix.from_json(self._read(keys.PRIORITY_MATRIX))

    def set_priority_matrix(self, matrix: PriorityMatrix) -> None:
        self._write(keys.PRIORITY_MATRIX, matrix.to_json())

    def attachment_max_bytes(self) -> int:
        return int(self._read(keys.ATTACHMENT_MAX_BYTES))

    def set_attachment_max_bytes(self, limit: int) -> None:
        if limit <= 0:
            raise ValueError("The attachment size limit must be a positive number of bytes.")
        self._write(keys.ATTACHMENT_MAX_BYTES, limit)

    def image_max_pixels(self) -> int:
        return int(self._read(keys.IMAGE_MAX_PIXELS))

    def sla_targets(self) -> dict[str, dict[str, int]]:
        targets: dict[str, dict[str, int]] = self._read(keys.SLA_TARGETS)
        return targets

    def monitoring_sources(self) -> list[str]:
        return [str(name) for name in self._read(keys.MONITORING_SOURCES)]
