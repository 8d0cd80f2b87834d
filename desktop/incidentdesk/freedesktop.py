"""The freedesktop notification service (``org.freedesktop.Notifications`` on the session
bus, as GNOME, KDE, Xfce and others provide it), spoken to with jeepney. Qt-free; the
window's notifications use it through ``ui/notifications.py``.

Why not QtDBus: its Python binding cannot send an unsigned 32-bit integer (a Python int goes
as ``i``), and ``Notify`` takes one (``replaces_id``, signature ``susssasa{sv}i``); services
that check the signature, as GNOME Shell does, refuse the call.

Nothing here waits on the caller's thread: connecting and sending run on a thread of this
object's own, one call at a time; jeepney's router receives on another, and hands over the
"default" action (the notification itself clicked) by ``on_clicked``.
"""

from __future__ import annotations

import logging
import os
import queue
import sys
import threading
from collections.abc import Callable
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jeepney.io.threading import DBusRouter

SERVICE = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
INTERFACE = "org.freedesktop.Notifications"
CALL_TIMEOUT_S = 2.0
log = logging.getLogger(__name__)


def session_bus_address() -> str | None:
    """The session bus to look for the service on, where the platform has one."""
    if not sys.platform.startswith("linux"):
        return None  # macOS and Windows notify through the tray
    return os.environ.get("DBUS_SESSION_BUS_ADDRESS") or None


class _Signals(queue.Queue[Any]):
    """The queue of jeepney's filter, whose receiving thread calls ``put_nowait``: each
    signal goes to ``handle`` at once instead of waiting in the queue for a reader."""

    def __init__(self, handle: Callable[[Any], None]) -> None:
        super().__init__()
        self._handle = handle

    def put_nowait(self, item: Any) -> None:
        self._handle(item)


class FreedesktopNotifications:
    """One connection to the session bus's notification service.

    ``start`` connects on the object's thread and calls ``on_ready(True, "")``, or
    ``on_ready(False, why)`` when there is no bus or nobody provides the service. ``show``
    sends a notification with a "default" action; when the person clicks it,
    ``on_clicked(tag)`` gets the tag it was shown with (on jeepney's receiving thread).
    """

    def __init__(
        self,
        address: str,
        on_ready: Callable[[bool, str], None],
        on_clicked: Callable[[int], None],
        application: str = "Incident Desk",
    ) -> None:
        self._address = address
        self._on_ready = on_ready
        self._on_clicked = on_clicked
        self._application = application
        from concurrent.futures import ThreadPoolExecutor  # only where there is a bus

        self._calls = ThreadPoolExecutor(1, thread_name_prefix="incidentdesk-notify")
        self._resources = ExitStack()
        self._router: DBusRouter | None = None
        self._tags: dict[int, int] = {}  # the service's id of a notification → its tag
        self._lock = threading.Lock()
        self._stopped = False

    def start(self) -> None:
        self._calls.submit(self._connect)

    def show(self, tag: int, title: str, body: str) -> None:
        if not self._stopped:
            self._calls.submit(self._notify, tag, title, body)

    def stop(self) -> None:
        """Close the connection and wait for this object's threads to end (once; what is
        shown afterwards is dropped)."""
        if self._stopped:
            return
        self._stopped = True
        self._calls.submit(self._resources.close)
        self._calls.shutdown(wait=True)

    def _connect(self) -> None:
        try:
            from jeepney import DBusErrorResponse
        except ImportError as error:  # a build without it: the tray or the window, then
            self._on_ready(False, str(error))
            return
        try:
            self._router = self._open()
        # No address it can use, no bus there, refused, or no service on it (LookupError).
        except (OSError, ValueError, LookupError, RuntimeError, DBusErrorResponse) as error:
            self._resources.close()
            self._router = None
            self._on_ready(False, f"{type(error).__name__}: {error}")
            return
        self._on_ready(True, "")

    def _open(self) -> DBusRouter:
        from jeepney import MatchRule
        from jeepney.bus_messages import message_bus
        from jeepney.io.threading import open_dbus_router

        router = self._resources.enter_context(open_dbus_router(self._address))
        owned = router.send_and_get_reply(message_bus.NameHasOwner(SERVICE), timeout=CALL_TIMEOUT_S)
        if not owned.body[0]:
            raise LookupError(f"nothing on the session bus provides {SERVICE}")
        rule = MatchRule(type="signal", interface=INTERFACE, path=PATH)
        router.send_and_get_reply(message_bus.AddMatch(rule), timeout=CALL_TIMEOUT_S)
        self._resources.enter_context(router.filter(rule, queue=_Signals(self._received)))
        return router

    def _notify(self, tag: int, title: str, body: str) -> None:
        from jeepney import DBusAddress, DBusErrorResponse, new_method_call
        from jeepney.io.common import RouterClosed

        router = self._router
        if router is None or self._stopped:
            return
        call = new_method_call(
            DBusAddress(PATH, bus_name=SERVICE, interface=INTERFACE),
            "Notify",
            "susssasa{sv}i",
            (self._application, 0, "", title, body, ["default", "Open"], {}, -1),
        )
        try:
            reply = router.send_and_get_reply(call, timeout=CALL_TIMEOUT_S)
            notification_id = int(reply.body[0])
        except (OSError, DBusErrorResponse, RouterClosed) as error:  # gone, or refused
            log.info("The desktop did not show a notification: %s", error)
            return
        with self._lock:
            self._tags[notification_id] = tag

    def _received(self, message: Any) -> None:
        from jeepney.low_level import HeaderFields

        member = message.header.fields.get(HeaderFields.member)
        if member == "ActionInvoked" and not self._stopped:
            notification_id, action = message.body
            with self._lock:
                tag = self._tags.get(int(notification_id))
            if action == "default" and tag is not None:
                self._on_clicked(tag)
        elif member == "NotificationClosed":
            with self._lock:
                self._tags.pop(int(message.body[0]), None)
