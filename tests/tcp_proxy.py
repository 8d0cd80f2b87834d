"""A TCP forwarder that tests can cut and restore, as a network cut or a server restart does:
cut() ends every forwarded connection and refuses new ones; restore() accepts them again on
the same port."""

from __future__ import annotations

import selectors
import socket
import threading
from contextlib import suppress

BUFFER_BYTES = 65536


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._accepting = threading.Event()
        self._stopped = threading.Event()
        self._restore_listener = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="tcp-proxy", daemon=True)
        self._accepting.set()
        self._thread.start()

    def cut(self) -> None:
        """End every forwarded connection and refuse new ones (connection refused)."""
        with self._lock:
            self._accepting.clear()
            self._listener.close()
            for pair in self._pairs:
                for end in pair:
                    with suppress(OSError):
                        end.shutdown(socket.SHUT_RDWR)
                    end.close()
            self._pairs.clear()

    @property
    def is_cut(self) -> bool:
        return not self._accepting.is_set()

    def restore_if_cut(self) -> None:
        if self.is_cut:
            self.restore()

    def restore(self) -> None:
        with self._lock:
            self._listener = socket.create_server(("127.0.0.1", self.port))
            self._accepting.set()
            self._restore_listener.set()

    def close(self) -> None:
        self._stopped.set()
        self.cut()
        self._restore_listener.set()
        self._thread.join(timeout=5)

    def _serve(self) -> None:
        while not self._stopped.is_set():
            if not self._accepting.is_set():
                self._restore_listener.wait()
                self._restore_listener.clear()
                continue
            listener = self._listener
            try:
                listener.settimeout(0.05)
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:  # closed by cut()
                continue
            try:
                server = socket.create_connection(self._target)
            except OSError:
                client.close()
                continue
            with self._lock:
                if not self._accepting.is_set():
                    client.close()
                    server.close()
                    continue
                self._pairs.append((client, server))
            threading.Thread(
                target=self._forward, args=(client, server), name="tcp-proxy-pair", daemon=True
            ).start()

    def _forward(self, client: socket.socket, server: socket.socket) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(client, selectors.EVENT_READ, server)
            selector.register(server, selectors.EVENT_READ, client)
            while True:
                try:
                    events = selector.select(timeout=0.5)
                except (OSError, ValueError):
                    break
                if self._stopped.is_set():
                    break
                done = False
                for key, _ in events:
                    source: socket.socket = key.fileobj  # type: ignore[assignment]
                    try:
                        data = source.recv(BUFFER_BYTES)
                        if not data:
                            done = True
                            break
                        key.data.sendall(data)
                    except OSError:
                        done = True
                        break
                if done:
                    break
        for end in (client, server):
            with suppress(OSError):
                end.close()
        with self._lock, suppress(ValueError):
            self._pairs.remove((client, server))
