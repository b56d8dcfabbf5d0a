"""PushSource: a MessageStream fed by hand, each push delivered on the pushing thread."""

from __future__ import annotations

import threading

import pytest

import anthropic_rx as arx
from anthropic_rx.operators import final_text, text_only
from anthropic_rx.sources import MessageStream, PushSource

from .. import events_helpers as ev
from .fakes import WAIT


def hello() -> list[arx.StreamEvent]:
    return [ev.event(obj) for obj in ev.text_stream("Hel", "lo")]


def test_each_push_is_delivered_before_it_returns_on_the_pushing_thread() -> None:
    source = PushSource()
    stream = MessageStream(source)
    seen: list[tuple[str, int]] = []
    stream.pipe(text_only()).subscribe(lambda t: seen.append((t, threading.get_ident())))
    events = hello()
    source.push(*events[:3])
    assert seen == [("Hel", threading.get_ident())]
    source.push(*events[3:])
    source.end()
    assert stream.wait(0) and stream.error is None
    assert [t for t, _ in seen] == ["Hel", "lo"]


def test_events_pushed_before_the_start_wait_for_it() -> None:
    source = PushSource()
    stream = MessageStream(source)
    source.push(*hello())
    source.end()
    assert not stream.done  # nothing started: nothing read
    assert stream.pipe(final_text()).run() == "Hello"  # the first subscriber starts it


def test_the_end_before_message_stop_is_an_incomplete_stream_with_the_snapshot() -> None:
    source = PushSource()
    stream = MessageStream(source).start()
    source.push(*hello()[:3])
    source.end()
    assert isinstance(stream.error, arx.IncompleteStreamError)
    assert stream.error.snapshot is not None and stream.error.snapshot.text == "Hel"


def test_end_with_an_error_fails_the_stream_with_it_and_the_snapshot() -> None:
    source = PushSource()
    stream = MessageStream(source).start()
    source.push(*hello()[:3])
    broken = arx.APIConnectionError("reset by peer", mid_stream=True)
    source.end(broken)
    source.end()  # a second end does nothing
    assert stream.error is broken and broken.snapshot is not None
    assert broken.snapshot.text == "Hel"


def test_pushing_after_the_end_is_a_mistake_and_after_an_abort_is_dropped() -> None:
    source = PushSource()
    stream = MessageStream(source).start()
    source.push(*hello())
    source.end()
    assert source.ended
    with pytest.raises(RuntimeError, match="after the stream's end, got ping"):
        source.push(arx.PingEvent())

    source = PushSource()
    stream = MessageStream(source).start()
    stream.abort()
    assert source.closed
    source.push(*hello())  # dropped, as a real stream stops reading
    assert stream.snapshot is None and isinstance(stream.error, arx.StreamAbortedError)


def test_an_event_the_accumulator_rejects_ends_the_stream_and_later_ones_are_dropped() -> None:
    source = PushSource()
    stream = MessageStream(source).start()
    source.push(ev.event(ev.stop(0)))
    assert isinstance(stream.error, arx.StreamProtocolError)
    source.push(*hello())
    source.end()
    assert stream.snapshot is None and stream.wait(0)


def test_a_push_from_a_callback_is_delivered_after_the_event_being_delivered() -> None:
    source = PushSource()
    stream = MessageStream(source)
    seen: list[str] = []

    def show(event: arx.StreamEvent) -> None:
        seen.append(event.type)
        if event.type == "message_start":
            source.push(arx.PingEvent())
            seen.append("pushed")

    stream.subscribe(show)
    source.push(*hello()[:1])
    assert seen == ["message_start", "pushed", "ping"]


def test_pushes_from_two_threads_are_delivered_one_at_a_time_in_the_order_taken() -> None:
    source = PushSource()
    stream = MessageStream(source).start()
    source.push(*hello()[:2])
    inside = threading.Lock()
    overlaps: list[str] = []
    texts: list[str] = []

    def show(piece: str) -> None:
        if not inside.acquire(blocking=False):
            overlaps.append(piece)
            return
        texts.append(piece)
        inside.release()

    stream.pipe(text_only()).subscribe(show)

    def pusher(name: str) -> None:
        for i in range(200):
            source.push(ev.event(ev.text(0, f"{name}{i} ")))

    threads = [threading.Thread(target=pusher, args=(name,)) for name in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert overlaps == []
    assert len(texts) == 400
    assert [t for t in texts if t.startswith("a")] == [f"a{i} " for i in range(200)]
    assert stream.snapshot is not None and stream.snapshot.text == "".join(texts)


def test_one_source_feeds_one_stream() -> None:
    source = PushSource()
    MessageStream(source).start()
    with pytest.raises(RuntimeError, match="feeds another MessageStream"):
        MessageStream(source).start()


def test_waiting_for_the_stream_inside_its_own_callback_is_refused_not_a_hang() -> None:
    source = PushSource()
    stream = MessageStream(source)
    refusals: list[BaseException] = []

    def on_text(_: str) -> None:
        for wait in (lambda: stream.wait(WAIT), lambda: stream.pipe(final_text()).run()):
            try:
                wait()
            except RuntimeError as exc:
                refusals.append(exc)

    stream.pipe(text_only()).subscribe(on_text)
    source.push(*hello())
    source.end()
    assert len(refusals) == 4 and all("own callbacks" in str(e) for e in refusals)
    assert stream.pipe(final_text()).run() == "Hello"  # outside a callback: fine


def test_another_thread_may_wait_while_a_push_is_being_delivered() -> None:
    source = PushSource()
    stream = MessageStream(source)
    in_callback, waited = threading.Event(), threading.Event()
    results: list[bool] = []

    def waiter() -> None:
        in_callback.wait(WAIT)
        results.append(stream.wait(WAIT))
        waited.set()

    def on_text(_: str) -> None:
        in_callback.set()

    thread = threading.Thread(target=waiter)
    thread.start()
    stream.pipe(text_only()).subscribe(on_text)
    source.push(*hello())
    source.end()
    assert waited.wait(WAIT) and results == [True]
    thread.join(WAIT)
