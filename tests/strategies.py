"""Hypothesis strategies for valid Messages API streams, as bytes, with their final message.

:func:`message_streams` draws a whole ``POST /v1/messages`` streaming response body the way
the API sends it (``message_start``, content blocks of every common kind, ``message_delta``,
``message_stop``, pings anywhere in between, LF or CRLF framing, the API's whitespace padding
inside data lines) and returns it with the message JSON it must accumulate to. Tool input is
JSON text written by our own serializer (random escapes, number spellings and whitespace) and
cut into ``input_json_delta`` fragments at any character, inside escapes, ``\\uXXXX``
sequences and numbers included. :func:`chunkings` cuts the bytes into network reads.

Everything is drawn through hypothesis (no hidden randomness), so examples shrink and
replay.
"""

from __future__ import annotations

import json
import random
import string
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

__all__ = [
    "GeneratedStream",
    "chunkings",
    "json_documents",
    "json_objects",
    "message_streams",
    "split_text",
    "streams_and_chunkings",
    "unicode_texts",
]

# --------------------------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------------------------

#: Pieces that break naive code: JSON escapes, line separators that ``str.splitlines`` cuts
#: on, astral characters (surrogate pairs once escaped), a ZWJ sequence, a BOM, NUL.
SPECIAL_PIECES = (
    "😀",
    "👩‍💻",
    "𝄞",
    "\u2028",
    "\u2029",
    "\u0085",
    "\x1c",
    '"',
    "\\",
    "\\n",
    "\\u0041",
    "/",
    "\n",
    "\r",
    "\r\n",
    "\n\n",
    "\t",
    "\x00",
    "\x1f",
    "\x7f",
    "é",
    "中文",
    "\ufeff",
    "data: ",
    "event: x\n\n",
    " ",
)

_chars = st.characters(codec="utf-8")  # any code point but surrogates

unicode_texts = st.lists(
    st.one_of(st.sampled_from(SPECIAL_PIECES), st.text(_chars, max_size=8)), max_size=8
).map("".join)
"""Random unicode text, biased towards emoji, U+2028, quotes, backslashes and newlines."""

_short_ascii = st.text(string.ascii_letters + string.digits, min_size=1, max_size=24)


@st.composite
def split_text(draw: st.DrawFn, text: str, *, max_cuts: int = 12) -> list[str]:
    """Cut *text* at random character positions; repeated cuts give empty pieces."""
    if draw(st.integers(0, 9)) == 0 and len(text) <= 400:
        cuts = list(range(len(text) + 1))  # one character per piece, plus a leading ""
    else:
        cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=max_cuts)))
    pieces: list[str] = []
    start = 0
    for cut in cuts:
        pieces.append(text[start:cut])
        start = cut
    pieces.append(text[start:])
    return pieces


# --------------------------------------------------------------------------------------------
# JSON text with its value: our own serializer, so escapes and number spellings vary
# --------------------------------------------------------------------------------------------

_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r"}
_SHORT_ESCAPES["\t"] = "\\t"


def _u_escape(code: int, upper: bool) -> str:
    text = f"\\u{code:04x}"
    return text.upper().replace("\\U", "\\u") if upper else text


def encode_json_string(value: str, seed: int) -> str:
    """A JSON string literal for *value*, each character written raw or escaped at random."""
    rng = random.Random(seed)
    out = ['"']
    for ch in value:
        code = ord(ch)
        roll = rng.random()
        if ch in _SHORT_ESCAPES and roll < 0.7:
            out.append(_SHORT_ESCAPES[ch])
        elif code < 0x20 or ch in '"\\' or roll < 0.15:
            if code > 0xFFFF:  # astral: a surrogate pair
                code -= 0x10000
                out.append(_u_escape(0xD800 + (code >> 10), rng.random() < 0.5))
                out.append(_u_escape(0xDC00 + (code & 0x3FF), rng.random() < 0.5))
            else:
                out.append(_u_escape(code, rng.random() < 0.5))
        elif ch == "/" and roll < 0.5:
            out.append("\\/")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


json_strings = st.builds(
    lambda text, seed: (encode_json_string(text, seed), text),
    unicode_texts,
    st.integers(0, 2**32 - 1),
)
"""``(json_text, value)`` for a JSON string."""


@st.composite
def _spelled_numbers(draw: st.DrawFn) -> tuple[str, int | float]:
    """A JSON number in any legal spelling (signs, fractions, ``e``/``E`` exponents)."""
    sign = draw(st.sampled_from(["", "", "-"]))
    int_part = draw(st.one_of(st.just("0"), st.from_regex(r"[1-9][0-9]{0,12}", fullmatch=True)))
    frac = draw(st.one_of(st.just(""), st.from_regex(r"\.[0-9]{1,8}", fullmatch=True)))
    exp = draw(
        st.one_of(
            st.just(""),
            st.builds(
                lambda e, s, n: f"{e}{s}{n}",
                st.sampled_from(["e", "E"]),
                st.sampled_from(["", "+", "-"]),
                st.integers(0, 250),
            ),
        )
    )
    text = f"{sign}{int_part}{frac}{exp}"
    value: int | float = float(text) if frac or exp else int(text)
    return text, value


json_numbers = st.one_of(
    st.integers(-(10**20), 10**20).map(lambda i: (str(i), i)),
    st.floats(allow_nan=False, allow_infinity=False).map(lambda f: (repr(f), f)),
    _spelled_numbers(),
)
"""``(json_text, value)`` for a JSON number: ints, negatives, floats, exponents."""

_literals = st.sampled_from([("true", True), ("false", False), ("null", None)])

#: JSON whitespace between tokens (none most of the time).
_WS = ("", "", "", "", " ", "  ", "\n", "\t", "\r\n  ")


def _ws(rng: random.Random) -> str:
    return rng.choice(_WS)


def _build_array(items: list[tuple[str, Any]], seed: int) -> tuple[str, list[Any]]:
    rng = random.Random(seed)
    if not items:
        return "[" + _ws(rng) + "]", []
    text = "[" + ",".join(_ws(rng) + t + _ws(rng) for t, _ in items) + "]"
    return text, [v for _, v in items]


def _build_object(
    members: list[tuple[tuple[str, str], tuple[str, Any]]], seed: int
) -> tuple[str, dict[str, Any]]:
    rng = random.Random(seed)
    if not members:
        return "{" + _ws(rng) + "}", {}
    parts = [
        f"{_ws(rng)}{key_text}{_ws(rng)}:{_ws(rng)}{value_text}{_ws(rng)}"
        for (key_text, _), (value_text, _) in members
    ]
    return "{" + ",".join(parts) + "}", {key: value for (_, key), (_, value) in members}


def _arrays(children: st.SearchStrategy[tuple[str, Any]]) -> st.SearchStrategy[tuple[str, Any]]:
    return st.builds(_build_array, st.lists(children, max_size=6), st.integers(0, 2**32 - 1))


def _objects(children: st.SearchStrategy[tuple[str, Any]]) -> st.SearchStrategy[tuple[str, Any]]:
    return st.builds(
        _build_object,
        st.lists(st.tuples(json_strings, children), max_size=6, unique_by=lambda m: m[0][1]),
        st.integers(0, 2**32 - 1),
    )


json_documents = st.recursive(
    st.one_of(_literals, json_numbers, json_strings),
    lambda children: st.one_of(_arrays(children), _objects(children)),
    max_leaves=30,
)
"""``(json_text, value)`` for any JSON document (nested objects and arrays)."""

json_objects = _objects(json_documents)
"""``(json_text, value)`` for a JSON object, what a tool's ``input`` is."""


# --------------------------------------------------------------------------------------------
# Content blocks: each as (wire events for block `index`, the finished block's JSON)
# --------------------------------------------------------------------------------------------

Events = list[dict[str, Any]]


def _start(index: int, block: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_start", "index": index, "content_block": block}


def _delta(index: int, delta: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": delta}


def _stop(index: int) -> dict[str, Any]:
    return {"type": "content_block_stop", "index": index}


_citations = st.one_of(
    st.fixed_dictionaries(
        {
            "type": st.just("web_search_result_location"),
            "cited_text": unicode_texts,
            "url": _short_ascii.map(lambda s: f"https://{s}.example/"),
            "title": unicode_texts,
            "encrypted_index": _short_ascii,
        }
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("char_location"),
            "cited_text": unicode_texts,
            "document_index": st.integers(0, 5),
            "document_title": st.one_of(st.none(), unicode_texts),
            "start_char_index": st.integers(0, 1000),
            "end_char_index": st.integers(0, 1000),
        }
    ),
)


@st.composite
def _text_block(draw: st.DrawFn, index: int) -> tuple[Events, dict[str, Any]]:
    text = draw(unicode_texts)
    with_citations = draw(st.booleans())
    start: dict[str, Any] = {"type": "text", "text": ""}
    final: dict[str, Any] = {"type": "text", "text": text}
    events: Events = []
    if with_citations:
        # Like the API: the block starts with "citations": [] and its citations_delta come
        # before its text.
        cites = draw(st.lists(_citations, min_size=1, max_size=3))
        start["citations"] = []
        final["citations"] = cites
        events += [_delta(index, {"type": "citations_delta", "citation": c}) for c in cites]
    events += [_delta(index, {"type": "text_delta", "text": p}) for p in draw(split_text(text))]
    return [_start(index, start), *events, _stop(index)], final


@st.composite
def _thinking_block(draw: st.DrawFn, index: int) -> tuple[Events, dict[str, Any]]:
    signature = draw(st.text(string.ascii_letters + string.digits + "+/=", max_size=120))
    if draw(st.integers(0, 5)):
        thinking = draw(unicode_texts)
        pieces = draw(split_text(thinking))
    else:  # a signature-only block (display omitted), as the API sends for some models
        thinking, pieces = "", []
    events: Events = [
        _start(index, {"type": "thinking", "thinking": "", "signature": ""}),
        *(_delta(index, {"type": "thinking_delta", "thinking": p}) for p in pieces),
        _delta(index, {"type": "signature_delta", "signature": signature}),
        _stop(index),
    ]
    return events, {"type": "thinking", "thinking": thinking, "signature": signature}


@st.composite
def _redacted_thinking_block(draw: st.DrawFn, index: int) -> tuple[Events, dict[str, Any]]:
    block = {"type": "redacted_thinking", "data": draw(_short_ascii)}
    return [_start(index, block), _stop(index)], block


_TOOL_KINDS = {
    "tool_use": "toolu_",
    "server_tool_use": "srvtoolu_",
    "mcp_tool_use": "mcptoolu_",
}


@st.composite
def _tool_block(draw: st.DrawFn, index: int, kind: str) -> tuple[Events, dict[str, Any]]:
    header: dict[str, Any] = {"type": kind, "id": _TOOL_KINDS[kind] + draw(_short_ascii)}
    if kind == "server_tool_use":
        header["name"] = draw(st.sampled_from(["web_search", "web_fetch", "code_execution"]))
    else:
        header["name"] = draw(st.one_of(_short_ascii, unicode_texts.filter(bool)))
    if kind == "mcp_tool_use":
        header["server_name"] = draw(_short_ascii)
    if kind == "tool_use" and draw(st.booleans()):
        header["caller"] = {"type": "direct"}
    json_text, value = draw(json_objects)
    final = {**header, "input": value}
    mode = draw(st.integers(0, 9))
    if mode == 0:
        # The whole input in content_block_start and no delta (programmatic tool calling).
        return [_start(index, final), _stop(index)], final
    if mode == 1:
        # Whole in start, then a lone empty fragment: the input must survive it.
        events = [
            _start(index, final),
            _delta(index, {"type": "input_json_delta", "partial_json": ""}),
            _stop(index),
        ]
        return events, final
    # Like the API: input {} at start, a leading "" fragment, then the JSON text cut anywhere
    # (inside escapes, \uXXXX, numbers and literals included).
    pieces = ["", *draw(split_text(json_text, max_cuts=40))]
    events = [
        _start(index, {**header, "input": {}}),
        *(_delta(index, {"type": "input_json_delta", "partial_json": p}) for p in pieces),
        _stop(index),
    ]
    return events, final


@st.composite
def _web_search_result_block(draw: st.DrawFn, index: int) -> tuple[Events, dict[str, Any]]:
    result = st.fixed_dictionaries(
        {
            "type": st.just("web_search_result"),
            "url": _short_ascii.map(lambda s: f"https://{s}.example/"),
            "title": unicode_texts,
            "encrypted_content": _short_ascii,
            "page_age": st.one_of(st.none(), st.just("2 days ago")),
        }
    )
    block = {
        "type": "web_search_tool_result",
        "tool_use_id": "srvtoolu_" + draw(_short_ascii),
        "content": draw(st.lists(result, max_size=3)),
    }
    return [_start(index, block), _stop(index)], block


@st.composite
def _compaction_block(draw: st.DrawFn, index: int) -> tuple[Events, dict[str, Any]]:
    # Like both real captures: content null at start, one compaction_delta with the summary.
    summary = draw(unicode_texts)
    delta: dict[str, Any] = {"type": "compaction_delta", "content": summary}
    final: dict[str, Any] = {"type": "compaction", "content": summary}
    if draw(st.booleans()):
        delta["encrypted_content"] = final["encrypted_content"] = draw(_short_ascii)
    events = [_start(index, {"type": "compaction", "content": None}), _delta(index, delta)]
    return [*events, _stop(index)], final


BLOCK_KINDS = (
    "text",
    "thinking",
    "redacted_thinking",
    "tool_use",
    "server_tool_use",
    "mcp_tool_use",
    "web_search_tool_result",
    "compaction",
)


def _block(kind: str, index: int) -> st.SearchStrategy[tuple[Events, dict[str, Any]]]:
    if kind == "text":
        return _text_block(index)
    if kind == "thinking":
        return _thinking_block(index)
    if kind == "redacted_thinking":
        return _redacted_thinking_block(index)
    if kind in _TOOL_KINDS:
        return _tool_block(index, kind)
    if kind == "web_search_tool_result":
        return _web_search_result_block(index)
    return _compaction_block(index)


# --------------------------------------------------------------------------------------------
# Whole streams
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GeneratedStream:
    """A generated response body and what it must accumulate to."""

    data: bytes
    """The whole body, as the server sends it."""
    expected: dict[str, Any]
    """The final message JSON (compare after ``sdk_reference.normalize``)."""
    events: tuple[dict[str, Any], ...]
    """The wire events in order, pings included."""
    eol: str
    """The line ending used for framing."""

    @property
    def event_types(self) -> list[str]:
        """The JSON ``type`` of every wire event, in order."""
        return [e["type"] for e in self.events]


_MODELS = ("claude-sonnet-4-6", "claude-opus-4-6", "claude-haiku-4-5-20251001", "claude-fable-5-1")
_STOP_REASONS = ("end_turn", "max_tokens", "stop_sequence", "tool_use", "pause_turn", "refusal")
_tokens = st.integers(0, 200_000)


@st.composite
def _usage_start(draw: st.DrawFn) -> dict[str, Any]:
    usage: dict[str, Any] = {"input_tokens": draw(_tokens), "output_tokens": draw(_tokens)}
    for key in ("cache_creation_input_tokens", "cache_read_input_tokens"):
        if draw(st.booleans()):
            usage[key] = draw(_tokens)
    if draw(st.booleans()):
        usage["service_tier"] = "standard"
    return usage


@st.composite
def _usage_delta(draw: st.DrawFn) -> dict[str, Any]:
    # Cumulative totals: output_tokens always; the others sometimes, sometimes null (which
    # must leave the message_start value alone).
    usage: dict[str, Any] = {"output_tokens": draw(_tokens)}
    for key in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"):
        choice = draw(st.integers(0, 2))
        if choice == 1:
            usage[key] = draw(_tokens)
        elif choice == 2:
            usage[key] = None
    if draw(st.booleans()):
        usage["server_tool_use"] = {"web_search_requests": draw(st.integers(0, 9))}
    return usage


def _merge_usage(start: dict[str, Any], delta: dict[str, Any]) -> dict[str, Any]:
    merged = dict(start)
    merged.update({k: v for k, v in delta.items() if v is not None})
    return merged


def _encode_event(event: dict[str, Any], rng: random.Random, eol: str, data_prefix: str) -> bytes:
    text = json.dumps(
        event,
        ensure_ascii=rng.random() < 0.3,
        separators=rng.choice([(",", ":"), (", ", ": ")]),
    )
    roll = rng.random()
    if roll < 0.4:
        # The API's padding: spaces before the closing brace of the data line's object.
        text = text[:-1] + " " * rng.randint(1, 16) + "}"
    elif roll < 0.5:
        text += " " * rng.randint(1, 4)  # trailing whitespace after the JSON value
    return f"event: {event['type']}{eol}{data_prefix}{text}{eol}{eol}".encode()


@st.composite
def message_streams(
    draw: st.DrawFn,
    *,
    kinds: tuple[str, ...] = BLOCK_KINDS,
    max_blocks: int = 6,
) -> GeneratedStream:
    """A valid Messages API streaming body and its final message."""
    message: dict[str, Any] = {
        "id": "msg_" + draw(_short_ascii),
        "type": "message",
        "role": "assistant",
        "model": draw(st.one_of(st.sampled_from(_MODELS), _short_ascii)),
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": draw(_usage_start()),
    }
    events: Events = []
    expected = json.loads(json.dumps(message))
    if draw(st.integers(0, 19)) == 0:
        # A prefilled message_start (programmatic tool calling): content and stop_reason are
        # already there, then message_stop: no block event, no message_delta.
        _, block = draw(_tool_block(0, "tool_use"))
        message["content"] = expected["content"] = [block]
        message["stop_reason"] = expected["stop_reason"] = "tool_use"
        events.append({"type": "message_start", "message": message})
    else:
        events.append({"type": "message_start", "message": message})
        n_blocks = draw(st.integers(0, max_blocks))
        for index in range(n_blocks):
            block_events, block = draw(_block(draw(st.sampled_from(kinds)), index))
            events += block_events
            expected["content"].append(block)
        stop_reason = draw(st.sampled_from(_STOP_REASONS))
        stop_sequence = draw(unicode_texts) if stop_reason == "stop_sequence" else None
        delta: dict[str, Any] = {"stop_reason": stop_reason}
        if stop_sequence is not None or draw(st.booleans()):
            delta["stop_sequence"] = stop_sequence
        usage = draw(_usage_delta())
        events.append({"type": "message_delta", "delta": delta, "usage": usage})
        expected["stop_reason"] = stop_reason
        expected["stop_sequence"] = stop_sequence
        expected["usage"] = _merge_usage(expected["usage"], usage)
    events.append({"type": "message_stop"})

    # Pings anywhere between message_start and message_stop.
    pings = draw(st.lists(st.integers(1, len(events) - 1), max_size=4))
    for position in sorted(pings, reverse=True):
        events.insert(position, {"type": "ping"})

    eol = draw(st.sampled_from(["\n", "\r\n"]))
    data_prefix = draw(st.sampled_from(["data: ", "data: ", "data:"]))
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    data = b"".join(_encode_event(e, rng, eol, data_prefix) for e in events)
    return GeneratedStream(data=data, expected=expected, events=tuple(events), eol=eol)


@st.composite
def chunkings(draw: st.DrawFn, data: bytes, *, allow_empty: bool = True) -> list[bytes]:
    """*data* cut into network reads at random byte positions (inside UTF-8 sequences too)."""
    mode = draw(st.integers(0, 9))
    if mode == 0:
        size = draw(st.integers(1, 8))
        return [data[i : i + size] for i in range(0, len(data), size)] or [b""]
    if mode == 1:
        return [data]
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=64)))
    chunks = []
    start = 0
    for cut in cuts:
        if allow_empty or cut > start:
            chunks.append(data[start:cut])
        start = cut
    chunks.append(data[start:])
    return chunks


@st.composite
def streams_and_chunkings(
    draw: st.DrawFn, *, n_chunkings: int = 1
) -> tuple[GeneratedStream, list[list[bytes]]]:
    """A generated stream with *n_chunkings* independent chunkings of its bytes."""
    stream = draw(message_streams())
    return stream, [draw(chunkings(stream.data)) for _ in range(n_chunkings)]
