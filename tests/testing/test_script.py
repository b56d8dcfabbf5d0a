"""StreamScript: realistic event streams from one sentence, valid for every operator."""

from __future__ import annotations

from pathlib import Path

import pytest

import anthropic_rx as arx
from anthropic_rx.events import (
    ContentBlockDeltaEvent,
    ContentBlockStartEvent,
    ContentBlockStopEvent,
    InputJSONDelta,
    MessageDeltaEvent,
    SignatureDelta,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
)
from anthropic_rx.operators import (
    final_message,
    final_text,
    on_tool_input,
    text_only,
    thinking,
    tool_calls,
)
from anthropic_rx.testing import StreamScript, assert_emitted, assert_error, assert_text, run

from .spy import SpyClock

WEATHER = (
    StreamScript()
    .text("Let me check ", "the weather.")
    .tool_use("get_weather", {"city": "Paris"}, id="toolu_01", chunks=3)
)


def test_a_script_makes_the_message_the_api_would_send() -> None:
    message = WEATHER.observable().pipe(final_message()).run()
    assert message.model_dump(mode="json") == {
        "id": "msg_test",
        "type": "message",
        "role": "assistant",
        "model": "claude-test",
        "content": [
            {"type": "text", "text": "Let me check the weather.", "citations": None},
            {
                "type": "tool_use",
                "id": "toolu_01",
                "name": "get_weather",
                "input": {"city": "Paris"},
            },
        ],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "stop_details": None,
        "usage": message.usage.model_dump(mode="json"),
        "container": None,
    }
    assert message.usage.input_tokens == 10
    assert message.usage.output_tokens > 1


def test_a_script_numbers_blocks_and_closes_each_one_before_the_next() -> None:
    events = WEATHER.events()
    assert [e.type for e in events] == [
        "message_start",
        *["content_block_start"] + ["content_block_delta"] * 2 + ["content_block_stop"],
        *["content_block_start"] + ["content_block_delta"] * 3 + ["content_block_stop"],
        "message_delta",
        "message_stop",
    ]
    indices = [
        e.index for e in events if isinstance(e, ContentBlockStartEvent | ContentBlockStopEvent)
    ]
    assert indices == [0, 0, 1, 1]


def test_tool_input_chunks_split_the_json_text_and_join_to_it() -> None:
    fragments = [
        e.delta.partial_json
        for e in WEATHER.events()
        if isinstance(e, ContentBlockDeltaEvent) and isinstance(e.delta, InputJSONDelta)
    ]
    assert len(fragments) == 3
    assert "".join(fragments) == '{"city": "Paris"}'
    updates = run(WEATHER.observable().pipe(on_tool_input())).values
    assert [u.name for u in updates] == ["get_weather"] * 3
    assert updates[-1].snapshot == {"city": "Paris"}


def test_tool_input_given_as_text_is_sent_verbatim_so_broken_json_fails_typed() -> None:
    script = StreamScript().tool_use("f", '{"a": tru', chunks=2)
    assert_error(run(script.observable().pipe(tool_calls())), arx.ToolInputError)


def test_a_thinking_block_ends_with_its_signature() -> None:
    script = StreamScript().thinking("Let me ", "think.", signature="sig_1").text("42")
    events = script.events()
    signatures = [
        e.delta.signature
        for e in events
        if isinstance(e, ContentBlockDeltaEvent) and isinstance(e.delta, SignatureDelta)
    ]
    assert signatures == ["sig_1"]
    message = script.observable().pipe(final_message()).run()
    assert message.content == [
        ThinkingBlock(thinking="Let me think.", signature="sig_1"),
        TextBlock(text="42"),
    ]
    assert_text(run(script.observable().pipe(thinking())), "Let me think.")


def test_an_unended_script_stops_with_end_turn_and_an_explicit_stop_is_kept() -> None:
    [implicit] = [e for e in StreamScript().text("hi").events() if isinstance(e, MessageDeltaEvent)]
    assert implicit.delta.stop_reason == "end_turn"
    script = (
        StreamScript().text("Hi").stop("stop_sequence", stop_sequence="\n\nHuman:", output_tokens=7)
    )
    message = script.observable().pipe(final_message()).run()
    assert (message.stop_reason, message.stop_sequence, message.usage.output_tokens) == (
        "stop_sequence",
        "\n\nHuman:",
        7,
    )


def test_a_script_is_immutable_so_a_beginning_can_be_shared() -> None:
    base = StreamScript().text("Hel")
    finished = base.text("lo")
    assert base.text_content == "Hel"
    assert finished.text_content == "Hello"
    assert_text(run(base.observable().pipe(text_only())), "Hel")


def test_a_cut_script_ends_in_incomplete_stream_error_carrying_the_snapshot() -> None:
    result = run(StreamScript().text("Hel", "lo").cut().observable().pipe(text_only()))
    assert result.values == ["Hel", "lo"]
    error = assert_error(result, arx.IncompleteStreamError)
    assert error.snapshot is not None and error.snapshot.text == "Hello"


def test_an_error_event_ends_the_stream_with_the_typed_error_after_the_text() -> None:
    script = StreamScript().text("Hel").error_event("overloaded_error")
    result = run(script.observable().pipe(text_only()))
    assert_emitted(result, ["Hel"], end=arx.OverloadedError)
    error = assert_error(result, arx.OverloadedError)
    assert error.mid_stream and error.status_code is None


def test_nothing_can_follow_the_end_of_a_script() -> None:
    with pytest.raises(ValueError, match=r"expected nothing after the script's end \(stop\)"):
        StreamScript().text("a").stop().text("b")


def test_any_event_can_be_added_as_json_and_unknown_types_pass_through() -> None:
    events = StreamScript().text("Hi").event({"type": "future_event", "x": 1}).events()
    unknown = [e for e in events if isinstance(e, arx.UnknownEvent)]
    assert unknown == [
        arx.UnknownEvent(
            type="future_event", event="future_event", data={"type": "future_event", "x": 1}
        )
    ]


def test_the_sse_bytes_replay_as_a_recording(tmp_path: Path) -> None:
    path = tmp_path / "weather.sse"
    path.write_bytes(WEATHER.sse())
    assert path.read_bytes().startswith(b"event: message_start\ndata: {")
    assert arx.from_recording(path).pipe(final_text()).run() == "Let me check the weather."
    assert arx.from_recording(path).pipe(tool_calls()).run() == ToolUseBlock(
        id="toolu_01", name="get_weather", input={"city": "Paris"}
    )


def test_observable_every_sends_one_event_per_interval_in_virtual_time() -> None:
    script = StreamScript().text("a", "b")
    result = run(script.observable(every=0.5))
    assert result.times == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0]
    assert result.values == script.events()
    assert result.end_time == 3.0


def test_a_script_repr_shows_its_blocks_and_end() -> None:
    assert repr(WEATHER.cut()) == "<StreamScript claude-test [text, tool_use] cut>"


def test_observable_every_schedules_one_event_at_a_time() -> None:
    """Regression: a timer per event let reactivex's timer threads deliver events at once."""
    spy = SpyClock()
    types: list[str] = []

    StreamScript().text("a", "b").observable(every=0.5, scheduler=spy).subscribe(
        lambda e: types.append(e.type)
    )
    spy.clock.run_until_idle()

    assert spy.most_waiting == 1
    assert types[0] == "message_start" and types[-1] == "message_stop" and len(types) == 7
    assert spy.clock.time == 3.0
