"""What the emulator saw: connections, how each one closed, and every request (keys redacted).

The server's event loop writes these records from its own thread while a test reads them from
another, so every access holds one lock, and `Stats.wait_for` sleeps on a condition that each
change notifies: tests wait for a state instead of sleeping.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["CloseReason", "ConnectionRecord", "RequestRecord", "Stats", "redact", "redact_headers"]

#: How a connection ended: the client's FIN or RST, or the server's FIN or RST.
CloseReason = Literal["client_fin", "client_reset", "server_close", "server_reset"]

_KEEP = 10_000  # records kept, so that a long-running CLI session does not grow without end
_SECRET_HEADERS = frozenset({"x-api-key", "authorization", "proxy-authorization", "cookie"})


def redact(secret: str) -> str:
    """Mask a credential: ``sk-…wxyz`` for a long key, a bare ``…`` for a short one."""
    scheme, space, token = secret.partition(" ")
    if space and scheme.lower() in ("bearer", "basic"):
        return f"{scheme} {redact(token)}"
    return f"{secret[:3]}…{secret[-4:]}" if len(secret) >= 16 else "…"


def redact_headers(headers: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """Return *headers* as pairs, with every credential masked by `redact`."""
    return tuple(
        (name, redact(value) if name in _SECRET_HEADERS else value)
        for name, value in headers.items()
    )


@dataclass(frozen=True, slots=True)
class ConnectionRecord:
    """One TCP connection the emulator accepted.

    Attributes:
        id: numbered from 1 in the order connections were accepted.
        peer: the client's address.
        origin: ``"primary"`` or ``"target"`` (the redirect target's port).
        close_reason: ``None`` while open; then who closed it and how.
        bytes_received: request bytes read from the socket.
        bytes_sent: response body bytes the emulator wrote (headers not counted).
        requests: requests served on this connection.
    """

    id: int
    peer: tuple[str, int]
    origin: str
    close_reason: CloseReason | None = None
    bytes_received: int = 0
    bytes_sent: int = 0
    requests: int = 0

    @property
    def open(self) -> bool:
        """Whether the connection is still open."""
        return self.close_reason is None


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request the emulator received, as tests need to see it.

    Attributes:
        request_id: the ``request-id`` the emulator answered with.
        connection_id: the `ConnectionRecord` it came on (``None`` outside the server).
        origin: ``"primary"`` or ``"target"``.
        method: the HTTP method.
        path: the request path.
        scenario: the fault scenario applied (``"F03"`` …), or ``None`` for a normal answer.
        options: the scenario options in force.
        conversation: the key attempts are counted under (``x-emulator-key`` or a body hash).
        attempt: this request's number within its conversation, from 1.
        headers: the request headers, credentials redacted.
        api_key: the credential presented, redacted, or ``None`` when there was none.
        model: the requested model, when the body had one.
        stream: whether the body asked for ``"stream": true``.
        body: the raw request body.
        status: the HTTP status sent, ``None`` while no headers went out.
        events_sent: SSE events written.
        bytes_sent: response body bytes written.
        stalled: whether the response is (or was) held by a stall.
        outcome: ``"pending"``, ``"complete"``, ``"disconnected"`` (the client left first),
            ``"fin"`` or ``"reset"`` (the emulator cut the connection) or ``"closed"`` (the
            emulator shut down).
        received_at: `time.monotonic` when the request was read.
    """

    request_id: str
    connection_id: int | None
    origin: str
    method: str
    path: str
    scenario: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict[str, Any])
    conversation: str = ""
    attempt: int = 1
    headers: tuple[tuple[str, str], ...] = ()
    api_key: str | None = None
    model: str | None = None
    stream: bool = False
    body: bytes = b""
    status: int | None = None
    events_sent: int = 0
    bytes_sent: int = 0
    stalled: bool = False
    outcome: str = "pending"
    received_at: float = 0.0

    @property
    def has_api_key(self) -> bool:
        """Whether the request carried a credential (``x-api-key`` or ``Authorization``)."""
        return self.api_key is not None

    def header(self, name: str) -> str | None:
        """Return the (redacted) value of header *name*, or ``None``."""
        name = name.lower()
        return next((value for key, value in self.headers if key == name), None)


class Stats:
    """Thread-safe counters and records of one emulator; read them from any thread.

    The newest 10,000 requests and connections are kept (counters count them all).
    """

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.RLock())
        self._connections: dict[int, ConnectionRecord] = {}
        self._requests: dict[str, RequestRecord] = {}
        self._attempts: Counter[str] = Counter()
        self._opened = 0
        self._closed = 0
        self._next_id = 0

    def __repr__(self) -> str:
        return (
            f"<Stats connections: {self.connections_open} open, {self.connections_opened} opened"
            f" | requests: {len(self._requests)}>"
        )

    # -- reading -------------------------------------------------------------------------

    @property
    def connections_opened(self) -> int:
        """Connections accepted since start (or the last `reset`)."""
        with self._cond:
            return self._opened

    @property
    def connections_closed(self) -> int:
        """Connections closed since start (or the last `reset`)."""
        with self._cond:
            return self._closed

    @property
    def connections_open(self) -> int:
        """Connections open now."""
        with self._cond:
            return sum(1 for record in self._connections.values() if record.open)

    def close_reasons(self) -> dict[str, int]:
        """Count closed connections by how they closed (see `CloseReason`)."""
        with self._cond:
            return dict(
                Counter[str](r.close_reason for r in self._connections.values() if r.close_reason)
            )

    def connections(self) -> list[ConnectionRecord]:
        """Return every connection record, oldest first."""
        with self._cond:
            return list(self._connections.values())

    def requests(
        self, *, origin: str | None = None, scenario: str | None = None
    ) -> list[RequestRecord]:
        """Return the request records, oldest first, optionally of one origin or scenario."""
        with self._cond:
            return [
                r
                for r in self._requests.values()
                if (origin is None or r.origin == origin)
                and (scenario is None or r.scenario == scenario)
            ]

    def requests_by_scenario(self) -> dict[str, int]:
        """Count requests by scenario; normal answers count under ``"none"``."""
        with self._cond:
            return dict(Counter(r.scenario or "none" for r in self._requests.values()))

    def attempts(self, conversation: str) -> int:
        """Return how many requests arrived for *conversation* (see `RequestRecord`)."""
        with self._cond:
            return self._attempts[conversation]

    def wait_for(self, predicate: Callable[[Stats], bool], timeout: float = 5.0) -> bool:
        """Block until ``predicate(self)`` holds or *timeout* seconds pass; return whether so."""
        with self._cond:
            return self._cond.wait_for(lambda: predicate(self), timeout)

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until no connection is open and no request is pending; return whether so."""
        return self.wait_for(
            lambda s: s.connections_open == 0 and all(r.outcome != "pending" for r in s.requests()),
            timeout,
        )

    def reset(self) -> None:
        """Forget closed connections, requests and attempt counts; open connections stay."""
        with self._cond:
            self._connections = {k: v for k, v in self._connections.items() if v.open}
            self._requests.clear()
            self._attempts.clear()
            self._opened = len(self._connections)
            self._closed = 0
            self._cond.notify_all()

    # -- writing, from the server's loop ------------------------------------------------

    def note_open(self, peer: tuple[str, int], origin: str) -> int:
        """Record a new connection and return its id."""
        with self._cond:
            self._next_id += 1
            self._connections[self._next_id] = ConnectionRecord(self._next_id, peer, origin)
            if len(self._connections) > _KEEP:
                oldest = next((k for k, v in self._connections.items() if not v.open), None)
                if oldest is not None:
                    del self._connections[oldest]
            self._opened += 1
            self._cond.notify_all()
            return self._next_id

    def note_connection(self, connection_id: int, **changes: Any) -> None:
        """Change fields of a connection record; ``bytes_*`` and ``requests`` add up."""
        with self._cond:
            record = self._connections.get(connection_id)
            if record is None:
                return
            for name in ("bytes_received", "bytes_sent", "requests"):
                if name in changes:
                    changes[name] += getattr(record, name)
            if changes.get("close_reason") and record.close_reason is None:
                self._closed += 1
            elif record.close_reason is not None:
                changes.pop("close_reason", None)  # the first reason observed is the true one
            self._connections[connection_id] = dataclasses.replace(record, **changes)
            self._cond.notify_all()

    def note_request(self, record: RequestRecord) -> RequestRecord:
        """Record a new request, numbering its attempt within its conversation."""
        with self._cond:
            self._attempts[record.conversation] += 1
            record = dataclasses.replace(
                record, attempt=self._attempts[record.conversation], received_at=time.monotonic()
            )
            self._requests[record.request_id] = record
            if len(self._requests) > _KEEP:
                del self._requests[next(iter(self._requests))]
            if record.connection_id is not None:
                self.note_connection(record.connection_id, requests=1)
            self._cond.notify_all()
            return record

    def note_progress(self, request_id: str, **changes: Any) -> None:
        """Change fields of a request record; ``events_sent`` and ``bytes_sent`` add up."""
        with self._cond:
            record = self._requests.get(request_id)
            if record is None:
                return
            sent = changes.get("bytes_sent", 0)
            for name in ("events_sent", "bytes_sent"):
                if name in changes:
                    changes[name] += getattr(record, name)
            self._requests[request_id] = dataclasses.replace(record, **changes)
            if sent and record.connection_id is not None:
                self.note_connection(record.connection_id, bytes_sent=sent)
            self._cond.notify_all()
