"""Candidate HTTP transports for our streaming read path, on the live workloads of bench_live.

Run ``python bench/bench_transports.py`` (``--quick`` for a short run). The same raw server
(``live_server.py``, a subprocess on 127.0.0.1, one event per TCP write at 100 events/s, or
the whole body in 64 KiB writes) and the same client CPU measure (``time.process_time``:
every thread of this process, so the Rust clients' own threads count too) as ``bench_live``.
For each transport, two contenders:

* **alone**: the transport reading the body and nothing else (``iter_raw()`` of an httpx
  client over the transport, or the library's own API where it has one: aiohttp, urllib3,
  httpcore);
* **ours over it**: `Client` / `AsyncClient` with ``http_client=httpx.Client(transport=…)``
  → ``final_message()``: what a user would get with it as the default.

Transports: httpx's own (h11 + httpcore); httpcore alone (httpx's layers removed);
``httpx-aiohttp`` (aiohttp's C parser behind httpx's API, async); ``pyqwest`` and
``pyreqwest`` (Rust, reqwest/hyper, through their httpx transports; pyreqwest's own buffers
64 KiB before it hands the response over and reads full default-size pieces, which holds a
short event stream back until its end, so the bench sets that buffer to 0 and reads with
``read_chunk()``); urllib3 2.x (sync,
through a small httpx transport written here); and ``httptools`` (llhttp) under a minimal
httpx transport written here (`LlhttpTransport`, `AsyncLlhttpTransport`), which hands the
body on once per socket read rather than once per HTTP chunk.

Workloads: 1 stream paced, sync and async; 50 streams paced, async; burst (16,000 deltas),
sync and async. Every figure is client CPU µs per event and its ratio to the floor (a raw
socket or asyncio stream, a dechunker, split, jiter).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench_live as live  # noqa: E402

# ---------------------------------------------------------------------------------------------
# httptools (llhttp) under a minimal httpx transport
# ---------------------------------------------------------------------------------------------


class _Parsed:
    """httptools callbacks: headers, body pieces, the end of the message."""

    __slots__ = ("body", "complete", "headers", "headers_done")

    def __init__(self) -> None:
        self.headers: list[tuple[bytes, bytes]] = []
        self.headers_done = False
        self.body: list[bytes] = []
        self.complete = False

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.headers_done = True

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.complete = True


def _request_head(request: httpx.Request, body: bytes) -> bytes:
    lines = [b"%s %s HTTP/1.1" % (request.method.encode(), request.url.raw_path)]
    lines += [b"%s: %s" % (name, value) for name, value in request.headers.raw]
    if "content-length" not in request.headers and "transfer-encoding" not in request.headers:
        lines.append(b"content-length: %d" % len(body))
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _take(parsed: _Parsed) -> bytes:
    piece = parsed.body[0] if len(parsed.body) == 1 else b"".join(parsed.body)
    parsed.body.clear()
    return piece


class LlhttpTransport(httpx.BaseTransport):
    """A sync HTTP/1.1 transport: a socket per request (kept alive), llhttp parsing.

    Enough to stream a POST's response for the benchmark: no TLS, no proxies, no timeouts
    other than a socket timeout, no HTTP/2.
    """

    def __init__(self) -> None:
        import httptools

        self._parser = httptools.HttpResponseParser
        self._idle: dict[tuple[str, int], list[socket.socket]] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        key = (request.url.host, request.url.port or 80)
        idle = self._idle.setdefault(key, [])
        if idle:
            sock = idle.pop()
        else:
            sock = socket.create_connection(key, timeout=60)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        body = request.read()
        sock.sendall(_request_head(request, body) + body)
        parsed = _Parsed()
        parser = self._parser(parsed)
        while not parsed.headers_done:
            data = sock.recv(65536)
            if not data:
                sock.close()
                raise httpx.RemoteProtocolError("the server closed the connection")
            parser.feed_data(data)
        return httpx.Response(
            parser.get_status_code(),
            headers=parsed.headers,
            stream=_LlhttpBody(sock, parser, parsed, idle),
            extensions={"http_version": b"HTTP/1.1"},
        )

    def close(self) -> None:
        for idle in self._idle.values():
            for sock in idle:
                sock.close()
        self._idle.clear()


class _LlhttpBody(httpx.SyncByteStream):
    def __init__(self, sock: socket.socket, parser: Any, parsed: _Parsed, idle: list[Any]) -> None:
        self._sock, self._parser, self._parsed, self._idle = sock, parser, parsed, idle

    def __iter__(self) -> Iterator[bytes]:
        parsed, recv, feed = self._parsed, self._sock.recv, self._parser.feed_data
        while True:
            if parsed.body:
                yield _take(parsed)
            if parsed.complete:
                return
            data = recv(65536)
            if not data:
                raise httpx.RemoteProtocolError("the server closed the connection")
            feed(data)

    def close(self) -> None:
        if self._parsed.complete and self._parser.should_keep_alive():
            self._idle.append(self._sock)
        else:
            self._sock.close()


class AsyncLlhttpTransport(httpx.AsyncBaseTransport):
    """`LlhttpTransport` on asyncio streams."""

    def __init__(self) -> None:
        import httptools

        self._parser = httptools.HttpResponseParser
        self._idle: dict[tuple[str, int], list[Any]] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        key = (request.url.host, request.url.port or 80)
        idle = self._idle.setdefault(key, [])
        if idle:
            reader, writer = idle.pop()
        else:
            reader, writer = await asyncio.open_connection(*key)
        body = await request.aread()
        writer.write(_request_head(request, body) + body)
        parsed = _Parsed()
        parser = self._parser(parsed)
        while not parsed.headers_done:
            data = await reader.read(65536)
            if not data:
                writer.close()
                raise httpx.RemoteProtocolError("the server closed the connection")
            parser.feed_data(data)
        return httpx.Response(
            parser.get_status_code(),
            headers=parsed.headers,
            stream=_AsyncLlhttpBody(reader, writer, parser, parsed, idle),
            extensions={"http_version": b"HTTP/1.1"},
        )

    async def aclose(self) -> None:
        for idle in self._idle.values():
            for _, writer in idle:
                writer.close()
        self._idle.clear()


class _AsyncLlhttpBody(httpx.AsyncByteStream):
    def __init__(self, reader: Any, writer: Any, parser: Any, parsed: _Parsed, idle: Any) -> None:
        self._reader, self._writer = reader, writer
        self._parser, self._parsed, self._idle = parser, parsed, idle

    async def __aiter__(self) -> AsyncIterator[bytes]:
        parsed, read, feed = self._parsed, self._reader.read, self._parser.feed_data
        while True:
            if parsed.body:
                yield _take(parsed)
            if parsed.complete:
                return
            data = await read(65536)
            if not data:
                raise httpx.RemoteProtocolError("the server closed the connection")
            feed(data)

    async def aclose(self) -> None:
        if self._parsed.complete and self._parser.should_keep_alive():
            self._idle.append((self._reader, self._writer))
        else:
            self._writer.close()


# ---------------------------------------------------------------------------------------------
# urllib3 2.x under a minimal httpx transport (sync)
# ---------------------------------------------------------------------------------------------


class Urllib3Transport(httpx.BaseTransport):
    """httpx over a ``urllib3.PoolManager``: the body as urllib3 streams it."""

    def __init__(self) -> None:
        import urllib3

        self._pool = urllib3.PoolManager(maxsize=100, retries=False)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._pool.urlopen(
            request.method,
            str(request.url),
            body=request.read(),
            headers=dict(request.headers),
            preload_content=False,
            decode_content=False,
            redirect=False,
        )
        return httpx.Response(
            response.status,
            headers=list(response.headers.items()),
            stream=_Urllib3Body(response),
            extensions={"http_version": b"HTTP/1.1"},
        )

    def close(self) -> None:
        self._pool.clear()


class _Urllib3Body(httpx.SyncByteStream):
    def __init__(self, response: Any) -> None:
        self._response = response

    def __iter__(self) -> Iterator[bytes]:
        yield from self._response.stream(65536, decode_content=False)

    def close(self) -> None:
        self._response.release_conn()


# ---------------------------------------------------------------------------------------------
# pyreqwest, streaming: its httpx transport buffers up to 64 KiB of the body before it hands
# the response over, then reads with ``read()``, which waits for a full default-size piece,
# so a short event stream arrives in one piece at its end. These set the buffer to 0 and read
# ``read_chunk()``: each piece as it arrives.
# ---------------------------------------------------------------------------------------------


LIMIT = 0  # pyreqwest's buffer before the response is handed over (64 KiB by default)


def pyreqwest_transports() -> tuple[type[httpx.BaseTransport], type[httpx.AsyncBaseTransport]]:
    from pyreqwest.compatibility.httpx import transport as compat

    class _Chunks(compat.ResponseStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            while (chunk := await self._body_reader.read_chunk()) is not None:
                yield bytes(chunk)

    class _SyncChunks(compat.SyncResponseStream):
        def __iter__(self) -> Iterator[bytes]:
            while (chunk := self._body_reader.read_chunk()) is not None:
                yield bytes(chunk)

    class Streaming(compat.HttpxTransport):
        async def _map_response(self, builder: Any, request: httpx.Request) -> httpx.Response:
            stack = contextlib.AsyncExitStack()
            builder = builder.streamed_read_buffer_limit(LIMIT)
            response = await stack.enter_async_context(builder.build_streamed())
            return compat.build_httpx_response(response, response_stream=_Chunks(response, stack))

    class SyncStreaming(compat.SyncHttpxTransport):
        def _map_response(self, builder: Any, request: httpx.Request) -> httpx.Response:
            stack = contextlib.ExitStack()
            builder = builder.streamed_read_buffer_limit(LIMIT)
            response = stack.enter_context(builder.build_streamed())
            return compat.build_httpx_response(
                response, response_stream=_SyncChunks(response, stack)
            )

    return SyncStreaming, Streaming


# ---------------------------------------------------------------------------------------------
# the contenders
# ---------------------------------------------------------------------------------------------

Make = Callable[[str], tuple[live.SyncOnce, Any]]
AMake = Callable[[str], Awaitable[tuple[live.AsyncOnce, Any]]]


def installed(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def sync_transports() -> dict[str, Callable[[], httpx.BaseTransport]]:
    out: dict[str, Callable[[], httpx.BaseTransport]] = {
        "httpx (h11, httpcore)": httpx.HTTPTransport
    }
    if installed("httptools"):
        out["httptools (llhttp), bench transport"] = LlhttpTransport
    if installed("urllib3"):
        out["urllib3 2.x, bench transport"] = Urllib3Transport
    if installed("pyqwest"):
        import pyqwest
        from pyqwest.httpx import PyqwestTransport

        out["pyqwest"] = lambda: PyqwestTransport(pyqwest.SyncHTTPTransport(enable_otel=False))
    if installed("pyreqwest"):
        out["pyreqwest, read_chunk()"] = pyreqwest_transports()[0]
    return out


def async_transports() -> dict[str, Callable[[], httpx.AsyncBaseTransport]]:
    out: dict[str, Callable[[], httpx.AsyncBaseTransport]] = {
        "httpx (h11, httpcore)": lambda: httpx.AsyncHTTPTransport(
            limits=httpx.Limits(max_connections=1000, max_keepalive_connections=100)
        )
    }
    if installed("httptools"):
        out["httptools (llhttp), bench transport"] = AsyncLlhttpTransport
    if installed("httpx_aiohttp"):
        from httpx_aiohttp import AiohttpTransport

        out["httpx-aiohttp"] = lambda: AiohttpTransport(
            limits=httpx.Limits(max_connections=1000, max_keepalive_connections=100)
        )
    if installed("pyqwest"):
        import pyqwest
        from pyqwest.httpx import AsyncPyqwestTransport

        out["pyqwest"] = lambda: AsyncPyqwestTransport(pyqwest.HTTPTransport(enable_otel=False))
    if installed("pyreqwest"):
        out["pyreqwest, read_chunk()"] = pyreqwest_transports()[1]
    return out


def sync_contenders() -> dict[tuple[str, str], Make]:
    out: dict[tuple[str, str], Make] = {("floor (raw socket)", "alone"): live.floor_sync}
    out["httpcore alone", "alone"] = httpcore_sync
    if installed("urllib3"):
        out["urllib3 2.x, own API", "alone"] = urllib3_sync
    for name, make in sync_transports().items():
        out[name, "alone"] = lambda url, m=make: live.httpx_sync(url, m())
        out[name, "ours"] = lambda url, m=make: live.ours_sync(
            url, httpx.Client(transport=m(), timeout=60)
        )
    return out


def async_contenders() -> dict[tuple[str, str], AMake]:
    out: dict[tuple[str, str], AMake] = {("floor (asyncio stream)", "alone"): live.floor_async}
    out["httpcore alone", "alone"] = httpcore_async
    if installed("aiohttp"):
        out["aiohttp, own API", "alone"] = aiohttp_async
    for name, make in async_transports().items():

        async def alone(url: str, m: Any = make) -> Any:
            return await live.httpx_async(url, m())

        async def ours(url: str, m: Any = make) -> Any:
            return await live.ours_async(url, httpx.AsyncClient(transport=m(), timeout=60))

        out[name, "alone"] = alone
        out[name, "ours"] = ours
    return out


def httpcore_sync(url: str) -> tuple[live.SyncOnce, Any]:
    import httpcore

    pool = httpcore.ConnectionPool(max_connections=1000)

    def once(s: str) -> int:
        size = 0
        with pool.stream(
            "POST",
            url + "/v1/messages",
            headers={"x-bench": s, "host": "127.0.0.1"},
            content=live.REQUEST,
        ) as response:
            for piece in response.iter_stream():
                size += len(piece)
        return live.check_bytes(s, size)

    return once, pool.close


async def httpcore_async(url: str) -> tuple[live.AsyncOnce, Any]:
    import httpcore

    pool = httpcore.AsyncConnectionPool(max_connections=1000)

    async def once(s: str) -> int:
        size = 0
        async with pool.stream(
            "POST",
            url + "/v1/messages",
            headers={"x-bench": s, "host": "127.0.0.1"},
            content=live.REQUEST,
        ) as response:
            async for piece in response.aiter_stream():
                size += len(piece)
        return live.check_bytes(s, size)

    return once, pool.aclose


def urllib3_sync(url: str) -> tuple[live.SyncOnce, Any]:
    import urllib3

    pool = urllib3.PoolManager(maxsize=100, retries=False)

    def once(s: str) -> int:
        response = pool.urlopen(
            "POST", url + "/v1/messages", body=live.REQUEST,
            headers={"x-bench": s, "content-type": "application/json"},
            preload_content=False, decode_content=False,
        )  # fmt: skip
        size = sum(len(piece) for piece in response.stream(65536, decode_content=False))
        response.release_conn()
        return live.check_bytes(s, size)

    return once, pool.clear


async def aiohttp_async(url: str) -> tuple[live.AsyncOnce, Any]:
    import aiohttp

    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1000))

    async def once(s: str) -> int:
        size = 0
        async with session.post(
            url + "/v1/messages", data=live.REQUEST, headers={"x-bench": s}
        ) as response:
            async for piece in response.content.iter_any():
                size += len(piece)
        return live.check_bytes(s, size)

    return once, session.close


# ---------------------------------------------------------------------------------------------
# measuring and the table
# ---------------------------------------------------------------------------------------------

WORKLOADS = (
    ("1 stream paced, sync", "sync", "paced", 1),
    ("1 stream paced, async", "async", "paced", 1),
    ("50 streams paced, async", "async", "paced", 50),
    ("burst, sync", "sync", "burst", 1),
    ("burst, async", "async", "burst", 1),
)


def measure(quick: bool) -> dict[tuple[str, str, str], live.Run]:
    """(workload, transport, alone/ours) → the run."""
    results: dict[tuple[str, str, str], live.Run] = {}
    paced = live.spec("paced", 194 if quick else 494)
    many = live.spec("paced", 94 if quick else 294)
    burst = live.spec("burst", 16_000)
    repeat = 1 if quick else 3
    syncs, asyncs = sync_contenders(), async_contenders()
    with live.server() as url:
        for label, side, mode, streams in WORKLOADS:
            s = burst if mode == "burst" else (paced if streams == 1 else many)
            r = repeat + (1 if mode == "burst" else 0)
            contenders = syncs if side == "sync" else asyncs
            for (name, how), make in contenders.items():
                try:
                    if side == "sync":
                        run = live.measure_sync(make, url, s, r)  # type: ignore[arg-type]
                    else:
                        run = live.measure_async(make, url, s, r, streams)  # type: ignore[arg-type]
                except Exception as exc:  # a candidate that fails is reported, not fatal
                    print(f"  … {label} {name} {how}: FAILED {exc!r}", file=sys.stderr)
                    continue
                results[label, name, how] = run
                print(
                    f"  … {label} {name} {how}: {live.fmt(run)} µs/ev"
                    + (f", wall/ideal {run.behind:.2f}" if mode == "paced" else ""),
                    file=sys.stderr,
                    flush=True,
                )
    return results


def markdown(results: dict[tuple[str, str, str], live.Run]) -> str:
    labels = [w[0] for w in WORKLOADS]
    names = list(dict.fromkeys(name for _, name, _ in results))
    out = [
        "| CPU µs per event (x floor) | " + " | ".join(labels) + " |",
        "| --- |" + " --- |" * len(labels),
    ]
    for name in names:
        for how in ("alone", "ours"):
            cells = []
            for label in labels:
                run = results.get((label, name, how))
                floor = next(
                    (
                        r
                        for (lb, n, _), r in results.items()
                        if lb == label and n.startswith("floor")
                    ),
                    None,
                )
                if run is None:
                    cells.append("—")
                elif floor is None or name.startswith("floor"):
                    cells.append(live.fmt(run))
                else:
                    cells.append(f"{live.fmt(run)} ({run.per_event / floor.per_event:.1f}x)")
            if any(c != "—" for c in cells):
                who = name if how == "alone" else f"**ours** over {name}"
                out.append(f"| {who} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run")
    args = parser.parse_args()
    started = time.perf_counter()
    results = measure(args.quick)
    print(markdown(results))
    print(
        f"\n{os.cpu_count()} cores, Python {sys.version.split()[0]}; "
        f"{'--quick, ' if args.quick else ''}{time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
