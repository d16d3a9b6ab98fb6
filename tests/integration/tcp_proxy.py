"""A loopback TCP proxy that a fault drill can freeze, cut and resume.

``freeze()`` is a half-dead network or an overloaded server: connections stay open and new ones
are accepted, but no byte moves either way, so a client without socket timeouts waits forever.
``cut()`` is a dead server: every connection is closed and new ones are refused. ``resume()``
restores service on the same port. Every loop wakes at least every POLL seconds to see whether
it should stop.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading

from tests.integration.processes import free_port

POLL = 0.05


class TcpProxy:
    def __init__(self, target_port: int):
        self.target = ("127.0.0.1", target_port)
        self.port = free_port()
        self._flowing = threading.Event()
        self._flowing.set()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._listen()

    def freeze(self) -> None:
        """Stop forwarding; keep every socket open and keep accepting."""
        self._flowing.clear()

    def cut(self) -> None:
        """Close every connection and the listener: new connections are refused."""
        with self._lock:
            listener, self._listener = self._listener, None
            doomed = list(self._sockets)
            self._sockets.clear()
        for sock in [listener, *doomed]:
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.close()

    def resume(self) -> None:
        """Forward again (after a freeze) or listen again (after a cut)."""
        self._flowing.set()
        if self._listener is None:
            self._listen()

    def stop(self) -> None:
        self._flowing.set()
        self.cut()

    def _listen(self) -> None:
        listener = socket.create_server(("127.0.0.1", self.port))
        listener.settimeout(POLL)
        with self._lock:
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:  # closed by cut()
                return
            try:
                upstream = socket.create_connection(self.target, timeout=2)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:  # cut meanwhile
                    client.close()
                    upstream.close()
                    return
                self._sockets.update((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        peer = {client: upstream, upstream: client}
        try:
            while client in self._sockets:
                if not self._flowing.wait(POLL):
                    continue
                readable, _, _ = select.select([client, upstream], [], [], POLL)
                for sock in readable:
                    if not self._flowing.is_set():
                        break
                    data = sock.recv(65536)
                    if not data:
                        return
                    peer[sock].sendall(data)
        except (OSError, ValueError):  # closed by cut(): fileno -1 or a reset
            return
        finally:
            with self._lock:
                self._sockets.discard(client)
                self._sockets.discard(upstream)
            for sock in (client, upstream):
                with contextlib.suppress(OSError):
                    sock.close()
