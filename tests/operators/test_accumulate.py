"""accumulate(): one immutable snapshot per event that changes the message."""

from __future__ import annotations

from reactivex import operators as ops

import anthropic_rx as arx
from anthropic_rx.operators import accumulate

from ..events_helpers import PING, encode, text_stream
from .helpers import record


def test_accumulate_emits_one_snapshot_per_changing_event_and_skips_pings() -> None:
    objs = text_stream("Hel", "lo")
    objs.insert(2, PING)
    out = record(arx.from_bytes(encode(objs)).pipe(accumulate()))
    assert out.completed and out.error is None
    assert [s.text for s in out.values] == ["", "", "Hel", "Hello", "Hello", "Hello", "Hello"]
    assert [s.complete for s in out.values][-2:] == [False, True]


def test_snapshots_stay_as_they_were_under_pairwise() -> None:
    pairs = record(
        arx.from_bytes(encode(text_stream("a", "b", "c"))).pipe(accumulate(), ops.pairwise())
    )
    grown = [(a.text, b.text) for a, b in pairs.values if a.text != b.text]
    assert grown == [("", "a"), ("a", "ab"), ("ab", "abc")]


def test_a_truncated_stream_ends_with_incomplete_stream_error_after_every_snapshot() -> None:
    out = record(arx.from_bytes(encode(text_stream("partial")[:3])).pipe(accumulate()))
    assert [s.text for s in out.values] == ["", "", "partial"]
    assert isinstance(out.error, arx.IncompleteStreamError)
    assert out.error.snapshot is out.values[-1]


def test_each_subscription_runs_its_own_accumulator() -> None:
    events = arx.from_bytes(encode(text_stream("x")))
    first = record(events.pipe(accumulate(), ops.last()))
    second = record(events.pipe(accumulate(), ops.last()))
    assert first.values[0].text == second.values[0].text == "x"
    assert first.values[0] is not second.values[0]
