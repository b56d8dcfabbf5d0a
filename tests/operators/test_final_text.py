"""final_text(): the message's text once, at message_stop, every text block joined with ""."""

from __future__ import annotations

import anthropic_rx as arx
from anthropic_rx.operators import final_text

from .. import events_helpers as ev
from .helpers import record
from .marbles import OVERLOADED, error_of, expect, run, timeline

MIXED = {
    "S": ev.message_start(),
    "h": ev.block_start(0, type="thinking", thinking="", signature=""),
    "k": ev.delta(0, type="thinking_delta", thinking="hmm"),
    "H": ev.stop(0),
    "b": ev.block_start(1, type="text", text=""),
    "t": ev.text(1, "Hi "),
    "B": ev.stop(1),
    "c": ev.block_start(2, type="tool_use", id="toolu_1", name="look", input={}),
    "j": ev.input_json(2, '{"q": 1}'),
    "C": ev.stop(2),
    "e": ev.block_start(3, type="text", text=""),
    "u": ev.text(3, "there"),
    "F": ev.stop(3),
    "D": ev.message_delta(),
    "X": ev.MESSAGE_STOP,
    "E": OVERLOADED,
}


def test_final_text_marble_emits_the_whole_text_at_message_stop() -> None:
    """The docstring's diagram: -S-b-t(Hel)-t(lo)-B-D-X-| gives Hello at X."""
    out = run("-S-b-t-P-u-B-D-X-|", final_text())
    assert timeline(out) == expect("---------------x-|", {"x": "Hello"})


def test_final_text_joins_every_text_block_with_nothing_and_skips_thinking_and_tools() -> None:
    out = run("-S-h-k-H-b-t-B-c-j-C-e-u-F-D-X-|", final_text(), MIXED)
    assert timeline(out) == expect("-----------------------------x-|", {"x": "Hi there"})


def test_final_text_of_a_message_with_only_a_tool_call_is_a_no_text_error_at_message_stop() -> None:
    tool_only = {
        **MIXED,
        "c": ev.block_start(0, type="tool_use", id="toolu_1", name="look", input={}),
        "j": ev.input_json(0, '{"q": 1}'),
        "C": ev.stop(0),
    }
    out = run("-S-c-j-C-D-X-|", final_text(), tool_only)
    assert timeline(out) == expect("-----------#", error=arx.NoTextError)
    error = error_of(out)
    assert isinstance(error, arx.NoTextError)
    assert isinstance(error, ValueError)
    assert "tool_use" in str(error)
    assert error.snapshot is not None
    assert error.snapshot.complete


def test_final_text_of_a_message_without_content_blocks_is_a_no_text_error() -> None:
    out = record(
        arx.from_bytes(ev.encode([ev.message_start(), ev.message_delta(), ev.MESSAGE_STOP])).pipe(
            final_text()
        )
    )
    assert out.values == []
    assert isinstance(out.error, arx.NoTextError)
    assert "no content blocks" in str(out.error)


def test_final_text_of_an_empty_text_block_is_the_empty_string() -> None:
    out = record(arx.from_bytes(ev.encode(ev.text_stream())).pipe(final_text()))
    assert out.values == [""]
    assert out.completed


def test_final_text_marble_of_a_stream_cut_before_message_stop_is_only_an_error() -> None:
    out = run("-S-b-t-u-B-D-|", final_text())
    assert timeline(out) == expect("-------------#", error=arx.IncompleteStreamError)


def test_final_text_marble_ends_with_the_typed_error_of_an_error_event() -> None:
    out = run("-S-b-t-E-u-B-D-X-|", final_text())
    assert timeline(out) == expect("-------#", error=arx.OverloadedError)
