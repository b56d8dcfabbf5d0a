"""`from_sdk_stream`: the official SDK's streams as a `MessageStream` (extra ``sdk``)."""

from __future__ import annotations

from typing import Any

from ._response import from_response
from ._stream import MessageStream

__all__ = ["from_sdk_stream"]


def _require_sdk() -> None:
    try:
        import anthropic  # noqa: F401  # pyright: ignore[reportUnusedImport]
    except ImportError as exc:
        raise ImportError(
            "from_sdk_stream needs the official SDK: pip install 'anthropic-rx[sdk]'"
        ) from exc


def from_sdk_stream(stream: Any, *, max_event_bytes: int | None = None) -> MessageStream:
    """Make a `MessageStream` from one of the official ``anthropic`` SDK's streams.

    Takes a ``Stream`` / ``AsyncStream`` (``client.messages.create(stream=True)``) or a
    ``MessageStream`` / ``AsyncMessageStream`` (inside ``with client.messages.stream(...)``),
    not yet iterated. Its HTTP response is read directly, with this library's spec-exact
    decoder, so pings, unknown events and mid-stream errors arrive typed instead of being
    dropped or raised by the SDK's iterator; aborting closes that response.
    A sync stream is read on a background thread, an async one as a task on the running
    loop.

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
    return from_response(response, max_event_bytes=max_event_bytes)
