"""Leaving Rx for async code: await an Observable's last value, or iterate it with ``async for``.

reactivex's own ``await observable`` works on asyncio only and completes its future from
whatever thread the Observable ends on, which asyncio does not allow (a `MessageStream` of a
sync response ends on its reader thread). These bridges capture the running loop (asyncio or
trio) and hop back to it with ``call_soon``, so values may come from any thread.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import AsyncIterator
from typing import Any, Generic, TypeVar, final

import anyio
from reactivex import Observable, abc

from ._loop import LoopHandle, current_loop

__all__ = ["last_value", "to_async_iterable"]

_T = TypeVar("_T")


class _Bridge(Generic[_T]):
    """Values and the end of an Observable, handed from any thread to one loop."""

    def __init__(self, loop: LoopHandle) -> None:
        self._loop = loop
        self._lock = threading.Lock()
        self.items: deque[_T] = deque()
        self.done = False
        self.error: Exception | None = None
        self._waiter: anyio.Event | None = None

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None:
            if self._loop.in_loop():
                waiter.set()
            else:
                self._loop.call_soon(waiter.set)

    def on_next(self, value: _T) -> None:
        with self._lock:
            self.items.append(value)
            self._wake()

    def on_error(self, error: Exception) -> None:
        with self._lock:
            self.done, self.error = True, error
            self._wake()

    def on_completed(self) -> None:
        with self._lock:
            self.done = True
            self._wake()

    def waiter(self) -> anyio.Event | None:
        """An event to wait on, or ``None`` when something is ready now."""
        with self._lock:
            if self.items or self.done:
                return None
            self._waiter = anyio.Event()
            return self._waiter


@final
class _ObservableIterator(AsyncIterator[_T]):
    """``async for`` over an Observable; see `to_async_iterable`."""

    def __init__(self, observable: Observable[_T]) -> None:
        self._observable = observable
        self._bridge: _Bridge[_T] | None = None
        self._subscription: abc.DisposableBase | None = None

    def __aiter__(self) -> _ObservableIterator[_T]:
        return self

    async def __anext__(self) -> _T:
        bridge = self._bridge
        if bridge is None:
            bridge = self._bridge = _Bridge(current_loop())
            self._subscription = self._observable.subscribe(
                bridge.on_next, bridge.on_error, bridge.on_completed
            )
        try:
            while (waiter := bridge.waiter()) is not None:
                await waiter.wait()
        except BaseException:  # cancelled while waiting: stop the Observable too
            self._dispose()
            raise
        if bridge.items:
            return bridge.items.popleft()
        self._dispose()
        if bridge.error is not None:
            raise bridge.error
        raise StopAsyncIteration

    async def aclose(self) -> None:
        """Dispose the subscription (what leaving ``async for`` early does)."""
        self._dispose()

    def _dispose(self) -> None:
        subscription, self._subscription = self._subscription, None
        if subscription is not None:
            subscription.dispose()

    def __del__(self) -> None:
        # `break` drops the iterator without calling anything: refcounting lands here at once.
        self._dispose()


def to_async_iterable(observable: Observable[_T]) -> AsyncIterator[_T]:
    """Iterate *observable* with ``async for``, on the running asyncio or trio loop.

    Subscribes when iteration starts; values may arrive on any thread and are buffered
    until read. Leaving the loop early (``break``, an exception, task cancellation) disposes
    the subscription, which for a `MessageStream`'s last subscriber closes the connection.
    An ``on_error`` is raised from the ``async for``.

    Example:
        >>> async for text in to_async_iterable(stream.pipe(text_only())):
        ...     print(text, end="")
    """
    return _ObservableIterator(observable)


async def last_value(observable: Observable[_T]) -> _T:
    """Wait for *observable* to complete and return its last value.

    Works on asyncio and trio, whatever thread the Observable ends on; cancelling the
    waiting task disposes the subscription.

    Raises:
        LookupError: it completed without a value.
        Exception: its ``on_error``.
    """
    bridge: _Bridge[_T] = _Bridge(current_loop())
    last: list[Any] = []

    def on_next(value: _T) -> None:
        last[:] = [value]

    subscription = observable.subscribe(on_next, bridge.on_error, bridge.on_completed)
    try:
        while True:
            waiter = bridge.waiter()
            if waiter is None:
                break
            await waiter.wait()
    finally:
        subscription.dispose()
    if bridge.error is not None:
        raise bridge.error
    if not last:
        raise LookupError("expected a value, but the Observable completed without one")
    value: _T = last[0]
    return value
