"""The HTTP transport of a client we make: with the ``fast`` extra, aiohttp and urllib3.

h11 and httpcore are most of the CPU an event costs over a socket (bench/README-speed: at 50
streams, 173 µs per event over httpx, 51 over aiohttp). With the ``fast`` extra installed
(``pip install 'anthropic-rx[fast]'``: ``httpx-aiohttp``, the official SDK's own fast
option, and urllib3 2.x), an `AsyncClient` we make sends with `AsyncDirectTransport`:
httpx's API above, aiohttp's C parser and pool below, on asyncio; on trio (aiohttp is
asyncio-only) it sends with httpx. A `Client` sends with `_urllib3.SyncUrllib3Transport`.
``http_client=`` still takes any httpx client, and ``transport="httpx"`` keeps plain httpx.

What stays as with httpx, and how:

- **Proxies.** Plain http never goes through one; https follows httpx's proxy variables
  (`async_mounts` reads them as httpx does and sends proxied https with httpx itself).
- **TLS.** Verified with httpx's context (certifi, or ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``).
- **Timeouts.** A request's httpx timeouts map to aiohttp's: connect to ``sock_connect``,
  read (the idle timeout, per read) to ``sock_read``, pool to ``connect``; aiohttp has no
  write timeout (our requests are small).
- **Errors.** aiohttp's errors become the httpx errors httpx itself would raise (a refused
  connection is a ``ConnectError``, a server that hangs up a ``RemoteProtocolError``).
- **The key.** aiohttp's copy of the request headers loses ``x-api-key`` once the response
  is back (and, on an error, every frame of the traceback, through `_http.forget_key`).
- **Loops.** An aiohttp session belongs to one event loop: each loop gets its own, made on
  first use there; a session whose loop has closed is dropped.
- **HTTP/2.** aiohttp has none; pass ``http_client=httpx.AsyncClient(http2=True)`` for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import importlib
import importlib.util
import ssl
import threading
import weakref
from collections.abc import AsyncIterator, Callable, Mapping, MutableMapping
from typing import TYPE_CHECKING, Literal, TypeVar, cast

import httpx

from ._urllib3 import urllib3_available

if TYPE_CHECKING:
    import aiohttp

__all__ = [
    "TRANSPORTS",
    "AsyncDirectTransport",
    "TransportName",
    "aiohttp_available",
    "fast_installed",
    "async_mounts",
    "check_transport",
    "direct_content",
    "httpx_error",
    "sync_mounts",
]

TransportName = Literal["auto", "aiohttp", "httpx", "urllib3"]
#: The values of the ``transport=`` option.
TRANSPORTS: tuple[TransportName, ...] = ("auto", "aiohttp", "httpx", "urllib3")
_KEY_HEADER = "x-api-key"
#: The request headers aiohttp is about to send, for the request being sent in this task:
#: once the response is back, the key is taken out of them (as `_http.forget_key` does).
_SENT: contextvars.ContextVar[list[MutableMapping[str, str]] | None] = contextvars.ContextVar(
    "anthropic_rx_sent_headers", default=None
)
_INSTALL = "pip install 'anthropic-rx[fast]'"
#: The key of a response's ``extensions`` that holds aiohttp's body (`direct_content`).
_DIRECT = "anthropic_rx.aiohttp_content"


@functools.cache
def aiohttp_available() -> bool:
    """Whether the ``fast`` extra (httpx-aiohttp, aiohttp) is installed."""
    return all(importlib.util.find_spec(name) is not None for name in ("httpx_aiohttp", "aiohttp"))


def fast_installed() -> bool:
    """Whether the whole ``fast`` extra is installed: then ``"auto"`` means the fast transports.

    urllib3 alone is no sign (``requests`` brings it): the sync client takes it only with
    the extra, or when asked (``transport="urllib3"``).
    """
    return aiohttp_available() and urllib3_available()


def check_transport(value: object) -> None:
    """Refuse a ``transport=`` that is not one of `TRANSPORTS`, or aiohttp when absent.

    Raises:
        TypeError: not a string (an httpx transport goes in ``http_client=``).
        ValueError: an unknown name, or ``"aiohttp"`` without the ``fast`` extra.
    """
    if not isinstance(value, str):
        raise TypeError(
            f"expected transport to be one of {TRANSPORTS}, got {value!r} (pass an httpx "
            "transport as http_client=httpx.AsyncClient(transport=...))"
        )
    if value not in TRANSPORTS:
        raise ValueError(f"expected transport to be one of {TRANSPORTS}, got {value!r}")
    if value == "aiohttp" and not aiohttp_available():
        raise ValueError(
            f"transport='aiohttp' needs the fast extra ({_INSTALL}); it is not installed"
        )
    if value == "urllib3" and not urllib3_available():
        raise ValueError(f"transport='urllib3' needs urllib3 2.x, in the fast extra ({_INSTALL})")


def _environment_proxies() -> Mapping[str, str | None] | None:
    """httpx's own reading of the proxy variables (pattern → proxy URL, None: direct)."""
    try:
        utils = importlib.import_module("httpx._utils")
        read: Callable[[], Mapping[str, str | None]] = utils.get_environment_proxies
    except (ImportError, AttributeError):  # pragma: no cover - an httpx that moved it
        return None
    return read()


_T = TypeVar("_T", httpx.BaseTransport, httpx.AsyncBaseTransport)


def _mounts(direct: _T, proxied: Callable[[httpx.Proxy], _T]) -> dict[str, _T]:
    """*direct* for every URL but https through a proxy variable (*proxied*, httpx's)."""
    mounts: dict[str, _T] = {"all://": direct}
    for pattern, proxy in (_environment_proxies() or {}).items():
        mounts[pattern] = direct if proxy is None else proxied(httpx.Proxy(proxy))  # NO_PROXY
    mounts["http://"] = direct  # never a proxy for plain http (the key would be in clear)
    return mounts


def async_mounts(
    limits: httpx.Limits, transport: TransportName
) -> dict[str, httpx.AsyncBaseTransport]:
    """The mounts of an ``httpx.AsyncClient`` we make: which transport each URL takes.

    Plain http always goes straight to the host. With aiohttp (``"auto"`` with the extra
    installed, or ``"aiohttp"``), every direct request takes one `AsyncDirectTransport`
    and https through a proxy variable takes httpx's proxy transport, as httpx would.

    Raises:
        ValueError: ``"urllib3"``, a sync transport.
    """
    if transport == "urllib3":
        raise ValueError(
            "expected transport='auto', 'aiohttp' or 'httpx' for AsyncClient: urllib3 is "
            "the sync Client's"
        )
    if transport == "httpx" or (transport == "auto" and not fast_installed()):
        return {"http://": httpx.AsyncHTTPTransport(limits=limits)}
    direct = AsyncDirectTransport(limits, forced=transport == "aiohttp")
    return _mounts(
        cast("httpx.AsyncBaseTransport", direct),
        lambda proxy: httpx.AsyncHTTPTransport(proxy=proxy, limits=limits),
    )


def sync_mounts(limits: httpx.Limits, transport: TransportName) -> dict[str, httpx.BaseTransport]:
    """The mounts of an ``httpx.Client`` we make: urllib3 with the ``fast`` extra, else httpx.

    Raises:
        ValueError: ``"aiohttp"``, an async transport.
    """
    if transport == "aiohttp":
        raise ValueError(
            "expected transport='auto', 'httpx' or 'urllib3' for the sync Client: aiohttp is "
            "async only (use it with AsyncClient)"
        )
    if transport == "httpx" or (transport == "auto" and not fast_installed()):
        return {"http://": httpx.HTTPTransport(limits=limits)}
    from ._urllib3 import SyncUrllib3Transport

    return _mounts(
        cast("httpx.BaseTransport", SyncUrllib3Transport(limits)),
        lambda proxy: httpx.HTTPTransport(proxy=proxy, limits=limits),
    )


def _asyncio_loop() -> asyncio.AbstractEventLoop | None:
    """The running asyncio loop, if this task is an asyncio task (not trio, not a guest)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    return loop if asyncio.current_task(loop) is not None else None


class AsyncDirectTransport(httpx.AsyncBaseTransport):
    """Direct requests: aiohttp (httpx-aiohttp) on asyncio, httpx's transport elsewhere.

    Args:
        limits: the pool's size (``max_connections``) and keep-alive expiry.
        forced: ``transport="aiohttp"``: on a loop that is not asyncio, refuse instead of
            falling back to httpx.
    """

    def __init__(self, limits: httpx.Limits, *, forced: bool = False) -> None:
        self._limits = limits
        self._forced = forced
        self._httpx: httpx.AsyncHTTPTransport | None = None
        self._ssl: ssl.SSLContext | None = None
        self._lock = threading.Lock()
        self._by_loop: dict[asyncio.AbstractEventLoop, httpx.AsyncBaseTransport] = {}
        # A client never closed (its loop ended first): at its collection, or at exit, its
        # sessions are let go quietly, as httpx's pool is (aiohttp would log an error).
        weakref.finalize(self, _abandon_closed, self._by_loop)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send *request* with aiohttp on asyncio, with httpx elsewhere."""
        loop = _asyncio_loop()
        if loop is None:
            if self._forced:
                raise RuntimeError(
                    "transport='aiohttp' runs on asyncio only, and this is another loop "
                    "(trio?): use transport='auto' (aiohttp on asyncio, httpx elsewhere)"
                )
            return await self._plain().handle_async_request(request)
        transport = self._by_loop.get(loop) or self._open(loop)
        sent: list[MutableMapping[str, str]] = []
        token = _SENT.set(sent)
        try:
            response = await transport.handle_async_request(request)
        except Exception as exc:  # its frames lose the key in `_http.forget_key`
            mapped = httpx_error(exc)
            if mapped is exc:
                raise
            raise mapped from exc
        finally:
            _SENT.reset(token)
            for headers in sent:  # aiohttp's copy, kept with its response: forget the key
                headers.pop(_KEY_HEADER, None)
        inner = cast("httpx.AsyncByteStream", response.stream)
        response.stream = _Body(inner)
        # aiohttp's own body, read by `direct_content`'s callers without httpx's iterators.
        direct = getattr(inner, "_aiohttp_response", None)
        content = getattr(direct, "content", None)
        if content is not None:
            response.extensions[_DIRECT] = content
        return response

    def _plain(self) -> httpx.AsyncHTTPTransport:
        with self._lock:
            if self._httpx is None:
                self._httpx = httpx.AsyncHTTPTransport(limits=self._limits)
            return self._httpx

    def _open(self, loop: asyncio.AbstractEventLoop) -> httpx.AsyncBaseTransport:
        """Make this loop's aiohttp session; drop those of loops that have closed."""
        from httpx_aiohttp import AiohttpTransport

        with self._lock:
            for other in [other for other in self._by_loop if other.is_closed()]:
                _abandon(self._by_loop.pop(other))
            if self._ssl is None:
                self._ssl = httpx.create_ssl_context(verify=True)
            transport = AiohttpTransport(
                verify=self._ssl,
                limits=self._limits,
                client=_session(self._ssl, self._limits),
            )
            self._by_loop[loop] = transport
            return transport

    async def aclose(self) -> None:
        """Close this loop's session (and httpx's pool); forget every other loop's."""
        loop = _asyncio_loop()
        with self._lock:
            transports = dict(self._by_loop)
            self._by_loop.clear()
            plain, self._httpx = self._httpx, None
        for other, transport in transports.items():
            if other is loop:
                await transport.aclose()
            elif other.is_closed():
                _abandon(transport)
            else:  # a live loop elsewhere: close its session there, without waiting
                with contextlib.suppress(RuntimeError):
                    asyncio.run_coroutine_threadsafe(transport.aclose(), other)
        if plain is not None and loop is None:
            await plain.aclose()


def _session(context: ssl.SSLContext, limits: httpx.Limits) -> aiohttp.ClientSession:
    """An aiohttp session on the running loop, with our pool size, TLS and key hygiene."""
    import aiohttp

    async def headers_sent(
        session: aiohttp.ClientSession,
        context: object,
        params: aiohttp.TraceRequestHeadersSentParams,
    ) -> None:
        sent = _SENT.get()
        if sent is not None:
            sent.append(params.headers)

    trace = aiohttp.TraceConfig()
    trace.on_request_headers_sent.append(headers_sent)
    connector = aiohttp.TCPConnector(
        limit=limits.max_connections or 0,
        keepalive_timeout=limits.keepalive_expiry,
        ssl=context,
    )
    # Proxies are chosen by `async_mounts` (trust_env off); bodies are decoded by us.
    return aiohttp.ClientSession(
        connector=connector, trust_env=False, auto_decompress=False, trace_configs=[trace]
    )


def _abandon_closed(by_loop: dict[asyncio.AbstractEventLoop, httpx.AsyncBaseTransport]) -> None:
    for loop, transport in list(by_loop.items()):
        if loop.is_closed():
            _abandon(transport)


def _abandon(transport: httpx.AsyncBaseTransport) -> None:
    """Forget a session whose loop has closed: it can no longer be closed on its loop."""
    session = getattr(transport, "client", None)
    connector = getattr(session, "connector", None)
    close = getattr(connector, "_close", None)  # marks it closed without the (closed) loop
    if callable(close):
        with contextlib.suppress(Exception):
            close()


class _Body(httpx.AsyncByteStream):
    """An aiohttp body, its errors mapped as `httpx_error` says."""

    __slots__ = ("_inner",)

    def __init__(self, inner: httpx.AsyncByteStream) -> None:
        self._inner = inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._inner:
                yield chunk
        except Exception as exc:
            mapped = httpx_error(exc)
            if mapped is exc:
                raise
            raise mapped from exc

    async def aclose(self) -> None:
        with contextlib.suppress(Exception):  # closing a broken connection may fail: it is shut
            await self._inner.aclose()


def direct_content(response: httpx.Response) -> aiohttp.StreamReader | None:
    """aiohttp's body of *response* when `AsyncDirectTransport` sent it with aiohttp.

    Reading it (``await content.readany()``, ``b""`` at the end) skips httpx's four nested
    body iterators (a few µs an event). aiohttp's errors come out of it as they are: map
    them with `httpx_error`. The idle timeout is aiohttp's ``sock_read``, which holds
    whoever reads; closing the httpx *response* closes aiohttp's, as ever.
    """
    return cast("aiohttp.StreamReader | None", response.extensions.get(_DIRECT))


def httpx_error(exc: BaseException) -> BaseException:
    """The httpx error httpx would raise for an aiohttp error (*exc* itself for others).

    httpx-aiohttp maps most connection errors to ``ConnectTimeout`` (a refused connection,
    a server hanging up mid-stream) and lets others through as aiohttp's own. A body cut
    short (a reset, a close) is a ``ReadError``, a malformed or missing response a
    ``RemoteProtocolError``, as with httpx.
    """
    import aiohttp

    cause: BaseException | None = exc
    if isinstance(exc, httpx.HTTPError) and not isinstance(exc, aiohttp.ClientError):
        cause = exc.__cause__
    if not isinstance(cause, aiohttp.ClientError):
        return exc
    message = str(cause) or type(cause).__name__
    kind: type[httpx.HTTPError]
    if isinstance(cause, aiohttp.ConnectionTimeoutError):
        kind = httpx.ConnectTimeout
    elif isinstance(cause, aiohttp.SocketTimeoutError):
        kind = httpx.ReadTimeout
    elif isinstance(cause, aiohttp.ServerTimeoutError):
        kind = httpx.TimeoutException
    elif isinstance(cause, aiohttp.ClientConnectorError):
        kind = httpx.ConnectError
    elif isinstance(cause, (aiohttp.ServerDisconnectedError, aiohttp.ClientResponseError)):
        kind = httpx.RemoteProtocolError
    else:
        kind = httpx.ReadError
    return kind(message)
