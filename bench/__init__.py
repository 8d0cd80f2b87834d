"""Incident Desk benchmarks: ``make bench`` (``python -m bench``) measures the targets in
DESIGN.md ("Performance") on a cached 100,000-incident SQLite database, prints a table and
writes ``bench-results.json``.

Start-up, memory and GUI timings run in fresh processes (``python -m bench.measure_*``) so that
one measurement never warms or loads anything for the next.
"""
