"""The running event loop, asyncio or trio, behind one small thread-safe interface.

reactivex has no bridge from async iterators (ReactiveX/RxPY#422) and its
``AsyncIOScheduler`` is not thread-safe (#169, #708). Sources and bridges here need three
things from the loop a stream was created on, callable from any thread: run a callback on
it, start a task on it, and cancel that task. `current_loop` captures the loop of the
calling async context (asyncio or trio) and gives exactly those, and says when the loop
has ended (a task can then never start: the caller must say so, never wait in silence) and
which thread it runs on (blocking that thread until a task ends would never return).
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Protocol

import anyio

__all__ = ["LoopHandle", "current_loop", "loop_ended_error"]


def loop_ended_error(what: str = "this stream") -> RuntimeError:
    """The error for work on a loop that has ended: nothing can start on it any more."""
    return RuntimeError(
        f"{what} belongs to an event loop that has ended (asyncio.run() or trio.run() "
        "returned, or the loop was closed), so it can never start: make AsyncClient streams "
        "and subscribe to them inside the loop that reads them, or use the sync Client"
    )


class LoopHandle(Protocol):
    """What anthropic_rx needs of an event loop; every method is safe from any thread."""

    def in_loop(self) -> bool:
        """Whether the caller runs on this loop's thread, inside it."""
        ...

    def runs_on(self, thread: int) -> bool:
        """Whether the loop belongs to *thread* (a ``threading.get_ident()``) and has not ended.

        Blocking that thread until one of the loop's tasks ends would never return.
        """
        ...

    def call_soon(self, callback: Callable[[], None]) -> bool:
        """Run *callback* on the loop, soon; return ``False`` (and drop it) if the loop ended."""
        ...

    def spawn(
        self, task: Callable[[], Awaitable[None]], *, lost: Callable[[], None] | None = None
    ) -> Callable[[], None]:
        """Start ``task()`` on the loop; return a function that cancels it.

        ``lost()`` is called instead, from any thread, when the loop ends (or cancels the
        task) before the task could begin: ``task`` then never runs.

        Raises:
            RuntimeError: the loop has ended (`loop_ended_error`); nothing was started.
        """
        ...


class _AsyncioLoop:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._thread = threading.get_ident()  # made inside the running loop: its thread
        self._tasks: set[asyncio.Task[None]] = set()  # strong references: see asyncio docs

    def in_loop(self) -> bool:
        try:
            return asyncio.get_running_loop() is self._loop
        except RuntimeError:
            return False

    def runs_on(self, thread: int) -> bool:
        # A loop that is not running (between two run_until_complete) still needs its
        # thread to run again: only a closed loop is done with it.
        return thread == self._thread and not self._loop.is_closed()

    def call_soon(self, callback: Callable[[], None]) -> bool:
        if self._loop.is_closed():
            return False
        try:
            self._loop.call_soon_threadsafe(callback)
        except RuntimeError:  # closed since the check, by another thread
            return False
        return True

    def spawn(
        self, task: Callable[[], Awaitable[None]], *, lost: Callable[[], None] | None = None
    ) -> Callable[[], None]:
        # Cancelled through an anyio scope, never Task.cancel(): a native cancel requested
        # while the task runs (a subscriber disposing from its own callback) lands inside
        # the shielded scopes where httpx and the client close the connection, which anyio
        # cannot shield from it, and the connection leaks.
        holder: list[anyio.CancelScope] = []
        cancelled = threading.Event()
        began = threading.Event()

        async def run() -> None:
            began.set()
            with anyio.CancelScope() as scope:
                holder.append(scope)
                if cancelled.is_set():
                    scope.cancel()
                await task()

        def done(t: asyncio.Task[None]) -> None:
            self._tasks.discard(t)
            # Cancelled before its first step (asyncio.run() cancels what is left when its
            # main task returns): run() never began, so `task` could not say it ended.
            if not began.is_set() and not cancelled.is_set() and lost is not None:
                lost()

        def create() -> None:
            if cancelled.is_set():
                return
            t = self._loop.create_task(run())
            self._tasks.add(t)
            t.add_done_callback(done)

        if self.in_loop():
            create()
        elif not self.call_soon(create):
            raise loop_ended_error()

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
        self._thread = threading.get_ident()

    def in_loop(self) -> bool:
        try:
            return self._trio.lowlevel.current_trio_token() is self._token
        except RuntimeError:
            return False

    def runs_on(self, thread: int) -> bool:
        return thread == self._thread and self.call_soon(_nothing)  # false once it ended

    def call_soon(self, callback: Callable[[], None]) -> bool:
        try:
            self._token.run_sync_soon(callback)
        except self._trio.RunFinishedError:  # the loop has ended
            return False
        return True

    def spawn(
        self, task: Callable[[], Awaitable[None]], *, lost: Callable[[], None] | None = None
    ) -> Callable[[], None]:
        scope = self._trio.CancelScope()

        async def run() -> None:
            with scope:
                await task()

        def create() -> None:
            # A system task: not tied to any nursery the caller may leave; `task` never raises.
            try:
                self._trio.lowlevel.spawn_system_task(run)
            except RuntimeError:  # the run is shutting down: the task can never begin
                if lost is None:
                    raise
                lost()

        if self.in_loop():
            create()
        elif not self.call_soon(create):
            raise loop_ended_error()

        def cancel() -> None:
            if self.in_loop():
                scope.cancel()
            else:
                self.call_soon(scope.cancel)  # dropped once the loop ended: nothing runs

        return cancel


def _nothing() -> None:
    pass


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
