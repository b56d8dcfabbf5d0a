# pyright: strict
"""Type tests for the SDK-parity surface (issue 12): type-checked, never run."""

from __future__ import annotations

from datetime import datetime
from typing import Any, assert_type

from reactivex import Observable

import anthropic_rx as arx
from anthropic_rx._iterate import BlockingIterator
from anthropic_rx.events import CompactionBlock, ContentBlock, ServerToolUsage, WireObject
from anthropic_rx.operators import (
    SDKEvent,
    compactions,
    content_blocks,
    sdk_events,
    signatures,
    text_only,
)


def iterate(events: Observable[arx.StreamEvent]) -> None:
    texts = arx.to_iterable(events.pipe(text_only()))
    assert_type(texts, BlockingIterator[str])
    for text in texts:
        assert_type(text, str)
    assert_type(events.pipe(content_blocks()), Observable[ContentBlock])
    assert_type(events.pipe(content_blocks(indexed=True)), Observable[tuple[int, ContentBlock]])
    assert_type(events.pipe(sdk_events()), Observable[SDKEvent])
    assert_type(events.pipe(signatures()), Observable[str])
    assert_type(events.pipe(compactions()), Observable[CompactionBlock])


def typed(message: arx.Message) -> None:
    assert_type(message.usage.server_tool_use, ServerToolUsage | None)
    if message.container is not None and message.container.expires_at is not None:
        assert_type(message.container.expires_at, datetime)
    obj = WireObject.model_validate({"a": 1})
    assert_type(obj.anything, Any)


def client_surface(client: arx.Client) -> None:
    count = client.messages.count_tokens(model="m", messages=[], betas=["b"])
    assert_type(count, arx.MessageTokensCount)
    raw = client.messages.with_raw_response.create(model="m", max_tokens=1, messages=[])
    assert_type(raw.parse(), arx.Message)
    client.messages.count_tokens(model="m", messages=[], max_tokens=1)  # type: ignore[call-arg]
