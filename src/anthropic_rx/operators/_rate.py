"""UI-rate operators: `coalesce_text` (text per frame) and `latest` (throttle that keeps the last).

reactivex's ``throttle_first`` drops the final value, ``debounce`` starves while tokens keep
coming and ``sample`` holds the tail until the next tick (research/reactive-anchors.md §1.9).
Both operators here emit the first value at once, then at most one value per ``interval``
while values keep coming, and flush what is pending when the source ends — before its
completion or its error, so nothing received is lost.

Pass the scheduler of the thread that should see the values (a GUI scheduler, or the
``TestScheduler`` in tests); by default timed work runs on the subscription's scheduler, else
reactivex's ``TimeoutScheduler`` (a timer thread).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from reactivex import Observable, abc
from reactivex.disposable import CompositeDisposable, SerialDisposable, SingleAssignmentDisposable
from reactivex.scheduler import TimeoutScheduler

from ..events import StreamEvent
from ..typing import Operator
from ._shared import Pipeline
from ._text import text_only

__all__ = ["coalesce_text", "latest"]

_T = TypeVar("_T")
_R = TypeVar("_R")


def _seconds(interval: float | timedelta) -> float:
    period = interval.total_seconds() if isinstance(interval, timedelta) else float(interval)
    if not period >= 0:
        raise ValueError(f"expected a non-negative interval, got {interval!r}")
    return period


def _throttle(
    source: Observable[_T],
    period: float,
    scheduler: abc.SchedulerBase | None,
    combine: Callable[[list[_T]], _R],
    wrap: Callable[[_T], _R],
) -> Observable[_R]:
    def subscribe(
        observer: abc.ObserverBase[_R], scheduler_: abc.SchedulerBase | None = None
    ) -> abc.DisposableBase:
        clock = scheduler or scheduler_ or TimeoutScheduler.singleton()
        lock = threading.RLock()  # values and ticks come from different threads: serialize
        pending: list[_T] = []
        cooling = False
        done = False
        timer = SerialDisposable()

        def tick(_: abc.SchedulerBase, __: Any = None) -> None:
            nonlocal cooling, done
            with lock:
                if done:
                    return
                if not pending:
                    cooling = False
                    return
                value = combine(pending)
                pending.clear()
                try:
                    observer.on_next(value)
                except Exception as exc:
                    # A timer tick has no caller to raise to: the subscriber gets its error.
                    done = True
                    subscription.dispose()
                    observer.on_error(exc)
                    return
                timer.disposable = clock.schedule_relative(period, tick)

        def on_next(value: _T) -> None:
            nonlocal cooling
            with lock:
                if done:
                    return
                if cooling:
                    pending.append(value)
                    return
                cooling = True
                observer.on_next(wrap(value))
                timer.disposable = clock.schedule_relative(period, tick)

        def end(error: Exception | None) -> None:
            nonlocal done
            with lock:
                if done:
                    return
                done = True
                timer.dispose()
                if pending:
                    value = combine(pending)
                    pending.clear()
                    observer.on_next(value)
                if error is None:
                    observer.on_completed()
                else:
                    observer.on_error(error)

        subscription = SingleAssignmentDisposable()
        subscription.disposable = source.subscribe(
            on_next, end, lambda: end(None), scheduler=scheduler_
        )
        return CompositeDisposable(subscription, timer)

    return Pipeline(subscribe)


def coalesce_text(
    interval: float | timedelta = 1 / 60, *, scheduler: abc.SchedulerBase | None = None
) -> Operator[StreamEvent, str]:
    """Emit the message's text in pieces of at most one per *interval*: text per frame.

    The first text delta goes out at once; while more keep coming, those of each interval
    are joined into one string; the rest is flushed when the stream ends. Joined with
    ``""``, the pieces are exactly the message's text. A GUI that appends each piece to a
    widget redraws at most once per frame, however fast the model writes.

    Args:
        interval: the frame, in seconds (default 1/60) or as a ``timedelta``.
        scheduler: where the frame timer runs (pass the GUI's, or a ``TestScheduler``).

    Example:
        >>> stream.pipe(coalesce_text(1 / 30, scheduler=tk_scheduler)).subscribe(append)

    Marble (interval = 3 ticks; x = "cd"):
        -a-b-c-d---------e-|
        [ coalesce_text(3) ]
        -a--b--x---------e-|

    Errors:
        As `text_only`, after the pending text is flushed.
    """

    period = _seconds(interval)

    def operator(source: Observable[StreamEvent]) -> Observable[str]:
        return _throttle(text_only()(source), period, scheduler, "".join, lambda s: s)

    return operator


def latest(
    interval: float | timedelta = 1 / 60, *, scheduler: abc.SchedulerBase | None = None
) -> Callable[[Observable[_T]], Observable[_T]]:
    """Throttle any Observable to one value per *interval*, always delivering the last one.

    Unlike ``throttle_first``, the final value is never dropped: the first value goes out
    at once, then the newest value at the end of each busy interval, and a pending value
    is flushed when the source ends. Made for snapshots: ``accumulate()`` then ``latest``.

    Args:
        interval: the period, in seconds or as a ``timedelta``.
        scheduler: where the timer runs.

    Example:
        >>> stream.pipe(accumulate(), latest(0.1, scheduler=qt_scheduler)).subscribe(render)

    Marble (interval = 3 ticks):
        -a-b-c-d---------e-|
        [     latest(3)    ]
        -a--b--d---------e-|
    """

    period = _seconds(interval)

    def operator(source: Observable[_T]) -> Observable[_T]:
        return _throttle(source, period, scheduler, lambda values: values[-1], lambda v: v)

    return operator
