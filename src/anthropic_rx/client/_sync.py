"""One request of the sync `Client`, retries included, on the thread that runs it.

`SyncCall` runs attempts until one succeeds or the retry policy (`_retry`) says stop. For a
stream it runs on the `MessageStream`'s background thread (`SyncRequestSource`); for
``create()`` on the caller's thread.

Bounded time (DESIGN.md decision 8) with blocking sockets: every attempt's httpx timeouts
are cut to what the deadline and the content watchdog leave, and a watchdog thread (only
when ``content_timeout`` or ``deadline`` is set) and `SyncRequestSource.close` interrupt a
blocked read or write by shutting the socket down, which wakes ``recv`` at once, where
closing it from another thread would not. The socket is known from the moment the
connection is made or taken from the pool (httpcore's ``trace`` extension, `_Attempt.trace`),
so an abort or the deadline acts before the response headers too: a server that trickles
its status line cannot hold a request past its deadline. Only the TCP connect itself
cannot be interrupted; ``connect_timeout`` (cut to the deadline) bounds it.

What a request is (its headers and key, the status check, the retry plan, the event gate)
is `_call.RequestCore`, shared with `_async`: this module keeps the threads and sockets.
"""

from __future__ import annotations

import contextlib
import inspect
import socket
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

import httpx

from .._exceptions import (
    AnthropicRxError,
    ContentTimeoutError,
    DeadlineExceededError,
    StreamAbortedError,
)
from ..events import Message
from ._call import Attempt, RequestCore
from ._config import Settings
from ._hooks import sync_watched
from ._http import is_event_stream, read_body, read_some
from ._info import StreamInfo
from ._params import RequestParts
from ._reader import Annotate, Emit
from ._urllib3 import raw_pieces

__all__ = ["SyncCall", "SyncRequestSource", "sync_create"]

_T = TypeVar("_T")
_SLACK = 0.01  # seconds: a socket timeout may fire this much before its limit


class _Attempt(Attempt):
    """`Attempt` with its clocks, and the socket a watchdog or an abort may shut down."""

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.lock = threading.Lock()
        self.activity = time.monotonic()  # the content clock: pings do not move it
        self.reason: str | None = None  # "abort", "content" or "deadline" once interrupted
        self.ended = threading.Event()
        self._socket: socket.socket | None = None
        self._shared = False  # an HTTP/2 connection: its socket carries other streams too

    def trace(self, name: str, info: Mapping[str, Any]) -> None:
        """httpcore's ``trace`` extension: learn the socket before any response byte.

        A new connection's socket comes with ``connect_tcp`` and, over TLS, ``start_tls``;
        a pooled one's from the connection about to send (the caller's ``self``, found on
        the stack, since httpcore names no stream in that event). Called a few times per
        request, never per event.
        """
        if name.endswith(("connect_tcp.complete", "start_tls.complete")):
            self.bind(info.get("return_value"))
        elif name.endswith("send_request_headers.started"):
            self.note_trace(name, info)
            frame = inspect.currentframe()
            connection: object = None
            for _ in range(8):  # Trace.trace, Trace.__enter__, then the connection
                frame = frame.f_back if frame is not None else None
                connection = frame.f_locals.get("self") if frame else None
                stream = getattr(connection, "_network_stream", None)
                if stream is not None:
                    if hasattr(connection, "_h2_state"):
                        self.share()  # HTTP/2 (an http_client= with http2=True)
                    else:
                        self.bind(stream)
                    break
            del frame, connection

    def bind(self, stream: object) -> None:
        """Shut down *stream*'s socket on interrupt (at once if one already came)."""
        get_extra_info = getattr(stream, "get_extra_info", None)
        sock = get_extra_info("socket") if get_extra_info is not None else None
        if isinstance(sock, socket.socket):
            with self.lock:
                if self._shared:
                    return
                self._socket = sock
                if self.reason is not None:
                    self._shutdown()

    def share(self) -> None:
        """The connection multiplexes streams (HTTP/2): never shut its socket down.

        Shutting it would break every other stream on it; an abort or the deadline then
        acts when the stream's next bytes come or its (capped) read timeout passes.
        """
        with self.lock:
            self._shared = True
            self._socket = None

    def attach(self, response: httpx.Response) -> None:
        if response.http_version == "HTTP/2":
            self.share()
        else:
            self.bind(response.extensions.get("network_stream"))

    def detach(self) -> None:
        # Before the response is closed: a pooled connection's socket must never be shut.
        with self.lock:
            self._socket = None

    def interrupt(self, reason: str) -> None:
        with self.lock:
            if self.reason is None:
                self.reason = reason
            self._shutdown()

    def _shutdown(self) -> None:
        if self._socket is not None:
            # OSError: already closed by the peer, and the read is ending anyway. The base
            # class's method even for TLS: SSLSocket.shutdown() would also drop the SSL
            # object under the reading thread.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(self._socket, socket.SHUT_RDWR)


class SyncCall(Generic[_T]):
    """Send one request with retries; `close` may be called from any thread to abort it."""

    def __init__(self, core: RequestCore[httpx.Client]) -> None:
        self.core = core
        self._lock = threading.Lock()
        self._closed = False
        self._wake = threading.Event()
        self._attempt: _Attempt | None = None
        self._deadline_at: float | None = None

    def close(self) -> None:
        """Abort: wake a retry's sleep, interrupt a blocked read. Any thread, any number."""
        with self._lock:
            self._closed = True
            attempt = self._attempt
        self._wake.set()
        if attempt is not None:
            attempt.interrupt("abort")

    def run(self, read: Callable[[httpx.Response, _Attempt], _T]) -> _T:
        """Run attempts until *read* returns for one, or raise the last attempt's error."""
        core = self.core
        if core.settings.deadline is not None:
            self._deadline_at = time.monotonic() + core.settings.deadline
        retries = 0
        with Annotate(core.info):
            while True:
                attempt = self._begin()
                try:
                    return self._send(attempt, read)
                except StreamAbortedError:
                    raise
                except AnthropicRxError as error:
                    if self._closed:
                        raise StreamAbortedError("the request was aborted") from error
                    delay = core.retry_delay(error, retries, attempt, self._time_left())
                    if delay is None:
                        raise
                finally:
                    attempt.ended.set()
                    with self._lock:
                        self._attempt = None
                if self._wake.wait(delay):
                    raise StreamAbortedError("the request was aborted")
                retries += 1

    def _time_left(self) -> float | None:
        return None if self._deadline_at is None else self._deadline_at - time.monotonic()

    def _begin(self) -> _Attempt:
        with self._lock:
            if self._closed:
                raise StreamAbortedError("the request was aborted")
            attempt = self._attempt = _Attempt(self.core.info.note_attempt())
        if self._deadline_at is not None or self.core.content_timeout is not None:
            threading.Thread(
                target=self._watch, args=(attempt,), name="anthropic-rx-watchdog", daemon=True
            ).start()
        return attempt

    def _watch(self, attempt: _Attempt) -> None:
        """Interrupt *attempt* when the deadline passes or no content came for too long."""
        content = self.core.content_timeout
        while True:
            due = [self._deadline_at or float("inf")]
            if content is not None:
                due.append(attempt.activity + content)
            if attempt.ended.wait(max(0.0, min(due) - time.monotonic())):
                return
            now = time.monotonic()
            if self._deadline_at is not None and now >= self._deadline_at:
                attempt.interrupt("deadline")
                return
            if content is not None and now >= attempt.activity + content:
                attempt.interrupt("content")
                return

    def _timeouts(self, attempt: _Attempt) -> httpx.Timeout:
        """This attempt's limits: none may outlast the deadline or the content watchdog."""
        core = self.core
        caps = [c for c in (self._time_left(), core.content_timeout) if c is not None]
        cap = max(min(caps), 0.001) if caps else float("inf")
        connect, read = min(core.settings.connect_timeout, cap), min(core.read_timeout, cap)
        return httpx.Timeout(connect=connect, read=read, write=read, pool=read)

    def _send(self, attempt: _Attempt, read: Callable[[httpx.Response, _Attempt], _T]) -> _T:
        core = self.core
        request = core.request(attempt, self._timeouts(attempt), attempt.trace)
        try:
            response = core.http.send(request, stream=True, follow_redirects=False)
        except BaseException as exc:
            attempt.detach()
            core.sent(request, attempt, exc)
            if isinstance(exc, httpx.HTTPError):
                raise self._translate(exc, attempt) from exc
            raise
        core.sent(request, attempt, response=response)
        try:
            attempt.attach(response)
            if core.check(response, attempt):
                raise core.status_failure(response, self._error_body(response), attempt)
            return read(response, attempt)
        except httpx.HTTPError as exc:
            raise self._translate(exc, attempt) from exc
        finally:
            attempt.detach()
            response.close()

    @staticmethod
    def _error_body(response: httpx.Response) -> bytes:
        try:
            return read_some(response)
        except httpx.HTTPError:
            return b""  # the status says enough; the body broke off

    def _translate(self, exc: httpx.HTTPError, attempt: _Attempt) -> AnthropicRxError:
        """Name what really happened: an abort, a watchdog, the deadline, or the wire."""
        core = self.core
        settings = core.settings
        now = time.monotonic()
        received = attempt.received
        reason = attempt.reason
        timed_out = isinstance(exc, httpx.TimeoutException)
        if reason == "abort" or self._closed:
            return StreamAbortedError("the request was aborted")
        if reason == "deadline" or (
            timed_out and self._deadline_at is not None and now >= self._deadline_at - _SLACK
        ):
            return DeadlineExceededError(
                f"expected the request to finish within {settings.deadline:g} s (deadline), "
                f"but it had not ({attempt.number} attempts)",
                mid_stream=received,
            )
        content = core.content_timeout
        if reason == "content" or (
            timed_out and content is not None and now >= attempt.activity + content - _SLACK
        ):
            return ContentTimeoutError(
                f"expected a content event at least every {content:g} s (content_timeout), "
                "but none came (pings do not count)",
                mid_stream=received,
            )
        return core.translate(exc, attempt)


class SyncRequestSource:
    """A `SyncSource` for `MessageStream`: one streaming request, read on its thread."""

    def __init__(
        self, http: httpx.Client, settings: Settings, parts: RequestParts, info: StreamInfo
    ) -> None:
        self._call: SyncCall[None] = SyncCall(RequestCore.for_stream(http, settings, parts, info))

    def run(self, emit: Emit) -> None:
        """Send the request and emit its events (see `SyncCall`)."""
        core = self._call.core
        content_timeout = core.content_timeout

        def read(response: httpx.Response, attempt: _Attempt) -> None:
            if not is_event_stream(response):
                raise core.not_event_stream(response, read_some(response), attempt)
            feed, gate = core.open_events(response, attempt, emit)
            for chunk in raw_pieces(response):
                if attempt.reason is not None:
                    break  # interrupted while bytes still flow (a drip under a deadline)
                if feed(chunk) and content_timeout is not None:
                    attempt.activity = time.monotonic()
            if attempt.reason is not None:
                raise httpx.ReadError("interrupted")  # named by SyncCall._translate
            gate.finish()

        self._call.run(read)

    def close(self) -> None:
        """Abort the request from any thread; closing twice is harmless."""
        self._call.close()


def sync_create(
    http: httpx.Client, settings: Settings, parts: RequestParts, info: StreamInfo
) -> Message:
    """Send a non-streaming request with retries and return its `Message`."""

    def read(response: httpx.Response, attempt: _Attempt) -> Message:
        content = read_body(response, settings.max_event_bytes)
        return RequestCore.message(response, content, attempt)

    core = RequestCore.for_json(http, settings, parts, info)
    return sync_watched("chat", info.params, info, lambda: SyncCall[Message](core).run(read))
