"""Colours and sizes for the charts, light and dark; the view may pass its own palette."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from incidentdesk.domain.enums import Severity


@dataclass(frozen=True)
class ChartStyle:
    foreground: str
    background: str
    muted: str  # secondary text, censor ticks, the how-computed line
    grid: str
    accent: str  # single-series marks (bars of a breakdown, the trend's median)
    severity_colours: dict[Severity, str] = field(default_factory=dict)
    font_size: float = 9.0

    def severity(self, severity: Severity) -> str:
        return self.severity_colours.get(severity, self.accent)

    def scaled(self, font_size: float) -> ChartStyle:
        return replace(self, font_size=font_size)


# Line colours strong enough on their background (the board's pale SEV4/SEV5 card colours
# would vanish as thin lines on white).
LIGHT = ChartStyle(
    foreground="#1f1f1f",
    background="#ffffff",
    muted="#5f6368",
    grid="#e0e0e0",
    accent="#1a5fb4",
    severity_colours={
        Severity.SEV1: "#b3261e",
        Severity.SEV2: "#e8590c",
        Severity.SEV3: "#a07800",
        Severity.SEV4: "#1a5fb4",
        Severity.SEV5: "#6b6b6b",
    },
)
DARK = ChartStyle(
    foreground="#e8eaed",
    background="#1e1f22",
    muted="#a8abb0",
    grid="#3a3c40",
    accent="#8ab4f8",
    severity_colours={
        Severity.SEV1: "#f28b82",
        Severity.SEV2: "#ffb77c",
        Severity.SEV3: "#f5d67a",
        Severity.SEV4: "#8ab4f8",
        Severity.SEV5: "#bdbdbd",
    },
)
THEMES = {"light": LIGHT, "dark": DARK}
