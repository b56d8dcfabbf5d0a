"""`from_bytes`: a cold Observable of the events in some bytes, decoded on subscribe."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import cast, final

from reactivex import Observable, abc
from reactivex.disposable import BooleanDisposable, CompositeDisposable
from reactivex.scheduler import CurrentThreadScheduler

from .._core import MessageAccumulator, MessageSnapshot, Step
from .._exceptions import AnthropicRxError
from .._iterate import NotIterable
from .._steps import EventTypes, StepsSource, exact_kinds
from ..events import EventDecoder, StreamEvent

__all__ = ["from_bytes"]

Chunks = bytes | bytearray | memoryview | Iterable[bytes]


def _as_chunks(data: Chunks) -> Iterable[bytes]:
    if isinstance(data, bytes | bytearray | memoryview):
        return (bytes(data),)
    return data


def from_bytes(data: Chunks, *, max_event_bytes: int | None = None) -> Observable[StreamEvent]:
    """Make a cold Observable of the events in *data*: raw bytes, or an iterable of chunks.

    Cold: each subscription decodes from the start, in the subscribing thread (through the
    current-thread trampoline, so ``take(n)`` and disposal stop it early), and completes
    when the bytes run out. An iterable that can be read only once (a generator) gives its
    events to the first subscriber only: for one-shot inputs use `MessageStream`.

    Args:
        data: the bytes of an event stream, whole or as chunks split anywhere.
        max_event_bytes: the most one event may take before `EventTooLargeError`.

    Example:
        >>> from anthropic_rx.operators import final_message
        >>> message = arx.from_bytes(path.read_bytes()).pipe(final_message()).run()

    Errors:
        `EventTooLargeError`, `EventParseError`, and whatever reading *data* raises, after
        every event decoded before it.
    """

    return _BytesObservable(data, max_event_bytes)


# tuple.__new__ builds a Step without NamedTuple's Python-level __new__: this is the hot loop.
_new_step: Callable[[type[Step], tuple[StreamEvent, MessageSnapshot | None]], Step] = cast(
    "Callable[[type[Step], tuple[StreamEvent, MessageSnapshot | None]], Step]",
    tuple.__new__,  # pyright: ignore[reportUnknownMemberType]
)


@final
class _BytesObservable(NotIterable, StepsSource):
    """`from_bytes`'s Observable; operators read its steps (it is a `StepsSource`).

    The steps view decodes, parses and accumulates in one loop, so a pipeline such as
    ``from_bytes(b).pipe(final_message())`` pays for no Rx layer in between.
    """

    def __init__(self, data: Chunks, max_event_bytes: int | None) -> None:
        super().__init__()
        self._data = data
        self._max_event_bytes = max_event_bytes
        self._steps_view: Observable[Step] = Observable(self._subscribe_steps)

    def _subscribe_core(
        self, observer: abc.ObserverBase[StreamEvent], scheduler: abc.SchedulerBase | None = None
    ) -> abc.DisposableBase:
        return self._schedule(lambda cancel: self._events(observer, cancel))

    def _subscribe_steps(
        self, observer: abc.ObserverBase[Step], scheduler: abc.SchedulerBase | None = None
    ) -> abc.DisposableBase:
        return self._schedule(lambda cancel: self._steps(observer, cancel, None))

    def __arx_steps__(self, only: EventTypes | None) -> Observable[Step]:
        """The steps view, less the steps of events that are not instances of *only*.

        Every event is still folded (and its errors sent); only the steps nobody reads are
        neither made nor sent (`steps_operator`'s ``only``).
        """
        if only is None:
            return self._steps_view
        kinds = exact_kinds(only)  # our events are exactly parse_event's classes

        def subscribe(
            observer: abc.ObserverBase[Step], scheduler: abc.SchedulerBase | None = None
        ) -> abc.DisposableBase:
            return self._schedule(lambda cancel: self._steps(observer, cancel, kinds))

        return Observable(subscribe)

    def _schedule(self, run: Callable[[BooleanDisposable], None]) -> abc.DisposableBase:
        # Through the current-thread trampoline, like reactivex's from_iterable: the
        # subscription is handed back before the first event, so take(n) can stop it.
        cancel = BooleanDisposable()

        def action(_: abc.SchedulerBase, __: object = None) -> None:
            run(cancel)

        trampoline = CurrentThreadScheduler.singleton()
        return CompositeDisposable(trampoline.schedule(action), cancel)

    def _events(self, observer: abc.ObserverBase[StreamEvent], cancel: BooleanDisposable) -> None:
        events = EventDecoder(max_event_bytes=self._max_event_bytes).events(_as_chunks(self._data))
        try:
            for event in events:
                if cancel.is_disposed:
                    return
                observer.on_next(event)
        except Exception as exc:
            if not cancel.is_disposed:
                observer.on_error(exc)
            return
        finally:
            events.close()
        if not cancel.is_disposed:
            observer.on_completed()

    def _steps(
        self,
        observer: abc.ObserverBase[Step],
        cancel: BooleanDisposable,
        kinds: frozenset[type[StreamEvent]] | None,
    ) -> None:
        acc = MessageAccumulator()
        feed, on_next = acc.feed, observer.on_next
        events = EventDecoder(max_event_bytes=self._max_event_bytes).events(_as_chunks(self._data))
        try:
            for event in events:
                if cancel.is_disposed:
                    return
                snapshot = feed(event)
                if kinds is None or type(event) in kinds:
                    on_next(_new_step(Step, (event, snapshot)))
        except Exception as exc:
            if not cancel.is_disposed:
                if isinstance(exc, AnthropicRxError):
                    exc.with_snapshot(acc.snapshot)
                observer.on_error(exc)
            return
        finally:
            events.close()
        if cancel.is_disposed:
            return
        if acc.complete:
            observer.on_completed()
        else:
            observer.on_error(acc.incomplete())
