"""The countdown to the next try while the team server is unreachable (``ServerRetry``)."""

from __future__ import annotations

import pytest

from incidentdesk.ui.server_retry import ServerRetry


class Tries:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


def shown(retry: ServerRetry) -> list[str]:
    texts: list[str] = []
    retry.state_changed.connect(lambda _waiting, text: texts.append(text))
    return texts


def test_each_failed_try_waits_longer_and_the_last_pause_repeats(qtbot) -> None:
    tries = Tries()
    retry = ServerRetry(tries)
    retry.set_backoff((1, 2))
    texts = shown(retry)
    retry.lost()
    assert retry.waiting
    assert texts == ["Server unreachable: trying again in 1 s"]
    qtbot.waitUntil(lambda: tries.count == 1, timeout=5000)
    retry.lost()  # the try failed
    assert texts[-1] == "Server unreachable: trying again in 2 s"
    qtbot.waitUntil(lambda: texts[-1] == "Server unreachable: trying again in 1 s", timeout=5000)
    qtbot.waitUntil(lambda: tries.count == 2, timeout=5000)
    retry.lost()
    assert texts[-1] == "Server unreachable: trying again in 2 s"  # no longer than the last
    retry.back()
    assert texts[-1] == "Connected"
    assert not retry.waiting


def test_failures_while_a_countdown_runs_do_not_restart_it(qtbot) -> None:
    tries = Tries()
    retry = ServerRetry(tries)
    retry.set_backoff((1,))
    retry.lost()
    retry.lost()
    retry.lost()
    qtbot.waitUntil(lambda: tries.count == 1, timeout=5000)
    assert tries.count == 1


def test_try_now_tries_at_once_and_only_while_waiting(qtbot) -> None:
    tries = Tries()
    retry = ServerRetry(tries)
    retry.try_now()
    assert tries.count == 0  # nothing is away
    retry.set_backoff((30,))
    retry.lost()
    retry.try_now()
    assert tries.count == 1
    retry.try_now()  # the try is under way: not a second one
    assert tries.count == 1


def test_back_after_a_successful_try_starts_again_from_the_shortest_pause(qtbot) -> None:
    tries = Tries()
    retry = ServerRetry(tries)
    retry.set_backoff((5, 30))
    texts = shown(retry)
    retry.lost()
    retry.try_now()
    retry.lost()
    assert texts[-1] == "Server unreachable: trying again in 30 s"
    retry.try_now()
    retry.back()
    retry.lost()
    assert texts[-1] == "Server unreachable: trying again in 5 s"


def test_stop_forgets_the_server_without_announcing_anything(qtbot) -> None:
    tries = Tries()
    retry = ServerRetry(tries)
    retry.set_backoff((1,))
    retry.lost()
    texts = shown(retry)
    retry.stop()
    assert not retry.waiting
    retry.back()
    assert texts == []  # it was not waiting any more: nothing to say


@pytest.mark.parametrize("pauses", [(), (1, -1)])
def test_bad_pauses_are_refused(qtbot, pauses: tuple[int, ...]) -> None:
    retry = ServerRetry(Tries())
    with pytest.raises(ValueError, match="pauses must be"):
        retry.set_backoff(pauses)
