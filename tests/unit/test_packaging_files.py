"""The packaging files agree with the program: ids, version, icons and screenshots.

`make bundle-test` validates them with desktop-file-validate and appstreamcli; these checks
need neither and run with every test run.
"""

from __future__ import annotations

import configparser
from pathlib import Path
from xml.etree import ElementTree

from PIL import Image

from incidentdesk import __version__
from incidentdesk.app import DESKTOP_ENTRY_ID

REPOSITORY = Path(__file__).resolve().parents[2]
PACKAGING = REPOSITORY / "packaging"
ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)


def metainfo() -> ElementTree.Element:
    return ElementTree.parse(PACKAGING / "linux" / f"{DESKTOP_ENTRY_ID}.metainfo.xml").getroot()


def test_the_desktop_entry_starts_the_program_with_its_icon() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(PACKAGING / "linux" / f"{DESKTOP_ENTRY_ID}.desktop", encoding="utf-8")
    section = entry["Desktop Entry"]
    assert section["Exec"] == "incidentdesk"
    assert section["Icon"] == "incidentdesk"
    assert section["Name"] == "Incident Desk"


def test_the_metainfo_names_the_entry_and_this_version() -> None:
    root = metainfo()
    assert root.findtext("id") == DESKTOP_ENTRY_ID
    assert root.findtext("launchable") == f"{DESKTOP_ENTRY_ID}.desktop"
    releases = root.findall("releases/release")
    assert releases[0].get("version") == __version__
    assert releases[0].find("description") is not None


def test_the_metainfo_screenshots_are_in_docs() -> None:
    images = [image.text or "" for image in metainfo().findall("screenshots/screenshot/image")]
    assert images
    for address in images:
        assert (REPOSITORY / "docs" / "screenshots" / address.rsplit("/", 1)[1]).is_file()


def test_icons_come_at_every_usual_size_with_the_svg() -> None:
    for size in ICON_SIZES:
        path = PACKAGING / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "incidentdesk.png"
        with Image.open(path) as image:
            assert image.size == (size, size)
    svg = PACKAGING / "icons" / "hicolor" / "scalable" / "apps" / "incidentdesk.svg"
    assert (
        svg.read_bytes() == (REPOSITORY / "resources" / "icons" / "incidentdesk.svg").read_bytes()
    )
    with Image.open(PACKAGING / "icons" / "incidentdesk.ico") as ico:
        assert (256, 256) in ico.info["sizes"]
    assert (PACKAGING / "icons" / "incidentdesk.icns").stat().st_size > 0
