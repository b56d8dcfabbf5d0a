"""`GuiScheduler`: a thread-safe queue of work, drained in order on one GUI thread.

reactivex's GUI schedulers call the toolkit from whatever thread schedules work: its
``QtScheduler`` then silently drops it (a ``QTimer`` needs a thread with a Qt event loop;
ReactiveX/RxPY#233, #551) and its ``TkinterScheduler`` raises "main thread is not in main
loop" unless Tcl is threaded and ``mainloop()`` already runs (research/reactive-anchors.md
§1.7). Here no worker thread ever calls the toolkit. Posting appends to a locked queue and,
when no wake-up is on its way already, sends one through a channel that is safe from any
thread (a pipe for Tk, a queued Qt signal); the GUI thread then runs the whole queue in
order. However many items a worker posts between two frames, the GUI wakes once for them.

Timed work is armed with the toolkit's own timer (Tk ``after``, a Qt timer), always from the
GUI thread: a worker's ``schedule_relative`` hops there first, keeping its due time.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from abc import abstractmethod
from collections import deque
from collections.abc import Callable
from typing import Any, Generic, Self, TypeVar, TypeVarTuple, final

from reactivex import abc, typing
from reactivex.disposable import Disposable, SingleAssignmentDisposable
from reactivex.scheduler.periodicscheduler import PeriodicScheduler

__all__ = ["GuiScheduler"]

_TState = TypeVar("_TState")
_Ts = TypeVarTuple("_Ts")

_Work = Callable[[], None]


@final
class _Item(abc.DisposableBase, Generic[_TState]):
    """One scheduled action: the disposable `schedule*` returns, usable from any thread."""

    __slots__ = (
        "_action",
        "_disarm",
        "_invoke",
        "_lock",
        "_state",
        "cancelled",
        "due",
        "handle",
        "inner",
        "ran",
    )

    def __init__(
        self,
        lock: threading.Lock,
        invoke: Callable[[typing.ScheduledAction[_TState], _TState | None], abc.DisposableBase],
        disarm: Callable[[_Item[Any]], None],
        action: typing.ScheduledAction[_TState],
        state: _TState | None,
        due: float | None,
    ) -> None:
        self._lock = lock  # the scheduler's
        self._invoke = invoke
        self._disarm = disarm
        self._action = action
        self._state = state
        self.due = due  # time.monotonic() deadline of timed work, None for immediate work
        self.handle: object = None  # the armed toolkit timer (GUI thread only)
        self.cancelled = False
        self.ran = False
        self.inner = SingleAssignmentDisposable()  # what the action returned

    def run(self) -> None:
        """Run the action, unless it was cancelled or has run (GUI thread)."""
        with self._lock:
            if self.cancelled or self.ran:
                return
            self.ran = True
        self.inner.disposable = self._invoke(self._action, self._state)

    def dispose(self) -> None:
        """Cancel the action if it has not started; dispose what it returned if it has."""
        with self._lock:
            armed = not self.cancelled and not self.ran and self.due is not None
            self.cancelled = True
        self.inner.dispose()
        if armed:
            self._disarm(self)


class GuiScheduler(PeriodicScheduler, abc.DisposableBase):
    """Base of the GUI schedulers: deliver work on one GUI thread, posted from any thread.

    Every ``schedule*`` method may be called from any thread, before or after the GUI's
    event loop starts: work posted before it runs waits in the queue. Actions run on the
    GUI thread in the order they were scheduled; each wake-up of the GUI thread runs
    everything queued so far, so a burst of posts costs one wake-up. An exception raised by
    an action is reported the toolkit's way (Tk's ``report_callback_exception``,
    ``sys.excepthook`` for Qt) and the next actions still run.

    `dispose` stops the scheduler: queued and timed work is dropped, later work is dropped
    silently, and the `when_disposed` callbacks (pipelines made with `on_gui`) run.

    Subclasses (one per toolkit) implement four hooks: `_wake`, `_arm`, `_disarm_handle` and
    `_report`, plus `_close` to release what they hold; they call `_drain` on the GUI thread
    when woken.
    """

    def __init__(self) -> None:
        """Start an empty queue bound to the calling thread, taken as the GUI thread.

        Called by the subclasses' constructors (`TkScheduler`, `QtScheduler`), which are
        the ones to call: this class is abstract.
        """
        super().__init__()
        # Not a `_serial.SerialQueue`, on purpose. Its flag means "a drain is running and will
        # see your item": set by the put that starts the drain, cleared only when the drain
        # sees the queue empty. Ours means "a wake-up is on its way": cleared as each woken
        # turn begins, so that work posted while an action runs (a modal dialog turning the
        # event loop) sends a wake-up of its own, and the nested turn runs it and the rest
        # of the batch in order (test_a_nested_event_loop_in_an_action_keeps_the_order).
        # Under SerialQueue's flag that work would wait for the modal to close. Giving the
        # primitive this meaning too would take a mode (release at turn start, a take that
        # leaves the flag alone, a re-wake after KeyboardInterrupt): two contracts, not one.
        self._lock = threading.Lock()
        self._queue: deque[_Work] = deque()
        self._awake = False  # a wake-up is on its way to the GUI thread
        self._disposed = False
        self._closed = False
        self._gui_thread = threading.get_ident()
        self._armed: set[_Item[Any]] = set()  # timed items with a toolkit timer (GUI thread)
        self._on_dispose: dict[int, Callable[[], None]] = {}
        self._next_key = 0

    # -- public API ------------------------------------------------------------------------

    @property
    def is_disposed(self) -> bool:
        """Whether `dispose` was called (or the GUI object it serves was destroyed)."""
        return self._disposed

    def in_gui_thread(self) -> bool:
        """Return whether the caller runs on the GUI thread this scheduler delivers to.

        Example:
            >>> assert sched.in_gui_thread()  # in a callback of on_gui(sched)
        """
        return threading.get_ident() == self._gui_thread

    def schedule(
        self, action: typing.ScheduledAction[_TState], state: _TState | None = None
    ) -> abc.DisposableBase:
        """Run ``action(scheduler, state)`` on the GUI thread, after the work queued before it.

        Safe from any thread. Even on the GUI thread the action is not run inline: it waits
        for the event loop's next turn, as ``after(0, ...)`` would.

        Args:
            action: the action; what it returns, if a disposable, is disposed with the item.
            state: passed to *action*.

        Returns:
            A disposable that cancels the action if it has not started yet (from any thread).

        Example:
            >>> sched.schedule(lambda _sched, _state: label.config(text="done"))
        """
        item = _Item(self._lock, self.invoke_action, self._disarm, action, state, None)
        if not self._post(item.run):
            item.cancelled = True
        return item

    def schedule_relative(
        self,
        duetime: typing.RelativeTime,
        action: typing.ScheduledAction[_TState],
        state: _TState | None = None,
    ) -> abc.DisposableBase:
        """Run ``action(scheduler, state)`` on the GUI thread once *duetime* has passed.

        Safe from any thread: the toolkit's timer is armed on the GUI thread (a worker's
        call hops there first), for what remains of *duetime* counted from this call. A
        *duetime* of zero or less is `schedule`.

        Args:
            duetime: seconds (``float``) or a ``timedelta``.
            action: the action.
            state: passed to *action*.

        Returns:
            A disposable that cancels the action (from any thread).

        Example:
            >>> sched.schedule_relative(0.5, lambda _sched, _state: status.config(text=""))
        """
        seconds = self.to_seconds(duetime)
        if seconds <= 0:
            return self.schedule(action, state)
        due = time.monotonic() + seconds
        item = _Item(self._lock, self.invoke_action, self._disarm, action, state, due)
        if self.in_gui_thread():
            with self._lock:
                alive = not self._disposed
            if alive:
                self._arm_item(item)
            else:
                item.cancelled = True
        elif not self._post(lambda: self._arm_item(item)):
            item.cancelled = True
        return item

    def schedule_absolute(
        self,
        duetime: typing.AbsoluteTime,
        action: typing.ScheduledAction[_TState],
        state: _TState | None = None,
    ) -> abc.DisposableBase:
        """Run ``action(scheduler, state)`` on the GUI thread at *duetime* (see `now`).

        Args:
            duetime: a ``datetime`` (aware, UTC, like `now`) or seconds since the epoch.
            action: the action.
            state: passed to *action*.

        Returns:
            A disposable that cancels the action (from any thread).

        Example:
            >>> sched.schedule_absolute(sched.now + timedelta(seconds=1), blink)
        """
        delay = self.to_datetime(duetime) - self.now
        return self.schedule_relative(delay, action, state)

    def call_soon(self, callback: Callable[[*_Ts], object], /, *args: *_Ts) -> abc.DisposableBase:
        """Call ``callback(*args)`` on the GUI thread, soon: `schedule` without the Rx shape.

        Args:
            callback: what to call; its result is ignored.
            *args: its arguments.

        Returns:
            A disposable that cancels the call if it has not started yet.

        Example:
            >>> sched.call_soon(send_button.config, {"state": "normal"})
        """

        def action(_: abc.SchedulerBase, __: object = None) -> None:
            callback(*args)

        return self.schedule(action)

    def when_disposed(self, callback: Callable[[], None], /) -> abc.DisposableBase:
        """Call *callback* when this scheduler is disposed (at once if it already is).

        `on_gui` uses this to dispose its upstream subscription when the window closes,
        which aborts the request of a `MessageStream` nobody else watches.

        Args:
            callback: called once, on the thread that disposes the scheduler.

        Returns:
            A disposable that unregisters *callback*.

        Example:
            >>> sched.when_disposed(stream.abort)
        """
        with self._lock:
            if not self._disposed:
                key = self._next_key
                self._next_key += 1
                self._on_dispose[key] = callback

                def unregister() -> None:
                    with self._lock:
                        self._on_dispose.pop(key, None)

                return Disposable(unregister)
        callback()
        return Disposable()

    def __enter__(self) -> Self:
        """Return the scheduler, to `dispose` when the block ends."""
        return self

    def dispose(self) -> None:
        """Stop delivering: drop queued and timed work, and every later post, silently.

        Safe from any thread and idempotent. The toolkit resources (timers, the wake-up
        channel) are released on the GUI thread: at once when called there, else at its next
        turn. Call it when the window closes (`TkScheduler` does so itself when its widget is
        destroyed).

        Example:
            >>> root.protocol("WM_DELETE_WINDOW", lambda: (sched.dispose(), root.destroy()))
        """
        with self._lock:
            if self._disposed:
                return
            self._disposed = True
            self._queue.clear()
            callbacks = list(self._on_dispose.values())
            self._on_dispose.clear()
            in_gui = self.in_gui_thread()
            if not in_gui:
                self._awake = True
                self._safe_wake()  # the GUI thread then runs _shutdown
        if in_gui:
            self._shutdown()
        # Every callback runs even if one raises; the first exception is raised afterwards.
        failure: Exception | None = None
        for callback in callbacks:
            try:
                callback()
            except Exception as exc:
                failure = failure or exc
        if failure is not None:
            raise failure

    # -- for subclasses ----------------------------------------------------------------------

    def _drain(self) -> None:
        """Run every action queued so far, in order (call on the GUI thread when woken)."""
        with self._lock:
            self._awake = False
            budget = len(self._queue)  # this turn runs what is queued now; later posts wake
            disposed = self._disposed
        if disposed:
            self._shutdown()
            return
        # One item at a time, from the shared queue: when an action turns the event loop (a
        # modal dialog), the nested drain goes on with the items after it, in order.
        for _turn in range(budget):
            with self._lock:
                if self._disposed or not self._queue:
                    return
                work = self._queue.popleft()
            try:
                work()
            except Exception as exc:
                self._report(exc)
            except BaseException:
                # KeyboardInterrupt and friends escape, but the rest of the queue is kept.
                with self._lock:
                    if self._queue and not self._disposed and not self._awake:
                        self._awake = True
                        self._safe_wake()
                raise

    @abstractmethod
    def _wake(self) -> None:
        """Make the GUI thread call `_drain` soon; called from any thread, under the lock.

        Must be quick and must not call back into the scheduler.
        """

    @abstractmethod
    def _arm(self, seconds: float, callback: Callable[[], None]) -> object:
        """Start a one-shot toolkit timer calling *callback*; return its handle (GUI thread)."""

    @abstractmethod
    def _disarm_handle(self, handle: object) -> None:
        """Cancel a timer `_arm` started and that has not fired yet (GUI thread)."""

    @abstractmethod
    def _report(self, exc: Exception) -> None:
        """Report an exception an action raised, the toolkit's way (GUI thread)."""

    def _close(self) -> None:
        """Release the toolkit resources (GUI thread, once, after `dispose`)."""

    # -- internals ---------------------------------------------------------------------------

    def _post(self, work: _Work) -> bool:
        """Queue *work* for the GUI thread and wake it if needed; False once disposed."""
        with self._lock:
            if self._disposed:
                return False
            self._queue.append(work)
            if not self._awake:
                self._awake = True
                self._safe_wake()
        return True

    def _safe_wake(self) -> None:
        # A worker thread must never see an exception from the GUI's plumbing (a window
        # already destroyed, a closed pipe): the work then simply never runs.
        with contextlib.suppress(Exception):
            self._wake()

    def _arm_item(self, item: _Item[Any]) -> None:
        """Start the toolkit timer of a timed *item* (GUI thread)."""
        if item.cancelled or item.due is None or self._disposed:
            return
        remaining = item.due - time.monotonic()
        # Toolkit timers count whole milliseconds: round up, never fire early.
        item.handle = self._arm(max(0.0, remaining), lambda: self._fire(item))
        self._armed.add(item)

    def _fire(self, item: _Item[Any]) -> None:
        """A toolkit timer fired (GUI thread): run *item*, or re-arm it if the timer was early."""
        self._armed.discard(item)
        item.handle = None
        if item.cancelled or self._disposed:
            return
        assert item.due is not None
        if item.due > time.monotonic():  # never early, whatever the toolkit's clock says
            self._arm_item(item)
            return
        try:
            item.run()
        except Exception as exc:
            self._report(exc)

    def _disarm(self, item: _Item[Any]) -> None:
        """Cancel the toolkit timer of a cancelled *item* (any thread)."""
        if self.in_gui_thread():
            self._disarm_now(item)
        else:
            self._post(lambda: self._disarm_now(item))

    def _disarm_now(self, item: _Item[Any]) -> None:
        if item in self._armed:
            self._armed.discard(item)
            handle, item.handle = item.handle, None
            self._disarm_handle(handle)

    def _shutdown(self) -> None:
        """Cancel every timer and release the toolkit's resources (GUI thread, once)."""
        if self._closed:
            return
        self._closed = True
        armed = list(self._armed)
        self._armed.clear()
        for item in armed:
            item.cancelled = True
            handle, item.handle = item.handle, None
            try:
                self._disarm_handle(handle)
            except Exception:  # the toolkit may already be gone
                continue
        self._close()


#: The longest timer Tk and Qt take (a C int of milliseconds, about 24.8 days); a longer
#: wait fires early and is re-armed for the rest.
_MAX_TIMER_MS = 2**31 - 1


def milliseconds(seconds: float) -> int:
    """Convert *seconds* to the whole milliseconds toolkit timers take, rounding up."""
    return min(_MAX_TIMER_MS, max(0, math.ceil(seconds * 1000)))
