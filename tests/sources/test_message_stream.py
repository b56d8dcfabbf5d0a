"""MessageStream: one request, many views, replay, abort, isolation (DESIGN.md decision 4)."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import anyio
import pytest
from reactivex import operators as ops

import anthropic_rx as arx
from anthropic_rx.operators import accumulate, final_message, on_tool_input, text_only
from anthropic_rx.sources._replay import CompactSteps

from .. import events_helpers as ev
from ..operators.helpers import record
from .fakes import WAIT, FakeAsyncResponse, FakeResponse


def stream_of(*pieces: str, hold: bool = False) -> tuple[arx.MessageStream, FakeResponse]:
    body = ev.encode(ev.text_stream(*pieces))
    if hold:
        body = body[: body.index(b"event: content_block_stop")]
    response = FakeResponse([body[i : i + 40] for i in range(0, len(body), 40)], hold=hold)
    return arx.from_response(response), response


def test_two_pipelines_on_one_stream_read_the_response_once() -> None:
    stream, response = stream_of("Hel", "lo")
    text = stream.pipe(text_only(), ops.to_list()).run()
    message = stream.pipe(final_message()).run()
    assert "".join(text) == "Hello" and message.content[0].model_dump()["text"] == "Hello"
    assert response.reads == 1


def test_a_subscriber_after_completion_gets_every_event_and_the_end() -> None:
    stream, _ = stream_of("a", "b")
    stream.pipe(final_message()).run()
    assert stream.done and stream.error is None
    late = record(stream)
    assert [e.type for e in late.values][:2] == ["message_start", "content_block_start"]
    assert len(late.values) == 7 and late.completed


def test_pipelines_share_the_streams_one_accumulator() -> None:
    stream, _ = stream_of("x", "y")
    first = stream.pipe(accumulate(), ops.to_list()).run()
    second = stream.pipe(accumulate(), ops.to_list()).run()
    # The replay of a finished stream is compact: a delta's snapshot is made again, equal.
    assert [a.to_message() for a in first] == [b.to_message() for b in second]
    assert first[-1] is second[-1] is stream.snapshot


def test_abort_closes_the_response_and_ends_subscribers_with_stream_aborted_error() -> None:
    stream, response = stream_of("partial", hold=True)
    seen: list[str] = []
    ended = threading.Event()
    errors: list[Exception] = []

    def on_error(exc: Exception) -> None:
        errors.append(exc)
        ended.set()

    started = threading.Event()

    def on_next(text: str) -> None:
        seen.append(text)
        started.set()

    stream.pipe(text_only()).subscribe(on_next, on_error)
    assert started.wait(WAIT)
    stream.abort()
    assert ended.wait(WAIT)
    assert response.closed.is_set()
    assert seen == ["partial"]
    [error] = errors
    assert isinstance(error, arx.StreamAbortedError)
    assert error.snapshot is not None and error.snapshot.text == "partial"


def test_the_last_subscriber_disposing_before_the_end_closes_the_response() -> None:
    stream, response = stream_of("one", hold=True)
    started = threading.Event()
    subscription = stream.pipe(text_only()).subscribe(lambda _: started.set())
    assert started.wait(WAIT)
    subscription.dispose()
    assert response.closed.is_set()
    assert response.finished.wait(WAIT)  # the reader thread let go of the response
    assert stream.wait(WAIT) and isinstance(stream.error, arx.StreamAbortedError)


def test_take_on_the_only_subscriber_aborts_the_rest_of_the_stream() -> None:
    stream, response = stream_of("a", "b", hold=True)
    assert stream.pipe(text_only(), ops.take(1)).run() == "a"
    assert response.closed.wait(WAIT)


def test_one_subscribers_exception_reaches_only_that_subscriber() -> None:
    stream, _ = stream_of("a", "b", "c")
    broken: list[Exception] = []

    def explode(_: Any) -> None:
        raise ValueError("boom")

    gate = threading.Event()
    stream.subscribe(explode, lambda e: (broken.append(e), gate.set()))
    healthy = stream.pipe(text_only(), ops.to_list()).run()
    assert healthy == ["a", "b", "c"]
    assert gate.wait(WAIT)
    assert isinstance(broken[0], ValueError)


def test_a_truncated_response_ends_every_view_with_incomplete_stream_error() -> None:
    body = ev.encode(ev.text_stream("cut")[:3])
    stream = arx.from_response(FakeResponse([body]))
    with pytest.raises(arx.IncompleteStreamError):
        stream.pipe(text_only(), ops.to_list()).run()
    assert isinstance(stream.error, arx.IncompleteStreamError)


def test_a_protocol_violation_ends_the_stream_after_the_valid_prefix() -> None:
    body = ev.encode(ev.text_stream("ok")[:3]) + ev.encode(
        [{"type": "content_block_stop", "index": 5}]
    )
    stream = arx.from_response(FakeResponse([body]))
    out = record(stream)
    assert stream.wait(WAIT)
    out = record(stream)
    assert [e.type for e in out.values] == [
        "message_start",
        "content_block_start",
        "content_block_delta",
    ]
    assert isinstance(out.error, arx.StreamProtocolError)


def test_on_tool_input_and_text_only_on_one_stream_make_one_read() -> None:
    stream, response = stream_of("t")
    texts = stream.pipe(text_only(), ops.to_list()).run()
    updates = stream.pipe(on_tool_input(), ops.to_list()).run()
    assert (texts, updates, response.reads) == (["t"], [], 1)


def test_a_stream_aborted_before_it_started_never_reads_its_response() -> None:
    stream, response = stream_of("never")
    stream.abort()
    out = record(stream)
    assert isinstance(out.error, arx.StreamAbortedError)
    assert response.reads == 0


def test_start_begins_reading_before_anyone_subscribes() -> None:
    stream, response = stream_of("early")
    assert stream.start() is stream
    assert stream.wait(WAIT) and stream.error is None
    assert response.reads == 1 and response.closed.is_set()
    assert stream.snapshot is not None and stream.snapshot.text == "early"


def test_a_stream_whose_event_loop_closes_under_it_ends_with_stream_aborted_error() -> None:
    # asyncio.run() cancels the tasks still running when main() returns: the stream's task
    # among them. Its subscribers must be told, and wait() must not hang.
    body = ev.encode(ev.text_stream("never", "finished"))
    response = FakeAsyncResponse([body[: body.index(b"event: content_block_stop")]], hold=True)
    errors: list[Exception] = []

    async def main() -> arx.MessageStream:
        stream = arx.from_response(response)
        stream.subscribe(on_error=errors.append)
        with anyio.fail_after(WAIT):
            while stream.snapshot is None:  # the task is reading: it has started
                await anyio.lowlevel.checkpoint()
        return stream

    stream = asyncio.run(main())
    assert stream.wait(WAIT) and stream.done
    assert len(errors) == 1 and isinstance(errors[0], arx.StreamAbortedError)
    assert "cancelled" in str(errors[0]) and errors[0].snapshot is not None


def test_an_aborted_stream_compacts_its_replay_once_its_source_has_stopped() -> None:
    body = ev.encode(ev.text_stream("a", "b", "c"))
    response = FakeResponse([body[: body.index(b"event: message_delta")]], hold=True)
    stream = arx.from_response(response)
    block_done = threading.Event()
    stream.subscribe(lambda e: e.type == "content_block_stop" and block_done.set(), lambda _: None)
    assert block_done.wait(WAIT)
    stream.abort()
    assert stream.wait(WAIT) and isinstance(stream.error, arx.StreamAbortedError)
    deadline = time.monotonic() + WAIT  # the reader thread compacts once its read has ended
    while not isinstance(stream._steps, CompactSteps) and time.monotonic() < deadline:
        response.finished.wait(0.01)
    assert isinstance(stream._steps, CompactSteps)
    late: list[str] = []
    stream.pipe(text_only()).subscribe(late.append, lambda _: None)
    assert late == ["a", "b", "c"]


def test_a_stream_whose_task_the_ending_loop_cancels_before_it_began_is_aborted() -> None:
    """Issue 10 item 2: a task asyncio cancels before its first step (what asyncio.run()
    does to tasks left when its main task returns) never runs the stream, so the stream
    says so to its subscribers (StreamAbortedError) instead of leaving them waiting."""
    loop = asyncio.new_event_loop()
    try:

        async def make() -> arx.MessageStream:
            return arx.from_response(FakeAsyncResponse([ev.encode(ev.text_stream("never"))]))

        stream = loop.run_until_complete(make())
        out = record(stream)  # from outside the loop: the task is made when it runs next

        def cancel_the_stream_task() -> None:
            for task in asyncio.all_tasks(loop):
                if getattr(task.get_coro(), "__qualname__", "").endswith("spawn.<locals>.run"):
                    task.cancel()

        loop.call_soon(cancel_the_stream_task)

        async def a_few_turns() -> None:
            for _ in range(5):
                await asyncio.sleep(0)

        loop.run_until_complete(a_few_turns())
        assert stream.wait(0)
        assert isinstance(out.error, arx.StreamAbortedError)
        assert "event loop ended before the stream began" in str(out.error)
        assert out.values == []
    finally:
        loop.close()
