"""The ``incidentdesk`` command: starts the GUI, or runs a database, demo or export command."""

from __future__ import annotations

import argparse
import gc
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

from incidentdesk import __version__, intake_command, paths, report_command

if TYPE_CHECKING:
    from incidentdesk.storage.database import Store
    from incidentdesk.storage.locations import DatabaseLocation

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
log = logging.getLogger(__name__)


class _Parser(argparse.ArgumentParser):
    """Bad arguments end in one line naming the problem, and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see '{self.prog} --help')\n")


EXIT_INTERRUPTED = 130  # what a shell reports for a program ended by Ctrl-C (128 + SIGINT)


def _demo_count(text: str) -> int:
    from incidentdesk.services.demo import MAX_INCIDENTS

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("the number of incidents cannot be negative")
    if value > MAX_INCIDENTS:
        raise argparse.ArgumentTypeError(
            f"at most {MAX_INCIDENTS:,} demo incidents can be added at a time, not {value:,}"
        )
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="incidentdesk",
        description="Incident Desk: log, prioritize and resolve incidents as a team.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    db_help = (
        "the database: sqlite:///path/file.db or postgresql://user@host:5432/name "
        f"(default: ${paths.DATABASE_ENVIRONMENT_VARIABLE}, else {paths.default_database_path()})"
    )
    parser.add_argument("--db", metavar="URL", help=db_help)
    parser.add_argument(
        "--smoke-test",
        action="store_true",
        help="open the main window, wait until it shows the incidents, and quit",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    database = commands.add_parser("db", help="create, upgrade, check or back up a database")
    actions = database.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=_Parser
    )
    for name, text in (
        ("init", "create the tables in a new database (PostgreSQL: and the program's role)"),
        ("upgrade", "bring an older database up to this program's schema"),
        ("check", "check the database's integrity and report in plain words"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("--db", metavar="URL", help=db_help, default=argparse.SUPPRESS)
    _add_role_options(actions.choices["init"])
    backup = actions.add_parser("backup", help="copy the database to a file while it is in use")
    backup.add_argument("target", type=Path, help="the backup file to write")
    backup.add_argument("--db", metavar="URL", help=db_help, default=argparse.SUPPRESS)
    password = actions.add_parser(
        "set-password", help="store a PostgreSQL password in the system keyring"
    )
    password.add_argument("url", help="postgresql://user@host:port/name")

    demo = commands.add_parser("demo", help="add realistic demo incidents to a database")
    demo.add_argument(
        "--incidents",
        type=_demo_count,
        default=1000,
        metavar="N",
        help="how many incidents to add, from 0 to 1,000,000 (default 1,000)",
    )
    demo.add_argument("--seed", type=int, default=42, help="the random seed (default 42)")
    demo.add_argument("--db", metavar="URL", help=db_help, default=argparse.SUPPRESS)

    export = commands.add_parser("export", help="write incidents as CSV or JSON")
    export.add_argument("--format", choices=("csv", "json"), required=True)
    export.add_argument(
        "--output", "-o", type=Path, help="the file to write (default: standard output)"
    )
    export.add_argument(
        "--open-only", action="store_true", help="only incidents not closed or cancelled"
    )
    export.add_argument("--db", metavar="URL", help=db_help, default=argparse.SUPPRESS)
    report_command.add_parser(commands, db_help)
    intake_command.add_parser(commands, db_help)
    return parser


def _add_role_options(init: argparse.ArgumentParser) -> None:
    from incidentdesk.storage.grants import DEFAULT_APP_ROLE

    init.add_argument(
        "--app-role",
        metavar="NAME",
        help=(
            "PostgreSQL: the role people's logins belong to, which may add to the timeline "
            "but never change or delete it (default: the one an earlier 'db init' set up, "
            f"else {DEFAULT_APP_ROLE})"
        ),
    )
    init.add_argument(
        "--print-sql",
        action="store_true",
        help=(
            "PostgreSQL: print the SQL creating the role and its grants for a DBA, change "
            "nothing (for the role given, else the one an earlier 'db init' set up, else "
            f"{DEFAULT_APP_ROLE})"
        ),
    )


def _fail(message: str) -> int:
    print(f"incidentdesk: {message}", file=sys.stderr)
    return EXIT_FAILURE


class _ProgressBar:
    """A one-line progress bar on a terminal; occasional plain lines elsewhere."""

    WIDTH = 30

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._interactive = stream.isatty()
        self._last_reported = -1
        self.done = 0

    def end_line(self) -> None:
        """Ends a bar cut short, so that the next message starts on a line of its own."""
        if self._interactive and self._last_reported != -2:
            self._stream.write("\n")
            self._stream.flush()

    def __call__(self, done: int, total: int) -> None:
        self.done = done
        fraction = done / total if total else 1.0
        if self._interactive:
            filled = round(self.WIDTH * fraction)
            bar = "█" * filled + "·" * (self.WIDTH - filled)
            self._stream.write(f"\r[{bar}] {fraction:4.0%}  {done:,}/{total:,} incidents")
            if done >= total:
                self._stream.write("\n")
                self._last_reported = -2
        elif int(fraction * 10) != self._last_reported:
            self._last_reported = int(fraction * 10)
            self._stream.write(f"{done:,}/{total:,} incidents\n")
        self._stream.flush()


def _run_database_command(args: argparse.Namespace, location: DatabaseLocation) -> int:
    import peewee as pw

    from incidentdesk.storage import migrations
    from incidentdesk.storage.database import (
        DatabaseOpenError,
        close_database,
        connect,
        open_store,
    )

    if args.action == "set-password":
        return _set_password(location)
    if args.action == "init" and (args.print_sql or args.app_role is not None):
        refusal = _roles_refusal(location, args)
        if refusal is not None or args.print_sql:
            return _fail(refusal) if refusal is not None else _print_grants(location, args.app_role)
    try:
        before = 0
        if args.action == "upgrade":
            database = connect(location, create=False)
            before = migrations.read_version(database)
            close_database(database)
        store = open_store(
            location,
            create=args.action == "init",
            upgrade=args.action in ("init", "upgrade"),
            reading_only=args.action in ("check", "backup"),
        )
    except DatabaseOpenError as error:
        return _fail(str(error).rstrip(".") + ".")
    try:
        if args.action == "init":
            print(f"{location.display_name} is ready (schema {store.schema_version}).")
            return _set_up_roles(location, store, args.app_role)
        if args.action == "upgrade":
            return _report_upgrade(location, before, store)
        if args.action == "check":
            return _check(store)
        return _back_up(location, store, args.target)
    except pw.DatabaseError as error:
        return _fail(str(error).rstrip(".") + ".")
    finally:
        store.close()


def _roles_refusal(location: DatabaseLocation, args: argparse.Namespace) -> str | None:
    from incidentdesk.storage.grants import RolesRefused, check_role_name
    from incidentdesk.storage.locations import PostgresLocation

    if not isinstance(location, PostgresLocation):
        return (
            "roles and grants are PostgreSQL's; an SQLite file has none (whoever may write "
            "the file may change it), so there is nothing to set up."
        )
    if args.app_role is not None:
        try:
            check_role_name(args.app_role)
        except RolesRefused as error:
            return error.message
    return None


def _print_grants(location: DatabaseLocation, role: str | None) -> int:
    from incidentdesk.storage.grants import DEFAULT_APP_ROLE, RolesRefused, print_sql
    from incidentdesk.storage.locations import PostgresLocation

    assert isinstance(location, PostgresLocation)  # refused before otherwise
    try:
        # The script records its role: without --app-role it must not replace the one on
        # record, to which upgrades grant.
        role = role or _role_on_record(location) or DEFAULT_APP_ROLE
    except RolesRefused as error:
        return _fail(error.message)
    sys.stdout.write(print_sql(location.database, location.schema or "public", role))
    return EXIT_OK


def _role_on_record(location: DatabaseLocation) -> str | None:
    """The role recorded in the database, or None where there is none or the database cannot
    be read (a DBA may prepare the script before the tables exist, or from elsewhere)."""
    import peewee as pw

    from incidentdesk.storage.database import DatabaseOpenError, close_database, connect
    from incidentdesk.storage.grants import recorded_role

    try:
        database = connect(location, create=False)
    except DatabaseOpenError:
        return None
    try:
        return recorded_role(database)
    except pw.DatabaseError:  # no tables yet
        return None
    finally:
        close_database(database)


def _set_up_roles(location: DatabaseLocation, store: Store, role: str | None) -> int:
    """On PostgreSQL, the program's role and its grants (storage/grants.py)."""
    from incidentdesk.storage.grants import (
        DEFAULT_APP_ROLE,
        RolesRefused,
        apply_grants,
        recorded_role,
    )
    from incidentdesk.storage.locations import PostgresLocation

    if not isinstance(location, PostgresLocation):
        return EXIT_OK
    try:
        # Run again without --app-role, init keeps the role that upgrades grant to.
        role = role or recorded_role(store.database) or DEFAULT_APP_ROLE
        apply_grants(store.database, location, role)
    except RolesRefused as error:
        return _fail(f"the tables are ready, but {_continued(error.message)}")
    print(
        f"The role {role} may add incidents and timeline entries but never change or delete "
        f"entries. Give each person a login in it (CREATE ROLE alice LOGIN IN ROLE {role}); "
        f"only {location.user} may upgrade the tables."
    )
    return EXIT_OK


def _set_password(location: DatabaseLocation) -> int:
    import getpass

    from incidentdesk.storage.locations import PostgresLocation
    from incidentdesk.storage.secrets import KeyringUnavailable, store_password

    if not isinstance(location, PostgresLocation):
        return _fail("only PostgreSQL databases have passwords.")
    secret = (
        getpass.getpass(f"Password for {location.url}: ")
        if sys.stdin.isatty()
        else sys.stdin.readline().rstrip("\n")
    )
    try:
        store_password(location.url, secret)
    except KeyringUnavailable as error:
        return _fail(f"{error}.")
    print(f"Stored the password for {location.url} in the system keyring.")
    return EXIT_OK


def _continued(sentence: str) -> str:
    """``sentence`` as the rest of one that says what was done before it."""
    return sentence[0].lower() + sentence[1:]


def _report_upgrade(location: DatabaseLocation, before: int, store: Store) -> int:
    from incidentdesk.storage.grants import DEFAULT_APP_ROLE

    after, grants = store.schema_version, store.grants_after_upgrade
    if before == after:
        print(f"{location.display_name} is up to date (schema {after}).")
        return EXIT_OK
    upgraded = f"Upgraded {location.display_name} from schema {before} to {after}"
    if grants is None:  # SQLite, which has no roles
        print(f"{upgraded}.")
        return EXIT_OK
    if grants.refusal is not None:
        print(f"{upgraded}.")
        return _fail(f"the tables are upgraded, but {_continued(grants.refusal)}")
    if grants.role is None:
        print(f"{upgraded}.")
        print(
            "No role of the program is recorded in it (its grants were set up by an older "
            "Incident Desk, or never were): if people sign in with one, run 'incidentdesk db "
            f"init --app-role NAME' once with its name (usually {DEFAULT_APP_ROLE}) to grant it "
            "the new tables; later upgrades then grant them by themselves."
        )
        return EXIT_OK
    print(f"{upgraded} and granted the new tables to {grants.role}.")
    return EXIT_OK


def _check(store: Store) -> int:
    from incidentdesk.storage import maintenance

    results = maintenance.check(store)
    for result in results:
        print(f"{'ok     ' if result.ok else 'PROBLEM'}  {result.name}: {result.message}")
    if not all(result.ok for result in results):
        return _fail("the check found problems (see above).")
    return EXIT_OK


def _back_up(location: DatabaseLocation, store: Store, target: Path) -> int:
    from incidentdesk.storage import maintenance
    from incidentdesk.storage.locations import PostgresLocation

    if isinstance(location, PostgresLocation):
        print("PostgreSQL databases are backed up with pg_dump. Run:")
        print(f"  {maintenance.pg_dump_command(location, target)}")
        return EXIT_OK
    try:
        maintenance.backup_sqlite(location, store, target)
    except (ValueError, OSError) as error:
        return _fail(f"the backup could not be written: {error}")
    print(f"Backed up {location.display_name} to {target}.")
    return EXIT_OK


def _run_demo(args: argparse.Namespace, location: DatabaseLocation) -> int:
    import peewee as pw

    from incidentdesk.services import demo
    from incidentdesk.storage.database import DatabaseOpenError, open_store

    try:
        store = open_store(location)
    except DatabaseOpenError as error:
        return _fail(str(error))
    progress = _ProgressBar(sys.stderr)
    try:
        with store.bound():
            summary = demo.generate(store, args.incidents, seed=args.seed, progress=progress)
            print(demo.describe(summary))
    except KeyboardInterrupt:
        # Each batch is one transaction: the one cut short was rolled back, whole ones stay.
        progress.end_line()
        print(
            f"incidentdesk: stopped; {progress.done:,} of {args.incidents:,} demo incidents "
            "were added, in whole batches.",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except pw.DatabaseError as error:
        progress.end_line()
        return _fail(f"{error}".rstrip(".") + f"; {progress.done:,} demo incidents were added.")
    finally:
        store.close()
    return EXIT_OK


def _run_export(args: argparse.Namespace, location: DatabaseLocation) -> int:
    import peewee as pw

    from incidentdesk.services.export import export_incidents
    from incidentdesk.storage.database import DatabaseOpenError, open_store

    try:
        store = open_store(location, create=False, upgrade=False, reading_only=True)
    except DatabaseOpenError as error:
        return _fail(str(error))
    try:
        if args.output is None:
            count = export_incidents(store, sys.stdout, args.format, open_only=args.open_only)
        else:
            try:
                with args.output.open("w", encoding="utf-8", newline="") as output:
                    count = export_incidents(store, output, args.format, open_only=args.open_only)
            except OSError as error:
                return _fail(f"{args.output} could not be written: {error.strerror}.")
            print(f"Exported {count:,} incidents to {args.output}.", file=sys.stderr)
    except pw.DatabaseError as error:
        return _fail(str(error).rstrip(".") + ".")
    finally:
        store.close()
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    # Until the window has painted (app.run_gui), or a command starts: the collections would
    # only scan the modules and classes start-up makes, all of which live on.
    gc.disable()
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("incidentdesk: stopped (Ctrl-C).", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        gc.enable()


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        from incidentdesk.app import run_gui

        return run_gui(paths.chosen_database_address(args.db), smoke_test=args.smoke_test)
    gc.enable()
    address = paths.configured_database_address(getattr(args, "db", None))
    if args.smoke_test:
        return _fail("--smoke-test starts the window; it cannot be combined with a command.")
    from incidentdesk.storage.locations import BadDatabaseAddress, parse_location

    try:
        location = parse_location(
            args.url if args.command == "db" and args.action == "set-password" else address
        )
    except BadDatabaseAddress as error:
        parser.error(str(error))  # an address that cannot be read is a bad argument: exit 2
    if args.command == "db":
        return _run_database_command(args, location)
    if args.command == "demo":
        return _run_demo(args, location)
    if args.command == "intake":
        return intake_command.run(args, location)
    if args.command == "report":
        report_command.check_arguments(args, parser)
        return report_command.run(args, location)
    return _run_export(args, location)
