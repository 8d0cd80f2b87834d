"""The developer tools (``make screenshots``, the icons) still import: they use the program's
modules, and nothing else runs them in CI."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[2] / "tools"


@pytest.mark.parametrize("tool", sorted(path.name for path in TOOLS.glob("*.py")))
def test_a_tool_imports(tool: str) -> None:
    spec = importlib.util.spec_from_file_location(f"tool_{tool[:-3]}", TOOLS / tool)
    assert spec is not None
    assert spec.loader is not None
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
