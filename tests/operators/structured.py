"""Shared pieces of the structured-output tests: models, streams of JSON text, the SDK."""

from __future__ import annotations

import json
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

import pydantic

import anthropic_rx as arx
from anthropic_rx.sources import MessageStream
from anthropic_rx.sources._stream import Emit

from ..events_helpers import MESSAGE_STOP, block_start, encode, message_delta, message_start
from ..events_helpers import stop as block_stop
from ..events_helpers import text as text_delta


class Item(pydantic.BaseModel):
    name: str
    qty: int = 1


class Order(pydantic.BaseModel):
    customer: str
    items: list[Item]
    note: str | None = None


class Weather(pydantic.BaseModel):
    city: str
    temp: int


class Dog(pydantic.BaseModel):
    """The model of the real recording llm-structured-json-as-text.sse."""

    name: str
    age: int
    bio: str


ORDER = {
    "customer": "Ada",
    "items": [{"name": "tea", "qty": 12}, {"name": "cake"}],
    "note": None,
}


def pieces(text: str, size: int = 3) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def json_stream(text: str, size: int = 3, *, stop_reason: str = "end_turn") -> list[dict[str, Any]]:
    """A message whose one text block streams *text* in pieces of *size* characters."""
    return [
        message_start(),
        block_start(0, type="text", text=""),
        *(text_delta(0, p) for p in pieces(text, size)),
        block_stop(0),
        message_delta(stop_reason),
        MESSAGE_STOP,
    ]


def json_bytes(value: Any, size: int = 3) -> bytes:
    return encode(json_stream(json.dumps(value), size))


class _BytesSource:
    """A `SyncSource` that replays bytes: a `MessageStream` without a network."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def run(self, emit: Emit) -> None:
        errors: list[Exception] = []
        arx.from_bytes(self._data).subscribe(emit, errors.append)
        if errors:
            raise errors[0]

    def close(self) -> None:
        pass


def message_stream(data: bytes, output_format: Any = None) -> MessageStream:
    """A hot `MessageStream` of *data* whose ``.info`` records *output_format*."""
    return MessageStream(_BytesSource(data), info=SimpleNamespace(output_format=output_format))


def sdk_parsed_output(chunks: bytes | Iterable[bytes], output_format: Any) -> Any:
    """The SDK's ``get_final_message().parsed_output`` for exactly these bytes."""
    from ..sdk_reference import sdk_client

    client = sdk_client(chunks)
    request: dict[str, Any] = {
        "model": "claude-haiku-4-5",
        "max_tokens": 1024,
        "messages": [{"role": "user", "content": "hi"}],
    }
    with client, client.messages.stream(**request, output_format=output_format) as stream:
        return stream.get_final_message().parsed_output
