# pyright: strict
"""Type checks of anthropic_rx.concurrency: checked by pyright and mypy, never run."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, assert_type

import reactivex
from reactivex import Observable

import anthropic_rx as arx
from anthropic_rx.client import MessageParams
from anthropic_rx.concurrency import (
    StreamFailed,
    Tagged,
    first_to_finish,
    merge_tagged,
    side_by_side,
    stream_many,
    stream_sources,
)

events: Observable[arx.StreamEvent] = arx.from_bytes(b"")
numbers: dict[str, Observable[int]] = {"a": reactivex.of(1)}
request: MessageParams = {"model": "m", "max_tokens": 8, "messages": []}


def check(client: arx.Client, async_client: arx.AsyncClient) -> None:
    assert_type(merge_tagged(numbers), Observable[Tagged[str, int]])
    index = len(numbers)
    assert_type(merge_tagged([(index, events)]), Observable[Tagged[int, arx.StreamEvent]])
    assert_type(
        merge_tagged(numbers, isolate_errors=True), Observable[Tagged[str, int | StreamFailed]]
    )
    flag = bool(numbers)
    assert_type(
        merge_tagged(numbers, isolate_errors=flag), Observable[Tagged[str, int | StreamFailed]]
    )
    assert_type(stream_many(client, {"q": request}), Observable[Tagged[str, arx.StreamEvent]])
    assert_type(
        stream_many(async_client, [(len(request), request)], isolate_errors=True),
        Observable[Tagged[int, arx.StreamEvent | StreamFailed]],
    )
    sources = stream_sources(client, {"x": request})
    assert_type(sources, dict[str, Observable[arx.StreamEvent]])
    assert_type(side_by_side(sources), Observable[Mapping[str, arx.MessageSnapshot]])
    assert_type(
        side_by_side({"a": events}, isolate_errors=True),
        Observable[Mapping[str, arx.MessageSnapshot | StreamFailed]],
    )
    assert_type(first_to_finish(sources), Observable[Tagged[str, arx.Message]])
    assert_type(
        first_to_finish(sources, isolate_errors=True),
        Observable[Tagged[str, arx.Message | StreamFailed]],
    )
    # Tagged is covariant: a stream of plain events fits where failures may also come.
    widened: Observable[Tagged[str, arx.StreamEvent | StreamFailed]] = stream_many(
        client, {"q": request}
    )
    del widened
    untyped: dict[str, dict[str, Any]] = {"q": {"model": "m", "max_tokens": 8, "messages": []}}
    assert_type(stream_many(client, untyped), Observable[Tagged[str, arx.StreamEvent]])
    merge_tagged(numbers, max_concurrent="2")  # type: ignore[call-overload]
    stream_many(client, {"q": request}, max_pause="1")  # type: ignore[call-overload]
