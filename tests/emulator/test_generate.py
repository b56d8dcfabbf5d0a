"""Generated answers: well-formed streams framed like the real API, the same message unstreamed."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import anthropic
import pytest

from anthropic_rx.emulator import Emulator

from .helpers import KEY, RawResponse, body, send

WEATHER = {
    "name": "get_weather",
    "description": "The weather in a city",
    "input_schema": {
        "type": "object",
        "properties": {
            "location": {"type": "string"},
            "unit": {"enum": ["celsius", "fahrenheit"]},
            "days": {"type": "integer"},
        },
        "required": ["location"],
    },
}
THINKING = {"type": "enabled", "budget_tokens": 1024}


def accumulate(events: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """Build the final message the way a client would, checking the grammar on the way."""
    names = [name for name, _ in events]
    assert names[0] == "message_start"
    assert names[-2:] == ["message_delta", "message_stop"]
    message: dict[str, Any] = events[0][1]["message"]
    content: list[dict[str, Any]] = []
    partial: dict[int, str] = {}
    for name, data in events:
        assert data["type"] == name  # the JSON type always repeats the event name
        if name == "content_block_start":
            assert data["index"] == len(content)
            content.append(dict(data["content_block"]))
        elif name == "content_block_delta":
            block = content[int(data["index"])]
            delta = data["delta"]
            kind = delta["type"]
            if kind == "text_delta":
                block["text"] += delta["text"]
            elif kind == "input_json_delta":
                partial[data["index"]] = partial.get(data["index"], "") + delta["partial_json"]
            elif kind == "thinking_delta":
                block["thinking"] += delta["thinking"]
            elif kind == "signature_delta":
                block["signature"] = delta["signature"]
        elif name == "content_block_stop":
            if data["index"] in partial:
                content[data["index"]]["input"] = json.loads(partial[data["index"]])
        elif name == "message_delta":
            message.update(data["delta"])
            message["usage"] = {**message["usage"], **data["usage"]}
    message["content"] = content
    return message


def stream(emu: Emulator, **changes: Any) -> RawResponse:
    response = send(emu.base_url, body(**changes))
    assert response.status == 200, response.body
    assert response.complete
    return response


def test_a_text_stream_is_framed_exactly_like_the_real_api(emu: Emulator) -> None:
    response = stream(emu)
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    text = response.body.decode()
    # Every event is "event:" + "data:" + a blank line, LF only.
    assert "\r" not in text
    assert re.fullmatch(r"(event: [a-z_]+\ndata: [^\n]+\n\n)+", text)
    assert 'event: ping\ndata: {"type": "ping"}\n\n' in text
    # Data lines are compact JSON padded with spaces before the last brace, as the API pads them.
    data = [line[6:] for line in text.split("\n") if line.startswith("data: ")]
    assert any(line.endswith(" }") for line in data)
    assert all(json.loads(line) for line in data)
    names = [name for name, _ in response.events()]
    assert names[:3] == ["message_start", "content_block_start", "ping"]


def test_a_text_stream_echoes_the_last_user_message_and_counts_its_tokens(emu: Emulator) -> None:
    events = stream(emu, max_tokens=1000).events()
    message = accumulate(events)
    assert message["content"][0]["text"].startswith('You said: "Tell me about pelicans".')
    assert message["stop_reason"] == "end_turn"
    deltas = [d for n, d in events if n == "content_block_delta"]
    assert message["usage"]["output_tokens"] >= len(deltas) > 1
    assert events[0][1]["message"]["usage"]["input_tokens"] > 0


def test_generated_answers_are_deterministic(emu: Emulator) -> None:
    assert stream(emu).body == stream(emu).body
    assert stream(emu).body != stream(emu, messages=[{"role": "user", "content": "other"}]).body


def test_max_tokens_cuts_the_text_with_stop_reason_max_tokens(emu: Emulator) -> None:
    events = stream(emu, max_tokens=5).events()
    message = accumulate(events)
    assert message["stop_reason"] == "max_tokens"
    assert message["usage"]["output_tokens"] == 5


def test_the_text_option_sets_the_exact_text(emu: Emulator) -> None:
    headers = {"x-emulator-options": json.dumps({"text": "Hello, world! Ünïcode ✓"})}
    response = send(emu.base_url, body(), extra=headers)
    assert accumulate(response.events())["content"][0]["text"] == "Hello, world! Ünïcode ✓"
    assert "Ünïcode ✓".encode() in response.body  # raw UTF-8, as the API writes it


def test_padding_can_be_turned_off() -> None:
    with Emulator(padding=False) as emu:
        text = send(emu.base_url, body()).body.decode()
        assert not any(line.endswith(" }") for line in text.split("\n"))
        assert emu.stats.wait_idle()


def test_offered_tools_give_a_tool_use_streamed_as_json_fragments(emu: Emulator) -> None:
    events = stream(emu, tools=[WEATHER]).events()
    message = accumulate(events)
    assert message["stop_reason"] == "tool_use"
    assert [b["type"] for b in message["content"]] == ["text", "tool_use"]
    tool = message["content"][1]
    assert tool["name"] == "get_weather"
    assert tool["id"].startswith("toolu_")
    assert set(tool["input"]) == {"location", "unit", "days"}
    assert tool["input"]["unit"] == "celsius"
    fragments = [
        d["delta"]["partial_json"]
        for n, d in events
        if d.get("index") == 1 and n == "content_block_delta"
    ]
    assert fragments[0] == ""
    assert len(fragments) > 2
    assert json.loads("".join(fragments)) == tool["input"]


def test_a_forced_tool_choice_skips_the_preface_and_honours_the_input_option(emu: Emulator) -> None:
    headers = {"x-emulator-options": json.dumps({"input": {"location": "Paris"}})}
    payload = body(tools=[WEATHER], tool_choice={"type": "tool", "name": "get_weather"})
    message = accumulate(send(emu.base_url, payload, extra=headers).events())
    assert [b["type"] for b in message["content"]] == ["tool_use"]
    assert message["content"][0]["input"] == {"location": "Paris"}


def test_a_tool_result_is_answered_with_text(emu: Emulator) -> None:
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "Weather?"},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "t1", "name": "get_weather", "input": {}}],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "Sunny"}],
        },
    ]
    message = accumulate(stream(emu, tools=[WEATHER], messages=messages).events())
    assert message["stop_reason"] in ("end_turn", "max_tokens")
    assert [b["type"] for b in message["content"]] == ["text"]
    assert '"Sunny"' in message["content"][0]["text"]


def test_thinking_comes_first_with_one_signature_then_text(emu: Emulator) -> None:
    events = stream(emu, thinking=THINKING, max_tokens=2000).events()
    message = accumulate(events)
    assert [b["type"] for b in message["content"]] == ["thinking", "text"]
    thinking = [d["delta"] for n, d in events if n == "content_block_delta" and d["index"] == 0]
    assert {d["type"] for d in thinking} == {"thinking_delta", "signature_delta"}
    assert [d["type"] for d in thinking][-1] == "signature_delta"
    assert sum(d["type"] == "signature_delta" for d in thinking) == 1
    assert message["content"][0]["thinking"]
    assert message["content"][0]["signature"]


def test_the_unstreamed_answer_is_the_same_message(emu: Emulator) -> None:
    for changes in ({}, {"tools": [WEATHER]}, {"thinking": THINKING, "max_tokens": 2000}):
        streamed = accumulate(stream(emu, **changes).events())
        whole = send(emu.base_url, body(stream=False, **changes))
        assert whole.headers["content-type"] == "application/json"
        assert whole.json() == streamed


def test_pace_spreads_the_tokens_over_time(emu: Emulator) -> None:
    extra = {
        "x-emulator-pace": "200",
        "x-emulator-options": json.dumps(
            {"text": "one two three four five six seven eight nine ten"}
        ),
    }
    started = time.monotonic()
    response = send(emu.base_url, body(), extra=extra)
    assert response.complete
    assert time.monotonic() - started >= 10 / 200 * 0.9


def test_metadata_user_id_can_choose_the_options(emu: Emulator) -> None:
    payload = body(metadata={"user_id": "emulator:text=hi%20there&pace=0"})
    assert accumulate(send(emu.base_url, payload).events())["content"][0]["text"] == "hi there"


def test_headers_win_over_metadata_and_metadata_over_the_server() -> None:
    with Emulator(options={"text": "server"}) as emu:
        assert accumulate(send(emu.base_url, body()).events())["content"][0]["text"] == "server"
        payload = body(metadata={"user_id": 'emulator:text="metadata"'})
        assert accumulate(send(emu.base_url, payload).events())["content"][0]["text"] == "metadata"
        extra = {"x-emulator-options": '{"text": "header"}'}
        assert (
            accumulate(send(emu.base_url, payload, extra=extra).events())["content"][0]["text"]
            == "header"
        )
        assert emu.stats.wait_idle()


@pytest.fixture
def sdk(emu: Emulator) -> Any:
    client = anthropic.Anthropic(api_key=KEY, base_url=emu.base_url, max_retries=0)
    yield client
    client.close()


def test_the_official_sdk_streams_the_generated_message(emu: Emulator, sdk: Any) -> None:
    with sdk.messages.stream(
        model="claude-emulated", max_tokens=1000, messages=[{"role": "user", "content": "Hello"}]
    ) as events:
        text = "".join(events.text_stream)
        final = events.get_final_message()
    assert text == final.content[0].text
    assert text.startswith('You said: "Hello".')
    assert final.stop_reason == "end_turn"
    record = emu.stats.requests()[-1]
    assert record.api_key == "sk-…cdef"
    assert record.stream
    assert KEY not in repr(emu.stats.requests())


def test_the_official_sdk_gets_tool_use_thinking_and_unstreamed_messages(sdk: Any) -> None:
    with sdk.messages.stream(
        model="claude-emulated",
        max_tokens=2000,
        thinking=THINKING,
        tools=[WEATHER],
        messages=[{"role": "user", "content": "Weather in Paris?"}],
    ) as events:
        final = events.get_final_message()
    assert [b.type for b in final.content] == ["thinking", "text", "tool_use"]
    assert final.stop_reason == "tool_use"
    assert "location" in final.content[2].input
    created = sdk.messages.create(
        model="claude-emulated", max_tokens=1000, messages=[{"role": "user", "content": "Hi"}]
    )
    assert created.content[0].text.startswith('You said: "Hi"')


def test_the_official_sdk_sees_api_errors_with_their_type_and_request_id(sdk: Any) -> None:
    with pytest.raises(anthropic.BadRequestError) as caught:
        sdk.messages.create(
            model="claude-emulated", max_tokens=0, messages=[{"role": "user", "content": "Hi"}]
        )
    assert caught.value.type == "invalid_request_error"
    assert caught.value.request_id is not None
    assert caught.value.request_id.startswith("req_")


def test_adaptive_thinking_with_few_tokens_keeps_its_signature(emu: Emulator) -> None:
    events = stream(emu, thinking={"type": "adaptive"}, max_tokens=4).events()
    message = accumulate(events)
    assert message["content"][0]["signature"]
    assert message["stop_reason"] == "max_tokens"
    assert message["usage"]["output_tokens"] <= 4


def test_the_official_sdk_retries_a_429_and_the_emulator_counts_both_attempts(
    emu: Emulator,
) -> None:
    options = json.dumps({"variant": "ms", "retry_after_ms": 50})
    headers = {"x-emulator-scenario": "F01", "x-emulator-options": options}
    client = anthropic.Anthropic(api_key=KEY, base_url=emu.base_url, default_headers=headers)
    try:
        message = client.messages.create(
            model="claude-emulated", max_tokens=100, messages=[{"role": "user", "content": "Hi"}]
        )
    finally:
        client.close()
    assert message.content[0].type == "text"
    first, second = emu.stats.requests()
    assert (first.status, second.status) == (429, 200)
    assert (first.attempt, second.attempt) == (1, 2)
    assert second.header("x-stainless-retry-count") == "1"
