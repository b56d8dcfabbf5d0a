"""EventGate, sans-I/O: nothing goes downstream before content, so a retry never splices."""

from __future__ import annotations

import pytest

import anthropic_rx as arx
from anthropic_rx.client._reader import EventGate

from .. import events_helpers as ev


def gate() -> tuple[EventGate, list[arx.StreamEvent]]:
    out: list[arx.StreamEvent] = []
    return EventGate(out.append), out


def test_message_start_and_pings_wait_for_the_first_content_event() -> None:
    body = ev.encode(ev.text_stream("Hi"))
    head = body[: body.index(b"event: content_block_start")]
    g, out = gate()
    g.feed(head + b'event: ping\ndata: {"type": "ping"}\n\n')
    assert out == [] and not g.delivered and g.received
    g.feed(body[len(head) :])
    assert [e.type for e in out][:3] == ["message_start", "ping", "content_block_start"]
    assert g.delivered and g.stopped


def test_feed_tells_whether_anything_but_a_ping_arrived() -> None:
    g, _ = gate()
    assert g.feed(b'event: ping\ndata: {"type": "ping"}\n\n') is False
    assert g.feed(ev.encode(ev.text_stream("x"))) is True


def test_release_hands_on_what_was_held_back_when_no_retry_follows() -> None:
    body = ev.encode(ev.text_stream("Hi"))
    g, out = gate()
    g.feed(body[: body.index(b"event: content_block_start")])
    g.release()
    assert [e.type for e in out] == ["message_start"]


def test_an_error_event_raises_the_class_its_type_names() -> None:
    g, out = gate()
    with pytest.raises(arx.OverloadedError) as caught:
        g.feed(b'event: error\ndata: {"type": "error", "error": {"type": "overloaded_error"}}\n\n')
    assert caught.value.mid_stream and caught.value.status_code is None and out == []


def test_an_end_before_message_stop_is_incomplete_and_says_where() -> None:
    body = ev.encode(ev.text_stream("Hi"))
    g, _ = gate()
    g.feed(body[: body.index(b"event: message_stop")])
    with pytest.raises(arx.IncompleteStreamError, match="after message_delta"):
        g.finish()
    empty, _ = gate()
    with pytest.raises(arx.IncompleteStreamError, match="before message_start"):
        empty.finish()
