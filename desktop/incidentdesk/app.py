"""Starting the GUI: the application object, the main window and the smoke test."""

from __future__ import annotations

import gc
import importlib
import logging
import sys
import time

from incidentdesk import APPLICATION_NAME, __version__, paths
from incidentdesk.logs import program_log

SMOKE_TEST_TIMEOUT_MS = 60_000
# The Linux desktop entry and AppStream id (packaging/linux/): Wayland matches windows to it.
DESKTOP_ENTRY_ID = "example.incidentdesk.IncidentDesk"
EXIT_OK = 0
EXIT_FAILURE = 1
_process_started = time.perf_counter()
# The Qt-free modules the window's own modules use, imported before PySide6 (see
# _import_the_core_before_qt).
CORE_BEFORE_QT = (
    "concurrent.futures.thread",
    "incidentdesk.domain.sla",
    "incidentdesk.freedesktop",
    "incidentdesk.services.board",
    "incidentdesk.services.desk",
    "incidentdesk.services.drafts",
    "incidentdesk.services.notifications",
    "incidentdesk.services.watch",
)


def _log_qt_message(kind: object, context: object, message: str) -> None:
    """Qt's own messages go to the log file with ours, not to the terminal."""
    from PySide6.QtCore import QtMsgType

    level = {
        QtMsgType.QtDebugMsg: logging.DEBUG,
        QtMsgType.QtInfoMsg: logging.INFO,
        QtMsgType.QtWarningMsg: logging.WARNING,
    }.get(kind, logging.ERROR)  # type: ignore[call-overload]
    logging.getLogger("qt").log(level, "%s", message)
    if level >= logging.ERROR:
        print(f"incidentdesk: {message}", file=sys.stderr, flush=True)
        if "platform plugin" in message and sys.platform.startswith("linux"):
            print(f"incidentdesk: {_qt_libraries_advice()}", file=sys.stderr, flush=True)


def _qt_libraries_advice() -> str:
    """Exactly which libraries are missing where ldd can tell, else the whole list."""
    from incidentdesk import qt_libraries

    missing = qt_libraries.missing_libraries(qt_libraries.run_ldd(qt_libraries.xcb_plugins()))
    if missing:
        return qt_libraries.report(missing)
    return (
        "Qt's X11 support needs a few system libraries; on Debian or Ubuntu: "
        + qt_libraries.full_install_command()
    )


def _missing_display() -> bool:
    """On Linux and BSD, whether there is no screen to show a window on."""
    if not sys.platform.startswith(("linux", "freebsd", "openbsd")):
        return False
    import os

    variables = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    return not any(os.environ.get(variable) for variable in variables)


def run_gui(address: str | None, *, smoke_test: bool = False) -> int:
    """Show the main window on ``address`` (None: the one used last, or ask where it is, see
    ``ui/first_run.py``); with ``smoke_test``, quit once the list is painted."""
    # No garbage collection until the first paint: nearly all that start-up makes lives on
    # (modules, classes, Qt wrappers), so the hundred collections it would run (about 15 ms)
    # find a few hundred objects. What it made is frozen then (see below).
    gc.disable()
    try:
        return _run_gui(address, smoke_test=smoke_test)
    finally:
        gc.enable()


def _freeze_start_up_objects() -> None:
    gc.freeze()
    gc.enable()


def _import_the_core_before_qt() -> None:
    """Once PySide6 is imported, its import hook reads the source of every module imported
    after it, to tell whether the module uses PySide6's ``__feature__`` switches: about
    0.2 ms a module, 15-20 ms of start-up for the core's. Imported first, they are not read."""
    for name in CORE_BEFORE_QT:
        importlib.import_module(name)


def _run_gui(address: str | None, *, smoke_test: bool) -> int:
    program_log.start()
    if _missing_display():
        print(
            "incidentdesk: there is no display to show the window on; start it in a desktop "
            "session, or set QT_QPA_PLATFORM=offscreen to run without one.",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    _import_the_core_before_qt()
    from PySide6.QtCore import QTimer, qInstallMessageHandler
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from incidentdesk.ui.dialogs import DialogService
    from incidentdesk.ui.first_run import open_at_start
    from incidentdesk.ui.main_window import MainWindow
    from incidentdesk.ui.personal_settings import apply_personal_settings, load_personal_settings
    from incidentdesk.ui.tasks import TaskRunner
    from incidentdesk.ui.theme import outline_controls_when_dark

    qInstallMessageHandler(_log_qt_message)
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv)
    outline_controls_when_dark(app)
    app.setApplicationName(APPLICATION_NAME)
    app.setOrganizationName("Incident Desk")
    app.setOrganizationDomain("incidentdesk.example")
    app.setApplicationVersion(__version__)
    apply_personal_settings(app, load_personal_settings())  # QSettings knows the names now
    app.setDesktopFileName(DESKTOP_ENTRY_ID)
    app.setWindowIcon(QIcon(str(paths.resource("icons", "incidentdesk.svg"))))

    runner = TaskRunner()
    dialogs = DialogService()
    window = MainWindow(runner, dialogs)
    exit_code = EXIT_OK

    def finish(code: int, message: str) -> None:
        nonlocal exit_code
        exit_code = code
        print(message, file=sys.stdout if code == EXIT_OK else sys.stderr, flush=True)
        window.close()
        app.quit()

    if smoke_test:
        window.view_painted.connect(
            lambda: finish(
                EXIT_OK,
                f"smoke test passed: {window.shown_count():,} incidents shown "
                f"{time.perf_counter() - _process_started:.3f} s after start",
            )
        )
        window.database_failed.connect(
            lambda _, message: finish(EXIT_FAILURE, f"incidentdesk: {message}")
        )
        runner.failed.connect(lambda error: finish(EXIT_FAILURE, f"incidentdesk: {error}"))
        runner.fault.connect(lambda error: finish(EXIT_FAILURE, f"incidentdesk: {error!r}"))
        QTimer.singleShot(
            SMOKE_TEST_TIMEOUT_MS,
            lambda: finish(
                EXIT_FAILURE,
                "incidentdesk: the smoke test timed out: the list was not painted within 60 s.",
            ),
        )
    else:
        # Failures of background work are shown by the window (MainWindow._report_fault).
        window.database_failed.connect(window.offer_next_step)
    # What start-up made (modules, Qt wrappers, the window) lives until the program quits:
    # frozen, the garbage collector stops scanning it, and its full collections no longer
    # block the GUI thread for 25-55 ms while someone types. Collections resume then, or
    # once the database could not be opened, or the first-run dialog waits for the person.
    window.view_painted.connect(_freeze_start_up_objects)
    window.database_failed.connect(lambda *_: gc.enable())
    # The log file opens once the window shows the incidents, off the start-up path.
    window.view_painted.connect(program_log.open_log_file)
    window.database_failed.connect(lambda *_: program_log.open_log_file())
    window.show()
    if open_at_start(window, runner, address, may_ask=not smoke_test) is not None:
        gc.enable()
    app.exec()
    runner.shutdown()
    program_log.open_log_file()  # if it never painted, what was logged is written now
    return exit_code
