"""Attribute access on our messages against the official SDK's, field by field, at any depth.

For each real recording and for a synthetic stream of every block type the SDK knows, the
SDK's (beta) final message is walked through its declared fields; every value it has is read
by the same attribute path on ours and must be equal (a ``datetime`` too). Also: our
`Message` to the SDK's and back, equal by value.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from pydantic import BaseModel

import anthropic_rx as arx
from anthropic_rx.events import Container, WireObject
from anthropic_rx.operators import final_message
from tests.conftest import read_recording, real_recording_names
from tests.events_helpers import block_start, encode, message_start, stop
from tests.sdk_reference import normalize, sdk_client, sdk_stream

#: The real recording whose tool input is cut by max_tokens: ours is an error there.
CUT = "sdkpy-max-tokens-truncated-tool-json.sse"
RECORDINGS = [n for n in real_recording_names() if n != CUT]

USAGE = {
    "input_tokens": 10,
    "output_tokens": 1,
    "cache_creation_input_tokens": 5,
    "cache_read_input_tokens": 0,
    "cache_creation": {"ephemeral_5m_input_tokens": 5, "ephemeral_1h_input_tokens": 0},
    "server_tool_use": {"web_search_requests": 1, "web_fetch_requests": 2},
    "service_tier": "standard",
}
CONTAINER = {"id": "container_1", "expires_at": "2026-04-24T11:13:36.730129Z"}

#: One block of each type the SDK's beta client knows, as the API sends it whole.
BLOCKS: dict[str, dict[str, Any]] = {
    "text": {"type": "text", "text": "hi"},
    "thinking": {"type": "thinking", "thinking": "hm", "signature": "sig"},
    "redacted_thinking": {"type": "redacted_thinking", "data": "xyz"},
    "tool_use": {
        "type": "tool_use",
        "id": "toolu_1",
        "name": "get",
        "input": {"a": 1},
        "caller": {"type": "direct"},
    },
    "server_tool_use": {
        "type": "server_tool_use",
        "id": "srvtoolu_1",
        "name": "web_search",
        "input": {"query": "q"},
    },
    "mcp_tool_use": {
        "type": "mcp_tool_use",
        "id": "mcptoolu_1",
        "name": "echo",
        "server_name": "srv",
        "input": {"x": "y"},
    },
    "mcp_tool_result": {
        "type": "mcp_tool_result",
        "tool_use_id": "mcptoolu_1",
        "is_error": False,
        "content": [{"type": "text", "text": "echoed"}],
    },
    "web_search_tool_result": {
        "type": "web_search_tool_result",
        "tool_use_id": "srvtoolu_1",
        "content": [
            {
                "type": "web_search_result",
                "url": "https://example.com",
                "title": "Example",
                "encrypted_content": "enc",
                "page_age": "1 day",
            }
        ],
    },
    "web_fetch_tool_result": {
        "type": "web_fetch_tool_result",
        "tool_use_id": "srvtoolu_2",
        "content": {
            "type": "web_fetch_result",
            "url": "https://example.com",
            "retrieved_at": "2026-01-01T00:00:00Z",
            "content": {
                "type": "document",
                "title": "Example",
                "source": {"type": "text", "media_type": "text/plain", "data": "page"},
            },
        },
    },
    "code_execution_tool_result": {
        "type": "code_execution_tool_result",
        "tool_use_id": "srvtoolu_3",
        "content": {
            "type": "code_execution_result",
            "stdout": "4\n",
            "stderr": "",
            "return_code": 0,
            "content": [{"type": "code_execution_output", "file_id": "file_1"}],
        },
    },
    "bash_code_execution_tool_result": {
        "type": "bash_code_execution_tool_result",
        "tool_use_id": "srvtoolu_4",
        "content": {
            "type": "bash_code_execution_result",
            "stdout": "ok",
            "stderr": "",
            "return_code": 0,
            "content": [{"type": "bash_code_execution_output", "file_id": "file_2"}],
        },
    },
    "text_editor_code_execution_tool_result": {
        "type": "text_editor_code_execution_tool_result",
        "tool_use_id": "srvtoolu_5",
        "content": {
            "type": "text_editor_code_execution_view_result",
            "content": "print(1)",
            "file_type": "text",
            "num_lines": 1,
            "start_line": 1,
            "total_lines": 1,
        },
    },
    "tool_search_tool_result": {
        "type": "tool_search_tool_result",
        "tool_use_id": "srvtoolu_6",
        "content": {
            "type": "tool_search_tool_search_result",
            "tool_references": [{"type": "tool_reference", "tool_name": "get_weather"}],
        },
    },
    "container_upload": {"type": "container_upload", "file_id": "file_3"},
    "advisor_tool_result": {
        "type": "advisor_tool_result",
        "tool_use_id": "srvtoolu_7",
        "content": {"type": "advisor_result", "text": "Consider X", "stop_reason": "end_turn"},
    },
    "fallback": {
        "type": "fallback",
        "from": {"model": "claude-a"},
        "to": {"model": "claude-b"},
        "trigger": {"type": "refusal", "category": "cyber"},
    },
    "compaction": {"type": "compaction", "content": "summary"},
    "mcp_tool_listing": {
        "type": "mcp_tool_listing",
        "mcp_server_name": "srv",
        "tools": [{"name": "echo", "description": "Echo", "input_schema": {"type": "object"}}],
    },
}


def synthetic(block: dict[str, Any]) -> bytes:
    """A whole stream with *block*, the usage and container the SDK types."""
    return encode(
        [
            message_start(usage=USAGE, container=CONTAINER),
            block_start(0, **block),
            stop(0),
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "container": CONTAINER},
                "usage": {"output_tokens": 9, "server_tool_use": USAGE["server_tool_use"]},
            },
            {"type": "message_stop"},
        ]
    )


def sdk_message(data: bytes) -> Any:
    client = sdk_client(data)
    with client, sdk_stream(client, beta=True) as stream:
        return stream.get_final_message()


def mismatches(sdk: Any, ours: Any, path: str = "message") -> list[str]:
    """Every attribute path where the SDK has a value and ours reads differently."""
    if isinstance(sdk, BaseModel):
        found: list[str] = []
        for name in type(sdk).model_fields:
            value = getattr(sdk, name)
            if value is None:
                continue
            try:
                mine = getattr(ours, name)
            except AttributeError:
                found.append(f"{path}.{name}: no such attribute on {type(ours).__name__}")
                continue
            found += mismatches(value, mine, f"{path}.{name}")
        return found
    if isinstance(sdk, list):
        items: list[Any] = sdk
        if not isinstance(ours, list | tuple) or len(ours) != len(items):
            return [f"{path}: {ours!r} is not a list of {len(items)}"]
        return [
            m
            for i, (a, b) in enumerate(zip(items, ours, strict=True))
            for m in mismatches(a, b, f"{path}[{i}]")
        ]
    if isinstance(sdk, dict):  # Dict[str, object] in the SDK too (a tool's input): compare
        return [] if ours == sdk else [f"{path}: {ours!r} != {sdk!r}"]
    return [] if ours == sdk else [f"{path}: {ours!r} != {sdk!r}"]


def as_json(sdk: Any) -> Any:
    return normalize(sdk.to_dict(mode="json", warnings=False))


def ours_of(data: bytes) -> arx.Message:
    return arx.from_bytes(data).pipe(final_message()).run()


@pytest.mark.parametrize("name", RECORDINGS)
def test_every_attribute_the_sdk_reads_reads_the_same_on_a_real_recording(name: str) -> None:
    data = read_recording(name)
    assert mismatches(sdk_message(data), ours_of(data)) == []


@pytest.mark.parametrize("kind", sorted(BLOCKS))
def test_every_attribute_the_sdk_reads_reads_the_same_on_each_block_type(kind: str) -> None:
    data = synthetic(BLOCKS[kind])
    theirs, ours = sdk_message(data), ours_of(data)
    assert type(theirs.content[0]).__name__ != "BaseModel"  # the SDK typed it
    assert mismatches(theirs, ours) == []


def test_nested_fields_are_typed_and_read_by_attribute_at_any_depth() -> None:
    message = ours_of(synthetic(BLOCKS["code_execution_tool_result"]))
    assert message.usage.server_tool_use is not None
    assert message.usage.server_tool_use.web_search_requests == 1
    assert message.usage.cache_creation is not None
    assert message.usage.cache_creation.ephemeral_5m_input_tokens == 5
    assert isinstance(message.container, Container)
    assert message.container.expires_at == datetime.datetime(
        2026, 4, 24, 11, 13, 36, 730129, tzinfo=datetime.UTC
    )
    result = message.content[0]
    assert isinstance(result, arx.events.CodeExecutionToolResultBlock)
    assert isinstance(result.content, WireObject)
    assert result.content.content[0].file_id == "file_1"


def test_nested_objects_still_read_as_the_dicts_of_earlier_versions() -> None:
    message = ours_of(synthetic(BLOCKS["web_search_tool_result"]))
    assert message.container == CONTAINER  # equal to the wire's dict
    assert (
        message.container is not None and message.container["expires_at"] == CONTAINER["expires_at"]
    )
    assert message.usage.server_tool_use == USAGE["server_tool_use"]
    assert "web_search_requests" in message.usage.server_tool_use
    assert message.model_dump(mode="json")["container"] == CONTAINER  # the text, unchanged


def test_unknown_fields_and_types_keep_everything_and_read_by_attribute() -> None:
    block = {"type": "hologram", "frames": [{"at": 1, "pixels": {"r": 2}}]}
    usage = {**USAGE, "new_counter": {"deep": {"er": 3}}}
    data = encode(
        [
            message_start(usage=usage),
            block_start(0, **block),
            stop(0),
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn"},
                "usage": {"output_tokens": 2},
            },
            {"type": "message_stop"},
        ]
    )
    message = ours_of(data)
    unknown: Any = message.content[0]
    assert unknown.frames[0].pixels.r == 2
    assert unknown.model_dump(mode="json") == block
    assert message.usage.new_counter.deep.er == 3
    assert message.usage.model_extra == {"new_counter": {"deep": {"er": 3}}}  # still plain JSON


@pytest.mark.parametrize("beta", [True, False])
@pytest.mark.parametrize("name", RECORDINGS)
def test_a_message_converts_to_the_sdks_and_back_equal_by_value(name: str, beta: bool) -> None:
    data = read_recording(name)
    ours = ours_of(data)
    theirs = arx.to_sdk_message(ours, beta=beta)
    if beta:
        assert as_json(theirs) == as_json(sdk_message(data))
        assert mismatches(theirs, ours) == []
    assert arx.from_sdk_message(theirs) == ours


@pytest.mark.parametrize("kind", sorted(BLOCKS))
def test_each_block_type_converts_to_the_beta_sdks_and_back(kind: str) -> None:
    data = synthetic(BLOCKS[kind])
    ours = ours_of(data)
    theirs = arx.to_sdk_message(ours)
    assert as_json(theirs) == as_json(sdk_message(data))
    assert mismatches(theirs, ours) == []
    assert arx.from_sdk_message(theirs) == ours


def test_from_sdk_message_refuses_what_is_not_a_message() -> None:
    with pytest.raises(TypeError, match="expected an anthropic Message"):
        arx.from_sdk_message({"type": "message"})
