"""content_blocks(): each content block once, finished, at its content_block_stop."""

from __future__ import annotations

from typing import Any

from reactivex.testing import ReactiveTest, TestScheduler

import anthropic_rx as arx
from anthropic_rx.operators import content_blocks

from .. import events_helpers as ev
from ..conftest import read_recording
from .helpers import record
from .marbles import HELLO, error_of, expect, run, timeline

on_next, on_completed = ReactiveTest.on_next, ReactiveTest.on_completed

BLOCKS = {  # HELLO's text block, then a tool call
    **HELLO,
    "c": ev.block_start(1, type="tool_use", id="toolu_1", name="get_weather", input={}),
    "j": ev.input_json(1, '{"city": '),
    "k": ev.input_json(1, '"Paris"}'),
    "C": ev.stop(1),
    "D": ev.message_delta("tool_use"),
}


def summary(block: Any) -> tuple[str, Any]:
    if block.type == "text":
        return "text", block.text
    return block.type, block.input


def test_content_blocks_marble_emits_each_block_at_its_stop() -> None:
    """The docstring's diagram: -S-b-t-t-B-b(tool)-j-j-B-D-X-| gives T at B and U at B."""
    source = "-S-b-t-u-B-c-j-k-C-D-X-|"
    output = "---------T-------U-----|"
    out = run(source, content_blocks(), BLOCKS)
    assert timeline(out, summary) == expect(
        output, {"T": ("text", "Hello"), "U": ("tool_use", {"city": "Paris"})}
    )


def test_content_blocks_marble_emits_blocks_prefilled_in_message_start_at_once() -> None:
    prefilled = {
        **BLOCKS,
        "S": ev.message_start(content=[{"type": "text", "text": "Sure:"}]),
        "c": ev.block_start(1, type="text", text=""),
        "t": ev.text(1, " yes"),
        "C": ev.stop(1),
    }
    source = "-S-c-t-C-D-X-|"
    output = "-P-----T-----|"
    out = run(source, content_blocks(), prefilled)
    assert timeline(out, summary) == expect(output, {"P": ("text", "Sure:"), "T": ("text", " yes")})


def test_content_blocks_marble_emits_a_text_block_left_open_at_message_stop_as_far_as_it_got() -> (
    None
):
    source = "-S-b-t-u-D-X-|"
    output = "-----------T-|"
    out = run(source, content_blocks(), BLOCKS)
    assert timeline(out, summary) == expect(output, {"T": ("text", "Hello")})


def test_content_blocks_marble_ends_with_tool_input_error_when_message_stop_cuts_a_tool_call() -> (
    None
):
    """Issue 10 item 8: a tool block whose JSON is unfinished at message_stop is never
    emitted as a finished block; the error carries the snapshot."""
    source = "-S-b-t-u-B-c-j-D-X-|"
    output = "---------T-------#"
    out = run(source, content_blocks(), BLOCKS)
    assert timeline(out, summary) == expect(
        output, {"T": ("text", "Hello")}, error=arx.ToolInputError
    )
    error = error_of(out)
    assert isinstance(error, arx.ToolInputError) and error.index == 1
    assert error.snapshot is not None and error.snapshot.stop_reason == "tool_use"


def test_content_blocks_of_a_real_max_tokens_stream_end_with_the_cut_tool_call_as_an_error() -> (
    None
):
    data = read_recording("sdkpy-max-tokens-truncated-tool-json.sse")
    out = record(arx.from_bytes(data).pipe(content_blocks()))
    assert [b.type for b in out.values] == ["text"]
    assert isinstance(out.error, arx.ToolInputError) and out.error.snapshot is not None
    assert out.values[0] == out.error.snapshot.content[0]
    assert out.error.snapshot.stop_reason == "max_tokens"


def test_content_blocks_keeps_what_it_emitted_per_subscription() -> None:
    """Two subscriptions to a cold source each get every block once."""
    scheduler = TestScheduler()
    diagram = ["S", "b", "t", "B", "D", "X"]
    source = scheduler.create_cold_observable(
        [on_next(10 * (i + 1), ev.event(BLOCKS[key])) for i, key in enumerate(diagram)]
        + [on_completed(70)]
    )
    pipeline = source.pipe(content_blocks())
    first = scheduler.start(lambda: pipeline)
    second = scheduler.create_observer()
    pipeline.subscribe(second, scheduler=scheduler)
    scheduler.advance_by(100)
    assert timeline(first, summary) == [(240, ("text", "Hel")), (270, "|")]
    assert timeline(second, summary) == [(1040, ("text", "Hel")), (1070, "|")]


def test_content_blocks_marble_ends_with_incomplete_stream_error_after_finished_blocks() -> None:
    """A block still open when the stream is cut is not emitted: it is in the error's snapshot."""
    source = "-S-b-t-B-c-j-|"
    output = "-------T-----#"
    out = run(source, content_blocks(), BLOCKS)
    assert timeline(out, summary) == expect(
        output, {"T": ("text", "Hel")}, error=arx.IncompleteStreamError
    )
    snapshot = error_of(out).snapshot
    assert snapshot is not None
    assert [b.type for b in snapshot.content] == ["text", "tool_use"]


def test_content_blocks_marble_ends_with_the_typed_error_of_an_error_event() -> None:
    out = run("-S-b-t-B-E-c-|", content_blocks(), BLOCKS)
    assert timeline(out, summary) == expect(
        "-------T-#", {"T": ("text", "Hel")}, error=arx.OverloadedError
    )
