"""The receiver's answers: the head and the body of each go out in one write."""

from __future__ import annotations

import json

from incidentdesk.intake.server import IntakeHandler


class RecordedWrites:
    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.writes.append(bytes(data))
        return len(data)


def handler_for(request_version: str) -> tuple[IntakeHandler, RecordedWrites]:
    handler = IntakeHandler.__new__(IntakeHandler)  # no connection: only its answer is used
    sent = RecordedWrites()
    handler.wfile = sent  # type: ignore[assignment]
    handler.request_version = request_version
    handler.requestline = f"POST /alertmanager {request_version}"
    handler.close_connection = False
    return handler, sent


def test_an_answer_is_one_write_of_its_head_and_body() -> None:
    handler, sent = handler_for("HTTP/1.1")
    handler._answer(200, {"format": "alertmanager", "incidents": ["INC-1"]}, Retry_After="5")
    assert len(sent.writes) == 1
    head, _, body = sent.writes[0].partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "HTTP/1.1 200 OK"
    assert "Content-Type: application/json" in lines
    assert f"Content-Length: {len(body)}" in lines
    assert "Retry-After: 5" in lines
    assert json.loads(body) == {"format": "alertmanager", "incidents": ["INC-1"]}


def test_an_answer_to_an_http_0_9_request_is_its_body_alone() -> None:
    handler, sent = handler_for("HTTP/0.9")
    handler._answer(200, {"status": "ok"})
    assert [json.loads(write) for write in sent.writes] == [{"status": "ok"}]
