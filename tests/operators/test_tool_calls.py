"""tool_calls(): each finished tool call, input parsed, at its content_block_stop."""

from __future__ import annotations

from typing import Any

import anthropic_rx as arx
from anthropic_rx.events import MCPToolUseBlock, ServerToolUseBlock, ToolUseBlock
from anthropic_rx.operators import tool_calls

from .. import events_helpers as ev
from ..conftest import read_recording
from .helpers import record
from .marbles import OVERLOADED, error_of, expect, run, timeline

CALLS = {
    "S": ev.message_start(),
    "b": ev.block_start(0, type="text", text=""),
    "t": ev.text(0, "Let me look."),
    "B": ev.stop(0),
    "c": ev.block_start(1, type="tool_use", id="toolu_1", name="get_weather", input={}),
    "j": ev.input_json(1, '{"city": "Pa'),
    "k": ev.input_json(1, 'ris"}'),
    "C": ev.stop(1),
    "s": ev.block_start(2, type="server_tool_use", id="srvtoolu_2", name="web_search", input={}),
    "q": ev.input_json(2, '{"query": "rain"}'),
    "Q": ev.stop(2),
    "m": ev.block_start(
        3, type="mcp_tool_use", id="mcptoolu_3", name="ask", server_name="docs", input={}
    ),
    "n": ev.input_json(3, '{"question": "why"}'),
    "N": ev.stop(3),
    "D": ev.message_delta("tool_use"),
    "X": ev.MESSAGE_STOP,
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
    given = {**CALLS, "c": ev.block_start(1, type="tool_use", id="toolu_1", name="now", input={})}
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
    broken = {**CALLS, "j": ev.input_json(1, '{"city": "Paris"}}')}
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


WHOLE = {
    **CALLS,
    "S": ev.message_start(
        content=[
            {"type": "text", "text": "Rolling."},
            {
                "type": "tool_use",
                "id": "toolu_w",
                "name": "rollDie",
                "input": {"player": "player2"},
                "caller": {"type": "code_execution_20250825", "tool_id": "srvtoolu_x"},
            },
            {"type": "server_tool_use", "id": "srvtoolu_x", "name": "code_execution", "input": {}},
        ]
    ),
    "c": ev.block_start(3, type="tool_use", id="toolu_1", name="get_weather", input={}),
    "j": ev.input_json(3, '{"city": "Pa'),
    "k": ev.input_json(3, 'ris"}'),
    "C": ev.stop(3),
}


def test_tool_calls_marble_emits_a_call_that_came_whole_in_message_start_at_message_start() -> None:
    """Programmatic tool calling: the call is in message_start, with no block events."""
    out = run("-S-c-j-k-C-D-X-|", tool_calls(), WHOLE)
    assert timeline(out, call) == expect(
        "-W-------U-----|",
        {
            "W": ("ToolUseBlock", "toolu_w", {"player": "player2"}),
            "U": ("ToolUseBlock", "toolu_1", {"city": "Paris"}),
        },
    )


def test_tool_calls_marble_emits_whole_server_calls_of_message_start_with_server_true() -> None:
    out = run("-S-D-X-|", tool_calls(server=True), WHOLE)
    assert timeline(out, call) == [
        (201, ("ToolUseBlock", "toolu_w", {"player": "player2"})),
        (201, ("ServerToolUseBlock", "srvtoolu_x", {})),
        (207, "|"),
    ]


def test_tool_calls_a_stop_for_a_whole_call_of_message_start_is_a_protocol_error() -> None:
    """The whole call is emitted once: its block is never open, so a stop cannot follow."""
    out = run("-S-B-D-X-|", tool_calls(), {**WHOLE, "B": ev.stop(1)})
    assert timeline(out, call) == [
        (201, ("ToolUseBlock", "toolu_w", {"player": "player2"})),
        (203, arx.StreamProtocolError),
    ]


def test_tool_calls_on_the_recorded_programmatic_call_whole_in_message_start() -> None:
    data = read_recording("vercel-ptc-2-prefilled-message-start-only.sse")
    for source in (arx.from_bytes(data), arx.from_bytes(data).pipe(lambda o: o)):
        out = record(source.pipe(tool_calls()))
        assert out.error is None and out.completed
        assert [(c.id, c.name, c.input) for c in out.values] == [
            ("toolu_015dGLMbwBKv1ZRQr6KdJzeH", "rollDie", {"player": "player2"})
        ]
