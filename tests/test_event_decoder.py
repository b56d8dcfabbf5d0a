"""EventDecoder: the one wire path from bytes to typed events, and that every source uses it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import anthropic_rx as arx
from anthropic_rx import events as ev

BODY = (
    b'event: message_start\ndata: {"type":"message_start","message":{"id":"m","type":"message",'
    b'"role":"assistant","model":"x","content":[],"stop_reason":null,"stop_sequence":null,'
    b'"usage":{"input_tokens":1,"output_tokens":0}}}\n\n'
    b'event: ping\ndata: {"type": "ping"}\n\n'
    b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
)
KINDS = ["message_start", "ping", "message_stop"]


@pytest.mark.parametrize("size", [1, 2, 7, 64, len(BODY)])
def test_the_events_are_the_same_however_the_body_is_split(size: int) -> None:
    decoder = ev.EventDecoder()
    out = [e.type for i in range(0, len(BODY), size) for e in decoder.feed(BODY[i : i + size])]
    assert out + [e.type for e in decoder.flush()] == KINDS


def test_events_decodes_a_whole_body_and_its_events_equal_parse_event() -> None:
    events = list(ev.EventDecoder().events([BODY[:50], BODY[50:]]))
    decoder = arx.SSEDecoder()
    assert events == [arx.parse_event(s) for s in decoder.decode(BODY)]


def test_a_broken_event_fails_after_every_event_before_it() -> None:
    events = ev.EventDecoder().feed(BODY + b"event: message_stop\ndata: {nope\n\n")
    assert [next(events).type for _ in KINDS] == KINDS
    with pytest.raises(arx.EventParseError):
        next(events)


def test_max_event_bytes_bounds_one_event_and_flush_raises_again() -> None:
    decoder = ev.EventDecoder(max_event_bytes=16)
    with pytest.raises(arx.EventTooLargeError):
        list(decoder.feed(b"data: " + b"x" * 64))
    with pytest.raises(arx.EventTooLargeError):
        decoder.flush()


def test_an_unfinished_event_at_the_end_is_dropped() -> None:
    decoder = ev.EventDecoder()
    assert list(decoder.feed(b'data: {"type": "ping"}\n')) == []
    assert decoder.flush() == []


def test_no_module_but_the_events_layer_decodes_bytes_itself() -> None:
    # One wire path: sources and clients decode through EventDecoder, never SSEDecoder.
    src = Path(arx.__file__).parent
    allowed = {src / "_sse.py", src / "events.py", src / "__init__.py"}
    offenders = [
        str(p.relative_to(src))
        for p in src.rglob("*.py")
        if p not in allowed
        and "emulator" not in p.parts
        and re.search(r"\bSSEDecoder\b|\bdecode_fields\b", p.read_text())
    ]
    assert offenders == []
