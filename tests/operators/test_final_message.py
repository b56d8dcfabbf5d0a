"""final_message(): the whole message, once, at message_stop."""

from __future__ import annotations

import anthropic_rx as arx
from anthropic_rx.operators import final_message

from .. import events_helpers as ev
from .helpers import record
from .marbles import error_of, expect, run, timeline


def test_final_message_emits_the_message_once_and_completes() -> None:
    out = record(arx.from_bytes(ev.encode(ev.text_stream("Hi", "!"))).pipe(final_message()))
    assert out.completed
    assert len(out.values) == 1
    message = out.values[0]
    assert isinstance(message, arx.Message)
    assert message.model_dump(mode="json")["content"] == [
        {"type": "text", "text": "Hi!", "citations": None}
    ]


def test_run_returns_the_final_message() -> None:
    message = arx.from_bytes(ev.encode(ev.text_stream("x"))).pipe(final_message()).run()
    assert message.stop_reason == "end_turn"


def test_final_message_of_a_truncated_stream_is_an_incomplete_stream_error() -> None:
    out = record(arx.from_bytes(ev.encode(ev.text_stream("cut")[:-1])).pipe(final_message()))
    assert out.values == []
    assert isinstance(out.error, arx.IncompleteStreamError)
    assert out.error.snapshot is not None
    assert out.error.snapshot.stop_reason == "end_turn"


def test_crlf_framing_gives_the_same_message() -> None:
    lf = arx.from_bytes(ev.encode(ev.text_stream("a", "b"))).pipe(final_message()).run()
    crlf = (
        arx.from_bytes(ev.encode(ev.text_stream("a", "b"), newline="\r\n"))
        .pipe(final_message())
        .run()
    )
    assert lf == crlf


# -- in virtual time ---------------------------------------------------------------------------


def test_final_message_marble_emits_the_message_at_message_stop_then_completes() -> None:
    """The docstring's diagram: -S-b-t-t-B-D-X-| gives M at X."""
    whole = arx.from_bytes(ev.encode(ev.text_stream("Hel", "lo"))).pipe(final_message()).run()
    out = run("-S-b-t-P-u-B-D-X-|", final_message())
    assert timeline(out) == expect("---------------M-|", {"M": whole})


def test_final_message_marble_of_a_stream_without_message_stop_is_only_an_error() -> None:
    out = run("-S-b-t-u-B-D-|", final_message())
    assert timeline(out) == expect("-------------#", error=arx.IncompleteStreamError)
    error = error_of(out)
    assert isinstance(error, arx.IncompleteStreamError)
    assert error.snapshot is not None
    assert error.snapshot.text == "Hello"


def test_final_message_marble_ends_with_the_typed_error_of_an_error_event() -> None:
    out = run("-S-b-t-E-u-B-D-X-|", final_message())
    assert timeline(out) == expect("-------#", error=arx.OverloadedError)


def test_final_message_marble_ends_with_stream_protocol_error_for_a_block_out_of_place() -> None:
    out = run("-S-B-X-|", final_message())
    assert timeline(out) == expect("---#", error=arx.StreamProtocolError)
