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


def keyring_problem() -> str | None:
    """Why no password can be kept in a keyring on this machine, or None if one works.

    keyring falls back to its ``fail`` backend (which refuses every call) when it finds no
    system keyring; a chain of backends works only if it holds at least one."""
    keyring, _ = _keyring()
    from keyring.backends import chainer, fail

    try:
        backend = keyring.get_keyring()
    except Exception as error:  # a backend that fails to load raises anything it likes
        return f"the system keyring could not be loaded ({type(error).__name__}: {error})"
    if isinstance(backend, fail.Keyring) or (
        isinstance(backend, chainer.ChainerBackend) and not backend.backends
    ):
        return "no system keyring works on this computer"
    return None
