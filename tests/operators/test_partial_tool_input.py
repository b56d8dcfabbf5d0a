"""partial_tool_input(): Partial values of a tool call's input as it grows; the last validated."""

from __future__ import annotations

from typing import Any

import pydantic

import anthropic_rx as arx
from anthropic_rx.operators import Partial, partial_tool_input

from ..conftest import read_recording
from ..events_helpers import (
    MESSAGE_STOP,
    block_start,
    encode,
    input_json,
    message_delta,
    message_start,
    stop,
    text,
)
from .helpers import record
from .marbles import OVERLOADED, expect, run, timeline


class WriteFile(pydantic.BaseModel):
    path: str
    text: str
    mode: int = 0o644


class Player(pydantic.BaseModel):
    player: str


TOOLS = {
    "S": message_start(),
    "a": block_start(0, type="text", text=""),
    "t": text(0, "Writing."),
    "A": stop(0),
    "b": block_start(1, type="tool_use", id="toolu_1", name="write_file", input={}),
    "j": input_json(1, '{"pa'),
    "k": input_json(1, 'th": "a.py", "te'),
    "l": input_json(1, 'xt": "hi"'),
    "m": input_json(1, ', "mode": 42'),
    "n": input_json(1, "0}"),
    "B": stop(1),
    "c": block_start(2, type="tool_use", id="toolu_2", name="other", input={}),
    "o": input_json(2, '{"x": 1}'),
    "C": stop(2),
    "D": message_delta("tool_use"),
    "X": MESSAGE_STOP,
    "E": OVERLOADED,
}


def show(p: Partial[Any]) -> tuple[Any, ...]:
    return p.id, p.name, p.data, p.complete


def test_partial_tool_input_marble_emits_each_change_of_the_named_tools_input() -> None:
    """The docstring's diagram; the other tool's call is not followed."""
    out = run(
        "-S-a-t-A-b-j-k-l-m-n-B-c-o-C-D-X-|",
        partial_tool_input(WriteFile, name="write_file"),
        TOOLS,
    )
    final = {"path": "a.py", "text": "hi", "mode": 420}
    assert timeline(out, show) == expect(
        "-----------p-q-r---s-F-----------|",
        {
            "p": ("toolu_1", "write_file", {}, False),
            "q": ("toolu_1", "write_file", {"path": "a.py"}, False),
            "r": ("toolu_1", "write_file", {"path": "a.py", "text": "hi"}, False),
            "s": ("toolu_1", "write_file", final, False),
            "F": ("toolu_1", "write_file", final, True),
        },
    )
    last = out.messages[-2].value.value
    assert last.value == WriteFile(path="a.py", text="hi", mode=420)


def test_partial_tool_input_without_a_name_follows_every_tool_call() -> None:
    out = run("-S-a-A-b-j-k-l-m-n-B-c-o-C-D-X-|", partial_tool_input(dict[str, Any]), TOOLS)
    values = [r[1] for r in timeline(out, show) if r[1] != "|"]
    assert [(v[1], v[3]) for v in values if v[3]] == [("write_file", True), ("other", True)]


def test_partial_tool_input_marble_ends_with_output_validation_error_at_the_stop() -> None:
    first = {
        **TOOLS,
        "c": block_start(0, type="tool_use", id="toolu_2", name="other", input={}),
        "o": input_json(0, '{"x": 1}'),
        "C": stop(0),
    }
    out = run("-S-c-o-C-D-X-|", partial_tool_input(WriteFile), first)
    assert timeline(out, show) == expect(
        "-----p-#", {"p": ("toolu_2", "other", {"x": 1}, False)}, error=arx.OutputValidationError
    )
    error = out.messages[-1].value.exception
    assert isinstance(error, arx.OutputValidationError)
    assert error.text == '{"x": 1}' and error.index == 0
    assert {e["loc"][0] for e in error.errors} == {"path", "text"}


def test_partial_tool_input_passes_tool_input_error_and_the_streams_errors() -> None:
    broken = {**TOOLS, "n": input_json(1, "0}}")}
    out = run("-S-a-A-b-j-n-B-D-X-|", partial_tool_input(WriteFile), broken)
    assert timeline(out)[-1] == (213, arx.ToolInputError)
    out = run("-S-a-A-b-j-E-|", partial_tool_input(WriteFile), TOOLS)
    assert timeline(out, show) == expect(
        "---------p-#", {"p": ("toolu_1", "write_file", {}, False)}, error=arx.OverloadedError
    )


def test_a_call_that_came_whole_gives_one_complete_partial() -> None:
    whole = {
        **TOOLS,
        "b": block_start(
            1, type="tool_use", id="toolu_1", name="write_file", input={"path": "p", "text": "t"}
        ),
    }
    out = run("-S-a-A-b-B-D-X-|", partial_tool_input(WriteFile), whole)
    assert timeline(out, show) == expect(
        "---------F-----|", {"F": ("toolu_1", "write_file", {"path": "p", "text": "t"}, True)}
    )


def test_a_call_whole_in_message_start_gives_one_complete_partial_there() -> None:
    data = read_recording("vercel-ptc-2-prefilled-message-start-only.sse")
    out = record(arx.from_bytes(data).pipe(partial_tool_input(Player, name="rollDie")))
    assert out.error is None and out.completed
    [only] = out.values
    assert only.complete and only.value == Player(player="player2") and only.id is not None


def test_partial_tool_input_on_a_recording_with_many_deltas_is_consistent() -> None:
    data = read_recording("vercel-json-tool-split-deltas.sse")
    out = record(arx.from_bytes(data).pipe(partial_tool_input(dict[str, Any])))
    assert out.error is None and out.completed and out.values
    finals = [p for p in out.values if p.complete]
    calls = record(arx.from_bytes(data).pipe(arx.operators.tool_calls(server=True)))
    assert [p.value for p in finals] == [c.input for c in calls.values]
    datas = [p.data for p in out.values]
    assert all(
        a != b or pa.complete != pb.complete
        for a, b, pa, pb in zip(datas, datas[1:], out.values, out.values[1:], strict=False)
    )


def test_the_json_text_of_the_error_is_the_input_as_it_streamed() -> None:
    events = [
        message_start(),
        block_start(0, type="tool_use", id="t", name="f", input={}),
        input_json(0, '{"path": '),
        input_json(0, "1}"),
        stop(0),
        message_delta("tool_use"),
        MESSAGE_STOP,
    ]
    out = record(arx.from_bytes(encode(events)).pipe(partial_tool_input(WriteFile)))
    assert isinstance(out.error, arx.OutputValidationError)
    assert out.error.text == '{"path": 1}'


def test_partial_tool_input_on_a_message_stream_shares_its_one_parse() -> None:
    from .structured import message_stream

    data = read_recording("vercel-json-tool-split-deltas.sse")
    stream = message_stream(data)
    first = stream.pipe(partial_tool_input(dict[str, Any])).run()
    again = stream.pipe(partial_tool_input(dict[str, Any])).run()  # replayed, same values
    alone = record(arx.from_bytes(data).pipe(partial_tool_input(dict[str, Any]))).values[-1]
    assert first == again == alone and first.complete
