"""``python -m bench``: build or reuse the benchmark database, measure, print the table and
write the results."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bench.benchmarks import BENCHMARKS, REPOSITORY, BenchError, Context
from bench.database import BENCH_FOLDER, ensure_database
from bench.results import Entry, format_table, write_results

FULL_INCIDENTS = 100_000
QUICK_INCIDENTS = 5_000
BUSY_SHARE = 0.1  # of all cores, used by other programs while the benchmark idles


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=(
            "Measure Incident Desk against the targets in DESIGN.md on a cached database of "
            f"{FULL_INCIDENTS:,} demo incidents; print a table and write bench-results.json."
        ),
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=(
            f"{QUICK_INCIDENTS:,} incidents and fewer repetitions, for trying changes; the "
            "results go to .bench/bench-results-quick.json instead"
        ),
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=[benchmark.name for benchmark in BENCHMARKS],
        metavar="NAME",
        help=(
            "run only this benchmark (repeatable): "
            f"{', '.join(benchmark.name for benchmark in BENCHMARKS)}; the other results in "
            "the file are kept"
        ),
    )
    return parser


def warn_if_busy(seconds: float = 1.0) -> None:
    """Say so when other programs keep the processors busy: the timings would suffer."""

    def idle_and_total_ticks() -> tuple[int, int]:
        ticks = [int(field) for field in Path("/proc/stat").read_text().split()[1:8]]
        return ticks[3] + ticks[4], sum(ticks)  # idle and waiting for I/O; everything

    idle_before, total_before = idle_and_total_ticks()
    time.sleep(seconds)
    idle_after, total_after = idle_and_total_ticks()
    busy = 1 - (idle_after - idle_before) / max(1, total_after - total_before)
    if busy > BUSY_SHARE:
        print(
            f"Note: other programs kept the {os.cpu_count()} cores {busy:.0%} busy; the timings "
            "will be slower and noisier than usual."
        )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        database = ensure_database(QUICK_INCIDENTS if args.quick else FULL_INCIDENTS)
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    warn_if_busy()
    context = Context(database, quick=args.quick)
    entries: list[Entry] = []
    failed: list[str] = []
    for benchmark in BENCHMARKS:
        if args.only and benchmark.name not in args.only:
            continue
        print(f"Measuring {benchmark.name}…", end=" ", flush=True)
        started = time.perf_counter()
        try:
            entries += benchmark.measure(context)
        except BenchError as error:  # the others are still measured and reported
            print(f"\nbench: {error}", file=sys.stderr)
            failed.append(benchmark.name)
            continue
        print(f"{time.perf_counter() - started:.0f} s")
    print()
    print(format_table(entries))
    met = sum(entry.passed is True for entry in entries)
    with_targets = sum(entry.passed is not None for entry in entries)
    print(f"\n{met} of {with_targets} targets met.")
    results = (
        BENCH_FOLDER / "bench-results-quick.json"
        if args.quick
        else REPOSITORY / "bench-results.json"
    )
    write_results(results, entries, keep_others=bool(args.only))
    print(f"Wrote {results}.")
    if failed:
        print(f"bench: could not measure {', '.join(failed)} (see above).", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
