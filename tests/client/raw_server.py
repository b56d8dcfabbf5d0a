"""A server on 127.0.0.1 that writes bytes by hand, for the conditions the emulator cannot
make, and a fake proxy made of one.

A test asks the ``raw`` fixture (tests/client/conftest.py) for a server running *handler*
on each connection; the servers close after the test.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from typing import Any

import pytest

import anthropic_rx as arx

from .helpers import KEY, WAIT, Run

Handler = Callable[[socket.socket, "RawServer"], None]


class RawServer:
    """Accept connections on 127.0.0.1 and give each to *handler* on a thread of its own."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.accepted = 0
        self.notes: dict[str, Any] = {}
        self.changed = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._accepter = threading.Thread(target=self._accept, daemon=True)
        self._accepter.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with self.changed:
                self.accepted += 1
                self.changed.notify_all()
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            self._handler(conn, self)

    def note(self, **notes: Any) -> None:
        with self.changed:
            self.notes.update(notes)
            self.changed.notify_all()

    def wait_for(self, predicate: Callable[[RawServer], bool], timeout: float = WAIT) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: predicate(self), timeout)

    def close(self) -> None:
        self._listener.close()
        for thread in self._threads:
            thread.join(WAIT)


def read_request(conn: socket.socket) -> bytes:
    """Read one request's head and its ``content-length`` body; b"" if the peer closed."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return b""
        body += chunk
    return head


def peer_closed(conn: socket.socket, within: float) -> bool:
    """Wait up to *within* seconds for the peer to close; True if it did."""
    conn.settimeout(within)
    try:
        return conn.recv(1) == b""
    except TimeoutError:
        return False
    except OSError:
        return True


def fake_proxy(conn: socket.socket, server: RawServer) -> None:
    """A proxy that notes the request it gets and answers nothing (it tunnels nothing)."""
    server.note(contacted=True, request=read_request(conn))


def proxy_by_env(
    raw: Callable[[Handler], RawServer], monkeypatch: pytest.MonkeyPatch, *variables: str
) -> RawServer:
    """A `fake_proxy`, named by each of the environment *variables*; no ``NO_PROXY`` exempts
    any host from it."""
    proxy = raw(fake_proxy)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in variables:
        monkeypatch.setenv(name, proxy.url)
    return proxy


#: An https URL on loopback that nothing listens on: only a proxy's tunnel could reach it.
HTTPS_URL = "https://127.0.0.1:9"


def assert_the_proxy_saw_only_connect(run: Run, proxy: RawServer) -> None:
    """*run*, a request to `HTTPS_URL` through *proxy*, failed to connect (the fake proxy
    tunnels nothing), and *proxy* saw only a ``CONNECT``: the key goes inside the tunnel."""
    assert isinstance(run.error, arx.APIConnectionError), run.error
    assert proxy.wait_for(lambda s: "request" in s.notes)
    request: bytes = proxy.notes["request"]
    assert request.startswith(b"CONNECT 127.0.0.1:9 ")
    assert KEY.encode() not in request and b"x-api-key" not in request.lower()
