"""What the concurrency tests share: a recorder, a manual clock, a counting transport."""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import httpx
from reactivex import abc
from reactivex import operators as ops
from reactivex.disposable import Disposable
from reactivex.scheduler.scheduler import Scheduler

import anthropic_rx as arx
from anthropic_rx.emulator._generate import generate

_T = TypeVar("_T")
_S = TypeVar("_S")

KEY = "sk-ant-api03-concurrency-tests-0123456789abcdef"
MODEL = "claude-emulated"
WAIT = 15.0  # seconds: a bound on every wait, never a sleep


def params(prompt: str, **changes: Any) -> dict[str, Any]:
    """The parameters of a small streaming request asking *prompt*."""
    return {
        "model": MODEL,
        "max_tokens": 64,
        "messages": [{"role": "user", "content": prompt}],
        **changes,
    }


def scenario(code: str, **options: Any) -> dict[str, Any]:
    """``extra_headers`` choosing the emulator's scenario *code* with *options*."""
    return {"x-emulator-scenario": code, "x-emulator-options": json.dumps(options)}


def expected_events(request: dict[str, Any]) -> list[dict[str, Any]]:
    """The events the emulator sends for *request* (no fault, seed 0), as JSON."""
    wire = json.loads(json.dumps({**request, "stream": True}))
    answer = generate(wire, seed=0, options={}, padding=True)
    events = arx.from_bytes(b"".join(e.raw for e in answer.events)).pipe(ops.to_list()).run()
    return [e.model_dump(mode="json") for e in events]


class Recorder(abc.ObserverBase[_T]):
    """A thread-safe observer: every item, the end, and whether two calls ever overlapped."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._busy = 0
        self.overlapped = False
        self.items: list[_T] = []
        self.error: Exception | None = None
        self.completed = False
        self.done = threading.Event()
        self._changed = threading.Condition(self._lock)

    def _enter(self) -> None:
        with self._lock:
            self._busy += 1
            if self._busy > 1:
                self.overlapped = True

    def _leave(self) -> None:
        with self._lock:
            self._busy -= 1
            self._changed.notify_all()

    def on_next(self, item: _T) -> None:
        self._enter()
        try:
            with self._lock:
                self.items.append(item)
        finally:
            self._leave()

    def on_error(self, error: Exception) -> None:
        self._enter()
        self.error = error
        self.done.set()
        self._leave()

    def on_completed(self) -> None:
        self._enter()
        self.completed = True
        self.done.set()
        self._leave()

    def wait(self, timeout: float = WAIT) -> None:
        assert self.done.wait(timeout), f"no end after {timeout} s; got {len(self.items)} items"

    def wait_for(self, predicate: Any, timeout: float = WAIT) -> None:
        """Block until ``predicate(items)`` holds (checked at each item)."""
        with self._changed:
            assert self._changed.wait_for(lambda: predicate(self.items), timeout), self.items

    async def await_end(self) -> None:
        # The end may come from any thread: wait for it on a worker, the loop left free.
        ended = await anyio.to_thread.run_sync(self.done.wait, WAIT)
        assert ended, f"no end after {WAIT} s; got {len(self.items)} items"


def by_key(items: list[arx.concurrency.Tagged[_S, _T]]) -> dict[_S, list[_T]]:
    """Group tagged values by key, keeping their order."""
    grouped: dict[_S, list[_T]] = defaultdict(list)
    for item in items:
        grouped[item.key].append(item.value)
    return dict(grouped)


class ManualScheduler(Scheduler):
    """A clock that moves only when told (thread-safe), for the 429 pause."""

    def __init__(self) -> None:
        super().__init__()
        self._cond = threading.Condition()
        self._now = datetime(2025, 1, 1, tzinfo=UTC)
        self._queue: list[list[Any]] = []  # [due, action, state, cancelled]

    @property
    def now(self) -> datetime:
        with self._cond:
            return self._now

    def schedule(self, action: abc.ScheduledAction[Any], state: Any = None) -> abc.DisposableBase:
        return self.schedule_relative(0, action, state)

    def schedule_relative(
        self, duetime: Any, action: abc.ScheduledAction[Any], state: Any = None
    ) -> abc.DisposableBase:
        return self.schedule_absolute(self.now + self.to_timedelta(duetime), action, state)

    def schedule_absolute(
        self, duetime: Any, action: abc.ScheduledAction[Any], state: Any = None
    ) -> abc.DisposableBase:
        entry: list[Any] = [self.to_datetime(duetime), action, state, False]
        with self._cond:
            self._queue.append(entry)
            self._cond.notify_all()

        def cancel() -> None:
            with self._cond:
                entry[3] = True
                self._cond.notify_all()

        return Disposable(cancel)

    @property
    def pending(self) -> int:
        """Timers scheduled and neither run nor cancelled."""
        with self._cond:
            return sum(1 for entry in self._queue if not entry[3])

    def wait_pending(self, count: int = 1, timeout: float = WAIT) -> bool:
        with self._cond:
            return self._cond.wait_for(
                lambda: sum(1 for e in self._queue if not e[3]) >= count, timeout
            )

    def advance(self, seconds: float) -> None:
        """Move the clock on by *seconds* and run every timer now due, in order."""
        with self._cond:
            self._now += timedelta(seconds=seconds)
        while True:
            with self._cond:
                due = sorted(
                    (e for e in self._queue if not e[3] and e[0] <= self._now), key=lambda e: e[0]
                )
                if not due:
                    return
                entry = due[0]
                entry[3] = True
            entry[1](self, entry[2])


class _Counted:
    """Counts requests in flight: from sending one until its response is closed."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.active = 0
        self.peak = 0
        self.started = 0

    def enter(self) -> None:
        with self.lock:
            self.active += 1
            self.started += 1
            self.peak = max(self.peak, self.active)

    def leave(self) -> None:
        with self.lock:
            self.active -= 1

    @contextmanager
    def counting(self) -> Iterator[_Once]:
        """Count a request from here; yield the `_Once` that ends it (at once on a failure)."""
        self.enter()
        leave = _Once(self)
        try:
            yield leave
        except BaseException:
            leave()
            raise


class _Once:
    def __init__(self, counter: _Counted) -> None:
        self._counter = counter
        self._done = False
        self._lock = threading.Lock()

    def __call__(self) -> None:
        with self._lock:
            if self._done:
                return
            self._done = True
        self._counter.leave()


def counted(
    response: httpx.Response, body: httpx.SyncByteStream | httpx.AsyncByteStream
) -> httpx.Response:
    """*response* with *body*, which ends the count when it is closed."""
    return httpx.Response(
        response.status_code,
        headers=response.headers,
        stream=body,
        extensions=response.extensions,
    )


class _SyncBody(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, leave: _Once) -> None:
        self._inner = inner
        self._leave = leave

    def __iter__(self) -> Iterator[bytes]:
        yield from self._inner

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._leave()


class CountingTransport(httpx.BaseTransport, _Counted):
    """An httpx transport that counts the requests in flight at once (``peak``)."""

    def __init__(self) -> None:
        _Counted.__init__(self)
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.counting() as leave:
            response = self._inner.handle_request(request)
        assert isinstance(response.stream, httpx.SyncByteStream)
        return counted(response, _SyncBody(response.stream, leave))

    def close(self) -> None:
        self._inner.close()


class _AsyncBody(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, leave: _Once) -> None:
        self._inner = inner
        self._leave = leave

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            self._leave()


class AsyncCountingTransport(httpx.AsyncBaseTransport, _Counted):
    """The async twin of `CountingTransport`."""

    def __init__(self) -> None:
        _Counted.__init__(self)
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        with self.counting() as leave:
            response = await self._inner.handle_async_request(request)
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return counted(response, _AsyncBody(response.stream, leave))

    async def aclose(self) -> None:
        await self._inner.aclose()
