"""`on_gui`: put the rest of a pipeline on the GUI thread, one wake-up per batch.

reactivex's ``observe_on`` schedules one action per notification: 2,000 text deltas cost
about 2,000 trips through the GUI's event queue (research/reactive-anchors.md §1.7).
`on_gui` queues notifications per subscription and schedules one drain when the queue was
empty: however many arrive before the GUI thread turns, it delivers them all in one go.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from reactivex import Observable, abc
from reactivex.disposable import Disposable, SingleAssignmentDisposable

from .._serial import EMPTY, SerialQueue
from .._steps import Pipeline
from ..typing import Operator
from ._base import GuiScheduler

__all__ = ["on_gui"]

_T = TypeVar("_T")


def on_gui(scheduler: abc.SchedulerBase, /) -> Operator[_T, _T]:
    """Deliver every notification on the GUI thread of *scheduler*, in order, losing none.

    Like reactivex's ``observe_on``, but batching: values, the error and the completion are
    queued as they come, from any thread, and one action on *scheduler* delivers everything
    queued so far. The error or the completion comes after every value before it.
    Deliveries never overlap: a callback that turns the event loop (a modal dialog) gets
    nothing more until it returns, and then the rest, in order.
    Disposing the subscription stops delivery at once (on the GUI thread, even in the middle
    of a batch) and disposes the upstream subscription; so does disposing *scheduler*, when
    it is a `GuiScheduler` (`TkScheduler`, `QtScheduler`): closing the window then aborts the
    request of a `MessageStream` that nobody else watches.

    If a callback downstream raises, delivery stops for this subscription, the upstream is
    disposed, and the exception is reported by the scheduler (Tk's
    ``report_callback_exception``, ``sys.excepthook`` under Qt), as reactivex's
    ``observe_on`` does.

    Put rate operators before it (``coalesce_text(scheduler=sched)``), so that the GUI gets
    one piece of text per frame rather than one per token.

    Several views of one `MessageStream`: each subscriber learns of the stream's end in turn
    (Rx delivers ``on_completed`` to the subscribers of one source one after another), so
    one view may have finished while another still shows its last value. A GUI that must
    act once everything is shown (enable the Send button, say) should either subscribe to
    the stream once on the GUI (``stream.pipe(on_gui(sched))``, then fan out from there), or
    wait for the completion of every view (``reactivex.merge(...)`` or ``forkJoin``).

    Args:
        scheduler: the GUI's scheduler; any reactivex scheduler works, but only ours are
            safe from worker threads.

    Returns:
        An operator passing values through unchanged; what it returns can be awaited.

    Example:
        >>> sched = TkScheduler(root)
        >>> stream.pipe(coalesce_text(scheduler=sched), on_gui(sched)).subscribe(
        ...     on_next=lambda text: output.insert("end", text),
        ...     on_completed=lambda: send.config(state="normal"),
        ... )

    Marble (| = the GUI thread's turn):
        worker: -a-b-c-------d-|
        [          on_gui(sched)        ]
        GUI:    ------|abc|------|d||
    """

    def operator(source: Observable[_T]) -> Observable[_T]:
        def subscribe(
            observer: abc.ObserverBase[_T], scheduler_: abc.SchedulerBase | None = None
        ) -> abc.DisposableBase:
            return _OnGui(observer, scheduler).subscribe(source, scheduler_)

        return Pipeline(subscribe)

    return operator


class _OnGui(abc.DisposableBase):
    """The state of one subscription of `on_gui`."""

    def __init__(self, observer: abc.ObserverBase[Any], scheduler: abc.SchedulerBase) -> None:
        self._observer = observer
        self._scheduler = scheduler
        # The deliveries, in order; "busy" while a drain is on the scheduler's queue. Sealed
        # by upstream's error or completion; closed once disposed, the end delivered, or a
        # callback raised.
        self._pending: SerialQueue[Callable[[], None]] = SerialQueue()
        self._upstream = SingleAssignmentDisposable()
        self._unregister: abc.DisposableBase = Disposable()

    def subscribe(
        self, source: Observable[Any], scheduler_: abc.SchedulerBase | None
    ) -> abc.DisposableBase:
        if isinstance(self._scheduler, GuiScheduler):
            self._unregister = self._scheduler.when_disposed(self.dispose)
            if self._pending.closed:
                return self  # the window is closed already: do not even start the source
        self._upstream.disposable = source.subscribe(
            self._on_next, self._on_error, self._on_completed, scheduler=scheduler_
        )
        return self

    # -- upstream side (any thread) ----------------------------------------------------------

    def _on_next(self, value: Any) -> None:
        self._enqueue(lambda: self._observer.on_next(value), end=False)

    def _on_error(self, error: Exception) -> None:
        self._enqueue(lambda: self._observer.on_error(error), end=True)

    def _on_completed(self) -> None:
        self._enqueue(self._observer.on_completed, end=True)

    def _enqueue(self, deliver: Callable[[], None], *, end: bool) -> None:
        if not self._pending.put(deliver, last=end):
            return  # a drain is scheduled (it delivers this too), or it is over
        # Outside the lock: a scheduler may run the drain inline (ImmediateScheduler). The
        # drain is not cancelled on dispose: it finds nothing to deliver.
        self._scheduler.schedule(self._drain)

    # -- GUI side ----------------------------------------------------------------------------

    def _drain(self, _: abc.SchedulerBase, __: Any = None) -> None:
        # Items are taken one at a time and the queue stays busy until it is seen
        # empty: a callback that turns the event loop (a modal dialog) then gets no second,
        # nested drain, which would deliver later items inside it, out of order, and drop
        # the rest of this batch once it delivered the end.
        pending = self._pending
        budget = pending.pending()  # what is queued now; later items wait a turn
        for _turn in range(budget):
            deliver = pending.take()
            if deliver is EMPTY:
                return
            if pending.finished:  # the end: nothing can come after it
                self.dispose()  # before the end is delivered, as AutoDetachObserver does
            try:
                deliver()
            except Exception:
                self.dispose()
                raise
        if pending.rest():
            self._scheduler.schedule(self._drain)

    def dispose(self) -> None:
        self._pending.close()
        self._upstream.dispose()
        self._unregister.dispose()
