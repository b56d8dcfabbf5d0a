"""stop_reason(): the stop reason once, at message_stop."""

from __future__ import annotations

import pytest

import anthropic_rx as arx
from anthropic_rx.operators import stop_reason

from .. import events_helpers as ev
from .marbles import HELLO, expect, run, timeline


@pytest.mark.parametrize("reason", ["end_turn", "tool_use", "max_tokens", "refusal"])
def test_stop_reason_marble_emits_the_reason_at_message_stop(reason: str) -> None:
    """The docstring's diagram: -S-b-t-B-D(end_turn)-X-| gives e at X."""
    source = "-S-b-t-B-D-X-|"
    output = "-----------e-|"
    out = run(source, stop_reason(), {**HELLO, "D": ev.message_delta(reason)})
    assert timeline(out) == expect(output, {"e": reason})


def test_stop_reason_marble_is_none_when_no_message_delta_said_why() -> None:
    out = run("-S-b-t-B-X-|", stop_reason())
    assert timeline(out) == expect("---------n-|", {"n": None})


def test_stop_reason_marble_of_a_stream_cut_after_message_delta_is_only_an_error() -> None:
    out = run("-S-b-t-B-D-|", stop_reason())
    assert timeline(out) == expect("-----------#", error=arx.IncompleteStreamError)


def test_stop_reason_marble_ends_with_the_typed_error_of_an_error_event() -> None:
    out = run("-S-b-t-B-E-X-|", stop_reason())
    assert timeline(out) == expect("---------#", error=arx.OverloadedError)


def test_stop_reason_marble_ends_with_stream_protocol_error_for_a_second_message_stop() -> None:
    out = run("-S-b-t-B-D-X-X-|", stop_reason())
    assert timeline(out) == expect(
        "-----------e-#", {"e": "end_turn"}, error=arx.StreamProtocolError
    )
