"""``intake_to_board_ms`` samples: from a POST to the alert receiver until a running client's
board shows the incident it logged.

The receiver runs as its own process on the database (``incidentdesk intake serve``, as a
team runs it beside its monitoring), a main window shows the board (``bench.gui``). Each
sample posts one new Alertmanager alert, ``severity=critical`` (SEV1, high urgency: ranked
first in its column, so among the cards the board loads), from a thread of its own, so that
the event loop goes on meanwhile. The time runs from just before the request is sent until the
board has loaded a card with the alert's title. The posts start at random moments, so that on
SQLite the samples spread over the one-second poll for other clients' changes."""

from __future__ import annotations

import http.client
import random
import signal
import threading
import time

from bench.gui import BenchWindow, arguments, main_window, report, run_event_loop_for
from bench.measure_intake import alert_body, start_receiver

FIRST_NUMBER = 500_000  # far from the numbers the throughput run uses


def on_board(bench: BenchWindow, title: str) -> bool:
    return any(
        card.title == title
        for column in bench.window.board.grid.visible_columns()
        for card in column.model.shown_cards()
    )


def post(port: int, body: bytes, answers: list[int]) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("POST", "/alertmanager", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        answers.append(response.status)
    finally:
        connection.close()


def measure(bench: BenchWindow, port: int, repeats: int) -> list[float]:
    pause, samples = random.Random(17), []
    for number in range(FIRST_NUMBER, FIRST_NUMBER + repeats):
        run_event_loop_for(pause.uniform(200, 1200))
        title = f"p99 latency over 2 s on checkout-{number:06d}"
        answers: list[int] = []
        sender = threading.Thread(
            target=post, args=(port, alert_body(number, severity="critical"), answers)
        )
        started = time.perf_counter()
        sender.start()
        while not on_board(bench, title):
            bench.wait_for_signal(bench.window.board.loaded, "the alert's incident on the board")
        samples.append((time.perf_counter() - started) * 1000)
        sender.join()
        if answers != [200]:
            raise SystemExit(f"the receiver answered {answers} to alert {number}")
    return samples


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    process, port = start_receiver(args.address)
    try:
        with main_window(args.address) as bench:
            bench.window.board._timer.stop()  # the safety net must not be what shows it
            samples = measure(bench, port, args.repeats)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    report({"intake_to_board_ms": samples})


if __name__ == "__main__":
    main()
