"""`Gate`: a condition that threads wait on with `Gate.wait` and coroutines with `Gate.await_open`.

Views and timelines are fed from a stream's reader thread (or a timer thread), while the
notebook waits in its own: a blocking ``wait()`` in a sync cell, or ``await`` in an async one
on the kernel's event loop. The gate wakes both kinds of waiter, from whichever thread opens
it, and hops back to the waiting loop with ``call_soon`` (asyncio and trio alike).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import anyio

from .._loop import current_loop

__all__ = ["Gate"]


class Gate:
    """A gate that is either open or closed; waiters pass once it is open.

    It may close again (a `Timeline` that gets a new stream after the others ended).
    """

    def __init__(self, *, is_open: bool = False) -> None:
        self._condition = threading.Condition(threading.Lock())
        self._open = is_open
        self._wakers: list[Callable[[], None]] = []

    @property
    def is_open(self) -> bool:
        """Whether waiters pass now."""
        with self._condition:
            return self._open

    def open(self) -> None:
        """Open the gate and wake every waiter; safe from any thread."""
        with self._condition:
            self._open = True
            self._condition.notify_all()
            wakers, self._wakers = self._wakers, []
        for wake in wakers:
            wake()

    def close(self) -> None:
        """Close the gate: later waiters wait for the next `open`."""
        with self._condition:
            self._open = False

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the gate is open; return ``False`` if *timeout* seconds passed first."""
        with self._condition:
            return self._condition.wait_for(lambda: self._open, timeout)

    async def await_open(self) -> None:
        """Wait on the running asyncio or trio loop until the gate is open."""
        loop = current_loop()
        event = anyio.Event()

        def wake() -> None:
            loop.call_soon(event.set)

        with self._condition:
            if self._open:
                return
            self._wakers.append(wake)
        try:
            await event.wait()
        finally:
            # Cancelled (a timeout, an interrupted cell): forget this waiter, so waits that
            # keep timing out on a gate that stays closed do not pile up.
            with self._condition:
                if wake in self._wakers:
                    self._wakers.remove(wake)
