"""Generate a plausible message for a request: text, tool use or thinking, deterministically.

The same request (and seed) always gives the same message, streamed or not: content comes from
one random generator seeded with a hash of the request body, and the padding of the data lines
from another, so that turning padding off never changes the content.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from ._wire import PING, Event, JSONObject, dumps, frame, is_list

__all__ = ["WORDS", "Answer", "count_input_tokens", "generate", "last_user_text", "tokenize"]

_LOREM = (
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt "
    "ut labore et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco "
    "laboris nisi aliquip ex ea commodo consequat duis aute irure in reprehenderit voluptate "
    "velit esse cillum eu fugiat nulla pariatur excepteur sint occaecat cupidatat non "
    "proident sunt culpa qui officia deserunt mollit anim id est laborum"
)
WORDS = tuple(_LOREM.split())

# A "token" is a word with the whitespace before it, or an eight-character piece of a long word.
_TOKEN = re.compile(r"\s*\S{1,8}|\s+$")
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@dataclass
class Answer:
    """A message both ways: the events of the stream and the non-streaming body.

    Attributes:
        events: every event from ``message_start`` to ``message_stop``.
        message: the same message as one JSON object.
    """

    events: list[Event]
    message: JSONObject


@dataclass
class _Block:
    start: JSONObject
    final: JSONObject
    deltas: list[tuple[JSONObject, int]] = field(default_factory=list[tuple[JSONObject, int]])


def tokenize(text: str) -> list[str]:
    """Split *text* into tokens that join back into it exactly."""
    return _TOKEN.findall(text)


def _ident(rng: random.Random, prefix: str) -> str:
    return prefix + "".join(rng.choice(_BASE62) for _ in range(22))


def _sentences(rng: random.Random, count: int) -> str:
    words: list[str] = []
    while len(words) < count:
        sentence = [rng.choice(WORDS) for _ in range(rng.randint(5, 14))]
        sentence[0] = sentence[0].capitalize()
        sentence[-1] += "."
        words.extend(sentence)
    return " ".join(words[:count])


def _dicts(value: Any) -> list[JSONObject]:
    """Return the dictionaries in *value* when it is a list, else nothing."""
    items: list[Any] = value if is_list(value) else []
    return [cast("JSONObject", item) for item in items if isinstance(item, dict)]


def last_user_text(body: Mapping[str, Any]) -> str:
    """Return the text of the last user message (text blocks and tool results), or ""."""
    for message in reversed(cast("list[JSONObject]", body.get("messages") or [])):
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            return content
        parts: list[str] = []
        for block in _dicts(content):
            inner: Any = block.get("content") if block.get("type") == "tool_result" else [block]
            if isinstance(inner, str):
                parts.append(inner)
            else:
                parts.extend(
                    str(b["text"]) for b in _dicts(inner) if isinstance(b.get("text"), str)
                )
        return " ".join(parts)
    return ""


def count_input_tokens(body: Mapping[str, Any]) -> int:
    """Estimate the input tokens of a request: about four characters of its prompt each."""
    prompt = {key: body.get(key) for key in ("system", "messages", "tools")}
    return max(1, len(dumps(prompt)) // 4)


def _sample(schema: Any, rng: random.Random, depth: int = 0) -> Any:
    """Return a value that fits the JSON schema *schema*, good enough for a demo."""
    if not isinstance(schema, dict) or depth > 4:
        return _sentences(rng, 2).rstrip(".")
    schema = cast("JSONObject", schema)
    if schema.get("enum"):
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            return _sample(schema[key][0], rng, depth + 1)
    kind = schema.get("type", "string")
    if isinstance(kind, list):
        kind = next((k for k in cast("list[str]", kind) if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        properties = cast("JSONObject", schema.get("properties") or {})
        return {name: _sample(sub, rng, depth + 1) for name, sub in properties.items()}
    if kind == "array":
        return [_sample(schema.get("items"), rng, depth + 1) for _ in range(2)]
    if kind == "integer":
        return rng.randint(1, 100)
    if kind == "number":
        return round(rng.uniform(0, 100), 1)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _sentences(rng, rng.randint(1, 3)).rstrip(".")


def _pieces(rng: random.Random, tokens: list[str], low: int, high: int) -> list[list[str]]:
    pieces: list[list[str]] = []
    i = 0
    while i < len(tokens):
        size = rng.randint(low, high)
        pieces.append(tokens[i : i + size])
        i += size
    return pieces


def _text_block(rng: random.Random, tokens: list[str]) -> _Block:
    text = "".join(tokens)
    block = _Block({"type": "text", "text": ""}, {"type": "text", "text": text})
    for piece in _pieces(rng, tokens, 1, 4):
        block.deltas.append(({"type": "text_delta", "text": "".join(piece)}, len(piece)))
    return block


def _thinking_block(rng: random.Random, tokens: list[str]) -> _Block:
    signature = base64.b64encode(rng.randbytes(240)).decode()
    final = {"type": "thinking", "thinking": "".join(tokens), "signature": signature}
    block = _Block({"type": "thinking", "thinking": "", "signature": ""}, final)
    for piece in _pieces(rng, tokens, 4, 16):
        block.deltas.append(({"type": "thinking_delta", "thinking": "".join(piece)}, len(piece)))
    # Real streams send an empty thinking_delta, then the one signature_delta.
    block.deltas.append(({"type": "thinking_delta", "thinking": ""}, 0))
    block.deltas.append(({"type": "signature_delta", "signature": signature}, 0))
    return block


def _tool_block(rng: random.Random, tool: JSONObject, options: Mapping[str, Any]) -> _Block:
    tool_input = options.get("input")
    if not isinstance(tool_input, dict):
        tool_input = _sample(tool.get("input_schema") or {"type": "object"}, rng)
    text = json.dumps(tool_input, ensure_ascii=False)  # ", " and ": ", as the API streams it
    ident = _ident(rng, "toolu_01")
    start: JSONObject = {"type": "tool_use", "id": ident, "name": tool["name"], "input": {}}
    block = _Block(start, {**start, "input": tool_input})
    # The API's first fragment is always "", then pieces split anywhere, even inside escapes.
    block.deltas.append(({"type": "input_json_delta", "partial_json": ""}, 0))
    i = 0
    while i < len(text):
        size = rng.randint(1, 16)
        piece = text[i : i + size]
        block.deltas.append(
            ({"type": "input_json_delta", "partial_json": piece}, max(1, size // 4))
        )
        i += size
    return block


def _choose_tool(body: Mapping[str, Any], options: Mapping[str, Any]) -> JSONObject | None:
    """Pick the tool to call, or ``None`` to answer with text."""
    tools = [t for t in cast("list[JSONObject]", body.get("tools") or []) if "input_schema" in t]
    choice = cast("JSONObject", body.get("tool_choice") or {"type": "auto"})
    wanted = options.get("tool") or (choice.get("name") if choice.get("type") == "tool" else None)
    if not tools or choice.get("type") == "none":
        return None
    messages = cast("list[JSONObject]", body.get("messages") or [])
    content = messages[-1].get("content") if messages else None
    answered = any(b.get("type") == "tool_result" for b in _dicts(content))
    if answered and wanted is None and choice.get("type") == "auto":
        return None  # a tool result came back: answer it in words, or demos would loop forever
    return next((t for t in tools if t.get("name") == wanted), tools[0])


def _plan(body: Mapping[str, Any], rng: random.Random, options: Mapping[str, Any]) -> list[_Block]:
    blocks: list[_Block] = []
    echo = " ".join(last_user_text(body).split()[:24])
    thinking = cast("JSONObject", body.get("thinking") or {})
    if thinking.get("type") in ("enabled", "adaptive"):
        # Thinking always fits, as the API guarantees: budget_tokens < max_tokens.
        budget = min(int(thinking.get("budget_tokens") or 64), int(body["max_tokens"]) - 1)
        count = int(options.get("thinking_tokens", rng.randint(16, 64)))
        prefix = f"The user wrote: {echo}. " if echo else ""
        text = prefix + _sentences(rng, max(1, count))
        blocks.append(_thinking_block(rng, tokenize(text)[: max(1, min(count, budget))]))
    tool = _choose_tool(body, options)
    if tool is not None:
        forced = cast("JSONObject", body.get("tool_choice") or {}).get("type") in ("any", "tool")
        if not forced and options.get("preface", True):
            blocks.append(_text_block(rng, tokenize(f"I'll use the {tool['name']} tool.")))
        blocks.extend(
            _tool_block(rng, tool, options) for _ in range(int(options.get("tool_calls", 1)))
        )
        return blocks
    if "text" in options:
        text = str(options["text"])
    else:
        count = int(options.get("tokens", rng.randint(24, 96)))
        lead = f'You said: "{echo}". ' if echo else ""
        text = (lead + _sentences(rng, count)) if count > 0 else ""
        text = "".join(tokenize(text)[:count]) if "tokens" in options else text
    blocks.append(_text_block(rng, tokenize(text)))
    return blocks


def _truncate(blocks: list[_Block], budget: int) -> tuple[list[_Block], bool]:
    """Cut the blocks to *budget* output tokens; return them and whether anything was cut."""
    kept: list[_Block] = []
    for block in blocks:
        used = sum(tokens for _, tokens in block.deltas)
        if used <= budget:
            kept.append(block)
            budget -= used
            continue
        deltas: list[tuple[JSONObject, int]] = []
        for delta, tokens in block.deltas:
            if tokens > budget:
                if delta["type"] == "text_delta" and budget > 0:  # the API stops mid-delta too
                    deltas.append(
                        ({**delta, "text": "".join(tokenize(delta["text"])[:budget])}, budget)
                    )
                break
            deltas.append((delta, tokens))
            budget -= tokens
        block.deltas = deltas
        if block.final["type"] == "text":
            block.final = {"type": "text", "text": "".join(str(d["text"]) for d, _ in deltas)}
        elif block.final["type"] == "tool_use":
            block.final = {**block.final, "input": {}}  # the JSON was cut: the API gives {} too
        kept.append(block)
        return kept, True
    return kept, False


def generate(
    body: Mapping[str, Any], *, seed: int, options: Mapping[str, Any], padding: bool
) -> Answer:
    """Generate the answer to the (validated) request *body*.

    Args:
        body: the request's JSON body.
        seed: mixed into the hash of the body, so different emulators can answer differently.
        options: per-request options; ``text``, ``tokens``, ``thinking_tokens``, ``tool``,
            ``input``, ``tool_calls`` and ``preface`` shape the message.
        padding: whether data lines get the API's random trailing spaces.
    """
    # "stream" is left out so that the streamed and the unstreamed answers are the same message.
    prompt = {key: value for key, value in body.items() if key != "stream"}
    digest = hashlib.sha256(f"{seed}:{dumps(prompt)}".encode()).digest()
    rng = random.Random(digest)
    pad = random.Random(digest[::-1]) if padding else None
    blocks, cut = _truncate(_plan(body, rng, options), int(body["max_tokens"]))
    uses_tool = any(b.final["type"] == "tool_use" for b in blocks)
    stop_reason = "max_tokens" if cut else "tool_use" if uses_tool else "end_turn"
    output = max(1, sum(t for b in blocks for _, t in b.deltas))
    input_tokens = count_input_tokens(body)
    usage: JSONObject = {
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
        "output_tokens": 1,
        "service_tier": "standard",
    }
    message: JSONObject = {
        "model": body["model"],
        "id": _ident(rng, "msg_01"),
        "type": "message",
        "role": "assistant",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": usage,
    }
    events = [frame({"type": "message_start", "message": message}, rng=pad)]
    for index, block in enumerate(blocks):
        start = {"type": "content_block_start", "index": index, "content_block": block.start}
        events.append(frame(start, rng=pad))
        if index == 0:
            events.append(PING)  # where the API sends its first ping
        for delta, tokens in block.deltas:
            payload = {"type": "content_block_delta", "index": index, "delta": delta}
            events.append(frame(payload, rng=pad, tokens=tokens))
        events.append(frame({"type": "content_block_stop", "index": index}, rng=pad))
    final_usage = {key: usage[key] for key in list(usage)[:3]} | {"output_tokens": output}
    delta = {"stop_reason": stop_reason, "stop_sequence": None}
    events.append(frame({"type": "message_delta", "delta": delta, "usage": final_usage}, rng=pad))
    events.append(frame({"type": "message_stop"}, rng=pad))
    whole = {**message, **delta, "content": [b.final for b in blocks]}
    whole["usage"] = {**usage, "output_tokens": output}
    return Answer(events, whole)
