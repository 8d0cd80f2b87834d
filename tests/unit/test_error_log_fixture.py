"""The suite's own guard: a test that logs an error fails, unless it says it means to."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

CONFTEST = Path(__file__).resolve().parent.parent / "conftest.py"


def test_an_error_log_fails_the_test_unless_it_is_marked(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST.read_text(encoding="utf-8"))
    pytester.makeini(
        "[pytest]\nmarkers =\n    logs_errors: logs an error on purpose\n    postgres: server\n"
    )
    pytester.makepyfile(
        """
        import logging

        import pytest

        log = logging.getLogger("incidentdesk.probe")

        def test_quiet():
            log.warning("only a warning")

        def test_logs_an_error():
            log.error("background work failed and nothing handles it")

        @pytest.mark.logs_errors
        def test_logs_an_error_on_purpose():
            log.error("provoked")
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(
        ["*The test logged 1 error(s):*", "*incidentdesk.probe: background work failed*"]
    )
