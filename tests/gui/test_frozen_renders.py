"""What the charts' renders keep out of the collector's reach is bounded (ui/chart_render.py)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from incidentdesk.ui.chart_render import FrozenRenders


class Cycle:
    def __init__(self) -> None:
        self.itself = self


@pytest.fixture(autouse=True)
def thawed_afterwards() -> Iterator[None]:
    yield
    gc.unfreeze()
    gc.collect()


def test_garbage_frozen_by_a_render_is_collected_after_enough_renders() -> None:
    frozen = FrozenRenders(renders_between_thaws=3, renders_before_idle_collection=100)
    cycle = Cycle()
    escaped = weakref.ref(cycle)
    frozen.after_render()  # the cycle is alive, so frozen
    del cycle
    frozen.after_render()
    assert escaped() is not None  # cyclic garbage in the frozen generation: kept, for now
    frozen.after_render()  # the third: everything thawed and collected once
    assert escaped() is None
    assert gc.get_freeze_count() > 0  # and what is alive frozen again


def test_an_idle_collection_frees_what_renders_froze_once_there_were_enough() -> None:
    frozen = FrozenRenders(renders_between_thaws=100, renders_before_idle_collection=2)
    cycle = Cycle()
    escaped = weakref.ref(cycle)
    frozen.after_render()  # the cycle is alive, so frozen
    del cycle
    assert frozen.collect_escaped() is False  # one render: not worth a full collection yet
    assert escaped() is not None
    frozen.after_render()
    assert frozen.collect_escaped() is True
    assert escaped() is None
    assert gc.get_freeze_count() > 0  # what is alive frozen again
    assert frozen.collect_escaped() is False  # nothing rendered since: nothing to do


def test_an_idle_collection_starts_the_count_to_the_next_thaw_afresh() -> None:
    frozen = FrozenRenders(renders_between_thaws=3, renders_before_idle_collection=1)
    frozen.after_render()
    frozen.after_render()
    assert frozen.collect_escaped() is True
    cycle = Cycle()
    escaped = weakref.ref(cycle)
    frozen.after_render()
    del cycle
    frozen.after_render()
    assert escaped() is not None  # two renders since the idle collection, not three
    frozen.after_render()
    assert escaped() is None


def test_garbage_made_since_the_last_render_is_collected_by_the_next() -> None:
    frozen = FrozenRenders(renders_between_thaws=100)
    frozen.after_render()
    escaped = weakref.ref(Cycle())
    frozen.after_render()
    assert escaped() is None


def test_a_render_collects_only_the_youngest_generation() -> None:
    """A full collection after each render held the interpreter lock up to 8 ms; older
    garbage waits for the idle collection."""
    frozen = FrozenRenders(renders_between_thaws=100, renders_before_idle_collection=1)
    cycle = Cycle()
    escaped = weakref.ref(cycle)
    gc.collect(1)  # the cycle, alive, moves to an older generation
    del cycle
    frozen.after_render()
    assert escaped() is not None
    assert frozen.collect_escaped() is True
    assert escaped() is None
