"""final_message(): the whole message, once, at message_stop."""

from __future__ import annotations

import anthropic_rx as arx
from anthropic_rx.operators import final_message

from ..events_helpers import encode, text_stream
from .helpers import record


def test_final_message_emits_the_message_once_and_completes() -> None:
    out = record(arx.from_bytes(encode(text_stream("Hi", "!"))).pipe(final_message()))
    assert out.completed and len(out.values) == 1
    message = out.values[0]
    assert isinstance(message, arx.Message)
    assert message.model_dump(mode="json")["content"] == [
        {"type": "text", "text": "Hi!", "citations": None}
    ]


def test_run_returns_the_final_message() -> None:
    message = arx.from_bytes(encode(text_stream("x"))).pipe(final_message()).run()
    assert message.stop_reason == "end_turn"


def test_final_message_of_a_truncated_stream_is_an_incomplete_stream_error() -> None:
    out = record(arx.from_bytes(encode(text_stream("cut")[:-1])).pipe(final_message()))
    assert out.values == []
    assert isinstance(out.error, arx.IncompleteStreamError)
    assert out.error.snapshot is not None and out.error.snapshot.stop_reason == "end_turn"


def test_crlf_framing_gives_the_same_message() -> None:
    lf = arx.from_bytes(encode(text_stream("a", "b"))).pipe(final_message()).run()
    crlf = arx.from_bytes(encode(text_stream("a", "b"), newline="\r\n")).pipe(final_message()).run()
    assert lf == crlf
