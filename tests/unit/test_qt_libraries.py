"""Naming the system libraries Qt's X11 plugin lacks, from ldd's output."""

from __future__ import annotations

from pathlib import Path

import pytest

from incidentdesk import qt_libraries

# ldd on libqxcb.so of a minimal Debian 12 (abridged): two libraries missing, one twice.
LDD_OUTPUT = """\
\tlinux-vdso.so.1 (0x00007efe18c9f000)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/plugins/platforms/../../lib/libQt6XcbQpa.so.6 (0x1)
\tlibGL.so.1 => /lib/x86_64-linux-gnu/libGL.so.1 (0x00007efe18b41000)
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007efe18b2d000)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-util.so.1 => /lib/x86_64-linux-gnu/libxcb-util.so.1 (0x00007efe18b25000)
\tlibxcb-keysyms.so.1 => not found
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007efe16e1e000)
\tlibxcb-icccm.so.4 => not found
\t/lib64/ld-linux-x86-64.so.2 (0x00007efe18ca1000)
"""


def test_the_missing_libraries_are_read_from_ldd() -> None:
    assert qt_libraries.missing_libraries(LDD_OUTPUT) == [
        "libxcb-icccm.so.4",
        "libxcb-keysyms.so.1",
    ]


def test_nothing_missing_reads_as_nothing_missing() -> None:
    complete = "\n".join(line for line in LDD_OUTPUT.splitlines() if "not found" not in line)
    assert qt_libraries.missing_libraries(complete) == []
    assert qt_libraries.missing_libraries("") == []


def test_the_apt_command_names_debian_packages() -> None:
    command = qt_libraries.install_command(["libxcb-keysyms.so.1", "libxcb-icccm.so.4"])
    assert command == "sudo apt install libxcb-icccm4 libxcb-keysyms1"


def test_a_library_without_a_known_package_is_named_as_is() -> None:
    command = qt_libraries.install_command(["libxcb-future.so.9", "libEGL.so.1"])
    assert command == "sudo apt install libegl1 libxcb-future.so.9"


def test_the_full_list_has_every_package_of_the_issue() -> None:
    for package in ("libxcb-icccm4", "libxcb-keysyms1", "libxcb-cursor0", "libxkbcommon-x11-0"):
        assert package in qt_libraries.ALL_PACKAGES


def test_the_readme_and_the_programs_hint_give_the_full_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from incidentdesk import app

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    apt_line = " ".join(qt_libraries.ALL_PACKAGES)
    assert apt_line in readme
    assert qt_libraries.full_install_command().endswith(apt_line)
    # Where ldd finds nothing missing (or cannot run), the hint gives the whole list...
    monkeypatch.setattr(qt_libraries, "run_ldd", lambda paths: "")
    assert app._qt_libraries_advice().endswith(qt_libraries.full_install_command())
    # ...and otherwise exactly what is missing.
    monkeypatch.setattr(qt_libraries, "run_ldd", lambda paths: LDD_OUTPUT)
    assert app._qt_libraries_advice().endswith("sudo apt install libxcb-icccm4 libxcb-keysyms1")


@pytest.mark.parametrize(
    ("environment", "status"),
    [
        ({}, 1),
        ({"WAYLAND_DISPLAY": "wayland-0"}, 0),
        ({"WAYLAND_DISPLAY": "w", "QT_QPA_PLATFORM": "xcb"}, 1),
    ],
)
def test_make_run_stops_with_the_apt_command_when_x11_needs_them(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    environment: dict[str, str],
    status: int,
) -> None:
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(qt_libraries, "run_ldd", lambda paths: LDD_OUTPUT)
    assert qt_libraries.main() == status
    err = capsys.readouterr().err
    assert "libxcb-icccm.so.4, libxcb-keysyms.so.1" in err
    assert "sudo apt install libxcb-icccm4 libxcb-keysyms1" in err


def test_make_run_goes_on_silently_when_nothing_is_missing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(
        qt_libraries, "run_ldd", lambda paths: LDD_OUTPUT.replace("not found", "/lib/x.so")
    )
    assert qt_libraries.main() == 0
    assert capsys.readouterr() == ("", "")


def test_the_installed_plugin_is_found() -> None:
    plugins = qt_libraries.xcb_plugins()
    assert any(path.name == "libqxcb.so" for path in plugins)
