"""``incidentdesk report``: the period report from the command line, without a display.

Bad arguments (a date that is not one, --from after --to, an unknown severity) end in one line
and exit status 2; a database that cannot be opened, an unknown team, service or category, an
empty period or a file that cannot be written end in one line and exit status 1.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from incidentdesk.domain.enums import Severity

if TYPE_CHECKING:
    from incidentdesk.storage.locations import DatabaseLocation

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
DEFAULT_DAYS = 30


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2026-10-31") from None


def _severity(text: str) -> Severity:
    name = text.strip().upper()
    name = name if name.startswith("SEV") else f"SEV{name}"
    try:
        return Severity[name]
    except KeyError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a severity (SEV1 to SEV5)") from None


def add_parser(commands: Any, db_help: str) -> argparse.ArgumentParser:
    """Add ``report`` to the subcommands of the ``incidentdesk`` parser."""
    report: argparse.ArgumentParser = commands.add_parser(
        "report",
        help="write the period report (charts, summary, definitions) as PDF, Markdown or CSV",
        description="The period report a lead can send on; it states its filters.",
    )
    report.add_argument(
        "--from",
        dest="start",
        type=_day,
        metavar="YYYY-MM-DD",
        help=f"first day reported, UTC (default: {DEFAULT_DAYS} days before --to)",
    )
    report.add_argument(
        "--to",
        dest="end",
        type=_day,
        metavar="YYYY-MM-DD",
        help="last day reported, UTC, inclusive (default: today)",
    )
    report.add_argument("--out", "-o", type=Path, required=True, help="the file to write")
    report.add_argument(
        "--format", choices=("pdf", "md", "csv"), help="default: from the --out suffix, else pdf"
    )
    report.add_argument(
        "--severity",
        type=_severity,
        action="append",
        default=[],
        metavar="SEV",
        help="only this severity (repeatable)",
    )
    for option, what in (("--team", "team"), ("--service", "service"), ("--category", "category")):
        report.add_argument(
            option,
            action="append",
            default=[],
            metavar="NAME",
            help=f"only this {what}, by name (repeatable)",
        )
    report.add_argument(
        "--include-cancelled", action="store_true", help="count cancelled incidents too"
    )
    report.add_argument("--include-duplicates", action="store_true", help="count duplicates too")
    report.add_argument("--db", metavar="URL", help=db_help, default=argparse.SUPPRESS)
    return report


def check_arguments(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """Argument errors that argparse cannot see alone: exit 2 through ``parser.error``."""
    end = args.end or datetime.now(UTC).date()
    start = args.start or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        parser.error(f"--from {start.isoformat()} is after --to {end.isoformat()}")
    args.start, args.end = start, end
    from incidentdesk.charts.report import report_format

    try:
        args.format = report_format(args.out, args.format)
    except ValueError as error:
        parser.error(f"{error} (or give --format)")


def _fail(message: str) -> int:
    print(f"incidentdesk: {message}", file=sys.stderr)
    return EXIT_FAILURE


def _ids(wanted: list[str], known: dict[int, str], what: str) -> frozenset[int]:
    by_name = {name.casefold(): id_ for id_, name in known.items()}
    missing = [name for name in wanted if name.casefold() not in by_name]
    if missing:
        choices = ", ".join(sorted(known.values())) or "none"
        raise LookupError(f"there is no {what} named {', '.join(missing)} (there are: {choices})")
    return frozenset(by_name[name.casefold()] for name in wanted)


def run(args: argparse.Namespace, location: DatabaseLocation) -> int:
    from incidentdesk.charts.report import EmptyReport, write_report
    from incidentdesk.services.desk import Desk
    from incidentdesk.services.statistics import ChartFilters
    from incidentdesk.storage.database import DatabaseOpenError, open_store

    try:
        store = open_store(location, create=False, upgrade=False)
    except DatabaseOpenError as error:
        return _fail(str(error))
    try:
        desk = Desk(store, actor_id=0)
        names = desk.statistics.names()
        try:
            filters = ChartFilters(
                args.start,
                args.end,
                severities=frozenset(args.severity),
                team_ids=_ids(args.team, names.teams, "team"),
                service_ids=_ids(args.service, names.services, "service"),
                category_ids=_ids(args.category, names.categories, "category"),
                include_cancelled=args.include_cancelled,
                include_duplicates=args.include_duplicates,
            )
        except LookupError as error:
            return _fail(f"{error}.")
        try:
            summary = write_report(desk.statistics, filters, args.out, args.format)
        except EmptyReport as error:
            return _fail(str(error))
        except OSError as error:
            reason = error.strerror or str(error)
            return _fail(f"{args.out} could not be written: {reason}.")
    finally:
        store.close()
    pages = f", {summary.pages} pages" if summary.format == "pdf" else ""
    print(
        f"Wrote the report on {summary.incidents:,} incidents to {summary.path}{pages}.",
        file=sys.stderr,
    )
    return EXIT_OK
