"""``search_p95_ms`` and ``search_max_frame_gap_ms`` samples: searches typed into the main
window's search box one character at a time, in a fresh process.

Typing at a human pace: each keystroke is ``setText`` with one more character, the next one
80–120 ms later (a QTimer-driven event loop, not a sleep). A keystroke's latency runs until
the list model next reports loaded results. The model drops results of a text that was typed
over, so those results are for that keystroke's text or, when typing overtook the search, for
a later one; either way it is when the person next sees the list catch up. After each
phrase: a pause to read, then the box is cleared and the next phrase starts.

The list is shown (not the board, the window's default), since its model's results are what
is timed; the gaps while switching to it (its first paint) are recorded apart, before typing
starts. Meanwhile a 1 ms precise timer on the GUI thread records the gaps between its ticks
(``FrameGapProbe``): the times the GUI thread could not have drawn a frame.

Typing one keystroke at a time: the same phrases again, each keystroke waiting for its own
results: the latency of one search with nothing queued in front of it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import SignalInstance

from bench.gui import (
    BenchWindow,
    Event,
    FrameGapProbe,
    arguments,
    main_window,
    report,
    run_event_loop_for,
)

PHRASES = (
    "database timeout",
    "checkout",
    "certificate",
    "INC-4242",
    "payments gateway 503",
    "connection pool exhausted",
    "rolled back deployment",
    "password reset",
)
KEYSTROKE_INTERVAL_MS = (80, 120)
READING_PAUSE_MS = 400
LIST_VIEW = 1  # MainWindow.show_view: 0 the board, 1 the list


@dataclass
class Keystroke:
    text: str
    typed_at: float
    answered_at: float | None = None

    @property
    def latency_ms(self) -> float:
        assert self.answered_at is not None
        return (self.answered_at - self.typed_at) * 1000


class Typist:
    """Types into the search box and notes when a view answers each keystroke: when
    ``answered`` fires; ``wait_for_answer`` runs the event loop until it next does."""

    def __init__(
        self,
        bench: BenchWindow,
        answered: SignalInstance | None = None,
        wait_for_answer: Callable[[], None] | None = None,
    ) -> None:
        self._bench = bench
        self.keystrokes: list[Keystroke] = []
        self._wait_for_answer = wait_for_answer or (lambda: bench.wait_for(Event.LOADED))
        # Connected once and never disconnected: the typist lives as long as the process.
        (answered or bench.window.model.loaded).connect(self._results_arrived)

    def type(self, text: str) -> None:
        self.keystrokes.append(Keystroke(text, time.perf_counter()))
        self._bench.window.search.setText(text)

    @property
    def answered(self) -> bool:
        return all(keystroke.answered_at is not None for keystroke in self.keystrokes)

    def wait_until_answered(self) -> None:
        while not self.answered:
            self._wait_for_answer()

    def clear(self) -> None:
        self._bench.wait_for(Event.LOADED, self._bench.window.search.clear)

    def _results_arrived(self) -> None:
        now = time.perf_counter()
        for keystroke in reversed(self.keystrokes):
            if keystroke.answered_at is not None:
                break
            keystroke.answered_at = now


def type_at_human_pace(
    bench: BenchWindow, phrases: tuple[str, ...], pace: random.Random
) -> tuple[Typist, FrameGapProbe, dict[str, int]]:
    """The typist, the probe, and how many incidents the list said matched each phrase."""
    typist, probe, totals = Typist(bench), FrameGapProbe(), {}
    probe.start()
    for phrase in phrases:
        for length in range(1, len(phrase) + 1):
            typist.type(phrase[:length])
            run_event_loop_for(pace.uniform(*KEYSTROKE_INTERVAL_MS))
        typist.wait_until_answered()
        bench.wait_for_count()
        totals[phrase] = bench.window.model.total
        run_event_loop_for(READING_PAUSE_MS)
        typist.clear()
    probe.stop()
    return typist, probe, totals


def type_one_keystroke_at_a_time(bench: BenchWindow, phrases: tuple[str, ...]) -> Typist:
    typist = Typist(bench)
    for phrase in phrases:
        for length in range(1, len(phrase) + 1):
            typist.type(phrase[:length])
            typist.wait_until_answered()
        typist.clear()
    return typist


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--phrases", type=int, default=len(PHRASES), help="how many to type")
    args = parser.parse_args()
    phrases = PHRASES[: args.phrases]
    with main_window(args.address) as bench:
        # Switching to the list paints it for the first time; timed on its own, before typing.
        switching = FrameGapProbe()
        switching.start()
        bench.window.show_view(LIST_VIEW)
        run_event_loop_for(READING_PAUSE_MS)
        switching.stop()
        human, probe, totals = type_at_human_pace(bench, phrases, random.Random(7))
        isolated = type_one_keystroke_at_a_time(bench, phrases)
    report(
        {
            "keystrokes": [(stroke.text, stroke.latency_ms) for stroke in human.keystrokes],
            "isolated_latencies_ms": [stroke.latency_ms for stroke in isolated.keystrokes],
            "frame_gaps_ms": probe.gaps_ms,
            "long_frame_gaps_ms": probe.long_gaps_ms,
            "switching_frame_gaps_ms": switching.gaps_ms,
            "totals": totals,
        }
    )


if __name__ == "__main__":
    main()
