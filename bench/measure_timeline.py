"""``timeline_open_5000_ms`` samples: an incident with 5,000 timeline entries after its first
opened in its workspace, in a fresh process with the main window open.

Each run creates an ``IncidentWorkspace`` for the incident, as the main window does, and shows
it; the time runs until the timeline holds every entry (its ``loaded`` signal) and the list of
entries has painted them (its first paint after that). Meanwhile, and until the workspace has
handled every read it asked for (details, postmortem), a 1 ms timer on the GUI thread records
the gaps between its ticks (``FrameGapProbe``). The workspace is then closed.

Then, in the last workspace opened, with the probe running: the timeline scrolled to the top,
a page at a time downwards as a person holding Page Down, then to the bottom and back to the
top.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QAbstractSlider

from bench.gui import (
    BenchWindow,
    FrameGapProbe,
    WaitFailed,
    arguments,
    main_window,
    report,
    run_event_loop_for,
)
from incidentdesk.ui.dialogs import DialogService
from incidentdesk.ui.workspace import IncidentWorkspace

PAGE_STEPS = 120
PAGE_STEP_INTERVAL_MS = 33  # keyboard auto-repeat, about 30 a second
JUMP_PAUSE_MS = 300


class TimelinePainted(QObject):
    """``happened`` once the workspace's timeline, holding ``entries`` rows, has painted."""

    happened = Signal()

    def __init__(self, workspace: IncidentWorkspace, entries: int) -> None:
        super().__init__()
        self._panel = workspace.timeline
        self._entries = entries
        self._loaded = False
        self._panel.loaded.connect(self._note_loaded)
        self._panel.view.viewport().installEventFilter(self)

    def _note_loaded(self) -> None:
        self._loaded = self._panel.model.rowCount() == self._entries

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self._loaded and event.type() == QEvent.Type.Paint:
            self._loaded = False
            QTimer.singleShot(0, self.happened.emit)  # once the paint is done
        return False


def open_workspace(
    bench: BenchWindow, incident_id: int, entries: int, probe: FrameGapProbe
) -> tuple[IncidentWorkspace, float]:
    """A new workspace for the incident, shown; the milliseconds until its timeline painted."""
    desk = bench.window.desk
    if desk is None:
        raise WaitFailed("the main window has no database open")
    probe.start()
    started = time.perf_counter()
    workspace = IncidentWorkspace(desk, bench.runner, DialogService(), incident_id)
    painted = TimelinePainted(workspace, entries)
    bench.wait_for_signal(painted.happened, f"a timeline of {entries:,} entries", workspace.show)
    opened_ms = (time.perf_counter() - started) * 1000
    bench.wait_for_reads()
    probe.stop()
    return workspace, opened_ms


def scroll_through(workspace: IncidentWorkspace, probe: FrameGapProbe) -> None:
    view = workspace.timeline.view
    probe.start()
    view.scrollToTop()
    for _ in range(PAGE_STEPS):
        view.verticalScrollBar().triggerAction(QAbstractSlider.SliderAction.SliderPageStepAdd)
        run_event_loop_for(PAGE_STEP_INTERVAL_MS)
    view.scrollToBottom()
    run_event_loop_for(JUMP_PAUSE_MS)
    view.scrollToTop()
    run_event_loop_for(JUMP_PAUSE_MS)
    probe.stop()


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--incident", type=int, required=True, help="the incident's id")
    parser.add_argument("--entries", type=int, required=True, help="its timeline's length")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    opened_ms = []
    opening, scrolling = FrameGapProbe(), FrameGapProbe()
    with main_window(args.address) as bench:
        for run in range(args.runs):
            workspace, milliseconds = open_workspace(bench, args.incident, args.entries, opening)
            opened_ms.append(milliseconds)
            if run < args.runs - 1:
                workspace.close()
                workspace.deleteLater()
        scroll_through(workspace, scrolling)
        workspace.close()
    report(
        {
            "opened_ms": opened_ms,
            "opening_frame_gaps_ms": opening.gaps_ms,
            "scrolling_frame_gaps_ms": scrolling.gaps_ms,
        }
    )


if __name__ == "__main__":
    main()
