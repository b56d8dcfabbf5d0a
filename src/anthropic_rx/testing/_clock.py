"""Virtual time in seconds: `VirtualClock`, and `run`, which records a pipeline on it as a `Run`.

reactivex's ``TestScheduler`` counts "ticks" from 0 and its test harness subscribes at tick
200; here one unit is one second and a run subscribes at the clock's current time (0 on a
new clock), so ``coalesce_text(1 / 60)`` and a recording paced at 50 tokens a second read
naturally. reactivex keeps virtual time as a ``datetime``, so it has a resolution of one
microsecond: 1/60 s is 0.016667 s.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, Literal, NamedTuple, TypeVar, cast, final

from reactivex import Observable, abc
from reactivex.testing import TestScheduler

from .._core import MessageSnapshot
from ..events import ContentBlockDeltaEvent, Message, StreamEvent, TextBlock, TextDelta

__all__ = ["Record", "Run", "VirtualClock", "run"]

_T = TypeVar("_T")

#: How many actions one instant may run before the clock reports an endless loop.
_MAX_ACTIONS_AT_ONE_INSTANT = 100_000


@final
class VirtualClock(TestScheduler):
    """A reactivex ``TestScheduler`` that counts seconds from 0 and runs to the end.

    Pass it wherever a scheduler goes (``coalesce_text(1 / 60, scheduler=clock)``,
    ``from_recording(path, pace=50, scheduler=clock)``); `run` passes it to every
    subscription for you. Nothing happens until the clock moves: `advance` runs what is
    due in the next seconds, `run_until_idle` runs everything.

    Unlike ``VirtualTimeScheduler.start``, which moves the clock one second ahead after 100
    actions at one instant, it keeps time exact however many events share an instant, and
    raises instead when work keeps rescheduling itself at the same instant forever.

    Example:
        >>> clock = VirtualClock()
        >>> shown = []
        >>> stream.pipe(coalesce_text(1 / 60, scheduler=clock)).subscribe(shown.append)
        >>> clock.advance(1 / 60)   # one frame later, the held text has been flushed
    """

    def __init__(self, start: float = 0.0) -> None:
        """Make a clock that reads *start* seconds."""
        super().__init__(float(start))

    @property
    def time(self) -> float:
        """The current virtual time, in seconds (to the microsecond)."""
        return round(self.to_seconds(self.clock), 6)

    def advance(self, seconds: float) -> None:
        """Move the clock *seconds* ahead, running every action due on the way, in order."""
        if not seconds >= 0:
            raise ValueError(f"expected a non-negative number of seconds, got {seconds!r}")
        # Add as schedule_relative does (on datetimes), so "1/60 from now" is the same
        # microsecond for the clock and for an action scheduled 1/60 s ahead.
        self._run(self.to_seconds(self.add(self._clock, float(seconds))))

    def run_until_idle(self, *, until: float | None = None) -> None:
        """Run every scheduled action, in time order, until none is left (or *until*).

        Args:
            until: stop at this virtual time (seconds), leaving later actions scheduled,
                and set the clock to it.

        An action may call ``stop()`` (as on any reactivex virtual-time scheduler) to end
        the run there, leaving later actions scheduled.

        Raises:
            RuntimeError: work that keeps scheduling itself at one instant (an endless loop).
        """
        self._run(None if until is None else self.to_seconds(self.to_datetime(float(until))))

    def _run(self, until: float | None) -> None:
        with self._lock:
            if self._is_enabled:
                raise RuntimeError("the clock is already running (called from a scheduled action)")
            self._is_enabled = True
        try:
            at_instant = 0
            while True:
                with self._lock:
                    if not self._is_enabled:  # an action called stop(): the clock stays put
                        return
                    if not self._queue:
                        break
                    item = self._queue.peek()
                    due = self.to_seconds(item.duetime)
                    if until is not None and due > until:
                        break
                    self._queue.dequeue()
                    now = self.to_seconds(self._clock)
                    if due > now:
                        self._clock, at_instant = due, 0
                if item.is_cancelled():
                    continue
                at_instant += 1
                if at_instant > _MAX_ACTIONS_AT_ONE_INSTANT:
                    raise RuntimeError(
                        f"more than {_MAX_ACTIONS_AT_ONE_INSTANT} actions at virtual time "
                        f"{self.time} s: something reschedules itself without delay"
                    )
                item.invoke()
            if until is not None:
                with self._lock:
                    if self.to_seconds(self._clock) < until:
                        self._clock = until
        finally:
            with self._lock:
                self._is_enabled = False


class Record(NamedTuple):
    """One notification a `run` recorded: when, which kind, and the value or the error."""

    time: float
    """The virtual time, in seconds."""
    kind: Literal["next", "error", "completed"]
    """``"next"`` for a value, ``"error"`` or ``"completed"`` for the end."""
    value: Any = None
    """The value (``"next"``), the exception (``"error"``), or ``None``."""


@final
class Run(Generic[_T]):
    """What a pipeline emitted in virtual time, and how it ended: the result of `run`.

    Attributes:
        records: every notification, in order, with its virtual time.

    Example:
        >>> result = run(script.observable().pipe(text_only()))
        >>> result.values, result.completed, result.error
        (['Hello, ', 'world'], True, None)
        >>> print(result)       # the timeline, one notification a line
    """

    __slots__ = ("records",)

    def __init__(self, records: tuple[Record, ...]) -> None:
        """Wrap *records* (made by `run`)."""
        self.records = records

    @property
    def values(self) -> list[_T]:
        """The values emitted, in order."""
        return [cast("_T", r.value) for r in self.records if r.kind == "next"]

    @property
    def times(self) -> list[float]:
        """The virtual time of each value, in seconds."""
        return [r.time for r in self.records if r.kind == "next"]

    @property
    def last(self) -> _T:
        """The last value emitted (`AssertionError` when there is none)."""
        values = self.values
        if not values:
            raise AssertionError(f"expected the run to emit a value, but it emitted none\n{self}")
        return values[-1]

    @property
    def completed(self) -> bool:
        """Whether the pipeline completed."""
        return any(r.kind == "completed" for r in self.records)

    @property
    def error(self) -> Exception | None:
        """The exception the pipeline ended with, or ``None``."""
        for r in self.records:
            if r.kind == "error":
                return cast(Exception, r.value)
        return None

    @property
    def ended(self) -> bool:
        """Whether the pipeline ended at all (completed or failed) before the run stopped."""
        return any(r.kind != "next" for r in self.records)

    @property
    def end_time(self) -> float | None:
        """When the pipeline completed or failed, or ``None`` if it did not end."""
        return next((r.time for r in self.records if r.kind != "next"), None)

    @property
    def text(self) -> str:
        """The text the pipeline emitted: what `assert_text` compares.

        Strings (``text_only``, ``coalesce_text``, ``final_text``) are joined; events give
        their text deltas joined; snapshots (``accumulate``) and messages (``final_message``)
        give the last one's text.

        Raises:
            TypeError: the values are none of those.
        """
        return text_of(self.values)

    def __repr__(self) -> str:
        count = sum(r.kind == "next" for r in self.records)
        return f"<Run {count} values, {describe_end(self)}>"

    def __str__(self) -> str:
        return timeline(self.records)


def run(
    source: Observable[_T] | Callable[[VirtualClock], Observable[_T]],
    /,
    *,
    scheduler: VirtualClock | None = None,
    until: float | None = None,
) -> Run[_T]:
    """Subscribe to *source* in virtual time, run the clock to the end, and record it all.

    The subscription gets the clock as its scheduler, so time-based operators that take
    their scheduler from the subscription (``coalesce_text``, ``latest``,
    ``from_recording(pace=…)``, `marbles`, `StreamScript.observable`) run on it without
    being told. Pass a function of the clock instead of an Observable to hand the clock to
    operators yourself. The run subscribes at the clock's current time (0 for a new
    clock), runs every scheduled action — seconds of virtual time take no real time — and
    disposes the subscription at the end.

    Args:
        source: the pipeline, or a function that builds it from the clock.
        scheduler: the clock to run on (default: a new `VirtualClock`).
        until: stop at this virtual time and dispose the subscription there, for
            pipelines that never end by themselves.

    Returns:
        The `Run`: values, their times, and how it ended.

    Example:
        >>> events = marbles("S-b-tttt-B-D-X|", {"t": ["Hel", "lo", ", wor", "ld"]}, tick=0.01)
        >>> result = run(events.pipe(coalesce_text(0.025)))
        >>> result.values, result.times
        (['Hel', 'lo, wor', 'ld'], [0.04, 0.065, 0.09])
    """
    clock = scheduler if scheduler is not None else VirtualClock()
    # An Observable is not callable, so anything else is the factory. (The cast: narrowing
    # by isinstance leaves an Observable[Unknown] in the union.)
    observable: Observable[_T] = (
        cast(Any, source) if isinstance(source, Observable) else source(clock)
    )
    recorder = _Recorder(clock)
    subscription = observable.subscribe(recorder, scheduler=clock)
    try:
        clock.run_until_idle(until=until)
    finally:
        subscription.dispose()
    return Run(tuple(recorder.records))


class _Recorder(abc.ObserverBase[Any]):
    def __init__(self, clock: VirtualClock) -> None:
        self._clock = clock
        self.records: list[Record] = []
        self._stopped = False

    def on_next(self, value: Any) -> None:
        if not self._stopped:
            self.records.append(Record(self._clock.time, "next", value))

    def on_error(self, error: Exception) -> None:
        if not self._stopped:
            self._stopped = True
            self.records.append(Record(self._clock.time, "error", error))

    def on_completed(self) -> None:
        if not self._stopped:
            self._stopped = True
            self.records.append(Record(self._clock.time, "completed"))


# -- reading a run (shared with the assertions) -------------------------------------------


def text_of(values: list[Any]) -> str:
    """The text of what a pipeline emitted (see `Run.text`)."""
    if all(isinstance(v, str) for v in values):
        return "".join(values)
    if all(isinstance(v, MessageSnapshot | Message) for v in values):
        last = values[-1]
        if isinstance(last, MessageSnapshot):
            return last.text
        return "".join(b.text for b in cast(Message, last).content if isinstance(b, TextBlock))
    if all(isinstance(v, StreamEvent) for v in values):
        return "".join(
            v.delta.text
            for v in values
            if isinstance(v, ContentBlockDeltaEvent) and isinstance(v.delta, TextDelta)
        )
    kinds = sorted({type(v).__name__ for v in values})
    raise TypeError(
        "expected the values to be strings, events, snapshots or messages to read text "
        f"from, got {', '.join(kinds)}"
    )


def short(value: object, limit: int = 120) -> str:
    """``repr(value)``, cut to *limit* characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_end(result: Run[Any]) -> str:
    """How *result* ended, in words: ``completed at 0.5 s``, ``failed at …``, ``did not end …``.

    It reads after "the run" or "it": "expected the run to complete, but it did not end".
    """
    for r in result.records:
        if r.kind == "completed":
            return f"completed at {r.time:g} s"
        if r.kind == "error":
            return f"failed at {r.time:g} s with {type(r.value).__name__}: {r.value}"
    return "did not end (still open when the run stopped)"


def timeline(records: tuple[Record, ...], *, mark: int | None = None, window: int = 3) -> str:
    """The records as a table, one a line; with *mark*, only those near it, marked ``>``."""
    if not records:
        return "  (nothing: no value, no end)"
    first, last = 0, len(records)
    if mark is not None:
        first, last = max(0, mark - window), min(len(records), mark + window + 1)
    lines: list[str] = []
    if first > 0:
        lines.append(f"    … {first} earlier")
    for i in range(first, last):
        r = records[i]
        pointer = ">" if i == mark else " "
        detail = "" if r.kind == "completed" else short(r.value)
        if r.kind == "error":
            detail = f"{type(r.value).__name__}: {r.value}"
        lines.append(f"  {pointer} {r.time:>10.6f} s  {r.kind:<9}  {detail}".rstrip())
    if mark is not None and last < len(records):
        lines.append(f"    … {len(records) - last} later")
    return "\n".join(lines)
