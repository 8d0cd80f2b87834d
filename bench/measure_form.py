"""``save_incident_10mb_ms`` and ``form_max_frame_gap_ms`` samples: new incidents saved from
the incident form with a 10 MB screenshot attached, in a fresh process.

Each run opens a new form from the main window (``MainWindow.open_form``) and waits until it
has loaded its lists, types a title, and adds a PNG with ``add_paths``, waiting until the form
lists it. The PNGs are random pixels, which do not compress: 10 MiB on disk, a different
picture (so different content to store) each run. Then ``save()``: the time runs until the
form's ``saved`` signal, when the write is committed; a connection of its own then checks that
the incident's file is stored whole. From ``save()`` until the form has closed, a 1 ms timer on
the GUI thread records the gaps between its ticks (``FrameGapProbe``).
"""

from __future__ import annotations

import hashlib
import math
import random
import sqlite3
import tempfile
import time
from contextlib import closing
from pathlib import Path

from PySide6.QtGui import QImage

from bench import raw_sql
from bench.gui import (
    BenchWindow,
    FrameGapProbe,
    WaitFailed,
    arguments,
    main_window,
    report,
    run_event_loop_for,
)
from incidentdesk.storage.locations import SqliteLocation, parse_location

SCREENSHOT_BYTES = 10 * 1024 * 1024
SCREENSHOT_WIDTH = 2048
BYTES_PER_PIXEL = 3  # RGB888
TITLE = "Checkout page blank after payment"
PAUSE_BETWEEN_RUNS_MS = 500  # the list refreshes after a save; let it settle


class NotStored(Exception):
    """The form said it saved, but the database does not hold the screenshot as it was."""


def write_screenshot(path: Path, seed: int) -> tuple[str, int]:
    """A PNG of random pixels of at least SCREENSHOT_BYTES at ``path``; its SHA-256 and size."""
    height = math.ceil(SCREENSHOT_BYTES / (SCREENSHOT_WIDTH * BYTES_PER_PIXEL))
    pixels = random.Random(seed).randbytes(SCREENSHOT_WIDTH * height * BYTES_PER_PIXEL)
    image = QImage(
        pixels,
        SCREENSHOT_WIDTH,
        height,
        SCREENSHOT_WIDTH * BYTES_PER_PIXEL,
        QImage.Format.Format_RGB888,
    )
    if not image.save(str(path), "PNG"):
        raise OSError(f"could not write {path}")
    content = path.read_bytes()
    if len(content) < SCREENSHOT_BYTES:
        raise OSError(f"{path} compressed to {len(content):,} bytes, below {SCREENSHOT_BYTES:,}")
    return hashlib.sha256(content).hexdigest(), len(content)


def save_with_screenshot(
    bench: BenchWindow, screenshot: Path, probe: FrameGapProbe
) -> tuple[float, int]:
    """One run: a new form with a title and the screenshot, saved; the milliseconds from
    ``save()`` to ``saved``, and the new incident's id."""
    form = bench.window.open_form()
    if form is None:
        raise WaitFailed("the main window opened no form: no database?")
    bench.wait_for_signal(form.loaded, "the form to load its lists")
    form.title.setText(TITLE)
    bench.wait_for_signal(
        form.attachments.changed,
        f"the form to add {screenshot.name}",
        lambda: form.add_paths([screenshot]),
    )
    saved_at: list[float] = []
    form.saved.connect(lambda _: saved_at.append(time.perf_counter()))
    probe.start()
    started = time.perf_counter()
    (incident,) = bench.wait_for_signal(form.saved, "the form to save", form.save)
    run_event_loop_for(0)  # the form closing: hiding, repainting what it covered
    probe.stop()
    return (saved_at[0] - started) * 1000, incident.id


def check_stored(database: Path, incident_id: int, screenshot: tuple[str, int]) -> None:
    """The screenshot (SHA-256, size) must be in the database, whole, as a connection of its
    own sees it: committed."""
    with closing(sqlite3.connect(database)) as connection:
        stored = raw_sql.stored_files(connection, incident_id)
    if stored != [screenshot]:
        raise NotStored(f"incident {incident_id} has {stored} stored, expected {[screenshot]}")


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    location = parse_location(args.address)
    assert isinstance(location, SqliteLocation)
    saves_ms = []
    with tempfile.TemporaryDirectory(prefix="incidentdesk-bench-screenshots-") as folder:
        screenshots = [Path(folder) / f"screenshot-{run + 1}.png" for run in range(args.runs)]
        written = [write_screenshot(path, seed) for seed, path in enumerate(screenshots)]
        with main_window(args.address) as bench:
            probe = FrameGapProbe()
            for screenshot, sha256_and_size in zip(screenshots, written, strict=True):
                saved_ms, incident_id = save_with_screenshot(bench, screenshot, probe)
                check_stored(location.path, incident_id, sha256_and_size)
                saves_ms.append(saved_ms)
                run_event_loop_for(PAUSE_BETWEEN_RUNS_MS)
    report(
        {
            "saves_ms": saves_ms,
            "frame_gaps_ms": probe.gaps_ms,
            "screenshot_bytes": min(size for _, size in written),
        }
    )


if __name__ == "__main__":
    main()
