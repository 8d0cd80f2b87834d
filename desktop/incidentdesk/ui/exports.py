"""Exporting incidents and postmortems: Markdown as it is, PDF through Qt's own writer, the
save dialog that proposes a file name, and the background work in between.

The PDF functions run on the runner's files thread. That is safe: QTextDocument and its
layout are reentrant and QPainter may paint on a QPdfWriter (a QPagedPaintDevice, not a
widget) outside the GUI thread, as long as the document is built on the thread that uses it
(Qt's "Thread-Support in Qt Modules" page). tests/gui/test_postmortem_panel.py renders on the
worker and fails on any Qt warning.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QEventLoop,
    QIODevice,
    QMarginsF,
    QObject,
    QSettings,
    QStandardPaths,
)
from PySide6.QtGui import QFont, QPageLayout, QPageSize, QPdfWriter, QTextDocument
from PySide6.QtWidgets import QFileDialog, QWidget

from incidentdesk.services.desk import Desk
from incidentdesk.ui.tasks import ErrorHandler, TaskRunner

# QTextDocument.print_ draws the text inside a 2 cm frame margin and puts the page number in
# it; the writer's own margin only keeps that clear of the paper's edge: 25 mm in all.
PAGE_EDGE_MM = 5.0
BODY_POINT_SIZE = 10.5
LAST_FOLDER_SETTING = "exports/folder"
# Raw HTML in what people typed is shown as text: an export never reads files it names.
MARKDOWN_FEATURES = (
    QTextDocument.MarkdownFeature.MarkdownDialectGitHub
    | QTextDocument.MarkdownFeature.MarkdownNoHTML
)


class ExportFormat(StrEnum):
    MARKDOWN = "md"
    PDF = "pdf"

    @property
    def label(self) -> str:
        return "Markdown" if self is ExportFormat.MARKDOWN else "PDF"

    @property
    def suffix(self) -> str:
        return f".{self.value}"

    @property
    def file_filter(self) -> str:
        return f"{self.label} (*{self.suffix})"


def export_file_name(key: str, part: str, export_format: ExportFormat) -> str:
    """The name proposed in the save dialog, such as ``INC-42-postmortem.pdf``."""
    return f"{key}-{part}{export_format.suffix}"


def choose_export_path(
    parent: QWidget | None, caption: str, file_name: str, export_format: ExportFormat
) -> Path | None:
    """Ask where to save an export, starting in the folder used last; None if cancelled."""
    settings = QSettings()
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    folder = str(settings.value(LAST_FOLDER_SETTING, documents or str(Path.home())))
    chosen, _ = QFileDialog.getSaveFileName(
        parent, caption, str(Path(folder) / file_name), export_format.file_filter
    )
    if not chosen:
        return None
    path = Path(chosen)
    if not path.suffix:  # some platforms' dialogs do not add the filter's extension
        path = path.with_name(path.name + export_format.suffix)
    settings.setValue(LAST_FOLDER_SETTING, str(path.parent))
    return path


def render_pdf(markdown: str, title: str) -> bytes:
    """``markdown`` laid out on A4 pages with page numbers, as the bytes of a PDF file."""
    # The runner's worker threads are started by Python, so Qt gives them no event dispatcher,
    # and the document layout's timers would warn on every page. Constructing an event loop
    # creates the dispatcher for this thread; the loop itself never runs.
    QEventLoop()
    document = QTextDocument()
    font = QFont()
    font.setStyleHint(QFont.StyleHint.SansSerif)
    font.setPointSizeF(BODY_POINT_SIZE)
    document.setDefaultFont(font)
    document.setMetaInformation(QTextDocument.MetaInformation.DocumentTitle, title)
    document.setMarkdown(markdown, MARKDOWN_FEATURES)
    content = QByteArray()
    buffer = QBuffer(content)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setTitle(title)
    writer.setCreator("Incident Desk")
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setPageMargins(
        QMarginsF(PAGE_EDGE_MM, PAGE_EDGE_MM, PAGE_EDGE_MM, PAGE_EDGE_MM),
        QPageLayout.Unit.Millimeter,
    )
    document.print_(writer)
    buffer.close()
    return bytes(content.data())


def markdown_to_pdf(markdown: str, path: Path, title: str) -> None:
    """Write ``markdown`` as a PDF document titled ``title`` to ``path``, all or nothing."""
    write_atomically(path, render_pdf(markdown, title))


def write_atomically(path: Path, content: bytes) -> None:
    """Replace ``path`` with ``content`` so that a failure never leaves half a file."""
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        with partial.open("xb") as file:  # created with the user's usual permissions
            file.write(content)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def write_export(markdown: str, path: Path, title: str, export_format: ExportFormat) -> Path:
    """On the files thread: the export in its format at ``path``."""
    if export_format is ExportFormat.PDF:
        markdown_to_pdf(markdown, path, title)
    else:
        write_atomically(path, markdown.encode("utf-8"))
    return path


def export_in_background(
    runner: TaskRunner,
    owner: QObject,
    compose: Callable[[Desk], str],
    path: Path,
    title: str,
    export_format: ExportFormat,
    on_done: Callable[[Path], None],
    on_error: ErrorHandler,
) -> None:
    """Compose the Markdown from the database on the read thread, then render and write it on
    the files thread; ``on_done(path)`` or ``on_error(error)`` runs on the GUI thread while
    ``owner`` exists."""
    runner.read(
        owner,
        compose,
        lambda markdown: runner.files(
            owner, lambda: write_export(markdown, path, title, export_format), on_done, on_error
        ),
        on_error,
    )
