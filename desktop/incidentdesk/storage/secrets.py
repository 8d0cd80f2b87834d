"""PostgreSQL passwords in the system keyring, never in a file."""

from __future__ import annotations

from types import ModuleType

from incidentdesk.errors import ServiceError

KEYRING_SERVICE = "incidentdesk"


class KeyringUnavailable(ServiceError, RuntimeError):
    """No usable system keyring: passwords can be neither stored nor read."""


def _keyring() -> tuple[ModuleType, ModuleType]:
    # keyring costs ~130 ms to import; only a PostgreSQL login with a password pays it.
    import keyring
    import keyring.errors

    return keyring, keyring.errors


def load_password(address: str) -> str | None:
    """The password stored for ``address`` (a URL without password), or None."""
    keyring, errors = _keyring()
    try:
        password: str | None = keyring.get_password(KEYRING_SERVICE, address)
    except errors.NoKeyringError:
        return None
    except errors.KeyringError as error:
        raise KeyringUnavailable(f"the system keyring could not be read: {error}") from error
    return password


def store_password(address: str, password: str) -> None:
    keyring, errors = _keyring()
    try:
        keyring.set_password(KEYRING_SERVICE, address, password)
    except errors.NoKeyringError as error:
        raise KeyringUnavailable(
            "there is no system keyring on this machine to keep the password in; "
            "install and unlock one (GNOME Keyring, KWallet, macOS Keychain, Windows Credential "
            "Manager) and try again"
        ) from error
    except errors.KeyringError as error:
        raise KeyringUnavailable(f"the system keyring refused the password: {error}") from error
