"""`sdk_events`: the official SDK's ``MessageStream`` events, for code written against it.

Iterating the SDK's stream gives the raw events plus helper events built from its snapshot:
``text`` (with the text so far), ``citation``, ``thinking``, ``signature``, ``input_json``
(with the input so far), ``compaction``, and ``content_block_stop`` / ``message_stop``
carrying the finished block / message. `sdk_events` gives the same, equal in content on the
same bytes (a differential test holds it to that), so a loop over the SDK's stream moves
over by changing its first line. Like the SDK, it skips pings.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict

from .._core import TOOL_TYPES
from ..events import (
    Citation,
    CitationsDelta,
    CompactionDelta,
    ContentBlock,
    ContentBlockDeltaEvent,
    ContentBlockStartEvent,
    ContentBlockStopEvent,
    InputJSONDelta,
    Message,
    MessageDeltaEvent,
    MessageStartEvent,
    MessageStopEvent,
    PingEvent,
    SignatureDelta,
    StreamEvent,
    TextDelta,
    ThinkingDelta,
    UnknownEvent,
)
from ..typing import Operator
from ._shared import Step, steps_operator

__all__ = [
    "BlockStopEvent",
    "CitationEvent",
    "CompactionEvent",
    "InputJsonEvent",
    "MessageCompleteEvent",
    "SDKEvent",
    "SignatureEvent",
    "TextEvent",
    "ThinkingEvent",
    "sdk_events",
]


class _Helper(BaseModel):
    model_config = ConfigDict(frozen=True)


class TextEvent(_Helper):
    """More text (``text``) and the block's whole text so far (``snapshot``)."""

    type: Literal["text"] = "text"
    text: str
    snapshot: str


class CitationEvent(_Helper):
    """One more citation, and the block's citations so far."""

    type: Literal["citation"] = "citation"
    citation: Citation
    snapshot: list[Citation]


class ThinkingEvent(_Helper):
    """More thinking, and the block's thinking so far."""

    type: Literal["thinking"] = "thinking"
    thinking: str
    snapshot: str


class SignatureEvent(_Helper):
    """A thinking block's signature."""

    type: Literal["signature"] = "signature"
    signature: str


class InputJsonEvent(_Helper):
    """A fragment of a tool's input JSON, and the input parsed so far (finished strings)."""

    type: Literal["input_json"] = "input_json"
    partial_json: str
    snapshot: Any


class CompactionEvent(_Helper):
    """A compaction block's content."""

    type: Literal["compaction"] = "compaction"
    content: str | None
    encrypted_content: str | None


class BlockStopEvent(_Helper):
    """``content_block_stop`` with the finished block, as the SDK's stream gives it."""

    type: Literal["content_block_stop"] = "content_block_stop"
    index: int
    content_block: ContentBlock


class MessageCompleteEvent(_Helper):
    """``message_stop`` with the finished message, as the SDK's stream gives it."""

    type: Literal["message_stop"] = "message_stop"
    message: Message


SDKEvent: TypeAlias = (
    MessageStartEvent
    | MessageDeltaEvent
    | ContentBlockStartEvent
    | ContentBlockDeltaEvent
    | UnknownEvent
    | TextEvent
    | CitationEvent
    | ThinkingEvent
    | SignatureEvent
    | InputJsonEvent
    | CompactionEvent
    | BlockStopEvent
    | MessageCompleteEvent
)
"""Every event `sdk_events` emits."""


def _helper(event: ContentBlockDeltaEvent, block: ContentBlock) -> _Helper | None:
    delta, kind = event.delta, block.type
    if isinstance(delta, TextDelta) and kind == "text":
        return TextEvent(text=delta.text, snapshot=getattr(block, "text", ""))
    if isinstance(delta, InputJSONDelta) and kind in TOOL_TYPES:
        return InputJsonEvent(partial_json=delta.partial_json, snapshot=getattr(block, "input", {}))
    if isinstance(delta, CitationsDelta) and kind == "text":
        return CitationEvent(
            citation=delta.citation, snapshot=getattr(block, "citations", None) or []
        )
    if isinstance(delta, ThinkingDelta) and kind == "thinking":
        return ThinkingEvent(thinking=delta.thinking, snapshot=getattr(block, "thinking", ""))
    if isinstance(delta, SignatureDelta) and kind == "thinking":
        return SignatureEvent(signature=getattr(block, "signature", ""))
    if isinstance(delta, CompactionDelta) and kind == "compaction":
        return CompactionEvent(
            content=getattr(block, "content", None),
            encrypted_content=getattr(block, "encrypted_content", None),
        )
    return None


def _on_step(step: Step, emit: Callable[[SDKEvent], None]) -> None:
    event, snapshot = step
    if isinstance(event, PingEvent) or snapshot is None:
        if isinstance(event, UnknownEvent):
            emit(event)
        return
    if isinstance(event, ContentBlockDeltaEvent):
        emit(event)
        helper = _helper(event, snapshot.block(event.index))
        if helper is not None:
            emit(helper)  # type: ignore[arg-type]  # one of SDKEvent's helpers
    elif isinstance(event, ContentBlockStopEvent):
        emit(BlockStopEvent(index=event.index, content_block=snapshot.block(event.index)))
    elif isinstance(event, MessageStopEvent):
        emit(MessageCompleteEvent(message=snapshot.to_message()))
    else:  # message_start, message_delta, content_block_start, an unknown event
        emit(event)  # type: ignore[arg-type]  # pings and errors never get here


def sdk_events() -> Operator[StreamEvent, SDKEvent]:
    """Emit the events the official SDK's ``MessageStream`` yields, in its order.

    The raw events (``message_start``, ``message_delta``, ``content_block_start``,
    ``content_block_delta``), each delta followed by its helper event (`TextEvent`,
    `CitationEvent`, `ThinkingEvent`, `SignatureEvent`, `InputJsonEvent`, `CompactionEvent`),
    and `BlockStopEvent` / `MessageCompleteEvent` carrying the finished block / message in
    place of the bare stops. Pings are skipped, as the SDK skips them; unknown events pass.

    Example:
        >>> for event in arx.to_iterable(stream.pipe(sdk_events())):  # was: for event in stream
        ...     if event.type == "text":
        ...         print(event.text, end="", flush=True)

    Marble:
        -S-b-t-B-D-X-|
        [ sdk_events() ]
        -S-b-(tT)-B'-D-X'-|     T a TextEvent, B' with the block, X' with the message
    """
    return steps_operator(_on_step)
