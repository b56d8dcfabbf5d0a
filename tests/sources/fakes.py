"""Response stand-ins that count reads and closes, for hot-stream tests without sockets."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator

WAIT = 10.0  # seconds: a bound on every wait, never a sleep


class FakeResponse:
    """A sync response: yields *chunks*, then (if *hold*) waits until closed."""

    def __init__(self, chunks: list[bytes], *, hold: bool = False) -> None:
        self.chunks = chunks
        self.hold = hold
        self.reads = 0
        self.closed = threading.Event()
        self.finished = threading.Event()

    def iter_bytes(self) -> Iterator[bytes]:
        self.reads += 1
        try:
            for chunk in self.chunks:
                if self.closed.is_set():
                    raise RuntimeError("read from a closed response")
                yield chunk
            if self.hold:
                self.closed.wait(WAIT)
                if self.closed.is_set():
                    raise RuntimeError("the response was closed while reading")
        finally:
            self.finished.set()

    def close(self) -> None:
        self.closed.set()


class FakeAsyncResponse:
    """An async response: yields *chunks*, then (if *hold*) waits until cancelled."""

    def __init__(self, chunks: list[bytes], *, hold: bool = False) -> None:
        self.chunks = chunks
        self.hold = hold
        self.reads = 0
        self.closed = False
        self.stream = self  # like httpx: the stream says it is async

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self.aiter_bytes()

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        import anyio

        self.reads += 1
        for chunk in self.chunks:
            yield chunk
            await anyio.lowlevel.checkpoint()
        if self.hold:
            await anyio.sleep_forever()

    async def aclose(self) -> None:
        self.closed = True
