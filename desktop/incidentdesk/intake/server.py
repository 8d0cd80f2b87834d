"""The HTTP receiver: the standard library's ThreadingHTTPServer, with every limit the
receiver needs kept here.

- loopback unless told otherwise; off loopback, a bearer token on every request (401 without);
- a body limit (1 MB by default; 413 beyond it, refused before it is read) and a read
  timeout, so a slow or endless body cannot hold a thread;
- a rate per sender address (429 with Retry-After beyond it) and a cap on connections at once;
- 400 with the reason for bad JSON, an unknown format or a missing or wrong field, with
  nothing written; nothing a sender sends can end the process;
- every write through the one ``Writer`` thread; a request is answered once it is committed,
  so a stop (SIGTERM) finishes what was accepted before the process ends;
- ``GET /healthz`` says whether the database answers; one log line per request.
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import json
import logging
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from incidentdesk.domain.validation import ValidationFailed
from incidentdesk.errors import ServiceError
from incidentdesk.intake import formats
from incidentdesk.intake.alerts import Format, Notification, PayloadRefused
from incidentdesk.intake.processing import REQUEST_ID_MAX_LENGTH, IntakeResult, body_request_id
from incidentdesk.intake.writer import Writer, WriterStopped
from incidentdesk.storage.database import DatabaseUnavailable, Store
from incidentdesk.storage.migrations import read_version

log = logging.getLogger("incidentdesk.intake")

DEFAULT_PORT = 9095
DEFAULT_MAX_BODY_BYTES = 1_000_000
DEFAULT_RATE_PER_SECOND = 50.0
DEFAULT_BURST = 200
READ_TIMEOUT_S = 10.0
BODY_DEADLINE_S = 30.0  # for the whole body, however slowly it trickles in
WRITE_WAIT_S = 30.0
MAX_CONNECTIONS = 64
PATH_FORMATS: dict[str, Format | None] = {
    "/": None,
    "/alerts": None,
    "/alertmanager": Format.ALERTMANAGER,
    "/grafana": Format.GRAFANA,
    "/pagerduty": Format.PAGERDUTY,
    "/v2/enqueue": Format.PAGERDUTY,  # where PagerDuty's own clients post
    "/generic": Format.GENERIC,
}

Process = Callable[[Notification, str], IntakeResult]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ReceiverSettings:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    token: str | None = None  # asked of every request when set
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    rate_per_second: float = DEFAULT_RATE_PER_SECOND
    burst: int = DEFAULT_BURST


class _BodyRefused(Exception):
    def __init__(self, status: HTTPStatus, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


def _too_large(limit: int) -> _BodyRefused:
    return _BodyRefused(
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"the body is over the limit of {limit:,} bytes"
    )


class RateLimiter:
    """A token bucket per sender address."""

    def __init__(self, rate_per_second: float, burst: int, clock: Callable[[], float]) -> None:
        self._rate, self._burst, self._clock = rate_per_second, float(burst), clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, sender: str) -> bool:
        now = self._clock()
        with self._lock:
            if len(self._buckets) > 10_000:  # forget senders idle long enough to be full again
                full = self._burst / self._rate
                self._buckets = {
                    key: value for key, value in self._buckets.items() if now - value[1] < full
                }
            tokens, last = self._buckets.get(sender, (self._burst, now))
            tokens = min(self._burst, tokens + (now - last) * self._rate)
            if tokens < 1.0:
                self._buckets[sender] = (tokens, now)
                return False
            self._buckets[sender] = (tokens - 1.0, now)
            return True


class Receiver(ThreadingHTTPServer):
    """The server, its settings and the one writer its handlers hand their work to."""

    daemon_threads = False  # server_close() waits for every accepted request to be answered
    block_on_close = True
    # socketserver's default of 5 waiting connections drops a burst of senders' connects
    # (they retry a second later, or are reset).
    request_queue_size = 128

    def __init__(
        self,
        settings: ReceiverSettings,
        store: Store,
        process: Process,
        clock: Callable[[], datetime],
    ) -> None:
        self.settings = settings
        self.store = store
        self.process = process
        self.clock = clock
        self.writer = Writer(store.write)
        self.limiter = RateLimiter(settings.rate_per_second, settings.burst, time.monotonic)
        self._connections = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self._handlers: set[IntakeHandler] = set()
        self._handlers_lock = threading.Lock()
        self.stopping = False
        if ":" in settings.host:
            self.address_family = socket.AF_INET6
        super().__init__((settings.host, settings.port), IntakeHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._connections.acquire(blocking=False):
            with contextlib.suppress(OSError):
                request.sendall(
                    b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                    b"Retry-After: 1\r\nConnection: close\r\n\r\n"
                )
            self.shutdown_request(request)
            log.warning(
                "%s refused: more than %d connections at once", client_address[0], MAX_CONNECTIONS
            )
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._connections.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A fault in a handler ends that request only; it is logged, the server goes on.
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            # The sender hung up or went silent: its own doing, nothing to report as a fault.
            log.info("%s: the connection ended early (%s)", client_address[0], error)
            return
        log.exception("request from %s failed", client_address[0])

    def stop_accepting(self) -> None:
        """Accept no more connections, and end those waiting idle for a next request (a
        sender's keep-alive connection would otherwise hold the stop for the read timeout).
        Requests being read or processed go on; ``serve_forever`` returns."""
        self.stopping = True
        self.shutdown()
        with self._handlers_lock:
            idle = [handler for handler in self._handlers if not handler.busy]
        for handler in idle:
            with contextlib.suppress(OSError):
                handler.connection.shutdown(socket.SHUT_RDWR)

    def finish_accepted(self) -> None:
        """Wait until every accepted request is answered (each after its write is
        committed), then end the writer."""
        self.server_close()
        self.writer.stop()

    def stop(self) -> None:
        self.stop_accepting()
        self.finish_accepted()

    def track(self, handler: IntakeHandler, *, open_: bool) -> None:
        with self._handlers_lock:
            if open_:
                self._handlers.add(handler)
            else:
                self._handlers.discard(handler)


class IntakeHandler(BaseHTTPRequestHandler):
    server: Receiver
    protocol_version = "HTTP/1.1"
    timeout = READ_TIMEOUT_S  # the socket's timeout: a body that does not come is given up
    server_version = "IncidentDesk-Intake"
    # The head and the body of an answer go out in two writes: with Nagle's algorithm the
    # second waits for the sender's delayed ACK of the first, 40 ms a request.
    disable_nagle_algorithm = True
    busy = False  # between reading a request line and sending its answer

    def setup(self) -> None:
        super().setup()
        self.server.track(self, open_=True)

    def finish(self) -> None:
        self.server.track(self, open_=False)
        super().finish()

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        finally:
            self.busy = False
            if self.server.stopping:
                self.close_connection = True

    def parse_request(self) -> bool:
        self.busy = True  # the request line has come: this request is answered, even on a stop
        return super().parse_request()

    def log_message(self, format: str, *args: Any) -> None:
        """The base class's own lines (to stderr) are replaced by ``_log_request``."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The base class's refusals (a request line that is none, an unknown method) are
        answered in JSON, and logged, like the receiver's own."""
        self.close_connection = True
        reason = message or HTTPStatus(code).phrase
        if self.request_version == "HTTP/0.9":
            self.request_version = "HTTP/1.1"  # an answer with its status line, not bare text
        self._refuse(code, reason)

    def _log_request(self, status: int, format_: str, result: str, keys: str = "-") -> None:
        level = logging.WARNING if status >= 400 else logging.INFO
        log.log(
            level,
            "%s %s %s %d format=%s result=%s incidents=%s",
            self.client_address[0],
            self.command or "-",
            getattr(self, "path", "-")[:100],  # a request line that is none sets no path
            status,
            format_,
            result,
            keys,
        )

    def _answer(self, status: int, document: dict[str, Any], **headers: str) -> None:
        body = json.dumps(document, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        if self.close_connection:
            self.send_header("Connection", "close")
        # The head and the body in one write, not end_headers()'s write and then another: one
        # system call and one segment a request (with Nagle off, two writes are two segments).
        # An HTTP/0.9 request has no head: its answer is the body alone.
        head: list[bytes] = getattr(self, "_headers_buffer", [])
        self._headers_buffer: list[bytes] = []
        self.wfile.write(b"".join([*head, b"\r\n", body]) if head else body)

    def _refuse(self, status: int, reason: str, format_: str = "-", **headers: str) -> None:
        self._answer(status, {"error": reason}, **headers)
        self._log_request(status, format_, reason)

    def _authorised(self) -> bool:
        token = self.server.settings.token
        if token is None:
            return True
        given = self.headers.get("Authorization", "")
        scheme, _, credential = given.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            credential.strip().encode(), token.encode()
        ):
            return True
        self.close_connection = True
        # The rejection is logged without what was sent: it may be a real token mistyped.
        reason = "missing bearer token" if not given else "wrong bearer token"
        self._refuse(HTTPStatus.UNAUTHORIZED, reason, WWW_Authenticate='Bearer realm="intake"')
        return False

    def do_GET(self) -> None:
        if not self._authorised():
            return
        if self.path.split("?")[0] != "/healthz":
            self._refuse(HTTPStatus.NOT_FOUND, "not found; alerts are POSTed, health is /healthz")
            return
        store = self.server.store
        try:
            version = read_version(store.database)
        except Exception as error:  # whatever the driver raises, the answer is "unavailable"
            message = error.message if isinstance(error, ServiceError) else str(error)
            self._answer(
                HTTPStatus.SERVICE_UNAVAILABLE,
                {
                    "status": "unavailable",
                    "database": store.location.display_name,
                    "error": message,
                },
            )
            self._log_request(HTTPStatus.SERVICE_UNAVAILABLE, "-", "database unavailable")
            return
        finally:
            # This thread's connection (from a PostgreSQL pool) goes back when it is done.
            store.database.close()
        self._answer(
            HTTPStatus.OK,
            {
                "status": "ok",
                "database": store.location.display_name,
                "engine": "sqlite" if store.is_sqlite else "postgresql",
                "schema": version,
                "waiting_writes": self.server.writer.waiting,
            },
        )
        self._log_request(HTTPStatus.OK, "-", "healthy")

    def do_POST(self) -> None:
        path = self.path.split("?")[0].rstrip("/") or "/"
        if not self._authorised():
            return
        if path not in PATH_FORMATS:
            self._refuse(
                HTTPStatus.NOT_FOUND,
                f"no receiver at {path[:60]}; "
                "POST to / or /alertmanager, /grafana, /pagerduty, /generic",
            )
            return
        if not self.server.limiter.allow(self.client_address[0]):
            self.close_connection = True
            self._refuse(
                HTTPStatus.TOO_MANY_REQUESTS, "too many requests from this address", Retry_After="1"
            )
            return
        body = self._read_body()
        if body is None:
            return
        expected = PATH_FORMATS[path]
        try:
            notification = formats.parse(body, self.server.clock(), expected)
        except PayloadRefused as error:
            self._refuse(HTTPStatus.BAD_REQUEST, error.message, expected or "-")
            return
        request_id = (
            self.headers.get("Idempotency-Key") or self.headers.get("X-Request-Id") or ""
        ).strip()[:REQUEST_ID_MAX_LENGTH] or body_request_id(body)
        self._process(notification, request_id)

    def _read_body(self) -> bytes | None:
        """The request's body, or None once it was refused (too long, too slow, cut short,
        or of no stated length). Nothing beyond the limit is ever read."""
        limit = self.server.settings.max_body_bytes
        deadline = time.monotonic() + BODY_DEADLINE_S
        try:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                return self._read_chunked(limit, deadline)
            length_text = self.headers.get("Content-Length")
            if length_text is None:
                raise _BodyRefused(HTTPStatus.LENGTH_REQUIRED, "Content-Length is missing")
            if not length_text.strip().isdigit():
                raise _BodyRefused(
                    HTTPStatus.BAD_REQUEST, "Content-Length is not a number of bytes"
                )
            length = int(length_text)
            if length > limit:
                raise _too_large(limit)
            return self._read_exactly(length, deadline)
        except _BodyRefused as refused:
            self.close_connection = True  # what was not read would be taken for a request
            self._refuse(refused.status, refused.reason)
            return None

    def _read_exactly(self, length: int, deadline: float) -> bytes:
        parts, remaining = [], length
        while remaining:
            if time.monotonic() > deadline:
                raise _BodyRefused(HTTPStatus.REQUEST_TIMEOUT, "the body came too slowly")
            try:
                part = self.rfile.read1(min(remaining, 65_536))
            except TimeoutError:
                part = b""
            if not part:
                raise _BodyRefused(HTTPStatus.BAD_REQUEST, "the body ended before its length")
            parts.append(part)
            remaining -= len(part)
        return b"".join(parts)

    def _read_chunked(self, limit: int, deadline: float) -> bytes:
        body = b""
        while True:
            size_line = self.rfile.readline(100)
            try:
                size = int(size_line.split(b";")[0].strip(), 16)
            except ValueError:
                raise _BodyRefused(
                    HTTPStatus.BAD_REQUEST, "a chunk's size is not hexadecimal"
                ) from None
            if size < 0:
                raise _BodyRefused(HTTPStatus.BAD_REQUEST, "a chunk's size is negative")
            if len(body) + size > limit:
                raise _too_large(limit)
            if size == 0:
                while self.rfile.readline(8_192) not in (b"\r\n", b"\n", b""):
                    pass  # trailers, which the receiver does not use
                return body
            body += self._read_exactly(size, deadline)
            if self.rfile.readline(3) not in (b"\r\n", b"\n"):
                raise _BodyRefused(HTTPStatus.BAD_REQUEST, "a chunk does not end where it says")

    def _process(self, notification: Notification, request_id: str) -> None:
        format_ = notification.format.value
        try:
            future = self.server.writer.submit(
                lambda: self.server.process(notification, request_id)
            )
            result = future.result(timeout=WRITE_WAIT_S)
        except WriterStopped:
            self.close_connection = True
            self._refuse(
                HTTPStatus.SERVICE_UNAVAILABLE,
                "the receiver is stopping; send again",
                format_,
                Retry_After="5",
            )
            return
        except TimeoutError:
            # Still queued or running: it will be written, and a retry is recognised by its id.
            self._refuse(
                HTTPStatus.SERVICE_UNAVAILABLE,
                "the database is slow; send again",
                format_,
                Retry_After="5",
            )
            return
        except ValidationFailed as error:
            self._refuse(HTTPStatus.BAD_REQUEST, error.message, format_)
            return
        except DatabaseUnavailable as error:
            self._refuse(HTTPStatus.SERVICE_UNAVAILABLE, error.message, format_, Retry_After="30")
            return
        except ServiceError as error:
            self._refuse(HTTPStatus.UNPROCESSABLE_ENTITY, error.message, format_)
            return
        except Exception:
            log.exception("processing a %s request failed", format_)
            self._refuse(
                HTTPStatus.INTERNAL_SERVER_ERROR, "the receiver failed; see its log", format_
            )
            return
        self._answer(HTTPStatus.OK, result.as_json())
        outcomes = ",".join(dict.fromkeys(outcome.result for outcome in result.outcomes))
        if result.repeated:
            outcomes = f"repeat({outcomes})"
        self._log_request(HTTPStatus.OK, format_, outcomes, " ".join(result.incident_keys) or "-")
