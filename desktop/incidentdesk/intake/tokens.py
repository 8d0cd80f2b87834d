"""The receiver's bearer token: kept in the system keyring, or in a file only its owner can
read where there is no keyring (a server without a desktop session)."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from incidentdesk.errors import ServiceError

KEYRING_SERVICE = "incidentdesk-intake"
KEYRING_NAME = "bearer-token"
TOKEN_BYTES = 32


class TokenUnavailable(ServiceError, RuntimeError):
    """The token cannot be read or kept; the message says why and what to do."""


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def write_token_file(path: Path, token: str) -> None:
    """Write ``token`` to ``path``, readable and writable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(descriptor, 0o600)  # an existing file keeps its mode through O_CREAT
        os.write(descriptor, (token + "\n").encode())
    finally:
        os.close(descriptor)


def read_token_file(path: Path) -> str:
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise TokenUnavailable(
                f"{path} can be read by others than its owner; run chmod 600 {path}, or "
                "create a new token with incidentdesk intake token"
            )
        token = path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise TokenUnavailable(f"the token file {path} cannot be read: {error.strerror}") from None
    if len(token) < 16:
        raise TokenUnavailable(f"the token in {path} is shorter than 16 characters")
    return token


def store_in_keyring(token: str) -> bool:
    """Keep ``token`` in the system keyring; False where the machine has none."""
    import keyring
    import keyring.errors

    try:
        keyring.set_password(KEYRING_SERVICE, KEYRING_NAME, token)
    except keyring.errors.KeyringError:  # NoKeyringError included: no usable keyring here
        return False
    return True


def load_from_keyring() -> str | None:
    import keyring
    import keyring.errors

    try:
        token: str | None = keyring.get_password(KEYRING_SERVICE, KEYRING_NAME)
    except keyring.errors.KeyringError:
        return None
    return token


def load_token(token_file: Path | None, default_file: Path) -> str | None:
    """The token: from ``token_file`` if given, else the keyring, else ``default_file`` if it
    exists; None where none was ever created."""
    if token_file is not None:
        return read_token_file(token_file)
    token = load_from_keyring()
    if token:
        return token
    return read_token_file(default_file) if default_file.exists() else None
