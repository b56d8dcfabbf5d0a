"""`Relay`: one upstream stream served to any number of browser tabs as Server-Sent Events.

The relay subscribes once to the stream (or to the shape an operator pipeline makes of it),
encodes each item once into event-stream bytes with an ``id`` (its index, from 0), and keeps
those bytes in one append-only buffer: the resume buffer (DESIGN.md decision 12). A tab is a
cursor into that buffer, nothing more. A tab that connects, or reconnects with
``Last-Event-ID: n``, is sent events ``n + 1`` onwards from the buffer, then the live ones
as they come, with no second upstream request; after the stream's end, the rest and a last
``end`` event, and a tab that already had the end gets ``204 No Content``, which tells
`EventSource` not to reconnect.

Memory: the buffer holds what was sent (its UTF-8 bytes and 8 bytes an event), shared by
every tab. A tab holds at most one write of ``chunk_bytes`` beyond its server's socket
buffers: a tab that stops reading blocks only its own writer, which gives it up after
``stall_timeout`` seconds (the browser reconnects and resumes from the buffer). The
producer never waits for a tab. Once the stream has ended the relay drops it and keeps only
the buffer; `RelayRegistry` bounds how long and how many.
"""

from __future__ import annotations

import json
import threading
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from typing import Any, final
from urllib.parse import parse_qs

import anyio
from pydantic import BaseModel
from reactivex import Observable, abc
from reactivex.disposable import Disposable

from .._loop import LoopHandle, current_loop
from .._sse import ServerSentEvent, encode_comment, encode_event

__all__ = ["ASGIReceive", "ASGISend", "Encoder", "Relay", "encode_item"]

ASGIReceive = Callable[[], Any]
"""An ASGI ``receive`` callable (awaitable, returning a message dict)."""
ASGISend = Callable[[Mapping[str, Any]], Any]
"""An ASGI ``send`` callable (awaitable)."""
Encoder = Callable[[Any], tuple[str, str]]
"""Turns one relayed item into its SSE ``(event, data)``."""

_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache, no-transform"),
    (b"x-accel-buffering", b"no"),  # nginx: do not buffer the stream
]


def encode_item(item: Any) -> tuple[str, str]:
    """The default `Encoder`: an item's SSE event type and JSON data.

    - a pydantic model (every stream event): its ``type`` field (else its class name) and
      its JSON with the fields it was given (``exclude_unset``): for the API's events, the
      JSON the API sent, without whitespace;
    - a `ServerSentEvent`: its own event and data;
    - a mapping: its ``"type"`` (else ``"message"``) and its JSON;
    - a ``(event, data)`` pair of strings: as is;
    - anything else: ``"message"`` and its JSON.

    Example:
        >>> encode_item({"type": "text", "text": "Hi"})
        ('text', '{"type":"text","text":"Hi"}')
    """
    if isinstance(item, BaseModel):
        name = getattr(item, "type", None)
        return (name if isinstance(name, str) and name else type(item).__name__), (
            item.model_dump_json(exclude_unset=True)
        )
    if isinstance(item, ServerSentEvent):
        return item.event, item.data
    if isinstance(item, Mapping):
        mapping: Mapping[str, Any] = item  # pyright: ignore[reportUnknownVariableType]
        name = mapping.get("type")
        return (name if isinstance(name, str) and name else "message"), _dumps(mapping)
    if isinstance(item, tuple) and len(item) == 2:  # pyright: ignore[reportUnknownArgumentType]
        pair: tuple[Any, Any] = item  # pyright: ignore[reportUnknownVariableType]
        if isinstance(pair[0], str) and isinstance(pair[1], str):
            return pair[0], pair[1]
    return "message", _dumps(item)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


class _Waiters:
    """The tabs waiting for more, per event loop: woken all at once by the next event."""

    __slots__ = ("events", "loops")

    def __init__(self) -> None:
        self.events: dict[int, anyio.Event] = {}
        self.loops: dict[int, LoopHandle] = {}


@final
class Relay:
    """One upstream stream, relayed as ``text/event-stream`` to any number of tabs.

    A `Relay` is an ASGI application: mount it, route to it, or return it from a
    Starlette/FastAPI endpoint (it is called like a response). Each ``GET`` is one tab.

    Args:
        source: the stream (usually a `MessageStream`) or any Observable.
        shape: an operator pipeline choosing what tabs receive (e.g. ``lambda s:
            s.pipe(text_only())``); by default the events as the API sent them. It must
            depend only on the events (no timers), as every tab reads the same output.
        encode: turns an item into its ``(event, data)``; `encode_item` by default.
        abort_when_abandoned: ``None`` (default) keeps streaming when the last tab leaves,
            for later reconnects; a number of seconds aborts the upstream request (closing
            its connection) when no tab has been connected for that long (``0``: at once).
        retry_ms: the reconnection delay advised to browsers (``retry:``), or ``None``.
        keepalive: seconds of silence after which a tab gets a comment line, so proxies
            keep the connection and a vanished tab is noticed.
        stall_timeout: seconds one write to a tab may take; a tab that reads nothing for
            that long is disconnected (it resumes where it was when it reconnects).
        chunk_bytes: the most bytes written to a tab at once (a catching-up tab gets its
            backlog in writes of about this size).

    The stream is subscribed at once. Events keep their order; each has ``id: n``; the
    last one is ``event: end`` with data ``{"ok": true}`` or ``{"ok": false, "error":
    {"type": …, "message": …}}`` (the error's class and words; never a key).

    Example:
        >>> stream = client.messages.stream(model=MODEL, max_tokens=512, messages=msgs)
        >>> relay = Relay(stream, shape=lambda s: s.pipe(text_only()))
        >>> # Starlette / FastAPI: ``return relay`` from a GET endpoint; or any ASGI server:
        >>> # ``await relay(scope, receive, send)``
    """

    def __init__(
        self,
        source: Observable[Any],
        *,
        shape: Callable[[Any], Observable[Any]] | None = None,
        encode: Encoder = encode_item,
        abort_when_abandoned: float | None = None,
        retry_ms: int | None = 1000,
        keepalive: float = 15.0,
        stall_timeout: float = 10.0,
        chunk_bytes: int = 65536,
    ) -> None:
        if abort_when_abandoned is not None and abort_when_abandoned < 0:
            raise ValueError(
                f"abort_when_abandoned must be >= 0 or None, got {abort_when_abandoned}"
            )
        for name, value in (("keepalive", keepalive), ("stall_timeout", stall_timeout)):
            if not value > 0:
                raise ValueError(f"{name} must be > 0 seconds, got {value}")
        if chunk_bytes < 1:
            raise ValueError(f"chunk_bytes must be >= 1, got {chunk_bytes}")
        self._source: Observable[Any] | None = source
        self._encode = encode
        self._abandon = abort_when_abandoned
        self._retry = b"" if retry_ms is None else f"retry: {int(retry_ms)}\n\n".encode()
        self._keepalive = keepalive
        self._stall = stall_timeout
        self._chunk = chunk_bytes
        self._lock = threading.Lock()
        self._wire = bytearray()
        self._offsets = array("Q", [0])  # event i is _wire[_offsets[i]:_offsets[i + 1]]
        self._ended = False
        self._outcome: BaseException | None = None
        self._waiters = _Waiters()
        self._tabs = 0
        self._abandon_token = 0
        self._dropped = 0
        self._on_end: list[Callable[[], None]] = []
        self._keeper: abc.DisposableBase = Disposable()
        observable = shape(source) if shape is not None else source
        keeper = observable.subscribe(self._on_next, self._on_error, self._on_completed)
        with self._lock:
            if self._ended:  # a finished stream replays and ends inside subscribe()
                self._source = None
            else:
                self._keeper = keeper

    # -- the handle ----------------------------------------------------------------------

    @property
    def events(self) -> int:
        """How many events the relay holds, the final ``end`` included once sent."""
        return len(self._offsets) - 1

    @property
    def done(self) -> bool:
        """Whether the stream has ended (its ``end`` event is in the buffer)."""
        return self._ended

    @property
    def error(self) -> BaseException | None:
        """The error the stream ended with, if it did."""
        return self._outcome

    @property
    def tabs(self) -> int:
        """How many tabs are connected now."""
        return self._tabs

    @property
    def dropped(self) -> int:
        """How many tab connections were given up because they stopped reading."""
        return self._dropped

    @property
    def nbytes(self) -> int:
        """The bytes the relay keeps: the events' wire bytes and their offsets."""
        return len(self._wire) + self._offsets.itemsize * len(self._offsets)

    def abort(self) -> None:
        """Stop the upstream stream now (``abort()`` on it, closing its connection).

        Tabs get the events so far and an ``end`` event with the `StreamAbortedError`.
        """
        with self._lock:
            if self._ended:
                return
            source, keeper = self._source, self._keeper
        abort = getattr(source, "abort", None)
        if callable(abort):
            abort()  # a MessageStream tells its subscribers, the relay among them
        keeper.dispose()
        if not self._ended:
            from .._exceptions import StreamAbortedError

            self._end(StreamAbortedError("the stream was aborted before it ended"))

    def on_end(self, callback: Callable[[], None]) -> None:
        """Call *callback* (from any thread) once the stream has ended; at once if it has."""
        with self._lock:
            if not self._ended:
                self._on_end.append(callback)
                return
        callback()

    # -- producing -----------------------------------------------------------------------

    def _on_next(self, item: Any) -> None:
        event, data = self._encode(item)
        self._append(event, data)

    def _on_error(self, error: Exception) -> None:
        self._end(error)

    def _on_completed(self) -> None:
        self._end(None)

    def _end(self, error: BaseException | None) -> None:
        if error is None:
            data = '{"ok":true}'
        else:
            data = _dumps(
                {"ok": False, "error": {"type": type(error).__name__, "message": str(error)}}
            )
        with self._lock:
            if self._ended:
                return
            self._outcome = error
        self._append("end", data, end=True)

    def _append(self, event: str, data: str, *, end: bool = False) -> None:
        with self._lock:
            if self._ended:
                return
            index = len(self._offsets) - 1
            self._wire += encode_event(data, event=event, id=str(index))
            self._offsets.append(len(self._wire))
            callbacks: list[Callable[[], None]] = []
            if end:
                self._ended = True
                self._source = None  # only the buffer is kept: the stream may go
                self._keeper = Disposable()
                callbacks, self._on_end = self._on_end, []
            waiters = self._waiters
            if waiters.events:
                self._waiters = _Waiters()
        if waiters.events:
            for key, signal in waiters.events.items():
                loop = waiters.loops[key]
                if loop.in_loop():
                    signal.set()
                else:
                    loop.call_soon(signal.set)
        for callback in callbacks:
            callback()

    # -- serving -------------------------------------------------------------------------

    def _read(self, cursor: int) -> tuple[bytes, int, bool, anyio.Event | None]:
        """The bytes from event *cursor*, the next cursor, whether ended, or a wake-up."""
        with self._lock:
            count = len(self._offsets) - 1
            if cursor < count:
                offsets = self._offsets
                start = offsets[cursor]
                stop = bisect_right(offsets, start + self._chunk, cursor + 1) - 1
                stop = max(stop, cursor + 1)  # one event bigger than a chunk goes whole
                return bytes(self._wire[start : offsets[stop]]), stop, False, None
            if self._ended:
                return b"", cursor, True, None
            key = threading.get_ident()  # one event loop per thread
            signal = self._waiters.events.get(key)
            if signal is None:
                signal = self._waiters.events[key] = anyio.Event()
                self._waiters.loops[key] = current_loop()
            return b"", cursor, False, signal

    async def __call__(
        self, scope: Mapping[str, Any], receive: ASGIReceive, send: ASGISend
    ) -> None:
        """Serve one tab (an ASGI ``http`` request)."""
        if scope.get("type") != "http":
            raise ValueError(f"a Relay serves HTTP requests, not {scope.get('type')!r}")
        if scope.get("method", "GET") not in ("GET", "HEAD"):
            await _plain(send, 405, b"use GET\n", [(b"allow", b"GET")])
            return
        try:
            last = _last_event_id(scope)
        except ValueError as exc:
            await _plain(send, 400, f"{exc}\n".encode())
            return
        cursor = 0 if last is None else last + 1
        with self._lock:
            count, ended = len(self._offsets) - 1, self._ended
        if cursor > count:
            await _plain(send, 400, f"Last-Event-ID {last} is beyond this stream\n".encode())
            return
        if ended and cursor >= count:
            await _plain(send, 204, b"")  # it had the end: EventSource stops reconnecting
            return
        await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
        if scope.get("method") == "HEAD":
            await send({"type": "http.response.body", "body": b""})
            return
        self._join()
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(_watch_disconnect, receive, group.cancel_scope)
                await self._write(send, cursor)
                group.cancel_scope.cancel()
        finally:
            self._leave()

    async def _write(self, send: ASGISend, cursor: int) -> None:
        first = self._retry
        while True:
            chunk, cursor, ended, signal = self._read(cursor)
            if first:
                chunk, first = first + chunk, b""
            if chunk:
                if not await self._send(send, chunk, more=True):
                    return
                continue
            if ended:
                await self._send(send, b"", more=False)
                return
            assert signal is not None
            with anyio.move_on_after(self._keepalive) as waited:
                await signal.wait()
            if waited.cancelled_caught and not await self._send(send, encode_comment(), more=True):
                return

    async def _send(self, send: ASGISend, body: bytes, *, more: bool) -> bool:
        with anyio.move_on_after(self._stall) as scope:
            await send({"type": "http.response.body", "body": body, "more_body": more})
        if scope.cancelled_caught:
            with self._lock:
                self._dropped += 1
            return False
        return True

    def _join(self) -> None:
        with self._lock:
            self._tabs += 1
            self._abandon_token += 1

    def _leave(self) -> None:
        with self._lock:
            self._tabs -= 1
            if self._tabs or self._ended or self._abandon is None:
                return
            self._abandon_token += 1
            token = self._abandon_token
        if self._abandon == 0:
            self.abort()
            return
        loop = current_loop()
        delay = self._abandon

        async def later() -> None:
            await anyio.sleep(delay)
            with self._lock:
                if token != self._abandon_token:
                    return  # a tab came back
            self.abort()

        loop.spawn(later)


async def _watch_disconnect(receive: ASGIReceive, scope: anyio.CancelScope) -> None:
    while True:
        message = await receive()
        if message.get("type") == "http.disconnect":
            scope.cancel()
            return


async def _plain(
    send: ASGISend, status: int, body: bytes, headers: Iterable[tuple[bytes, bytes]] = ()
) -> None:
    start_headers = [(b"content-type", b"text/plain; charset=utf-8"), *headers]
    await send({"type": "http.response.start", "status": status, "headers": start_headers})
    await send({"type": "http.response.body", "body": body})


def _last_event_id(scope: Mapping[str, Any]) -> int | None:
    """The ``Last-Event-ID`` header, else the ``last_event_id`` query parameter, as an int."""
    value: str | None = None
    for name, raw in scope.get("headers", ()):
        if name.lower() == b"last-event-id":
            value = raw.decode("latin-1").strip()
    if value is None:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        values = query.get("last_event_id") or query.get("lastEventId")
        value = values[-1].strip() if values else None
    if value is None or value == "":
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise ValueError(
            f"Last-Event-ID must be an event number of this stream, got {value[:40]!r}"
        )
    return int(value)
