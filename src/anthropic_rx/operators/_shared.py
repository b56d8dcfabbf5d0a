"""What every operator stands on: `steps_operator` over the steps of `.._steps`.

The steps (`folded`, or a `StepsSource`'s own) come from the layer below; this module turns
a function of one step into an operator that returns a `Pipeline`. `Pipeline`, `Step` and
`folded` are re-exported here for the operators' modules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from reactivex import Observable, abc
from reactivex.disposable import SingleAssignmentDisposable

from .._steps import EventTypes, Pipeline, Step, StepsSource, folded
from ..events import StreamEvent
from ..typing import Operator

__all__ = ["Pipeline", "Step", "filter_map", "folded", "steps_operator"]

_T = TypeVar("_T")


OnStep = Callable[[Step, Callable[[_T], None]], None]


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

    def operator(source: Observable[StreamEvent]) -> Observable[_T]:
        if isinstance(source, StepsSource):  # it leaves out the steps *only* does not want
            steps, check = source.__arx_steps__(only), None
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
