"""Several clients logging incidents at once get unique keys, with no gaps and no errors."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from incidentdesk.services.desk import open_desk
from incidentdesk.services.incidents import IncidentQuery

WORKERS = 4
INCIDENTS_EACH = 100

# Each worker opens the database, says it is ready, waits for the word to go (so that all
# four write at the same time rather than one after the other), then logs its incidents and
# prints their keys.
WORKER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime

    from incidentdesk.domain.enums import Severity
    from incidentdesk.domain.incident import IncidentDraft
    from incidentdesk.services.desk import open_desk

    address, worker, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    desk = open_desk(address, login=f"worker-{worker}")
    print("ready", flush=True)
    sys.stdin.readline()
    keys = []
    for index in range(count):
        draft = IncidentDraft(
            title=f"Worker {worker}, incident {index}",
            reported_at=datetime.now(UTC),
            severity=Severity.SEV3,
        )
        keys.append(desk.incidents.create(draft, desk.actor_id).key)
    desk.close()
    print("\\n".join(keys), flush=True)
    """
)


@pytest.mark.slow
def test_four_processes_get_400_distinct_keys(database_address: str) -> None:
    # The database exists before the workers start, as it does when a team shares one.
    open_desk(database_address, login="setup").close()

    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, database_address, str(worker), str(INCIDENTS_EACH)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for worker in range(WORKERS)
    ]
    try:
        for process in workers:
            assert process.stdout is not None
            assert process.stdout.readline() == "ready\n", process.stderr
        for process in workers:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        results = [process.communicate(timeout=60) for process in workers]
    finally:
        for process in workers:
            if process.poll() is None:
                process.kill()
                process.wait()

    keys_by_worker = []
    for process, (out, err) in zip(workers, results, strict=True):
        assert process.returncode == 0, err
        assert err == ""
        keys_by_worker.append(out.split())
    numbers = [int(key.removeprefix("INC-")) for keys in keys_by_worker for key in keys]
    assert len(numbers) == WORKERS * INCIDENTS_EACH
    assert sorted(numbers) == list(range(1, WORKERS * INCIDENTS_EACH + 1))
    for keys in keys_by_worker:
        mine = [int(key.removeprefix("INC-")) for key in keys]
        assert mine == sorted(mine)  # each client's keys grow

    desk = open_desk(database_address, login="setup")
    try:
        assert desk.incidents.count(IncidentQuery()) == WORKERS * INCIDENTS_EACH
        draft = desk.incidents.get_by_number(1).draft
        assert desk.incidents.create(draft, desk.actor_id).key == "INC-401"
    finally:
        desk.close()
