"""Pure edits of an event list: the byte-level faults of F10-F17 and F19, without any I/O.

Each function takes the normal answer's events (generated or replayed) and returns what the
faulty server writes instead. Positions count ``content_block_delta`` events: ``after=3`` puts
the fault right before the fourth delta, so the client has received three.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

from ._generate import WORDS
from ._wire import Event, JSONObject, dumps, frame, payload_of

__all__ = [
    "BOM",
    "block_at",
    "corrupt_utf8",
    "cut_index",
    "error_event",
    "huge",
    "malformed",
    "protocol_violation",
    "reframe",
    "split_after_cr",
    "truncate",
    "unknown_event",
    "unknown_types",
]

BOM = b"\xef\xbb\xbf"


def cut_index(events: list[Event], after: int) -> int:
    """Return the index of the delta after *after* deltas, or of the end when there are fewer.

    "The end" is the ``message_delta`` (or the last event), so the fault still comes before
    the message is complete.
    """
    seen = 0
    for i, event in enumerate(events):
        if event.is_delta:
            if seen == after:
                return i
            seen += 1
    ends = [i for i, e in enumerate(events) if e.type in ("message_delta", "message_stop")]
    return ends[0] if ends else len(events)


def block_at(events: list[Event], i: int) -> int:
    """Return the content-block index in force at event *i* (0 when there is none)."""
    for event in reversed(events[: i + 1]):
        payload = payload_of(event.raw)
        if payload is not None and isinstance(payload.get("index"), int):
            return int(payload["index"])
    return 0


def error_event(error_type: str = "overloaded_error", message: str = "Overloaded") -> Event:
    """Return an ``event: error`` as the API sends it mid-stream (its JSON has spaces)."""
    data = json.dumps({"type": "error", "error": {"type": error_type, "message": message}})
    return Event("error", f"event: error\ndata: {data}\n\n".encode())


def truncate(events: list[Event], variant: str, at: int | None = None) -> list[Event]:
    """F10: end inside an event: cut in its data line, or drop its blank line.

    Args:
        events: the normal events.
        variant: ``"mid-line"`` ends inside the ``data:`` line; ``"no-blank"`` ends after it.
        at: the index of the event to cut, and the last one written; default the last event.
    """
    at = len(events) - 1 if at is None else at
    body = events[at].raw.rstrip(b"\r\n")
    if variant == "no-blank":
        tail = body + b"\n"
    else:
        data = max(body.rfind(b"data:"), 0)
        tail = body[: data + (len(body) - data) // 2]
    return [*events[:at], Event(events[at].type, tail)]


def malformed(events: list[Event], at: int, *, keep_rest: bool = True) -> list[Event]:
    """F11: insert a well-framed event whose JSON stops in the middle of a string."""
    index = block_at(events, at)
    raw = (
        'event: content_block_delta\ndata: {"type": "content_block_delta", "index": '
        f'{index}, "delta": {{"type": "text_delta", "text": "Hel\n\n'
    ).encode()
    return [*events[:at], Event("content_block_delta", raw), *(events[at:] if keep_rest else [])]


def unknown_event(events: list[Event], at: int) -> list[Event]:
    """F12: insert a ``content_block_annotation`` event, a type no client knows."""
    payload = {
        "type": "content_block_annotation",
        "index": block_at(events, at),
        "annotation": {"type": "emulated", "text": "an event type from the future"},
    }
    return [*events[:at], frame(payload), *events[at:]]


def unknown_types(events: list[Event], at: int, variant: str = "both") -> list[Event]:
    """F13: insert a ``foo_delta`` into a known block and/or a whole ``foo_block``."""
    out = list(events)
    if variant in ("block", "both"):
        starts = sum(1 for e in events if e.type == "content_block_start")
        end = cut_index(events, len(events))  # the message_delta: new blocks go before it
        block: JSONObject = {"type": "foo_block", "foo": {"bar": 1}}
        out[end:end] = [
            frame({"type": "content_block_start", "index": starts, "content_block": block}),
            frame(
                {
                    "type": "content_block_delta",
                    "index": starts,
                    "delta": {"type": "foo_delta", "foo": "x"},
                }
            ),
            frame({"type": "content_block_stop", "index": starts}),
        ]
    if variant in ("delta", "both"):
        delta = {"type": "foo_delta", "foo": "bar"}
        out.insert(
            at,
            frame({"type": "content_block_delta", "index": block_at(events, at), "delta": delta}),
        )
    return out


def protocol_violation(events: list[Event], at: int, variant: str = "index") -> list[Event]:
    """F14: break the event grammar in one of five ways.

    Variants: ``"index"`` (a delta for block 7, never started), ``"double-stop"`` (the first
    ``content_block_stop`` twice), ``"second-start"`` (``message_start`` again mid-stream),
    ``"after-stop"`` (a delta and a second ``message_stop`` after ``message_stop``) and
    ``"no-start"`` (no ``message_start`` at all).
    """
    out = list(events)
    if variant == "double-stop":
        first = next((i for i, e in enumerate(out) if e.type == "content_block_stop"), None)
        if first is not None:
            out.insert(first + 1, out[first])
    elif variant == "second-start":
        out.insert(at, out[0])
    elif variant == "after-stop":
        delta = next((e for e in out if e.is_delta), frame({"type": "ping"}))
        out.extend([delta, out[-1]])
    elif variant == "no-start":
        out = [e for e in out if e.type != "message_start"]
    else:
        orphan = {"type": "text_delta", "text": "orphan"}
        out.insert(
            at, frame({"type": "content_block_delta", "index": 7, "delta": orphan}, tokens=1)
        )
    return out


def _filler(size: int) -> str:
    """Return *size* ASCII characters of lorem text (so byte and character counts agree)."""
    unit = " ".join(WORDS) + " "
    return (unit * (size // len(unit) + 1))[:size]


def huge(events: list[Event], at: int, size: int, kind: str = "text") -> tuple[list[Event], str]:
    """F15: insert one event carrying *size* bytes; return the events and the SHA-256 of them.

    ``kind="text"`` adds one ``text_delta`` to the block in force; ``kind="json"`` adds a
    ``tool_use`` block whose input arrives as one ``input_json_delta``. The digest is of the
    delta's text (or ``partial_json``) encoded as UTF-8.
    """
    if kind == "json":
        text = dumps({"data": _filler(max(0, size - 12))})
        index = sum(1 for e in events if e.type == "content_block_start")
        block: JSONObject = {
            "type": "tool_use",
            "id": "toolu_01HugeHugeHugeHugeHuge",
            "name": "huge",
            "input": {},
        }
        end = cut_index(events, len(events))
        delta = {"type": "input_json_delta", "partial_json": text}
        inserted = [
            frame({"type": "content_block_start", "index": index, "content_block": block}),
            frame({"type": "content_block_delta", "index": index, "delta": delta}),
            frame({"type": "content_block_stop", "index": index}),
        ]
        out = [*events[:end], *inserted, *events[end:]]
    else:
        text = _filler(size)
        delta = {"type": "text_delta", "text": text}
        out = [
            *events[:at],
            frame({"type": "content_block_delta", "index": block_at(events, at), "delta": delta}),
            *events[at:],
        ]
    return out, hashlib.sha256(text.encode()).hexdigest()


def _string_value(raw: bytes, key: bytes) -> tuple[int, int] | None:
    """Return the byte span of the JSON string after ``"key":"`` in *raw*, or ``None``."""
    marker = b'"' + key + b'":"'
    start = raw.find(marker)
    if start < 0:
        return None
    start += len(marker)
    i = start
    while i < len(raw) and raw[i] != 0x22:  # the closing quote; skip escaped characters
        i += 2 if raw[i] == 0x5C else 1
    return start, i


def corrupt_utf8(events: list[Event], at: int, variant: str = "invalid") -> list[Event]:
    """F17: put bad UTF-8 into the text of the delta at *at*, or a BOM before the stream.

    Variants: ``"invalid"`` inserts ``\\xff`` at the start of the delta's text; ``"truncated"``
    ends its text with the first two bytes of a three-byte character; ``"bom"`` writes a
    UTF-8 byte order mark before ``event: message_start``.
    """
    out = list(events)
    if variant == "bom":
        out[0] = Event(out[0].type, BOM + out[0].raw, out[0].tokens)
        return out
    for i in range(at, len(out)):
        span = _string_value(out[i].raw, b"text") or _string_value(out[i].raw, b"partial_json")
        if span is None:
            continue
        start, end = span
        raw = out[i].raw
        raw = (
            raw[:start] + b"\xff" + raw[start:]
            if variant == "invalid"
            else raw[:end] + b"\xe2\x82" + raw[end:]
        )
        out[i] = Event(out[i].type, raw, out[i].tokens)
        break
    return out


def reframe(raw: bytes, variant: str = "crlf") -> bytes:
    """F19: rewrite LF line endings as CRLF or as a lone CR."""
    return raw.replace(b"\n", b"\r\n" if variant == "crlf" else b"\r")


def split_after_cr(raw: bytes) -> Iterator[bytes]:
    """Cut *raw* right after every CR, so each CR and the LF after it go in separate writes."""
    start = 0
    for i, byte in enumerate(raw):
        if byte == 0x0D:
            yield raw[start : i + 1]
            start = i + 1
    if start < len(raw):
        yield raw[start:]
