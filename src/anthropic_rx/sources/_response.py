"""`from_response` and `from_async_bytes`: one-shot byte sources as `MessageStream`s."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterator
from typing import Protocol, runtime_checkable

from .._info import StreamInfo
from ..events import EventDecoder
from ._stream import Emit, MessageStream

__all__ = [
    "AsyncResponseLike",
    "ResponseLike",
    "SyncResponseLike",
    "from_async_bytes",
    "from_response",
]


@runtime_checkable
class SyncResponseLike(Protocol):
    """A response read with ``iter_bytes()`` and released with ``close()`` (httpx, httpx2)."""

    def iter_bytes(self) -> Iterator[bytes]:
        """Yield the body's bytes as they arrive."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


@runtime_checkable
class AsyncResponseLike(Protocol):
    """A response read with ``aiter_bytes()`` and released with ``aclose()``."""

    def aiter_bytes(self) -> AsyncIterator[bytes]:
        """Yield the body's bytes as they arrive."""
        ...

    async def aclose(self) -> None:
        """Release the connection."""
        ...


ResponseLike = SyncResponseLike | AsyncResponseLike


class SyncResponseSource:
    def __init__(self, response: SyncResponseLike, max_event_bytes: int | None) -> None:
        self.response = response
        self._max_event_bytes = max_event_bytes

    def run(self, emit: Emit) -> None:
        decoder = EventDecoder(max_event_bytes=self._max_event_bytes)
        for event in decoder.events(self.response.iter_bytes()):
            emit(event)

    def close(self) -> None:
        self.response.close()


class AsyncBytesSource:
    def __init__(
        self,
        chunks: AsyncIterable[bytes],
        max_event_bytes: int | None,
        response: AsyncResponseLike | None = None,
    ) -> None:
        self._chunks = chunks
        self._max_event_bytes = max_event_bytes
        self.response = response

    async def run(self, emit: Emit) -> None:
        decoder = EventDecoder(max_event_bytes=self._max_event_bytes)
        feed = decoder.feed
        iterator = aiter(self._chunks)
        try:
            async for chunk in iterator:
                for event in feed(chunk):
                    emit(event)
            for event in decoder.flush():
                emit(event)
        finally:
            # Runs on cancellation too: the task owns the iterator, so closing it here is safe.
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None:
                await aclose()
            if self.response is not None:
                await self.response.aclose()


def is_async_response(response: object) -> bool:
    stream = getattr(response, "stream", None)
    if stream is not None and hasattr(stream, "__iter__") != hasattr(stream, "__aiter__"):
        return hasattr(stream, "__aiter__")  # httpx/httpx2 responses: the stream tells
    return not hasattr(response, "iter_bytes")


def info_of(response: object) -> StreamInfo:
    """A `StreamInfo` of a response already received: its URL, status and headers."""
    try:
        url = str(getattr(getattr(response, "request", None), "url", ""))
    except RuntimeError:  # httpx: a response made without a request raises on .request
        url = ""
    info = StreamInfo(url)
    info.note_attempt()
    if hasattr(response, "status_code") and hasattr(response, "headers"):
        info.note_response(response)
    return info


def from_response(response: ResponseLike, *, max_event_bytes: int | None = None) -> MessageStream:
    """Make a `MessageStream` that reads an HTTP response's event stream.

    Hot and one-shot, as a response can be read once: it starts at the first subscription
    and replays to later ones. A sync response (``iter_bytes``/``close``) is read on a
    background thread; an async one (``aiter_bytes``/``aclose``) as a task on the event loop
    running when this is called. Both ``httpx`` and ``httpx2`` responses fit. Disposing the
    last subscriber, or ``abort()``, closes the response. Its ``.info`` is a `StreamInfo`
    (status, headers, request id), as the client's streams have.

    Args:
        response: an open streaming response (not yet read).
        max_event_bytes: the most one event may take before `EventTooLargeError`.

    Example:
        >>> url = f"{base_url}/v1/messages"  # base_url: https://api.anthropic.com
        >>> h = {"x-api-key": api_key, "anthropic-version": "2023-06-01"}
        >>> body = {"model": MODEL, "max_tokens": 256, "stream": True,
        ...         "messages": [{"role": "user", "content": "Hello"}]}
        >>> with httpx.Client() as http, http.stream("POST", url, json=body, headers=h) as r:
        ...     message = arx.from_response(r).pipe(final_message()).run()
    """
    if is_async_response(response):
        async_response: AsyncResponseLike = response  # type: ignore[assignment]
        return MessageStream(
            AsyncBytesSource(async_response.aiter_bytes(), max_event_bytes, async_response),
            info=info_of(response),
        )
    sync_response: SyncResponseLike = response  # type: ignore[assignment]
    source = SyncResponseSource(sync_response, max_event_bytes)
    return MessageStream(source, info=info_of(response))


def from_async_bytes(
    chunks: AsyncIterable[bytes], *, max_event_bytes: int | None = None
) -> MessageStream:
    """Make a `MessageStream` of the events in an async iterable of byte chunks.

    Hot and one-shot (an async iterator can be read once): call it inside a running asyncio
    or trio loop; the chunks are read by a task on that loop, started at the first
    subscription. Disposing the last subscriber, or ``abort()``, cancels the task, which
    closes the iterator. For a new read per subscription, wrap it:
    ``reactivex.defer(lambda _: arx.from_async_bytes(make_chunks()))``.

    Example:
        >>> async def main():
        ...     message = await arx.from_async_bytes(chunks()).pipe(final_message())
    """
    return MessageStream(AsyncBytesSource(chunks, max_event_bytes))
