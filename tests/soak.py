"""A soak of one database by several processes at once, each running a mix of the operations a
team makes during an incident: logging, editing (retried on conflict), timeline appends,
lifecycle steps and re-ranks. Used by ``tests/integration/test_soak.py`` (bounded in count and
time) and by ``make bench`` (``soak_ops_per_s``).

Each worker reports, through a queue, its server process (PostgreSQL), when it is half way,
and at the end what was acknowledged to it: the incidents it logged and the entries it added,
by their unique texts, and the operations that failed. ``check_invariants`` then reads the
database and says what does not hold."""

from __future__ import annotations

import multiprocessing
import queue
import random
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import peewee as pw

from incidentdesk.domain.enums import EntryKind, Role
from incidentdesk.domain.lifecycle import Step
from incidentdesk.domain.timeline import NewEntry
from incidentdesk.domain.validation import ValidationFailed
from incidentdesk.services.desk import Desk, open_desk
from incidentdesk.services.errors import EditConflict, NotAllowed
from incidentdesk.services.incidents import IncidentQuery
from incidentdesk.services.lifecycle import StepRequest
from incidentdesk.storage import models as m
from incidentdesk.storage.database import DatabaseUnavailable, is_connection_failure
from tests.factories import make_draft

OPERATIONS = ("create", "edit", "append", "step", "rerank")
WEIGHTS = (3, 3, 4, 2, 2)
CONFLICT_RETRIES = 20
CONNECTION_RETRIES = 5
STEPS = (Step.TRIAGE, Step.ACKNOWLEDGE, Step.RECOVER)
WAIT_S = 120


@dataclass
class Acknowledged:
    worker: int
    created: list[str] = field(default_factory=list)  # titles, each unique
    appended: list[str] = field(default_factory=list)  # entry bodies, each unique
    operations: int = 0
    conflicts_retried: int = 0
    reconnections: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SoakResult:
    workers: list[Acknowledged]
    seconds: float

    @property
    def operations(self) -> int:
        return sum(worker.operations for worker in self.workers)

    @property
    def errors(self) -> list[str]:
        return [error for worker in self.workers for error in worker.errors]


def _connection_retried(work: Any, done: Acknowledged) -> Any:
    """``work()``, sent again while the server is away or the connection was lost (every
    operation here is safe to send again: with a write id, or checked before it writes)."""
    for attempt in range(CONNECTION_RETRIES):
        try:
            return work()
        except DatabaseUnavailable as error:
            if not is_connection_failure(error) or attempt == CONNECTION_RETRIES - 1:
                raise
            done.reconnections += 1
    raise AssertionError("unreachable")


def _open_incident_ids(desk: Desk) -> list[int]:
    return [row.id for row in desk.incidents.rows(IncidentQuery(), 0, 40)]


def _create(desk: Desk, worker: int, number: int, done: Acknowledged) -> None:
    title = f"Soak {worker}-{number}: checkout returns 502"
    write_id = f"soak-{worker}-{number}"
    _connection_retried(
        lambda: desk.incidents.create(make_draft(title=title), desk.actor_id, write_id=write_id),
        done,
    )
    done.created.append(title)


def _edit(desk: Desk, incident_id: int, worker: int, number: int, done: Acknowledged) -> None:
    for _ in range(CONFLICT_RETRIES):
        incident = _connection_retried(lambda: desk.incidents.get(incident_id), done)
        edited = replace(incident.draft, description=f"Edited by {worker} ({number}).")
        try:
            _connection_retried(
                lambda incident=incident, edited=edited: desk.incidents.update(
                    incident_id,
                    edited,
                    incident.version,
                    desk.actor_id,
                    base=incident.draft,
                    write_id=f"edit-{worker}-{number}-{incident.version}",
                ),
                done,
            )
            return
        except EditConflict:
            done.conflicts_retried += 1
    done.errors.append(f"edit of {incident_id} kept conflicting")


def _append(desk: Desk, incident_id: int, worker: int, number: int, done: Acknowledged) -> None:
    body = f"Soak note {worker}-{number}"
    entry = NewEntry(EntryKind.NOTE, body, datetime.now(UTC))
    write_id = f"note-{worker}-{number}"
    _connection_retried(
        lambda: desk.timeline.append(incident_id, entry, desk.actor_id, write_id=write_id), done
    )
    done.appended.append(body)


def _step(desk: Desk, incident_id: int, rng: random.Random, done: Acknowledged) -> None:
    request = StepRequest(rng.choice(STEPS), note="Restarted the payments pool")
    try:
        _connection_retried(lambda: desk.lifecycle.take(incident_id, request, desk.actor_id), done)
    except (NotAllowed, ValidationFailed):
        pass  # not a step this incident can take now: as a person would be told
    except EditConflict:
        done.conflicts_retried += 1


def _rerank(desk: Desk, incident_id: int, done: Acknowledged) -> None:
    for _ in range(CONFLICT_RETRIES):
        incident = _connection_retried(lambda: desk.incidents.get(incident_id), done)
        try:
            _connection_retried(
                lambda version=incident.version: desk.board.rerank(
                    incident_id, None, None, version, desk.actor_id
                ),
                done,
            )
            return
        except EditConflict:
            done.conflicts_retried += 1
        except NotAllowed:
            return
    done.errors.append(f"re-rank of {incident_id} kept conflicting")


def _operate(desk: Desk, rng: random.Random, worker: int, number: int, done: Acknowledged) -> None:
    (operation,) = rng.choices(OPERATIONS, WEIGHTS)
    ids = (
        [] if operation == "create" else _connection_retried(lambda: _open_incident_ids(desk), done)
    )
    if operation == "create" or not ids:
        _create(desk, worker, number, done)
        return
    incident_id = rng.choice(ids)
    if operation == "edit":
        _edit(desk, incident_id, worker, number, done)
    elif operation == "append":
        _append(desk, incident_id, worker, number, done)
    elif operation == "step":
        _step(desk, incident_id, rng, done)
    else:
        _rerank(desk, incident_id, done)


def work(address: str, worker: int, operations: int, reports: Any) -> None:
    """One worker process: ``operations`` mixed operations, reported on ``reports``."""
    desk = open_desk(address, login=f"soak-{worker}")
    done = Acknowledged(worker)
    try:
        with desk.store.write():  # re-ranking is for leads
            m.User.update(role=Role.LEAD.value).where(m.User.id == desk.actor_id).execute()
        if not desk.store.is_sqlite:
            (pid,) = desk.store.database.execute_sql("SELECT pg_backend_pid()").fetchone()
            reports.put(("pid", worker, int(pid)))
        rng = random.Random(worker)
        for number in range(operations):
            if number == operations // 2:
                reports.put(("half", worker, None))
            try:
                _operate(desk, rng, worker, number, done)
            except Exception as error:  # counted and reported: the soak says what failed
                done.errors.append(f"{type(error).__name__}: {error}")
            done.operations += 1
    finally:
        desk.close()
        reports.put(("done", worker, done))


def soak(
    address: str,
    workers: int,
    operations: int,
    *,
    terminate_backend: Any = None,
) -> SoakResult:
    """Run ``workers`` processes of ``operations`` each on ``address``. On PostgreSQL,
    ``terminate_backend(pid)`` is called for worker 0's server process once it is half way."""
    context = multiprocessing.get_context("spawn")
    reports: Any = context.Queue()
    processes = [
        context.Process(target=work, args=(address, worker, operations, reports), daemon=True)
        for worker in range(workers)
    ]
    started = time.perf_counter()
    for process in processes:
        process.start()
    pids: dict[int, int] = {}
    finished: list[Acknowledged] = []
    try:
        while len(finished) < workers:
            kind, worker, value = reports.get(timeout=WAIT_S)
            if kind == "pid":
                pids[worker] = value
            elif kind == "half" and worker == 0 and terminate_backend is not None:
                terminate_backend(pids[0])
            elif kind == "done":
                finished.append(value)
    except queue.Empty:
        raise AssertionError(f"only {len(finished)} of {workers} workers finished") from None
    finally:
        for process in processes:
            process.join(timeout=WAIT_S)
    return SoakResult(sorted(finished, key=lambda done: done.worker), time.perf_counter() - started)


def check_invariants(desk: Desk, result: SoakResult) -> list[str]:
    """What does not hold after the soak, in words (an empty list when all is well)."""
    problems: list[str] = []
    with desk.store.bound():
        duplicated_keys = (
            m.Incident.select(m.Incident.number)
            .group_by(m.Incident.number)
            .having(pw.fn.COUNT(m.Incident.id) > 1)
            .count()
        )
        if duplicated_keys:
            problems.append(f"{duplicated_keys} incident keys are used twice")
        titles = _counts(m.Incident.select(m.Incident.title).tuples())
        bodies = _counts(
            m.TimelineEntry.select(m.TimelineEntry.body)
            .where(m.TimelineEntry.kind == EntryKind.NOTE.value)
            .tuples()
        )
        logged = _counts(
            m.TimelineEntry.select(m.TimelineEntry.incident)
            .where(m.TimelineEntry.body == "Incident logged")
            .tuples()
        )
        incidents: list[tuple[int, int]] = list(
            m.Incident.select(m.Incident.id, m.Incident.version).tuples()
        )
    for worker in result.workers:
        problems += [
            f"“{t}” is stored {titles.get(t, 0)} times"
            for t in worker.created
            if titles.get(t) != 1
        ]
        problems += [
            f"“{b}” is stored {bodies.get(b, 0)} times"
            for b in worker.appended
            if bodies.get(b) != 1
        ]
    problems += [
        f"incident {incident_id} has {logged.get(incident_id, 0)} “logged” entries"
        for incident_id, _ in incidents
        if logged.get(incident_id) != 1
    ]
    problems += [
        f"incident {incident_id} is at version {version}"
        for incident_id, version in incidents
        if version < 1
    ]
    return problems


def _counts(rows: Any) -> dict[Any, int]:
    counted: dict[Any, int] = {}
    for (value,) in rows:
        counted[value] = counted.get(value, 0) + 1
    return counted
