"""coalesce_text(): the text at most once per interval, joined, nothing lost (UI rate).

Virtual time: one tick is one second of the operator's interval, so ``coalesce_text(3)``
flushes every 3 ticks while text keeps coming (research/reactive-anchors.md §1.9).
"""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise
from typing import Any

import pytest
from reactivex.testing import ReactiveTest, TestScheduler

import anthropic_rx as arx
from anthropic_rx.operators import coalesce_text, final_text

from .. import events_helpers as ev
from ..conftest import read_recording
from .helpers import record
from .marbles import OVERLOADED, error_of, expect, hot, run, timeline

#: A one-block text message whose deltas are named by their text: p, q, r, s, v.
RATE: dict[str, Any] = {
    "S": ev.message_start(),
    "b": ev.block_start(0, type="text", text=""),
    **{piece: ev.text(0, piece) for piece in "pqrsv"},
    "B": ev.stop(0),
    "D": ev.message_delta(),
    "X": ev.MESSAGE_STOP,
    "E": OVERLOADED,
}

#: Deltas every 2 ticks, then a pause, then one more: the shape of the docstring's diagram.
BUSY = "-S-b-p-q-r-s---------v-B-D-X-|"
#: coalesce_text(3): p at once; q at the end of the first interval; r and s (s arrives as
#: the second interval ends) joined at its end; an idle interval ends the cooling; v at once.
BUSY_3 = "-----p--q--x---------v-------|"
BUSY_3_VALUES = {"p": "p", "q": "q", "x": "rs", "v": "v"}


def test_coalesce_text_marble_sends_the_first_text_at_once_then_a_joined_piece_a_frame() -> None:
    out = run(BUSY, coalesce_text(3), RATE)
    assert timeline(out) == expect(BUSY_3, BUSY_3_VALUES)


def test_coalesce_text_takes_the_interval_as_a_timedelta_too() -> None:
    out = run(BUSY, coalesce_text(timedelta(seconds=3)), RATE)
    assert timeline(out) == expect(BUSY_3, BUSY_3_VALUES)


def test_coalesce_text_marble_flushes_the_pending_text_just_before_completion() -> None:
    source = "-S-b-p-q-r-B-D-X-|"
    output = "-----p-----------(x,|)"
    out = run(source, coalesce_text(100), RATE)
    assert timeline(out) == expect(output, {"p": "p", "x": "qr"})


def test_coalesce_text_marble_flushes_the_pending_text_just_before_an_error_event() -> None:
    source = "-S-b-p-q-r-E-s-|"
    output = "-----p-----(x,#)"
    out = run(source, coalesce_text(100), RATE)
    assert timeline(out) == expect(output, {"p": "p", "x": "qr"}, error=arx.OverloadedError)


def test_coalesce_text_marble_flushes_the_pending_text_before_incomplete_stream_error() -> None:
    source = "-S-b-p-q-r-|"
    output = "-----p-----(x,#)"
    out = run(source, coalesce_text(100), RATE)
    assert timeline(out) == expect(output, {"p": "p", "x": "qr"}, error=arx.IncompleteStreamError)
    snapshot = error_of(out).snapshot
    assert snapshot is not None
    assert snapshot.text == "pqr"


def test_coalesce_text_marble_flushes_the_pending_text_before_the_sources_own_error() -> None:
    boom = RuntimeError("boom")
    out = run("-S-b-p-q-r-#", coalesce_text(100), RATE, error=boom)
    assert timeline(out) == expect("-----p-----(x,#)", {"p": "p", "x": "qr"}, error=RuntimeError)
    assert error_of(out) is boom


def test_coalesce_text_marble_sends_nothing_while_idle_nor_for_a_message_without_text() -> None:
    out = run("-S-b-B-D-X-|", coalesce_text(3), RATE)
    assert timeline(out) == expect("-----------|")


def test_coalesce_text_with_a_zero_interval_passes_every_piece_through() -> None:
    out = run(BUSY, coalesce_text(0), RATE)
    assert timeline(out) == expect("-----p-q-r-s---------v-------|", {c: c for c in "pqrsv"})


def test_coalesce_text_runs_its_timer_on_the_scheduler_it_is_given() -> None:
    """Subscribed with no scheduler, or another one, the frames still come from `scheduler`."""
    for subscribe_scheduler in (None, TestScheduler()):
        scheduler = TestScheduler()
        source = hot(scheduler, BUSY, RATE)
        observer = scheduler.create_observer()
        source.pipe(coalesce_text(3, scheduler=scheduler)).subscribe(
            observer, scheduler=subscribe_scheduler
        )
        scheduler.advance_to(1000)
        assert timeline(observer) == expect(BUSY_3, BUSY_3_VALUES)


def test_coalesce_text_without_a_scheduler_uses_the_subscriptions() -> None:
    scheduler = TestScheduler()
    source = hot(scheduler, BUSY, RATE)
    out = scheduler.start(lambda: source.pipe(coalesce_text(3)))
    assert timeline(out) == expect(BUSY_3, BUSY_3_VALUES)
    assert scheduler.clock == 1000  # nothing was left scheduled past the end


def test_coalesce_text_marble_sends_nothing_after_disposal() -> None:
    scheduler = TestScheduler()
    source = hot(scheduler, BUSY, RATE)
    out = scheduler.start(lambda: source.pipe(coalesce_text(3)), disposed=209)
    assert timeline(out) == expect("-----p--q", {"p": "p", "q": "q"})
    assert source.subscriptions == [ReactiveTest.subscribe(200, 209)]


def test_coalesce_text_joined_is_the_whole_text_of_a_real_stream() -> None:
    """99 deltas, one a tick, in frames of 7 ticks: fewer pieces, the same text."""
    data = read_recording("llm-long-text-99-deltas.sse")
    events = record(arx.from_bytes(data)).values
    scheduler = TestScheduler()
    source = scheduler.create_hot_observable(
        [ReactiveTest.on_next(201 + i, e) for i, e in enumerate(events)]
        + [ReactiveTest.on_completed(201 + len(events))]
    )
    out = scheduler.start(lambda: source.pipe(coalesce_text(7)))
    rows = timeline(out)
    pieces = [value for _, value in rows[:-1]]
    assert rows[-1] == (201 + len(events), "|")
    assert "".join(pieces) == arx.from_bytes(data).pipe(final_text()).run()
    assert len(pieces) <= len(events) // 7 + 2
    times = [time for time, _ in rows[:-1]]
    gaps = [later - earlier for earlier, later in pairwise(times)]
    assert all(gap >= 7 for gap in gaps[:-1])  # the last piece is flushed at the end


def test_coalesce_text_rejects_a_negative_interval() -> None:
    with pytest.raises(ValueError, match="non-negative interval"):
        arx.from_bytes(b"").pipe(coalesce_text(-1))


def test_a_subscriber_that_raises_on_a_frame_gets_its_exception_as_on_error() -> None:
    scheduler = TestScheduler()
    source = hot(scheduler, BUSY, RATE)
    rows: list[tuple[float, Any]] = []

    def on_next(piece: str) -> None:
        rows.append((scheduler.clock, piece))
        if piece == "q":  # the first piece sent by a frame tick, not by a delta
            raise RuntimeError("the widget is gone")

    def on_error(exc: Exception) -> None:
        rows.append((scheduler.clock, type(exc)))

    source.pipe(coalesce_text(3, scheduler=scheduler)).subscribe(on_next, on_error)
    escaped: list[Exception] = []
    try:
        scheduler.advance_to(1000)
    except RuntimeError as exc:  # what happens now: it escapes into the scheduler
        escaped.append(exc)
    assert escaped == []
    assert rows == [(205.0, "p"), (208.0, "q"), (208.0, RuntimeError)]
