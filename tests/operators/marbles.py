"""Marble tests in virtual time: diagrams of typed events on a `TestScheduler`.

A diagram is read as reactivex reads marbles, one tick per character from the subscription
(tick 200, `ReactiveTest.subscribed`): ``-S-b-t-B-X-|`` sends ``S`` at 201, ``b`` at 203, and
completes at 211. Each letter is looked up in a mapping; JSON objects (the builders of
``tests/events_helpers.py``) become typed events with `parse_event`, as the wire delivers
them. Letters must be separated by ``-`` (``ab`` would be one element named ``ab``).

`timeline` turns what an observer received into ``(tick, value)`` rows, with ``"|"`` for
completion and the exception's *type* for an error, so that one ``==`` checks values, times
and the order of the end; `expect` reads an expected diagram into the same rows.

The letters of the legend (``operators/__init__.py``): S message_start, b/B block start/stop,
t/u text deltas, j/k input JSON deltas, D message_delta, X message_stop, P ping, E an
``event: error``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

from reactivex import Observable
from reactivex.notification import OnCompleted, OnError, OnNext
from reactivex.observable.marbles import parse
from reactivex.testing import ReactiveTest, TestScheduler
from reactivex.testing.hotobservable import HotObservable
from reactivex.testing.mockobserver import MockObserver
from reactivex.testing.recorded import Recorded

import anthropic_rx as arx

from .. import events_helpers as ev

__all__ = [
    "COMPLETED",
    "HELLO",
    "OVERLOADED",
    "SUBSCRIBED",
    "Row",
    "error_of",
    "expect",
    "hot",
    "run",
    "timeline",
]

SUBSCRIBED = ReactiveTest.subscribed
COMPLETED = "|"

Row = tuple[float, Any]

OVERLOADED: dict[str, Any] = {
    "type": "error",
    "error": {"type": "overloaded_error", "message": "Overloaded"},
}

#: The stream of the docstrings: "Hel" + "lo" in one text block, a ping and an error to hand.
HELLO: dict[str, Any] = {
    "S": ev.message_start(),
    "b": ev.block_start(0, type="text", text=""),
    "t": ev.text(0, "Hel"),
    "u": ev.text(0, "lo"),
    "B": ev.stop(0),
    "D": ev.message_delta(),
    "X": ev.MESSAGE_STOP,
    "P": ev.PING,
    "E": OVERLOADED,
}


class _Marker(Exception):
    """Stands for the ``#`` of an expected diagram until it is replaced by a type."""


def _typed(value: Any) -> Any:
    return ev.event(cast("dict[str, Any]", value)) if isinstance(value, dict) else value


def hot(
    scheduler: TestScheduler,
    diagram: str,
    values: Mapping[str, Any],
    *,
    error: Exception | None = None,
) -> HotObservable[arx.StreamEvent]:
    """A hot Observable of typed events sent at the ticks of *diagram* (``#`` sends *error*)."""
    lookup: dict[str | float, Any] = {key: _typed(value) for key, value in values.items()}
    messages = parse(diagram, timespan=1, time_shift=SUBSCRIBED, lookup=lookup, error=error)
    return scheduler.create_hot_observable(
        [Recorded(int(cast(float, time)), notification) for time, notification in messages]
    )


def expect(
    diagram: str,
    values: Mapping[str, Any] | None = None,
    *,
    error: type[BaseException] | None = None,
) -> list[Row]:
    """The rows an observer subscribed at tick 200 should see (``#`` is an *error*)."""
    lookup: dict[str | float, Any] = {}
    lookup.update(values or {})
    messages = parse(diagram, timespan=1, time_shift=SUBSCRIBED, lookup=lookup, error=_Marker())
    rows: list[Row] = []
    for time_, notification in messages:
        time = cast(float, time_)  # timespan=1: ticks, never timedeltas
        if isinstance(notification, OnNext):
            rows.append((time, notification.value))
        elif isinstance(notification, OnError):
            assert error is not None, "the diagram has a # but no error type was given"
            rows.append((time, error))
        else:
            rows.append((time, COMPLETED))
    return rows


def timeline(observer: MockObserver[Any], value: Callable[[Any], Any] = lambda v: v) -> list[Row]:
    """What *observer* received as ``(tick, value(v))``, ``(tick, "|")``, ``(tick, type)``."""
    rows: list[Row] = []
    for record in observer.messages:
        notification = record.value
        if isinstance(notification, OnNext):
            rows.append((record.time, value(notification.value)))
        elif isinstance(notification, OnError):
            rows.append((record.time, type(notification.exception)))
        elif isinstance(notification, OnCompleted):
            rows.append((record.time, COMPLETED))
    return rows


def error_of(observer: MockObserver[Any]) -> Exception:
    """The exception *observer* ended with (fails the test when it did not end with one)."""
    [error] = [r.value.exception for r in observer.messages if isinstance(r.value, OnError)]
    return error


def run(
    diagram: str,
    operator: Callable[[Observable[arx.StreamEvent]], Observable[Any]],
    values: Mapping[str, Any] = HELLO,
    *,
    error: Exception | None = None,
    disposed: float | None = None,
) -> MockObserver[Any]:
    """Pipe a hot source drawn by *diagram* through *operator*, subscribed 200 to 1000."""
    scheduler = TestScheduler()
    source = hot(scheduler, diagram, values, error=error)
    return scheduler.start(lambda: source.pipe(operator), disposed=disposed)
