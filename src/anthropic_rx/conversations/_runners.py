"""Where tool calls run: worker threads and a private loop (sync client), or the app's loop.

A runner starts one call and reports its `Outcome` once through a callback, from whatever
thread it ends on; it returns a function that cancels the call. Sync functions run on a
worker thread of their own (a thread cannot be killed: a call that is cancelled or times
out is abandoned, and its result discarded when it comes). Async functions run on an
event loop: the app's (asyncio or trio) for an `AsyncClient` conversation, or one private
loop thread shared by every sync `Client` conversation.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, cast

import anyio
import anyio.to_thread

from .._loop import LoopHandle
from ._tools import is_awaitable

__all__ = ["LoopRunner", "Outcome", "Runner", "ThreadRunner"]


@dataclass(frozen=True)
class Outcome:
    """How a call ended: a *value*, an *error*, a timeout, or a cancellation."""

    value: Any = None
    error: BaseException | None = None
    timed_out: bool = False
    cancelled: bool = False


Done = Callable[[Outcome], None]
Call = Callable[[], Any]


class Runner(Protocol):
    """Starts tool calls; see the module's docstring."""

    def run(
        self, call: Call, is_async: bool, timeout: float | None, done: Done
    ) -> Callable[[], None]:
        """Start *call*; report its outcome once through *done*; return a cancel function."""
        ...

    def hop(self, callback: Callable[[], None]) -> None:
        """Run *callback* where the conversation's turns start (inline, or on the loop)."""
        ...

    def now(self) -> float:
        """The clock of `ToolStarted` / `ToolFinished` times, in seconds."""
        ...


class _Once:
    """Pass the first outcome to *done*; drop the later ones (a timeout raced the end)."""

    def __init__(self, done: Done) -> None:
        self._done = done
        self._lock = threading.Lock()
        self._fired = False

    def __call__(self, outcome: Outcome) -> bool:
        with self._lock:
            if self._fired:
                return False
            self._fired = True
        self._done(outcome)
        return True


class _PrivateLoop:
    """One asyncio loop on a daemon thread, for async tools of sync conversations."""

    _lock = threading.Lock()
    _loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def get(cls) -> asyncio.AbstractEventLoop:
        with cls._lock:
            if cls._loop is None or cls._loop.is_closed():
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def main() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()

                threading.Thread(target=main, name="anthropic-rx-tools", daemon=True).start()
                ready.wait()
                cls._loop = loop
            return cls._loop


class ThreadRunner:
    """The sync `Client`'s runner: a thread per sync call, a private loop for async ones."""

    def hop(self, callback: Callable[[], None]) -> None:
        """Run *callback* now, on the calling thread (turns of a sync client start anywhere)."""
        callback()

    def now(self) -> float:
        """``time.monotonic()``."""
        return time.monotonic()

    def run(
        self, call: Call, is_async: bool, timeout: float | None, done: Done
    ) -> Callable[[], None]:
        """Start *call*: see `Runner.run`."""
        once = _Once(done)
        timer: threading.Timer | None = None
        if timeout is not None:
            timer = threading.Timer(timeout, lambda: once(Outcome(timed_out=True)))
            timer.daemon = True
        if is_async:
            cancel = self._run_async(call, once, timer)
        else:
            cancel = self._run_sync(call, once, timer)
        if timer is not None:
            timer.start()
        return cancel

    @staticmethod
    def _finish(once: _Once, timer: threading.Timer | None, outcome: Outcome) -> None:
        if timer is not None:
            timer.cancel()
        once(outcome)

    def _run_sync(
        self, call: Call, once: _Once, timer: threading.Timer | None
    ) -> Callable[[], None]:
        def work() -> None:
            try:
                value = call()
                if is_awaitable(value):  # a sync callable that returned a coroutine
                    value = asyncio.run(_awaited(value))
            except BaseException as exc:  # reported to the model, never raised on a thread
                self._finish(once, timer, Outcome(error=exc))
                return
            self._finish(once, timer, Outcome(value=value))

        threading.Thread(target=work, name="anthropic-rx-tool", daemon=True).start()

        def cancel() -> None:
            if timer is not None:
                timer.cancel()
            once(Outcome(cancelled=True))  # the thread runs on; its result is dropped

        return cancel

    def _run_async(
        self, call: Call, once: _Once, timer: threading.Timer | None
    ) -> Callable[[], None]:
        loop = _PrivateLoop.get()

        async def work() -> Any:
            value = call()
            return await _awaited(value) if is_awaitable(value) else value

        future = asyncio.run_coroutine_threadsafe(work(), loop)
        ours = threading.Event()  # set when we cancel; a tool may raise CancelledError itself

        def finished(f: Any) -> None:
            if f.cancelled():
                outcome = (
                    Outcome(cancelled=True)
                    if ours.is_set()
                    else Outcome(error=asyncio.CancelledError("the tool was cancelled"))
                )
                self._finish(once, timer, outcome)
            elif f.exception() is not None:
                self._finish(once, timer, Outcome(error=f.exception()))
            else:
                self._finish(once, timer, Outcome(value=f.result()))

        future.add_done_callback(finished)

        def cancel() -> None:
            if timer is not None:
                timer.cancel()
            ours.set()
            once(Outcome(cancelled=True))
            future.cancel()

        if timer is not None:  # a timeout cancels the coroutine too, not only the wait
            original = timer.function

            def on_timeout(*args: Any, **kwargs: Any) -> None:
                original(*args, **kwargs)
                ours.set()
                future.cancel()

            timer.function = on_timeout
        return cancel


async def _awaited(value: Any) -> Any:
    return await cast(Awaitable[Any], value)


class LoopRunner:
    """The `AsyncClient`'s runner: tasks on the app's loop (asyncio or trio, through anyio).

    Async functions run on the loop; sync ones on anyio's worker threads (abandoned when
    cancelled or timed out); a timeout is an anyio cancel scope.
    """

    def __init__(self, loop: LoopHandle) -> None:
        self.loop = loop

    def hop(self, callback: Callable[[], None]) -> None:
        """Run *callback* on the loop: inline when already there, else soon."""
        if self.loop.in_loop():
            callback()
        else:
            self.loop.call_soon(callback)

    def now(self) -> float:
        """The loop's clock (virtual under trio's ``MockClock``), even in a loop callback.

        Not ``anyio.current_time()``: in a plain asyncio callback (``call_soon``) there is
        no task, and anyio cannot tell which loop runs.
        """
        trio = sys.modules.get("trio")
        if trio is not None:
            try:
                return float(trio.current_time())
            except RuntimeError:
                pass
        try:
            return asyncio.get_running_loop().time()
        except RuntimeError:  # pragma: no cover - the conversation reads it on the loop
            return time.monotonic()

    def run(
        self, call: Call, is_async: bool, timeout: float | None, done: Done
    ) -> Callable[[], None]:
        """Start *call* as a task on the loop: see `Runner.run`."""
        once = _Once(done)

        async def task() -> None:
            try:
                with anyio.CancelScope() as scope:
                    if timeout is not None:
                        scope.deadline = anyio.current_time() + timeout
                    if is_async:
                        value = call()
                        if is_awaitable(value):
                            value = await _awaited(value)
                    else:
                        value = await anyio.to_thread.run_sync(call, abandon_on_cancel=True)
                    once(Outcome(value=value))
                    return
                if scope.cancelled_caught:
                    once(Outcome(timed_out=True))
            except Exception as exc:
                once(Outcome(error=exc))
            except BaseException as exc:
                # Our cancel (abort, a dropped call): nothing to report. Any other (the loop
                # closing, a tool that raised a cancellation itself): the call must still
                # end, or its conversation would wait for it for ever.
                once(Outcome(cancelled=True) if ours.is_set() else Outcome(error=exc))
                raise

        ours = threading.Event()
        cancel_task = self.loop.spawn(task)

        def cancel() -> None:
            ours.set()
            once(Outcome(cancelled=True))
            cancel_task()

        return cancel
