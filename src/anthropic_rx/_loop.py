"""The running event loop, asyncio or trio, behind one small thread-safe interface.

reactivex has no bridge from async iterators (ReactiveX/RxPY#422) and its
``AsyncIOScheduler`` is not thread-safe (#169, #708). Sources and bridges here need three
things from the loop a stream was created on, callable from any thread: run a callback on
it, start a task on it, and cancel that task. `current_loop` captures the loop of the
calling async context (asyncio or trio) and gives exactly those.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Protocol

import anyio

__all__ = ["LoopHandle", "current_loop"]


class LoopHandle(Protocol):
    """What anthropic_rx needs of an event loop; every method is safe from any thread."""

    def in_loop(self) -> bool:
        """Whether the caller runs on this loop's thread, inside it."""
        ...

    def call_soon(self, callback: Callable[[], None]) -> None:
        """Run *callback* on the loop, soon."""
        ...

    def spawn(self, task: Callable[[], Awaitable[None]]) -> Callable[[], None]:
        """Start ``task()`` on the loop; return a function that cancels it."""
        ...


class _AsyncioLoop:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._tasks: set[asyncio.Task[None]] = set()  # strong references: see asyncio docs

    def in_loop(self) -> bool:
        try:
            return asyncio.get_running_loop() is self._loop
        except RuntimeError:
            return False

    def call_soon(self, callback: Callable[[], None]) -> None:
        if self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(callback)

    def spawn(self, task: Callable[[], Awaitable[None]]) -> Callable[[], None]:
        # Cancelled through an anyio scope, never Task.cancel(): a native cancel requested
        # while the task runs (a subscriber disposing from its own callback) lands inside
        # the shielded scopes where httpx and the client close the connection, which anyio
        # cannot shield from it, and the connection leaks.
        holder: list[anyio.CancelScope] = []
        cancelled = threading.Event()

        async def run() -> None:
            with anyio.CancelScope() as scope:
                holder.append(scope)
                if cancelled.is_set():
                    scope.cancel()
                await task()

        def create() -> None:
            if cancelled.is_set():
                return
            t = self._loop.create_task(run())
            self._tasks.add(t)
            t.add_done_callback(self._tasks.discard)

        if self.in_loop():
            create()
        else:
            self.call_soon(create)

        def cancel() -> None:
            cancelled.set()

            def do_cancel() -> None:
                for scope in holder:
                    scope.cancel()

            if self.in_loop():
                do_cancel()
            else:
                self.call_soon(do_cancel)

        return cancel


class _TrioLoop:
    def __init__(self) -> None:
        import trio

        self._trio = trio
        self._token = trio.lowlevel.current_trio_token()

    def in_loop(self) -> bool:
        try:
            return self._trio.lowlevel.current_trio_token() is self._token
        except RuntimeError:
            return False

    def call_soon(self, callback: Callable[[], None]) -> None:
        with contextlib.suppress(self._trio.RunFinishedError):  # the loop has ended
            self._token.run_sync_soon(callback)

    def spawn(self, task: Callable[[], Awaitable[None]]) -> Callable[[], None]:
        scope = self._trio.CancelScope()

        async def run() -> None:
            with scope:
                await task()

        def create() -> None:
            # A system task: not tied to any nursery the caller may leave; `task` never raises.
            self._trio.lowlevel.spawn_system_task(run)

        if self.in_loop():
            create()
        else:
            self.call_soon(create)

        def cancel() -> None:
            if self.in_loop():
                scope.cancel()
            else:
                self.call_soon(scope.cancel)

        return cancel


def current_loop() -> LoopHandle:
    """Capture the event loop of the calling async context.

    Raises:
        RuntimeError: the caller is not inside a running asyncio or trio loop.
    """
    # Trio first (only if something imported it): a trio run has no asyncio loop. No
    # sniffio: it is not among our dependencies, and these two checks are all it does here.
    trio = sys.modules.get("trio")
    if trio is not None:
        try:
            trio.lowlevel.current_trio_token()
        except RuntimeError:
            pass
        else:
            return _TrioLoop()
    try:
        return _AsyncioLoop(asyncio.get_running_loop())
    except RuntimeError as exc:
        raise RuntimeError(
            "expected to be called inside a running event loop (asyncio or trio), "
            "but none is running in this thread"
        ) from exc
