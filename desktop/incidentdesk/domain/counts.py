"""Counts as people write them: "1 incident", "2 incidents", "1,000+ incidents"."""

from __future__ import annotations


def counted(
    number: int, singular: str, plural: str | None = None, *, at_least: bool = False
) -> str:
    """``number`` and the noun that agrees with it; ``at_least`` for a count still going up."""
    noun = singular if number == 1 and not at_least else plural or f"{singular}s"
    return f"{number:,}{'+' if at_least else ''} {noun}"
