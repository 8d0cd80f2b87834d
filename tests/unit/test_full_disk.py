"""A full disk: the cause is named, with what to do, and nothing is half-written."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from incidentdesk.services.desk import Desk, open_desk
from incidentdesk.services.incidents import IncidentQuery
from incidentdesk.storage import maintenance
from incidentdesk.storage.database import DatabaseUnavailable
from tests.factories import make_draft

SMALL_DISK = "2m"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB file system of its own (tmpfs), unmounted afterwards."""
    mount_point = tmp_path / f"small-disk-{uuid.uuid4().hex[:8]}"
    mount_point.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        reason = "mounting a small file system needs root"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; CI must test a full disk.")
        pytest.skip(reason)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SMALL_DISK}", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"this machine cannot mount a tmpfs ({mounted.stderr.decode().strip()})")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


def fill_until_full(desk: Desk) -> tuple[int, DatabaseUnavailable]:
    for number in range(10_000):
        try:
            desk.incidents.create(
                make_draft(title=f"Disk fills {number}", description="log line\n" * 800),
                desk.actor_id,
            )
        except DatabaseUnavailable as error:
            return number, error
    raise AssertionError("the small disk never filled up")


def test_a_full_disk_is_named_with_what_to_do_and_nothing_is_half_written(
    small_disk: Path,
) -> None:
    desk = open_desk(f"sqlite:///{small_disk / 'incidents.db'}", login="tester")
    try:
        saved, error = fill_until_full(desk)
        message = str(error)
        assert "is full" in message
        assert "free some space" in message
        assert "nothing was changed" in message
        assert "rollback" not in message
        assert saved > 0

        # What was saved before is all there, and whole; the failed save left nothing.
        assert desk.incidents.count(IncidentQuery()) == saved
        titles = {row.title for row in desk.incidents.rows(IncidentQuery(), limit=saved + 5)}
        assert titles == {f"Disk fills {number}" for number in range(saved)}
        results = {result.name: result for result in maintenance.check(desk.store)}
        assert results["file"].ok, results["file"].message
        assert results["incident keys"].ok, results["incident keys"].message
    finally:
        desk.close()

    # With space freed (the disk's limit raised) it takes new incidents again, keys unbroken.
    subprocess.run(["mount", "-o", "remount,size=8m", str(small_disk)], check=True)
    desk = open_desk(f"sqlite:///{small_disk / 'incidents.db'}", login="tester")
    try:
        incident = desk.incidents.create(make_draft(title="After the clean-up"), desk.actor_id)
        assert incident.key == f"INC-{saved + 1}"
    finally:
        desk.close()
