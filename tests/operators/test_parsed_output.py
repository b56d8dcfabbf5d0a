"""parsed_output(): the final structured answer, validated, equal to the SDK's parsed_output."""

from __future__ import annotations

import copy
import json
import pickle
from typing import Any

import pydantic
import pytest

import anthropic_rx as arx
from anthropic_rx.operators import final_message, parse_output, parsed_output

from .. import events_helpers as ev
from ..conftest import chunked, read_recording
from .helpers import record
from .marbles import HELLO, error_of, expect, run, timeline
from .structured import (
    ORDER,
    Dog,
    Order,
    Weather,
    json_bytes,
    json_stream,
    message_stream,
    sdk_parsed_output,
)

WEATHER = {  # HELLO with JSON for its text
    **HELLO,
    "t": ev.text(0, '{"ci'),
    "u": ev.text(0, 'ty": "Paris", "temp": 21}'),
    "w": ev.text(0, ', "temp": "warm"}'),
    "v": ev.text(0, 'ty": "Paris"'),
}


def test_parsed_output_marble_emits_the_validated_value_once_at_message_stop() -> None:
    """The docstring's diagram."""
    out = run("-S-b-t-u-B-D-X-|", parsed_output(Weather), WEATHER)
    assert timeline(out) == expect("-------------v-|", {"v": Weather(city="Paris", temp=21)})


def test_parsed_output_marble_ends_with_output_validation_error_at_the_block_stop() -> None:
    out = run("-S-b-t-v-w-B-D-X-|", parsed_output(Weather), WEATHER)
    assert timeline(out) == expect("-----------#", error=arx.OutputValidationError)
    error = error_of(out)
    assert isinstance(error, arx.OutputValidationError)
    assert error.text == '{"city": "Paris", "temp": "warm"}'
    assert error.index == 0
    assert [(e["loc"], e["type"]) for e in error.errors] == [(["temp"], "int_parsing")]
    assert error.snapshot is not None and error.snapshot.text == error.text


def test_parsed_output_marble_a_json_cut_by_max_tokens_is_an_output_validation_error() -> None:
    out = run("-S-b-t-B-D-X-|", parsed_output(Weather), WEATHER)
    assert timeline(out) == expect("-------#", error=arx.OutputValidationError)
    error = error_of(out)
    assert isinstance(error, arx.OutputValidationError)
    assert error.text == '{"ci' and error.errors[0]["type"] == "json_invalid"


def test_parsed_output_marble_no_text_block_is_an_output_validation_error_at_message_stop() -> None:
    given = {**WEATHER, "b": ev.block_start(0, type="tool_use", id="t", name="f", input={})}
    given["j"] = ev.input_json(0, "{}")
    out = run("-S-b-j-B-D-X-|", parsed_output(Weather), given)
    assert timeline(out) == expect("-----------#", error=arx.OutputValidationError)
    assert "got none" in str(error_of(out))


def test_parsed_output_marble_passes_the_typed_error_of_the_stream() -> None:
    out = run("-S-b-t-E-|", parsed_output(Weather), WEATHER)
    assert timeline(out) == expect("-------#", error=arx.OverloadedError)


def test_the_output_validation_error_is_picklable_and_copyable() -> None:
    out = run("-S-b-t-v-w-B-D-X-|", parsed_output(Weather), WEATHER)
    error = error_of(out)
    assert isinstance(error, arx.OutputValidationError)
    error.snapshot = None  # the snapshot's own pickling is another issue's
    for twin in (pickle.loads(pickle.dumps(error)), copy.copy(error), copy.deepcopy(error)):
        assert isinstance(twin, arx.OutputValidationError)
        assert (str(twin), twin.text, twin.errors, twin.index) == (
            str(error),
            error.text,
            error.errors,
            error.index,
        )
    assert isinstance(error, arx.AnthropicRxError) and isinstance(error, ValueError)


# -- against the official SDK, on the same bytes ------------------------------------------


FORMATS: list[tuple[Any, Any]] = [
    (Order, ORDER),
    (Weather, {"city": "Paris", "temp": 21}),
    (list[int], [1, 2, 3]),
    (dict[str, float], {"a": 1.5}),
    (Order | Weather, {"city": "Oslo", "temp": -3}),
]


@pytest.mark.parametrize(("output_format", "value"), FORMATS, ids=repr)
@pytest.mark.parametrize("size", [1, 7, 10_000])
def test_parsed_output_equals_the_sdks_parsed_output(
    output_format: Any, value: Any, size: int
) -> None:
    data = json_bytes(value, size)
    ours = arx.from_bytes(data).pipe(parsed_output(output_format)).run()
    theirs = sdk_parsed_output(chunked(data, 17), output_format)
    assert ours == theirs
    assert type(ours) is type(theirs)


def test_parsed_output_equals_the_sdks_on_a_real_recording() -> None:
    data = read_recording("llm-structured-json-as-text.sse")
    ours = arx.from_bytes(data).pipe(parsed_output(Dog)).run()
    assert ours == sdk_parsed_output(data, Dog)
    assert ours.name == "Biscuit" and ours.age == 4


def test_parsed_output_fails_where_the_sdk_fails_and_carries_its_errors() -> None:
    data = ev.encode(json_stream('{"city": "Paris", "temp": "warm"}'))
    with pytest.raises(pydantic.ValidationError) as theirs:
        sdk_parsed_output(data, Weather)
    out = record(arx.from_bytes(data).pipe(parsed_output(Weather)))
    assert isinstance(out.error, arx.OutputValidationError) and out.values == []
    assert out.error.errors == json.loads(theirs.value.json(include_url=False))


def test_parsed_output_takes_the_first_truthy_text_block_as_the_sdk_does() -> None:
    data = ev.encode(
        [
            ev.message_start(),
            *ev.text_block(0, "[]"),
            *ev.text_block(1, "[4, 5]"),
            *ev.message_end(),
        ]
    )
    ours = arx.from_bytes(data).pipe(parsed_output(list[int])).run()
    assert ours == sdk_parsed_output(data, list[int]) == [4, 5]


# -- on a MessageStream, and for a whole Message ---------------------------------------------


def test_parsed_output_without_a_type_reads_the_streams_output_format() -> None:
    stream = message_stream(json_bytes(ORDER), output_format=Order)
    assert stream.pipe(parsed_output()).run() == Order.model_validate(ORDER)
    assert stream.pipe(parsed_output(Order)).run() == Order.model_validate(ORDER)  # replayed


def test_parsed_output_without_a_type_on_a_stream_without_one_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="output_format"):
        arx.from_bytes(json_bytes(ORDER)).pipe(parsed_output())
    with pytest.raises(TypeError, match="output_format"):
        message_stream(json_bytes(ORDER)).pipe(parsed_output())


async def _await_parsed(data: bytes) -> Order:
    return await arx.from_bytes(data).pipe(parsed_output(Order))


@pytest.mark.anyio
async def test_parsed_output_can_be_awaited() -> None:
    assert await _await_parsed(json_bytes(ORDER)) == Order.model_validate(ORDER)


def test_parse_output_of_a_whole_message_equals_parsed_output() -> None:
    data = json_bytes(ORDER)
    message = arx.from_bytes(data).pipe(final_message()).run()
    assert parse_output(message, Order) == sdk_parsed_output(data, Order)
    assert arx.parse_output(message, Order) == Order.model_validate(ORDER)


def test_parse_output_of_a_message_that_does_not_fit_raises_output_validation_error() -> None:
    message = arx.from_bytes(ev.encode(json_stream('{"city": 1}'))).pipe(final_message()).run()
    with pytest.raises(arx.OutputValidationError) as caught:
        parse_output(message, Weather)
    assert caught.value.text == '{"city": 1}' and len(caught.value.errors) == 2
    empty = message.model_copy(update={"content": []})
    with pytest.raises(arx.OutputValidationError, match="got none"):
        parse_output(empty, Weather)
