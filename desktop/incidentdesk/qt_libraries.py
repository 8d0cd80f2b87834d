"""Which system libraries Qt's X11 platform plugin lacks, and the apt command that adds them.

A minimal Debian or Ubuntu system lacks some of the libraries the xcb plugin links to; Qt
then aborts the program (status 134) with a message that names none of them. ``ldd`` on the
plugin names every one that is missing. Run as ``python -m incidentdesk.qt_libraries``
(``make run`` does): silent with status 0 when nothing is missing.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

# Every library the xcb platform plugin and the Qt libraries it loads link to, outside
# PySide6 itself, with the Debian/Ubuntu package that ships it (found with ldd and dpkg -S).
DEBIAN_PACKAGES = {
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libGLX.so.0": "libglx0",
    "libGLdispatch.so.0": "libglvnd0",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libXau.so.6": "libxau6",
    "libXdmcp.so.6": "libxdmcp6",
    "libbrotlicommon.so.1": "libbrotli1",
    "libbrotlidec.so.1": "libbrotli1",
    "libbsd.so.0": "libbsd0",
    "libdbus-1.so.3": "libdbus-1-3",
    "libexpat.so.1": "libexpat1",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libpng16.so.16": "libpng16-16",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-glx.so.0": "libxcb-glx0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb.so.1": "libxcb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
}
# A minimal system has no fonts either, and Qt would draw no text.
FONT_PACKAGE = "fonts-dejavu-core"
# The whole list for a minimal system, in one apt command (apt adds what these depend on).
ALL_PACKAGES = sorted({*DEBIAN_PACKAGES.values(), FONT_PACKAGE})


def missing_libraries(ldd_output: str) -> list[str]:
    """The libraries ``ldd`` reports as "not found", each once, in the order it names them."""
    missing: list[str] = []
    for line in ldd_output.splitlines():
        name, arrow, found = line.strip().partition("=>")
        if arrow and found.strip() == "not found" and name.strip() not in missing:
            missing.append(name.strip())
    return missing


def install_command(libraries: list[str]) -> str:
    """The apt command that installs ``libraries``; any it does not know is named as is."""
    packages = sorted({DEBIAN_PACKAGES.get(library, library) for library in libraries})
    return "sudo apt install " + " ".join(packages)


def full_install_command() -> str:
    """The apt command for every library the plugin needs, and a font."""
    return "sudo apt install " + " ".join(ALL_PACKAGES)


def xcb_plugins() -> list[Path]:
    """The xcb platform plugin and its GL integrations in the installed PySide6."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or spec.origin is None:
        return []
    plugins = Path(spec.origin).parent / "Qt" / "plugins"
    return [
        path
        for path in (plugins / "platforms" / "libqxcb.so", *plugins.glob("xcbglintegrations/*.so"))
        if path.is_file()
    ]


def run_ldd(paths: list[Path]) -> str:
    ldd = shutil.which("ldd")
    if ldd is None or not paths:
        return ""
    finished = subprocess.run(
        [ldd, *map(str, paths)], capture_output=True, text=True, check=False, timeout=60
    )
    return finished.stdout


def report(libraries: list[str]) -> str:
    return (
        "Qt's X11 support needs system libraries that are missing: "
        f"{', '.join(libraries)}. On Debian or Ubuntu install them with:\n"
        f"  {install_command(libraries)}"
    )


def main() -> int:
    if not sys.platform.startswith("linux"):
        return 0
    missing = missing_libraries(run_ldd(xcb_plugins()))
    if not missing:
        return 0
    print(f"incidentdesk: {report(missing)}", file=sys.stderr)
    # On Wayland Qt can use its Wayland plugin instead, so the missing X11 libraries do not
    # stop the window there.
    uses_xcb = not os.environ.get("WAYLAND_DISPLAY") or os.environ.get(
        "QT_QPA_PLATFORM", ""
    ).startswith("xcb")
    return 1 if uses_xcb else 0


if __name__ == "__main__":
    sys.exit(main())
