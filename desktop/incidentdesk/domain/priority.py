"""The priority matrix: severity × urgency → priority, editable by an admin."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from incidentdesk.domain.enums import Priority, Severity, Urgency


def _default_cells() -> dict[tuple[Severity, Urgency], Priority]:
    # The usual ITIL shape: each step down in severity or urgency lowers the priority by one.
    return {
        (severity, urgency): Priority(min(5, max(1, severity.value + urgency.value - 1)))
        for severity in Severity
        for urgency in Urgency
    }


@dataclass(frozen=True)
class PriorityMatrix:
    cells: Mapping[tuple[Severity, Urgency], Priority] = field(default_factory=_default_cells)

    def priority(self, severity: Severity, urgency: Urgency) -> Priority:
        return self.cells[(severity, urgency)]

    def to_json(self) -> dict[str, int]:
        return {
            f"{severity.label}/{urgency.name}": priority.value
            for (severity, urgency), priority in self.cells.items()
        }

    @classmethod
    def from_json(cls, data: Mapping[str, int]) -> PriorityMatrix:
        cells = _default_cells()
        for name, value in data.items():
            severity_label, _, urgency_name = name.partition("/")
            severity = Severity[severity_label]
            urgency = Urgency[urgency_name]
            cells[(severity, urgency)] = Priority(value)
        return cls(cells)
