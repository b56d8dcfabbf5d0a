"""text_only(): the text deltas, in order."""

from __future__ import annotations

from reactivex import operators as ops

import anthropic_rx as arx
from anthropic_rx.operators import text_only

from .. import events_helpers as ev
from .helpers import record
from .marbles import error_of, expect, run, timeline


def test_text_only_emits_each_text_delta_in_order() -> None:
    out = record(arx.from_bytes(ev.encode(ev.text_stream("Hel", "lo", " there"))).pipe(text_only()))
    assert out.values == ["Hel", "lo", " there"]
    assert out.completed


def test_text_only_skips_thinking_deltas() -> None:
    objs = [
        ev.message_start(),
        *ev.thinking_block(0, "hmm", signature="s"),
        *ev.text_block(1, "answer"),
        *ev.message_end(),
    ]
    assert record(arx.from_bytes(ev.encode(objs)).pipe(text_only())).values == ["answer"]


def test_text_only_reports_a_mid_stream_error_after_the_text_before_it() -> None:
    err = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    objs = [*ev.text_stream("one", "two")[:4], err]
    out = record(arx.from_bytes(ev.encode(objs)).pipe(text_only()))
    assert out.values == ["one", "two"]
    assert isinstance(out.error, arx.OverloadedError)
    assert out.error.snapshot is not None
    assert out.error.snapshot.text == "onetwo"


def test_take_stops_the_source_early() -> None:
    seen: list[str] = []

    def chunks() -> object:
        for piece in ev.encode(ev.text_stream(*"abcdefgh")).split(b"\n\n"):
            seen.append("chunk")
            yield piece + b"\n\n"

    out = record(arx.from_bytes(chunks()).pipe(text_only(), ops.take(2)))  # type: ignore[arg-type]
    assert out.values == ["a", "b"]
    assert out.completed
    assert len(seen) < 8  # the rest of the input was never read


# -- in virtual time ---------------------------------------------------------------------------


def test_text_only_marble_emits_each_text_at_the_tick_of_its_delta() -> None:
    """The docstring's diagram: -S-b-t(Hel)-t(lo)-B-D-X-| gives Hel and lo, then completes."""
    out = run("-S-b-t-P-u-B-D-X-|", text_only())
    assert timeline(out) == expect("-----t---u-------|", {"t": "Hel", "u": "lo"})


def test_text_only_marble_ends_with_incomplete_stream_error_after_all_the_text() -> None:
    out = run("-S-b-t-u-|", text_only())
    assert timeline(out) == expect(
        "-----t-u-#", {"t": "Hel", "u": "lo"}, error=arx.IncompleteStreamError
    )
    error = error_of(out)
    assert isinstance(error, arx.IncompleteStreamError)
    assert error.snapshot is not None
    assert error.snapshot.text == "Hello"


def test_text_only_marble_ends_with_the_typed_error_of_an_error_event() -> None:
    out = run("-S-b-t-E-u-B-D-X-|", text_only())
    assert timeline(out) == expect("-----t-#", {"t": "Hel"}, error=arx.OverloadedError)


def test_text_only_marble_ends_with_stream_protocol_error_for_text_after_message_stop() -> None:
    out = run("-S-b-t-B-D-X-u-|", text_only())
    assert timeline(out) == expect("-----t-------#", {"t": "Hel"}, error=arx.StreamProtocolError)
