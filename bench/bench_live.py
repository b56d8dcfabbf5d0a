"""The live path: client CPU per event over a real socket, against the SDK, httpx and the floor.

Run ``python bench/bench_live.py`` (``--quick`` for a run of a few minutes on 2 cores,
``--profile`` to add a pyinstrument profile of ours, 1 stream paced, async). A raw asyncio
server (``live_server.py``) runs in a subprocess on 127.0.0.1, so only the client's CPU is
counted (``time.process_time``: every thread of this process, not wall time). It sends
`bench_core.text_stream` bodies, one HTTP chunk per event:

* **paced**: one event per TCP write at 100 events/s per stream, so every event is its own
  read, as with the real API (a stream's ideal wall time is its events / 100);
* **burst**: the whole body in 64 KiB writes.

Contenders, each reading a stream to its final message (or its last byte):

* **ours**: `Client` (sync) / `AsyncClient` (asyncio) → ``final_message()``, on the client's
  default transport (async: aiohttp when the ``fast`` extra is installed);
* **ours on httpx**: the same `AsyncClient` with ``transport="httpx"`` (plain httpx);
* **ours on urllib3**: `Client(transport="urllib3")`, the opt-in urllib3 2.x transport;
* **SDK**: ``anthropic`` 2.15, ``messages.stream(...).get_final_message()``, its default
  httpx2 client, and for async its aiohttp client (``DefaultAioHttpClient``) if installed;
* **httpx alone**: ``iter_raw()`` / ``aiter_raw()`` of the POST, nothing decoded;
* **floor**: a raw socket (sync) or an asyncio stream (async) with a small dechunker, split
  on ``\\n\\n`` and ``jiter.from_json`` per data line: what any Python client must pay.

Then: 1 / 50 / 500 / 1,000 concurrent async streams (wall/ideal, and the largest count that
keeps it ≤ 1.1; every stream checked complete), the peak memory while 16,000 deltas stream
through a `MessageStream` (tracemalloc) against the raw bytes, what it retains after the end,
the garbage collector's share of CPU with 100 streams (``gc.callbacks``), and a late
subscriber's replay cost against one more live view.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import gc
import json
import os
import socket
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jiter

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
try:
    import anthropic_rx as arx
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, str(HERE.parent / "src"))
    import anthropic_rx as arx

import anthropic  # noqa: E402
import bench_core as core  # noqa: E402
import httpx  # noqa: E402
import live_server  # noqa: E402

from anthropic_rx.operators import accumulate, final_message  # noqa: E402

KEY = "sk-ant-bench-0000000000000000"
PACE = 100.0
MODEL = "claude-bench"
MESSAGES = [{"role": "user", "content": "Write about pelicans."}]
REQUEST = json.dumps({"model": MODEL, "max_tokens": 64000, "messages": MESSAGES}).encode()

SyncOnce = Callable[[str], int]
AsyncOnce = Callable[[str], Awaitable[int]]


# ---------------------------------------------------------------------------------------------
# the server
# ---------------------------------------------------------------------------------------------


@contextlib.contextmanager
def server() -> Iterator[str]:
    """Start ``live_server.py`` in a subprocess; yield its base URL."""
    process = subprocess.Popen(
        [sys.executable, str(HERE / "live_server.py")], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


def spec(mode: str, deltas: int, pace: float = PACE) -> str:
    return f"{mode}/{deltas}/{pace:g}"


def events_of(deltas: int) -> int:
    return len(live_server.frames(deltas))


@functools.cache
def text_of(deltas: int) -> str:
    return "".join(core.WORDS[i % len(core.WORDS)] for i in range(deltas))


def deltas_of(s: str) -> int:
    return int(s.split("/")[1])


def check_text(s: str, text: str) -> int:
    """The number of events of *s*'s stream, once *text* is checked against it."""
    n = deltas_of(s)
    if text != text_of(n):
        raise SystemExit(f"{s}: the final text differs ({len(text)} characters)")
    return events_of(n)


@functools.cache
def size_of(deltas: int) -> int:
    return sum(len(f) for f in live_server.frames(deltas))


def check_bytes(s: str, size: int) -> int:
    n = deltas_of(s)
    expected = size_of(n)
    if size != expected:
        raise SystemExit(f"{s}: {size} bytes received, {expected} expected")
    return events_of(n)


# ---------------------------------------------------------------------------------------------
# the floor: a dechunker, split on \n\n, jiter per data line
# ---------------------------------------------------------------------------------------------


class Floor:
    """Sans-I/O: HTTP/1.1 chunked body in, one ``jiter.from_json`` per SSE data line."""

    __slots__ = ("buffer", "done", "events", "left", "skip", "tail")

    def __init__(self) -> None:
        self.buffer = b""
        self.tail = b""
        self.left = 0
        self.skip = 0
        self.events = 0
        self.done = False

    def feed(self, data: bytes) -> None:
        buf = self.buffer + data if self.buffer else data
        pos, n = 0, len(buf)
        parts: list[bytes] = []
        while pos < n:
            if self.left:
                take = min(self.left, n - pos)
                parts.append(buf[pos : pos + take])
                pos += take
                self.left -= take
                if not self.left:
                    self.skip = 2
            elif self.skip:
                take = min(self.skip, n - pos)
                pos += take
                self.skip -= take
            else:
                nl = buf.find(b"\r\n", pos)
                if nl < 0:
                    break
                size = int(buf[pos:nl], 16)
                pos = nl + 2
                if not size:
                    self.done = True  # the trailers are not read
                    pos = n
                    break
                self.left = size
        self.buffer = buf[pos:]
        text = self.tail + b"".join(parts) if self.tail else b"".join(parts)
        frames = text.split(b"\n\n")
        self.tail = frames.pop()
        for frame in frames:
            i = frame.find(b"data: ")
            if i >= 0:
                jiter.from_json(frame[i + 6 :])
                self.events += 1


def request_bytes(s: str) -> bytes:
    return (
        b"POST /v1/messages HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
        b"x-bench: %s\r\ncontent-length: %d\r\n\r\n%s" % (s.encode(), len(REQUEST), REQUEST)
    )


def skip_head(data: bytes) -> bytes | None:
    end = data.find(b"\r\n\r\n")
    return None if end < 0 else data[end + 4 :]


def floor_sync(url: str) -> tuple[SyncOnce, Callable[[], None]]:
    host, port = url.removeprefix("http://").split(":")
    idle: list[socket.socket] = []

    def once(s: str) -> int:
        sock = idle.pop() if idle else socket.create_connection((host, int(port)))
        sock.sendall(request_bytes(s))
        floor, head = Floor(), b""
        while not floor.done:
            data = sock.recv(65536)
            if not data:
                raise SystemExit("the server closed the connection")
            if head is not None:
                head += data
                rest = skip_head(head)
                if rest is None:
                    continue
                head, data = None, rest
            floor.feed(data)
        idle.append(sock)
        return floor.events

    def close() -> None:
        for sock in idle:
            sock.close()

    return once, close


async def floor_async(url: str) -> tuple[AsyncOnce, Callable[[], Awaitable[None]]]:
    host, port = url.removeprefix("http://").split(":")
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def once(s: str) -> int:
        reader, writer = idle.pop() if idle else await asyncio.open_connection(host, int(port))
        writer.write(request_bytes(s))
        floor, head = Floor(), b""
        while not floor.done:
            data = await reader.read(65536)
            if not data:
                raise SystemExit("the server closed the connection")
            if head is not None:
                head += data
                rest = skip_head(head)
                if rest is None:
                    continue
                head, data = None, rest
            floor.feed(data)
        idle.append((reader, writer))
        return floor.events

    async def close() -> None:
        for _, writer in idle:
            writer.close()

    return once, close


# ---------------------------------------------------------------------------------------------
# the contenders
# ---------------------------------------------------------------------------------------------


def ours_sync_urllib3(url: str) -> tuple[SyncOnce, Any]:
    return ours_sync(url, transport="urllib3")


def ours_sync(
    url: str, http_client: httpx.Client | None = None, transport: str = "auto"
) -> tuple[SyncOnce, Any]:
    client = arx.Client(
        api_key=KEY, base_url=url, max_retries=0, http_client=http_client, transport=transport
    )

    def once(s: str) -> int:
        stream = client.messages.stream(
            model=MODEL, max_tokens=64000, messages=MESSAGES, extra_headers={"x-bench": s}
        )
        message = stream.pipe(final_message()).run()
        return check_text(s, message.content[0].text)

    def close() -> None:
        client.close()
        if http_client is not None:
            http_client.close()

    return once, close


async def ours_async(
    url: str, http_client: httpx.AsyncClient | None = None, transport: str = "auto"
) -> tuple[AsyncOnce, Any]:
    client = arx.AsyncClient(
        api_key=KEY, base_url=url, max_retries=0, http_client=http_client, transport=transport
    )

    async def once(s: str) -> int:
        stream = client.messages.stream(
            model=MODEL, max_tokens=64000, messages=MESSAGES, extra_headers={"x-bench": s}
        )
        message = await stream.pipe(final_message())
        return check_text(s, message.content[0].text)

    async def close() -> None:
        await client.aclose()
        if http_client is not None:
            await http_client.aclose()

    return once, close


async def ours_async_httpx(url: str) -> tuple[AsyncOnce, Any]:
    return await ours_async(url, transport="httpx")


def sdk_sync(url: str) -> tuple[SyncOnce, Any]:
    client = anthropic.Anthropic(api_key=KEY, base_url=url, max_retries=0)

    def once(s: str) -> int:
        with client.messages.stream(
            model=MODEL, max_tokens=64000, messages=MESSAGES, extra_headers={"x-bench": s}
        ) as stream:
            message = stream.get_final_message()
        return check_text(s, message.content[0].text)  # type: ignore[union-attr]

    return once, client.close


def _sdk_async(url: str, http_client: Any = None) -> tuple[AsyncOnce, Any]:
    client = anthropic.AsyncAnthropic(
        api_key=KEY, base_url=url, max_retries=0, http_client=http_client
    )

    async def once(s: str) -> int:
        async with client.messages.stream(
            model=MODEL, max_tokens=64000, messages=MESSAGES, extra_headers={"x-bench": s}
        ) as stream:
            message = await stream.get_final_message()
        return check_text(s, message.content[0].text)  # type: ignore[union-attr]

    return once, client.close


async def sdk_async(url: str) -> tuple[AsyncOnce, Any]:
    return _sdk_async(url)


def aiohttp_available() -> bool:
    try:
        anthropic.DefaultAioHttpClient()
    except (RuntimeError, ImportError):
        return False
    return True


async def sdk_aiohttp(url: str) -> tuple[AsyncOnce, Any]:
    return _sdk_async(url, anthropic.DefaultAioHttpClient())


def httpx_sync(url: str, transport: httpx.BaseTransport | None = None) -> tuple[SyncOnce, Any]:
    limits = httpx.Limits(max_connections=1000, max_keepalive_connections=1000)
    client = httpx.Client(base_url=url, limits=limits, transport=transport, timeout=60)

    def once(s: str) -> int:
        size = 0
        with client.stream("POST", "/v1/messages", content=REQUEST, headers={"x-bench": s}) as r:
            for piece in r.iter_raw():
                size += len(piece)
        return check_bytes(s, size)

    return once, client.close


async def httpx_async(
    url: str, transport: httpx.AsyncBaseTransport | None = None
) -> tuple[AsyncOnce, Any]:
    limits = httpx.Limits(max_connections=1000, max_keepalive_connections=1000)
    client = httpx.AsyncClient(base_url=url, limits=limits, transport=transport, timeout=60)

    async def once(s: str) -> int:
        size = 0
        async with client.stream(
            "POST", "/v1/messages", content=REQUEST, headers={"x-bench": s}
        ) as r:
            async for piece in r.aiter_raw():
                size += len(piece)
        return check_bytes(s, size)

    return once, client.aclose


SYNC: dict[str, Callable[[str], tuple[SyncOnce, Any]]] = {
    "ours": ours_sync,
    "ours on urllib3": ours_sync_urllib3,
    "SDK": sdk_sync,
    "httpx alone": httpx_sync,
    "floor": floor_sync,
}
ASYNC: dict[str, Callable[[str], Awaitable[tuple[AsyncOnce, Any]]]] = {
    "ours": ours_async,
    "ours on httpx": ours_async_httpx,
    "SDK": sdk_async,
    "SDK aiohttp": sdk_aiohttp,
    "httpx alone": httpx_async,
    "floor": floor_async,
}


# ---------------------------------------------------------------------------------------------
# measuring
# ---------------------------------------------------------------------------------------------


@dataclass
class Run:
    events: int = 0
    cpu: float = 0.0
    wall: float = 0.0
    ideal: float = 0.0
    lost: int = 0
    gc: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def per_event(self) -> float:
        return self.cpu / self.events if self.events else float("nan")

    @property
    def behind(self) -> float:
        return self.wall / self.ideal if self.ideal else float("nan")


class GcTimer:
    """The CPU time the cyclic garbage collector takes (``gc.callbacks``, thread CPU time)."""

    def __init__(self) -> None:
        self.total = 0.0
        self._start = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._start = time.thread_time()
        else:
            self.total += time.thread_time() - self._start

    def __enter__(self) -> GcTimer:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)


def ideal(s: str) -> float:
    mode, _, pace = s.split("/")
    return (events_of(deltas_of(s)) - 1) / float(pace) if mode == "paced" else 0.0


def prepare(s: str) -> None:
    """Build the expected text and frames of *s* outside the measurement (they are cached)."""
    n = deltas_of(s)
    live_server.body(n)
    text_of(n)
    size_of(n)


def measure_sync(make: Callable[[str], tuple[SyncOnce, Any]], url: str, s: str, repeat: int) -> Run:
    prepare(s)
    once, close = make(url)
    try:
        once(spec("burst", 10))  # connection, imports, caches
        best: Run | None = None
        for _ in range(repeat):
            gc.collect()
            with GcTimer() as timer:
                wall, cpu = time.perf_counter(), time.process_time()
                events = once(s)
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            run = Run(events, cpu, wall, ideal(s), gc=timer.total)
            best = run if best is None or run.per_event < best.per_event else best
        assert best is not None
        return best
    finally:
        close()


async def _many(once: AsyncOnce, s: str, streams: int) -> Run:
    expected = events_of(deltas_of(s))
    gc.collect()
    with GcTimer() as timer:
        wall, cpu = time.perf_counter(), time.process_time()
        counts = await asyncio.gather(*(once(s) for _ in range(streams)), return_exceptions=True)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    got = [c for c in counts if isinstance(c, int)]
    errors = [c for c in counts if not isinstance(c, int)]
    if errors:
        print(f"    {len(errors)} streams failed: {errors[0]!r}", file=sys.stderr)
    return Run(sum(got), cpu, wall, ideal(s), lost=expected * streams - sum(got), gc=timer.total)


def measure_async(
    make: Callable[[str], Awaitable[tuple[AsyncOnce, Any]]],
    url: str,
    s: str,
    repeat: int,
    streams: int = 1,
) -> Run:
    prepare(s)

    async def main() -> Run:
        once, close = await make(url)
        try:
            warm = spec("burst", 10)
            for _ in range(2):
                await asyncio.gather(*(once(warm) for _ in range(min(streams, 100))))
            runs = [await _many(once, s, streams) for _ in range(repeat)]
            return min(runs, key=lambda r: r.per_event)
        finally:
            await close()

    return asyncio.run(main())


def fmt(run: Run) -> str:
    return f"{run.per_event * 1e6:.1f}"


# ---------------------------------------------------------------------------------------------
# the sections
# ---------------------------------------------------------------------------------------------


@dataclass
class Results:
    one: dict[tuple[str, str, str], Run] = field(default_factory=dict)  # (mode, side, who)
    many: dict[tuple[int, str], Run] = field(default_factory=dict)
    memory: dict[str, float] = field(default_factory=dict)
    gc_share: dict[str, float] = field(default_factory=dict)
    replay: dict[str, float] = field(default_factory=dict)
    layers: dict[str, float] = field(default_factory=dict)
    profile: str = ""


def say(text: str) -> None:
    print(f"  … {text}", file=sys.stderr, flush=True)


def one_stream(url: str, res: Results, quick: bool, *, transports: bool = False) -> None:
    """1 stream, paced and burst, sync and async (*transports*: paced only)."""
    paced = spec("paced", 194 if quick else 494)  # 200 / 500 events: 2 s / 5 s a run
    burst = spec("burst", 16_000)
    repeat = 1 if quick else 3
    modes = (("paced", paced, repeat), ("burst", burst, 2 if quick else 5))
    for mode, s, r in modes[:1] if transports else modes:
        for who, make in SYNC.items():
            run = res.one[mode, "sync", who] = measure_sync(make, url, s, r)
            say(f"{mode} sync {who}: {fmt(run)} µs/ev")
        for who, amake in ASYNC.items():
            if who == "SDK aiohttp" and not aiohttp_available():
                continue
            run = res.one[mode, "async", who] = measure_async(amake, url, s, r)
            say(f"{mode} async {who}: {fmt(run)} µs/ev")


def many_streams(url: str, res: Results, quick: bool, *, transports: bool = False) -> None:
    """50 / 500 / 1,000 async streams (*transports*: 50 only)."""
    for streams in (50,) if transports else (50, 500, 1000):
        deltas = (94 if streams < 500 else 44) if quick else (294 if streams < 1000 else 194)
        s = spec("paced", deltas)
        for who, make in ASYNC.items():
            if who == "SDK aiohttp" and not aiohttp_available():
                continue
            run = res.many[streams, who] = measure_async(make, url, s, 1, streams)
            say(
                f"{streams} streams {who}: {fmt(run)} µs/ev, wall/ideal {run.behind:.2f}, "
                f"lost {run.lost}, gc {run.gc / run.cpu:.0%}"
            )


def gc_share(url: str, res: Results, quick: bool) -> None:
    s = spec("paced", 94 if quick else 294)
    for who in ("ours", "SDK", "floor"):
        run = measure_async(ASYNC[who], url, s, 1, 100)
        res.gc_share[who] = run.gc / run.cpu
        say(f"gc share, 100 streams, {who}: {res.gc_share[who]:.1%}")


def memory(url: str, res: Results) -> None:
    """Peak traced memory while 16,000 deltas stream (burst), and what is kept after the end."""
    s = spec("burst", 16_000)
    raw = len(live_server.body(16_000))
    res.memory["raw"] = raw

    with arx.Client(api_key=KEY, base_url=url, max_retries=0) as client:

        def ours() -> tuple[Any, Any]:
            stream = client.messages.stream(
                model=MODEL, max_tokens=64000, messages=MESSAGES, extra_headers={"x-bench": s}
            )
            message = stream.pipe(final_message()).run()
            stream.wait(30)  # its end, when it compacts its replay buffer
            return stream, message

        res.memory["ours peak"], res.memory["ours kept"] = _traced(ours)

    sdk = anthropic.Anthropic(api_key=KEY, base_url=url, max_retries=0)

    def theirs() -> tuple[Any, Any]:
        with sdk.messages.stream(
            model=MODEL, max_tokens=64000, messages=MESSAGES, extra_headers={"x-bench": s}
        ) as stream:
            return stream, stream.get_final_message()

    res.memory["SDK peak"], res.memory["SDK kept"] = _traced(theirs)
    sdk.close()
    for k in ("ours peak", "ours kept", "SDK peak", "SDK kept"):
        say(f"memory {k}: {res.memory[k] / 2**20:.2f} MiB = {res.memory[k] / raw:.2f}x raw")


def _traced(read: Callable[[], tuple[Any, Any]]) -> tuple[float, float]:
    read()  # warm: connection, imports, caches
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        stream, message = read()
        peak = tracemalloc.get_traced_memory()[1] - base
        del message
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - base
        del stream
        return peak, kept
    finally:
        tracemalloc.stop()


class _Chunks:
    """A sync streaming response over recorded chunks (one per event, as live)."""

    def __init__(self, chunks: tuple[bytes, ...]) -> None:
        self._chunks = chunks

    def iter_bytes(self) -> Iterator[bytes]:
        yield from self._chunks

    def close(self) -> None:
        pass


def replay(res: Results, quick: bool) -> None:
    """A late view's cost (subscribed after the end) against one more live view, per event."""
    deltas = 4_000 if quick else 16_000
    pieces = live_server.frames(deltas)
    events = len(pieces)

    def views(n: int) -> tuple[float, arx.MessageStream]:
        gc.collect()
        gc.disable()
        try:
            start = time.process_time()
            stream = arx.from_response(_Chunks(pieces))
            done = threading.Semaphore(0)
            for _ in range(n):
                stream.pipe(accumulate()).subscribe(lambda _: None, on_completed=done.release)
            stream.pipe(final_message()).run()
            for _ in range(n):
                if not done.acquire(timeout=60):
                    raise SystemExit("a view did not complete")
            return time.process_time() - start, stream
        finally:
            gc.enable()

    def late(stream: arx.MessageStream) -> float:
        gc.collect()
        gc.disable()
        try:
            start = time.process_time()
            done = threading.Semaphore(0)
            stream.pipe(accumulate()).subscribe(lambda _: None, on_completed=done.release)
            if not done.acquire(timeout=60):
                raise SystemExit("the late view did not complete")
            return time.process_time() - start
        finally:
            gc.enable()

    views(1)
    one = min(views(1)[0] for _ in range(3))
    two = min(views(2)[0] for _ in range(3))
    stream = views(1)[1]
    stream.wait(30)
    late_cost = min(late(stream) for _ in range(3))
    live_view = max(two - one, 1e-9)
    res.replay.update(live=live_view / events, late=late_cost / events, events=events)
    say(
        f"replay: one more live view {live_view / events * 1e6:.2f} µs/ev, "
        f"a late view {late_cost / events * 1e6:.2f} µs/ev ({late_cost / live_view:.1f}x)"
    )


def layers(res: Results, quick: bool) -> None:
    """Our own layers in memory, one event per chunk as on the live path, per event (CPU).

    Against the live figures they split a live event's cost into the HTTP stack's part and
    ours: the SSE decoder alone, decoder + ``parse_event``, ``from_bytes`` → final message
    (the fused path), `from_response` → final message (decoder, parse, `MessageStream`
    hand-off on a reader thread, accumulator), and the floor over the same chunks.
    """
    from anthropic_rx._sse import SSEDecoder
    from anthropic_rx.events import parse_event

    deltas = 4_000 if quick else 16_000
    pieces = live_server.frames(deltas)
    joined = b"".join(pieces)
    big = [joined[i : i + core.CHUNK] for i in range(0, len(joined), core.CHUNK)]
    events = len(pieces)

    def decode() -> None:
        decoder = SSEDecoder()
        for piece in pieces:
            decoder.decode(piece)

    def decode_parse() -> None:
        decoder = SSEDecoder()
        for piece in pieces:
            for sse in decoder.decode(piece):
                parse_event(sse)

    def floor() -> None:
        f = Floor()
        for piece in live_server.chunks(deltas):
            f.feed(piece)

    def cpu(fn: Callable[[], object]) -> float:
        fn()
        best = float("inf")
        for _ in range(3):
            gc.collect()
            start = time.process_time()
            fn()
            best = min(best, time.process_time() - start)
        return best / events

    res.layers = {
        "floor, in memory (dechunk, split, jiter)": cpu(floor),
        "SSE decoder": cpu(decode),
        "decoder + parse_event": cpu(decode_parse),
        "from_bytes -> final_message, 1 event/chunk": cpu(
            lambda: arx.from_bytes(pieces).pipe(final_message()).run()
        ),
        "from_bytes -> final_message, 4 KiB chunks": cpu(
            lambda: arx.from_bytes(big).pipe(final_message()).run()
        ),
        "from_response -> final_message, 1 event/chunk": cpu(
            lambda: arx.from_response(_Chunks(pieces)).pipe(final_message()).run()
        ),
    }
    for k, v in res.layers.items():
        say(f"layers, {k}: {v * 1e6:.2f} µs/ev")


def profile(url: str, res: Results) -> None:
    """pyinstrument over ours, 1 stream paced, async: busy time by package."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        res.profile = "(pyinstrument is not installed)"
        return
    s = spec("paced", 494)

    async def main() -> None:
        prepare(s)
        once, close = await ours_async(url)
        await once(spec("burst", 10))
        profiler = Profiler(interval=0.0002, async_mode="disabled")
        profiler.start()
        for _ in range(2):
            await once(s)
        profiler.stop()
        await close()
        res.profile = by_package(profiler)

    asyncio.run(main())


def by_package(profiler: Any) -> str:
    """Self time by package from a pyinstrument session (idle waits left out).

    Time spent in C (builtins, a ``[self]`` leaf) counts for the nearest Python caller's
    package, so ``bytes.find`` called by h11 is h11's.
    """
    groups: dict[str, float] = {}
    root = profiler.last_session.root_frame(trim_stem=False)

    def walk(frame: Any, inherited: str) -> None:
        path = frame.file_path
        key = inherited
        if path and not path.startswith("<") and not frame.is_synthetic:
            key = group(path, frame.function or "")
        if inherited == IDLE:
            key = IDLE
        own = frame.time - sum(child.time for child in frame.children)
        groups[key] = groups.get(key, 0.0) + own
        for child in frame.children:
            walk(child, key)

    walk(root, "other")
    idle = groups.pop(IDLE, 0.0)
    busy = sum(groups.values())
    lines = [f"busy {busy:.3f} s, idle {idle:.3f} s (left out)"]
    stack = ("h11", "httpcore", "httpx", "anyio", "sniffio", "contextlib")
    ours = sum(t for k, t in groups.items() if k.startswith("anthropic_rx"))
    http = sum(t for k, t in groups.items() if k in stack)
    loop = groups.get("asyncio + selectors", 0.0)
    lines.append(
        f"in all: anthropic_rx {ours / busy:.1%}, the HTTP stack ({', '.join(stack)}) "
        f"{http / busy:.1%}, asyncio + selectors {loop / busy:.1%}"
    )
    for key, seconds in sorted(groups.items(), key=lambda kv: -kv[1]):
        if seconds / busy >= 0.01:
            lines.append(f"{seconds / busy:6.1%}  {key}")
    return "\n".join(lines)


IDLE = "idle (select/epoll)"


def group(path: str, function: str) -> str:
    if path.endswith("selectors.py") and function == "select":
        return IDLE
    if "anthropic_rx" in path:
        sub = path.split("anthropic_rx/")[-1].removesuffix(".py")
        return f"anthropic_rx/{sub}"
    for name in ("h11", "httpcore", "httpx", "anyio", "pydantic", "reactivex", "jiter", "sniffio"):
        if f"/{name}/" in path:
            return name
    if "asyncio" in path or "selectors" in path:
        return "asyncio + selectors"
    if "contextlib" in path:
        return "contextlib"
    return "other: " + Path(path).name


# ---------------------------------------------------------------------------------------------
# tables
# ---------------------------------------------------------------------------------------------


def markdown(res: Results) -> str:
    out: list[str] = []
    whos = [
        "ours",
        "ours on httpx",
        "ours on urllib3",
        "SDK",
        "SDK aiohttp",
        "httpx alone",
        "floor",
    ]
    out.append("| CPU µs per event (x floor) | " + " | ".join(whos) + " |")
    out.append("| --- |" + " --- |" * len(whos))
    for mode in ("paced", "burst"):
        for side in ("sync", "async"):
            floor = res.one.get((mode, side, "floor"))
            cells = []
            for who in whos:
                run = res.one.get((mode, side, who))
                if run is None:
                    cells.append("—")
                elif who == "floor" or floor is None:
                    cells.append(fmt(run))
                else:
                    cells.append(f"{fmt(run)} ({run.per_event / floor.per_event:.1f}x)")
            label = "1 stream, 100 events/s" if mode == "paced" else "1 stream, burst 16,000 deltas"
            if all(c == "—" for c in cells):
                continue
            out.append(f"| {label}, {side} | " + " | ".join(cells) + " |")
    for streams in sorted({n for n, _ in res.many}):
        cells = []
        for who in whos:
            run = res.many.get((streams, who))
            if run is None:
                cells.append("—")
            else:
                lost = f", {run.lost} lost" if run.lost else ""
                cells.append(f"{fmt(run)}; wall {run.behind:.2f}x ideal{lost}")
        out.append(f"| {streams:,} streams x 100 events/s, async | " + " | ".join(cells) + " |")
    if res.many:
        cells = [f"{largest(res, who):,}" if who in ASYNC else "—" for who in whos]
        out.append("| largest count with wall/ideal ≤ 1.1 | " + " | ".join(cells) + " |")
    if res.memory:
        raw = res.memory["raw"]
        out.append("")
        out.append("| 16,000 deltas (burst, sync) | ours | SDK |")
        out.append("| --- | --- | --- |")
        for what in ("peak", "kept"):
            label = "peak while streaming" if what == "peak" else "retained after the end"
            cells = [
                f"{res.memory[f'{who} {what}'] / 2**20:.2f} MiB ({res.memory[f'{who} {what}'] / raw:.2f}x raw)"
                for who in ("ours", "SDK")
            ]
            out.append(f"| {label} (raw {raw / 2**20:.2f} MiB) | " + " | ".join(cells) + " |")
    if res.gc_share:
        out.append("")
        out.append(
            "GC share of CPU, 100 streams: "
            + ", ".join(f"{who} {share:.1%}" for who, share in res.gc_share.items())
        )
    if res.replay:
        r = res.replay
        out.append(
            f"Replay ({int(r['events']):,} events): one more live view {r['live'] * 1e6:.2f} µs/ev, "
            f"a late view {r['late'] * 1e6:.2f} µs/ev = {r['late'] / r['live']:.1f}x a live view"
        )
    if res.layers:
        out.append("")
        out.append("| in memory, per event (CPU) | µs |")
        out.append("| --- | --- |")
        out.extend(f"| {k} | {v * 1e6:.2f} |" for k, v in res.layers.items())
    if res.profile:
        out.append("")
        out.append("Profile, ours, 1 stream paced, async (pyinstrument, self time by package):")
        out.append("```")
        out.append(res.profile)
        out.append("```")
    return "\n".join(out)


def largest(res: Results, who: str) -> int:
    """The most concurrent streams *who* kept within 1.1x of the ideal wall time, none lost."""
    counts = [1] if ("paced", "async", who) in res.one else []
    counts += [n for (n, w), r in res.many.items() if w == who and r.behind <= 1.1 and not r.lost]
    return max(counts, default=0)


Row = tuple[str, str, str, "float | None", str, "bool | None"]


def rows(res: Results) -> list[Row]:
    """The section's rows for ``run.py``'s table (ratios against the floor and the SDK)."""
    out: list[Row] = []
    for mode in ("paced", "burst"):
        for side in ("sync", "async"):
            ours, floor = res.one.get((mode, side, "ours")), res.one.get((mode, side, "floor"))
            sdk = res.one.get((mode, side, "SDK"))
            if ours is None or floor is None or sdk is None:
                continue
            limit = 2.0 if mode == "paced" else 3.0
            ratio = ours.per_event / floor.per_event
            out.append(
                (
                    f"11. live, 1 stream {mode}, {side}: ours/floor",
                    f"{fmt(ours)} µs/ev",
                    f"floor {fmt(floor)} µs/ev; SDK {fmt(sdk)} ({sdk.per_event / ours.per_event:.1f}x ours)",
                    ratio,
                    f"≤ {limit:g}x",
                    ratio <= limit,
                )
            )
            if mode == "paced":
                out.append(
                    (
                        f"11. live, 1 stream paced, {side}: SDK (default client)/ours",
                        f"{fmt(ours)} µs/ev",
                        f"SDK {fmt(sdk)} µs/ev",
                        sdk.per_event / ours.per_event,
                        "≥ 4x",
                        sdk.per_event / ours.per_event >= 4,
                    )
                )
            aio = res.one.get((mode, side, "SDK aiohttp"))
            if mode == "paced" and aio is not None:
                out.append(
                    (
                        f"11. live, 1 stream paced, {side}: SDK (aiohttp)/ours",
                        f"{fmt(ours)} µs/ev",
                        f"SDK aiohttp {fmt(aio)} µs/ev",
                        aio.per_event / ours.per_event,
                        "≥ 2x",
                        aio.per_event / ours.per_event >= 2,
                    )
                )

    def versus_httpx(label: str, ours: Run | None, plain: Run | None) -> None:
        if ours is not None and plain is not None:
            out.append(
                (
                    f"11. live, {label}: ours on httpx/ours (default transport)",
                    f"{fmt(ours)} µs/ev",
                    f"ours on httpx {fmt(plain)} µs/ev",
                    plain.per_event / ours.per_event,
                    "",
                    None,
                )
            )

    versus_httpx(
        "1 stream paced, async",
        res.one.get(("paced", "async", "ours")),
        res.one.get(("paced", "async", "ours on httpx")),
    )
    ours, fast = (
        res.one.get(("paced", "sync", "ours")),
        res.one.get(("paced", "sync", "ours on urllib3")),
    )
    if ours is not None and fast is not None:
        out.append(
            (
                "11. live, 1 stream paced, sync: ours (httpx)/ours on urllib3",
                f"{fmt(fast)} µs/ev",
                f"ours (httpx) {fmt(ours)} µs/ev",
                ours.per_event / fast.per_event,
                "",
                None,
            )
        )
    for (streams, who), run in sorted(res.many.items()):
        if who == "ours":
            versus_httpx(
                f"{streams:,} async streams", run, res.many.get((streams, "ours on httpx"))
            )
        if who != "ours":
            continue
        sdk = res.many.get((streams, "SDK"))
        out.append(
            (
                f"11. live, {streams:,} async streams x 100 ev/s: wall/ideal",
                f"{fmt(run)} µs/ev, {run.behind:.2f}x, lost {run.lost}",
                f"SDK {fmt(sdk)} µs/ev, {sdk.behind:.2f}x" if sdk else "",
                run.behind,
                "≤ 1.1x" if streams <= 500 else "nothing lost",
                run.behind <= 1.1 if streams <= 500 else run.lost == 0,
            )
        )
    if res.many:
        best = {who: largest(res, who) for who in ("ours", "SDK", "SDK aiohttp", "floor")}
        out.append(
            (
                "11. live, most async streams with wall/ideal ≤ 1.1",
                f"{best['ours']:,}",
                f"SDK {best['SDK']:,}; SDK aiohttp {best['SDK aiohttp']:,}; floor {best['floor']:,}",
                None,
                "≥ 500",
                best["ours"] >= 500,
            )
        )
    if res.memory:
        raw = res.memory["raw"]
        out.append(
            (
                "11. live, peak memory streaming 16,000 deltas / raw bytes",
                f"{res.memory['ours peak'] / 2**20:.2f} MiB",
                f"raw {raw / 2**20:.2f} MiB; SDK {res.memory['SDK peak'] / 2**20:.2f} MiB",
                res.memory["ours peak"] / raw,
                "≤ 1.5x",
                res.memory["ours peak"] / raw <= 1.5,
            )
        )
        out.append(
            (
                "11. … retained after the end / raw bytes",
                f"{res.memory['ours kept'] / 2**20:.2f} MiB",
                f"SDK {res.memory['SDK kept'] / 2**20:.2f} MiB",
                res.memory["ours kept"] / raw,
                "≤ 0.5x",
                res.memory["ours kept"] / raw <= 0.5,
            )
        )
    if "ours" in res.gc_share:
        share = res.gc_share["ours"]
        out.append(
            (
                "11. live, GC share of CPU, 100 streams",
                f"{share:.1%}",
                f"SDK {res.gc_share.get('SDK', float('nan')):.1%}",
                None,
                "≤ 3%",
                share <= 0.03,
            )
        )
    if res.replay:
        r = res.replay
        out.append(
            (
                "11. a late view's replay / one more live view",
                f"{r['late'] * 1e6:.2f} µs/ev",
                f"live view {r['live'] * 1e6:.2f} µs/ev",
                r["late"] / r["live"],
                "≤ 2x",
                r["late"] / r["live"] <= 2,
            )
        )
    return out


def measure(quick: bool, *, with_profile: bool = False, sections: str = "all") -> Results:
    res = Results()
    with server() as url:
        if sections in ("all", "one"):
            one_stream(url, res, quick)
        if sections in ("all", "many"):
            many_streams(url, res, quick)
        if sections == "transports":  # 1 stream paced (sync, async) and 50 async streams
            one_stream(url, res, quick, transports=True)
            many_streams(url, res, quick, transports=True)
        if sections in ("all", "extras"):
            gc_share(url, res, quick)
            memory(url, res)
            replay(res, quick)
            layers(res, quick)
        if with_profile:
            profile(url, res)
    return res


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run (a few minutes)")
    parser.add_argument("--profile", action="store_true", help="add a pyinstrument profile")
    parser.add_argument(
        "--sections",
        choices=["all", "one", "many", "extras", "transports", "none"],
        default="all",
        help="transports: only the paced rows (1 stream sync and async, 50 async streams)",
    )
    args = parser.parse_args()
    started = time.perf_counter()
    res = measure(args.quick, with_profile=args.profile, sections=args.sections)
    print(markdown(res))
    print(
        f"\n{os.cpu_count()} cores, Python {sys.version.split()[0]}; "
        f"{'--quick, ' if args.quick else ''}{time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
