"""Serve an ASGI app with uvicorn on 127.0.0.1 in a thread, and read SSE like a browser tab."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn

from anthropic_rx._sse import ServerSentEvent, SSEDecoder


@contextmanager
def serve(app: Any, port: int = 0) -> Iterator[str]:
    """Run *app* on a loopback port (ephemeral by default); yield its base URL; stop it
    afterwards, dropping the connections still open (as a server that goes away does)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    assert wait_until(lambda: server.started, 10.0), "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = server.force_exit = True
        thread.join(10.0)
        sock.close()


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll *predicate* until it holds or *timeout* passes (a condition, never a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


class Tab:
    """A browser tab's EventSource, by hand: GET, decode, remember the last event id."""

    def __init__(self, url: str, last_event_id: str | None = None) -> None:
        self.url = url
        self.last_event_id = last_event_id
        self.events: list[ServerSentEvent] = []
        self.status: int | None = None

    def read(
        self, until: Callable[[ServerSentEvent], bool] | None = None, timeout: float = 20.0
    ) -> list[ServerSentEvent]:
        """Read one connection until the server ends it, or *until* an event holds (then
        drop the connection as a killed tab does). Return the events it got; `events`
        grows as they arrive."""
        headers = {} if self.last_event_id is None else {"Last-Event-ID": self.last_event_id}
        start = len(self.events)
        decoder = SSEDecoder()
        with (
            httpx.Client(timeout=timeout) as http,
            http.stream("GET", self.url, headers=headers) as response,
        ):
            self.status = response.status_code
            if response.status_code != 200:
                return []
            for chunk in response.iter_raw():
                for event in decoder.decode(chunk):
                    self.events.append(event)  # as it arrives: another thread may watch
                    self.last_event_id = event.id
                    if until is not None and until(event):
                        return self.events[start:]
        return self.events[start:]
