"""The Qt binding in use survives the signal traffic of a long session."""

from __future__ import annotations

import subprocess
import sys
import textwrap

EMITS = 20_000


def test_emitting_signals_many_times_does_not_crash_the_interpreter() -> None:
    # PySide6 6.12.0 dropped a reference to True/False on every emit and aborted Python
    # ("bool_dealloc") after a few hundred; pyproject.toml excludes it.
    script = textwrap.dedent(
        f"""
        from PySide6.QtCore import QObject, Signal

        class Source(QObject):
            fired = Signal(bool)

        source = Source()
        received = []
        source.fired.connect(received.append)
        for number in range({EMITS}):
            source.fired.emit(number % 2 == 0)
        assert len(received) == {EMITS}
        print("ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
