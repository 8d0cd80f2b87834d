"""The receiver's limits that need no server: the rate per sender, and what counts as
loopback."""

from __future__ import annotations

import pytest

from incidentdesk.intake.server import RateLimiter, is_loopback


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_sender_gets_its_burst_then_its_rate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate_per_second=2.0, burst=3, clock=clock)
    assert [limiter.allow("10.0.0.1") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("10.0.0.2")  # another sender has a bucket of its own
    clock.now += 0.5  # one more token at two a second
    assert [limiter.allow("10.0.0.1") for _ in range(2)] == [True, False]
    clock.now += 60  # a long pause fills the bucket, never beyond the burst
    assert [limiter.allow("10.0.0.1") for _ in range(4)] == [True, True, True, False]


def test_many_senders_do_not_grow_the_limiter_without_end() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate_per_second=10.0, burst=10, clock=clock)
    for sender in range(10_001):
        limiter.allow(f"10.0.{sender // 256}.{sender % 256}")
    clock.now += 5  # long enough for every bucket to be full again
    limiter.allow("192.0.2.1")
    assert len(limiter._buckets) == 1


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("192.168.1.10", False),
        ("::", False),
        ("intake.example.com", False),
    ],
)
def test_what_counts_as_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
