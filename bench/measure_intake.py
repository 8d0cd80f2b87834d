"""``python -m bench.measure_intake ADDRESS``: the alert receiver as a process on ADDRESS,
with several senders on keep-alive connections.

First as fast as the senders can go, each request one new Alertmanager alert (the costliest
case: a new incident, its first entries and its alert row), for the sustained rate of
accepted alerts; then paced at half that rate, for each request's latency. Prints the
samples as JSON on its last line."""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

SENDERS = 4


def alert_body(number: int, severity: str = "warning") -> bytes:
    starts = (datetime.now(UTC) - timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
    instance = f"checkout-{number:06d}"
    return json.dumps(
        {
            "receiver": "incidentdesk",
            "status": "firing",
            "alerts": [
                {
                    "status": "firing",
                    "labels": {
                        "alertname": "HighLatency",
                        "instance": instance,
                        "severity": severity,
                    },
                    "annotations": {"summary": f"p99 latency over 2 s on {instance}"},
                    "startsAt": starts,
                    "endsAt": "0001-01-01T00:00:00Z",
                    "generatorURL": "http://prometheus.example.org:9090/graph",
                    "fingerprint": f"bench{number:011x}",
                }
            ],
            "groupLabels": {"instance": instance},
            "commonLabels": {},
            "commonAnnotations": {},
            "externalURL": "http://alertmanager.example.org:9093",
            "version": "4",
            "groupKey": f'{{}}:{{instance="{instance}"}}',
            "truncatedAlerts": 0,
        }
    ).encode()


def _report_problems(log: Any) -> None:
    """Drain the receiver's log, passing on what is not a request accepted."""
    for line in log:
        if " INFO " not in line:
            sys.stderr.write(line)


def start_receiver(address: str) -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "incidentdesk", "--db", address, "intake", "serve"),
            *("--listen", "127.0.0.1:0", "--rate", "100000"),
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stderr is not None
    for line in process.stderr:
        if "listening on http://127.0.0.1:" in line:
            port = int(line.split("127.0.0.1:")[1].split()[0])
            threading.Thread(target=_report_problems, args=(process.stderr,), daemon=True).start()
            return process, port
    raise SystemExit(f"the receiver did not start (exit status {process.wait()})")


def send_for(
    port: int,
    seconds: float,
    next_number: Callable[[], int],
    interval_s: float | None,
    offset_s: float = 0.0,
) -> tuple[int, int, list[float]]:
    """One sender: requests until ``seconds`` are over, every ``interval_s`` if paced
    (starting ``offset_s`` late, so that paced senders do not all send at the same instant).
    The alerts accepted, the requests refused, and each request's latency in ms."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    accepted = refused = 0
    latencies: list[float] = []
    end = time.perf_counter() + seconds
    due = time.perf_counter() + offset_s
    while time.perf_counter() < end:
        if interval_s is not None:
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            due += interval_s
        body = alert_body(next_number())
        started = time.perf_counter()
        connection.request("POST", "/alertmanager", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        latencies.append((time.perf_counter() - started) * 1000)
        if response.status == 200:
            accepted += 1
        else:
            refused += 1
    connection.close()
    return accepted, refused, latencies


def run_senders(
    port: int, seconds: float, senders: int, counter: Callable[[], int], interval: float | None
) -> tuple[int, int, list[float], float]:
    results: queue.Queue[tuple[int, int, list[float]]] = queue.Queue()

    def sender(index: int) -> None:
        offset = (interval or 0.0) * index / senders
        results.put(send_for(port, seconds, counter, interval, offset))

    threads = [threading.Thread(target=sender, args=(index,)) for index in range(senders)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    accepted = refused = 0
    latencies: list[float] = []
    while not results.empty():
        ok, bad, times = results.get()
        accepted, refused = accepted + ok, refused + bad
        latencies += times
    return accepted, refused, latencies, elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("address")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--senders", type=int, default=SENDERS)
    args = parser.parse_args()
    # Senders are threads here: a reply waiting for the interpreter's default 5 ms switch
    # interval would count as the receiver's latency.
    sys.setswitchinterval(0.0005)
    process, port = start_receiver(args.address)
    lock = threading.Lock()
    numbers = iter(range(10**9))

    def counter() -> int:
        with lock:
            return next(numbers)

    try:
        accepted, refused, _, elapsed = run_senders(port, args.seconds, args.senders, counter, None)
        rate = accepted / elapsed
        paced_interval = args.senders / (rate / 2)
        paced = run_senders(port, args.seconds, args.senders, counter, paced_interval)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    receiver_cpu_s = resource.getrusage(resource.RUSAGE_CHILDREN)
    paced_accepted, paced_refused, latencies, paced_elapsed = paced
    latencies.sort()
    print(
        json.dumps(
            {
                "alerts_per_s": rate,
                "accepted": accepted,
                "refused": refused + paced_refused,
                "senders": args.senders,
                "paced_rate": paced_accepted / paced_elapsed,
                "p50_ms": latencies[len(latencies) // 2],
                "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
                "paced_requests": len(latencies),
                "receiver_cpu_s": receiver_cpu_s.ru_utime + receiver_cpu_s.ru_stime,
                "measured_s": elapsed + paced_elapsed,
            }
        )
    )


if __name__ == "__main__":
    main()
