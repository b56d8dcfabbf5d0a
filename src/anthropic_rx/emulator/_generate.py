"""Generate a plausible message for a request: text, tool use or thinking, deterministically.

The same request (and seed) always gives the same message, streamed or not: content comes from
one random generator seeded with a hash of the request body, and the padding of the data lines
from another, so that turning padding off never changes the content.

What the message holds follows the conversation, in this order: a paused server-tool turn
sent back is continued (its result, then text or another pause); a server tool with the
``pause_turn`` option starts a paused turn; offered tools are called (input fitted to the
schema from the prompt, see `_schema`), unless the last user turn brought tool results, which
are answered in words (`_phrases`); an ``output_config.format`` gets JSON text; else text.

>>> body = {"model": "m", "max_tokens": 100, "tools": [{"name": "get_weather",
...     "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}],
...     "messages": [{"role": "user", "content": "Weather in Paris?"}]}
>>> generate(body, seed=0, options={}, padding=False).message["content"][-1]["input"]
{'city': 'Paris'}
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

from ._phrases import ToolOutcome, answer_from_results, phrase, reasoning, sentences
from ._schema import Prompt, fit, is_slot, name_parts
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
    return sentences(rng, count)


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


def _tool_block(
    rng: random.Random,
    name: str,
    tool_input: JSONObject,
    *,
    kind: str = "tool_use",
    prefix: str = "toolu_01",
) -> _Block:
    text = (
        dumps(tool_input)
        if kind == "server_tool_use"
        else json.dumps(tool_input, ensure_ascii=False)
    )
    ident = _ident(rng, prefix)
    start: JSONObject = {"type": kind, "id": ident, "name": name, "input": {}}
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


def _json_block(rng: random.Random, value: Any) -> _Block:
    """A text block holding *value* as compact JSON, in deltas of a few characters each."""
    text = dumps(value)
    block = _Block({"type": "text", "text": ""}, {"type": "text", "text": text})
    i = 0
    while i < len(text):
        size = rng.randint(2, 6)
        block.deltas.append(({"type": "text_delta", "text": text[i : i + size]}, 1))
        i += size
    return block


def _whole_block(content: JSONObject) -> _Block:
    """A block that arrives whole in its ``content_block_start`` (server tool results)."""
    return _Block(content, content)


def _content(message: JSONObject) -> list[JSONObject]:
    content = message.get("content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    return _dicts(content)


def _result_text(block: JSONObject) -> str:
    content = block.get("content")
    if isinstance(content, str):
        return content
    parts = [
        str(b["text"]) if isinstance(b.get("text"), str) else f"[{b.get('type')}]"
        for b in _dicts(content)
    ]
    return " ".join(parts)


def _question(messages: list[JSONObject]) -> str:
    """The text of the last user turn that asked something (tool results are no question)."""
    for message in reversed(messages):
        if message.get("role") != "user":
            continue
        text = " ".join(
            str(b["text"])
            for b in _content(message)
            if b.get("type") == "text" and isinstance(b.get("text"), str)
        )
        if text.strip():
            return text
    return ""


def _known(messages: list[JSONObject]) -> JSONObject:
    """Values the conversation already holds by name: tool inputs, then JSON tool results."""
    known: JSONObject = {}
    for message in messages:
        for block in _content(message):
            if block.get("type") == "tool_use" and isinstance(block.get("input"), dict):
                known.update(cast("JSONObject", block["input"]))
            elif block.get("type") == "tool_result" and not block.get("is_error"):
                text = _result_text(block).strip()
                try:
                    value: Any = json.loads(text) if text.startswith("{") else None
                except ValueError:
                    value = None
                if isinstance(value, dict):
                    for key, item in cast("JSONObject", value).items():
                        if isinstance(item, dict):
                            known.update(cast("JSONObject", item))
                        else:
                            known[key] = item
    return known


def _outcomes(messages: list[JSONObject]) -> list[ToolOutcome]:
    """The tool results of the last user turn, each with the call it answers."""
    if not messages or messages[-1].get("role") != "user":
        return []
    results = [b for b in _content(messages[-1]) if b.get("type") == "tool_result"]
    if not results:
        return []
    calls: dict[str, JSONObject] = {}
    if len(messages) > 1:
        calls = {str(b.get("id")): b for b in _content(messages[-2]) if b.get("type") == "tool_use"}
    outcomes: list[ToolOutcome] = []
    for result in results:
        call = calls.get(str(result.get("tool_use_id")), {})
        tool_input = call.get("input")
        outcomes.append(
            ToolOutcome(
                name=str(call.get("name") or "tool"),
                input=cast("JSONObject", tool_input) if isinstance(tool_input, dict) else {},
                content=_result_text(result),
                is_error=bool(result.get("is_error")),
            )
        )
    return outcomes


_CLAUSES = re.compile(r"\s*(?:[;,]|\band\b|\balso\b|\bthen\b|[.?!](?=\s|$))\s*", re.IGNORECASE)
_GENERIC = {"get", "set", "fetch", "do", "run", "make", "tool", "the", "a", "an", "of", "for"}
_STOP = {
    "the", "a", "an", "of", "for", "in", "on", "to", "and", "or", "is", "are", "with", "by",
    "from", "at", "as", "it", "this", "that", "be", "get", "gets", "returns", "return", "given",
}  # fmt: skip


def _has_value(clause: str, tool: JSONObject) -> bool:
    """Whether *clause* names a thing of its own (a proper noun or a quoted string) that
    could go in one of the tool's top-level string fields for places, names or queries."""
    schema = tool.get("input_schema")
    properties = cast("JSONObject", schema).get("properties") if isinstance(schema, dict) else None
    if not isinstance(properties, dict) or not any(
        is_slot(name, sub) for name, sub in cast("JSONObject", properties).items()
    ):
        return False
    prompt = Prompt(clause, avoid=name_parts(str(tool["name"])))
    return bool(prompt.proper or prompt.quoted)


def _stems(text: str) -> set[str]:
    return {w[:-1] if w.endswith("s") and len(w) > 3 else w for w in re.findall(r"[a-z]+", text)}


def _score(clause: str, tool: JSONObject) -> int:
    words = _stems(clause.lower())
    name = {
        w[:-1] if w.endswith("s") and len(w) > 3 else w for w in name_parts(str(tool["name"]))
    } - _GENERIC
    described = _stems(str(tool.get("description") or "").lower()) - _STOP
    return 3 * len(words & name) + len(words & described)


def _groups(question: str, tools: list[JSONObject]) -> list[tuple[JSONObject, str]]:
    """Split the question into clauses and give each clause that asks for something its tool.

    "Weather in Paris and Tokyo" gives two calls of the weather tool; "the weather in Paris
    and the time in Tokyo" one call of each tool; a clause that names no tool but holds a new
    value (a proper noun, a quoted string) repeats the previous clause's tool.
    """
    groups: list[list[Any]] = []
    pending = ""
    for clause in (c for c in _CLAUSES.split(question) if c and c.strip()):
        scores = [_score(clause, tool) for tool in tools]
        best = max(range(len(tools)), key=lambda i: scores[i])
        if scores[best] > 0:
            same = bool(groups) and groups[-1][0] is tools[best]
            if not (same and not _has_value(clause, tools[best])):
                groups.append([tools[best], pending + clause])
                pending = ""
            else:
                groups[-1][1] += ", " + clause
        elif (
            groups
            and _has_value(clause, groups[-1][0])
            and _has_value(groups[-1][1], groups[-1][0])
        ):
            groups.append([groups[-1][0], clause])  # "… in Paris and Tokyo": Tokyo, same tool
        elif groups:
            groups[-1][1] += ", " + clause
        else:
            pending += clause + ", "
    if not groups:
        scores = [_score(question, tool) for tool in tools]
        best = max(range(len(tools)), key=lambda i: scores[i]) if any(scores) else 0
        return [(tools[best], question)]
    return [(cast("JSONObject", g[0]), str(g[1])) for g in groups[:8]]


def _calls(
    body: Mapping[str, Any], rng: random.Random, options: Mapping[str, Any]
) -> list[tuple[str, JSONObject]]:
    """The tool calls to make, as (name, input) pairs; none to answer with text."""
    tools = [t for t in cast("list[JSONObject]", body.get("tools") or []) if "input_schema" in t]
    choice = cast("JSONObject", body.get("tool_choice") or {"type": "auto"})
    wanted = options.get("tool") or (choice.get("name") if choice.get("type") == "tool" else None)
    if not tools or choice.get("type") == "none":
        return []
    messages = cast("list[JSONObject]", body.get("messages") or [])
    if messages and messages[-1].get("role") == "assistant":
        return []  # a prefill or a paused turn to continue: the answer goes on in words
    if _outcomes(messages) and wanted is None and choice.get("type") == "auto":
        return []  # a tool result came back: answer it in words, or demos would loop forever
    question = _question(messages)
    groups = _groups(question, tools)
    if wanted is not None:
        forced = next((t for t in tools if t.get("name") == wanted), tools[0])
        groups = [g for g in groups if g[0] is forced] or [(forced, question)]
    if choice.get("disable_parallel_tool_use"):
        groups = groups[:1]
    count = int(options.get("tool_calls", len(groups)))
    known = _known(messages)
    calls: list[tuple[str, JSONObject]] = []
    for i in range(count):
        tool, clause = groups[i % len(groups)]
        given = options.get("input")
        if isinstance(given, dict):
            calls.append((str(tool["name"]), cast("JSONObject", given)))
            continue
        avoid = name_parts(str(tool["name"]))
        prompt = Prompt(
            clause, fallback=Prompt(question, known=known, avoid=avoid), known=known, avoid=avoid
        )
        schema = tool.get("input_schema") or {"type": "object"}
        value = fit(schema, rng, prompt)
        calls.append(
            (str(tool["name"]), cast("JSONObject", value) if isinstance(value, dict) else {})
        )
    return calls


def _output_schema(body: Mapping[str, Any]) -> Any:
    """The JSON schema the answer must follow (``output_config.format``), or ``None``."""
    config = body.get("output_config")
    fmt: Any = cast("JSONObject", config).get("format") if isinstance(config, dict) else None
    if not isinstance(fmt, dict):
        fmt = body.get("output_format")  # the beta's spelling
    if isinstance(fmt, dict) and cast("JSONObject", fmt).get("type") == "json_schema":
        return cast("JSONObject", fmt).get("schema")
    return None


# Server tools the emulator can play: the name of the call, its input and its result.
_SERVER_TOOLS = ("web_search", "web_fetch", "code_execution")


def _server_tool(body: Mapping[str, Any]) -> str | None:
    for tool in cast("list[JSONObject]", body.get("tools") or []):
        kind = str(tool.get("type") or "custom")
        for family in _SERVER_TOOLS:
            if kind.startswith(family + "_"):
                return "bash_code_execution" if family == "code_execution" else family
    return None


def _server_input(name: str, question: str, rng: random.Random, turn: int) -> JSONObject:
    topic = Prompt(question).query() or phrase(rng, 2)
    if name == "web_search":
        return {"query": topic if turn == 0 else f"{topic} {phrase(rng, 1)}"}
    if name == "web_fetch":
        url = re.search(r"https?://\S+", question)
        return {"url": url.group().rstrip(".,)") if url else "https://example.com/"}
    return {"command": f"echo {json.dumps(topic)} | wc -w"}


def _server_result(rng: random.Random, use: JSONObject) -> JSONObject:
    name = str(use.get("name"))
    tool_input = cast("JSONObject", use.get("input") or {})
    ident = str(use.get("id"))
    if name == "web_search":
        query = str(tool_input.get("query") or "results")
        slug = "-".join(re.findall(r"[a-z0-9]+", query.lower())[:5]) or "page"
        results: list[JSONObject] = [
            {
                "type": "web_search_result",
                "title": f"{query.title()}: {title}",
                "url": f"https://{site}/{slug}",
                "encrypted_content": base64.b64encode(rng.randbytes(96)).decode(),
                "page_age": f"{rng.randint(1, 23)} hours ago",
            }
            for site, title in (("example.com", "an overview"), ("example.org", "latest news"))
        ]
        return {"type": "web_search_tool_result", "tool_use_id": ident, "content": results}
    if name == "web_fetch":
        url = str(tool_input.get("url") or "https://example.com/")
        document = {
            "type": "document",
            "source": {"type": "text", "media_type": "text/plain", "data": sentences(rng, 40)},
            "title": phrase(rng, 2).title(),
        }
        content = {"type": "web_fetch_result", "url": url, "content": document}
        return {"type": "web_fetch_tool_result", "tool_use_id": ident, "content": content}
    result: JSONObject = {
        "type": "bash_code_execution_result",
        "stdout": f"{rng.randint(2, 9)}\n",
        "stderr": "",
        "return_code": 0,
        "content": [],
    }
    return {"type": "bash_code_execution_tool_result", "tool_use_id": ident, "content": result}


def _pending_server_call(messages: list[JSONObject]) -> tuple[JSONObject | None, int]:
    """The server call a paused turn left without a result, and how many pauses came before."""
    trailing: list[JSONObject] = []
    for message in reversed(messages):
        if message.get("role") != "assistant":
            break
        trailing[:0] = _content(message)
    uses = [b for b in trailing if b.get("type") == "server_tool_use"]
    answered = {str(b.get("tool_use_id")) for b in trailing if "tool_use_id" in b}
    open_uses = [b for b in uses if str(b.get("id")) not in answered]
    return (open_uses[-1] if open_uses else None), len(uses)


def _pauses(options: Mapping[str, Any]) -> int:
    value = options.get("pause_turn", 0)
    return 1 if value is True else int(value or 0)


def _plan(
    body: Mapping[str, Any], rng: random.Random, options: Mapping[str, Any]
) -> tuple[list[_Block], str | None]:
    """Plan the blocks of the answer and, when the blocks don't tell it, its stop reason."""
    blocks: list[_Block] = []
    messages = cast("list[JSONObject]", body.get("messages") or [])
    echo = " ".join(last_user_text(body).split()[:24])
    thinking = cast("JSONObject", body.get("thinking") or {})
    if thinking.get("type") in ("enabled", "adaptive"):
        # Thinking always fits, as the API guarantees: budget_tokens < max_tokens.
        budget = min(int(thinking.get("budget_tokens") or 64), int(body["max_tokens"]) - 1)
        count = int(options.get("thinking_tokens", rng.randint(16, 64)))
        text = reasoning(rng, max(1, count), echo)
        blocks.append(_thinking_block(rng, tokenize(text)[: max(1, min(count, budget))]))
    question = _question(messages)
    server = _server_tool(body)
    pending, paused = _pending_server_call(messages)
    if pending is not None:  # continue a paused turn: the result first, then go on
        blocks.append(_whole_block(_server_result(rng, pending)))
        if server is not None and paused < _pauses(options):
            tool_input = _server_input(str(pending.get("name")), question, rng, paused)
            name = str(pending.get("name"))
            blocks.append(
                _tool_block(rng, name, tool_input, kind="server_tool_use", prefix="srvtoolu_01")
            )
            return blocks, "pause_turn"
        query = str(cast("JSONObject", pending.get("input") or {}).get("query") or question)
        lead = f'Based on what I found about "{" ".join(query.split()[:12])}": '
        blocks.append(_text_block(rng, tokenize(lead + _sentences(rng, rng.randint(24, 64)))))
        return blocks, None
    if server is not None and _pauses(options) > 0 and messages[-1].get("role") == "user":
        if options.get("preface", True):
            blocks.append(_text_block(rng, tokenize(_SERVER_PREFACE[server])))
        tool_input = _server_input(server, question, rng, 0)
        blocks.append(
            _tool_block(rng, server, tool_input, kind="server_tool_use", prefix="srvtoolu_01")
        )
        return blocks, "pause_turn"
    calls = _calls(body, rng, options)
    if calls:
        forced = cast("JSONObject", body.get("tool_choice") or {}).get("type") in ("any", "tool")
        if not forced and options.get("preface", True):
            names = list(dict.fromkeys(name for name, _ in calls))
            if len(names) == 1:
                preface = f"I'll use the {names[0]} tool."
            else:
                preface = f"I'll use the {', '.join(names[:-1])} and {names[-1]} tools."
            blocks.append(_text_block(rng, tokenize(preface)))
        blocks.extend(_tool_block(rng, name, tool_input) for name, tool_input in calls)
        return blocks, None
    schema = _output_schema(body)
    if schema is not None and "text" not in options:
        known = _known(messages)
        blocks.append(_json_block(rng, fit(schema, rng, Prompt(question, known=known))))
        return blocks, None
    outcomes = _outcomes(messages)
    if "text" in options:
        text = str(options["text"])
    elif outcomes:
        text = answer_from_results(rng, outcomes)
    else:
        count = int(options.get("tokens", rng.randint(24, 96)))
        lead = f'You said: "{echo}". ' if echo else ""
        text = (lead + _sentences(rng, count)) if count > 0 else ""
        text = "".join(tokenize(text)[:count]) if "tokens" in options else text
    blocks.append(_text_block(rng, tokenize(text)))
    return blocks, None


_SERVER_PREFACE = {
    "web_search": "I'll search the web for that.",
    "web_fetch": "I'll fetch that page.",
    "bash_code_execution": "I'll run some code to work that out.",
}


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
        elif block.final["type"] in ("tool_use", "server_tool_use"):
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
            ``input``, ``tool_calls``, ``preface``, ``pause_turn`` and ``programmatic`` shape
            the message (see the package docstring).
        padding: whether data lines get the API's random trailing spaces.
    """
    # "stream" is left out so that the streamed and the unstreamed answers are the same message.
    prompt = {key: value for key, value in body.items() if key != "stream"}
    # Keys sorted: a threaded request, expanded, hashes as the same history sent whole.
    canonical = json.dumps(prompt, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    digest = hashlib.sha256(f"{seed}:{canonical}".encode()).digest()
    rng = random.Random(digest)
    pad = random.Random(digest[::-1]) if padding else None
    planned, reason = _plan(body, rng, options)
    blocks, cut = _truncate(planned, int(body["max_tokens"]))
    uses_tool = any(b.final["type"] == "tool_use" for b in blocks)
    stop_reason = "max_tokens" if cut else reason or ("tool_use" if uses_tool else "end_turn")
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
    searches = sum(
        b.final.get("name") == "web_search" for b in blocks if b.final["type"] == "server_tool_use"
    )
    fetches = sum(
        b.final.get("name") == "web_fetch" for b in blocks if b.final["type"] == "server_tool_use"
    )
    if options.get("programmatic") and uses_tool and not cut:
        return _programmatic(message, blocks, rng, usage | {"output_tokens": output}, pad)
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
    if searches or fetches:
        server_use = {"web_search_requests": searches, "web_fetch_requests": fetches}
        final_usage["server_tool_use"] = server_use
        usage = {**usage, "server_tool_use": server_use}
    delta = {"stop_reason": stop_reason, "stop_sequence": None}
    events.append(frame({"type": "message_delta", "delta": delta, "usage": final_usage}, rng=pad))
    events.append(frame({"type": "message_stop"}, rng=pad))
    whole = {**message, **delta, "content": [b.final for b in blocks]}
    whole["usage"] = {**usage, "output_tokens": output}
    return Answer(events, whole)


def _programmatic(
    message: JSONObject,
    blocks: list[_Block],
    rng: random.Random,
    usage: JSONObject,
    pad: random.Random | None,
) -> Answer:
    """Programmatic tool calling: the calls arrive whole in ``message_start``, then the end.

    The shape the API sends when code running in its sandbox calls the client's tools: the
    ``tool_use`` blocks carry a ``caller`` naming the code-execution call, the message has its
    ``container`` and ``stop_reason`` already, and no block event, ``ping`` or
    ``message_delta`` follows before ``message_stop``.
    """
    caller = {"type": "code_execution_20250825", "tool_id": _ident(rng, "srvtoolu_01")}
    content = [{**b.final, "caller": caller} for b in blocks if b.final["type"] == "tool_use"]
    container = {
        "id": "container_011C" + "".join(rng.choice(_BASE62) for _ in range(20)),
        "expires_at": "2030-01-01T00:00:00.000000Z",
    }
    whole: JSONObject = {
        **message,
        "content": content,
        "container": container,
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": usage,
    }
    events = [
        frame({"type": "message_start", "message": whole}, rng=pad),
        frame({"type": "message_stop"}, rng=pad),
    ]
    return Answer(events, whole)
