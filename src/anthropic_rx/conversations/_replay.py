"""A hot, replaying Observable with serial delivery: what `Conversation` emits through.

Values may be pushed from any thread (a stream's reader, a tool's worker, the GUI thread
that approves a call). Each subscriber gets every value, in the order they were pushed,
never two at once, from whichever thread pushed them, or, for a late subscriber's backlog,
from the subscribing thread: the same delivery contract as `MessageStream`. A subscriber
whose callback raises gets the exception as its ``on_error`` and is dropped; the others go
on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from reactivex import Observable, abc
from reactivex.disposable import Disposable

__all__ = ["Replay"]

_log = logging.getLogger("anthropic_rx")
_T = TypeVar("_T")


class _Subscriber:
    __slots__ = ("cursor", "disposed", "draining", "ended", "observer")

    def __init__(self, observer: abc.ObserverBase[Any]) -> None:
        self.observer = observer
        self.cursor = 0
        self.draining = False
        self.disposed = False
        self.ended = False


class Replay(Generic[_T]):
    """Keeps every value and the end; `observable` subscribes with a full replay."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: list[_T] = []
        self._ended = False
        self._error: Exception | None = None
        self._subscribers: list[_Subscriber] = []
        self.observable: Observable[_T] = Observable(self._subscribe)

    @property
    def ended(self) -> bool:
        """Whether `end` was called."""
        return self._ended

    def values(self) -> Sequence[_T]:
        """The values so far (a copy)."""
        with self._lock:
            return list(self._values)

    def push(self, value: _T) -> None:
        """Add *value* and deliver it to every subscriber (ignored after `end`)."""
        with self._lock:
            if self._ended:
                return
            self._values.append(value)
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            self._drain(subscriber)

    def end(self, error: Exception | None = None) -> bool:
        """Complete (or fail with *error*) after the values so far; return whether it did."""
        with self._lock:
            if self._ended:
                return False
            self._ended = True
            self._error = error
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            self._drain(subscriber)
        return True

    def _subscribe(
        self, observer: abc.ObserverBase[_T], scheduler: abc.SchedulerBase | None = None
    ) -> abc.DisposableBase:
        subscriber = _Subscriber(observer)
        with self._lock:
            self._subscribers.append(subscriber)
        self._drain(subscriber)

        def dispose() -> None:
            with self._lock:
                subscriber.disposed = True
                if subscriber in self._subscribers:
                    self._subscribers.remove(subscriber)

        return Disposable(dispose)

    def _drain(self, subscriber: _Subscriber) -> None:
        while True:
            with self._lock:
                if subscriber.draining or subscriber.disposed or subscriber.ended:
                    return
                batch = self._values[subscriber.cursor :]
                subscriber.cursor += len(batch)
                end = self._ended and subscriber.cursor == len(self._values)
                if not batch and not end:
                    return
                subscriber.draining = True
                if end:
                    subscriber.ended = True
                    self._subscribers.remove(subscriber)
                error = self._error
            try:
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
            _terminate(observer, exc)
            return
        if end and not subscriber.disposed:
            _terminate(observer, error)


def _terminate(observer: abc.ObserverBase[Any], error: Exception | None) -> None:
    try:
        if error is None:
            observer.on_completed()
        else:
            observer.on_error(error)
    except Exception:
        _log.exception("anthropic_rx: a subscriber's terminal callback raised")
