"""Async sources and bridges on asyncio and trio: tasks on the running loop, clean cancels."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import anyio
import pytest
from reactivex import operators as ops

import anthropic_rx as arx
from anthropic_rx.operators import final_message, final_text, text_only

from .. import events_helpers as ev
from .fakes import FakeAsyncResponse

pytestmark = pytest.mark.anyio


async def chunks(*pieces: str, hold: bool = False) -> AsyncIterator[bytes]:
    body = ev.encode(ev.text_stream(*pieces))
    if hold:
        body = body[: body.index(b"event: content_block_stop")]
    for i in range(0, len(body), 50):
        yield body[i : i + 50]
        await anyio.lowlevel.checkpoint()
    if hold:
        await anyio.sleep_forever()


async def test_await_a_pipeline_gives_its_last_value() -> None:
    stream = arx.from_async_bytes(chunks("Hel", "lo"))
    message = await stream.pipe(final_message())
    assert message.content[0].model_dump()["text"] == "Hello"
    assert await stream.pipe(final_text()) == "Hello"  # replayed: no second read


async def test_to_async_iterable_yields_each_value_in_order() -> None:
    stream = arx.from_async_bytes(chunks("a", "b", "c"))
    got = [text async for text in arx.to_async_iterable(stream.pipe(text_only()))]
    assert got == ["a", "b", "c"]


async def test_leaving_async_for_early_cancels_the_reading_task_and_closes_the_response() -> None:
    body = ev.encode(ev.text_stream("one", "two"))
    response = FakeAsyncResponse([body[: body.index(b"event: content_block_stop")]], hold=True)
    stream = arx.from_response(response)
    async for text in arx.to_async_iterable(stream.pipe(text_only())):
        assert text == "one"
        break
    with anyio.fail_after(5):
        while not response.closed:
            await anyio.lowlevel.checkpoint()
    assert isinstance(stream.error, arx.StreamAbortedError)


async def test_an_error_in_the_stream_is_raised_from_async_for() -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield ev.encode(ev.text_stream("x")[:3])

    with pytest.raises(arx.IncompleteStreamError):
        async for _ in arx.to_async_iterable(arx.from_async_bytes(broken()).pipe(text_only())):
            pass


async def test_cancelling_the_awaiting_task_aborts_the_stream(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    stream = arx.from_async_bytes(chunks("wait", hold=True))
    with anyio.move_on_after(0.05):
        await stream.pipe(final_message())
    with anyio.fail_after(5):
        while not stream.done:
            await anyio.lowlevel.checkpoint()
    assert isinstance(stream.error, arx.StreamAbortedError)
    assert "never retrieved" not in caplog.text


async def test_a_sync_stream_can_be_awaited_from_async_code() -> None:
    from .fakes import FakeResponse

    stream = arx.from_response(FakeResponse([ev.encode(ev.text_stream("thread"))]))
    assert await stream.pipe(final_text()) == "thread"  # completes on the reader thread


async def test_last_value_of_an_empty_observable_is_a_lookup_error() -> None:
    import reactivex

    with pytest.raises(LookupError):
        await arx.last_value(reactivex.empty())


async def test_an_async_response_is_read_once_for_many_views() -> None:
    response = FakeAsyncResponse([ev.encode(ev.text_stream("v"))])
    stream = arx.from_response(response)
    # to_list() is reactivex's: its own await is asyncio-only, so use last_value().
    assert await arx.last_value(stream.pipe(text_only(), ops.to_list())) == ["v"]
    assert (await stream.pipe(final_message())).stop_reason == "end_turn"
    assert response.reads == 1 and response.closed


async def test_wait_on_the_loop_that_reads_the_stream_is_refused_not_a_hang() -> None:
    stream = arx.from_async_bytes(chunks("Hel", "lo"))
    stream.start()
    with pytest.raises(
        RuntimeError, match=r"would block for ever: .* event loop of this very thread"
    ):
        stream.wait(1)
    assert await stream.pipe(final_text()) == "Hello"
    assert stream.wait(0)  # ended: nothing left to block on
