"""``incidentdesk intake``: the alert receiver (``serve``), one payload from a file or stdin
(``file``), the receiver's bearer token (``token``) and its rules (``rules``).

Bad arguments (an address that is not HOST:PORT) end in one line and exit status 2; a
database that cannot be opened, a payload refused, a file that cannot be read or a token that
cannot be kept end in one line and exit status 1.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from incidentdesk import paths

if TYPE_CHECKING:
    from incidentdesk.services.desk import Desk
    from incidentdesk.storage.locations import DatabaseLocation

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
DEFAULT_LISTEN = "127.0.0.1:9095"
SWITCH_INTERVAL_S = 0.0005
log = logging.getLogger("incidentdesk.intake")


def _listen_address(text: str) -> tuple[str, int]:
    host, colon, port_text = text.rpartition(":")
    host = host.strip("[]")
    if not colon or not host:
        raise argparse.ArgumentTypeError(f"'{text}' is not HOST:PORT, such as 127.0.0.1:9095")
    try:
        port = int(port_text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{port_text}' is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"the port must be from 0 to 65535, not {port}")
    return host, port


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("it must be more than 0")
    return value


def add_parser(commands: Any, db_help: str) -> None:
    """Add ``intake`` to the subcommands of the ``incidentdesk`` parser."""
    intake = commands.add_parser(
        "intake",
        help="turn alerts from monitoring (Alertmanager, Grafana, PagerDuty events) into incidents",
    )
    actions = intake.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=type(intake)
    )
    serve = actions.add_parser("serve", help="receive alerts over HTTP until stopped")
    serve.add_argument("--db", metavar="URL", help=db_help, default=argparse.SUPPRESS)
    serve.add_argument(
        "--listen",
        type=_listen_address,
        default=_listen_address(DEFAULT_LISTEN),
        metavar="HOST:PORT",
        help=f"where to listen (default {DEFAULT_LISTEN}; any address but loopback needs a token)",
    )
    serve.add_argument(
        "--token-file",
        type=Path,
        metavar="FILE",
        help="the bearer token, in a file readable by its owner only (default: the keyring, "
        f"else {paths.intake_token_path()})",
    )
    serve.add_argument(
        "--require-token",
        action="store_true",
        help="ask every request for the token on loopback too",
    )
    serve.add_argument(
        "--max-body-bytes",
        type=_positive,
        default=1_000_000,
        metavar="N",
        help="the largest request body accepted (default 1,000,000)",
    )
    serve.add_argument(
        "--rate",
        type=_positive,
        default=50,
        metavar="N",
        help="requests per second allowed from one address, with bursts of 4×N (default 50)",
    )
    payload = actions.add_parser("file", help="import one payload from a file, or - for stdin")
    payload.add_argument("payload", help="the JSON payload file, or - to read standard input")
    payload.add_argument(
        "--format",
        choices=("alertmanager", "grafana", "pagerduty", "generic"),
        help="the payload's format (default: told by its fields)",
    )
    payload.add_argument("--db", metavar="URL", help=db_help, default=argparse.SUPPRESS)
    token = actions.add_parser("token", help="create the receiver's bearer token and print it")
    token.add_argument(
        "--file",
        type=Path,
        metavar="FILE",
        help="keep it in FILE (mode 600) instead of the system keyring",
    )
    rules = actions.add_parser("rules", help="print the intake rules as JSON, or replace them")
    rules.add_argument("--set", type=Path, metavar="FILE", help="replace the rules with FILE's")
    rules.add_argument("--db", metavar="URL", help=db_help, default=argparse.SUPPRESS)


def _fail(message: str) -> int:
    print(f"incidentdesk: {message}", file=sys.stderr)
    return EXIT_FAILURE


def _open(location: DatabaseLocation) -> Desk:
    from incidentdesk.intake.processing import MONITORING_LOGIN
    from incidentdesk.services.catalog import CatalogService
    from incidentdesk.services.desk import Desk
    from incidentdesk.storage.database import open_store

    store = open_store(location, temp_in_memory=True)
    return Desk(store, CatalogService(store).ensure_person(MONITORING_LOGIN, "Monitoring"))


def intake_service(desk: Desk) -> Any:
    from incidentdesk.intake.processing import IntakeService

    return IntakeService(desk.store, desk.incidents, desk.lifecycle, desk.actor_id)


def run(args: argparse.Namespace, location: DatabaseLocation) -> int:
    if args.action == "token":
        return _create_token(args.file)
    from incidentdesk.storage.database import DatabaseOpenError

    if args.action == "serve":
        token, problem = _serving_token(args)
        if problem:
            return _fail(problem)
    try:
        desk = _open(location)
    except DatabaseOpenError as error:
        return _fail(str(error).rstrip(".") + ".")
    try:
        if args.action == "serve":
            return _serve(args, desk, token)
        if args.action == "rules":
            return _rules(args, desk)
        return _import_file(args, desk)
    finally:
        desk.close()


def _create_token(file: Path | None) -> int:
    from incidentdesk.intake import tokens

    token = tokens.new_token()
    try:
        if file is None and tokens.store_in_keyring(token):
            where = "the system keyring"
        else:
            target = file or paths.intake_token_path()
            tokens.write_token_file(target, token)
            where = f"{target} (readable by you only)"
    except OSError as error:
        return _fail(f"the token could not be written: {error.strerror}.")
    print(token)
    print(
        f"Kept in {where}. Senders put it in an 'Authorization: Bearer …' header; "
        "the receiver reads it at start.",
        file=sys.stderr,
    )
    return EXIT_OK


def _serving_token(args: argparse.Namespace) -> tuple[str | None, str]:
    from incidentdesk.intake import tokens
    from incidentdesk.intake.server import is_loopback

    host = args.listen[0]
    needed = args.require_token or not is_loopback(host)
    if not needed and args.token_file is None:
        return None, ""
    try:
        token = tokens.load_token(args.token_file, paths.intake_token_path())
    except tokens.TokenUnavailable as error:
        return None, error.message
    if token is None:
        return None, (
            f"listening on {host} needs a bearer token on every request; create one with "
            "'incidentdesk intake token' and start again."
        )
    return token, ""


def _serve(args: argparse.Namespace, desk: Desk, token: str | None) -> int:
    from incidentdesk.intake.server import Receiver, ReceiverSettings
    from incidentdesk.services.clock import utc_now

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr
    )
    host, port = args.listen
    # The writer thread hands each answer back to a handler thread: with the interpreter's
    # default 5 ms switch interval, that hand-over, not the database, set the pace.
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    settings = ReceiverSettings(
        host=host,
        port=port,
        token=token,
        max_body_bytes=args.max_body_bytes,
        rate_per_second=float(args.rate),
        burst=4 * args.rate,
    )
    try:
        receiver = Receiver(settings, desk.store, intake_service(desk).process, utc_now)
    except OSError as error:
        return _fail(f"cannot listen on {host}:{port}: {error.strerror}.")
    stopping = threading.Event()

    def stop(signal_number: int, frame: FrameType | None) -> None:
        if not stopping.is_set():
            stopping.set()
            log.info("stopping (signal %d): answering the requests accepted", signal_number)
            # Stopping waits for serve_forever(), which runs on this very thread.
            threading.Thread(target=receiver.stop_accepting, name="intake-stop").start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    bound_host, bound_port = str(receiver.server_address[0]), int(receiver.server_address[1])
    shown_host = f"[{bound_host}]" if ":" in bound_host else bound_host
    log.info(
        "listening on http://%s:%d for %s%s",
        shown_host,
        bound_port,
        desk.display_name,
        " (bearer token required)" if token else "",
    )
    try:
        receiver.serve_forever()
    finally:
        receiver.finish_accepted()
        log.info("stopped")
    return EXIT_OK


def _import_file(args: argparse.Namespace, desk: Desk) -> int:
    from incidentdesk.errors import ServiceError
    from incidentdesk.intake import formats
    from incidentdesk.intake.alerts import Format
    from incidentdesk.intake.processing import FILE_MAX_BYTES, body_request_id, import_file
    from incidentdesk.services.clock import utc_now

    service = intake_service(desk)
    try:
        if args.payload != "-" and args.format is None:
            result = import_file(service, Path(args.payload), utc_now())
        else:
            body = _read_payload(args.payload, FILE_MAX_BYTES)
            expected = Format(args.format) if args.format else None
            notification = formats.parse(body, utc_now(), expected)
            result = service.process(notification, body_request_id(body))
    except OSError as error:
        return _fail(f"{_named(args.payload)} could not be read: {error.strerror}.")
    except ServiceError as error:
        return _fail(f"{_named(args.payload)} was not imported: {error.message}")
    print(result.summary)
    return EXIT_OK


def _named(payload: str) -> str:
    return "standard input" if payload == "-" else payload


def _read_payload(payload: str, limit: int) -> bytes:
    from incidentdesk.intake.alerts import PayloadRefused

    if payload == "-":
        body = sys.stdin.buffer.read(limit + 1)
    else:
        with Path(payload).open("rb") as stream:
            body = stream.read(limit + 1)
    if len(body) > limit:
        raise PayloadRefused(f"it is over {limit:,} bytes")
    return body


def _rules(args: argparse.Namespace, desk: Desk) -> int:
    from incidentdesk.errors import ServiceError
    from incidentdesk.intake.rules import RuleService, rule_from_json, rule_to_json

    service = RuleService(desk.store)
    if args.set is None:
        print(json.dumps([rule_to_json(rule) for rule in service.rules()], indent=2))
        return EXIT_OK
    try:
        entries = json.loads(args.set.read_text(encoding="utf-8"))
    except OSError as error:
        return _fail(f"{args.set} could not be read: {error.strerror}.")
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        return _fail(f"{args.set} is not JSON: {error}.")
    if not isinstance(entries, list):
        return _fail(f"{args.set} must hold a JSON array of rules.")
    try:
        rules = [rule_from_json(entry, index) for index, entry in enumerate(entries)]
        service.replace(rules, desk.actor_id)
    except ServiceError as error:
        return _fail(f"the rules were not changed: {error.message}")
    print(f"{len(entries)} intake rules kept.", file=sys.stderr)
    return EXIT_OK
