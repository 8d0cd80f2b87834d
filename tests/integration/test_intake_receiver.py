"""The receiver as a real process on a loopback port: hostile requests each get their status
code with nothing written and the server still answering; a retried or concurrent request
makes one incident; SIGTERM loses no accepted request."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import queue
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from incidentdesk.intake.tokens import write_token_file
from incidentdesk.services.desk import open_desk
from incidentdesk.storage import models as m
from tests import intake_payloads as p

TOKEN = "test-token-0123456789abcdef"
START_DEADLINE_S = 30.0


@dataclass
class ReceiverProcess:
    process: subprocess.Popen[str]
    port: int
    lines: list[str] = field(default_factory=list)
    log_reader: threading.Thread | None = None

    def wait(self) -> int:
        """The exit status, once the process has ended and its log is read to the end."""
        status = self.process.wait(timeout=30)
        if self.log_reader is not None:
            self.log_reader.join(timeout=30)
        assert self.process.stderr is not None
        self.process.stderr.close()
        return status

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        *,
        token: str | None = TOKEN,
    ) -> tuple[int, dict[str, Any]]:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        connection = self.connection()
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            return response.status, json.loads(response.read() or b"{}")
        finally:
            connection.close()

    def post(self, payload: dict[str, Any], **headers: str) -> tuple[int, dict[str, Any]]:
        return self.request("POST", "/", p.encoded(payload), headers)


def start_receiver(address: str, tmp_path: Path, *extra: str) -> ReceiverProcess:
    token_file = tmp_path / "token"
    write_token_file(token_file, TOKEN)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "incidentdesk",
            "--db",
            address,
            "intake",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--token-file",
            str(token_file),
            "--require-token",
            *extra,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: queue.Queue[str] = queue.Queue()
    receiver = ReceiverProcess(process, 0)

    def read_log() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            receiver.lines.append(line)
            lines.put(line)

    receiver.log_reader = threading.Thread(target=read_log, daemon=True)
    receiver.log_reader.start()
    deadline = time.monotonic() + START_DEADLINE_S
    while receiver.port == 0:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            process.kill()
            pytest.fail(f"the receiver did not start: {''.join(receiver.lines)}")
        if "listening on http://127.0.0.1:" in line:
            receiver.port = int(line.split("127.0.0.1:")[1].split()[0])
    return receiver


def stop_receiver(receiver: ReceiverProcess) -> int:
    receiver.process.send_signal(signal.SIGTERM)
    return receiver.wait()


@pytest.fixture(scope="module")
def receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReceiverProcess]:
    folder = tmp_path_factory.mktemp("receiver")
    started = start_receiver(f"sqlite:///{folder / 'incidents.db'}", folder, "--rate", "1000")
    yield started
    assert stop_receiver(started) == 0


def counts(receiver: ReceiverProcess) -> tuple[int, int]:
    """Incidents and processed requests, read straight from the receiver's SQLite file."""
    status, health = receiver.request("GET", "/healthz")
    assert status == 200
    with sqlite3.connect(health["database"]) as connection:
        incidents = connection.execute("SELECT COUNT(*) FROM incident").fetchone()[0]
        requests = connection.execute("SELECT COUNT(*) FROM intake_request").fetchone()[0]
    return int(incidents), int(requests)


def raw_exchange(receiver: ReceiverProcess, head: bytes, body: bytes = b"") -> int:
    """Send bytes as they are; the status of the answer (0 if the connection just closed)."""
    with socket.create_connection(("127.0.0.1", receiver.port), timeout=30) as connection:
        connection.sendall(head)
        # The receiver may refuse the body and close; its answer is already here then.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            connection.sendall(body)
        answer = b""
        try:
            while b"\r\n" not in answer:
                chunk = connection.recv(4096)
                if not chunk:
                    break
                answer += chunk
        except ConnectionResetError:
            pass
    return int(answer.split()[1]) if answer else 0


def head(length: int, path: str = "/", token: str = TOKEN) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


def test_healthz_reports_the_database(receiver: ReceiverProcess) -> None:
    status, health = receiver.request("GET", "/healthz")
    assert status == 200
    assert health["status"] == "ok"
    assert health["engine"] == "sqlite"
    assert health["schema"] >= 6


@pytest.mark.parametrize(
    ("token", "reason"),
    [(None, "missing bearer token"), ("wrong-token-1234", "wrong bearer token")],
)
def test_a_request_without_the_token_is_refused_and_logged_without_it(
    receiver: ReceiverProcess, token: str | None, reason: str
) -> None:
    before = counts(receiver)
    status, answer = receiver.request("POST", "/", p.encoded(p.generic()), token=token)
    assert (status, answer) == (401, {"error": reason})
    assert receiver.request("GET", "/healthz", token=token)[0] == 401
    assert counts(receiver) == before
    assert any(reason in line for line in receiver.lines)
    assert not any("wrong-token-1234" in line for line in receiver.lines)


HOSTILE = {
    "truncated JSON": (b'{"source": "x", "key": "k", "title": "cut sh', 400),
    "JSON bomb": (b"[" * 200_000 + b"]" * 200_000, 400),
    "unknown format": (b'{"hello": "world"}', 400),
    "unknown event action": (
        p.encoded({**p.pagerduty_trigger(), "event_action": "explode"}),
        400,
    ),
    "year 0001": (
        p.encoded(p.alertmanager(alerts=[p.alertmanager_alert(starts_at="0001-01-01T00:00:00Z")])),
        400,
    ),
    "year 9999": (
        p.encoded(p.alertmanager(alerts=[p.alertmanager_alert(starts_at="9999-12-31T23:59:59Z")])),
        400,
    ),
    "control characters in a label": (
        p.encoded(p.alertmanager(alerts=[p.alertmanager_alert(instance="evil\x07\x1b[2J")])),
        400,
    ),
    "wrong type": (p.encoded({**p.generic(), "labels": ["not", "an", "object"]}), 400),
    "not UTF-8": (b"\xff\xfe\x00{", 400),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_bodies_get_their_status_and_write_nothing(
    receiver: ReceiverProcess, case: str
) -> None:
    body, expected = HOSTILE[case]
    before = counts(receiver)
    status, answer = receiver.request("POST", "/", body)
    assert status == expected
    assert answer["error"]
    assert counts(receiver) == before  # and the receiver still answers


def test_a_10_mb_body_is_refused_before_it_is_read(receiver: ReceiverProcess) -> None:
    before = counts(receiver)
    size = 10 * 1024 * 1024
    assert raw_exchange(receiver, head(size), b" " * size) == 413
    assert counts(receiver) == before


@pytest.mark.parametrize(
    ("request_bytes", "expected"),
    [
        (
            b"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN.encode() + b"\r\n\r\n",
            411,
        ),
        (head(10, path="/nowhere") + b"{}", 404),
        (
            b"POST / HTTP/1.1\r\nAuthorization: Bearer "
            + TOKEN.encode()
            + b"\r\nContent-Length: -5\r\n\r\n",
            400,
        ),
        (b"NOT A REQUEST AT ALL\r\n\r\n", 400),
        (b"BREW / HTTP/1.1\r\n\r\n", 501),
    ],
)
def test_malformed_requests_get_their_status(
    receiver: ReceiverProcess, request_bytes: bytes, expected: int
) -> None:
    before = counts(receiver)
    assert raw_exchange(receiver, request_bytes) == expected
    assert counts(receiver) == before


def chunked_head(token: str = TOKEN) -> bytes:
    return (
        f"POST /generic HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    ).encode()


def chunks(body: bytes, size: int) -> bytes:
    parts = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in parts) + b"0\r\n\r\n"


def test_a_chunked_body_is_read(receiver: ReceiverProcess) -> None:
    before_incidents, _ = counts(receiver)
    body = p.encoded(p.generic(key="sent-in-chunks"))
    assert raw_exchange(receiver, chunked_head(), chunks(body, 7)) == 200
    assert counts(receiver)[0] == before_incidents + 1


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (chunks(b" " * 1_100_000, 65_536), 413),
        (b"zz\r\nhello\r\n0\r\n\r\n", 400),
        (b"5\r\nhello world\r\n0\r\n\r\n", 400),
    ],
)
def test_a_chunked_body_over_the_limit_or_malformed_is_refused(
    receiver: ReceiverProcess, body: bytes, expected: int
) -> None:
    before = counts(receiver)
    assert raw_exchange(receiver, chunked_head(), body) == expected
    assert counts(receiver) == before


def test_a_sender_over_its_rate_is_told_to_wait(tmp_path: Path) -> None:
    # One request a second, bursts of four: the fifth of ten sent at once waits.
    limited = start_receiver(f"sqlite:///{tmp_path / 'incidents.db'}", tmp_path, "--rate", "1")
    try:
        statuses = [limited.post(p.generic(key=f"burst-{n}"))[0] for n in range(10)]
        assert statuses[:4] == [200] * 4
        assert 429 in statuses[4:]
        assert limited.request("GET", "/healthz")[0] == 200
    finally:
        assert stop_receiver(limited) == 0


def test_the_same_request_sent_concurrently_makes_one_incident(receiver: ReceiverProcess) -> None:
    before_incidents, _ = counts(receiver)
    payload = p.pagerduty_trigger(dedup_key="concurrent-1")
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: receiver.post(payload), range(8)))
    assert [status for status, _ in answers] == [200] * 8
    assert {tuple(answer["incidents"]) for _, answer in answers} == {
        tuple(answers[0][1]["incidents"])
    }
    assert sum(not answer["repeated"] for _, answer in answers) == 1
    assert counts(receiver)[0] == before_incidents + 1


def test_a_request_retried_after_a_dropped_reply_makes_one_incident(
    receiver: ReceiverProcess,
) -> None:
    before_incidents, before_requests = counts(receiver)
    body = p.encoded(p.generic(key="dropped-reply"))
    with socket.create_connection(("127.0.0.1", receiver.port), timeout=30) as connection:
        connection.sendall(head(len(body)) + body)  # and hangs up without reading the reply
    deadline = time.monotonic() + 30
    while counts(receiver)[1] == before_requests:
        assert time.monotonic() < deadline, "the first delivery was never processed"
    status, answer = receiver.request("POST", "/", body)  # the sender's retry
    assert status == 200
    assert answer["repeated"]
    assert counts(receiver)[0] == before_incidents + 1


@pytest.mark.slow
def test_sigterm_answers_the_request_being_received_before_the_process_ends(
    database_address: str, tmp_path: Path
) -> None:
    receiver = start_receiver(database_address, tmp_path)
    body = p.encoded(p.generic(key="in-flight"))
    try:
        with (
            socket.create_connection(("127.0.0.1", receiver.port), timeout=30) as connection,
            connection.makefile("rb") as reader,
        ):
            # "100 Continue" says the receiver has read the request's head: it is accepted.
            expect = head(len(body)).replace(b"\r\n\r\n", b"\r\nExpect: 100-continue\r\n\r\n")
            connection.sendall(expect)
            assert reader.readline().split()[1] == b"100"
            assert reader.readline() == b"\r\n"
            receiver.process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 30
            while not any("stopping" in line for line in receiver.lines):
                assert time.monotonic() < deadline, "the receiver did not take the signal"
            connection.sendall(body)
            assert reader.readline().split()[1] == b"200"
        assert receiver.wait() == 0
    finally:
        if receiver.process.poll() is None:
            receiver.process.kill()
            receiver.wait()
    desk = open_desk(database_address, login="checker")
    try:
        with desk.store.bound():
            assert (
                m.IntakeAlert.select()
                .where(m.IntakeAlert.fingerprint == "generic:in-flight")
                .exists()
            )
    finally:
        desk.close()


def test_listening_beyond_loopback_without_a_token_refuses_to_start(tmp_path: Path) -> None:
    finished = subprocess.run(
        [
            sys.executable,
            "-m",
            "incidentdesk",
            "--db",
            f"sqlite:///{tmp_path / 'i.db'}",
            "intake",
            "serve",
            "--listen",
            "0.0.0.0:0",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={
            **os.environ,
            "XDG_CONFIG_HOME": str(tmp_path),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        },
        check=False,
    )
    assert finished.returncode == 1
    assert "needs a bearer token" in finished.stderr


def test_nothing_sent_to_the_receiver_made_it_fail(receiver: ReceiverProcess) -> None:
    # Last in the module: every request above has been answered and logged by now.
    assert receiver.request("GET", "/healthz")[0] == 200
    problems = [line for line in receiver.lines if "Traceback" in line or " ERROR " in line]
    assert problems == []
