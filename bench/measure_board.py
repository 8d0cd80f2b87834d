"""``board_open_ms``, ``board_filter_p95_ms``, ``board_max_frame_gap_ms`` and
``board_move_ms`` samples: the main window's board (its default view), in a fresh process.

Opening: from a narrow filter (one key), the search box is cleared and the board loads every
open incident; the time runs from clearing until the board's ``loaded`` signal (the cards are
in its column models) and the last paint of a column viewport with cards in it, whichever comes
later (the columns fill in over a few passes of the event loop). Also the time of a refresh
that finds the same cards (F5, the refresh timer): until ``loaded``.

Filtering: words typed into the search box at a human pace (80–120 ms per key, a QTimer-driven
event loop), as ``measure_search`` does for the list; a keystroke's latency runs until the board
next reports loaded cards (results for its text, or for a later one when typing overtook it).
A 1 ms probe on the GUI thread records the gaps between its ticks while typing and then while
every column is scrolled to the bottom and back up a page at a time.

Moving (``--moves N``, on a writable copy): a Triaged card dropped on Investigating (the
acknowledge step, no dialog) until the board's ``moved`` signal (the write committed), and a
card dropped above its neighbour of the same priority in its column (a re-rank); after each,
the board's reload is awaited so the next move starts from a current board.
"""

from __future__ import annotations

import random
import time

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QAbstractSlider, QWidget

from bench.gui import (
    BenchWindow,
    FrameGapProbe,
    arguments,
    main_window,
    report,
    run_event_loop_for,
)
from bench.measure_search import KEYSTROKE_INTERVAL_MS, PHRASES, READING_PAUSE_MS, Typist
from incidentdesk.domain.enums import Status
from incidentdesk.services.board import BoardCard
from incidentdesk.ui.board import CardDrop
from incidentdesk.ui.dialogs import DialogService

NARROW_FILTER = "INC-4242"
OPENING_SETTLES_MS = 100  # long after the last column's paint
SCROLL_PAUSE_MS = 16  # one frame between page steps
PAGE_STEPS = 12


class BoardPaints(QObject):
    """Notes when each paint of a column viewport that shows cards has finished."""

    def __init__(self, bench: BenchWindow) -> None:
        super().__init__()
        self._columns = bench.window.board.grid.visible_columns()
        self.finished_at: list[float] = []
        for column in self._columns:
            column.view.viewport().installEventFilter(self)

    def _note(self) -> None:
        self.finished_at.append(time.perf_counter())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and any(
            watched is column.view.viewport() and column.model.rowCount() > 0
            for column in self._columns
        ):
            QTimer.singleShot(0, self._note)  # after the paint itself
        return super().eventFilter(watched, event)


def wait_for_board(bench: BenchWindow, start: object = None) -> None:
    bench.wait_for_signal(
        bench.window.board.loaded,
        "the board's cards",
        start if callable(start) else lambda: None,
    )


def open_board(bench: BenchWindow, repeats: int) -> tuple[list[float], list[float], list[float]]:
    """Opening times (loaded + painted), refresh times, and the frame gaps while opening."""
    window, paints, probe = bench.window, BoardPaints(bench), FrameGapProbe()
    opened_ms, refreshed_ms = [], []
    for _ in range(repeats):
        wait_for_board(bench, lambda: window.search.setText(NARROW_FILTER))
        run_event_loop_for(100)
        probe.start()
        started = time.perf_counter()
        wait_for_board(bench, window.search.clear)
        loaded_at = time.perf_counter()
        run_event_loop_for(OPENING_SETTLES_MS)
        probe.stop()
        # The columns fill in over a few passes of the event loop: opened once the board has
        # its cards and has painted the last of them.
        painted_at = [moment for moment in paints.finished_at if moment > started]
        opened_ms.append((max([loaded_at, *painted_at]) - started) * 1000)
        run_event_loop_for(100)
    for _ in range(repeats):
        started = time.perf_counter()
        wait_for_board(bench, window.board.refresh)
        refreshed_ms.append((time.perf_counter() - started) * 1000)
        run_event_loop_for(50)
    return opened_ms, refreshed_ms, probe.gaps_ms


def type_phrases(
    bench: BenchWindow, phrases: tuple[str, ...], probe: FrameGapProbe
) -> tuple[Typist, dict[str, int]]:
    typist = Typist(bench, bench.window.board.loaded, lambda: wait_for_board(bench))
    totals, pace = {}, random.Random(7)
    probe.start()
    for phrase in phrases:
        for length in range(1, len(phrase) + 1):
            typist.type(phrase[:length])
            run_event_loop_for(pace.uniform(*KEYSTROKE_INTERVAL_MS))
        typist.wait_until_answered()
        totals[phrase] = bench.window.shown_count()
        run_event_loop_for(READING_PAUSE_MS)
        wait_for_board(bench, bench.window.search.clear)
    probe.stop()
    return typist, totals


def scroll_columns(bench: BenchWindow, probe: FrameGapProbe) -> None:
    probe.start()
    for column in bench.window.board.grid.visible_columns():
        view = column.view
        view.scrollToBottom()
        run_event_loop_for(SCROLL_PAUSE_MS)
        for _ in range(PAGE_STEPS):
            view.verticalScrollBar().triggerAction(QAbstractSlider.SliderAction.SliderPageStepSub)
            run_event_loop_for(SCROLL_PAUSE_MS)
        view.scrollToTop()
        run_event_loop_for(SCROLL_PAUSE_MS)
    probe.stop()


def move_cards(bench: BenchWindow, moves: int) -> tuple[list[float], list[float]]:
    """Status moves (Triaged → Investigating) and re-ranks (within Investigating), in ms."""
    board = bench.window.board
    status_ms, rerank_ms = [], []
    for _ in range(moves):
        card = board.grid.columns[Status.TRIAGED].model.card(0)
        drop = CardDrop(card.id, Status.TRIAGED, Status.INVESTIGATING, -1)
        status_ms.append(_timed_move(bench, drop))
    for _ in range(moves):
        cards = board.grid.columns[Status.INVESTIGATING].model.cards()
        row = _row_below_a_peer(cards)
        drop = CardDrop(cards[row].id, Status.INVESTIGATING, Status.INVESTIGATING, row - 1)
        rerank_ms.append(_timed_move(bench, drop))
    return status_ms, rerank_ms


def _row_below_a_peer(cards: list[BoardCard]) -> int:
    """A row whose card has the same priority as the card above it (it can go above it)."""
    rows = [row for row in range(1, len(cards)) if cards[row].priority is cards[row - 1].priority]
    return rows[len(rows) // 2]


def _timed_move(bench: BenchWindow, drop: CardDrop) -> float:
    board, reloaded = bench.window.board, []

    def note() -> None:
        reloaded.append(True)

    board.loaded.connect(note)
    try:
        started = time.perf_counter()
        bench.wait_for_signal(board.moved, "the move saved", lambda: board.move_card(drop))
        elapsed_ms = (time.perf_counter() - started) * 1000
        while not reloaded:  # the board reloads after a move; start the next one from it
            wait_for_board(bench)
    finally:
        board.loaded.disconnect(note)
    return elapsed_ms


def refuse_dialogs(bench: BenchWindow) -> None:
    """A refused move would open a modal message box and stall the measurement: fail instead."""

    def warn(_self: DialogService, _parent: QWidget | None, title: str, text: str) -> None:
        bench._fail(f"{title}: {text}")

    DialogService.warn = warn  # type: ignore[method-assign]


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--repeats", type=int, default=20, help="board openings")
    parser.add_argument("--phrases", type=int, default=len(PHRASES), help="how many to type")
    parser.add_argument("--moves", type=int, default=0, help="measure moves only (writes)")
    args = parser.parse_args()
    with main_window(args.address) as bench:
        refuse_dialogs(bench)
        if args.moves:
            status_ms, rerank_ms = move_cards(bench, args.moves)
            report({"status_moves_ms": status_ms, "reranks_ms": rerank_ms})
            return
        opened_ms, refreshed_ms, opening_gaps_ms = open_board(bench, args.repeats)
        typing_probe, scrolling_probe = FrameGapProbe(), FrameGapProbe()
        typist, totals = type_phrases(bench, PHRASES[: args.phrases], typing_probe)
        scroll_columns(bench, scrolling_probe)
        report(
            {
                "opened_ms": opened_ms,
                "refreshed_ms": refreshed_ms,
                "shown": bench.window.shown_count(),
                "opening_frame_gaps_ms": opening_gaps_ms,
                "keystrokes": [(stroke.text, stroke.latency_ms) for stroke in typist.keystrokes],
                "totals": totals,
                "typing_frame_gaps_ms": typing_probe.gaps_ms,
                "scrolling_frame_gaps_ms": scrolling_probe.gaps_ms,
                "long_frame_gaps_ms": typing_probe.long_gaps_ms + scrolling_probe.long_gaps_ms,
            }
        )


if __name__ == "__main__":
    main()
