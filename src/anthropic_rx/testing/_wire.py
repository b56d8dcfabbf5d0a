"""The JSON of each event, as the API writes it, and the one path from JSON to typed events.

Every helper of `anthropic_rx.testing` builds the API's JSON first and turns it into a typed
event with `parse_event`, the function the decoder's output goes through on the wire, so
operators see exactly the objects a real response would give them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from .._sse import ServerSentEvent
from ..events import StreamEvent, parse_event

__all__ = [
    "DEFAULT_ID",
    "DEFAULT_MODEL",
    "JSON",
    "MESSAGE_STOP",
    "PING",
    "block_start",
    "default_block",
    "delta",
    "encode",
    "error_event",
    "message_delta",
    "message_start",
    "split",
    "stop",
    "tokens",
    "tool_json",
    "typed",
]

JSON = dict[str, Any]

DEFAULT_MODEL = "claude-test"
DEFAULT_ID = "msg_test"

MESSAGE_STOP: Mapping[str, Any] = {"type": "message_stop"}
PING: Mapping[str, Any] = {"type": "ping"}

#: The ``delta`` type and its text field for each kind of content delta.
_DELTA_FIELD = {
    "text_delta": "text",
    "thinking_delta": "thinking",
    "input_json_delta": "partial_json",
    "signature_delta": "signature",
}


def message_start(*, id: str, model: str, input_tokens: int) -> JSON:
    """The ``message_start`` the API sends first: an empty assistant message."""
    return {
        "type": "message_start",
        "message": {
            "id": id,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, "output_tokens": 1},
        },
    }


def default_block(kind: str, index: int, *, name: str | None = None, id: str | None = None) -> JSON:
    """The ``content_block`` of a ``content_block_start`` of type *kind*, as the API opens it.

    A ``tool_use`` block is named *name* (default ``tool``) with *id* (default
    ``toolu_test<index>``).
    """
    if kind == "text":
        return {"type": "text", "text": ""}
    if kind == "thinking":
        return {"type": "thinking", "thinking": "", "signature": ""}
    if kind == "tool_use":
        return {
            "type": "tool_use",
            "id": f"toolu_test{index}" if id is None else id,
            "name": "tool" if name is None else name,
            "input": {},
        }
    return {"type": kind}


def tool_json(input: Mapping[str, Any] | str | None) -> str:
    """A tool call's input as the JSON text its deltas carry: text is taken verbatim."""
    return input if isinstance(input, str) else json.dumps(dict(input or {}))


def block_start(index: int, block: Mapping[str, Any]) -> JSON:
    """A ``content_block_start`` opening *block* at *index*."""
    return {"type": "content_block_start", "index": index, "content_block": dict(block)}


def delta(index: int, kind: str, value: Any) -> JSON:
    """A ``content_block_delta`` of *kind* (``text_delta``, …) carrying *value*."""
    if kind == "citations_delta":
        body: JSON = {"type": kind, "citation": value}
    else:
        body = {"type": kind, _DELTA_FIELD[kind]: value}
    return {"type": "content_block_delta", "index": index, "delta": body}


def stop(index: int) -> JSON:
    """A ``content_block_stop`` closing the block at *index*."""
    return {"type": "content_block_stop", "index": index}


def message_delta(
    stop_reason: str | None, *, stop_sequence: str | None = None, output_tokens: int
) -> JSON:
    """The ``message_delta`` before ``message_stop``: the stop reason and the final usage."""
    return {
        "type": "message_delta",
        "delta": {"stop_reason": stop_reason, "stop_sequence": stop_sequence},
        "usage": {"output_tokens": output_tokens},
    }


def error_event(error_type: str, message: str | None) -> JSON:
    """An ``event: error`` mid-stream, such as the API's ``overloaded_error``."""
    if message is None:
        message = "Overloaded" if error_type == "overloaded_error" else error_type
    return {"type": "error", "error": {"type": error_type, "message": message}}


def tokens(text: str) -> int:
    """Roughly how many tokens *text* is: about four characters a token, at least one."""
    return max(1, math.ceil(len(text) / 4))


def split(text: str, chunks: int) -> list[str]:
    """Split *text* into *chunks* pieces of nearly equal length (as the wire may: anywhere)."""
    if chunks < 1:
        raise ValueError(f"expected chunks to be at least 1, got {chunks}")
    count = min(chunks, len(text)) or 1
    size, extra = divmod(len(text), count)
    pieces: list[str] = []
    start = 0
    for i in range(count):
        end = start + size + (1 if i < extra else 0)
        pieces.append(text[start:end])
        start = end
    return pieces


def typed(obj: Mapping[str, Any]) -> StreamEvent:
    """Turn one event's JSON into its typed event through `parse_event`, as the wire does.

    Raises:
        EventParseError: a known event type whose JSON does not fit its model.
    """
    kind = obj.get("type")
    name = kind if isinstance(kind, str) and kind else "message"
    return parse_event(ServerSentEvent(event=name, data=json.dumps(obj)))


def encode(objs: Iterable[Mapping[str, Any]]) -> bytes:
    """Frame events as the API does: an ``event:`` line, a ``data:`` line, a blank line."""
    return "".join(
        f"event: {obj.get('type', 'message')}\ndata: {json.dumps(obj)}\n\n" for obj in objs
    ).encode()
