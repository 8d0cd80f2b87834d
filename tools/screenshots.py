"""Render the main views with demo data to docs/screenshots/*.png (`make screenshots`)."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication, QEventLoop, QSettings, QTimer, SignalInstance
from PySide6.QtWidgets import QApplication

from incidentdesk.services import demo
from incidentdesk.services.desk import open_desk
from incidentdesk.ui.dialogs import DialogService
from incidentdesk.ui.main_window import MainWindow
from incidentdesk.ui.tasks import TaskRunner
from incidentdesk.ui.theme import use_dark_theme

OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
WINDOW_SIZE = (1280, 760)
DEMO_INCIDENTS = 2000


def run_until(signal: SignalInstance, action: Callable[[], object], timeout_ms: int = 20_000) -> None:
    """Do ``action`` and keep the event loop running until ``signal`` fires."""
    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(timeout_ms, loop.quit)
    action()
    loop.exec()
    signal.disconnect(loop.quit)


def settle() -> None:
    """Let pending background results and paints through."""
    loop = QEventLoop()
    QTimer.singleShot(300, loop.quit)
    loop.exec()


def shoot(window: MainWindow, name: str) -> None:
    settle()
    path = OUTPUT / f"{name}.png"
    window.grab().save(str(path))
    print(f"wrote {path.relative_to(OUTPUT.parent.parent)}")


def render(address: str, suffix: str) -> None:
    runner = TaskRunner()
    window = MainWindow(runner, DialogService())
    window.resize(*WINDOW_SIZE)
    window.show()
    run_until(window.list_painted, lambda: window.open_database(address))
    shoot(window, f"main-window{suffix}")
    run_until(window.model.loaded, lambda: window.search.setText("certificate"))
    shoot(window, f"main-window-search{suffix}")
    run_until(window.model.loaded, window.search.clear)
    run_until(window.model.loaded, lambda: window.status_filter.setCurrentIndex(1))
    shoot(window, f"main-window-all{suffix}")
    window.close()
    runner.shutdown()
    QSettings().clear()  # each theme starts from the same first view


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        settings_folder = Path(folder) / "settings"
        QCoreApplication.setOrganizationName("Incident Desk Screenshots")
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(settings_folder))
        app = QApplication(sys.argv)
        app.setStyle("Fusion")
        address = f"sqlite:///{Path(folder) / 'demo.db'}"
        desk = open_desk(address, login="demo")
        demo.generate(desk.store, DEMO_INCIDENTS, seed=2026)
        desk.close()
        OUTPUT.mkdir(parents=True, exist_ok=True)
        render(address, "")
        use_dark_theme(app)
        render(address, "-dark")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
