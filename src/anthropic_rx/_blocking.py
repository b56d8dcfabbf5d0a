"""Refusing a blocking wait that could only deadlock where it is made.

A stream needs one thread to go on: the event loop's thread for an `AsyncClient` stream,
its reader thread for a sync one (where its callbacks run). Blocking that very thread until
the stream ends (``.run()``, ``wait()``) can never return, so every blocking entry point asks
first and raises a `RuntimeError` that names the fix, at once, instead of hanging.

A stream says why with ``__arx_blocks__(thread)`` (a reason, or ``None``: `Blocker`). How a
blocking call finds the streams it would wait on:

* ``.run()`` of our Observables subscribes with a `WaitingScheduler`, which names the
  thread that will block; reactivex passes a subscription's scheduler up the chain, so each
  `MessageStream` subscribed for it checks (`subscribed`) before anything starts, and its
  refusal reaches ``run()`` as ``on_error``. reactivex's own ``.run()`` (on a plain
  ``ops.map`` pipeline) is recognised by its default scheduler.
* A view or a timeline subscribes long before it is waited on: it notes the streams its
  subscription reached (`collecting`) and asks them when ``wait()`` is called (`refuse`).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Generator, Iterable
from contextlib import contextmanager
from typing import Protocol, runtime_checkable

from reactivex import abc
from reactivex.scheduler import NewThreadScheduler

__all__ = ["Blocker", "WaitingScheduler", "collecting", "refuse", "subscribed"]

_local = threading.local()
# The scheduler reactivex's own run() subscribes with when given none (a private name of
# reactivex: if it goes, only plain reactivex pipelines lose the early refusal).
_REACTIVEX_RUN: object = getattr(
    importlib.import_module("reactivex.run"), "_default_scheduler", None
)


@runtime_checkable
class Blocker(Protocol):
    """A source that can say why blocking a thread until it ends would never return.

    Example:
        >>> reason = stream.__arx_blocks__(threading.get_ident())   # None: waiting is fine
    """

    def __arx_blocks__(self, thread: int) -> str | None:
        """Why blocking *thread* until this source ends would never return, or ``None``."""
        ...


class WaitingScheduler(NewThreadScheduler):
    """The scheduler a blocking call subscribes with: it names the call and the thread it blocks.

    It schedules as reactivex's ``run()`` default does (a new thread per item).
    """

    def __init__(self, call: str) -> None:
        super().__init__()
        self.call = call
        self.thread = threading.get_ident()


def _waiting(scheduler: abc.SchedulerBase | None) -> tuple[int, str] | None:
    if isinstance(scheduler, WaitingScheduler):
        return scheduler.thread, scheduler.call
    if scheduler is not None and scheduler is _REACTIVEX_RUN:
        return threading.get_ident(), "run()"  # reactivex's run(): it blocks the subscriber
    return None


def refuse(sources: Iterable[object], call: str, thread: int | None = None) -> None:
    """Raise if blocking *thread* (this one by default) on any of *sources* would never end.

    Raises:
        RuntimeError: naming *call*, why, and what to do instead.
    """
    thread = threading.get_ident() if thread is None else thread
    for source in sources:
        reason = source.__arx_blocks__(thread) if isinstance(source, Blocker) else None
        if reason is not None:
            raise RuntimeError(f"{call} would block for ever: {reason}")


def subscribed(source: object, scheduler: abc.SchedulerBase | None) -> None:
    """Note *source* as subscribed now, on this thread; refuse it to a blocking call.

    Called by a source as its subscription begins, before it starts anything.

    Raises:
        RuntimeError: *scheduler* is a blocking call's, and the thread it blocks is the one
            *source* needs.
    """
    for found in getattr(_local, "collecting", ()):
        found.append(source)
    waiting = _waiting(scheduler)
    if waiting is not None:
        refuse((source,), waiting[1], waiting[0])


@contextmanager
def collecting() -> Generator[list[object], None, None]:
    """Collect every source subscribed on this thread inside the block (see `subscribed`).

    Example:
        >>> with collecting() as streams:
        ...     subscription = observable.subscribe(on_next)
        >>> refuse(streams, "wait()")  # later, before blocking
    """
    found: list[object] = []
    stack: list[list[object]] = getattr(_local, "collecting", [])
    _local.collecting = [*stack, found]
    try:
        yield found
    finally:
        _local.collecting = stack
