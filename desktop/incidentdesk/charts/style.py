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
# would vanish as thin lines on white), SEV1 to SEV5.
SEVERITY_LINES = {
    "light": ("#b3261e", "#e8590c", "#a07800", "#1a5fb4", "#6b6b6b"),
    "dark": ("#f28b82", "#ffb77c", "#f5d67a", "#8ab4f8", "#bdbdbd"),
}


def _theme(name: str, foreground: str, background: str, muted: str, grid: str) -> ChartStyle:
    lines = SEVERITY_LINES[name]
    return ChartStyle(
        foreground=foreground,
        background=background,
        muted=muted,
        grid=grid,
        accent=lines[Severity.SEV4 - 1],  # the blue
        severity_colours=dict(zip(Severity, lines, strict=True)),
    )


LIGHT = _theme("light", foreground="#1f1f1f", background="#ffffff", muted="#5f6368", grid="#e0e0e0")
DARK = _theme("dark", foreground="#e8eaed", background="#1e1f22", muted="#a8abb0", grid="#3a3c40")
THEMES = {"light": LIGHT, "dark": DARK}
