"""Layer 3½: the core's fold as Observables, the door every layer above reads steps through.

A *step* is one event and the snapshot after it (`Step`). `folded` turns any Observable of
events into its steps, with one `MessageAccumulator` per subscription (state through a fresh
closure per subscribe, as reactivex's ``scan`` does), so two subscribers never share one.

A source that folds its own events implements `StepsSource`: `MessageStream` (one
accumulator for every pipeline on one request), ``from_bytes``' Observable (decoding,
parsing and folding in one loop) and `testing.ManualStream`. `folded` reads their steps
instead of folding again, so pipelines on one stream share a single accumulator.

`Pipeline` is what the operators, the views and the timelines return: an Observable that
``await`` and ``.run()`` read safely.

Order violations, typed ``event: error``s and the end of a stream before ``message_stop``
become ``on_error``, after every step before them; once an error is sent the upstream
subscription is disposed and nothing more is delivered.
"""

from __future__ import annotations

from collections.abc import Generator
from functools import lru_cache
from typing import Any, TypeVar, get_args

from reactivex import Observable, abc
from reactivex.disposable import SingleAssignmentDisposable

from ._async import last_value
from ._blocking import WaitingScheduler
from ._core import MessageAccumulator, Step
from ._exceptions import AnthropicRxError
from ._iterate import NotIterable
from .events import StreamEvent

__all__ = ["EventTypes", "Pipeline", "Step", "StepsSource", "exact_kinds", "folded"]

_T = TypeVar("_T")

#: The event types a reader of steps wants (an ``isinstance`` tuple).
EventTypes = tuple[type[StreamEvent], ...]


@lru_cache(maxsize=64)
def exact_kinds(only: EventTypes) -> frozenset[type[StreamEvent]]:
    """The event classes `parse_event` makes that *only* covers.

    For the events of a source that parses them itself, ``type(event) in exact_kinds(only)``
    answers ``isinstance(event, only)``, faster.

    Example:
        >>> exact_kinds((TextDelta,)) <= frozenset(get_args(StreamEvent))
        True
    """
    return frozenset(c for c in get_args(StreamEvent) if issubclass(c, only))


class StepsSource(Observable[StreamEvent]):
    """An Observable of events that also offers them already folded, as steps.

    ``__arx_steps__(None)`` is every step; ``__arx_steps__(only)`` only the steps of events
    that are instances of *only*, though every event is still folded (and its errors sent):
    a source that folds its own events then does not even make the other steps, which is
    most of the cost of an operator that waits for one event (`steps_operator`'s ``only``).
    The errors are `folded`'s. A base class rather than a `typing.Protocol`: `folded` asks
    ``isinstance`` once per pipeline, and a nominal check costs nothing.

    Example:
        >>> steps = stream.__arx_steps__(None)   # stream: a MessageStream
        >>> steps.subscribe(lambda step: print(step.snapshot))
    """

    def __arx_steps__(self, only: EventTypes | None) -> Observable[Step]:
        """The steps of this source's events (see the class)."""
        raise NotImplementedError


class Pipeline(NotIterable, Observable[_T]):
    """What our operators return: an Observable that ``await`` reads safely.

    ``await pipeline`` gives the last value, on asyncio or trio, even when the values come
    from another thread (reactivex's own ``await`` is asyncio-only and not thread-safe).
    ``.run()`` blocks for it, and refuses at once where it could never return.
    """

    def __await__(self) -> Generator[Any, None, _T]:
        return last_value(self).__await__()

    def run(self, scheduler: abc.SchedulerBase | None = None) -> _T:
        """Block until the pipeline completes and return its last value.

        Raises:
            RuntimeError: at once, when a stream it reads could never end while this thread
                waits: an `AsyncClient` stream read by the event loop running this thread
                (``await pipeline`` instead), or a stream whose own callback, on its reader
                thread, called this.
            Exception: the pipeline's ``on_error``.

        Example:
            >>> message = arx.from_recording(HELLO).pipe(final_message()).run()
        """
        return super().run(scheduler or WaitingScheduler("run()"))


_EVENT_CLASSES = get_args(StreamEvent)


def not_an_event(item: object, cause: Exception | None = None) -> TypeError:
    """The error for an item that a per-stream operator cannot read: not a stream event.

    A merged stream's ``Tagged(key, event)`` items are the common case: their fix is named.
    """
    kind = type(item).__name__
    key: object = getattr(item, "key", None)
    if key is not None and hasattr(item, "value"):
        error = TypeError(
            f"expected the events of one stream, got a {kind} item (key {key!r}): "
            "the operators of anthropic_rx.operators read one stream each. For a merged "
            "stream (stream_many, merge_tagged) use the per-key operators of "
            "anthropic_rx.concurrency: .pipe(final_messages()) or .pipe(final_texts()) give "
            "each stream's answer as Tagged(key, answer); or apply the operator to each "
            "source before merging"
        )
    else:
        error = TypeError(f"expected a stream event (anthropic_rx.events), got a {kind}: {item!r}")
    error.__cause__ = cause
    return error


def folded(source: Observable[StreamEvent]) -> Observable[Step]:
    """Pair each event of *source* with the snapshot it leads to.

    Errors: `StreamProtocolError`, `ToolInputError`, an `APIStatusError` subclass for an
    ``event: error``, `IncompleteStreamError` when *source* completes before
    ``message_stop``, and whatever *source* sends (with the snapshot so far attached).

    Example:
        >>> folded(arx.from_recording(HELLO)).subscribe(lambda step: print(step.snapshot))
    """
    if isinstance(source, StepsSource):
        return source.__arx_steps__(None)

    def subscribe(
        observer: abc.ObserverBase[Step], scheduler: abc.SchedulerBase | None = None
    ) -> abc.DisposableBase:
        acc = MessageAccumulator()
        upstream = SingleAssignmentDisposable()
        done = False

        def fail(exc: Exception) -> None:
            nonlocal done
            done = True
            if isinstance(exc, AnthropicRxError):
                exc.with_snapshot(acc.snapshot)
            observer.on_error(exc)
            upstream.dispose()

        def on_next(event: StreamEvent) -> None:
            if done:
                return
            try:
                snapshot = acc.feed(event)
            except Exception as exc:
                # Checked only here, once the accumulator has failed: the per-event path
                # pays nothing for it.
                fail(exc if isinstance(event, _EVENT_CLASSES) else not_an_event(event, exc))
                return
            observer.on_next(Step(event, snapshot))

        def on_error(exc: Exception) -> None:
            if not done:
                fail(exc)

        def on_completed() -> None:
            nonlocal done
            if done:
                return
            if acc.complete:
                done = True
                observer.on_completed()
            else:
                fail(acc.incomplete())

        upstream.disposable = source.subscribe(on_next, on_error, on_completed, scheduler=scheduler)
        return upstream

    return Observable(subscribe)
