"""The program's log: a rotating file in the per-user log folder, and the recent problems kept
in memory for Help → Copy Diagnostics.

Opening the file costs about 5 ms of imports (``logging.handlers`` brings ``socket`` and
``pickle``), so at start-up ``start()`` only keeps the records in memory; ``open_log_file()``
(once the window has painted, or when the program ends first) writes them to the file and
hands it everything that follows.
"""

from __future__ import annotations

import logging
import sys
from collections import deque
from pathlib import Path

from incidentdesk import paths

LOG_FILE_NAME = "incidentdesk.log"
LOG_FILE_BYTES = 2_000_000
LOG_FILE_BACKUPS = 3
RECENT_PROBLEMS = 50
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RecentProblems(logging.Handler):
    """The last ``capacity`` warnings and errors, formatted, oldest first."""

    def __init__(self, capacity: int = RECENT_PROBLEMS) -> None:
        super().__init__(logging.WARNING)
        self.setFormatter(logging.Formatter(FORMAT))
        self._lines: deque[str] = deque(maxlen=capacity)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._lines.append(self.format(record))
        except Exception:  # a record whose message cannot be formatted
            self.handleError(record)

    def lines(self) -> list[str]:
        return list(self._lines)


class _Waiting(logging.Handler):
    """Keeps the records logged before the log file is open, to write them there."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class ProgramLog:
    """The handlers on the root logger: the recent problems, and the file once it is open."""

    def __init__(self) -> None:
        self.recent_problems = RecentProblems()
        self._waiting = _Waiting()
        self._file_handler: logging.Handler | None = None

    def start(self) -> None:
        """Keep INFO and above from now on: the problems in memory, the rest until the file
        opens."""
        root = logging.getLogger()
        root.setLevel(logging.INFO)
        for handler in (self.recent_problems, self._waiting):
            if handler not in root.handlers:
                root.addHandler(handler)

    def open_log_file(self, folder: Path | None = None) -> None:
        """Write what was kept to the rotating log file in ``folder`` (by default the per-user
        log folder) and log there from now on; where it cannot be opened, to standard error.
        Later calls change nothing."""
        if self._file_handler is not None:
            return
        import logging.handlers

        folder = paths.log_dir() if folder is None else folder
        handler: logging.Handler
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handler = logging.handlers.RotatingFileHandler(
                folder / LOG_FILE_NAME,
                maxBytes=LOG_FILE_BYTES,
                backupCount=LOG_FILE_BACKUPS,
                encoding="utf-8",
            )
        except OSError as error:
            handler = logging.StreamHandler(sys.stderr)
            print(
                f"incidentdesk: no log file can be written in {folder} ({error.strerror}); "
                "logging to the terminal instead.",
                file=sys.stderr,
            )
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.setLevel(logging.INFO)
        root = logging.getLogger()
        root.removeHandler(self._waiting)
        for record in self._waiting.records:
            handler.handle(record)
        self._waiting.records.clear()
        root.addHandler(handler)
        self._file_handler = handler

    @property
    def file(self) -> Path | None:
        """Where the log is written, once the file is open."""
        filename = getattr(self._file_handler, "baseFilename", None)
        return Path(filename) if isinstance(filename, str) else None

    def stop(self) -> None:
        """Take the handlers off the root logger and close the file."""
        root = logging.getLogger()
        for handler in (self.recent_problems, self._waiting, self._file_handler):
            if handler is not None:
                root.removeHandler(handler)
        if self._file_handler is not None:
            self._file_handler.close()
            self._file_handler = None


program_log = ProgramLog()  # the one the program uses; tests make their own
