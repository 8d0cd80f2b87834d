"""Categorize and prioritize: a severity suggested from the impact, and why."""

from __future__ import annotations

from dataclasses import dataclass

from incidentdesk.domain.enums import ImpactScope, Severity
from incidentdesk.domain.incident import Impact

_SEVERITY_BY_SCOPE = {
    ImpactScope.ALL: Severity.SEV1,
    ImpactScope.MANY: Severity.SEV1,
    ImpactScope.TEAM: Severity.SEV3,
    ImpactScope.ONE: Severity.SEV4,
}
_SCOPE_REASONS = {
    ImpactScope.ALL: "all customers affected",
    ImpactScope.MANY: "many customers affected",
    ImpactScope.TEAM: "a team affected",
    ImpactScope.ONE: "one person affected",
}


@dataclass(frozen=True)
class SeveritySuggestion:
    severity: Severity
    reason: str

    @property
    def text(self) -> str:
        """As shown beside the severity field, e.g. "SEV2: many customers affected"."""
        return f"{self.severity.label}: {self.reason}"


def suggest_severity(impact: Impact) -> SeveritySuggestion:
    """The severity the impact answers point to; when unsure, the guide says pick the higher.

    The people affected set the starting point, in the words of the severities' descriptions:
    many or all customers make it SEV1 (critical), a team SEV3, one person SEV4. A security or
    compliance implication makes it at least SEV2, and a financial one raises it a level; only
    many or all customers affected make it SEV1.
    """
    widespread = impact.scope in (ImpactScope.MANY, ImpactScope.ALL)
    highest = Severity.SEV1 if widespread else Severity.SEV2
    severity = _SEVERITY_BY_SCOPE[impact.scope]
    reasons = [_SCOPE_REASONS[impact.scope]]
    if impact.security:
        severity = Severity.SEV1 if widespread else min(severity, Severity.SEV2)
        reasons.append("security implications")
    if impact.compliance:
        severity = min(severity, Severity.SEV2)
        reasons.append("compliance implications")
    if impact.financial:
        severity = max(highest, Severity(max(1, severity - 1)))
        reasons.append("financial impact")
    return SeveritySuggestion(severity, ", ".join(reasons))
