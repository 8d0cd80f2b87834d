"""The start-up floor: a bare PySide6 window that paints one label, then quits.

``python -m bench.bare_window`` prints ``PAINTED_LINE`` once the label has painted. The
start-up benchmark times it as it times the program's smoke test, taking turns in the same run,
so that their ratio says how much the program adds to what any PySide6 window costs on this
machine at that moment. PySide6 is imported in ``main`` only: the benchmark imports this module
for ``PAINTED_LINE`` and must not pay for Qt.
"""

from __future__ import annotations

import sys

PAINTED_LINE = "bare window painted"


def main() -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QPaintEvent
    from PySide6.QtWidgets import QApplication, QLabel

    class Label(QLabel):
        painted = False

        def paintEvent(self, event: QPaintEvent) -> None:
            super().paintEvent(event)
            if not self.painted:
                self.painted = True
                print(PAINTED_LINE, flush=True)
                QTimer.singleShot(0, QApplication.quit)

    app = QApplication(sys.argv)
    label = Label("Incident Desk")
    label.resize(1180, 720)  # the size of the program's main window
    label.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
