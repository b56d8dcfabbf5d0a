"""The sync `Client`'s urllib3 transport: its default with the ``fast`` extra installed.

urllib3 2.x reads a streamed body at the raw socket's cost (bench/README-speed: ours over
it 168 µs per event paced against 269 over httpx, 1.1 to 1.6 times less across runs). This is an
httpx transport over a ``urllib3.PoolManager`` that keeps what `_sync` needs of httpcore:

- **The socket, before the response headers.** Each connection reports its socket to the
  request's ``trace`` extension as httpcore does (``connection.connect_tcp.complete``), when
  it connects and when it is taken from the pool to send, so that ``abort()`` and the
  deadline shut it down at once, headers or not; the response carries it as
  ``network_stream`` too.
- **Timeouts**: a request's connect and read timeouts (read applies per read); no pool wait
  (``block=False``).
- **Errors**: urllib3's become the httpx errors httpx would raise.
- **A body cut short** closes its connection; only a body read to its end goes back to the
  pool.
"""

from __future__ import annotations

import contextvars
import functools
import http.client
import importlib.metadata
import socket
import ssl
import traceback
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    import urllib3

__all__ = ["SyncUrllib3Transport", "raw_pieces", "urllib3_available"]

_Trace = Callable[[str, dict[str, Any]], None]
#: The ``trace`` of the request this thread is sending: its connection reports its socket.
_TRACE: contextvars.ContextVar[_Trace | None] = contextvars.ContextVar(
    "anthropic_rx_urllib3_trace", default=None
)
_PIECE = 64 * 1024
#: The response extension that carries its `_Body`, for `raw_pieces`.
_BODY = "anthropic_rx.urllib3_body"


def _urllib3() -> Any:
    """The urllib3 module (an optional dependency), imported when first used."""
    import urllib3

    return urllib3


@functools.cache
def urllib3_available() -> bool:
    """Whether urllib3 2.x is installed."""
    try:
        version = importlib.metadata.version("urllib3")
    except importlib.metadata.PackageNotFoundError:
        return False
    return int(version.split(".")[0]) >= 2


class _Stream:
    """What `_sync._Attempt.bind` asks of a network stream: its socket."""

    __slots__ = ("_sock",)

    def __init__(self, sock: socket.socket | None) -> None:
        self._sock = sock

    def get_extra_info(self, name: str) -> object:
        return self._sock if name == "socket" else None


def _report(sock: socket.socket | None) -> None:
    trace = _TRACE.get()
    if trace is not None and sock is not None:
        trace("connection.connect_tcp.complete", {"return_value": _Stream(sock)})


def _pool_classes() -> dict[str, Any]:
    """urllib3's pool classes, their connections reporting their sockets to `_TRACE`."""
    from urllib3 import connection, connectionpool

    class HTTPConnection(connection.HTTPConnection):
        def connect(self) -> None:
            super().connect()
            _report(self.sock)

        def request(self, *args: Any, **kwargs: Any) -> None:
            _report(self.sock)  # a pooled connection: its socket is known before it sends
            super().request(*args, **kwargs)

    class HTTPSConnection(connection.HTTPSConnection):
        def connect(self) -> None:
            super().connect()
            _report(self.sock)

        def request(self, *args: Any, **kwargs: Any) -> None:
            _report(self.sock)
            super().request(*args, **kwargs)

    # urllib3's connection protocol and its own connection classes disagree for pyright.
    class HTTPPool(connectionpool.HTTPConnectionPool):
        ConnectionCls = HTTPConnection  # pyright: ignore[reportAssignmentType]

    class HTTPSPool(connectionpool.HTTPSConnectionPool):
        ConnectionCls = HTTPSConnection  # pyright: ignore[reportAssignmentType]

    return {"http": HTTPPool, "https": HTTPSPool}


class SyncUrllib3Transport(httpx.BaseTransport):
    """httpx's API over a ``urllib3.PoolManager``; see the module's docstring.

    Args:
        limits: ``max_connections`` is the most connections kept per host.
    """

    def __init__(self, limits: httpx.Limits) -> None:
        self._pool = _urllib3().PoolManager(
            maxsize=limits.max_connections or 10,  # kept per host; more would be logged
            block=False,
            retries=False,
            ssl_context=httpx.create_ssl_context(verify=True),
        )
        self._pool.pool_classes_by_scheme = _pool_classes()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send *request*; its body streams as urllib3 reads it."""
        timeout: dict[str, float | None] = request.extensions.get("timeout", {})
        token = _TRACE.set(request.extensions.get("trace"))
        try:
            response: urllib3.BaseHTTPResponse = self._pool.urlopen(
                request.method,
                str(request.url),
                body=request.read() or None,
                headers=dict(request.headers),
                preload_content=False,
                decode_content=False,
                redirect=False,
                retries=False,
                timeout=_urllib3().Timeout(
                    connect=timeout.get("connect"), read=timeout.get("read")
                ),
            )
        except Exception as exc:
            # http.client's frames hold the key in the header bytes it was sending (a
            # refused connection fails inside ``send(data)``): let no frame below keep it.
            traceback.clear_frames(exc.__traceback__)
            raise _httpx_error(exc) from exc
        finally:
            _TRACE.reset(token)
        sock = getattr(getattr(response, "connection", None), "sock", None)
        body = _Body(response, request)
        return httpx.Response(
            response.status,
            headers=list(response.headers.items()),
            stream=body,
            extensions={
                "http_version": b"HTTP/1.1",
                "reason_phrase": response.reason.encode("latin-1") if response.reason else b"",
                "network_stream": _Stream(sock),
                _BODY: body,
            },
        )

    def close(self) -> None:
        """Close every pooled connection."""
        self._pool.clear()


class _Body(httpx.SyncByteStream):
    """A urllib3 body, piece by piece as it arrives (one HTTP chunk, or one read)."""

    __slots__ = ("_done", "_request", "_response")

    def __init__(self, response: urllib3.BaseHTTPResponse, request: httpx.Request) -> None:
        self._response = response
        self._request = request  # its errors name it, as httpx's own do
        self._done = False

    def __iter__(self) -> Iterator[bytes]:
        response = self._response
        try:
            if getattr(response, "chunked", False):
                yield from response.read_chunked(_PIECE, decode_content=False)
            else:
                while piece := response.read1(_PIECE, decode_content=False):
                    yield piece
        except Exception as exc:
            error = _httpx_error(exc)
            if isinstance(error, httpx.RequestError):
                error.request = self._request
            raise error from exc
        self._done = True

    def close(self) -> None:
        response = self._response
        if not self._done:
            response.close()  # a body cut short: its connection can never serve another
        response.release_conn()


def raw_pieces(response: httpx.Response) -> Iterator[bytes]:
    """*response*'s raw body: from urllib3 directly when it came over this transport.

    The stream's hot loop: httpx's own ``iter_raw`` adds three layers per piece (its client's
    bound stream, the chunker and its byte count) that the event reader does not need. The
    errors are httpx's as with ``iter_raw``; closing the response still closes the body.

    Example:
        >>> pieces = raw_pieces(response)  # doctest: +SKIP
    """
    body = response.extensions.get(_BODY)
    if type(body) is _Body and not response.is_closed:
        return iter(body)
    return response.iter_raw()


def _httpx_error(exc: Exception) -> Exception:
    """The httpx error httpx would raise for a urllib3 error (*exc* itself for others)."""
    from urllib3 import exceptions as e

    if isinstance(exc, httpx.HTTPError) or not isinstance(exc, (e.HTTPError, OSError)):
        return exc
    message = str(exc) or type(exc).__name__
    if isinstance(exc, e.NewConnectionError | e.SSLError | ssl.SSLError):
        return httpx.ConnectError(message)
    if isinstance(exc, e.ProxyError):
        return httpx.ProxyError(message)
    if isinstance(exc, e.ConnectTimeoutError):
        return httpx.ConnectTimeout(message)
    if isinstance(exc, e.ReadTimeoutError | TimeoutError):
        return httpx.ReadTimeout(message)
    if isinstance(exc, e.ProtocolError) and any(
        isinstance(arg, http.client.RemoteDisconnected | http.client.BadStatusLine)
        for arg in exc.args
    ):
        return httpx.RemoteProtocolError(message)
    return httpx.ReadError(message)
