"""accumulate(): one immutable snapshot per event that changes the message."""

from __future__ import annotations

import pytest
from reactivex import operators as ops
from reactivex.testing import ReactiveTest, TestScheduler

import anthropic_rx as arx
from anthropic_rx.operators import accumulate

from .. import events_helpers as ev
from .helpers import record
from .marbles import HELLO, error_of, expect, hot, run, timeline


def test_accumulate_emits_one_snapshot_per_changing_event_and_skips_pings() -> None:
    objs = ev.text_stream("Hel", "lo")
    objs.insert(2, ev.PING)
    out = record(arx.from_bytes(ev.encode(objs)).pipe(accumulate()))
    assert out.completed
    assert out.error is None
    assert [s.text for s in out.values] == ["", "", "Hel", "Hello", "Hello", "Hello", "Hello"]
    assert [s.complete for s in out.values][-2:] == [False, True]


def test_snapshots_stay_as_they_were_under_pairwise() -> None:
    events = arx.from_bytes(ev.encode(ev.text_stream("a", "b", "c")))
    pairs = record(events.pipe(accumulate(), ops.pairwise()))
    grown = [(a.text, b.text) for a, b in pairs.values if a.text != b.text]
    assert grown == [("", "a"), ("a", "ab"), ("ab", "abc")]


def test_a_truncated_stream_ends_with_incomplete_stream_error_after_every_snapshot() -> None:
    out = record(arx.from_bytes(ev.encode(ev.text_stream("partial")[:3])).pipe(accumulate()))
    assert [s.text for s in out.values] == ["", "", "partial"]
    assert isinstance(out.error, arx.IncompleteStreamError)
    assert out.error.snapshot is out.values[-1]


def test_each_subscription_runs_its_own_accumulator() -> None:
    events = arx.from_bytes(ev.encode(ev.text_stream("x")))
    first = record(events.pipe(accumulate(), ops.last()))
    second = record(events.pipe(accumulate(), ops.last()))
    assert first.values[0].text == second.values[0].text == "x"
    assert first.values[0] is not second.values[0]


# -- in virtual time ---------------------------------------------------------------------------


def text_and_complete(snapshot: arx.MessageSnapshot) -> tuple[str, bool]:
    return snapshot.text, snapshot.complete


def test_accumulate_marble_emits_a_snapshot_at_the_tick_of_each_event_but_pings() -> None:
    """The docstring's diagram, with a ping that emits nothing."""
    out = run("-S-b-t-P-u-B-D-X-|", accumulate())
    assert timeline(out, text_and_complete) == expect(
        "-S-b-t---u-B-D-X-|",
        {
            "S": ("", False),
            "b": ("", False),
            "t": ("Hel", False),
            "u": ("Hello", False),
            "B": ("Hello", False),
            "D": ("Hello", False),
            "X": ("Hello", True),
        },
    )


def test_accumulate_marble_ends_with_incomplete_stream_error_at_an_early_completion() -> None:
    out = run("-S-b-t-|", accumulate())
    assert timeline(out, lambda s: s.text) == expect(
        "-S-b-t-#", {"S": "", "b": "", "t": "Hel"}, error=arx.IncompleteStreamError
    )
    assert error_of(out).snapshot is out.messages[-2].value.value


def test_accumulate_marble_ends_with_the_typed_error_of_an_error_event_and_unsubscribes() -> None:
    scheduler = TestScheduler()
    source = hot(scheduler, "-S-b-t-E-u-B-D-X-|", HELLO)
    out = scheduler.start(lambda: source.pipe(accumulate()))
    assert timeline(out, lambda s: s.text) == expect(
        "-S-b-t-#", {"S": "", "b": "", "t": "Hel"}, error=arx.OverloadedError
    )
    error = error_of(out)
    assert isinstance(error, arx.OverloadedError)
    assert error.snapshot is not None
    assert error.snapshot.text == "Hel"
    assert source.subscriptions == [ReactiveTest.subscribe(200, 207)]


@pytest.mark.parametrize(
    ("diagram", "expected"),
    [
        ("-S-t-|", "-S-#"),  # a delta for a block that never started
        ("-S-S-|", "-S-#"),  # a second message_start
        ("-b-|", "-#"),  # a block before message_start
        ("-S-b-B-X-u-|", "-S-b-B-X-#"),  # anything after message_stop
    ],
)
def test_accumulate_marble_ends_with_stream_protocol_error_at_the_offending_event(
    diagram: str, expected: str
) -> None:
    out = run(diagram, accumulate())
    snapshot = dict.fromkeys("SbBX", "s")
    assert timeline(out, lambda _: "s") == expect(expected, snapshot, error=arx.StreamProtocolError)


def test_accumulate_marble_passes_the_sources_own_error_on_after_the_snapshots() -> None:
    boom = RuntimeError("boom")
    out = run("-S-b-t-#", accumulate(), error=boom)
    assert timeline(out, lambda s: s.text) == expect(
        "-S-b-t-#", {"S": "", "b": "", "t": "Hel"}, error=RuntimeError
    )
    assert error_of(out) is boom


def test_accumulate_marble_sends_nothing_after_disposal() -> None:
    scheduler = TestScheduler()
    source = hot(scheduler, "-S-b-t-u-B-D-X-|", HELLO)
    out = scheduler.start(lambda: source.pipe(accumulate()), disposed=206)
    assert timeline(out, lambda s: s.text) == expect("-S-b-t-", {"S": "", "b": "", "t": "Hel"})
    assert source.subscriptions == [ReactiveTest.subscribe(200, 206)]
