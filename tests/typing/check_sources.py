# pyright: strict
"""Type tests for sources, the MessageStream handle and the async bridges: checked, never run."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import assert_type

from reactivex import Observable
from reactivex.testing import TestScheduler

import anthropic_rx as arx
from anthropic_rx.operators import accumulate, coalesce_text, final_message, text_only
from anthropic_rx.sources import PushSource


def sources_are_observables_of_events(path: Path, data: bytes) -> None:
    assert_type(arx.from_bytes(data), Observable[arx.StreamEvent])
    assert_type(arx.from_bytes([data, data]), Observable[arx.StreamEvent])
    assert_type(arx.from_recording(path), Observable[arx.StreamEvent])
    assert_type(arx.from_recording(str(path), pace=50), Observable[arx.StreamEvent])
    paced = arx.from_recording(path, pace=50.0, scheduler=TestScheduler())
    assert_type(paced, Observable[arx.StreamEvent])


def a_message_stream_pipes_like_any_observable(stream: arx.MessageStream) -> None:
    assert_type(stream.pipe(text_only()), Observable[str])
    assert_type(stream.pipe(final_message()), Observable[arx.Message])
    assert_type(stream.pipe(accumulate()), Observable[arx.MessageSnapshot])
    assert_type(stream.pipe(coalesce_text(0.1)), Observable[str])
    assert_type(stream.snapshot, arx.MessageSnapshot | None)
    assert_type(stream.error, Exception | None)
    assert_type(stream.wait(1.0), bool)
    assert_type(stream.start(), arx.MessageStream)
    events: Observable[arx.StreamEvent] = stream
    del events


def a_push_source_feeds_a_message_stream(event: arx.StreamEvent) -> None:
    source = PushSource()
    stream = arx.MessageStream(source)
    assert_type(stream.start(), arx.MessageStream)
    source.push(event, event)
    source.end()
    source.end(arx.APIConnectionError("reset"))
    source.push({"type": "ping"})  # type: ignore[arg-type]


async def awaiting_a_pipeline_gives_its_last_value(stream: arx.MessageStream) -> None:
    message = await stream.pipe(final_message())
    assert_type(message, arx.Message)
    snapshot = await stream.pipe(accumulate())
    assert_type(snapshot, arx.MessageSnapshot)
    assert_type(await arx.last_value(stream.pipe(text_only())), str)


async def async_for_over_a_pipeline(stream: arx.MessageStream) -> None:
    texts = arx.to_async_iterable(stream.pipe(text_only()))
    assert_type(texts, AsyncIterator[str])
    async for text in texts:
        assert_type(text, str)
    async for snapshot in arx.to_async_iterable(stream.pipe(accumulate())):
        assert_type(snapshot.text, str)


def misuses_are_rejected(path: Path, stream: arx.MessageStream) -> None:
    arx.from_recording(path, pace="fast")  # type: ignore[arg-type]
    arx.from_recording(path, 50)  # type: ignore[call-arg]
    arx.from_bytes("event: ping\n\n")  # type: ignore[arg-type]
    message: arx.Message = stream.pipe(final_message())  # type: ignore[assignment]
    del message
    # The shared accumulator's view of a stream is private (pyright alone checks privacy).
    steps = stream._steps_view  # pyright: ignore[reportPrivateUsage]
    del steps
