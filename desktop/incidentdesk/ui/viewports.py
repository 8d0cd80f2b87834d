"""Viewports that Python knows from the start."""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractScrollArea, QWidget


def use_own_viewport(view: QAbstractScrollArea) -> None:
    """Give ``view`` a viewport made in Python. The one Qt makes would, the first time
    Python is handed it, have Python build every widget class Qt has to find out which one
    it is: about 8 ms, which start-up spent before its first paint."""
    view.setViewport(QWidget())
