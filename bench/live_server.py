"""A raw HTTP/1.1 server on 127.0.0.1 for the live benchmarks (bench_live, bench_transports).

Run as ``python bench/live_server.py``: it prints its port on the first line of stdout, then
serves until killed. It runs in its own process, so its CPU time is never counted as the
client's. Every request (any path, any method, any body) with the header
``x-bench: <mode>/<deltas>/<pace>`` answers ``200`` with a chunked ``text/event-stream`` body:
`bench_core.text_stream(deltas)`, one HTTP chunk per event, as the real API sends it.

* ``paced``: one event per TCP write, event *i* at ``start + i / pace`` (absolute times, so a
  late write does not slow the pace down), so every event is its own read on the client;
* ``burst``: the whole body in writes of 64 KiB (the chunks are still one per event).

Connections are kept alive, so clients with a pool reuse them, as they do with the API.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from functools import cache
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import contextlib

import bench_core as core

HEAD = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n"
    b"cache-control: no-cache\r\nrequest-id: req_bench\r\ntransfer-encoding: chunked\r\n\r\n"
)
END = b"0\r\n\r\n"


@cache
def frames(deltas: int) -> tuple[bytes, ...]:
    """The SSE frames of `bench_core.text_stream(deltas)`, one per event."""
    data = b"".join(core.text_stream(deltas).chunks)
    return tuple(f + b"\n\n" for f in data.split(b"\n\n") if f.strip(b"\n"))


@cache
def chunks(deltas: int) -> tuple[bytes, ...]:
    """The frames as HTTP/1.1 chunks, one per event."""
    return tuple(b"%x\r\n%s\r\n" % (len(f), f) for f in frames(deltas))


@cache
def body(deltas: int) -> bytes:
    return b"".join(chunks(deltas)) + END


class Handler(asyncio.Protocol):
    def __init__(self) -> None:
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.busy = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while not self.busy:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1").split("\r\n")
            length, spec = 0, ""
            for line in head[1:]:
                name, _, value = line.partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    length = int(value)
                elif name == "x-bench":
                    spec = value.strip()
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            self.answer(spec)

    def answer(self, spec: str) -> None:
        assert self.transport is not None
        parts = spec.split("/")
        try:
            mode, deltas, pace = parts[0], int(parts[1]), float(parts[2])
        except (IndexError, ValueError):
            self.transport.write(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
            return
        if mode == "burst":
            data = HEAD + body(deltas)
            for i in range(0, len(data), 65536):
                self.transport.write(data[i : i + 65536])
            return
        self.busy = True
        loop = asyncio.get_running_loop()
        self.transport.write(HEAD)
        pieces = chunks(deltas)
        start = loop.time()
        interval = 1.0 / pace

        def write(i: int) -> None:
            if self.transport is None or self.transport.is_closing():
                return
            if i == len(pieces):
                self.transport.write(END)
                self.busy = False
                if self.buffer:  # a pipelined request waits
                    self.data_received(b"")
                return
            self.transport.write(pieces[i])
            loop.call_at(start + (i + 1) * interval, write, i + 1)

        write(0)


async def main() -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Handler, "127.0.0.1", 0, backlog=4096)
    port = server.sockets[0].getsockname()[1]
    print(port, flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
