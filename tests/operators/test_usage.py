"""usage(): the usage at message_start and after every message_delta (cumulative)."""

from __future__ import annotations

from typing import Any

import anthropic_rx as arx
from anthropic_rx.operators import usage

from .. import events_helpers as ev
from .marbles import HELLO, expect, run, timeline


def tokens(value: Any) -> tuple[int, int]:
    return value.input_tokens, value.output_tokens


def test_usage_marble_emits_at_message_start_and_at_message_delta() -> None:
    """The docstring's diagram: -S-b-t-B-D-X-| gives u at S and at D."""
    source = "-S-b-t-B-D-X-|"
    output = "-u-------v---|"
    out = run(source, usage())
    assert timeline(out, tokens) == expect(output, {"u": (10, 1), "v": (10, 5)})
    assert all(isinstance(r.value.value, arx.events.Usage) for r in out.messages[:-1])


def test_usage_marble_overwrites_the_fields_a_message_delta_carries_and_keeps_the_rest() -> None:
    counted = {
        "S": ev.message_start(
            usage={"input_tokens": 10, "output_tokens": 1, "cache_read_input_tokens": 7}
        ),
        "D": ev.message_delta(input_tokens=12),
        "F": ev.message_delta(output_tokens=9),
        "X": ev.MESSAGE_STOP,
    }
    out = run("-S-D-F-X-|", usage(), counted)
    cached = [(*tokens(u), u.cache_read_input_tokens) for _, u in timeline(out)[:-1]]
    assert cached == [(10, 1, 7), (12, 5, 7), (12, 9, 7)]
    assert timeline(out, lambda _: "u") == expect("-u-u-u---|", {"u": "u"})


def test_usage_marble_ends_with_the_typed_error_of_an_error_event_after_the_usage() -> None:
    out = run("-S-b-E-D-X-|", usage())
    assert timeline(out, tokens) == expect("-u---#", {"u": (10, 1)}, error=arx.OverloadedError)


def test_usage_marble_ends_with_incomplete_stream_error_after_the_last_usage() -> None:
    out = run("-S-b-t-B-D-|", usage(), HELLO)
    assert timeline(out, tokens) == expect(
        "-u-------v-#", {"u": (10, 1), "v": (10, 5)}, error=arx.IncompleteStreamError
    )
