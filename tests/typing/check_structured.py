# pyright: strict
"""Type tests for structured output: type-checked, never run (see README.md here).

A pipeline on a model infers `Partial[Model]`, whose ``value`` and ``instance`` are the model
(or ``None``); `parsed_output(Model)` infers the model, `parse_output` too.
"""

from __future__ import annotations

from typing import Any, assert_type

import pydantic
from reactivex import Observable

import anthropic_rx as arx
from anthropic_rx.operators import (
    Partial,
    parse_output,
    parsed_output,
    partial_output,
    partial_tool_input,
)


class Weather(pydantic.BaseModel):
    city: str
    temp: int


def structured_pipelines_infer_the_model(
    events: Observable[arx.StreamEvent], message: arx.Message
) -> None:
    assert_type(events.pipe(parsed_output(Weather)), Observable[Weather])
    assert_type(events.pipe(parsed_output()), Observable[Any])
    assert_type(events.pipe(partial_output(Weather)), Observable[Partial[Weather]])
    assert_type(events.pipe(partial_output()), Observable[Partial[Any]])
    assert_type(
        events.pipe(partial_tool_input(Weather, name="get_weather")),
        Observable[Partial[Weather]],
    )
    assert_type(parse_output(message, Weather), Weather)
    assert_type(arx.parse_output(message, Weather), Weather)


def a_partial_is_typed(partial: arx.Partial[Weather]) -> None:
    assert_type(partial.value, Weather | None)
    assert_type(partial.instance, Weather | None)
    assert_type(partial.complete, bool)
    assert_type(partial.fields_set, frozenset[str])
    assert_type(partial.index, int)
    assert_type(partial.id, str | None)
    if partial.value is not None:
        assert_type(partial.value.temp, int)
    if partial.instance is not None and "city" in partial.fields_set:
        assert_type(partial.instance.city, str)
    print(partial.value.city)  # type: ignore[union-attr]


def misuses_are_rejected(events: Observable[arx.StreamEvent]) -> None:
    partial_tool_input(Weather, "get_weather")  # type: ignore[call-arg]
    parse_output(events, Weather)  # type: ignore[arg-type]
