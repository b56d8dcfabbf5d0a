"""`MessageStream`: the hot, replaying handle of one request (DESIGN.md decision 4).

A cold Observable sends one request per subscription, and reactivex's ``share()`` sends a
second, wasted one for a subscriber that arrives late (research/reactive-anchors.md §1.6).
A `MessageStream` starts its source exactly once — at the first subscription, or at
`MessageStream.start` — folds every event through one `MessageAccumulator`, keeps the
(event, snapshot) steps, and replays them to every subscriber, however late. Pipelines on
one stream share that accumulator (it is a `StepsSource`: operators read its steps), so
three views of one answer cost about what one does.

Delivery: each subscriber gets the steps in order and never two at once, from whichever
thread produced them (a background thread for a sync source, the event loop for an async
one) or, for a late subscriber's backlog, the subscribing thread. A subscriber whose
callback raises gets that exception as its ``on_error`` and is dropped; the producer and the
other subscribers go on. ``abort()``, or the last subscriber disposing before the end,
closes the connection; remaining subscribers then get `StreamAbortedError`.

Blocking calls that could never return where they are made (``.run()`` or ``wait()`` on the
thread of the event loop that reads the stream, or on its reader thread inside its own
callbacks) raise `RuntimeError` at once, saying what to do instead. A stream of an
`AsyncClient` whose loop has ended fails its subscribers with a `RuntimeError` (nothing can
start), and `StreamAbortedError` if the loop ended before its task began.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any, Generic, Protocol, Self, TypeVar, cast

from reactivex import Observable, abc

from .._blocking import WaitingScheduler, refuse, subscribed
from .._core import MessageAccumulator, MessageSnapshot, Step
from .._exceptions import AnthropicRxError, StreamAbortedError
from .._iterate import NotIterable
from .._loop import LoopHandle, current_loop
from .._serial import leave_on_dispose, terminate
from .._steps import EventTypes, StepsSource
from ..events import StreamEvent
from ._push import PushSource
from ._replay import CompactSteps, compact_replay, new_step, next_batch

__all__ = ["AsyncSource", "MessageStream", "StreamWatcher", "SyncSource"]

_log = logging.getLogger("anthropic_rx")
_T = TypeVar("_T")

Emit = Callable[[StreamEvent], None]


class SyncSource(Protocol):
    """A one-shot producer of events that blocks: run on a background thread."""

    def run(self, emit: Emit) -> None:
        """Produce every event through *emit*; return at the end, raise on failure."""
        ...

    def close(self) -> None:
        """Stop `run` soon and release the connection; called from any thread, maybe twice."""
        ...


class AsyncSource(Protocol):
    """A one-shot producer of events that awaits: run as a task on the event loop."""

    async def run(self, emit: Emit) -> None:
        """Produce every event through *emit*; cancellation must release the connection."""
        ...


class StreamWatcher(Protocol):
    """Sees a stream start, its events and its end without subscribing (`MessageStream.watch`).

    Its methods run on the thread that produces the stream; they must be quick, and an
    exception from one is logged, never raised.
    """

    def on_start(self) -> None:
        """The source is starting (its request is about to go out)."""
        ...

    def on_event(self, event: StreamEvent) -> None:
        """An event arrived (after the accumulator took it: ``stream.snapshot`` has it)."""
        ...

    def on_end(self, error: Exception | None) -> None:
        """The stream ended: completed (``None``), failed or aborted."""
        ...


class _Subscriber(Generic[_T]):
    __slots__ = ("cursor", "disposed", "draining", "ended", "observer", "only", "steps", "wants")

    def __init__(
        self, observer: abc.ObserverBase[_T], steps: bool, only: EventTypes | None = None
    ) -> None:
        self.observer = observer
        self.steps = steps  # deliver Step objects (operators) or bare events (users)
        self.only = only  # a steps subscriber's event types (None: every step)
        self.wants: dict[type[Any], bool] = {}  # by event class: is it one of `only`?
        self.cursor = 0
        self.draining = False
        self.disposed = False
        self.ended = False


def _wants(subscriber: _Subscriber[Any], event: StreamEvent) -> bool:
    """Whether a filtered subscriber takes *event*: asked once per event class."""
    wanted = subscriber.wants.get(type(event))
    if wanted is None:
        assert subscriber.only is not None
        wanted = subscriber.wants[type(event)] = isinstance(event, subscriber.only)
    return wanted


class MessageStream(NotIterable, StepsSource):
    """The hot handle of one streaming response: starts once, replays to late subscribers.

    Use it wherever an Observable of events goes: ``stream.pipe(text_only())``,
    ``stream.subscribe(print)``, ``reactivex.merge(a, b)``. Every pipeline on it shares one
    request and one accumulator.

    Example:
        >>> stream = client.messages.stream(model=MODEL, max_tokens=512, messages=msgs)
        >>> stream.pipe(text_only()).subscribe(print)
        >>> message = stream.pipe(final_message()).run()   # no second request

    Errors (as ``on_error``, after every event before them): the source's typed errors,
    `StreamProtocolError`, `IncompleteStreamError`, and `StreamAbortedError` after
    `abort`.

    Not meant to be subclassed, except by `testing.ManualStream` (a stream over a
    `PushSource` with helpers to push): its internals are no contract.
    """

    def __init__(
        self,
        source: SyncSource | AsyncSource | PushSource,
        *,
        loop: LoopHandle | None = None,
        info: Any = None,
    ) -> None:
        """Wrap *source* (nothing starts until the first subscription or `start`).

        Args:
            source: a `SyncSource` (run on a thread), an `AsyncSource` (run on *loop*) or
                a `PushSource` (fed by hand: each push is delivered on the pushing thread).
            loop: the loop for an async source; by default the caller's running loop.
            info: an object describing the request (the client's), exposed as ``.info``.
        """
        super().__init__()
        self._source = source
        self._is_async = _is_async_source(source)
        self._loop = loop if loop is not None or not self._is_async else current_loop()
        self.info = info
        self._lock = threading.RLock()
        self._acc = MessageAccumulator()
        # Stored compactly as they come (_replay.py): a delta's objects live only until
        # they are delivered; late subscribers get equal steps made again.
        self._log = CompactSteps()
        self._steps: Sequence[Step] = self._log
        self._error: Exception | None = None
        self._done = threading.Event()
        self._settled = threading.Event()  # done, and (unless aborted) the replay compacted
        self._subscribers: list[_Subscriber[Any]] = []
        self._started = False
        self._aborted = False
        self._cancel: Callable[[], None] | None = None
        self._reader: int | None = None  # the thread running a sync source
        self._ender: int | None = None  # the thread that told subscribers the end
        self._steps_view: Observable[Step] = Observable(self._subscribe_steps)
        self._watchers: tuple[StreamWatcher, ...] = ()

    # -- the handle ----------------------------------------------------------------------

    @property
    def snapshot(self) -> MessageSnapshot | None:
        """The latest snapshot (``None`` before ``message_start``)."""
        return self._acc.snapshot

    @property
    def done(self) -> bool:
        """Whether the stream has ended (completed, failed or aborted)."""
        return self._done.is_set()

    @property
    def error(self) -> Exception | None:
        """The error the stream ended with, if it did."""
        return self._error

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the stream has ended (at most *timeout* seconds); return whether it did.

        It returns once the subscribers present at the end have been handed it and the
        replay has been stored compactly, so memory measured after it is what the stream
        keeps. From a callback of the end itself it returns ``True`` at once.

        Raises:
            RuntimeError: waiting here could never end: the stream is read by the event loop
                running this very thread (``await`` a pipeline instead), or this is its own
                reader thread, inside one of its callbacks.
        """
        if self._settled.is_set():
            return True
        if self._done.is_set() and self._ender == threading.get_ident():
            return True  # a callback of the end: the rest follows on this thread
        refuse((self,), "wait()")
        return self._settled.wait(timeout)

    def run(self, scheduler: abc.SchedulerBase | None = None) -> StreamEvent:
        """Block until the stream ends and return its last event (reactivex's ``run()``).

        Raises:
            RuntimeError: at once, where it could never return (see `wait`).
            Exception: the error the stream ended with.
        """
        if scheduler is not None:
            refuse((self,), "run()")
        return super().run(scheduler or WaitingScheduler("run()"))

    def __arx_blocks__(self, thread: int) -> str | None:
        """Why blocking *thread* until the stream ends would never return, or ``None``.

        The protocol of the blocking checks (`.._blocking.Blocker`): operators' ``run()``,
        views' and timelines' ``wait()`` ask every stream they would wait on.
        """
        if self._done.is_set():
            return None
        if self._is_async:
            assert self._loop is not None
            if self._loop.runs_on(thread):
                return (
                    "this AsyncClient stream is read by the event loop of this very thread, "
                    "which cannot run while the thread waits: await instead, as in "
                    "`await stream.pipe(final_message())` (or `await view`)"
                )
        elif thread == self._reader or (
            isinstance(self._source, PushSource) and thread == self._source.delivering_on
        ):
            return (
                "it is called in one of this stream's own callbacks, on the thread that "
                "reads the stream, which cannot read on while it waits: act in on_completed "
                "instead, or wait from another thread"
            )
        return None

    def watch(self, watcher: StreamWatcher) -> None:
        """Tell *watcher* of the stream's start, events and end, from now on.

        A watcher is not a subscriber: it neither starts the stream nor keeps it alive
        (tracing uses it). Add it before the stream starts to see everything.
        """
        with self._lock:
            self._watchers = (*self._watchers, watcher)

    def _tell(self, what: str, *args: Any) -> None:
        for watcher in self._watchers:
            try:
                getattr(watcher, what)(*args)
            except Exception:
                _log.exception("anthropic_rx: a stream watcher raised")

    def start(self) -> Self:
        """Start the source now, if it has not started; return ``self``."""
        with self._lock:
            if self._started or self._done.is_set():  # aborted before it began: never send
                return self
            self._started = True
        if self._watchers:
            self._tell("on_start")
        if self._is_async:
            assert self._loop is not None
            try:
                self._cancel = self._loop.spawn(self._run_async, lost=self._lost)
            except RuntimeError as exc:  # the loop has ended: nothing can ever start
                self._finish(exc)
                self._settled.set()
        elif isinstance(self._source, PushSource):
            self._source.bind(self._emit_pushed, self._end_pushed)
        else:
            thread = threading.Thread(
                target=self._run_sync, name="anthropic-rx-stream", daemon=True
            )
            thread.start()
        return self

    def abort(self) -> None:
        """Stop the stream and close its connection; subscribers get `StreamAbortedError`."""
        with self._lock:
            if self._done.is_set() or self._aborted:
                return
            self._aborted = True
            started = self._started
        if started:
            self._close_source()
        self._finish(
            StreamAbortedError("the stream was aborted before it ended", snapshot=self.snapshot)
        )
        self._settled.set()

    def _close_source(self) -> None:
        try:
            if self._is_async:
                if self._cancel is not None:
                    self._cancel()
            else:
                cast(SyncSource, self._source).close()
        except Exception:  # closing must never fail the caller: log, as httpx does
            _log.exception("anthropic_rx: error while closing a stream's source")

    # -- producing -----------------------------------------------------------------------

    def _emit(self, event: StreamEvent) -> None:
        if self._aborted:
            raise _Stop
        try:
            snapshot = self._acc.feed(event)
        except Exception as exc:
            if isinstance(exc, AnthropicRxError):
                exc.with_snapshot(self._acc.snapshot)
            raise _Failed(exc) from exc
        step = new_step(Step, (event, snapshot))
        if self._watchers:
            self._tell("on_event", event)
        ready: list[_Subscriber[Any]] | None = None  # made only when needed: the hot path
        behind: list[_Subscriber[Any]] | None = None
        plain = self._acc.__arx_plain__
        with self._lock:  # one lock for every subscriber that is caught up: the common case
            latest = self._log.add(step, plain)
            for subscriber in self._subscribers:
                if subscriber.draining or subscriber.disposed or subscriber.ended:
                    continue  # whoever is draining it delivers this step too
                if subscriber.cursor == latest - 1:
                    subscriber.cursor = latest
                    if subscriber.only is not None:
                        wanted = subscriber.wants.get(type(event))  # _wants, inlined
                        if wanted is None:
                            wanted = _wants(subscriber, event)
                        if not wanted:
                            continue  # caught up, and this step is not for it
                    subscriber.draining = True
                    if ready is None:
                        ready = [subscriber]
                    else:
                        ready.append(subscriber)
                elif behind is None:
                    behind = [subscriber]
                else:
                    behind.append(subscriber)
        if ready is not None:
            for subscriber in ready:
                self._deliver(subscriber, (step,), False)
                subscriber.draining = False
                if self._done.is_set():  # abort() from another thread found it busy: tell it
                    self._drain(subscriber)
        if behind is not None:
            for subscriber in behind:
                self._drain(subscriber)

    def _emit_pushed(self, event: StreamEvent) -> None:
        # A PushSource's emit, on the pushing thread. As _run_sync for a SyncSource: after
        # an abort the event is dropped, and one the accumulator rejects ends the stream.
        if self._done.is_set():
            return  # ended (a rejected event, an abort): nothing more is read
        try:
            self._emit(event)
        except _Stop:
            pass
        except _Failed as failed:
            self._end(failed)

    def _end_pushed(self, error: Exception | None) -> None:
        # A PushSource's end: once only (a rejected event, or an abort, may have ended it).
        if not self._settled.is_set():
            self._end(error)

    def _end(self, exc: BaseException | None) -> None:
        # Called by the source's thread or task once the source has returned: no step will
        # be added any more, so the replay can be compacted, aborted or not.
        try:
            if not (isinstance(exc, _Stop) or self._aborted):  # abort() told everyone
                self._tell_the_end(exc)
        finally:
            self._compact()  # after the end is out: no subscriber waits for it
            self._settled.set()

    def _tell_the_end(self, exc: BaseException | None) -> None:
        if isinstance(exc, _Failed):
            self._finish(exc.error)
        elif isinstance(exc, Exception):
            if isinstance(exc, AnthropicRxError):
                exc.with_snapshot(self._acc.snapshot)
            self._finish(exc)
        elif not self._acc.complete:
            self._finish(self._acc.incomplete())
        else:
            self._finish(None)

    def _compact(self) -> None:
        # The source has ended: no step will be added. Seal the blocks still open (the
        # steps are compact already); late subscribers get equal steps.
        try:
            steps = compact_replay(self._acc.snapshot, self._steps)
        except Exception:  # never fail the end of a stream over memory: keep the list
            _log.exception("anthropic_rx: error while compacting a stream's replay")
            return
        with self._lock:
            self._steps = steps

    def _lost(self) -> None:
        # The loop ended (asyncio.run() returned) after the task was made, before it began.
        self._finish(
            StreamAbortedError(
                "the stream's event loop ended before the stream began: keep the loop "
                "running until the stream ends (await it)",
                snapshot=self.snapshot,
            )
        )
        self._settled.set()

    def _run_sync(self) -> None:
        self._reader = threading.get_ident()
        source = cast(SyncSource, self._source)
        outcome: BaseException | None = None
        try:
            source.run(self._emit)
        except BaseException as exc:
            outcome = exc
        finally:
            self._close_source_quietly()
        self._end(outcome)

    def _close_source_quietly(self) -> None:
        try:
            cast(SyncSource, self._source).close()
        except Exception:
            _log.exception("anthropic_rx: error while closing a stream's source")

    async def _run_async(self) -> None:
        outcome: BaseException | None = None
        try:
            await cast(AsyncSource, self._source).run(self._emit)
        except (Exception, _Signal) as exc:
            outcome = exc
        except BaseException:  # cancellation: the loop must see it
            if not self._aborted:  # not abort()'s doing (the loop is closing): say so
                self._finish(
                    StreamAbortedError(
                        "the stream's task was cancelled before it ended", snapshot=self.snapshot
                    )
                )
            self._settled.set()
            raise
        self._end(outcome)

    def _finish(self, error: Exception | None) -> None:
        with self._lock:
            if self._done.is_set():
                return
            self._error = error
            self._ender = threading.get_ident()
            self._done.set()
            subscribers = list(self._subscribers)
        if self._watchers:
            self._tell("on_end", error)
        for subscriber in subscribers:
            self._drain(subscriber)

    # -- delivering ----------------------------------------------------------------------

    def _subscribe_core(
        self, observer: abc.ObserverBase[StreamEvent], scheduler: abc.SchedulerBase | None = None
    ) -> abc.DisposableBase:
        return self._attach(_Subscriber(observer, steps=False), scheduler)

    def _subscribe_steps(
        self, observer: abc.ObserverBase[Step], scheduler: abc.SchedulerBase | None = None
    ) -> abc.DisposableBase:
        return self._attach(_Subscriber(observer, steps=True), scheduler)

    def __arx_steps__(self, only: EventTypes | None) -> Observable[Step]:
        """The folded steps, for operators (`StepsSource`): they share this accumulator."""
        if only is None:
            return self._steps_view

        def subscribe(
            observer: abc.ObserverBase[Step], scheduler: abc.SchedulerBase | None = None
        ) -> abc.DisposableBase:
            return self._attach(_Subscriber(observer, steps=True, only=only), scheduler)

        return Observable(subscribe)

    def _attach(
        self, subscriber: _Subscriber[Any], scheduler: abc.SchedulerBase | None
    ) -> abc.DisposableBase:
        # For a blocking call (run()) that this stream would starve, this raises before
        # anything starts; reactivex hands it to the subscriber as on_error.
        subscribed(self, scheduler)
        with self._lock:
            self._subscribers.append(subscriber)
        self.start()
        self._drain(subscriber)
        # The last subscriber leaving a stream still running aborts it (abort() does nothing
        # once it has ended).
        return leave_on_dispose(self._lock, self._subscribers, subscriber, last=self.abort)

    def _drain(self, subscriber: _Subscriber[Any]) -> None:
        while True:
            with self._lock:
                if subscriber.draining or subscriber.disposed or subscriber.ended:
                    return
                cursor = subscriber.cursor
                batch, subscriber.cursor = next_batch(
                    self._steps, cursor, subscriber.only, self._done.is_set()
                )
                end = self._done.is_set() and subscriber.cursor == len(self._steps)
                if not batch and not end:
                    if subscriber.cursor > cursor:
                        continue  # steps it does not want were skipped: read on
                    return
                subscriber.draining = True
                if end:
                    subscriber.ended = True
            try:
                self._deliver(subscriber, batch, end)
            finally:
                with self._lock:
                    subscriber.draining = False

    def _deliver(self, subscriber: _Subscriber[Any], batch: Sequence[Step], end: bool) -> None:
        observer = subscriber.observer
        only = subscriber.only
        try:
            if only is not None:
                for step in batch:
                    if subscriber.disposed:
                        return
                    if isinstance(step.event, only):
                        observer.on_next(step)
            elif subscriber.steps:
                for step in batch:
                    if subscriber.disposed:
                        return
                    observer.on_next(step)
            else:
                for step in batch:
                    if subscriber.disposed:
                        return
                    observer.on_next(step.event)
        except Exception as exc:
            # One subscriber's failure is its own: tell it, drop it, and carry on.
            subscriber.disposed = subscriber.ended = True
            terminate(observer, exc)
            return
        if end and not subscriber.disposed:
            terminate(observer, self._error)


class _Signal(BaseException):
    """Raised by ``emit`` through a source's loop: a BaseException, so no source catches it."""


class _Stop(_Signal):
    """Stop the source: the stream was aborted."""


class _Failed(_Signal):
    """Carries the accumulator's error out of the source's loop."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def _is_async_source(source: object) -> bool:
    import inspect

    run = getattr(source, "run", None)
    return inspect.iscoroutinefunction(run)
