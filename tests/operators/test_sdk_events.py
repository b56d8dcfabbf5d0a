"""`sdk_events`, `signatures`, `compactions` and `content_blocks(indexed=True)`.

`sdk_events` is held to the official SDK's (beta) ``MessageStream`` events on the same
bytes: the same sequence of types, equal in content (as JSON, ``None`` and a missing key the
same), on every real recording and on a synthetic stream of each delta kind.
"""

from __future__ import annotations

from typing import Any

import pytest

import anthropic_rx as arx
from anthropic_rx.events import CompactionBlock
from anthropic_rx.operators import (
    BlockStopEvent,
    MessageCompleteEvent,
    TextEvent,
    compactions,
    content_blocks,
    sdk_events,
    signatures,
)

from ..conftest import read_recording, real_recording_names
from ..events_helpers import block_start, delta, encode, message_delta, message_start, stop
from ..sdk_reference import normalize, sdk_client, sdk_stream

CUT = "sdkpy-max-tokens-truncated-tool-json.sse"  # ours is a ToolInputError there
RECORDINGS = [n for n in real_recording_names() if n != CUT]
MESSAGE_STOP = {"type": "message_stop"}


def theirs(data: bytes) -> list[Any]:
    client = sdk_client(data)
    with client, sdk_stream(client, beta=True) as stream:
        return [normalize(e.to_dict(mode="json", warnings=False)) for e in stream]


def ours(data: bytes) -> list[Any]:
    events = arx.from_bytes(data).pipe(sdk_events(), _to_list()).run()
    return [normalize(e.model_dump(mode="json", by_alias=True)) for e in events]


def _to_list() -> Any:
    from reactivex import operators as ops

    return ops.to_list()


def drop_last_number(value: Any) -> Any:
    """*value* without its last key or item when that is a number (cut mid-number)."""
    if isinstance(value, dict) and value:
        *keep, (key, last) = value.items()
        if isinstance(last, int | float) and not isinstance(last, bool):
            return dict(keep)
        return {**dict(keep), key: drop_last_number(last)}
    if isinstance(value, list) and value:
        if isinstance(value[-1], int | float) and not isinstance(value[-1], bool):
            return value[:-1]
        return [*value[:-1], drop_last_number(value[-1])]
    return value


def assert_same_events(data: bytes) -> None:
    mine, sdk = ours(data), theirs(data)
    assert [e["type"] for e in mine] == [e["type"] for e in sdk]
    buffers: dict[int, str] = {}
    for i, (a, b) in enumerate(zip(mine, sdk, strict=True)):
        if a["type"] == "content_block_delta" and a["delta"]["type"] == "input_json_delta":
            index = a["index"]
            buffers[index] = buffers.get(index, "") + a["delta"]["partial_json"]
            last = index
        if a != b and a["type"] == "input_json" and buffers[last].rstrip()[-1:].isdigit():
            # The one known difference (research/anthropic-streaming.md 1.7): input cut
            # inside a number: the SDK keeps a number that may still grow; ours drops it.
            assert a == {**b, "snapshot": drop_last_number(b["snapshot"])}, f"event {i}"
            continue
        assert a == b, f"event {i} ({a['type']})"


@pytest.mark.parametrize("name", RECORDINGS)
def test_sdk_events_equal_the_sdks_on_every_real_recording(name: str) -> None:
    assert_same_events(read_recording(name))


SYNTHETIC = {
    "text and citations": [
        block_start(0, type="text", text=""),
        delta(
            0,
            type="citations_delta",
            citation={
                "type": "char_location",
                "cited_text": "x",
                "document_index": 0,
                "start_char_index": 0,
                "end_char_index": 1,
            },
        ),
        delta(0, type="text_delta", text="Hel"),
        delta(0, type="text_delta", text="lo"),
        stop(0),
    ],
    "thinking and signature": [
        block_start(0, type="thinking", thinking="", signature=""),
        delta(0, type="thinking_delta", thinking="Hm"),
        delta(0, type="signature_delta", signature="sig=="),
        stop(0),
    ],
    "tool input": [
        block_start(0, type="tool_use", id="t1", name="get", input={}),
        delta(0, type="input_json_delta", partial_json='{"city": "Par'),
        delta(0, type="input_json_delta", partial_json='is", "n": [1, 2]}'),
        stop(0),
    ],
    "compaction": [
        block_start(0, type="compaction", content=None),
        delta(0, type="compaction_delta", content="summary", encrypted_content="enc"),
        stop(0),
    ],
}


@pytest.mark.parametrize("kind", sorted(SYNTHETIC))
def test_sdk_events_equal_the_sdks_on_each_delta_kind(kind: str) -> None:
    data = encode([message_start(), *SYNTHETIC[kind], message_delta(), MESSAGE_STOP])
    assert_same_events(data)


def test_sdk_events_carry_the_snapshot_the_block_and_the_message() -> None:
    data = encode(
        [message_start(), *SYNTHETIC["text and citations"], message_delta(), MESSAGE_STOP]
    )
    events = arx.from_bytes(data).pipe(sdk_events(), _to_list()).run()
    texts = [e for e in events if isinstance(e, TextEvent)]
    assert [(t.text, t.snapshot) for t in texts] == [("Hel", "Hel"), ("lo", "Hello")]
    (stop_event,) = [e for e in events if isinstance(e, BlockStopEvent)]
    assert stop_event.content_block.model_dump()["text"] == "Hello"
    assert isinstance(events[-1], MessageCompleteEvent)
    assert events[-1].message == arx.from_bytes(data).pipe(arx.operators.final_message()).run()


def test_signatures_and_compactions_emit_what_must_be_sent_back() -> None:
    data = encode(
        [
            message_start(),
            *SYNTHETIC["thinking and signature"],
            *[{**e, "index": 1} if "index" in e else e for e in SYNTHETIC["compaction"]],
            message_delta(),
            MESSAGE_STOP,
        ]
    )
    events = arx.from_bytes(data)
    assert events.pipe(signatures()).run() == "sig=="
    block = events.pipe(compactions()).run()
    assert isinstance(block, CompactionBlock) and block.content == "summary"


def test_compactions_of_a_whole_block_in_message_start() -> None:
    start = message_start(content=[{"type": "compaction", "content": "early"}])
    data = encode([start, message_delta(), MESSAGE_STOP])
    assert arx.from_bytes(data).pipe(compactions()).run().content == "early"


def test_content_blocks_indexed_gives_each_blocks_position_and_plain_stays_as_it_was() -> None:
    data = encode(
        [
            message_start(content=[{"type": "text", "text": "whole"}]),
            *[{**e, "index": 1} if "index" in e else e for e in SYNTHETIC["tool input"]],
            message_delta(),
            MESSAGE_STOP,
        ]
    )
    events = arx.from_bytes(data)
    indexed = events.pipe(content_blocks(indexed=True), _to_list()).run()
    assert [(i, b.type) for i, b in indexed] == [(0, "text"), (1, "tool_use")]
    plain = events.pipe(content_blocks(), _to_list()).run()
    assert [b.type for b in plain] == ["text", "tool_use"]
