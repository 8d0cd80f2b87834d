"""The benchmark database: built once with the demo generator, reused while it is current.

A marker file next to the database records what built it. The database is rebuilt when it is
missing, when the program's schema version changed, or when the demo generator's code changed
(its fingerprint is a hash of ``services/demo.py``).

Benchmarks that write (saving incidents, a long timeline) work on a scratch copy that is
deleted afterwards, so the cached database stays exactly as the generator built it.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from incidentdesk.domain.enums import EntryKind, Role, Severity
from incidentdesk.domain.incident import IncidentDraft
from incidentdesk.services import demo
from incidentdesk.services.desk import open_desk
from incidentdesk.storage import migrations
from incidentdesk.storage import models as m
from incidentdesk.storage.bulk import bulk_insert
from incidentdesk.storage.database import open_store
from incidentdesk.storage.locations import parse_location

BENCH_FOLDER = Path(__file__).resolve().parent.parent / ".bench"
DEMO_SEED = 42


def database_path(incidents: int) -> Path:
    return BENCH_FOLDER / f"bench-{incidents // 1000}k.db"


def sqlite_address(path: Path) -> str:
    return f"sqlite:///{path}"


def demo_generator_fingerprint() -> str:
    return hashlib.sha256(Path(demo.__file__).read_bytes()).hexdigest()[:16]


def ensure_database(incidents: int) -> Path:
    """The path of a current benchmark database of ``incidents`` incidents, built if needed."""
    path = database_path(incidents)
    marker_path = path.with_suffix(".json")
    wanted = {
        "incidents": incidents,
        "seed": DEMO_SEED,
        "schema_version": migrations.LATEST_VERSION,
        "demo_generator": demo_generator_fingerprint(),
    }
    found = _read_marker(marker_path)
    if path.exists() and {key: found.get(key) for key in wanted} == wanted:
        print(f"Using the cached database {path} (built {found.get('built_at', '?')}).")
        return path
    reason = "it does not exist" if not path.exists() else _describe_difference(found, wanted)
    print(f"Building {path} with {incidents:,} demo incidents ({reason}).", flush=True)
    started = time.perf_counter()
    _build(path, incidents)
    seconds = time.perf_counter() - started
    marker = {**wanted, "built_at": time.strftime("%Y-%m-%d %H:%M:%S"), "build_s": round(seconds)}
    marker_path.write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    print(f"Built {path} in {seconds:.0f} s.")
    return path


def _read_marker(path: Path) -> dict[str, Any]:
    try:
        marker = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return marker if isinstance(marker, dict) else {}


def _describe_difference(found: dict[str, Any], wanted: dict[str, Any]) -> str:
    changed = [key for key in wanted if found.get(key) != wanted[key]]
    return "no marker file" if not found else f"changed: {', '.join(changed)}"


def _build(path: Path, incidents: int) -> None:
    """Generate into a temporary file and move it into place, so that an interrupted build
    never leaves a database that looks complete."""
    BENCH_FOLDER.mkdir(exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    for stale in (path, partial):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{stale}{suffix}").unlink(missing_ok=True)
    store = open_store(parse_location(sqlite_address(partial)))
    try:
        with store.bound():
            demo.generate(store, incidents, seed=DEMO_SEED, progress=_ProgressLine())
    finally:
        store.close()  # the last connection checkpoints the WAL into the file and removes it
    os.replace(partial, path)


class _ProgressLine:
    """One line updated in place on a terminal; a line per tenth elsewhere (CI logs)."""

    def __init__(self) -> None:
        self._started = time.perf_counter()
        self._interactive = sys.stdout.isatty()
        self._last_tenth = -1

    def __call__(self, done: int, total: int) -> None:
        elapsed = time.perf_counter() - self._started
        text = f"  {done:,}/{total:,} incidents, {elapsed:.0f} s"
        if self._interactive:
            print(f"\r{text}", end="\n" if done >= total else "", flush=True)
        elif done * 10 // total != self._last_tenth:
            self._last_tenth = done * 10 // total
            print(text, flush=True)


# Scratch copies for the benchmarks that write


@contextmanager
def scratch_copy(database: Path, purpose: str) -> Iterator[Path]:
    """A copy of the (closed, checkpointed) benchmark database, deleted afterwards.

    The copy is flushed to disk first, as a database file that has been in use for a while
    is: otherwise the first checkpoint's fsync writes out the whole fresh copy (about 180 ms
    more for the first save of a 10 MB file)."""
    copy = BENCH_FOLDER / f"scratch-{purpose}.db"
    _remove_database_files(copy)
    shutil.copyfile(database, copy)
    descriptor = os.open(copy, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    try:
        yield copy
    finally:
        _remove_database_files(copy)


def _remove_database_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


# (kind, body): one to four lines, as responders write them
_LOG_LINES = (
    (EntryKind.NOTE, "Checked the dashboards: the error rate is still around 4 %."),
    (
        EntryKind.FINDING,
        "Connection pool on db-prod-03 exhausted.\nmax_connections was reached at the peak.",
    ),
    (
        EntryKind.ACTION_TAKEN,
        "Restarted the payment workers.\nQueue depth is falling.\nNext check in 10 minutes.",
    ),
    (EntryKind.COMMUNICATION, "Status page: we are investigating errors at checkout."),
    (
        EntryKind.ESCALATION,
        "Escalated to the Database team: the replica lag keeps growing.\nPaged the on-call DBA.",
    ),
    (
        EntryKind.NOTE,
        "Timeline so far:\n- 14:02 first alert\n- 14:05 acknowledged\n- 14:20 failover started",
    ),
)

_COMMUNICATION_DETAILS = json.dumps({"audience": "external", "channel": "status_page"})


def add_incident_with_long_timeline(database: Path, entries: int, seed: int = DEMO_SEED) -> int:
    """Log an open incident with ``entries`` timeline entries after its first one, by several
    people, a minute apart; its id."""
    desk = open_desk(sqlite_address(database), login="bench")
    try:
        now = datetime.now(UTC)
        incident = desk.incidents.create(
            IncidentDraft(
                title="Checkout failing for a week: the long war-room log",
                reported_at=now - timedelta(minutes=entries + 60),
                severity=Severity.SEV2,
            ),
            desk.actor_id,
        )
        people = [person.id for person in desk.catalog.people()]
        pick = random.Random(seed)
        start = incident.draft.reported_at
        rows = []
        for number in range(entries):
            kind, body = pick.choice(_LOG_LINES)
            details = _COMMUNICATION_DETAILS if kind is EntryKind.COMMUNICATION else "{}"
            moment = start + timedelta(minutes=number + 1)
            rows.append(
                {
                    "incident": incident.id,
                    "kind": kind.value,
                    "body": body,
                    "details": details,
                    "author": pick.choice(people),
                    "occurred_at": moment,
                    "recorded_at": moment,
                    "pinned": number % 250 == 0,
                    "amends": None,
                }
            )
        with desk.store.write():
            bulk_insert(m.TimelineEntry, rows)
        return incident.id
    finally:
        desk.close()


def make_window_person_a_lead(database: Path) -> None:
    """The measured window's person (this computer's login) as a lead, who may re-rank the
    board: in the demo data they would arrive as staff, who may not."""
    desk = open_desk(sqlite_address(database))
    try:
        with desk.store.write():
            m.User.update(role=Role.LEAD.value).where(m.User.id == desk.actor_id).execute()
    finally:
        desk.close()
