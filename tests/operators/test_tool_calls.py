"""tool_calls(): each finished tool call, input parsed, at its content_block_stop."""

from __future__ import annotations

from typing import Any

import anthropic_rx as arx
from anthropic_rx.events import MCPToolUseBlock, ServerToolUseBlock, ToolUseBlock
from anthropic_rx.operators import tool_calls

from ..events_helpers import (
    MESSAGE_STOP,
    block_start,
    input_json,
    message_delta,
    message_start,
    stop,
    text,
)
from .marbles import OVERLOADED, error_of, expect, run, timeline

CALLS = {
    "S": message_start(),
    "b": block_start(0, type="text", text=""),
    "t": text(0, "Let me look."),
    "B": stop(0),
    "c": block_start(1, type="tool_use", id="toolu_1", name="get_weather", input={}),
    "j": input_json(1, '{"city": "Pa'),
    "k": input_json(1, 'ris"}'),
    "C": stop(1),
    "s": block_start(2, type="server_tool_use", id="srvtoolu_2", name="web_search", input={}),
    "q": input_json(2, '{"query": "rain"}'),
    "Q": stop(2),
    "m": block_start(
        3, type="mcp_tool_use", id="mcptoolu_3", name="ask", server_name="docs", input={}
    ),
    "n": input_json(3, '{"question": "why"}'),
    "N": stop(3),
    "D": message_delta("tool_use"),
    "X": MESSAGE_STOP,
    "E": OVERLOADED,
}


def call(block: Any) -> tuple[str, str, Any]:
    return type(block).__name__, block.id, block.input


def test_tool_calls_marble_emits_each_client_tool_call_at_its_block_stop() -> None:
    """The docstring's diagram: -S-b(tool)-j-j-B-D-X-| gives U at B."""
    source = "-S-b-t-B-c-j-k-C-s-q-Q-m-n-N-D-X-|"
    output = "---------------U-----------------|"
    out = run(source, tool_calls(), CALLS)
    assert timeline(out, call) == expect(
        output, {"U": ("ToolUseBlock", "toolu_1", {"city": "Paris"})}
    )


def test_tool_calls_marble_with_server_true_also_emits_server_and_mcp_tool_calls() -> None:
    source = "-S-b-t-B-c-j-k-C-s-q-Q-m-n-N-D-X-|"
    output = "---------------U-----V-----M-----|"
    out = run(source, tool_calls(server=True), CALLS)
    assert timeline(out, call) == expect(
        output,
        {
            "U": ("ToolUseBlock", "toolu_1", {"city": "Paris"}),
            "V": ("ServerToolUseBlock", "srvtoolu_2", {"query": "rain"}),
            "M": ("MCPToolUseBlock", "mcptoolu_3", {"question": "why"}),
        },
    )
    kinds = [type(r.value.value) for r in out.messages[:-1]]
    assert kinds == [ToolUseBlock, ServerToolUseBlock, MCPToolUseBlock]


def test_tool_calls_marble_a_call_without_input_deltas_keeps_the_input_it_started_with() -> None:
    given = {**CALLS, "c": block_start(1, type="tool_use", id="toolu_1", name="now", input={})}
    out = run("-S-b-t-B-c-C-D-X-|", tool_calls(), given)
    assert timeline(out, call) == expect(
        "-----------U-----|", {"U": ("ToolUseBlock", "toolu_1", {})}
    )


def test_tool_calls_marble_ends_with_tool_input_error_when_message_stop_cuts_a_call() -> None:
    """Issue 10 item 8: a call cut by max_tokens is not finished: never emitted, and the
    stream ends with ToolInputError carrying the snapshot (not a finished-looking end)."""
    out = run("-S-b-t-B-c-j-D-X-|", tool_calls(), CALLS)
    assert timeline(out) == expect("---------------#", error=arx.ToolInputError)
    error = error_of(out)
    assert isinstance(error, arx.ToolInputError)
    assert error.partial_json == '{"city": "Pa' and error.snapshot is not None
    assert error.snapshot.input_of(1) == {"city": "Pa"}


def test_tool_calls_marble_ends_with_tool_input_error_when_an_input_is_not_json() -> None:
    broken = {**CALLS, "j": input_json(1, '{"city": "Paris"}}')}
    out = run("-S-b-t-B-c-j-C-D-X-|", tool_calls(), broken)
    assert timeline(out) == expect("-------------#", error=arx.ToolInputError)
    error = error_of(out)
    assert isinstance(error, arx.ToolInputError)
    assert error.index == 1


def test_tool_calls_does_not_emit_a_call_whose_input_json_was_never_closed() -> None:
    """A stopped block whose JSON never closed is 'not JSON at its block's stop'."""
    out = run("-S-b-t-B-c-j-C-D-X-|", tool_calls(), CALLS)
    assert timeline(out) == expect("-------------#", error=arx.ToolInputError)


def test_tool_calls_marble_ends_with_the_typed_error_of_an_error_event_after_the_calls() -> None:
    source = "-S-b-t-B-c-j-k-C-E-s-q-Q-|"
    output = "---------------U-#"
    out = run(source, tool_calls(), CALLS)
    assert timeline(out, call) == expect(
        output, {"U": ("ToolUseBlock", "toolu_1", {"city": "Paris"})}, error=arx.OverloadedError
    )


def test_tool_calls_marble_ends_with_incomplete_stream_error_after_the_calls() -> None:
    out = run("-S-b-t-B-c-j-k-C-|", tool_calls(), CALLS)
    assert timeline(out, call) == expect(
        "---------------U-#",
        {"U": ("ToolUseBlock", "toolu_1", {"city": "Paris"})},
        error=arx.IncompleteStreamError,
    )
