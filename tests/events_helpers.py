"""Small builders for hand-written streams: events as JSON, then as typed events or bytes."""

from __future__ import annotations

import json
from typing import Any

import anthropic_rx as arx

__all__ = [
    "block_start",
    "delta",
    "encode",
    "event",
    "input_json",
    "message_delta",
    "message_end",
    "message_start",
    "stop",
    "text",
    "text_block",
    "text_stream",
    "thinking_block",
    "tool_call",
]


def message_start(**message: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "msg_test",
        "type": "message",
        "role": "assistant",
        "model": "claude-test",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 1},
    }
    base.update(message)
    return {"type": "message_start", "message": base}


def block_start(index: int, **block: Any) -> dict[str, Any]:
    return {"type": "content_block_start", "index": index, "content_block": block}


def delta(index: int, **d: Any) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": d}


def text(index: int, piece: str) -> dict[str, Any]:
    return delta(index, type="text_delta", text=piece)


def input_json(index: int, piece: str) -> dict[str, Any]:
    return delta(index, type="input_json_delta", partial_json=piece)


def stop(index: int) -> dict[str, Any]:
    return {"type": "content_block_stop", "index": index}


def message_delta(stop_reason: str = "end_turn", **usage: Any) -> dict[str, Any]:
    return {
        "type": "message_delta",
        "delta": {"stop_reason": stop_reason, "stop_sequence": None},
        "usage": {"output_tokens": 5, **usage},
    }


MESSAGE_STOP: dict[str, Any] = {"type": "message_stop"}
PING: dict[str, Any] = {"type": "ping"}


def message_end(stop_reason: str = "end_turn", **usage: Any) -> list[dict[str, Any]]:
    """A message's last two events: its ``message_delta``, then ``message_stop``."""
    return [message_delta(stop_reason, **usage), MESSAGE_STOP]


def text_block(index: int, *pieces: str) -> list[dict[str, Any]]:
    """A whole text block: its start, a text delta a piece, its stop."""
    return [
        block_start(index, type="text", text=""),
        *(text(index, p) for p in pieces),
        stop(index),
    ]


def thinking_block(
    index: int, *thoughts: str, signature: str | None = "sig"
) -> list[dict[str, Any]]:
    """A whole thinking block: its start, a thinking delta a thought, the signature delta
    (none when *signature* is ``None``), its stop."""
    signed = (
        [] if signature is None else [delta(index, type="signature_delta", signature=signature)]
    )
    return [
        block_start(index, type="thinking", thinking="", signature=""),
        *(delta(index, type="thinking_delta", thinking=t) for t in thoughts),
        *signed,
        stop(index),
    ]


def tool_call(
    index: int, name: str, *pieces: str, id: str = "toolu_1", type: str = "tool_use"
) -> list[dict[str, Any]]:
    """A tool call's start and its input in JSON *pieces*, left open: add ``stop(index)``."""
    return [
        block_start(index, type=type, id=id, name=name, input={}),
        *(input_json(index, p) for p in pieces),
    ]


def event(obj: dict[str, Any]) -> arx.StreamEvent:
    """Parse one JSON event as the wire would deliver it."""
    return arx.parse_event(arx.ServerSentEvent(event=obj["type"], data=json.dumps(obj)))


def encode(objs: list[dict[str, Any]], *, newline: str = "\n") -> bytes:
    """Frame JSON events as the API does: ``event:`` and ``data:`` lines, then a blank line."""
    return "".join(
        f"event: {obj['type']}{newline}data: {json.dumps(obj)}{newline}{newline}" for obj in objs
    ).encode()


def text_stream(*pieces: str) -> list[dict[str, Any]]:
    """A whole one-block text message made of *pieces*."""
    return [message_start(), *text_block(0, *pieces), *message_end()]
