"""Attachments on the incident form: dropped, pasted, refused with a reason, saved, searched."""

from __future__ import annotations

import logging
import resource
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtGui import QColor, QImage

from incidentdesk.domain.enums import EntryKind
from incidentdesk.services.desk import Desk
from incidentdesk.services.incidents import IncidentQuery
from incidentdesk.ui.incident_form import IncidentForm
from tests.factories import sqlite_path
from tests.gui.conftest import FormMaker
from tests.gui.form_helpers import (
    drop_mime,
    drop_urls,
    png_declaring,
    press,
    type_text,
    write_png,
)

LOG_WORD = "zanzibarquux"  # in the log file only, so the search finds it through the file


def write_log(path: Path) -> Path:
    path.write_text(
        "2026-11-27T09:12:01Z gateway ERROR upstream card-auth timed out after 30s\n"
        f"2026-11-27T09:12:02Z gateway WARN retry budget exhausted for {LOG_WORD}\n"
    )
    return path


def names(form: IncidentForm) -> list[str]:
    return [candidate.file.filename for candidate in form.attachments.candidates()]


def wait_for_files(qtbot, form: IncidentForm, count: int) -> None:
    qtbot.waitUntil(lambda: form.attachments.count() == count and form.reading.isHidden())


def refusal_of_dropped(qtbot, form: IncidentForm, path: Path) -> str:
    """Drop ``path`` on the form, which must refuse it: the banner's sentence."""
    drop_urls(form, [path])
    qtbot.waitUntil(lambda: not form.banner.isHidden())
    assert form.attachments.count() == 0
    return form.banner.text()


def test_dropped_image_and_log_are_saved_and_the_log_is_searchable(
    qtbot, desk: Desk, make_form: FormMaker, tmp_path: Path
) -> None:
    png = write_png(tmp_path / "checkout-error.png", 320, 200)
    log = write_log(tmp_path / "gateway.log")
    form = make_form(desk)

    assert drop_urls(form, [png, log])
    wait_for_files(qtbot, form, 2)
    files = {c.file.filename: c for c in form.attachments.candidates()}
    assert sorted(files) == ["checkout-error.png", "gateway.log"]
    thumbnail = files["checkout-error.png"].thumbnail
    assert thumbnail is not None
    assert (thumbnail.width(), thumbnail.height()) == (160, 100)  # the image's shape, smaller
    assert files["gateway.log"].thumbnail is None
    icons = [form.attachments.item(row).icon() for row in range(2)]
    assert all(not icon.isNull() for icon in icons)
    assert "checkout-error.png" in form.attachments.item(0).text()

    type_text("Card payments fail at checkout")
    with qtbot.waitSignal(form.saved) as saved:
        form.save()
    incident_id = saved.args[0].id
    stored = {info.filename: info for info in desk.attachments.for_incident(incident_id)}
    assert sorted(stored) == ["checkout-error.png", "gateway.log"]
    assert desk.attachments.content(stored["checkout-error.png"].id) == png.read_bytes()
    assert desk.attachments.content(stored["gateway.log"].id) == log.read_bytes()
    assert stored["checkout-error.png"].media_type == "image/png"
    entries = [e for e in desk.timeline.entries(incident_id) if e.kind is EntryKind.ATTACHMENT]
    assert len(entries) == 2
    assert desk.incidents.count(IncidentQuery(text=LOG_WORD)) == 1
    assert desk.incidents.rows(IncidentQuery(text=LOG_WORD), 0, 5)[0].id == incident_id


@pytest.mark.parametrize(
    "where",
    ["title", "description", "source contact", "service", "attachments", "severity"],
)
def test_files_dropped_anywhere_on_the_form_are_attached(
    qtbot, sqlite_desk: Desk, make_form: FormMaker, tmp_path: Path, where: str
) -> None:
    form = make_form(sqlite_desk)
    form.title.setText("Typed before the drop")
    targets = {
        "title": form.title,
        "description": form.description.viewport(),
        "source contact": form.source_contact,
        "service": form.service.lineEdit(),
        "attachments": form.attachments.viewport(),
        "severity": form.severity,
    }
    log = write_log(tmp_path / "gateway.log")
    assert drop_urls(targets[where], [log])
    wait_for_files(qtbot, form, 1)
    assert names(form) == ["gateway.log"]
    assert form.title.text() == "Typed before the drop"
    assert form.description.toPlainText() == ""  # no file:// address typed in


def test_an_image_dragged_from_another_program_is_attached(
    qtbot, sqlite_desk: Desk, make_form: FormMaker
) -> None:
    form = make_form(sqlite_desk)
    image = QImage(30, 20, QImage.Format.Format_ARGB32)
    image.fill(QColor("#6a1b9a"))
    mime = QMimeData()
    mime.setImageData(image)
    assert drop_mime(form, mime)
    wait_for_files(qtbot, form, 1)
    candidate = form.attachments.candidates()[0]
    assert candidate.file.media_type == "image/png"
    assert QImage.fromData(candidate.file.content).size() == image.size()


def test_text_dragged_onto_the_description_is_still_text(
    qtbot, sqlite_desk: Desk, make_form: FormMaker
) -> None:
    form = make_form(sqlite_desk)
    mime = QMimeData()
    mime.setText("Seen from 09:12 UTC")
    assert drop_mime(form.description.viewport(), mime)
    assert form.description.toPlainText() == "Seen from 09:12 UTC"
    assert form.attachments.count() == 0


def test_an_image_is_pasted_from_the_clipboard(
    qtbot, sqlite_desk: Desk, make_form: FormMaker, clipboard
) -> None:
    form = make_form(sqlite_desk)
    first = QImage(200, 150, QImage.Format.Format_RGB32)
    first.fill(QColor("#c62828"))
    clipboard.setImage(first)
    form.paste()
    wait_for_files(qtbot, form, 1)

    second = QImage(64, 64, QImage.Format.Format_RGB32)
    second.fill(QColor("#283593"))
    clipboard.setImage(second)
    form.title.setFocus()
    type_text("Dashboard blank")
    press(Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)  # in the title field
    wait_for_files(qtbot, form, 2)
    assert form.title.text() == "Dashboard blank"  # nothing pasted into the field

    pasted = form.attachments.candidates()
    assert all(c.file.filename.startswith("screenshot-") for c in pasted)
    assert all(c.file.filename.endswith(".png") for c in pasted)
    assert all(c.file.media_type == "image/png" and c.thumbnail is not None for c in pasted)
    sizes = [QImage.fromData(c.file.content).size().toTuple() for c in pasted]
    assert sizes == [(200, 150), (64, 64)]

    with qtbot.waitSignal(form.saved) as saved:
        form.save()
    stored = sqlite_desk.attachments.for_incident(saved.args[0].id)
    assert [info.media_type for info in stored] == ["image/png", "image/png"]


def test_ctrl_v_with_text_on_the_clipboard_pastes_text(
    qtbot, sqlite_desk: Desk, make_form: FormMaker, clipboard
) -> None:
    form = make_form(sqlite_desk)
    clipboard.setText("VPN drops every hour")
    form.title.setFocus()
    press(Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert form.title.text() == "VPN drops every hour"
    assert form.attachments.count() == 0
    form.paste_image()
    assert form.status_label.text() == "There is no image or file on the clipboard to paste."


def test_an_attachment_can_be_removed_before_saving(
    qtbot, sqlite_desk: Desk, make_form: FormMaker, tmp_path: Path
) -> None:
    form = make_form(sqlite_desk)
    form.add_paths([write_log(tmp_path / "a.log"), write_png(tmp_path / "b.png")])
    wait_for_files(qtbot, form, 2)
    form.attachments.setFocus()
    form.attachments.setCurrentRow(names(form).index("a.log"))
    press(Qt.Key.Key_Delete)
    assert names(form) == ["b.png"]
    form.title.setText("Only the screenshot")
    with qtbot.waitSignal(form.saved) as saved:
        form.save()
    stored = sqlite_desk.attachments.for_incident(saved.args[0].id)
    assert [info.filename for info in stored] == ["b.png"]


def test_the_same_file_twice_is_attached_once(
    qtbot, sqlite_desk: Desk, make_form: FormMaker, tmp_path: Path
) -> None:
    form = make_form(sqlite_desk)
    log = write_log(tmp_path / "gateway.log")
    form.add_paths([log])
    wait_for_files(qtbot, form, 1)
    assert drop_urls(form, [log])
    assert not form.reading.isHidden()
    qtbot.waitUntil(form.reading.isHidden)
    assert form.attachments.count() == 1


# Refusals


def test_a_file_over_the_size_limit_is_refused(
    qtbot, sqlite_desk: Desk, make_form: FormMaker, tmp_path: Path
) -> None:
    sqlite_desk.settings.set_attachment_max_bytes(2048)
    big = tmp_path / "heap-dump.log"
    big.write_bytes(b"0123456789abcdef" * 512)  # 8 KB
    small = write_log(tmp_path / "gateway.log")
    form = make_form(sqlite_desk)
    assert refusal_of_dropped(qtbot, form, big) == (
        "heap-dump.log is 8 KB; files up to 2 KB can be attached. Compress it or attach an excerpt."
    )
    form.add_paths([small])  # under the limit: still welcome
    wait_for_files(qtbot, form, 1)


def test_a_corrupt_png_is_refused(
    qtbot, sqlite_desk: Desk, make_form: FormMaker, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    form = make_form(sqlite_desk)
    refusal = refusal_of_dropped(qtbot, form, broken)
    assert refusal.startswith("broken.png is not a readable image (")
    assert refusal.endswith("it may be damaged.")
    assert form.reading.isHidden()


def test_a_decompression_bomb_is_refused_from_its_header(
    qtbot, sqlite_desk: Desk, make_form: FormMaker, tmp_path: Path
) -> None:
    bomb = tmp_path / "screenshot.png"
    bomb.write_bytes(png_declaring(50_000, 50_000))
    assert bomb.stat().st_size < 1000
    harmless = write_png(tmp_path / "small.png", 40, 30)
    form = make_form(sqlite_desk)
    peak_before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    assert refusal_of_dropped(qtbot, form, bomb) == (
        "screenshot.png declares 50,000 × 50,000 pixels; images up to 100 megapixels can be "
        "attached. Scale it down or crop it first."
    )
    peak_growth_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before_kb) / 1024
    assert peak_growth_mb < 100  # decoding it would take 2.5 GB

    form.add_paths([harmless])
    wait_for_files(qtbot, form, 1)


def test_a_small_png_built_like_the_bomb_is_accepted(
    qtbot, sqlite_desk: Desk, make_form: FormMaker, tmp_path: Path
) -> None:
    """The bomb above is refused for its size, not because the way it is built is broken."""
    small = tmp_path / "strip.png"
    small.write_bytes(png_declaring(300, 4, rows=4))
    form = make_form(sqlite_desk)
    form.add_paths([small])
    wait_for_files(qtbot, form, 1)
    thumbnail = form.attachments.candidates()[0].thumbnail
    assert thumbnail is not None
    assert thumbnail.width() == 160
    assert form.banner.isHidden()


def test_a_folder_is_refused(
    qtbot, sqlite_desk: Desk, make_form: FormMaker, tmp_path: Path
) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    form = make_form(sqlite_desk)
    assert (
        refusal_of_dropped(qtbot, form, folder)
        == "logs is a folder; attach the files inside it instead."
    )


@pytest.mark.parametrize("suffix", ["", "-wal"])
def test_the_open_database_is_not_read_as_an_attachment(
    qtbot, sqlite_desk: Desk, make_form: FormMaker, suffix: str
) -> None:
    """Reading it would release this program's locks on it (see test_sqlite_file_locks.py)."""
    database_file = sqlite_path(sqlite_desk.store.location.url)
    offered = database_file.with_name(database_file.name + suffix)
    assert offered.exists()
    form = make_form(sqlite_desk)
    assert refusal_of_dropped(qtbot, form, offered) == (
        f"{offered.name} is the database Incident Desk has open, or one of its files; attach "
        "a copy instead ('incidentdesk db backup' makes one)."
    )


def write_image(path: Path, image_format: str, width: int = 320, height: int = 200) -> bytes:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor("#1565c0"))
    assert image.save(str(path), image_format)
    return path.read_bytes()


@pytest.mark.parametrize(("suffix", "image_format"), [("jpg", "JPG"), ("bmp", "BMP")])
def test_a_truncated_image_is_refused_naming_the_file(
    qtbot, sqlite_desk: Desk, make_form: FormMaker, tmp_path: Path, suffix: str, image_format: str
) -> None:
    whole = write_image(tmp_path / f"whole.{suffix}", image_format)
    cut = tmp_path / f"checkout-cut.{suffix}"
    cut.write_bytes(whole[: len(whole) // 2])
    form = make_form(sqlite_desk)

    assert refusal_of_dropped(qtbot, form, cut) == (
        f"checkout-cut.{suffix} is cut short: the file ends before its picture does. It may not "
        "have finished downloading or copying; attach a complete copy."
    )
    assert form.reading.isHidden()


def test_a_whole_jpeg_is_accepted_with_a_thumbnail_of_its_own_colour(
    qtbot, sqlite_desk: Desk, make_form: FormMaker, tmp_path: Path
) -> None:
    photo = tmp_path / "photo.jpg"
    write_image(photo, "JPG")
    form = make_form(sqlite_desk)
    form.add_paths([photo])
    wait_for_files(qtbot, form, 1)
    thumbnail = form.attachments.candidates()[0].thumbnail
    assert thumbnail is not None
    assert (thumbnail.width(), thumbnail.height()) == (160, 100)
    bottom = thumbnail.pixelColor(80, 98)  # a half-decoded image is grey down here
    assert abs(bottom.blue() - 0xC0) < 24
    assert bottom.red() < 48
    assert form.banner.isHidden()


def bad_and_good_files(tmp_path: Path) -> tuple[list[Path], list[str]]:
    """Three files that cannot be attached (limit 4 KB) and two that can, mixed."""
    big = tmp_path / "heap-dump.log"
    big.write_bytes(b"0123456789abcdef" * 512)  # 8 KB
    whole = write_image(tmp_path / "whole.jpg", "JPG", 64, 48)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(whole[: len(whole) // 2])
    folder = tmp_path / "logs"
    folder.mkdir()
    good_log = write_log(tmp_path / "gateway.log")
    good_png = write_png(tmp_path / "checkout.png", 40, 30)
    return [big, good_log, cut, folder, good_png], [
        "heap-dump.log is 8 KB; files up to 4 KB can be attached. Compress it or attach an "
        "excerpt.",
        "cut.jpg is cut short: the file ends before its picture does. It may not have finished "
        "downloading or copying; attach a complete copy.",
        "logs is a folder; attach the files inside it instead.",
    ]


def test_every_refusal_of_a_drop_is_shown_and_the_good_files_are_kept(
    qtbot, sqlite_desk: Desk, make_form: FormMaker, tmp_path: Path
) -> None:
    sqlite_desk.settings.set_attachment_max_bytes(4096)
    paths, reasons = bad_and_good_files(tmp_path)
    form = make_form(sqlite_desk)

    assert drop_urls(form.description.viewport(), paths)
    wait_for_files(qtbot, form, 2)
    assert sorted(names(form)) == ["checkout.png", "gateway.log"]
    assert not form.banner.isHidden()
    assert form.banner.text() == "3 files were not attached:\n" + "\n".join(
        f"• {reason}" for reason in reasons
    )


def test_refused_files_are_logged_at_info_without_a_traceback(
    qtbot, sqlite_desk: Desk, make_form: FormMaker, tmp_path: Path, caplog, clipboard
) -> None:
    sqlite_desk.settings.set_attachment_max_bytes(4096)
    paths, reasons = bad_and_good_files(tmp_path)
    form = make_form(sqlite_desk)
    caplog.set_level(logging.DEBUG)

    drop_urls(form, paths)
    wait_for_files(qtbot, form, 2)
    big_screenshot = QImage(200, 200, QImage.Format.Format_ARGB32)
    big_screenshot.fill(QColor(0, 0, 0, 0))
    for y in range(200):  # noise that PNG cannot compress below the 4 KB limit
        for x in range(200):
            big_screenshot.setPixelColor(x, y, QColor((x * 7919 + y * 104729) % 16777216))
    clipboard.setImage(big_screenshot)
    form.paste_image()
    qtbot.waitUntil(lambda: "screenshot-" in form.banner.text())
    qtbot.waitUntil(form.reading.isHidden)

    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not [r for r in caplog.records if r.exc_info]
    refusals = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    for reason in reasons:
        assert any(reason in message for message in refusals), reason
    assert any("screenshot-" in message for message in refusals)


def test_every_refusal_of_a_drop_on_the_timeline_is_shown_and_the_good_files_attached(
    qtbot, sqlite_desk: Desk, runner, dialogs, tmp_path: Path
) -> None:
    from tests.factories import make_draft
    from tests.gui.test_workspace import open_workspace

    sqlite_desk.settings.set_attachment_max_bytes(4096)
    paths, reasons = bad_and_good_files(tmp_path)
    incident = sqlite_desk.incidents.create(make_draft(), sqlite_desk.actor_id)
    workspace = open_workspace(qtbot, sqlite_desk, runner, dialogs, incident.id)
    panel = workspace.timeline

    with qtbot.waitSignal(panel.changed, timeout=10_000):
        assert drop_urls(panel, paths)
    stored = sorted(f.filename for f in sqlite_desk.attachments.for_incident(incident.id))
    assert stored == ["checkout.png", "gateway.log"]
    assert panel.problem.text() == "Attached 2 files. 3 files were not attached:\n" + "\n".join(
        f"• {reason}" for reason in reasons
    )


def test_a_drop_on_the_timeline_of_only_bad_files_attaches_nothing_and_says_why(
    qtbot, sqlite_desk: Desk, runner, dialogs, tmp_path: Path
) -> None:
    from tests.factories import make_draft
    from tests.gui.test_workspace import open_workspace

    sqlite_desk.settings.set_attachment_max_bytes(4096)
    paths, reasons = bad_and_good_files(tmp_path)
    incident = sqlite_desk.incidents.create(make_draft(), sqlite_desk.actor_id)
    workspace = open_workspace(qtbot, sqlite_desk, runner, dialogs, incident.id)
    panel = workspace.timeline
    bad = [paths[0], paths[2], paths[3]]

    assert drop_urls(panel, bad)
    qtbot.waitUntil(lambda: panel.problem.text().startswith("3 files"))
    assert sqlite_desk.attachments.for_incident(incident.id) == []
    assert panel.problem.text() == "3 files were not attached:\n" + "\n".join(
        f"• {reason}" for reason in reasons
    )


def test_a_log_searchable_only_in_part_says_so_in_the_attachment_list(
    qtbot, sqlite_desk: Desk, make_form: FormMaker, tmp_path: Path
) -> None:
    import hashlib

    log = tmp_path / "unique-ids.log"
    log.write_text(
        " ".join(hashlib.sha256(str(n).encode()).hexdigest()[:14] for n in range(90_000))
    )
    whole = write_log(tmp_path / "gateway.log")
    form = make_form(sqlite_desk)
    form.add_paths([log, whole])
    wait_for_files(qtbot, form, 2)
    texts = {form.attachments.item(row).text() for row in range(2)}
    assert any(
        text.startswith("unique-ids.log\n") and "Partly searchable" in text for text in texts
    )
    assert any(text.startswith("gateway.log\n") and "searchable" not in text for text in texts)


def test_files_copied_in_a_file_manager_paste_into_the_timeline_as_into_the_form(
    qtbot, sqlite_desk: Desk, runner, dialogs, clipboard, tmp_path: Path
) -> None:
    from tests.factories import make_draft
    from tests.gui.test_workspace import open_workspace

    log = write_log(tmp_path / "gateway.log")
    incident = sqlite_desk.incidents.create(make_draft(), sqlite_desk.actor_id)
    workspace = open_workspace(qtbot, sqlite_desk, runner, dialogs, incident.id)
    copied = QMimeData()
    copied.setUrls([QUrl.fromLocalFile(str(log))])
    clipboard.setMimeData(copied)

    with qtbot.waitSignal(workspace.timeline.changed, timeout=10_000):
        workspace.timeline.paste_image()
    assert [f.filename for f in sqlite_desk.attachments.for_incident(incident.id)] == [
        "gateway.log"
    ]
