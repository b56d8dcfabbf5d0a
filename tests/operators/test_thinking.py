"""thinking(): the text of every thinking delta, in stream order."""

from __future__ import annotations

import anthropic_rx as arx
from anthropic_rx.operators import thinking

from .. import events_helpers as ev
from .marbles import OVERLOADED, error_of, expect, run, timeline

THINK = {
    "S": ev.message_start(),
    "b": ev.block_start(0, type="thinking", thinking="", signature=""),
    "k": ev.delta(0, type="thinking_delta", thinking="Let"),
    "m": ev.delta(0, type="thinking_delta", thinking=" me"),
    "g": ev.delta(0, type="signature_delta", signature="sig"),
    "B": ev.stop(0),
    "c": ev.block_start(1, type="text", text=""),
    "t": ev.text(1, "Hi"),
    "C": ev.stop(1),
    "D": ev.message_delta(),
    "X": ev.MESSAGE_STOP,
    "E": OVERLOADED,
}


def test_thinking_marble_emits_each_thinking_delta_and_skips_signature_and_text() -> None:
    """The docstring's diagram: -S-b(thinking)-k(Let)-k( me)-g-B-b-t(Hi)-B-D-X-|."""
    out = run("-S-b-k-m-g-B-c-t-C-D-X-|", thinking(), THINK)
    assert timeline(out) == expect("-----k-m---------------|", {"k": "Let", "m": " me"})


def test_thinking_marble_emits_nothing_for_redacted_thinking() -> None:
    redacted = {
        **THINK,
        "r": ev.block_start(0, type="redacted_thinking", data="opaque"),
        "R": ev.stop(0),
    }
    out = run("-S-r-R-c-t-C-D-X-|", thinking(), redacted)
    assert timeline(out) == expect("-----------------|")


def test_thinking_marble_ends_with_incomplete_stream_error_after_the_thinking() -> None:
    out = run("-S-b-k-m-|", thinking(), THINK)
    assert timeline(out) == expect(
        "-----k-m-#", {"k": "Let", "m": " me"}, error=arx.IncompleteStreamError
    )
    snapshot = error_of(out).snapshot
    assert snapshot is not None
    assert snapshot.content[0].model_dump()["thinking"] == "Let me"


def test_thinking_marble_ends_with_the_typed_error_of_an_error_event() -> None:
    out = run("-S-b-k-E-m-|", thinking(), THINK)
    assert timeline(out) == expect("-----k-#", {"k": "Let"}, error=arx.OverloadedError)


def test_thinking_marble_ends_with_stream_protocol_error_for_a_thinking_delta_on_text() -> None:
    wrong = {**THINK, "w": ev.delta(1, type="thinking_delta", thinking="?")}
    out = run("-S-b-k-B-c-w-|", thinking(), wrong)
    assert timeline(out) == expect("-----k-----#", {"k": "Let"}, error=arx.StreamProtocolError)
