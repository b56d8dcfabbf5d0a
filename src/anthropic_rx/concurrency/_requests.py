"""`stream_many` and `stream_sources`: requests from one client, started when their turn comes.

Each request becomes a cold source that makes its `MessageStream` only when subscribed, so
with `merge_tagged`'s bound a request is neither built nor sent before its slot frees. The
sources of one call share a `_Pacer`: when any of their responses is a 429, sources that
have not started yet wait for the ``retry-after`` the server asked for (capped at
``max_pause``, else the client's backoff) instead of all starting at once. The stream that
got the 429 is retried by the client itself, after the same wait (``client/_retry.py``).

The pacer learns of every response through `StreamInfo.add_response_hook`, before the
client decides to retry, so a 429 that the client retries still slows the group. Its clock
and timer are a reactivex scheduler, so tests can hold the pause open as long as they like.
An `AsyncClient`'s streams must be made on its loop: a start that the timer releases on
another thread hops to the loop first.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar, overload

from reactivex import Observable, abc
from reactivex.disposable import CompositeDisposable, Disposable, SerialDisposable
from reactivex.scheduler import TimeoutScheduler

from .._exceptions import RateLimitError
from .._loop import LoopHandle, current_loop, loop_ended_error
from ..client import AsyncClient, Client, StreamInfo, backoff, parse_retry_after
from ..events import StreamEvent
from ._merge import StreamFailed, Tagged, check_max_concurrent, merged, pairs_of

__all__ = ["stream_many", "stream_sources"]

_K = TypeVar("_K")

_DEFAULT_MAX_PAUSE = 60.0


class _Pacer:
    """The start gate of one group of requests: closed for a while after a 429.

    Waiting starts share one timer. Its state changes under the lock; a timer that fires
    after the waiters it was armed for left (``generation`` moved on) does nothing.
    """

    def __init__(self, scheduler: abc.SchedulerBase | None, max_pause: float) -> None:
        self._scheduler = scheduler or TimeoutScheduler.singleton()
        self._max_pause = max_pause
        self._lock = threading.Lock()
        self._until: datetime | None = None
        self._strikes = 0  # 429s in a row, for the backoff when no retry-after is given
        self._waiters: list[Callable[[], None]] = []
        self._timer: abc.DisposableBase | None = None
        self._armed = False
        self._generation: int = 0

    def on_response(self, info: StreamInfo) -> None:
        """A response arrived for one of the group's requests (a `StreamInfo` hook)."""
        status = info.status_code
        if status == 429:
            self.rate_limited(parse_retry_after(info.headers))
        elif status is not None and 200 <= status < 300:
            with self._lock:
                self._strikes = 0

    def rate_limited(self, asked: float | None) -> None:
        """Close the gate for *asked* seconds (else the backoff), at most ``max_pause``."""
        with self._lock:
            wait = asked if asked is not None else backoff(self._strikes)
            self._strikes += 1
            until = self._scheduler.now + timedelta(seconds=min(wait, self._max_pause))
            if self._until is None or until > self._until:
                self._until = until

    def _closed(self) -> bool:
        return self._until is not None and self._scheduler.now < self._until

    def when_open(self, start: Callable[[], None]) -> abc.DisposableBase:
        """Call *start* now if the gate is open, else when it opens; dispose to cancel."""
        arm = False
        with self._lock:
            waiting = self._closed()
            if waiting:
                self._waiters.append(start)
                arm = not self._armed
                self._armed = True
        if not waiting:
            start()
            return Disposable()
        if arm:
            self._arm()

        def cancel() -> None:
            with self._lock:
                if start in self._waiters:
                    self._waiters.remove(start)
                timer = None
                if not self._waiters and self._armed:
                    # Nobody waits: no timer thread should linger for the rest of the pause.
                    timer, self._timer, self._armed = self._timer, None, False
                    self._generation += 1
            if timer is not None:
                timer.dispose()

        return Disposable(cancel)

    def _arm(self) -> None:
        with self._lock:
            generation = self._generation
            assert self._until is not None
            delay = max(self._until - self._scheduler.now, timedelta(0))

        def tick(scheduler: abc.SchedulerBase, state: Any = None) -> None:
            self._tick(generation)

        timer: abc.DisposableBase | None = self._scheduler.schedule_relative(delay, tick)
        with self._lock:
            if generation == self._generation and self._armed:
                timer, self._timer = self._timer, timer  # the new one stays; drop any old one
        if timer is not None:
            timer.dispose()

    def _tick(self, generation: int) -> None:
        with self._lock:
            if generation != self._generation:
                return  # armed for waiters that left
            self._timer = None
            again = self._closed()  # a later 429 moved the time: wait on
            ready: list[Callable[[], None]] = []
            if not again:
                ready, self._waiters = self._waiters, []
                self._armed = False
                self._generation += 1
        if again:
            self._arm()
        for start in ready:
            start()


def _request_source(
    client: Client | AsyncClient, params: Mapping[str, Any], pacer: _Pacer
) -> Observable[StreamEvent]:
    """A cold source: each subscription makes and starts one stream, when the gate is open."""

    def subscribe(
        observer: abc.ObserverBase[StreamEvent], scheduler: abc.SchedulerBase | None = None
    ) -> abc.DisposableBase:
        # An AsyncClient's stream belongs to the loop it is made on: the one subscribing.
        loop: LoopHandle | None = current_loop() if isinstance(client, AsyncClient) else None
        stream = SerialDisposable()
        # A start the pause releases runs on the timer's thread while the subscriber may
        # dispose on another: the last check and the subscribe are one step against it.
        lock = threading.RLock()  # re-entrant: a subscribe may call back into stop()
        stopped = False

        def on_error(error: Exception) -> None:
            if isinstance(error, RateLimitError) and error.status_code is None:
                pacer.rate_limited(error.retry_after)  # an `event: error` mid-stream
            observer.on_error(error)

        def begin() -> None:
            if stopped:
                return
            try:
                handle = client.messages.stream(**params)
            except Exception as exc:  # bad parameters, a closed client: this stream's error
                observer.on_error(exc)
                return
            if isinstance(handle.info, StreamInfo):
                handle.info.add_response_hook(pacer.on_response)
            with lock:
                if stopped:
                    return  # disposed while it was being made: never started, nothing sent
                stream.disposable = handle.subscribe(
                    observer.on_next, on_error, observer.on_completed, scheduler=scheduler
                )

        def stop() -> None:
            nonlocal stopped
            with lock:
                stopped = True
            stream.dispose()  # outside the lock: aborting closes a connection

        def start() -> None:
            if loop is None or loop.in_loop():
                begin()
            elif not loop.call_soon(begin):  # the loop has ended: never a silent hang
                observer.on_error(loop_ended_error("this AsyncClient request"))

        return CompositeDisposable(pacer.when_open(start), Disposable(stop))

    return Observable(subscribe)


def _check_max_pause(max_pause: float) -> None:
    if not max_pause >= 0:
        raise ValueError(f"expected max_pause to be a number >= 0, got {max_pause!r}")


def stream_sources(
    client: Client | AsyncClient,
    requests: Mapping[_K, Mapping[str, Any]],
    /,
    *,
    max_pause: float = _DEFAULT_MAX_PAUSE,
    scheduler: abc.SchedulerBase | None = None,
) -> dict[_K, Observable[StreamEvent]]:
    """Make one cold source per request, paced as a group, for `merge_tagged` and friends.

    Subscribing a source makes and starts a new `MessageStream`
    (``client.messages.stream(**params)``); nothing is sent before. When any response of
    the group is a 429, sources subscribed afterwards wait before sending: the
    ``retry-after`` the server asked for, at most *max_pause* seconds (the client's backoff
    when it named none). Disposing a source aborts its stream, or cancels its wait.

    With an `AsyncClient`, subscribe inside its event loop (asyncio or trio), as for
    ``client.messages.stream``; the streams run as tasks on that loop.

    Args:
        client: the `Client` or `AsyncClient` to send with.
        requests: the parameters of each request, by key: the keyword arguments of
            ``client.messages.stream`` (`MessageParams`), checked when the request is made.
        max_pause: the longest pause after a 429, in seconds.
        scheduler: the clock and timer of the pause (default: a timer thread).

    Returns:
        A new dict of sources, in the order of *requests*.

    Example:
        >>> sources = stream_sources(client, {"opus": ask_opus, "haiku": ask_haiku})
        >>> side_by_side(sources).subscribe(render)
    """
    _check_max_pause(max_pause)
    pacer = _Pacer(scheduler, max_pause)
    return {key: _request_source(client, params, pacer) for key, params in requests.items()}


@overload
def stream_many(
    client: Client | AsyncClient,
    requests: Mapping[_K, Mapping[str, Any]] | Iterable[tuple[_K, Mapping[str, Any]]],
    /,
    *,
    max_concurrent: int | None = 4,
    isolate_errors: Literal[False] = False,
    max_pause: float = _DEFAULT_MAX_PAUSE,
    scheduler: abc.SchedulerBase | None = None,
) -> Observable[Tagged[_K, StreamEvent]]: ...


@overload
def stream_many(
    client: Client | AsyncClient,
    requests: Mapping[_K, Mapping[str, Any]] | Iterable[tuple[_K, Mapping[str, Any]]],
    /,
    *,
    max_concurrent: int | None = 4,
    isolate_errors: bool,
    max_pause: float = _DEFAULT_MAX_PAUSE,
    scheduler: abc.SchedulerBase | None = None,
) -> Observable[Tagged[_K, StreamEvent | StreamFailed]]: ...


def stream_many(
    client: Client | AsyncClient,
    requests: Mapping[_K, Mapping[str, Any]] | Iterable[tuple[_K, Mapping[str, Any]]],
    /,
    *,
    max_concurrent: int | None = 4,
    isolate_errors: bool = False,
    max_pause: float = _DEFAULT_MAX_PAUSE,
    scheduler: abc.SchedulerBase | None = None,
) -> Observable[Tagged[_K, Any]]:
    """Stream many requests from one client, at most *max_concurrent* at once, tagged by key.

    Cold: each subscription sends the requests again. Requests start in order; each one
    only when a slot frees (its `MessageStream` is not even made before), and after a 429
    on any of them, the ones not started yet wait for the ``retry-after`` (at most
    *max_pause* s) rather than all starting at once; see `stream_sources`. Events come as
    ``Tagged(key, event)``: none is lost, each stream's stay in order, and they are
    delivered one at a time (on the streams' reader threads with a `Client`, on the loop
    with an `AsyncClient`, where the subscription must be made). Disposing the subscription
    aborts every running stream and closes its connection.

    Completes when every stream has ended. The first error ends it all by default: the
    other streams are aborted, and the error (typed, with ``.snapshot``) goes on with a note
    naming its key. With ``isolate_errors=True`` a failed stream's error comes as
    ``Tagged(key, StreamFailed(error))`` and the others go on.

    Args:
        client: the `Client` or `AsyncClient` to send with.
        requests: the parameters of each request (the keyword arguments of
            ``client.messages.stream``, `MessageParams`), by key: a mapping, or
            ``(key, params)`` pairs (read once, at the call). Bad parameters fail their own
            stream with a ``TypeError``, when its turn comes.
        max_concurrent: how many streams may run at once (``None``: all).
        isolate_errors: deliver a stream's error as a `StreamFailed` item instead of
            ending everything.
        max_pause: the longest pause of the group's starts after a 429, in seconds.
        scheduler: the clock and timer of that pause (default: a timer thread).

    Returns:
        An Observable of ``Tagged(key, event)``.

    Raises:
        ValueError: a bound or a pause out of range.

    Example:
        >>> questions = {q: {"model": MODEL, "max_tokens": 256,
        ...                  "messages": [{"role": "user", "content": q}]} for q in qs}
        >>> stream_many(client, questions, max_concurrent=8).pipe(
        ...     ops.filter(lambda t: t.value.type == "message_stop")
        ... ).subscribe(lambda t: print("done:", t.key))
    """
    check_max_concurrent(max_concurrent)
    _check_max_pause(max_pause)
    pacer = _Pacer(scheduler, max_pause)
    sources = [(key, _request_source(client, params, pacer)) for key, params in pairs_of(requests)]
    return merged(
        lambda: sources,
        max_concurrent=max_concurrent,
        isolate_errors=isolate_errors,
        where="stream_many",
    )
