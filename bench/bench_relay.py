"""The web relay: one upstream stream relayed to 1, 10 and 100 SSE clients on loopback.

The server (uvicorn, one event loop, in a thread of this process) serves a `Relay` fed by a
Subject of real stream events (text deltas as the API sends them), pushed as fast as the
relay takes them. The browser-like clients run in a child process (raw asyncio sockets, one
per tab, reading until the relay's ``end`` event), so this process's CPU time and
tracemalloc figures are the server's alone:

- CPU per event per client: the server process's CPU time from the first event to the
  last client's end, divided by events times clients, with one event a millisecond (each
  event its own write to every tab, as when the API streams; a burst would be batched);
- memory per client: what tracemalloc sees the server hold once N idle tabs are connected,
  minus what it held before, divided by N;
- a tab that reads nothing (receive buffer 4 KiB) for 10 s (2 s with ``--quick``) while
  the stream runs: the server's memory beyond the relay's shared buffer stays bounded (one
  write of ``chunk_bytes`` plus the transport's buffer).

``python bench/bench_relay.py [--quick]`` prints its rows; ``bench/run.py`` includes them.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import threading
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
try:
    import anthropic_rx as arx
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, str(HERE.parent / "src"))
    import anthropic_rx as arx

import uvicorn  # noqa: E402
from reactivex.subject import Subject  # noqa: E402

from anthropic_rx.relay import Relay  # noqa: E402

WORDS = "The quick brown pelican glides over the bay, scanning the water for fish. "


def events(count: int) -> list[Any]:
    """A message_start, *count* text deltas of about 12 characters, and the end."""
    raw = [
        (
            "message_start",
            '{"type":"message_start","message":{"id":"msg_01","type":"message","role":'
            '"assistant","model":"claude-bench","content":[],"stop_reason":null,'
            '"stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":1}}}',
        ),
        (
            "content_block_start",
            '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}',
        ),
    ]
    for i in range(count):
        piece = WORDS[(i * 12) % 60 : (i * 12) % 60 + 12]
        raw.append(
            (
                "content_block_delta",
                '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"'
                + piece
                + '"}}',
            )
        )
    raw += [
        ("content_block_stop", '{"type":"content_block_stop","index":0}'),
        (
            "message_delta",
            '{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},'
            f'"usage":{{"output_tokens":{count}}}}}',
        ),
        ("message_stop", '{"type":"message_stop"}'),
    ]
    return [arx.parse_event(arx.ServerSentEvent(name, data)) for name, data in raw]


class Server:
    """uvicorn serving one relay on 127.0.0.1, in a thread."""

    def __init__(self, relay: Relay) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(relay, log_level="warning", lifespan="off", backlog=2048)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )
        self.thread.start()
        _until(lambda: self.server.started, 30)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)
        self.sock.close()


def _until(predicate: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the relay bench waited too long")
        time.sleep(0.002)


# -- the clients (a child process) -----------------------------------------------------------


async def _tab(port: int, read: bool, hold: float) -> int:
    sock = socket.socket()
    if not read:  # a small receive window: the server's buffers, not the kernel's, fill up
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    reader, writer = await asyncio.open_connection(sock=sock)
    writer.write(b"GET / HTTP/1.1\r\nhost: bench\r\n\r\n")
    await writer.drain()
    if not read:
        await asyncio.sleep(hold)
        writer.close()
        return 0
    got = 0
    tail = b""
    while True:
        chunk = await reader.read(65536)
        if not chunk:
            break
        got += len(chunk)
        if b"event: end" in tail + chunk:
            break
        tail = chunk[-16:]
    writer.close()
    return got


async def _tabs(port: int, clients: int, read: bool, hold: float) -> None:
    results = await asyncio.gather(*(_tab(port, read, hold) for _ in range(clients)))
    print(sum(results), flush=True)


def _child(port: int, clients: int, read: bool, hold: float) -> subprocess.Popen[bytes]:
    command = [sys.executable, __file__, "--tabs", str(clients), "--port", str(port)]
    if not read:
        command += ["--stuck", str(hold)]
    return subprocess.Popen(command, stdout=subprocess.PIPE)


# -- the measurements ------------------------------------------------------------------------


@dataclass(frozen=True)
class FanOut:
    clients: int
    events: int
    cpu_per_event_client: float  # seconds
    wall: float  # seconds from the first event to the last client's end
    memory_per_client: float  # bytes


def fan_out(clients: int, count: int, pace: float = 0.001) -> FanOut:
    """Relay *count* events to *clients* tabs, one event every *pace* seconds (an API that
    streams fast: each event is its own write to every tab, as in real use)."""
    items = events(count)
    source: Subject[Any] = Subject()
    tracemalloc.start()
    relay = Relay(source)
    server = Server(relay)
    before = tracemalloc.get_traced_memory()[0]
    child = _child(server.port, clients, True, 0)
    try:
        _until(lambda: relay.tabs == clients, 60)
        time.sleep(0.2)  # let every tab's first write settle
        memory = (tracemalloc.get_traced_memory()[0] - before) / clients
        tracemalloc.stop()
        cpu, wall = time.process_time(), time.perf_counter()
        next_at = time.perf_counter()
        for item in items:
            source.on_next(item)
            next_at += pace
            while time.perf_counter() < next_at:
                time.sleep(max(0.0, next_at - time.perf_counter()))
        source.on_completed()
        assert child.stdout is not None
        child.stdout.read()
        child.wait(120)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        if child.poll() is None:
            child.kill()
        if tracemalloc.is_tracing():
            tracemalloc.stop()
        server.stop()
    return FanOut(clients, len(items), cpu / (len(items) * clients), wall, memory)


@dataclass(frozen=True)
class Stalled:
    seconds: float
    relay_bytes: int  # the shared buffer at the end
    beyond_buffer: int  # the server's peak memory beyond it, bytes
    dropped: int


def stalled(seconds: float) -> Stalled:
    """One tab reads nothing for *seconds* while the stream pushes about 1 MB a second."""
    items = events(2000)[2:-3]  # deltas only
    source: Subject[Any] = Subject()
    tracemalloc.start()
    relay = Relay(source, stall_timeout=seconds + 5)  # measure the hold, not the drop
    server = Server(relay)
    before = tracemalloc.get_traced_memory()[0]
    child = _child(server.port, 1, False, seconds + 1)
    peak = 0
    try:
        _until(lambda: relay.tabs == 1, 30)
        deadline = time.monotonic() + seconds
        index = 0
        while time.monotonic() < deadline:
            for _ in range(200):
                source.on_next(items[index % len(items)])
                index += 1
            time.sleep(0.02)
            peak = max(peak, tracemalloc.get_traced_memory()[0] - before - relay.nbytes)
        source.on_completed()
        child.wait(seconds + 30)
    finally:
        if child.poll() is None:
            child.kill()
        tracemalloc.stop()
        server.stop()
    return Stalled(seconds, relay.nbytes, peak, relay.dropped)


def measure(quick: bool) -> tuple[list[FanOut], Stalled]:
    count = 500 if quick else 2000
    fan_out(1, 10)  # warm up: the first server pays for lazy imports
    rows = [fan_out(n, count) for n in (1, 10, 100)]
    return rows, stalled(2.0 if quick else 10.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--tabs", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--stuck", type=float, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.tabs is not None:  # the child: the browser-like tabs
        read = args.stuck is None
        asyncio.run(_tabs(args.port, args.tabs, read, args.stuck or 0.0))
        return
    rows, stall = measure(args.quick)
    for r in rows:
        print(
            f"{r.clients:>3} clients, {r.events} events: "
            f"{r.cpu_per_event_client * 1e6:.2f} µs CPU/event/client, "
            f"{r.memory_per_client / 1024:.1f} KiB/client, wall {r.wall:.2f} s"
        )
    print(
        f"stalled tab for {stall.seconds:.0f} s: {stall.beyond_buffer / 1024:.0f} KiB beyond the "
        f"shared buffer ({stall.relay_bytes / 1024:.0f} KiB), dropped {stall.dropped}"
    )


if __name__ == "__main__":
    main()
