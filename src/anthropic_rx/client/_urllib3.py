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
import io
import re
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
    """Whether urllib3 2.1 or later is installed (``HTTPResponse.read1`` came in 2.1)."""
    try:
        version = importlib.metadata.version("urllib3")
    except importlib.metadata.PackageNotFoundError:
        return False
    release = re.match(r"(\d+)\.(\d+)", version)
    return release is not None and (int(release[1]), int(release[2])) >= (2, 1)


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
        """Close every pooled connection.

        ``PoolManager.clear()`` alone only forgets the pools in urllib3 2.x (its container
        has no dispose function): their idle connections would stay open until collected.
        """
        pools = self._pool.pools
        for key in pools.keys():  # noqa: SIM118 (a copy under its lock; iterating it raises)
            pool = pools.get(key)
            if pool is not None:
                pool.close()
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
        headers_only = getattr(response, "_fp", None)
        if isinstance(headers_only, http.client.HTTPResponse) and headers_only.length == 0:
            # HEAD, 204, 304: no body, whatever Transfer-Encoding says (nothing to wait for)
            headers_only.close()
            self._done = True
            return
        try:
            source = _socket_source(response) if getattr(response, "chunked", False) else None
            if source is not None:
                # One recv and one _Chunked.feed per piece the server wrote (see
                # _socket_source); what http.client buffered with the headers comes first.
                original, buffered, sock = source
                chunked = _Chunked()
                feed, recv = chunked.feed, sock.recv
                data = buffered.read1(-1)  # all http.client buffered, however much it is
                while True:
                    if not data:
                        raise _urllib3().exceptions.ProtocolError("Response ended prematurely")
                    if piece := feed(data):
                        yield piece
                    if chunked.done:
                        break
                    data = recv(_PIECE)
                if chunked.extra:
                    return  # bytes after the body: its connection is closed, never reused
                original.close()  # as urllib3 does: the connection may send again
            elif getattr(response, "chunked", False):
                yield from response.read_chunked(_PIECE, decode_content=False)
            else:
                while piece := response.read1(_PIECE, decode_content=False):
                    yield piece
        except Exception as exc:
            error = _httpx_error(exc)
            if isinstance(error, httpx.ConnectError):  # an SSL error mid-body: a broken read
                error = httpx.ReadError(str(error))
            if isinstance(error, httpx.RequestError):
                error.request = self._request
            raise error from exc
        self._done = True

    def close(self) -> None:
        response = self._response
        if not self._done:
            response.close()  # a body cut short: its connection can never serve another
        response.release_conn()


def _socket_source(
    response: urllib3.BaseHTTPResponse,
) -> tuple[http.client.HTTPResponse, io.BufferedIOBase, socket.socket] | None:
    """What a chunked body is read from without urllib3, or None: urllib3 reads it.

    urllib3 reads a chunk in about a dozen Python calls (a line, then the data and its CRLF
    through http.client's buffered file and socket.py's ``SocketIO``); `_Body` reads what
    the server wrote in one go with one ``recv`` and one `_Chunked.feed`. Read to its end,
    the http.client response is closed as urllib3 closes it, so that http.client may send
    on the connection again and urllib3 takes it back into its pool.
    """
    original = getattr(response, "_fp", None)
    sock = getattr(getattr(response, "connection", None), "sock", None)
    buffered = getattr(original, "fp", None)
    if (
        isinstance(original, http.client.HTTPResponse)
        and isinstance(buffered, io.BufferedIOBase)
        and isinstance(sock, socket.socket)
        and getattr(response, "chunk_left", None) is None
    ):
        return original, buffered, sock
    return None


# `_Chunked`'s states: what the next line is (the data itself is counted by ``_left``).
_SIZE, _DATA_END, _TRAILER, _DONE = 0, 1, 2, 3
_MAX_LINE = 64 * 1024


class _Chunked:
    r"""Sans-I/O HTTP/1.1 chunked decoding: bytes in, the body's bytes out.

    `feed` returns the payload in what it was given (several chunks joined); ``done`` once
    the last chunk and its trailers came, ``extra`` if bytes followed them.

    Example:
        >>> c = _Chunked()
        >>> c.feed(b"5\r\nhello\r\n"), c.feed(b"0\r\n\r\n"), c.done
        (b'hello', b'', True)
    """

    __slots__ = ("_buffer", "_left", "_state", "done", "extra")

    def __init__(self) -> None:
        self._buffer = b""  # an incomplete line
        self._left = 0  # payload bytes still to come of the current chunk
        self._state = _SIZE
        self.done = False  # whether the last chunk and the trailers came
        self.extra = False

    def feed(self, data: bytes) -> bytes:
        """The payload bytes in *data*.

        Raises:
            urllib3.exceptions.ProtocolError: a malformed size line or chunk end.
        """
        if self._state == _SIZE and not self._buffer and not self._left:
            # One whole chunk, as a server writes an event: the hot path.
            nl = data.find(b"\r\n")
            if 0 < nl < 16 and data.endswith(b"\r\n") and (line := data[:nl]).isalnum():
                try:
                    size = int(line, 16)
                except ValueError:
                    size = 0
                if size > 0 and len(data) == nl + size + 4:
                    return data[nl + 2 : nl + 2 + size]
        return self._feed(data)

    def _feed(self, data: bytes) -> bytes:
        from urllib3.exceptions import ProtocolError

        buf = self._buffer + data if self._buffer else data
        self._buffer = b""
        parts: list[bytes] = []
        pos, n = 0, len(buf)
        while pos < n:
            if self._state == _DONE:
                self.extra = True
                break
            if self._left:
                take = min(self._left, n - pos)
                parts.append(buf[pos : pos + take])
                pos += take
                self._left -= take
                continue
            nl = buf.find(b"\r\n", pos)
            if nl < 0:
                if n - pos > _MAX_LINE:
                    raise ProtocolError("Response chunk line exceeded maximum allowed length")
                self._buffer = buf[pos:]
                break
            line = buf[pos:nl]
            pos = nl + 2
            if self._state == _DATA_END:
                if line:
                    raise ProtocolError("Response chunk is longer than its size line says")
                self._state = _SIZE
            elif self._state == _TRAILER:
                if not line:
                    self._state = _DONE
                    self.done = True
            else:
                size_text = line.split(b";", 1)[0].strip()
                try:
                    size = int(size_text, 16)
                except ValueError:
                    raise ProtocolError(f"Invalid chunk size line: {line[:32]!r}") from None
                if not size_text.isalnum():  # int() takes signs and underscores too
                    raise ProtocolError(f"Invalid chunk size line: {line[:32]!r}")
                self._left = size
                self._state = _DATA_END if size else _TRAILER
        return b"".join(parts) if len(parts) != 1 else parts[0]


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
