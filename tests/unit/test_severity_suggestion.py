"""The severity suggested from the impact answers, for every answer, with the reason shown."""

from __future__ import annotations

import itertools

import pytest

from incidentdesk.domain.enums import ImpactScope, Severity
from incidentdesk.domain.incident import Impact
from incidentdesk.domain.triage import SeveritySuggestion, suggest_severity

S1, S2, S3, S4 = Severity.SEV1, Severity.SEV2, Severity.SEV3, Severity.SEV4

# (scope, financial, security, compliance) → suggested severity. Many or all customers are SEV1,
# as SEV1's description says; security or compliance make it at least SEV2, a financial impact
# raises it a level; only many or all customers reach SEV1.
TABLE: dict[tuple[ImpactScope, bool, bool, bool], Severity] = {
    # one person
    (ImpactScope.ONE, False, False, False): S4,
    (ImpactScope.ONE, True, False, False): S3,
    (ImpactScope.ONE, False, True, False): S2,
    (ImpactScope.ONE, True, True, False): S2,
    (ImpactScope.ONE, False, False, True): S2,
    (ImpactScope.ONE, True, False, True): S2,
    (ImpactScope.ONE, False, True, True): S2,
    (ImpactScope.ONE, True, True, True): S2,
    # a team
    (ImpactScope.TEAM, False, False, False): S3,
    (ImpactScope.TEAM, True, False, False): S2,
    (ImpactScope.TEAM, False, True, False): S2,
    (ImpactScope.TEAM, True, True, False): S2,
    (ImpactScope.TEAM, False, False, True): S2,
    (ImpactScope.TEAM, True, False, True): S2,
    (ImpactScope.TEAM, False, True, True): S2,
    (ImpactScope.TEAM, True, True, True): S2,
    # many customers
    (ImpactScope.MANY, False, False, False): S1,
    (ImpactScope.MANY, True, False, False): S1,
    (ImpactScope.MANY, False, True, False): S1,
    (ImpactScope.MANY, True, True, False): S1,
    (ImpactScope.MANY, False, False, True): S1,
    (ImpactScope.MANY, True, False, True): S1,
    (ImpactScope.MANY, False, True, True): S1,
    (ImpactScope.MANY, True, True, True): S1,
    # all customers
    (ImpactScope.ALL, False, False, False): S1,
    (ImpactScope.ALL, True, False, False): S1,
    (ImpactScope.ALL, False, True, False): S1,
    (ImpactScope.ALL, True, True, False): S1,
    (ImpactScope.ALL, False, False, True): S1,
    (ImpactScope.ALL, True, False, True): S1,
    (ImpactScope.ALL, False, True, True): S1,
    (ImpactScope.ALL, True, True, True): S1,
}

SCOPE_REASONS = {
    ImpactScope.ONE: "one person affected",
    ImpactScope.TEAM: "a team affected",
    ImpactScope.MANY: "many customers affected",
    ImpactScope.ALL: "all customers affected",
}


def expected_reason(scope: ImpactScope, financial: bool, security: bool, compliance: bool) -> str:
    parts = [SCOPE_REASONS[scope]]
    if security:
        parts.append("security implications")
    if compliance:
        parts.append("compliance implications")
    if financial:
        parts.append("financial impact")
    return ", ".join(parts)


def test_the_table_covers_every_answer() -> None:
    assert set(TABLE) == set(itertools.product(ImpactScope, *[(False, True)] * 3))


@pytest.mark.parametrize(("answers", "severity"), list(TABLE.items()), ids=str)
def test_every_combination_of_answers(
    answers: tuple[ImpactScope, bool, bool, bool], severity: Severity
) -> None:
    scope, financial, security, compliance = answers
    impact = Impact(scope, financial=financial, security=security, compliance=compliance)

    suggestion = suggest_severity(impact)

    reason = expected_reason(*answers)
    assert suggestion == SeveritySuggestion(severity, reason)
    assert suggestion.text == f"{severity.label}: {reason}"


@pytest.mark.parametrize(
    ("impact", "text"),
    [
        (Impact(ImpactScope.MANY), "SEV1: many customers affected"),
        (Impact(ImpactScope.ALL), "SEV1: all customers affected"),
        (Impact(ImpactScope.ONE), "SEV4: one person affected"),
        (Impact(ImpactScope.TEAM), "SEV3: a team affected"),
        (
            Impact(ImpactScope.ONE, financial=True, security=True, compliance=True),
            "SEV2: one person affected, security implications, compliance implications, "
            "financial impact",
        ),
        (
            Impact(ImpactScope.MANY, security=True),
            "SEV1: many customers affected, security implications",
        ),
        (Impact(ImpactScope.TEAM, financial=True), "SEV2: a team affected, financial impact"),
    ],
)
def test_the_text_beside_the_field(impact: Impact, text: str) -> None:
    assert suggest_severity(impact).text == text


@pytest.mark.parametrize("scope", [ImpactScope.ONE, ImpactScope.TEAM])
def test_one_person_or_a_team_never_reaches_sev1(scope: ImpactScope) -> None:
    for financial, security, compliance in itertools.product((False, True), repeat=3):
        impact = Impact(scope, financial=financial, security=security, compliance=compliance)
        assert suggest_severity(impact).severity >= Severity.SEV2


def test_a_flag_never_lowers_the_severity() -> None:
    for scope in ImpactScope:
        plain = suggest_severity(Impact(scope)).severity
        for flags in itertools.product((False, True), repeat=3):
            financial, security, compliance = flags
            flagged = Impact(scope, financial=financial, security=security, compliance=compliance)
            assert suggest_severity(flagged).severity <= plain


def test_the_severities_descriptions_say_what_the_suggestion_does() -> None:
    """SEV1's words ("many or all customers") and the rule agree: the form suggests what the
    description beside it says."""
    assert "many or all customers" in Severity.SEV1.description
    for scope in (ImpactScope.MANY, ImpactScope.ALL):
        assert suggest_severity(Impact(scope)).severity is Severity.SEV1
    assert "for a team" in Severity.SEV2.description
    assert suggest_severity(Impact(ImpactScope.TEAM, financial=True)).severity is Severity.SEV2
