"""The official SDK's streams as a `MessageStream`, and its messages to ours and back.

Everything here needs the extra ``sdk`` (``pip install 'anthropic-rx[sdk]'``).
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from .._exceptions import AnthropicRxError, APIConnectionError, StreamAbortedError
from .._info import StreamInfo
from ..events import Message, StreamEvent
from ._response import (  # the same readers as from_response, with typed errors
    AsyncBytesSource,
    SyncResponseSource,
    info_of,
    is_async_response,
)
from ._stream import Emit, MessageStream

__all__ = ["from_sdk_message", "from_sdk_stream", "to_sdk_message"]


def _require_sdk(what: str = "from_sdk_stream") -> None:
    try:
        import anthropic  # noqa: F401  # pyright: ignore[reportUnusedImport]
    except ImportError as exc:
        raise ImportError(
            f"{what} needs the official SDK: pip install 'anthropic-rx[sdk]'"
        ) from exc


def to_sdk_message(message: Message, *, beta: bool = True) -> Any:
    """Our `Message` as the official SDK's: ``BetaMessage`` (by default) or ``Message``.

    Built the way the SDK builds a streamed message (its ``construct``, no validation), from
    our message's JSON: every field is there, nested objects typed as the SDK types them.
    The GA ``Message`` does not know the beta block types (``compaction``, ``mcp_tool_use``,
    …), so ``beta=True`` is the one that loses nothing.

    Example:
        >>> sdk_message = arx.to_sdk_message(message)
        >>> sdk_message.usage.input_tokens == message.usage.input_tokens
        True

    Raises:
        ImportError: the SDK is not installed.
    """
    _require_sdk("to_sdk_message")
    from anthropic.types import Message as GAMessage
    from anthropic.types.beta import BetaMessage

    sdk_class: Any = BetaMessage if beta else GAMessage
    data = message.model_dump(mode="json", by_alias=True)
    return sdk_class.construct(**data)


def from_sdk_message(message: Any) -> Message:
    """The official SDK's ``Message`` or ``BetaMessage`` as our `Message`, equal by value.

    Example:
        >>> ours = arx.from_sdk_message(client.messages.create(**params))
        >>> ours.content[0].text
        'Hello!'

    Raises:
        TypeError: *message* is not one of the SDK's messages.
    """
    to_dict = getattr(message, "to_dict", None)
    if to_dict is None or getattr(message, "type", None) != "message":
        raise TypeError(
            f"expected an anthropic Message or BetaMessage, got {type(message).__name__}"
        )
    return Message.model_validate(to_dict(mode="json", warnings=False))


def from_sdk_stream(stream: Any, *, max_event_bytes: int | None = None) -> MessageStream:
    """Make a `MessageStream` from one of the official ``anthropic`` SDK's streams.

    Takes a ``Stream`` / ``AsyncStream`` (``client.messages.create(stream=True)``) or a
    ``MessageStream`` / ``AsyncMessageStream`` (inside ``with client.messages.stream(...)``),
    not yet iterated. Its HTTP response is read directly, with this library's spec-exact
    decoder, so pings, unknown events and mid-stream errors arrive typed instead of being
    dropped or raised by the SDK's iterator; aborting closes that response.
    A sync stream is read on a background thread, an async one as a task on the running
    loop. Its ``.info`` is a `StreamInfo`, as the client's streams have (request id,
    headers, rate limits). A transport error of the SDK's (``httpx2.ReadError``,
    ``RemoteProtocolError``, …) is an `APIConnectionError` with the partial snapshot; the
    SDK's ``with`` block left before the stream ended is a `StreamAbortedError` that says so.

    Example:
        >>> with client.messages.stream(model=MODEL, max_tokens=256, messages=msgs) as s:
        ...     message = arx.from_sdk_stream(s).pipe(final_message()).run()

    Raises:
        ImportError: the SDK is not installed (``pip install 'anthropic-rx[sdk]'``).
        TypeError: *stream* is not one of the SDK's streams.
    """
    _require_sdk()
    response = getattr(stream, "response", None)
    if response is None or not (
        hasattr(response, "iter_bytes") or hasattr(response, "aiter_bytes")
    ):
        raise TypeError(
            "expected an anthropic Stream, AsyncStream, MessageStream or AsyncMessageStream "
            f"(enter a stream manager with `with` first), got {type(stream).__name__}"
        )
    info = info_of(response)
    reading = _Reading(_watch_close(stream), info)
    if is_async_response(response):
        source: Any = _SDKAsyncSource(response.aiter_bytes(), max_event_bytes, response, reading)
    else:
        source = _SDKSyncSource(response, max_event_bytes, reading)
    return MessageStream(source, info=info)


def _watch_close(stream: Any) -> threading.Event:
    """An event set when the SDK's stream is closed (its ``with`` block left), by the user."""
    left = threading.Event()
    for name in ("close", "aclose"):
        original = getattr(stream, name, None)
        if original is None:
            continue

        def closing(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            left.set()
            return _original(*args, **kwargs)

        with contextlib.suppress(AttributeError, TypeError):  # a stream without a __dict__
            setattr(stream, name, closing)
    return left


class _Reading:
    """One read of the SDK's stream: whether its ``with`` block was left (``left``), whether
    an event got through, and so what a failure means (`error_for`)."""

    def __init__(self, left: threading.Event, info: StreamInfo) -> None:
        self.left = left
        self.info = info
        self.seen = False

    def counted(self, emit: Emit) -> Emit:
        """*emit*, noting that an event got through (a break after one is mid-stream)."""
        self.seen = False

        def counting(event: StreamEvent) -> None:
            self.seen = True
            emit(event)

        return counting

    def error_for(self, exc: Exception) -> Exception:
        """The SDK's transport errors (httpx2's) as ours: typed, the request id with them."""
        if isinstance(exc, AnthropicRxError):
            return exc
        if self.left.is_set():
            return StreamAbortedError(
                "the SDK's stream was closed before it ended: its `with` block was left (or it "
                "was closed) while this stream read it; read the stream inside the block"
            )
        names = {c.__name__ for c in type(exc).__mro__}
        if names & {"TransportError", "StreamError", "HTTPError"} or isinstance(exc, OSError):
            error = APIConnectionError(
                f"the connection broke while reading the SDK's stream: {type(exc).__name__}: {exc}",
                mid_stream=self.seen,
                request_id=self.info.request_id,
                attempts=self.info.attempts,
            )
            error.__cause__ = exc
            return error
        return exc


class _SDKSyncSource(SyncResponseSource):
    def __init__(self, response: Any, max_event_bytes: int | None, reading: _Reading) -> None:
        super().__init__(response, max_event_bytes)
        self._reading = reading

    def run(self, emit: Emit) -> None:
        try:
            super().run(self._reading.counted(emit))
        except Exception as exc:
            raise self._reading.error_for(exc) from exc


class _SDKAsyncSource(AsyncBytesSource):
    def __init__(
        self, chunks: Any, max_event_bytes: int | None, response: Any, reading: _Reading
    ) -> None:
        super().__init__(chunks, max_event_bytes, response)
        self._reading = reading

    async def run(self, emit: Emit) -> None:
        try:
            await super().run(self._reading.counted(emit))
        except Exception as exc:
            raise self._reading.error_for(exc) from exc
