"""`SerialQueue`: serialised delivery, the "emitter loop" of Rx, written once.

Many threads produce; one at a time delivers, in order, and never while holding the lock.
A producer `put`s an item; if no drain is running it is told to start one (on its own
thread, or by scheduling one: a GUI turn); the drain `take`s items until the queue is seen
empty, which ends it. An item put while a drain runs is delivered by that drain, after the
ones before it. A callback that re-enters (delivers, and so puts) gets no nested drain.

The owner may share its own lock (``SerialQueue(lock)``) to change its state and the queue's
in one step. `seal` lets one last item in (an Rx end) and refuses what comes after it;
`close` drops everything queued and refuses every later item.

Example:
    >>> queue: SerialQueue[int] = SerialQueue()
    >>> def push(item: int) -> None:
    ...     if queue.put(item):            # no drain running: this thread delivers
    ...         while (next_ := queue.take()) is not EMPTY:
    ...             deliver(next_)
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from enum import Enum
from typing import Any, Final, Generic, Literal, Protocol, TypeVar, final

from reactivex import abc
from reactivex.disposable import Disposable

__all__ = ["EMPTY", "Empty", "Leaving", "SerialQueue", "leave_on_dispose", "terminate"]

_log = logging.getLogger("anthropic_rx")

_T = TypeVar("_T")


class Empty(Enum):
    """The type of `EMPTY` (an enum, so that ``is not EMPTY`` narrows for type checkers)."""

    EMPTY = "EMPTY"


#: What `SerialQueue.take` returns when the drain is over.
EMPTY: Final = Empty.EMPTY


@final
class SerialQueue(Generic[_T]):
    """A FIFO under a lock, and the flag of the one drain that empties it (see the module).

    Attributes:
        lock: the lock guarding the queue (the owner's, when it passed one).
    """

    __slots__ = ("_busy", "_closed", "_items", "_sealed", "lock")

    def __init__(self, lock: threading.Lock | threading.RLock | None = None) -> None:
        self.lock = lock if lock is not None else threading.Lock()
        self._items: deque[_T] = deque()
        self._busy = False  # a drain is running (or scheduled)
        self._sealed = False  # the last item is in: refuse any other
        self._closed = False  # everything dropped: refuse any item

    def put(self, item: _T, *, last: bool = False) -> bool:
        """Queue *item* (the last one if *last*); return whether the caller must start a drain.

        ``False`` when a drain is running (it delivers *item*) or when the queue refuses it
        (closed, or sealed by an earlier last item).
        """
        with self.lock:
            return self.put_locked(item, last=last)

    def put_locked(self, item: _T, *, last: bool = False) -> bool:
        """`put`, for an owner that holds `lock` already."""
        if self._closed or self._sealed:
            return False
        self._sealed = last
        self._items.append(item)
        if self._busy:
            return False
        self._busy = True
        return True

    def take(self) -> _T | Literal[Empty.EMPTY]:
        """The next item, or `EMPTY`: the queue is empty or closed, and the drain is over."""
        with self.lock:
            if self._closed or not self._items:
                self._busy = False
                return EMPTY
            return self._items.popleft()

    def pending(self) -> int:
        """How many items wait now (a drain's budget for one turn)."""
        with self.lock:
            return len(self._items)

    def rest(self) -> bool:
        """End a drain's turn: whether it must go on (items remain) and so stays running."""
        with self.lock:
            self._busy = bool(self._items) and not self._closed
            return self._busy

    @property
    def finished(self) -> bool:
        """Whether the last item (see `put`) has been taken: nothing will ever come again."""
        return self._sealed and not self._items

    @property
    def closed(self) -> bool:
        """Whether `close` was called."""
        return self._closed

    def close(self) -> None:
        """Drop every queued item and refuse all later ones (idempotent, any thread)."""
        with self.lock:
            self.close_locked()

    def close_locked(self) -> None:
        """`close`, for an owner that holds `lock` already."""
        self._closed = True
        self._items.clear()


def terminate(observer: abc.ObserverBase[Any], error: Exception | None) -> None:
    """Send the terminal signal; a callback that raises here is logged, never propagated.

    What every serialised deliverer (`MessageStream`, a conversation's replay) ends with.

    Example:
        >>> terminate(observer, None)   # on_completed(); terminate(observer, exc): on_error
    """
    try:
        if error is None:
            observer.on_completed()
        else:
            observer.on_error(error)
    except Exception:
        _log.exception("anthropic_rx: a subscriber's terminal callback raised")


class Leaving(Protocol):
    """A subscriber of a hot source: disposing of it sets ``disposed``."""

    disposed: bool


_S = TypeVar("_S", bound=Leaving)


def leave_on_dispose(
    lock: threading.Lock | threading.RLock,
    subscribers: list[_S],
    subscriber: _S,
    last: Callable[[], None] | None = None,
) -> abc.DisposableBase:
    """The `Disposable` of one subscription to a hot, replaying source.

    Disposing marks *subscriber* disposed (a drain under way stops before its next value)
    and takes it out of *subscribers*, under *lock*; then, outside the lock, *last* runs if
    no subscriber is left (a `MessageStream` aborts its request). Disposing twice is harmless.

    Example:
        >>> class Subscriber:
        ...     disposed = False
        >>> lock, subscribers, subscriber = threading.Lock(), [], Subscriber()
        >>> subscribers.append(subscriber)
        >>> leaving = leave_on_dispose(lock, subscribers, subscriber, lambda: print("none left"))
        >>> leaving.dispose()
        none left
        >>> subscriber.disposed, subscribers
        (True, [])
    """

    def dispose() -> None:
        with lock:
            subscriber.disposed = True
            if subscriber in subscribers:
                subscribers.remove(subscriber)
            none_left = not subscribers
        if none_left and last is not None:
            last()

    return Disposable(dispose)
