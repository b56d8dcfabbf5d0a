"""`merge_tagged`: many Observables as one, each item tagged with its source's key.

Sources are subscribed in order, at most ``max_concurrent`` at a time; the next one is
subscribed when one ends, so a source that is a cold request (``reactivex.defer`` of
``client.messages.stream``) starts only when its slot frees. Items from every source go
through one queue drained by one thread at a time (the "emitter loop" of Rx): downstream
never sees two calls at once, no lock is held while its callbacks run, and a producer thread
never waits for another source's consumer. Each source's items keep their order, because
each source delivers serially and the queue is first in, first out.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar, cast, final, overload

from reactivex import Observable, abc
from reactivex.disposable import Disposable, SingleAssignmentDisposable

from .._core import MessageSnapshot
from .._exceptions import AnthropicRxError
from .._serial import EMPTY, SerialQueue
from .._steps import Pipeline

__all__ = [
    "Merge",
    "StreamFailed",
    "Tagged",
    "check_max_concurrent",
    "merge_tagged",
    "merged",
    "note_key",
    "pairs_of",
]

_log = logging.getLogger("anthropic_rx")

_K = TypeVar("_K")
_T = TypeVar("_T")
_K_co = TypeVar("_K_co", covariant=True)
_T_co = TypeVar("_T_co", covariant=True)


@final
@dataclass(frozen=True, slots=True)
class Tagged(Generic[_K_co, _T_co]):
    """An item of a merged stream, and the key of the source it came from.

    Attributes:
        key: the key the source was given (a name, a model, an index, …).
        value: the source's item: an event, a snapshot, a message, or a `StreamFailed`.

    Example:
        >>> merged.subscribe(lambda item: print(item.key, item.value.type))
    """

    key: _K_co
    value: _T_co


@final
@dataclass(frozen=True, slots=True)
class StreamFailed:
    """The end of a source that failed, as an item (``isolate_errors=True``).

    With ``isolate_errors=True`` a failing source does not end the merged stream: its error
    arrives as ``Tagged(key, StreamFailed(error))``, after every item it sent before, and
    the other sources go on.

    Attributes:
        error: the source's error, unchanged (a `RateLimitError`, an
            `IncompleteStreamError`, …).

    Example:
        >>> for item in items:
        ...     if isinstance(item.value, StreamFailed):
        ...         print(item.key, "failed:", item.value.error)
    """

    error: Exception

    @property
    def snapshot(self) -> MessageSnapshot | None:
        """What the failed stream had received (the error's ``.snapshot``), if known."""
        return self.error.snapshot if isinstance(self.error, AnthropicRxError) else None


def pairs_of(sources: Mapping[_K, _T] | Iterable[tuple[_K, _T]]) -> list[tuple[_K, _T]]:
    """Return *sources* as a list of (key, value) pairs, in order."""
    if isinstance(sources, Mapping):
        return list(cast("Mapping[_K, _T]", sources).items())
    return list(sources)


def check_max_concurrent(max_concurrent: int | None) -> None:
    """Reject a bound that is not a positive int (``None`` means no bound)."""
    if max_concurrent is not None and not max_concurrent >= 1:
        raise ValueError(f"expected max_concurrent to be None or >= 1, got {max_concurrent!r}")


def note_key(error: Exception, key: object, where: str) -> None:
    """Say in *error*'s notes which source it ended, once (a replayed error is shared)."""
    note = f"(in the stream with key {key!r} of {where})"
    if note not in getattr(error, "__notes__", ()):
        error.add_note(note)


_NEXT, _ERROR, _COMPLETED = 0, 1, 2


class _Inner:
    """The observer of one source: its signals, numbered, into the merge's queue."""

    __slots__ = ("_index", "_push")

    def __init__(self, push: Callable[[int, int, Any], None], index: int) -> None:
        self._push = push
        self._index = index

    def on_next(self, value: Any) -> None:
        self._push(_NEXT, self._index, value)

    def on_error(self, error: Exception) -> None:
        self._push(_ERROR, self._index, error)

    def on_completed(self) -> None:
        self._push(_COMPLETED, self._index, None)


class Merge(Generic[_K, _T]):
    """One subscription of `merge_tagged`: the queue, the slots, the inner subscriptions.

    Made first, started second: items may arrive during `start` (a source that replays
    delivers at subscribe time), so a caller that may stop the merge from one of them
    holds the merge before it starts.
    """

    def __init__(
        self,
        observer: abc.ObserverBase[Tagged[_K, Any]],
        sources: list[tuple[_K, Observable[_T]]],
        *,
        max_concurrent: int | None,
        isolate_errors: bool,
        where: str,
        scheduler: abc.SchedulerBase | None,
    ) -> None:
        self._observer = observer
        self._pending = deque(enumerate(sources))
        self._limit = max_concurrent
        self._isolate = isolate_errors
        self._where = where
        self._scheduler = scheduler
        self._lock = threading.Lock()
        # (kind, index, payload), delivered by one thread at a time; closed once it is done.
        self._queue: SerialQueue[tuple[int, int, Any]] = SerialQueue(self._lock)
        self._done = False
        self._active = 0
        self._keys: dict[int, _K] = {}
        self._subscriptions: dict[int, SingleAssignmentDisposable] = {}

    # -- starting sources ----------------------------------------------------------------

    def fill(self) -> None:
        """Subscribe pending sources while a slot is free."""
        while True:
            with self._lock:
                if self._done or not self._pending:
                    return
                if self._limit is not None and self._active >= self._limit:
                    return
                index, (key, source) = self._pending.popleft()
                self._active += 1
                self._keys[index] = key
                slot = self._subscriptions[index] = SingleAssignmentDisposable()
            inner = _Inner(self._push, index)
            try:
                slot.disposable = source.subscribe(
                    inner.on_next, inner.on_error, inner.on_completed, scheduler=self._scheduler
                )
            except Exception as exc:  # a source whose subscribe raises fails like on_error
                self._push(_ERROR, index, exc)

    def start(self) -> None:
        """Subscribe the first sources, or complete at once when there are none."""
        with self._lock:
            empty = not self._pending
        if empty:
            self._push(_COMPLETED, -1, None)
        else:
            self.fill()

    # -- delivering ----------------------------------------------------------------------

    def _push(self, kind: int, index: int, payload: Any) -> None:
        if self._queue.put((kind, index, payload)):  # else the draining thread delivers it
            self._drain()

    def _drain(self) -> None:
        take = self._queue.take
        while (item := take()) is not EMPTY:
            kind, index, payload = item
            try:
                self._handle(kind, index, payload)
            except Exception as exc:
                # Downstream raised: it is done, and so is everything that fed it. Rx's
                # subscribe() drops an on_error after its own callback raised: say it here.
                _log.error("anthropic_rx: a subscriber's callback raised", exc_info=exc)
                self._fail(exc)

    def _handle(self, kind: int, index: int, payload: Any) -> None:
        observer = self._observer
        if kind == _NEXT:
            observer.on_next(Tagged(self._keys[index], payload))
            return
        if kind == _ERROR:
            key = self._keys[index]
            if not self._isolate:
                note_key(payload, key, self._where)
                self._fail(payload)
                return
            observer.on_next(Tagged(key, StreamFailed(payload)))
        with self._lock:
            if index >= 0:
                self._active -= 1
                self._subscriptions.pop(index, None)
                self._keys.pop(index, None)
            finished = not self._pending and self._active == 0
            if finished:
                self._done = True
                self._queue.close_locked()
        if finished:
            observer.on_completed()
        else:
            self.fill()

    def _fail(self, error: Exception) -> None:
        if not self._stop():
            return
        try:
            self._observer.on_error(error)
        except Exception:
            _log.exception("anthropic_rx: a subscriber's on_error raised")

    # -- ending --------------------------------------------------------------------------

    def dispose(self) -> None:
        """Dispose every running source and start no other."""
        self._stop()

    def _stop(self) -> bool:
        """Stop as `dispose` does; return whether this call stopped it."""
        with self._lock:
            if self._done and not self._subscriptions:
                return False
            self._done = True
            self._queue.close_locked()
            self._pending.clear()
            subscriptions = list(self._subscriptions.values())
            self._subscriptions.clear()
        for subscription in subscriptions:
            subscription.dispose()  # a MessageStream's last subscriber leaving aborts it
        return True


@overload
def merge_tagged(
    sources: Mapping[_K, Observable[_T]] | Iterable[tuple[_K, Observable[_T]]],
    /,
    *,
    max_concurrent: int | None = None,
    isolate_errors: Literal[False] = False,
) -> Observable[Tagged[_K, _T]]: ...


@overload
def merge_tagged(
    sources: Mapping[_K, Observable[_T]] | Iterable[tuple[_K, Observable[_T]]],
    /,
    *,
    max_concurrent: int | None = None,
    isolate_errors: bool,
) -> Observable[Tagged[_K, _T | StreamFailed]]: ...


def merge_tagged(
    sources: Mapping[_K, Observable[_T]] | Iterable[tuple[_K, Observable[_T]]],
    /,
    *,
    max_concurrent: int | None = None,
    isolate_errors: bool = False,
) -> Observable[Tagged[_K, Any]]:
    """Merge several Observables into one whose items are ``Tagged(key, item)``.

    Cold: each subscription subscribes the sources anew, in order, at most
    ``max_concurrent`` at a time (all at once by default), the next one when one ends. No
    item is lost and each source's items keep their order; the merged items are delivered
    one at a time, never concurrently, on one of the sources' threads: the one delivering
    when the item arrives, which may be another source's (a producer never waits for a
    busy subscriber, it leaves the item to the thread already delivering).
    Disposing the subscription disposes every running source, which for a `MessageStream`
    (its last subscriber gone) aborts the request and closes its connection.

    Completes when every source has ended. A source's error ends everything by default:
    the other sources are disposed and the error goes on, unchanged, with a note naming the
    key (so ``except RateLimitError`` still works and ``.snapshot`` keeps what arrived).
    With ``isolate_errors=True`` it arrives instead as ``Tagged(key, StreamFailed(error))``
    and the others go on.

    Args:
        sources: the Observables by key: a mapping, or an iterable of ``(key, source)``
            pairs (read once, at the call; keys may repeat there).
        max_concurrent: how many sources may be subscribed at once (``None``: all).
        isolate_errors: deliver a source's error as a `StreamFailed` item instead of
            ending the merged stream.

    Returns:
        An Observable of `Tagged` items; ``await`` it for the last one.

    Raises:
        ValueError: ``max_concurrent`` is not ``None`` or an int >= 1.

    Example:
        >>> recordings = {"a": arx.from_recording(A), "b": arx.from_recording(B)}
        >>> merge_tagged(recordings).subscribe(lambda t: print(t.key, t.value.type))
        >>> merge_tagged(recordings, max_concurrent=1)   # "a" to the end, then "b"
    """
    check_max_concurrent(max_concurrent)
    if isinstance(sources, Mapping):
        mapping = cast("Mapping[_K, Observable[_T]]", sources)

        def pairs() -> list[tuple[_K, Observable[_T]]]:
            return list(mapping.items())  # read at each subscription: it may have changed
    else:
        fixed = list(sources)

        def pairs() -> list[tuple[_K, Observable[_T]]]:
            return fixed

    return merged(
        pairs, max_concurrent=max_concurrent, isolate_errors=isolate_errors, where="merge_tagged"
    )


def merged(
    pairs: Callable[[], list[tuple[_K, Observable[_T]]]],
    *,
    max_concurrent: int | None,
    isolate_errors: bool,
    where: str,
) -> Pipeline[Tagged[_K, Any]]:
    """The Observable behind `merge_tagged`, named *where* in error notes."""

    def subscribe(
        observer: abc.ObserverBase[Tagged[_K, Any]], scheduler: abc.SchedulerBase | None = None
    ) -> abc.DisposableBase:
        merge: Merge[_K, _T] = Merge(
            observer,
            pairs(),
            max_concurrent=max_concurrent,
            isolate_errors=isolate_errors,
            where=where,
            scheduler=scheduler,
        )
        merge.start()
        return Disposable(merge.dispose)

    return Pipeline(subscribe)
