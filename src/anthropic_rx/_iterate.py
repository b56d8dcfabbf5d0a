"""Leaving Rx for plain loops: `to_iterable`, and a clear error for ``for x in observable``.

reactivex's ``Observable`` has ``__getitem__`` (for slicing), so Python's old iteration
protocol makes ``for x in observable`` call it with 0, 1, 2, … and loop for ever. Our
Observables say where to go instead (`NotIterable`); `to_iterable` is the blocking iterator.
"""

from __future__ import annotations

import queue
from collections.abc import Iterator
from typing import Any, Final, Generic, NoReturn, TypeVar, final

from reactivex import Observable, abc

from ._blocking import WaitingScheduler

__all__ = ["NotIterable", "to_iterable"]

_T = TypeVar("_T")
_NEXT: Final = 0
_ERROR: Final = 1
_DONE: Final = 2


class NotIterable:
    """A mixin for our Observables: ``for x in observable`` raises a `TypeError` that helps.

    Example:
        >>> for event in arx.from_recording(HELLO): pass
        Traceback (most recent call last):
        TypeError: '...' is an Observable, not an iterable: ...
    """

    __slots__ = ()

    def __iter__(self) -> NoReturn:
        name = type(self).__name__
        raise TypeError(
            f"{name!r} is an Observable, not an iterable: iterate it with "
            "`for x in arx.to_iterable(observable)` (blocking), or "
            "`async for x in arx.to_async_iterable(observable)`, or subscribe to it"
        )


@final
class BlockingIterator(Iterator[_T], Generic[_T]):
    """The iterator of `to_iterable`: values in order, blocking for each one."""

    def __init__(self, observable: Observable[_T], timeout: float | None) -> None:
        self._observable = observable
        self._timeout = timeout
        self._queue: queue.SimpleQueue[tuple[int, Any]] = queue.SimpleQueue()
        self._subscription: abc.DisposableBase | None = None
        self._finished = False

    def __iter__(self) -> BlockingIterator[_T]:
        return self

    def __next__(self) -> _T:
        if self._finished:
            raise StopIteration
        if self._subscription is None:
            put = self._queue.put
            self._subscription = self._observable.subscribe(
                lambda value: put((_NEXT, value)),
                lambda error: put((_ERROR, error)),
                lambda: put((_DONE, None)),
                scheduler=WaitingScheduler("to_iterable()"),
            )
        try:
            kind, value = self._queue.get(timeout=self._timeout)
        except queue.Empty:
            self.close()
            raise TimeoutError(f"no value within {self._timeout} s") from None
        except BaseException:  # KeyboardInterrupt while waiting: stop the Observable too
            self.close()
            raise
        if kind == _NEXT:
            item: _T = value
            return item
        self.close()
        if kind == _ERROR:
            raise value
        raise StopIteration

    def close(self) -> None:
        """Dispose the subscription (what leaving the loop early does): the request closes."""
        self._finished = True
        subscription, self._subscription = self._subscription, None
        if subscription is not None:
            subscription.dispose()

    def __enter__(self) -> BlockingIterator[_T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        # `break` drops the iterator: refcounting lands here at once, and the request closes.
        self.close()


def to_iterable(
    observable: Observable[_T], *, timeout: float | None = None
) -> BlockingIterator[_T]:
    """Iterate *observable* with a plain ``for`` loop, blocking for each value.

    Subscribes at the first ``next()``; values may come from any thread and wait in a queue
    until read. An ``on_error`` is raised from the loop. Leaving the loop early (``break``,
    an exception) disposes the subscription, which for a `MessageStream`'s last subscriber
    closes the connection; ``with arx.to_iterable(...) as items:`` does it at once anywhere.

    Args:
        observable: any Observable.
        timeout: at most this many seconds to wait for each value (`TimeoutError`, after
            which the subscription is disposed), or ``None`` to wait as long as it takes.

    Raises:
        RuntimeError: at the first ``next()``, where waiting could never end, as ``.run()``
            refuses: on the event loop thread that reads an `AsyncClient` stream (use
            `to_async_iterable`), or inside a stream's own callback.

    Example:
        >>> for text in arx.to_iterable(stream.pipe(text_only())):
        ...     print(text, end="", flush=True)
    """
    return BlockingIterator(observable, timeout)
