"""Blocking calls that could only deadlock, and streams whose loop has ended (issue 10, 1-2).

Every blocking entry point (``.run()`` of a pipeline or of the stream, ``wait()``, the
concurrency helpers' pipelines) refuses at once with a `RuntimeError` naming the fix where it
could never return: on the thread of the event loop that reads an `AsyncClient` stream, or
inside a sync stream's own callback on its reader thread. An `AsyncClient` stream subscribed
after its loop has ended fails its subscribers; it never stays silent.

Each test arms a watchdog that aborts the stream after `WAIT` seconds, so that a regression
fails (a `StreamAbortedError` where a `RuntimeError` was expected) instead of hanging.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Generator
from contextlib import contextmanager
from typing import Any

import pytest
import reactivex.operators as ops
import trio

import anthropic_rx as arx
from anthropic_rx.concurrency import first_to_finish, merge_tagged, side_by_side, stream_many
from anthropic_rx.emulator import Emulator
from anthropic_rx.operators import final_message, text_only

from .helpers import WAIT, async_client, client, params


@contextmanager
def watchdog(stream: arx.MessageStream) -> Generator[None, None, None]:
    """Abort *stream* after WAIT seconds: a blocked call then ends instead of hanging."""
    timer = threading.Timer(WAIT, stream.abort)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def blocking_calls(stream: arx.MessageStream) -> dict[str, Callable[[], Any]]:
    """Every way to block on *stream* until it ends."""
    return {
        "pipeline.run()": lambda: stream.pipe(final_message()).run(),
        "stream.run()": lambda: stream.run(),
        "stream.wait()": lambda: stream.wait(),
        "reactivex pipeline.run()": lambda: stream.pipe(ops.map(lambda e: e.type)).run(),
        "merge_tagged(...).run()": lambda: merge_tagged({"a": stream}).run(),
        "side_by_side(...).run()": lambda: side_by_side({"a": stream}).run(),
        "first_to_finish(...).run()": lambda: first_to_finish({"a": stream}).run(),
        "text_only() after ops.filter": lambda: stream.pipe(
            ops.filter(lambda _: True), text_only()
        ).run(),
    }


# -- item 1: on the loop that reads the stream ---------------------------------------------------


@pytest.mark.anyio
async def test_blocking_on_an_async_client_stream_inside_its_loop_is_refused_naming_await(
    emu: Emulator,
) -> None:
    async with async_client(emu) as c:
        stream = c.messages.stream(**params())
        with watchdog(stream):
            for name, call in blocking_calls(stream).items():
                with pytest.raises(RuntimeError, match="would block for ever") as info:
                    call()
                message = str(info.value)
                assert "event loop of this very thread" in message, name
                assert "await stream.pipe(final_message())" in message, name
            # Refused before anything started: the stream is unharmed, and await works.
            message = await stream.pipe(final_message())
        assert message.stop_reason in {"end_turn", "max_tokens"}  # a whole message
        assert stream.wait(0)  # ended: nothing to block on any more
        assert stream.pipe(final_message()).run() == message  # the replay, at once
    assert len(emu.stats.requests()) == 1
    assert emu.stats.wait_idle(WAIT), emu.stats


@pytest.mark.anyio
async def test_a_refused_run_while_the_stream_runs_leaves_it_running(emu: Emulator) -> None:
    async with async_client(emu) as c:
        stream = c.messages.stream(**params())
        texts: list[str] = []
        stream.pipe(text_only()).subscribe(texts.append)
        with watchdog(stream), pytest.raises(RuntimeError, match="await"):
            stream.pipe(final_message()).run()
        message = await stream.pipe(final_message())
    assert "".join(texts) == message.content[0].model_dump()["text"]
    assert emu.stats.wait_idle(WAIT), emu.stats


@pytest.mark.anyio
async def test_run_of_stream_many_on_an_async_client_inside_its_loop_is_refused(
    emu: Emulator,
) -> None:
    """The concurrency helpers make their AsyncClient streams on the subscribing loop."""
    async with async_client(emu) as c:
        with pytest.raises(RuntimeError, match=r"would block for ever: .*await"):
            stream_many(c, {"a": params(), "b": params()}).run()
    assert emu.stats.wait_idle(WAIT), emu.stats


# -- item 1: inside the stream's own callbacks, on its reader thread ------------------------------


def test_blocking_on_a_sync_stream_inside_its_own_callback_is_refused_not_a_deadlock(
    emu: Emulator,
) -> None:
    with client(emu) as c:
        stream = c.messages.stream(**params())
        refused: dict[str, str] = {}
        ended: list[bool] = []

        def on_next(_: arx.StreamEvent) -> None:
            if refused:
                return
            for name, call in blocking_calls(stream).items():
                try:
                    call()
                except RuntimeError as error:
                    refused[name] = str(error)
                else:
                    refused[name] = "it returned"

        def on_completed() -> None:
            ended.append(stream.wait())  # the end itself: returns at once, never a deadlock

        with watchdog(stream):
            stream.subscribe(on_next, on_completed=on_completed)
            assert stream.wait(WAIT + 5), "the reader thread is stuck"
        assert stream.error is None
        assert ended == [True]
        assert set(refused) == set(blocking_calls(stream))
        for name, message in refused.items():
            assert "would block for ever" in message, (name, message)
            assert "own callbacks" in message, (name, message)
    assert emu.stats.wait_idle(WAIT), emu.stats  # the connection is closed


# -- item 2: a loop that has ended ----------------------------------------------------------------


def make_after_the_loop(emu: Emulator, backend: str) -> arx.MessageStream:
    """An AsyncClient stream made inside an asyncio or trio run that has since returned."""
    c = async_client(emu)

    async def make() -> arx.MessageStream:
        return c.messages.stream(**params())

    return asyncio.run(make()) if backend == "asyncio" else trio.run(make)


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_an_async_client_stream_subscribed_after_its_loop_ended_fails_its_subscribers(
    emu: Emulator, backend: str
) -> None:
    stream = make_after_the_loop(emu, backend)
    errors: list[Exception] = []
    completed: list[bool] = []
    stream.subscribe(on_error=errors.append, on_completed=lambda: completed.append(True))
    assert not completed
    assert len(errors) == 1, "the subscriber was told nothing"
    error = errors[0]
    assert isinstance(error, RuntimeError)
    assert "event loop that has ended" in str(error)
    assert stream.done and stream.error is error and stream.wait(0)
    # Later subscribers and blocking calls get it too, at once.
    with pytest.raises(RuntimeError, match="event loop that has ended"):
        stream.pipe(final_message()).run()
    assert emu.stats.requests() == []  # nothing was sent
    assert emu.stats.wait_idle(WAIT), emu.stats


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_an_async_client_stream_started_after_its_loop_ended_fails_at_once(
    emu: Emulator, backend: str
) -> None:
    stream = make_after_the_loop(emu, backend).start()
    assert stream.done and isinstance(stream.error, RuntimeError)
    with pytest.raises(RuntimeError, match="event loop that has ended"):
        stream.run()
    assert emu.stats.requests() == []
