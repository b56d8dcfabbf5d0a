"""Server-sent events as the real API writes them, recordings split into events, accumulation.

The real API frames every event as ``event: <type>`` + ``data: <json>`` + a blank line, LF
only, compact JSON with raw UTF-8, and pads most data lines with 0-15 spaces before the closing
brace (``{"type":"message_stop"    }``) — the JSON stays valid. ``ping`` is the exception: its
data is always ``{"type": "ping"}``, with a space and no padding.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeGuard, cast

__all__ = [
    "PING",
    "Event",
    "JSONObject",
    "accumulate",
    "dumps",
    "frame",
    "is_list",
    "payload_of",
    "split_events",
]

JSONObject = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Event:
    """One event exactly as it goes on the wire.

    Attributes:
        type: the SSE event name ("" when the event has no ``event:`` line).
        raw: the bytes written, blank line included (absent for a truncated last event).
        tokens: the output tokens the event stands for, which is what pacing counts.
    """

    type: str
    raw: bytes
    tokens: int = 0

    @property
    def is_delta(self) -> bool:
        """Whether this is a ``content_block_delta``: the unit fault positions count."""
        return self.type == "content_block_delta"


def is_list(value: object) -> TypeGuard[list[Any]]:
    """Tell whether *value* is a JSON array (narrowing it for type checkers)."""
    return isinstance(value, list)


def dumps(obj: object) -> str:
    """Serialise *obj* the way the API does: compact separators and raw UTF-8."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


#: The ping event, byte for byte as the API sends it.
PING = Event("ping", b'event: ping\ndata: {"type": "ping"}\n\n')


def frame(
    payload: JSONObject,
    *,
    rng: random.Random | None = None,
    name: str | None = None,
    tokens: int = 0,
) -> Event:
    """Frame *payload* as one event, padded like the API when *rng* is given.

    Args:
        payload: the event's JSON object; its ``type`` names the event unless *name* is given.
        rng: where the padding length comes from; ``None`` writes no padding.
        name: the SSE event name, when it differs from ``payload["type"]``.
        tokens: the output tokens this event stands for.
    """
    text = dumps(payload)
    if rng is not None:
        # Seen in every real capture since 2024: spaces before the last brace, JSON still valid.
        text = text[:-1] + " " * rng.randint(0, 15) + "}"
    event = name if name is not None else str(payload["type"])
    return Event(event, f"event: {event}\ndata: {text}\n\n".encode(), tokens)


def _lines(data: bytes) -> Iterator[bytes]:
    """Yield the lines of *data* with their endings (CRLF, LF or a lone CR), losing no byte."""
    start = 0
    i = 0
    n = len(data)
    while i < n:
        byte = data[i]
        if byte == 0x0A or byte == 0x0D:
            end = i + 2 if byte == 0x0D and i + 1 < n and data[i + 1] == 0x0A else i + 1
            yield data[start:end]
            start = i = end
        else:
            i += 1
    if start < n:
        yield data[start:]


def _field(line: bytes) -> tuple[bytes, bytes]:
    """Split one SSE line into field name and value (WHATWG: one optional space after ':')."""
    body = line.rstrip(b"\r\n")
    name, colon, value = body.partition(b":")
    if colon and value.startswith(b" "):
        value = value[1:]
    return name, value


def payload_of(raw: bytes) -> JSONObject | None:
    """Return the JSON object carried by the ``data:`` lines of *raw*, or ``None``."""
    data = [value for name, value in map(_field, _lines(raw)) if name == b"data"]
    if not data:
        return None
    try:
        parsed = json.loads(b"\n".join(data).decode("utf-8", "replace"))
    except ValueError:
        return None
    return cast("JSONObject", parsed) if isinstance(parsed, dict) else None


def _delta_tokens(payload: JSONObject | None) -> int:
    """Estimate the tokens of a delta (about four characters each) so replays can be paced."""
    if payload is None or payload.get("type") != "content_block_delta":
        return 0
    delta = payload.get("delta")
    if not isinstance(delta, dict):
        return 1
    delta = cast("JSONObject", delta)
    text = "".join(str(delta.get(key, "")) for key in ("text", "partial_json", "thinking"))
    return max(1, (len(text) + 3) // 4)


def split_events(data: bytes) -> list[Event]:
    """Split a recorded body into events, so that joining their ``raw`` gives *data* back.

    An event ends at its blank line; stray blank lines join the next event, and bytes after
    the last blank line become a final event without one (a truncated recording).
    """
    events: list[Event] = []
    current: list[bytes] = []
    has_fields = False
    for line in _lines(data):
        current.append(line)
        if line.strip(b"\r\n"):
            has_fields = True
        elif has_fields:
            events.append(_event_of(b"".join(current)))
            current, has_fields = [], False
    if current:
        events.append(_event_of(b"".join(current)))
    return events


def _event_of(raw: bytes) -> Event:
    names = [value for name, value in map(_field, _lines(raw)) if name == b"event"]
    payload = payload_of(raw)
    if names:
        event = names[-1].decode("utf-8", "replace")
    elif payload is not None:
        event = str(payload.get("type", ""))
    else:
        event = ""
    return Event(event, raw, _delta_tokens(payload))


def _apply_delta(block: JSONObject, delta: JSONObject) -> None:
    kind = delta.get("type")
    if kind == "text_delta":
        block["text"] = str(block.get("text", "")) + str(delta.get("text", ""))
    elif kind == "input_json_delta":
        block["_json"] = str(block.get("_json", "")) + str(delta.get("partial_json", ""))
    elif kind == "thinking_delta":
        block["thinking"] = str(block.get("thinking", "")) + str(delta.get("thinking", ""))
    elif kind == "signature_delta":
        block["signature"] = delta.get("signature", "")
    elif kind == "citations_delta":
        block.setdefault("citations", []).append(delta.get("citation"))
    # Other delta types are unknown to the emulator; a replayed message keeps the block as is.


def accumulate(events: Iterable[Event]) -> JSONObject:
    """Build the non-streaming message that a stream of *events* describes.

    Used to answer ``"stream": false`` from a recording. Unknown events and deltas are skipped;
    tool input is parsed at ``content_block_stop`` (``{}`` when it is empty or invalid).
    """
    message: JSONObject = {}
    content: list[JSONObject] = []
    for event in events:
        payload = payload_of(event.raw)
        if payload is None:
            continue
        kind = payload.get("type")
        if kind == "message_start" and isinstance(payload.get("message"), dict):
            message = copy.deepcopy(cast("JSONObject", payload["message"]))
            content = [
                copy.deepcopy(b) for b in cast("list[JSONObject]", message.get("content") or [])
            ]
        elif kind == "content_block_start" and isinstance(payload.get("content_block"), dict):
            index = int(payload.get("index", len(content)))
            content.extend({} for _ in range(index + 1 - len(content)))
            content[index] = copy.deepcopy(cast("JSONObject", payload["content_block"]))
        elif kind == "content_block_delta" and isinstance(payload.get("delta"), dict):
            index = int(payload.get("index", 0))
            if 0 <= index < len(content):
                _apply_delta(content[index], cast("JSONObject", payload["delta"]))
        elif kind == "message_delta":
            message.update(cast("JSONObject", payload.get("delta") or {}))
            usage = cast("JSONObject", message.setdefault("usage", {}))
            usage.update(cast("JSONObject", payload.get("usage") or {}))
    for block in content:
        if "_json" in block:
            partial = str(block.pop("_json"))
            try:
                block["input"] = json.loads(partial) if partial.strip() else {}
            except ValueError:
                block["input"] = {}
    message["content"] = content
    return message
