"""Conversations: tool input that fits its schema, answers after tool results, JSON answers,
paused server-tool turns, programmatic tool calls, and the checks on a conversation's shape."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, Literal

import anthropic
import pydantic
import pytest
from reactivex import operators as ops

import anthropic_rx as arx
from anthropic_rx.emulator import Emulator
from anthropic_rx.operators import final_message

from .helpers import KEY, RawResponse, body, send
from .schema_check import problems
from .test_generate import accumulate

WEATHER: dict[str, Any] = {
    "name": "get_weather",
    "description": "Get the weather forecast for a city",
    "input_schema": {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "days": {"type": "integer", "minimum": 1, "maximum": 14},
        },
        "required": ["city", "days"],
        "additionalProperties": False,
    },
}
CLOCK: dict[str, Any] = {
    "name": "get_time",
    "description": "The current local time in a city",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}
SEARCH: dict[str, Any] = {
    "name": "search_docs",
    "description": "Search the documentation",
    "input_schema": {
        "type": "object",
        "properties": {
            "query": {"type": "string", "minLength": 3},
            "limit": {"type": "integer", "minimum": 1, "maximum": 50},
            "sort": {"enum": ["relevance", "date"]},
        },
        "required": ["query"],
    },
}
# Every kind of constraint the generator honours, nested.
ORDER: dict[str, Any] = {
    "name": "place_order",
    "description": "Place an order for a customer",
    "input_schema": {
        "type": "object",
        "properties": {
            "customer": {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "minLength": 2, "maxLength": 40},
                    "email": {"type": "string", "format": "email"},
                    "vip": {"type": "boolean"},
                },
                "required": ["name", "email"],
                "additionalProperties": False,
            },
            "items": {
                "type": "array",
                "minItems": 1,
                "maxItems": 4,
                "items": {
                    "type": "object",
                    "properties": {
                        "sku": {"type": "string", "pattern": "^[A-Z0-9-]+$"},
                        "quantity": {"type": "integer", "exclusiveMinimum": 0, "maximum": 9},
                        "price": {"type": "number", "minimum": 0.5, "maximum": 20},
                    },
                    "required": ["quantity", "price"],
                    "additionalProperties": False,
                },
            },
            "priority": {"enum": ["low", "normal", "high"]},
            "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
            "delivery": {"$ref": "#/$defs/Delivery"},
        },
        "required": ["customer", "items", "priority", "delivery"],
        "additionalProperties": False,
        "$defs": {
            "Delivery": {
                "type": "object",
                "properties": {
                    "city": {"type": "string"},
                    "date": {"type": "string", "format": "date"},
                    "express": {"type": ["boolean", "null"]},
                },
                "required": ["city", "date"],
                "additionalProperties": False,
            }
        },
    },
}


def test_the_checker_catches_what_it_should() -> None:
    schema = WEATHER["input_schema"]
    assert problems(schema, {"city": "Paris", "days": 5}) == []
    assert problems(schema, {"city": "Paris"}) == ["$: days is required"]
    assert sorted(problems(schema, {"city": "Paris", "days": 0, "x": 1})) == [
        "$.days: 0 < minimum",
        "$: x is not allowed",
    ]
    assert problems(schema, {"city": 3, "days": True})


# -- helpers ------------------------------------------------------------------------------------


def ask(emu: Emulator, *, options: dict[str, Any] | None = None, **changes: Any) -> RawResponse:
    extra = {"x-emulator-options": json.dumps(options)} if options else None
    response = send(emu.base_url, body(**{"max_tokens": 2000, **changes}), extra=extra)
    assert response.status == 200, response.body
    assert response.complete
    return response


def message_of(response: RawResponse) -> dict[str, Any]:
    return accumulate(response.events())


def calls(message: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(b["name"], b["input"]) for b in message["content"] if b["type"] == "tool_use"]


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


@pytest.fixture
def sdk(emu: Emulator) -> Iterator[anthropic.Anthropic]:
    client = anthropic.Anthropic(api_key=KEY, base_url=emu.base_url, max_retries=0)
    yield client
    client.close()


# -- tool input ---------------------------------------------------------------------------------


def test_tool_input_takes_the_city_and_the_number_of_days_from_the_prompt(emu: Emulator) -> None:
    message = message_of(ask(emu, tools=[WEATHER], messages=user("Weather in Paris for 5 days?")))
    assert message["stop_reason"] == "tool_use"
    assert calls(message) == [("get_weather", {"city": "Paris", "days": 5})]


@pytest.mark.parametrize(
    "prompt",
    [
        "Tell me about pelicans",
        "Order three blue mugs for Ada Lovelace (ada@example.com), high priority, to Lisbon",
        "",
        "12345 67890 -3 999999999 'quoted' \"more\" ÜNÏCÖDE Ümlaut",
    ],
)
def test_generated_input_fits_every_constraint_of_a_nested_schema(
    emu: Emulator, prompt: str
) -> None:
    content = prompt or "?"
    message = message_of(ask(emu, tools=[ORDER], messages=user(content)))
    ((name, tool_input),) = calls(message)
    assert name == "place_order"
    assert problems(ORDER["input_schema"], tool_input) == []


def test_the_nested_input_takes_its_values_from_the_prompt(emu: Emulator) -> None:
    prompt = "Order 3 mugs for Ada Lovelace (ada@example.com), high priority, to Lisbon"
    ((_, tool_input),) = calls(message_of(ask(emu, tools=[ORDER], messages=user(prompt))))
    assert tool_input["customer"]["name"] == "Ada Lovelace"
    assert tool_input["customer"]["email"] == "ada@example.com"
    assert tool_input["priority"] == "high"
    assert tool_input["items"][0]["quantity"] == 3
    assert tool_input["delivery"]["city"] == "Lisbon"


class Address(pydantic.BaseModel):
    street: str
    city: str
    country: str | None = None


class Booking(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    guest: str
    nights: int = pydantic.Field(ge=1, le=30)
    room: Literal["single", "double", "suite"]
    address: Address
    extras: list[str] = []


def test_input_for_a_pydantic_schema_with_defs_validates_against_the_model(
    emu: Emulator,
) -> None:
    tool = {
        "name": "book_room",
        "description": "Book a hotel room",
        "input_schema": Booking.model_json_schema(),
    }
    prompt = "Book a suite for Grace Hopper for 4 nights in Oslo"
    ((_, tool_input),) = calls(message_of(ask(emu, tools=[tool], messages=user(prompt))))
    booking = Booking.model_validate(tool_input)
    assert (booking.guest, booking.nights, booking.room) == ("Grace Hopper", 4, "suite")
    assert problems(tool["input_schema"], tool_input) == []


def test_a_query_field_takes_the_quoted_words_and_an_enum_the_word_mentioned(
    emu: Emulator,
) -> None:
    prompt = "Search the docs for 'partial json', sorted by date, 3 results"
    message = message_of(ask(emu, tools=[WEATHER, CLOCK, SEARCH], messages=user(prompt)))
    assert calls(message) == [
        ("search_docs", {"query": "partial json", "limit": 3, "sort": "date"})
    ]


def test_the_tool_whose_name_matches_the_prompt_is_chosen(emu: Emulator) -> None:
    message = message_of(
        ask(emu, tools=[SEARCH, WEATHER, CLOCK], messages=user("What time is it in Tokyo?"))
    )
    assert calls(message) == [("get_time", {"city": "Tokyo"})]


def test_two_places_give_two_parallel_calls(emu: Emulator) -> None:
    message = message_of(
        ask(emu, tools=[WEATHER, CLOCK], messages=user("Weather in Paris and Tokyo for 3 days"))
    )
    assert calls(message) == [
        ("get_weather", {"city": "Paris", "days": 3}),
        ("get_weather", {"city": "Tokyo", "days": 3}),
    ]
    assert message["content"][0]["text"] == "I'll use the get_weather tool."


def test_places_of_several_words_and_mixed_requests_split_into_calls(emu: Emulator) -> None:
    prompt = "Compare the weather in New York and Los Angeles for 7 days, and the time in Oslo"
    message = message_of(ask(emu, tools=[SEARCH, WEATHER, CLOCK], messages=user(prompt)))
    assert calls(message) == [
        ("get_weather", {"city": "New York", "days": 7}),
        ("get_weather", {"city": "Los Angeles", "days": 7}),
        ("get_time", {"city": "Oslo"}),
    ]
    assert message["content"][0]["text"] == "I'll use the get_weather and get_time tools."


def test_two_requests_give_one_call_of_each_tool(emu: Emulator) -> None:
    prompt = "What's the weather in Paris for 2 days, and what time is it in New York?"
    message = message_of(ask(emu, tools=[WEATHER, CLOCK], messages=user(prompt)))
    assert calls(message) == [
        ("get_weather", {"city": "Paris", "days": 2}),
        ("get_time", {"city": "New York"}),
    ]


def test_the_tool_calls_option_asks_for_n_parallel_calls(emu: Emulator) -> None:
    message = message_of(
        ask(emu, tools=[WEATHER], messages=user("Weather in Rome?"), options={"tool_calls": 3})
    )
    found = calls(message)
    assert [name for name, _ in found] == ["get_weather"] * 3
    assert all(problems(WEATHER["input_schema"], value) == [] for _, value in found)
    assert len({block["id"] for block in message["content"] if "id" in block}) == 3


def test_disable_parallel_tool_use_keeps_one_call(emu: Emulator) -> None:
    choice = {"type": "auto", "disable_parallel_tool_use": True}
    prompt = user("Weather in Paris and Tokyo?")
    message = message_of(ask(emu, tools=[WEATHER], tool_choice=choice, messages=prompt))
    assert [value["city"] for _, value in calls(message)] == ["Paris"]


def test_tool_choice_none_answers_in_words(emu: Emulator) -> None:
    prompt = user("Weather in Paris?")
    message = message_of(ask(emu, tools=[WEATHER], tool_choice={"type": "none"}, messages=prompt))
    assert [b["type"] for b in message["content"]] == ["text"]
    assert message["stop_reason"] == "end_turn"


# -- answers after tool results -----------------------------------------------------------------


def tool_turn(*results: dict[str, Any]) -> list[dict[str, Any]]:
    uses = [
        {"type": "tool_use", "id": f"toolu_{i}", "name": name, "input": {"city": city}}
        for i, (name, city) in enumerate((("get_weather", "Paris"), ("get_time", "Tokyo")))
    ][: len(results)]
    return [
        *user("Weather in Paris, and the time in Tokyo?"),
        {"role": "assistant", "content": uses},
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": f"toolu_{i}", **result}
                for i, result in enumerate(results)
            ],
        },
    ]


def test_a_tool_result_gets_a_text_answer_that_uses_it_and_ends_the_turn(emu: Emulator) -> None:
    messages = tool_turn({"content": "Sunny, 18°C"})
    message = message_of(ask(emu, tools=[WEATHER, CLOCK], messages=messages))
    assert [b["type"] for b in message["content"]] == ["text"]
    assert message["stop_reason"] == "end_turn"
    text = message["content"][0]["text"]
    assert '"Sunny, 18°C"' in text
    assert "get_weather" in text and "Paris" in text
    assert "lorem" not in text.lower()


def test_json_results_are_summarised_and_an_error_is_called_a_failure(emu: Emulator) -> None:
    messages = tool_turn(
        {"content": [{"type": "text", "text": '{"temperature": 18, "conditions": "sunny"}'}]},
        {"content": "timezone service unavailable", "is_error": True},
    )
    text = message_of(ask(emu, tools=[WEATHER, CLOCK], messages=messages))["content"][0]["text"]
    assert "temperature 18, conditions sunny" in text
    assert re.search(r"get_time for Tokyo,? but it failed|get_time call for Tokyo failed", text)
    assert "timezone service unavailable" in text


def test_the_official_sdk_runs_a_whole_tool_loop_to_end_turn(sdk: anthropic.Anthropic) -> None:
    messages: list[Any] = user("What's the weather in Paris for 3 days?")
    reply = None
    for _ in range(2):
        reply = sdk.messages.create(
            model="claude-emulated", max_tokens=1000, tools=[WEATHER], messages=messages
        )
        if reply.stop_reason != "tool_use":
            break
        messages.append({"role": "assistant", "content": reply.content})
        results = [
            {"type": "tool_result", "tool_use_id": b.id, "content": f"Rain all week in {b.input}"}
            for b in reply.content
            if b.type == "tool_use"
        ]
        messages.append({"role": "user", "content": results})
    assert reply is not None and reply.stop_reason == "end_turn"
    assert len(messages) == 3
    (block,) = reply.content
    assert block.type == "text"
    assert "Rain all week" in block.text and "Paris" in block.text


# -- structured output --------------------------------------------------------------------------


class City(pydantic.BaseModel):
    name: str
    country: str
    population: int = pydantic.Field(ge=0)
    landmarks: list[str]
    climate: Literal["temperate", "tropical", "arid"]


def output_config() -> dict[str, Any]:
    schema = City.model_json_schema()
    return {"format": {"type": "json_schema", "schema": schema}}


def test_an_output_format_gets_json_for_the_schema_in_small_deltas(emu: Emulator) -> None:
    response = ask(
        emu,
        output_config=output_config(),
        messages=user("Describe Paris in France, a temperate city of 2100000 people"),
    )
    events = response.events()
    message = accumulate(events)
    assert message["stop_reason"] == "end_turn"
    (block,) = message["content"]
    city = City.model_validate_json(block["text"])
    assert (city.name, city.country, city.population, city.climate) == (
        "Paris",
        "France",
        2100000,
        "temperate",
    )
    deltas = [d["delta"]["text"] for n, d in events if n == "content_block_delta"]
    assert len(deltas) >= 10
    assert max(len(d) for d in deltas) <= 6
    assert "".join(deltas) == block["text"]


def test_the_json_answer_is_the_same_unstreamed_and_uses_tool_results(emu: Emulator) -> None:
    messages: list[dict[str, Any]] = [
        *user("Describe the city"),
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "t1", "name": "lookup", "input": {}}],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "t1",
                    "content": '{"name": "Oslo", "country": "Norway", "population": 700000}',
                }
            ],
        },
    ]
    streamed = message_of(ask(emu, output_config=output_config(), messages=messages))
    unstreamed = body(
        stream=False, max_tokens=2000, output_config=output_config(), messages=messages
    )
    whole = send(emu.base_url, unstreamed)
    assert whole.json()["content"] == streamed["content"]
    city = City.model_validate_json(streamed["content"][0]["text"])
    assert (city.name, city.country, city.population) == ("Oslo", "Norway", 700000)


# -- pause_turn ---------------------------------------------------------------------------------

WEB_SEARCH: dict[str, Any] = {"type": "web_search_20250305", "name": "web_search", "max_uses": 5}


def test_a_paused_server_tool_turn_continues_to_the_end(sdk: anthropic.Anthropic) -> None:
    messages: list[Any] = user("Search the web for 'reactive streams'")
    headers = {"x-emulator-options": json.dumps({"pause_turn": True})}
    first = sdk.messages.create(
        model="claude-emulated",
        max_tokens=1000,
        tools=[WEB_SEARCH],  # type: ignore[list-item]
        messages=messages,
        extra_headers=headers,
    )
    assert first.stop_reason == "pause_turn"
    assert [b.type for b in first.content] == ["text", "server_tool_use"]
    call = first.content[1]
    assert call.type == "server_tool_use"
    assert call.name == "web_search" and call.input == {"query": "reactive streams"}
    assert call.id.startswith("srvtoolu_")
    messages.append({"role": "assistant", "content": first.content})
    with sdk.messages.stream(
        model="claude-emulated",
        max_tokens=1000,
        tools=[WEB_SEARCH],  # type: ignore[list-item]
        messages=messages,
        extra_headers=headers,
    ) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "end_turn"
    assert [b.type for b in final.content] == ["web_search_tool_result", "text"]
    result = final.content[0]
    assert result.type == "web_search_tool_result"
    assert result.tool_use_id == call.id
    assert isinstance(result.content, list) and result.content[0].url.startswith("https://")
    assert (
        final.usage.server_tool_use is None or final.usage.server_tool_use.web_search_requests == 0
    )


def test_pause_turn_n_pauses_n_times(emu: Emulator) -> None:
    messages: list[dict[str, Any]] = user("Search the web for pelicans")
    reasons: list[str] = []
    message: dict[str, Any] = {}
    for _ in range(4):
        message = message_of(
            ask(emu, tools=[WEB_SEARCH], messages=messages, options={"pause_turn": 2})
        )
        reasons.append(message["stop_reason"])
        if message["stop_reason"] != "pause_turn":
            break
        messages = [*messages, {"role": "assistant", "content": message["content"]}]
    assert reasons == ["pause_turn", "pause_turn", "end_turn"]
    assert message["content"][0]["type"] == "web_search_tool_result"


def test_the_paused_turn_streams_its_query_and_counts_the_search(emu: Emulator) -> None:
    events = ask(
        emu, tools=[WEB_SEARCH], messages=user("Search for pelicans"), options={"pause_turn": 1}
    ).events()
    names = [n for n, _ in events]
    assert names[-2:] == ["message_delta", "message_stop"]
    fragments = [
        d["delta"]["partial_json"]
        for n, d in events
        if n == "content_block_delta" and d["delta"]["type"] == "input_json_delta"
    ]
    assert fragments[0] == "" and json.loads("".join(fragments)) == {"query": "pelicans"}
    delta = next(d for n, d in events if n == "message_delta")
    assert delta["delta"]["stop_reason"] == "pause_turn"
    assert delta["usage"]["server_tool_use"]["web_search_requests"] == 1


# -- programmatic tool calls --------------------------------------------------------------------


def test_programmatic_calls_arrive_whole_in_message_start(emu: Emulator) -> None:
    response = ask(
        emu,
        tools=[WEATHER],
        messages=user("Weather in Paris and Tokyo for 2 days"),
        options={"programmatic": True},
    )
    events = response.events()
    assert [n for n, _ in events] == ["message_start", "message_stop"]
    start = events[0][1]["message"]
    assert start["stop_reason"] == "tool_use"
    assert start["container"]["id"].startswith("container_")
    blocks = start["content"]
    assert [b["input"] for b in blocks] == [
        {"city": "Paris", "days": 2},
        {"city": "Tokyo", "days": 2},
    ]
    assert all(b["caller"]["type"] == "code_execution_20250825" for b in blocks)
    assert blocks[0]["caller"]["tool_id"].startswith("srvtoolu_")
    message = arx.from_bytes(response.body).pipe(final_message()).run()
    assert message.stop_reason == "tool_use"
    assert [(b.type, b.input) for b in message.content] == [  # type: ignore[union-attr]
        ("tool_use", {"city": "Paris", "days": 2}),
        ("tool_use", {"city": "Tokyo", "days": 2}),
    ]
    unstreamed = send(
        emu.base_url,
        body(
            stream=False,
            max_tokens=2000,
            tools=[WEATHER],
            messages=user("Weather in Paris and Tokyo for 2 days"),
        ),
        extra={"x-emulator-options": json.dumps({"programmatic": True})},
    )
    assert unstreamed.json() == start


def test_the_results_of_programmatic_calls_are_answered(emu: Emulator) -> None:
    first = ask(
        emu, tools=[WEATHER], messages=user("Weather in Oslo?"), options={"programmatic": 1}
    )
    (start,) = [d for n, d in first.events() if n == "message_start"]
    (call,) = start["message"]["content"]
    messages: list[dict[str, Any]] = [
        *user("Weather in Oslo?"),
        {"role": "assistant", "content": [call]},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": call["id"], "content": "Snow"}],
        },
    ]
    message = message_of(ask(emu, tools=[WEATHER], messages=messages, options={"programmatic": 1}))
    assert message["stop_reason"] == "end_turn"
    assert '"Snow"' in message["content"][0]["text"]


# -- the library reads it all ------------------------------------------------------------------


def test_the_library_reads_a_paused_turn_and_a_json_answer(emu: Emulator) -> None:
    paused = ask(emu, tools=[WEB_SEARCH], messages=user("Search cats"), options={"pause_turn": 1})
    message = arx.from_bytes(paused.body).pipe(final_message()).run()
    assert message.stop_reason == "pause_turn"
    answer = ask(emu, output_config=output_config(), messages=user("Describe Rome"))
    texts = arx.from_bytes(answer.body).pipe(ops.to_list()).run()
    assert len(texts) > 10


# -- checks on the conversation's shape ---------------------------------------------------------


def error_of(emu: Emulator, messages: list[dict[str, Any]]) -> str:
    response = send(emu.base_url, body(tools=[WEATHER], messages=messages))
    assert response.status == 400, response.body
    payload = response.json()
    assert payload["type"] == "error"
    assert payload["error"]["type"] == "invalid_request_error"
    return str(payload["error"]["message"])


ASSISTANT_CALL: dict[str, Any] = {
    "role": "assistant",
    "content": [{"type": "tool_use", "id": "toolu_A", "name": "get_weather", "input": {}}],
}


def test_a_tool_result_for_an_unknown_call_is_refused_as_the_api_refuses_it(
    emu: Emulator,
) -> None:
    result = {"type": "tool_result", "tool_use_id": "toolu_B", "content": "x"}
    message = error_of(emu, [*user("Hi"), ASSISTANT_CALL, {"role": "user", "content": [result]}])
    assert message == (
        "messages.2.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_B. "
        "Each `tool_result` block must have a corresponding `tool_use` block in the previous "
        "message."
    )
    first = error_of(emu, [{"role": "user", "content": [result]}])
    assert first.startswith("messages.0.content.0: unexpected `tool_use_id`")


def test_a_tool_result_of_the_wrong_shape_is_refused(emu: Emulator) -> None:
    for result, expected in (
        ({"content": 3}, "tool_result.content: Input should be a valid string or list"),
        ({"content": "x", "is_error": "yes"}, "tool_result.is_error: Input should be a valid"),
    ):
        block = {"type": "tool_result", "tool_use_id": "toolu_A", **result}
        turn = {"role": "user", "content": [block]}
        message = error_of(emu, [*user("Hi"), ASSISTANT_CALL, turn])
        assert message.startswith(f"messages.2.content.0.{expected}")


def test_a_call_without_its_result_is_refused(emu: Emulator) -> None:
    message = error_of(emu, [*user("Hi"), ASSISTANT_CALL, *user("and?")])
    assert message == (
        "messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: "
        "toolu_A. Each `tool_use` block must have a corresponding `tool_result` block in the "
        "next message."
    )


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ({"type": "tool_use", "name": "get_weather", "input": {}}, "tool_use.id: Field required"),
        ({"type": "tool_use", "id": "t", "name": "get_weather"}, "tool_use.input: Input should"),
        (
            {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_X", "content": []},
            "unexpected `tool_use_id` found in `web_search_tool_result` blocks: srvtoolu_X",
        ),
    ],
)
def test_malformed_assistant_blocks_are_refused(
    emu: Emulator, block: dict[str, Any], expected: str
) -> None:
    assistant = {"role": "assistant", "content": [block]}
    assert expected in error_of(emu, [*user("Hi"), assistant, *user("ok")])


def test_duplicate_tool_use_ids_are_refused(emu: Emulator) -> None:
    call = ASSISTANT_CALL["content"][0]
    message = error_of(emu, [*user("Hi"), {"role": "assistant", "content": [call, call]}])
    assert message == "messages.1.content.1: `tool_use` ids must be unique"


def test_a_bad_output_format_is_refused(emu: Emulator) -> None:
    for config, expected in (
        ({"format": {"type": "json"}}, "output_config.format.type: Input should be 'json_schema'"),
        ({"format": {"type": "json_schema"}}, "output_config.format.json_schema.schema"),
    ):
        response = send(emu.base_url, body(output_config=config))
        assert response.status == 400
        assert response.json()["error"]["message"].startswith(expected)


def test_well_formed_conversations_with_server_blocks_are_accepted(emu: Emulator) -> None:
    messages: list[dict[str, Any]] = [
        *user("Search, then call the tool"),
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Searching."},
                {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}},
                {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []},
                {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}},
                {"type": "tool_use", "id": "toolu_2", "name": "get_weather", "input": {}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_2", "content": "b"},
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "a", "is_error": True},
                {"type": "text", "text": "Thanks"},
            ],
        },
    ]
    message = message_of(ask(emu, tools=[WEATHER, WEB_SEARCH], messages=messages))
    assert message["stop_reason"] == "end_turn"


def test_conversation_answers_are_deterministic(emu: Emulator) -> None:
    messages = tool_turn({"content": "Sunny"})
    assert ask(emu, messages=messages).body == ask(emu, messages=messages).body
    other = Emulator(seed=1)
    with other:
        different = send(other.base_url, body(max_tokens=2000, messages=messages)).body
        assert other.stats.wait_idle()
    assert different != ask(emu, messages=messages).body


# -- message threads (the official SDK's tool runner uses them by default) ---------------------


def weather_tool() -> Any:
    @anthropic.beta_tool
    def get_weather(city: str, days: int) -> str:
        """Get the weather forecast for a city."""
        return json.dumps({"city": city, "days": days, "forecast": "sunny"})

    return get_weather


@pytest.mark.parametrize("thread", [True, False])
def test_the_sdk_tool_runner_finishes_threaded_or_not(
    emu: Emulator, sdk: anthropic.Anthropic, thread: bool
) -> None:
    runner = sdk.beta.messages.tool_runner(
        model="claude-emulated",
        max_tokens=1000,
        tools=[weather_tool()],
        messages=[{"role": "user", "content": "Weather in Paris and Tokyo for 3 days?"}],
        **({} if thread else {"thread": False}),
    )
    replies = list(runner)
    assert [r.stop_reason for r in replies] == ["tool_use", "end_turn"]
    assert [b.input for b in replies[0].content if b.type == "tool_use"] == [
        {"city": "Paris", "days": 3},
        {"city": "Tokyo", "days": 3},
    ]
    text = replies[1].content[0]
    assert text.type == "text" and "forecast sunny" in text.text
    first, second = (json.loads(r.body) for r in emu.stats.requests())
    if thread:
        assert first["thread"] == {"type": "create"}
        assert second["thread"] == {"type": "continue", "previous_message_id": replies[0].id}
        assert [m["role"] for m in second["messages"]] == ["user"]  # only what is new
        assert "tools" not in second
    else:
        assert "thread" not in second
        assert [m["role"] for m in second["messages"]] == ["user", "assistant", "user"]


def test_a_threaded_conversation_is_answered_as_the_whole_history_would_be(
    emu: Emulator,
) -> None:
    start = ask(emu, tools=[WEATHER], messages=user("Weather in Oslo?"), thread={"type": "create"})
    reply = message_of(start)
    (call,) = [b for b in reply["content"] if b["type"] == "tool_use"]
    result = {
        "role": "user",
        "content": [{"type": "tool_result", "tool_use_id": call["id"], "content": "Snow"}],
    }
    threaded = ask(
        emu,
        messages=[result],
        thread={"type": "continue", "previous_message_id": reply["id"]},
    )
    whole = ask(
        emu,
        tools=[WEATHER],
        messages=[
            *user("Weather in Oslo?"),
            {"role": "assistant", "content": reply["content"]},
            result,
        ],
    )
    assert message_of(threaded) == message_of(whole)
    assert '"Snow"' in message_of(threaded)["content"][0]["text"]


def test_a_paused_turn_resumes_in_a_thread_from_empty_messages(emu: Emulator) -> None:
    options = {"pause_turn": True}
    first = message_of(
        ask(
            emu,
            tools=[WEB_SEARCH],
            messages=user("Search for pelicans"),
            thread={"type": "create"},
            options=options,
        )
    )
    assert first["stop_reason"] == "pause_turn"
    resumed = message_of(
        ask(
            emu,
            messages=[],
            thread={"type": "continue", "previous_message_id": first["id"]},
            options=options,
        )
    )
    assert resumed["stop_reason"] == "end_turn"
    assert resumed["content"][0]["tool_use_id"] == first["content"][-1]["id"]


def test_an_unknown_thread_gets_the_api_404_the_sdk_recovers_from(emu: Emulator) -> None:
    thread = {"type": "continue", "previous_message_id": "msg_01unknown"}
    response = send(emu.base_url, body(thread=thread))
    assert response.status == 404
    error = response.json()["error"]
    assert error["type"] == "not_found_error"
    assert error["details"] == {"error_code": "thread_not_found"}
    bad = send(emu.base_url, body(thread={"type": "fork"}))
    assert bad.status == 400
    assert bad.json()["error"]["message"] == "thread.type: Input should be 'create' or 'continue'"


@pytest.mark.parametrize(
    ("tool", "call", "result"),
    [
        (
            {"type": "web_fetch_20250910", "name": "web_fetch"},
            "web_fetch",
            "web_fetch_tool_result",
        ),
        (
            {"type": "code_execution_20250825", "name": "code_execution"},
            "bash_code_execution",
            "bash_code_execution_tool_result",
        ),
    ],
)
def test_other_server_tools_pause_and_resume_in_the_sdk_shapes(
    sdk: anthropic.Anthropic, tool: dict[str, Any], call: str, result: str
) -> None:
    messages: list[Any] = user("Fetch https://example.org/page and count its words")
    ask = {
        "model": "claude-emulated",
        "max_tokens": 1000,
        "tools": [tool],
        "extra_headers": {"x-emulator-options": '{"pause_turn": 1, "preface": false}'},
    }
    paused = sdk.beta.messages.create(messages=messages, **ask)
    assert paused.stop_reason == "pause_turn"
    (use,) = paused.content
    assert use.type == "server_tool_use" and use.name == call
    messages.append({"role": "assistant", "content": paused.content})
    done = sdk.beta.messages.create(messages=messages, **ask)
    assert done.stop_reason == "end_turn"
    assert [b.type for b in done.content] == [result, "text"]
    assert getattr(done.content[0], "tool_use_id", None) == use.id
    if call == "web_fetch":
        assert use.input == {"url": "https://example.org/page"}


def test_reset_forgets_the_held_threads(emu: Emulator) -> None:
    reply = message_of(ask(emu, messages=user("Hi"), thread={"type": "create"}))
    assert len(emu.app.threads) == 1
    emu.reset()
    assert len(emu.app.threads) == 0
    thread = {"type": "continue", "previous_message_id": reply["id"]}
    assert send(emu.base_url, body(messages=user("again"), thread=thread)).status == 404
