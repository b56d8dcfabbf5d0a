"""The official SDK's streams as a `MessageStream`, and its messages to ours and back.

Everything here needs the extra ``sdk`` (``pip install 'anthropic-rx[sdk]'``).
"""

from __future__ import annotations

from typing import Any

from ..events import Message
from ._response import from_response
from ._stream import MessageStream

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
