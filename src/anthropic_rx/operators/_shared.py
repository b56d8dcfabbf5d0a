"""What every operator stands on: events folded through one `MessageAccumulator`.

`folded` pairs each event with the snapshot after it. Per subscription it runs one
accumulator (state through a fresh closure per subscribe, as reactivex's ``scan`` does), so
two subscribers never share one; a hot `MessageStream` offers its own already-folded steps
(the ``_arx_steps`` attribute), so pipelines on one stream share a single accumulator.

Order violations, typed ``event: error``s and the end of a stream before ``message_stop``
become ``on_error``, after every step before them; once an error is sent the upstream
subscription is disposed and nothing more is delivered.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, TypeVar, cast, get_args

from reactivex import Observable, abc
from reactivex.disposable import SingleAssignmentDisposable

from .._async import last_value
from .._blocking import WaitingScheduler
from .._core import MessageAccumulator, Step
from .._exceptions import AnthropicRxError
from .._iterate import NotIterable
from ..events import StreamEvent
from ..typing import Operator

__all__ = ["Pipeline", "Step", "filter_map", "folded", "steps_operator"]

_T = TypeVar("_T")


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


def folded(source: Observable[StreamEvent]) -> Observable[Step]:
    """Pair each event of *source* with the snapshot it leads to.

    Errors: `StreamProtocolError`, `ToolInputError`, an `APIStatusError` subclass for an
    ``event: error``, `IncompleteStreamError` when *source* completes before
    ``message_stop``, and whatever *source* sends (with the snapshot so far attached).
    """
    shared = getattr(source, "_arx_steps", None)
    if shared is not None:
        return cast("Observable[Step]", shared)

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
                fail(exc)
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


OnStep = Callable[[Step, Callable[[_T], None]], None]
EventTypes = tuple[type[StreamEvent], ...]


def _only(handle: OnStep[_T], only: EventTypes) -> OnStep[_T]:
    def on_step(step: Step, emit: Callable[[_T], None]) -> None:
        if isinstance(step.event, only):
            handle(step, emit)

    return on_step


def steps_operator(
    on_step: OnStep[_T] | None = None,
    *,
    per_subscription: Callable[[], OnStep[_T]] | None = None,
    only: EventTypes | None = None,
) -> Operator[StreamEvent, _T]:
    """Build an operator from ``on_step(step, emit)``, called for every folded step.

    Pass *per_subscription* instead, a factory of ``on_step`` functions, when the operator
    keeps state: each subscription gets its own. An exception from ``on_step`` becomes
    ``on_error`` (it never escapes into the producer).

    *only* names the event types ``on_step`` wants: it is not called for the other steps
    (every event is still folded). A source that folds its own events (`from_bytes`) then
    does not even make those steps, which is most of the cost of an operator that waits for
    one event, such as `final_message`.
    """
    # The event classes (exactly those parse_event makes) that *only* covers: for the events
    # of a source of ours, `type(event) in kinds` answers isinstance(event, only), faster.
    kinds = (
        None if only is None else frozenset(c for c in get_args(StreamEvent) if issubclass(c, only))
    )

    def operator(source: Observable[StreamEvent]) -> Observable[_T]:
        select = getattr(source, "_arx_steps_of", None)
        if kinds is not None and select is not None:
            steps, check = cast("Observable[Step]", select(kinds)), None
        else:
            steps, check = folded(source), only

        def subscribe(
            observer: abc.ObserverBase[_T], scheduler: abc.SchedulerBase | None = None
        ) -> abc.DisposableBase:
            handle = per_subscription() if per_subscription is not None else on_step
            assert handle is not None
            if check is not None:
                handle = _only(handle, check)
            upstream = SingleAssignmentDisposable()
            done = False
            emit = observer.on_next

            def on_next(step: Step) -> None:
                nonlocal done
                if done:
                    return
                try:
                    handle(step, emit)
                except Exception as exc:
                    done = True
                    observer.on_error(exc)
                    upstream.dispose()

            def on_error(exc: Exception) -> None:
                if not done:
                    observer.on_error(exc)

            def on_completed() -> None:
                if not done:
                    observer.on_completed()

            upstream.disposable = steps.subscribe(
                on_next, on_error, on_completed, scheduler=scheduler
            )
            return upstream

        return Pipeline(subscribe)

    return operator


def filter_map(select: Callable[[Step], _T | None]) -> Operator[StreamEvent, _T]:
    """Build an operator that emits ``select(step)`` for every step where it is not None."""

    def on_step(step: Step, emit: Callable[[_T], None]) -> None:
        value = select(step)
        if value is not None:
            emit(value)

    return steps_operator(on_step)
