"""From a picked or hovered artist back to the values and the incidents it stands for."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from incidentdesk.domain.estimators import IntArray

NO_IDS: IntArray = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True, eq=False)
class Pick:
    """One pickable artist. ``index`` is matplotlib's ``ind[0]`` for a line or a collection
    (which point), ``None`` for a patch such as a bar or a box."""

    artist: Any
    label: str
    # called with the index only; the builders bind their loop variables as defaults
    ids: Callable[..., IntArray]
    text: Callable[..., str]

    def ids_for(self, index: int | None = None) -> IntArray:
        return self.ids(index)

    def text_for(self, index: int | None = None) -> str:
        return self.text(index)


@dataclass(eq=False)
class ChartPicks:
    chart: str
    picks: list[Pick] = field(default_factory=list)

    def add(
        self,
        artist: Any,
        label: str,
        ids: Callable[..., IntArray],
        text: Callable[..., str],
        *,
        radius: float | None = None,
    ) -> Pick:
        artist.set_gid(f"{self.chart}:{len(self.picks)}")
        artist.set_picker(True)
        if radius is not None and hasattr(artist, "set_pickradius"):
            artist.set_pickradius(radius)
        pick = Pick(artist, label, ids, text)
        self.picks.append(pick)
        return pick

    def find(self, artist: Any) -> Pick | None:
        return next((pick for pick in self.picks if pick.artist is artist), None)

    def __len__(self) -> int:
        return len(self.picks)
