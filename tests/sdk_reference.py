"""The official SDK as a reference: feed it exact bytes and read back its final message.

The bytes go through the SDK's whole streaming path (``httpx2`` response, ``SSEDecoder``,
``Stream``, ``MessageStream.accumulate_event``) over an ``httpx2.MockTransport`` whose
response body yields exactly the given chunks, so the SDK sees the same network chunking as
our decoder does. Nothing leaves the process.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import anthropic
import httpx2

__all__ = [
    "ChunkStream",
    "normalize",
    "sdk_client",
    "sdk_events",
    "sdk_final_message",
    "sdk_run",
    "sdk_stream",
]

#: Keys the SDK's parsed models add that are never on the wire.
SDK_ONLY_KEYS = frozenset({"parsed_output"})

_REQUEST: dict[str, Any] = {
    "model": "claude-haiku-4-5",  # not deprecated: the SDK warns on those
    "max_tokens": 1024,
    "messages": [{"role": "user", "content": "hi"}],
}


class ChunkStream(httpx2.SyncByteStream):
    """A response body that yields exactly *chunks*, one network read each."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = list(chunks)

    def __iter__(self) -> Iterator[bytes]:
        yield from self._chunks

    def close(self) -> None:
        pass


def _as_chunks(chunks: bytes | Iterable[bytes]) -> list[bytes]:
    if isinstance(chunks, bytes | bytearray | memoryview):
        return [bytes(chunks)]
    return [bytes(c) for c in chunks]


def sdk_client(chunks: bytes | Iterable[bytes]) -> anthropic.Anthropic:
    """An ``anthropic.Anthropic`` whose every request is answered with *chunks* as SSE."""
    body = _as_chunks(chunks)

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(
            200,
            headers={"content-type": "text/event-stream", "request-id": "req_test"},
            stream=ChunkStream(body),
            request=request,
        )

    return anthropic.Anthropic(
        api_key="sk-test",
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
        max_retries=0,
    )


def sdk_stream(client: anthropic.Anthropic, *, beta: bool) -> Any:
    """The SDK's ``MessageStreamManager`` (GA or beta) for a fixed request."""
    if beta:
        return client.beta.messages.stream(**_REQUEST)
    return client.messages.stream(**_REQUEST)


def _dump(message: Any) -> dict[str, Any]:
    # mode="json" turns nested pydantic models into plain JSON values; exclude_unset keeps the
    # keys the wire carried (construct() marks exactly those as set). warnings=False: the GA
    # client builds beta-only blocks as the first union member (a `compaction` block becomes a
    # ParsedTextBlock, research/anthropic-streaming.md 1.6), and pydantic's serializer warns
    # about that mis-typing; we compare the JSON, and the tests say where GA is wrong.
    return message.to_dict(mode="json", warnings=False)


def sdk_final_message(chunks: bytes | Iterable[bytes], *, beta: bool) -> dict[str, Any]:
    """The SDK's ``get_final_message()`` as a JSON dict, for exactly these bytes and chunks."""
    client = sdk_client(chunks)
    with client, sdk_stream(client, beta=beta) as stream:
        return _dump(stream.get_final_message())


def sdk_events(chunks: bytes | Iterable[bytes], *, beta: bool) -> tuple[list[str], dict[str, Any]]:
    """The types of the events the SDK's ``MessageStream`` yields, and its final message."""
    client = sdk_client(chunks)
    with client, sdk_stream(client, beta=beta) as stream:
        types = [event.type for event in stream]
        return types, _dump(stream.get_final_message())


def sdk_run(
    chunks: bytes | Iterable[bytes], *, beta: bool
) -> tuple[dict[str, Any] | None, Exception | None]:
    """Drain the SDK's stream; return its snapshot (``None`` before message_start) and error.

    Unlike :func:`sdk_final_message` this never trips the SDK's ``assert`` when no
    ``message_start`` came, and it catches what the SDK raises while iterating (a mid-stream
    ``event: error``), so the snapshot it left behind can be compared with ours.
    """
    client = sdk_client(chunks)
    error: Exception | None = None
    with client, sdk_stream(client, beta=beta) as stream:
        try:
            stream.until_done()
        except Exception as exc:
            error = exc
        snapshot = stream._current_snapshot_or_none()
        return (None if snapshot is None else _dump(snapshot)), error


def normalize(value: Any) -> Any:
    """Drop ``None``-valued keys and SDK-only keys, recursively, so two dumps compare.

    The API omits optional fields or sends them as ``null`` at will, and the SDK's
    ``construct`` keeps whichever the wire had; a ``None`` and a missing key mean the same.
    """
    if isinstance(value, dict):
        # A tool's input is data, where null is a value: keep it as it is.
        return {
            k: (v if k == "input" else normalize(v))
            for k, v in value.items()
            if v is not None and k not in SDK_ONLY_KEYS
        }
    if isinstance(value, list):
        return [normalize(v) for v in value]
    if isinstance(value, tuple):
        return [normalize(v) for v in value]
    return value
