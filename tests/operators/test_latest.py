"""latest(): a throttle that sends the first value at once and never drops the last (UI rate)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from reactivex import operators as ops
from reactivex.testing import ReactiveTest, TestScheduler

import anthropic_rx as arx
from anthropic_rx.operators import accumulate, latest

from .. import events_helpers as ev
from .marbles import HELLO, error_of, expect, hot, run, timeline

#: The docstring's source: values every 2 ticks, a pause, one more.
BUSY = "-a-b-c-d---------e-|"
#: latest(3): a at once; b at the end of the first interval; c is replaced by d (d arrives
#: as the second interval ends); an idle interval ends the cooling; e at once.
BUSY_3 = "-a--b--d---------e-|"


def test_latest_marble_sends_the_first_value_at_once_then_the_newest_per_busy_interval() -> None:
    scheduler = TestScheduler()
    source = hot(scheduler, BUSY, {})
    out = scheduler.start(lambda: source.pipe(latest(3, scheduler=scheduler)))
    assert timeline(out) == expect(BUSY_3)


def test_latest_takes_the_interval_as_a_timedelta_too() -> None:
    scheduler = TestScheduler()
    source = hot(scheduler, BUSY, {})
    out = scheduler.start(lambda: source.pipe(latest(timedelta(seconds=3))))
    assert timeline(out) == expect(BUSY_3)


def test_latest_marble_flushes_the_newest_pending_value_just_before_completion() -> None:
    scheduler = TestScheduler()
    source = hot(scheduler, "-a-b-c-|", {})
    out = scheduler.start(lambda: source.pipe(latest(100)))
    assert timeline(out) == expect("-a-----(c,|)")


def test_latest_marble_flushes_the_newest_pending_value_just_before_an_error() -> None:
    boom = RuntimeError("boom")
    scheduler = TestScheduler()
    source = hot(scheduler, "-a-b-c-#", {}, error=boom)
    out = scheduler.start(lambda: source.pipe(latest(100)))
    assert timeline(out) == expect("-a-----(c,#)", error=RuntimeError)
    assert error_of(out) is boom


def test_latest_marble_sends_nothing_while_idle() -> None:
    scheduler = TestScheduler()
    source = hot(scheduler, "-a------------b-|", {})
    out = scheduler.start(lambda: source.pipe(latest(3)))
    assert timeline(out) == expect("-a------------b-|")


def test_latest_runs_its_timer_on_the_scheduler_it_is_given() -> None:
    """Subscribed with no scheduler, or another one, the ticks still come from `scheduler`."""
    for subscribe_scheduler in (None, TestScheduler()):
        scheduler = TestScheduler()
        source = hot(scheduler, BUSY, {})
        observer = scheduler.create_observer()
        source.pipe(latest(3, scheduler=scheduler)).subscribe(
            observer, scheduler=subscribe_scheduler
        )
        scheduler.advance_to(1000)
        assert timeline(observer) == expect(BUSY_3)


def test_latest_marble_sends_nothing_after_disposal() -> None:
    scheduler = TestScheduler()
    source = hot(scheduler, BUSY, {})
    out = scheduler.start(lambda: source.pipe(latest(3)), disposed=206)
    assert timeline(out) == expect("-a--b-")
    assert source.subscriptions == [ReactiveTest.subscribe(200, 206)]


def test_latest_on_snapshots_always_delivers_the_complete_one_unlike_throttle_first() -> None:
    """A frame longer than the whole answer: throttle_first loses the final snapshot."""
    many = {**HELLO, **{c: ev.text(0, c) for c in "pqrsv"}}
    source = "-S-b-t-p-q-r-s-v-B-D-X-|"
    output = "-a---------------------(x,|)"
    values = {"a": ("", False), "x": ("Helpqrsv", True)}

    def text_and_complete(snapshot: arx.MessageSnapshot) -> tuple[str, bool]:
        return snapshot.text, snapshot.complete

    kept = run(source, lambda events: events.pipe(accumulate(), latest(100)), many)
    assert timeline(kept, text_and_complete) == expect(output, values)
    dropped = run(source, lambda events: events.pipe(accumulate(), ops.throttle_first(100)), many)
    assert timeline(dropped, text_and_complete) == expect(
        "-a---------------------|", {"a": ("", False)}
    )


def test_latest_marble_of_snapshots_per_frame_ends_with_the_complete_snapshot() -> None:
    many = {**HELLO, **{c: ev.text(0, c) for c in "pqrsv"}}
    source = "-S-b-t-p-q-r-s-v-B-D-X-|"
    output = "-a---c---e---g---i---k-|"
    out = run(source, lambda events: events.pipe(accumulate(), latest(4)), many)
    assert timeline(out, lambda s: s.text) == expect(
        output,
        {"a": "", "c": "Hel", "e": "Helpq", "g": "Helpqrs", "i": "Helpqrsv", "k": "Helpqrsv"},
    )
    assert out.messages[-2].value.value.complete


def test_latest_keeps_the_values_themselves() -> None:
    values = [object(), object(), object()]
    scheduler = TestScheduler()
    source = scheduler.create_hot_observable(
        [ReactiveTest.on_next(201 + i, v) for i, v in enumerate(values)]
        + [ReactiveTest.on_completed(210)]
    )
    out = scheduler.start(lambda: source.pipe(latest(100)))
    assert [r.value.value for r in out.messages[:-1]] == [values[0], values[2]]
    assert out.messages[0].value.value is values[0]
    assert out.messages[1].value.value is values[2]


def test_latest_rejects_a_negative_interval() -> None:
    with pytest.raises(ValueError, match="non-negative interval"):
        arx.from_bytes(b"").pipe(accumulate(), latest(-1))
