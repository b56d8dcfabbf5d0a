"""A hot, replaying Observable with serial delivery: what `Conversation` emits through.

Values may be pushed from any thread (a stream's reader, a tool's worker, the GUI thread
that approves a call). Each subscriber gets every value, in the order they were pushed,
never two at once, from whichever thread pushed them, or, for a late subscriber's backlog,
from the subscribing thread: the same delivery contract as `MessageStream`. A subscriber
whose callback raises gets the exception as its ``on_error`` and is dropped; the others go
on.

A run of kept values can be folded into a `Segment` that rebuilds them on demand (a
finished turn's stream events, which the turn's own `MessageStream` keeps compactly): the
replay then holds one small object instead of thousands, and late subscribers get equal
values.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from reactivex import Observable, abc

from .._serial import leave_on_dispose, terminate

__all__ = ["Replay", "Segment"]

_log = logging.getLogger("anthropic_rx")
_T = TypeVar("_T")


class Segment:
    """*count* kept values folded into one entry; *rebuild* gives them back, in order."""

    __slots__ = ("count", "rebuild")

    def __init__(self, count: int, rebuild: Callable[[], Sequence[Any]]) -> None:
        self.count = count
        self.rebuild = rebuild


class _Subscriber:
    __slots__ = ("cursor", "disposed", "draining", "ended", "observer", "skip")

    def __init__(self, observer: abc.ObserverBase[Any]) -> None:
        self.observer = observer
        self.cursor = 0
        self.skip = 0  # values of the segment at `cursor` it already has (folded under it)
        self.draining = False
        self.disposed = False
        self.ended = False


class Replay(Generic[_T]):
    """Keeps every value and the end; `observable` subscribes with a full replay."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: list[_T | Segment] = []
        self._ended = False
        self._error: Exception | None = None
        self._subscribers: list[_Subscriber] = []
        self._pushing = threading.local()  # .depth: this thread is inside push() or end()
        self.observable: Observable[_T] = Observable(self._subscribe)

    def pushing_here(self) -> bool:
        """Whether this thread is inside `push` or `end` (delivering, or about to go on).

        The thread that pushes a value is the one that carries its producer on afterwards:
        blocking it in a subscriber's callback until the producer ends can never return.
        """
        return getattr(self._pushing, "depth", 0) > 0

    @property
    def ended(self) -> bool:
        """Whether `end` was called."""
        return self._ended

    def values(self) -> Sequence[_T]:
        """The values so far (a copy, folded segments rebuilt)."""
        with self._lock:
            items = list(self._values)
        return _expand(items, 0)

    def push(self, value: _T) -> int:
        """Add *value*, deliver it to every subscriber, and return its index (-1 after `end`).

        An index stays valid until a `fold` at or before it.
        """
        with self._lock:
            if self._ended:
                return -1
            self._values.append(value)
            index = len(self._values) - 1
            subscribers = list(self._subscribers)
        self._drain_all(subscribers)
        return index

    def _drain_all(self, subscribers: list[_Subscriber]) -> None:
        local = self._pushing
        depth = getattr(local, "depth", 0)
        local.depth = depth + 1
        try:
            for subscriber in subscribers:
                self._drain(subscriber)
        finally:
            local.depth = depth

    def fold(
        self,
        start: int,
        belongs: Callable[[_T], bool],
        segment: Callable[[int, int], Segment],
    ) -> None:
        """Fold each run of values from *start* on for which *belongs* holds into a segment.

        ``segment(offset, count)`` makes the segment of a run: *offset* counts the values
        that belong in the runs before it. Subscribers keep their place.
        """
        with self._lock:
            offset = 0
            i = start
            while i < len(self._values):
                item = self._values[i]
                if isinstance(item, Segment) or not belongs(item):
                    i += 1
                    continue
                end = i
                while end < len(self._values):
                    following = self._values[end]
                    if isinstance(following, Segment) or not belongs(following):
                        break
                    end += 1
                count = end - i
                self._values[i:end] = [segment(offset, count)]
                for subscriber in self._subscribers:
                    if subscriber.cursor >= end:
                        subscriber.cursor -= count - 1
                    elif subscriber.cursor > i:  # it has part of the run: skip that part
                        subscriber.skip = subscriber.cursor - i
                        subscriber.cursor = i
                offset += count
                i += 1

    def end(self, error: Exception | None = None) -> bool:
        """Complete (or fail with *error*) after the values so far; return whether it did."""
        with self._lock:
            if self._ended:
                return False
            self._ended = True
            self._error = error
            subscribers = list(self._subscribers)
        self._drain_all(subscribers)
        return True

    def _subscribe(
        self, observer: abc.ObserverBase[_T], scheduler: abc.SchedulerBase | None = None
    ) -> abc.DisposableBase:
        subscriber = _Subscriber(observer)
        with self._lock:
            self._subscribers.append(subscriber)
        self._drain(subscriber)
        return leave_on_dispose(self._lock, self._subscribers, subscriber)

    def _drain(self, subscriber: _Subscriber) -> None:
        while True:
            with self._lock:
                if subscriber.draining or subscriber.disposed or subscriber.ended:
                    return
                items = self._values[subscriber.cursor :]
                subscriber.cursor += len(items)
                skip, subscriber.skip = subscriber.skip, 0
                end = self._ended and subscriber.cursor == len(self._values)
                if not items and not end:
                    return
                subscriber.draining = True
                if end:
                    subscriber.ended = True
                    self._subscribers.remove(subscriber)
                error = self._error
            try:
                try:
                    batch = _expand(items, skip)
                except Exception as exc:  # a segment that cannot rebuild: this one's error
                    subscriber.disposed = subscriber.ended = True
                    terminate(subscriber.observer, exc)
                    return
                self._deliver(subscriber, batch, end, error)
            finally:
                with self._lock:
                    subscriber.draining = False

    @staticmethod
    def _deliver(
        subscriber: _Subscriber, batch: Sequence[Any], end: bool, error: Exception | None
    ) -> None:
        observer = subscriber.observer
        try:
            for value in batch:
                if subscriber.disposed:
                    return
                observer.on_next(value)
        except Exception as exc:
            subscriber.disposed = subscriber.ended = True
            terminate(observer, exc)
            return
        if end and not subscriber.disposed:
            terminate(observer, error)


def _expand(items: Sequence[Any], skip: int) -> list[Any]:
    """*items* with segments rebuilt, less the first *skip* values of a leading segment."""
    out: list[Any] = []
    for i, item in enumerate(items):
        if isinstance(item, Segment):
            values = list(item.rebuild())
            out.extend(values[skip:] if i == 0 else values)
        else:
            out.append(item)
    return out
