"""Alert payload files (.json) dropped onto the main window are imported as the receiver
would take them, in the background; the status bar says what each did, and a message lists
the files refused with the reason."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QMainWindow

from incidentdesk.services.changes import Changed, ChangeKind, changed
from incidentdesk.ui.failures import error_text, is_expected

if TYPE_CHECKING:
    from incidentdesk.intake.processing import IntakeResult
    from incidentdesk.services.desk import Desk
    from incidentdesk.ui.dialogs import DialogService
    from incidentdesk.ui.tasks import TaskRunner

PAYLOAD_SUFFIX = ".json"


@dataclass(frozen=True)
class FileImport:
    """What one dropped file did: its result, or the reason it was refused."""

    name: str
    result: IntakeResult | None = None
    refusal: str = ""


def payload_files(event: QDragEnterEvent | QDropEvent) -> list[Path]:
    mime = event.mimeData()
    if not mime.hasUrls():
        return []
    return [
        Path(url.toLocalFile())
        for url in mime.urls()
        if url.isLocalFile() and url.toLocalFile().lower().endswith(PAYLOAD_SUFFIX)
    ]


def import_files(desk: Desk, paths: list[Path]) -> list[FileImport]:
    """On the runner's write thread: each file in turn, a refused one named with its reason."""
    from incidentdesk.intake.processing import IntakeService, import_file

    service = IntakeService(desk.store, desk.incidents, desk.lifecycle, desk.actor_id, desk.clock)
    imports = []
    for path in paths:
        try:
            result = import_file(service, path, desk.clock())
        except Exception as error:
            if not is_expected(error):
                raise
            imports.append(FileImport(path.name, refusal=error_text(error)))
        else:
            imports.append(FileImport(path.name, result))
    return imports


class AlertFileDrop(QObject):
    """Watches the main window for dropped payload files; the window keeps its own drops
    (none today) and its children theirs (cards on the board, files on a timeline)."""

    def __init__(
        self,
        window: QMainWindow,
        runner: TaskRunner,
        dialogs: DialogService,
        current_desk: Callable[[], Desk | None],
    ) -> None:
        super().__init__(window)
        self._window, self._runner, self._dialogs = window, runner, dialogs
        self._current_desk = current_desk
        window.setAcceptDrops(True)
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            assert isinstance(event, QDragEnterEvent)
            if payload_files(event):
                event.acceptProposedAction()
                return True
        elif event.type() == QEvent.Type.Drop:
            assert isinstance(event, QDropEvent)
            paths = payload_files(event)
            if paths:
                event.acceptProposedAction()
                self.import_paths(paths)
                return True
        return False

    def import_paths(self, paths: list[Path]) -> None:
        desk = self._current_desk()
        status = self._window.statusBar()
        if desk is None:
            status.showMessage("Open a database first, then drop the alert files again.", 8000)
            return
        status.showMessage(f"Importing {len(paths)} alert file(s)…")

        def import_all(desk: Desk) -> Changed[list[FileImport]]:
            imports = import_files(desk, paths)
            touched = [id_ for item in imports if item.result for id_ in item.result.incident_ids]
            return changed(imports, touched, ChangeKind.CREATED, ChangeKind.TIMELINE)

        self._runner.write(
            self,
            import_all,
            self._imported,
            lambda error: self._dialogs.warn_failure(
                self._window, "Alerts Not Imported", error_text(error), error
            ),
        )

    def _imported(self, imports: list[FileImport]) -> None:
        done = [item for item in imports if item.result is not None]
        if done:
            self._window.statusBar().showMessage(
                "; ".join(f"{item.name}: {item.result.summary}" for item in done if item.result),
                15000,
            )
        refused = [item for item in imports if item.result is None]
        if refused:
            self._dialogs.warn(
                self._window,
                "Alerts Not Imported",
                "\n".join(f"{item.name} was not imported: {item.refusal}" for item in refused),
            )
