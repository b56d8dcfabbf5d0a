"""One request and its response: the writing primitives every scenario is built from.

An `Exchange` writes through ASGI ``send`` (headers, body chunks, the chunked end) and, when
the emulator's own server runs it, reaches under ASGI to the TCP connection: `Exchange.fin`
closes it in the middle of a body and `Exchange.reset` aborts it with an RST. Waits (pacing,
stalls) end early when the client goes away or the emulator stops, so no handler outlives its
connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import socket
import struct
import termios
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from ._generate import Answer
from ._stats import CloseReason, RequestRecord, Stats
from ._wire import Event, JSONObject, dumps

__all__ = ["SSE_TYPE", "Connection", "Exchange", "Hub", "Send", "ratelimit_headers"]

Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

#: The content type of every event stream the API sends.
SSE_TYPE = "text/event-stream; charset=utf-8"
_DRAIN_LIMIT = 2.0  # seconds to wait for the client to acknowledge data before an RST


@dataclass(eq=False)
class Connection:
    """The emulator server's view of one TCP connection, found by the client's address.

    Attributes:
        id: the `ConnectionRecord` id.
        transport: the asyncio transport, for FIN and RST.
        lost: set once the connection is gone.
        reason: how the emulator itself closed it, when it did.
    """

    id: int
    transport: asyncio.Transport
    lost: asyncio.Event = field(default_factory=asyncio.Event)
    reason: CloseReason | None = None


class Hub:
    """State shared by the app, its connections and the thread that controls the emulator."""

    def __init__(self, stats: Stats, *, target_port: int | None = None) -> None:
        self.stats = stats
        self.target_port = target_port
        # Keyed by (client host, client port, server port): one TCP connection each.
        self.connections: dict[tuple[str, int, int], Connection] = {}
        self.live: set[Exchange] = set()
        self.gates: dict[str, asyncio.Event] = {}
        self.closing = False

    def origin(self, local_port: int | None) -> str:
        """Name the origin a request or connection arrived at."""
        return "target" if local_port is not None and local_port == self.target_port else "primary"

    def gate(self, name: str) -> asyncio.Event:
        """Return the gate called *name*, creating it closed."""
        return self.gates.setdefault(name, asyncio.Event())

    def release(self, name: str) -> None:
        """Open gate *name* for every stall waiting on it now or later (until reset)."""
        self.gate(name).set()

    def shut(self) -> None:
        """Stop every response in flight: stalls end, streams stop, connections close."""
        self.closing = True
        for exchange in list(self.live):
            exchange.stop.set()

    def reset(self) -> None:
        """Close every gate again (in place: a stall waiting on one still hears its release)."""
        for gate in self.gates.values():
            gate.clear()


def _unacknowledged(sock: Any) -> int:
    """Bytes the peer has not acknowledged yet (Linux ``SIOCOUTQ``); 0 where unknown."""
    try:
        buffer = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")
    except (OSError, ValueError, AttributeError):
        return 0
    return int(struct.unpack("i", buffer)[0])


def ratelimit_headers(*, exhausted: bool = False, reset_in: float = 1.0) -> dict[str, str]:
    """Return ``anthropic-ratelimit-*`` headers; *exhausted* sets every remaining count to 0."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + reset_in))
    headers: dict[str, str] = {}
    for kind, limit in (
        ("requests", 4000),
        ("input-tokens", 2_000_000),
        ("output-tokens", 400_000),
        ("tokens", 2_400_000),
    ):
        prefix = f"anthropic-ratelimit-{kind}"
        headers[f"{prefix}-limit"] = str(limit)
        headers[f"{prefix}-remaining"] = "0" if exhausted else str(limit - 1)
        headers[f"{prefix}-reset"] = stamp
    return headers


class Exchange:
    """A request being answered: what was asked, and the means to answer it.

    Attributes:
        request_id: the ``request-id`` header of the response.
        options: the scenario options in force.
        stream: whether the request asked for a stream.
        pace: output tokens per second; 0 writes as fast as the client reads.
        attempt: this request's attempt number within its conversation.
        target_url: the base URL of the redirect target origin, when it runs.
        stop: set when the client disconnects or the emulator stops.
    """

    def __init__(
        self,
        hub: Hub,
        send: Send,
        record: RequestRecord,
        *,
        connection: Connection | None,
        options: Mapping[str, Any],
        stream: bool,
        pace: float,
        answer: Callable[[], Answer],
        target_url: str | None,
    ) -> None:
        self.hub = hub
        self.request_id = record.request_id
        self.attempt = record.attempt
        self.options = options
        self.stream = stream
        self.pace = pace
        self.target_url = target_url
        self.stop = asyncio.Event()
        self.disconnected = False
        self._send = send
        self._connection = connection
        self._make_answer = answer
        self._answer: Answer | None = None
        self._started = False
        self._ended = False
        self._outcome: str | None = None

    @property
    def started(self) -> bool:
        """Whether the status line and headers went out."""
        return self._started

    def answer(self) -> Answer:
        """Return the normal answer (generated or replayed), built on first use."""
        if self._answer is None:
            self._answer = self._make_answer()
        return self._answer

    def option(self, name: str, default: Any) -> Any:
        """Return option *name*, or *default* when the request did not set it."""
        return self.options.get(name, default)

    def client_left(self) -> None:
        """Note that the client disconnected (called by the app's disconnect watcher)."""
        self.disconnected = True
        self.stop.set()

    # -- responses --------------------------------------------------------------------

    async def start(
        self, status: int, content_type: str = SSE_TYPE, headers: Mapping[str, str] | None = None
    ) -> None:
        """Send the status line and headers (``request-id`` and rate-limit ones included)."""
        merged = {
            "content-type": content_type,
            "request-id": self.request_id,
            "x-emulator-attempt": str(self.attempt),
            **ratelimit_headers(),
        }
        if content_type == SSE_TYPE:
            merged["cache-control"] = "no-cache"
        merged.update(headers or {})
        raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in merged.items()]
        await self._send({"type": "http.response.start", "status": status, "headers": raw})
        self._started = True
        self.hub.stats.note_progress(self.request_id, status=status)

    async def write(self, data: bytes, *, events: int = 0) -> bool:
        """Write body bytes; return ``False`` (writing nothing) once the response must stop."""
        if self.stop.is_set():
            return False
        if data:
            await self._send({"type": "http.response.body", "body": data, "more_body": True})
        self.hub.stats.note_progress(self.request_id, bytes_sent=len(data), events_sent=events)
        return not self.stop.is_set()

    async def end(self, data: bytes = b"") -> None:
        """Finish the body properly (the chunked terminator) unless the response must stop."""
        if self.stop.is_set():
            return
        await self._send({"type": "http.response.body", "body": data, "more_body": False})
        self.hub.stats.note_progress(self.request_id, bytes_sent=len(data))
        self._ended = True
        self._outcome = "complete"

    async def send_body(
        self, status: int, content_type: str, body: bytes, headers: Mapping[str, str] | None = None
    ) -> None:
        """Send a whole response with a ``content-length``."""
        await self.start(
            status, content_type, {"content-length": str(len(body)), **(headers or {})}
        )
        await self.end(body)

    async def send_json(
        self, status: int, obj: JSONObject, headers: Mapping[str, str] | None = None
    ) -> None:
        """Send *obj* as a JSON response."""
        await self.send_body(status, "application/json", dumps(obj).encode(), headers)

    async def send_error(
        self,
        status: int,
        error_type: str,
        message: str,
        headers: Mapping[str, str] | None = None,
        **details: Any,
    ) -> None:
        """Send the API's error JSON; extra keyword arguments go into ``error``."""
        error = {"type": error_type, "message": message, **details}
        body = {"type": "error", "error": error, "request_id": self.request_id}
        await self.send_json(status, body, headers)

    # -- under ASGI: the TCP connection ------------------------------------------------

    def _require_connection(self) -> Connection:
        if self._connection is None:
            raise RuntimeError("this scenario needs the emulator's own server (Emulator)")
        return self._connection

    async def fin(self) -> None:
        """Close the TCP connection now: buffered bytes go out, then a FIN, no chunked end."""
        connection = self._require_connection()
        connection.reason = connection.reason or "server_close"
        connection.transport.close()
        self._outcome = self._outcome or "fin"
        await connection.lost.wait()

    async def reset(self) -> None:
        """Abort the connection with an RST, once the client has received every byte written."""
        connection = self._require_connection()
        transport = connection.transport
        sock = transport.get_extra_info("socket")
        deadline = time.monotonic() + _DRAIN_LIMIT
        # An RST discards unsent data, so wait until the client's kernel has acknowledged it all.
        while time.monotonic() < deadline and not connection.lost.is_set():
            if transport.get_write_buffer_size() == 0 and _unacknowledged(sock) == 0:
                break
            await asyncio.sleep(0.001)
        if sock is not None and not connection.lost.is_set():
            # SO_LINGER with a zero timeout makes close() send an RST instead of a FIN.
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.reason = connection.reason or "server_reset"
        transport.abort()
        self._outcome = "reset"
        await connection.lost.wait()

    # -- time ----------------------------------------------------------------------------

    async def wait(self, seconds: float, gate: str | None = None) -> str:
        """Wait up to *seconds*; return ``"timeout"``, ``"gate"`` or ``"stop"``."""
        waits = [self.stop] + ([self.hub.gate(gate)] if gate is not None else [])
        tasks = [asyncio.ensure_future(event.wait()) for event in waits]
        try:
            await asyncio.wait(tasks, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
        if self.stop.is_set():
            return "stop"
        return "gate" if gate is not None and self.hub.gate(gate).is_set() else "timeout"

    async def stall(self, seconds: float | None = None) -> str:
        """Hold the response until the ``gate`` option's gate opens, or ``stall`` seconds pass."""
        self.hub.stats.note_progress(self.request_id, stalled=True)
        limit = float(self.option("stall", 3600.0)) if seconds is None else seconds
        return await self.wait(limit, str(self.option("gate", "default")))

    async def stream_events(
        self,
        events: Iterable[Event],
        *,
        split: Callable[[bytes], Iterable[bytes]] | None = None,
        gap: float = 0.0,
    ) -> bool:
        """Write *events* paced at ``pace`` tokens per second; return ``False`` if stopped.

        Args:
            events: the events to write, one write each unless *split* is given.
            split: cuts one event's bytes into several writes.
            gap: seconds between two writes of a split event (0 still yields to the loop).
        """
        for event in events:
            if (
                self.pace > 0
                and event.tokens
                and await self.wait(event.tokens / self.pace) == "stop"
            ):
                return False
            if split is None:
                if not await self.write(event.raw, events=1):
                    return False
                continue
            pieces = list(split(event.raw))
            for i, piece in enumerate(pieces):
                if not await self.write(piece, events=int(i == len(pieces) - 1)):
                    return False
                if gap > 0:
                    if await self.wait(gap) == "stop":
                        return False
                else:
                    await asyncio.sleep(0)  # give the loop a turn so each write leaves alone
        return True

    async def finish(self) -> str:
        """Settle the outcome after the handler returned, closing a response left half-sent."""
        if self._outcome is None and not self.disconnected and self._connection is not None:
            # A stopped stall or an unfinished body must not leave the connection hanging.
            await self.fin()
            self._outcome = "closed" if self.hub.closing else "fin"
        outcome = self._outcome or ("disconnected" if self.disconnected else "closed")
        self.hub.stats.note_progress(self.request_id, outcome=outcome)
        return outcome
