"""`BatchRun`: the hot handle of one logical batch (one or several API batches).

A run creates its batches (or attaches to existing ones), polls them, emits a
`BatchProgress` whenever their state changes, and reads each batch's results as soon as it
has ended, one line at a time, emitting ``Tagged(custom_id, Message | BatchRequestError)``.
With a `Client` it runs on a thread of its own; with an `AsyncClient`, as a task on the loop
that started it. Everything it emits goes out from that one thread or task, in order.

Polling backs off: the first poll comes ``poll_interval`` seconds after creation, and each
poll that sees no change waits ``backoff`` times longer, up to ``max_poll_interval``. A 429
is retried by the client after its ``retry-after``; if it persists, the run waits at least
that long before polling again and never fails for it.

The run itself is written once, without I/O: `BatchRun._steps` yields each request it needs
(`Create`, `Retrieve`, `Cancel`, `Read`, `Wait`) and gets the answer back. The sync driver
(a thread) and the async one (a task) only do those requests and waits.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Generator, Iterable, Mapping
from typing import Any, NamedTuple

import anyio
from reactivex import Observable, abc
from reactivex import operators as ops
from reactivex.disposable import Disposable

from .._exceptions import APIStatusError, RateLimitError
from .._loop import LoopHandle, current_loop
from ..client import (
    AsyncBatches,
    AsyncClient,
    Batches,
    Client,
    MessageBatch,
    MessageBatchIndividualResponse,
    outcome_of,
)
from ..concurrency import Tagged
from ._state import BatchItem, BatchProgress, BatchResult, Pacing, Tracker

__all__ = ["BatchRun"]

_log = logging.getLogger("anthropic_rx.batches")


# -- what the run asks for, and the driving of its steps ----------------------------------


class Create(NamedTuple):
    """Create a batch of *part*'s requests; the answer is the new `MessageBatch`."""

    part: Mapping[str, Mapping[str, Any]]


class Retrieve(NamedTuple):
    """Retrieve a batch; the answer is its `MessageBatch`."""

    batch_id: str


class Cancel(NamedTuple):
    """Cancel a batch; the answer is its `MessageBatch`."""

    batch_id: str


class Read(NamedTuple):
    """Read an ended batch's results, emitting each; the answer: read to the end or not."""

    batch_id: str
    batch: MessageBatch


class Wait(NamedTuple):
    """Wait *delay* seconds, or until the run is poked (`BatchRun.abort`, `detach`)."""

    delay: float


Step = Create | Retrieve | Cancel | Read | Wait


class Failed(NamedTuple):
    """A step's error, to throw into the run."""

    error: Exception


_Answer = MessageBatch | bool | None | Failed


class Stepper:
    """Drive `BatchRun._steps`: `next` is the step to do, `answer` gives it its answer."""

    __slots__ = ("_steps", "next")

    def __init__(self, steps: Generator[Step, Any, None]) -> None:
        self._steps = steps
        self.next: Step | None = None
        self.answer(None)  # the first step

    def answer(self, answer: _Answer) -> None:
        """Give the step its answer (or throw its error in); the run's own error raises."""
        try:
            if isinstance(answer, Failed):
                self.next = self._steps.throw(answer.error)
            else:
                self.next = self._steps.send(answer)
        except StopIteration:
            self.next = None


class BatchRun(Observable[BatchItem]):
    """A hot handle for a batch of requests: progress as it changes, then every result.

    Made by `run_batch` (which creates the batches) or `attach` (which picks up batches
    that exist, after a restart). It starts at its first subscription (or `start`); later
    subscribers get the latest `BatchProgress` again, then what comes after, never the
    results already delivered (they are not kept: a run of 100,000 results holds none of
    them). Completes once every batch has ended and every result was delivered.

    Results come as ``Tagged(custom_id, value)``: the value is the `Message` (the same
    class a stream's `final_message` gives) or a `BatchRequestError`:
    `BatchRequestFailedError` (``errored``; ``.error`` is the typed API error),
    `BatchRequestCanceledError`, `BatchRequestExpiredError`, or
    `BatchResultUnreadableError` for a line of the results file that could not be read.

    `abort` cancels the batches on the server and goes on until they have ended: the
    requests already processed keep their results (and are billed) and still come out;
    the others come as `BatchRequestCanceledError`. Disposing the last subscriber before
    the end only stops watching: the batches go on on the server, and `attach` with
    ``run.batch_ids`` picks them up again.

    With an `AsyncClient`, ``await arx.last_value(run.results().pipe(ops.to_list()))``
    reads it on asyncio or trio (reactivex's own ``await`` is asyncio-only).

    Errors (``on_error``): the creation failed (batches created before it are canceled),
    or a request failed past the client's retries (a 429 never ends the run: polling waits
    and goes on).

    Example:
        >>> run = run_batch(client, {"q1": params1, "q2": params2})
        >>> run.progress().subscribe(lambda p: print(p.request_counts))
        >>> for item in run.results().pipe(ops.to_list()).run():
        ...     print(item.key, item.value)
    """

    def __init__(
        self,
        client: Client | AsyncClient,
        parts: list[dict[str, Mapping[str, Any]]] | None,
        batch_ids: Iterable[str] = (),
        *,
        poll_interval: float = 1.0,
        max_poll_interval: float = 60.0,
        backoff: float = 1.5,
    ) -> None:
        self._client = client
        self._parts = parts
        self._pacing = Pacing(poll_interval, max_poll_interval, backoff)
        self._tracker = Tracker(expected=len(parts) if parts is not None else 0)
        self._attach_ids = list(batch_ids)
        self._lock = threading.RLock()
        self._observers: list[abc.ObserverBase[BatchItem]] = []
        self._latest: BatchProgress | None = None
        self._ended: tuple[Exception | None] | None = None  # (error,) once ended
        self._started = False
        self._abort = False
        self._detached = False
        self._wake = threading.Event()
        self._created = threading.Event()  # set once every batch exists, or the run ended
        self._loop: LoopHandle | None = None
        self._async_wake: anyio.Event | None = None
        self._cancel_task: Callable[[], None] | None = None
        if isinstance(client, AsyncClient):
            self._loop = current_loop()
        super().__init__(self._subscribe_core)

    # -- the public handle ----------------------------------------------------------------

    @property
    def batch_ids(self) -> tuple[str, ...]:
        """The ids of the API batches created (or attached) so far."""
        with self._lock:
            return tuple(self._tracker.seen) or tuple(self._attach_ids)

    @property
    def latest(self) -> BatchProgress | None:
        """The latest progress emitted, or ``None`` before the first."""
        return self._latest

    def progress(self) -> Observable[BatchProgress]:
        """Only the progress items."""
        only: Observable[Any] = self.pipe(ops.filter(lambda item: isinstance(item, BatchProgress)))
        return only

    def results(self) -> Observable[BatchResult]:
        """Only the results: ``Tagged(custom_id, Message | BatchRequestError)``."""
        only: Observable[Any] = self.pipe(ops.filter(lambda item: isinstance(item, Tagged)))
        return only

    def wait_created(self, timeout: float | None = None) -> tuple[str, ...]:
        """Start the run if needed and block until its batches exist; return their ids.

        Keep the ids to `attach` after a restart. Not from the event loop of an
        `AsyncClient` run (it would wait for itself): read `batch_ids` after a
        `BatchProgress` whose ``processing_status`` is not ``"creating"`` instead.

        Raises:
            TimeoutError: not created within *timeout* seconds.
            Exception: the creation's error.

        Example:
            >>> saved = run_batch(client, requests).wait_created()
        """
        if self._loop is not None and self._loop.in_loop():
            raise RuntimeError("wait_created() would block the loop this run needs")
        self.start()
        if not self._created.wait(timeout):
            raise TimeoutError(f"the batches were not created within {timeout} s")
        ended = self._ended
        if ended is not None and ended[0] is not None and not self._tracker.seen:
            raise ended[0]
        return self.batch_ids

    def start(self) -> BatchRun:
        """Start now (creating the batches), whether or not anyone subscribed yet."""
        with self._lock:
            if self._started:
                return self
            self._started = True
        if self._loop is None:
            threading.Thread(
                target=self._drive_sync, name="anthropic-rx-batch", daemon=True
            ).start()
        else:
            self._cancel_task = self._loop.spawn(self._drive_async, lost=self._lost)
        return self

    def abort(self) -> None:
        """Cancel the batches on the server; results already done still come out.

        The run goes on polling until the API has ended them, then delivers every result:
        requests processed before the cancel keep theirs (billed), the rest come as
        `BatchRequestCanceledError`. Safe from any thread, any number of times.
        """
        with self._lock:
            self._abort = True
        self._poke()

    def detach(self) -> None:
        """Stop watching, leaving the batches running on the server (see `attach`)."""
        with self._lock:
            self._detached = True
            cancel = self._cancel_task
        self._created.set()
        self._poke()
        if cancel is not None:
            cancel()

    # -- delivery ---------------------------------------------------------------------

    def _subscribe_core(
        self, observer: abc.ObserverBase[BatchItem], scheduler: abc.SchedulerBase | None = None
    ) -> abc.DisposableBase:
        with self._lock:
            ended = self._ended
            if ended is None:
                self._observers.append(observer)
            if self._latest is not None:
                observer.on_next(self._latest)
            if ended is not None:
                if ended[0] is None:
                    observer.on_completed()
                else:
                    observer.on_error(ended[0])
                return Disposable()
        self.start()

        def dispose() -> None:
            with self._lock:
                if observer in self._observers:
                    self._observers.remove(observer)
                last = not self._observers and self._ended is None
            if last:
                self.detach()  # nobody watches: stop polling, leave the batches running

        return Disposable(dispose)

    def _emit(self, item: BatchItem) -> None:
        with self._lock:
            if isinstance(item, BatchProgress):
                self._latest = item
            observers = list(self._observers)
            for observer in observers:
                try:
                    observer.on_next(item)
                except Exception:  # a subscriber's bug never stops the run or the others
                    _log.exception("anthropic_rx: a batch subscriber raised")

    def _end(self, error: Exception | None) -> None:
        self._created.set()
        with self._lock:
            if self._ended is not None:
                return
            self._ended = (error,)
            observers, self._observers = self._observers, []
            for observer in observers:
                if error is None:
                    observer.on_completed()
                else:
                    observer.on_error(error)

    def _lost(self) -> None:
        from .._loop import loop_ended_error

        self._end(loop_ended_error("this batch run"))

    def _poke(self) -> None:
        self._wake.set()
        loop, event = self._loop, self._async_wake
        if loop is not None and event is not None:
            loop.call_soon(event.set)

    def _progress(self) -> None:
        progress = self._tracker.changed()
        if progress is not None:
            self._emit(progress)

    def _stopping(self) -> bool:
        return self._detached

    # -- the run itself, without I/O ----------------------------------------------------

    def _steps(self) -> Generator[Step, Any, None]:
        """The run: yields each request it needs, and gets its answer back.

        The answer of a `Create`, `Retrieve` or `Cancel` is the `MessageBatch` (an error is
        thrown in instead); of a `Read`, whether its results were read to the end (the run
        was not stopped meanwhile). `_drive_sync` and `_drive_async` do the requests and
        the waits; everything else (what to ask next, when, what the answers change and
        what goes out) is here, once.
        """
        tracker = self._tracker
        if self._parts is not None:
            self._progress()
            for part in self._parts:
                try:
                    tracker.note((yield Create(part)))
                except Exception as error:
                    for batch_id in tracker.pending():
                        try:
                            yield Cancel(batch_id)
                        except Exception:
                            _log.warning(
                                "anthropic_rx: could not cancel a batch after a failed creation"
                            )
                    _note_created(error, tracker)
                    raise
                self._progress()
        else:
            for batch_id in self._attach_ids:
                tracker.note((yield Retrieve(batch_id)))
                tracker.polls += 1
            self._progress()
        self._created.set()
        delay = self._pacing.poll_interval
        canceled = False
        while not self._stopping():
            if self._abort and not canceled:
                canceled = True
                for batch_id in tracker.pending():
                    try:
                        tracker.note((yield Cancel(batch_id)))
                    except APIStatusError as error:  # it ended meanwhile: poll on
                        _log.warning("anthropic_rx: cancel of %s refused: %s", batch_id, error)
                self._progress()
            for batch_id in tracker.unread():
                if not (yield Read(batch_id, tracker.seen[batch_id])):
                    return
                tracker.read.add(batch_id)
            if not tracker.pending() and not tracker.unread():
                self._end(None)
                return
            yield Wait(delay)
            if self._stopping():
                return
            if self._abort and not canceled:
                continue
            changed = False
            for batch_id in tracker.pending():
                tracker.polls += 1
                try:
                    batch = yield Retrieve(batch_id)
                except RateLimitError as error:
                    delay = max(delay, error.retry_after or delay)
                    continue
                changed = changed or batch != tracker.seen[batch_id]
                tracker.note(batch)
            self._progress()
            delay = self._pacing.next(delay, changed)

    def _result(self, line: MessageBatchIndividualResponse, batch_id: str) -> None:
        self._emit(Tagged(line.custom_id, outcome_of(line, batch_id)))

    # -- the sync driver (a Client: its own thread) -------------------------------------

    def _drive_sync(self) -> None:
        client = self._client
        assert isinstance(client, Client)
        batches = client.messages.batches
        try:
            steps = Stepper(self._steps())
            while (step := steps.next) is not None:
                steps.answer(self._answer_sync(batches, step))
        except Exception as error:
            self._end(error)
        finally:
            if self._stopping():
                self._end_detached()

    def _answer_sync(self, batches: Batches, step: Step) -> _Answer:
        try:
            match step:
                case Create(part):
                    return batches.create(part)
                case Retrieve(batch_id):
                    return batches.retrieve(batch_id)
                case Cancel(batch_id):
                    return batches.cancel(batch_id)
                case Read(batch_id, batch):
                    results = batches.results(batch)
                    try:
                        for line in results:
                            if self._stopping():
                                return False
                            self._result(line, batch_id)
                    finally:
                        results.close()
                    return True
                case Wait(delay):
                    self._wake.wait(delay)
                    self._wake.clear()
                    return None
        except Exception as error:
            return Failed(error)

    def _end_detached(self) -> None:
        with self._lock:
            self._observers = []  # they left; nothing more is sent

    # -- the async driver (an AsyncClient: a task on its loop) ----------------------------

    async def _drive_async(self) -> None:
        client = self._client
        assert isinstance(client, AsyncClient)
        batches = client.messages.batches
        self._async_wake = anyio.Event()
        try:
            steps = Stepper(self._steps())
            while (step := steps.next) is not None:
                steps.answer(await self._answer_async(batches, step))
        except Exception as error:
            self._end(error)

    async def _answer_async(self, batches: AsyncBatches, step: Step) -> _Answer:
        try:
            match step:
                case Create(part):
                    return await batches.create(part)
                case Retrieve(batch_id):
                    return await batches.retrieve(batch_id)
                case Cancel(batch_id):
                    return await batches.cancel(batch_id)
                case Read(batch_id, batch):
                    results = batches.results(batch)
                    try:
                        async for line in results:
                            self._result(line, batch_id)
                    finally:
                        await results.aclose()
                    return True
                case Wait(delay):
                    assert self._async_wake is not None
                    with anyio.move_on_after(delay):
                        await self._async_wake.wait()
                    self._async_wake = anyio.Event()
                    return None
        except Exception as error:
            return Failed(error)


def _note_created(error: Exception, tracker: Tracker) -> None:
    if tracker.seen:
        error.add_note(
            f"batches created before this failure were canceled: {', '.join(tracker.seen)}"
        )
