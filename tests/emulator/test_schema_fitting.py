"""Generated values fit their schema, whatever the schema and the prompt (property tests),
and pydantic models, raw or transformed as the official SDK sends them, validate them."""

from __future__ import annotations

import random
from typing import Any, Literal

import pydantic
import pytest
from anthropic.lib._parse._transform import transform_schema
from hypothesis import given, settings
from hypothesis import strategies as st

from anthropic_rx.emulator._phrases import summarise
from anthropic_rx.emulator._schema import Prompt, fit

from .schema_check import problems

NAMES = ["city", "name", "query", "days", "count", "note", "email", "tags", "date", "limit"]
PROMPTS = st.one_of(
    st.sampled_from(
        [
            "",
            "Weather in Paris for 5 days?",
            "Search for 'rx streams', 3 results, city: Oslo, limit = 900",
            "Ada Lovelace and Alan Turing met in London in 1833",
            "-7 -3.5 0 1e9 NaN “curly” 'x'",
        ]
    ),
    st.text(max_size=60),
)


@st.composite
def strings(draw: st.DrawFn) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if draw(st.booleans()):
        schema["format"] = draw(st.sampled_from(["date", "date-time", "email", "uri", "uuid"]))
        return schema
    low = draw(st.integers(0, 6))
    if draw(st.booleans()):
        schema["minLength"] = low
    if draw(st.booleans()):
        schema["maxLength"] = low + draw(st.integers(0, 20))
    return schema


@st.composite
def numbers(draw: st.DrawFn) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": draw(st.sampled_from(["integer", "number"]))}
    low = draw(st.integers(-100, 100))
    width = draw(st.integers(2, 200))
    if draw(st.booleans()):
        schema["exclusiveMinimum" if draw(st.booleans()) else "minimum"] = low
    if draw(st.booleans()):
        schema["exclusiveMaximum" if draw(st.booleans()) else "maximum"] = low + width
    if schema["type"] == "integer" and draw(st.booleans()):
        schema["multipleOf"] = draw(st.integers(1, max(1, width // 3)))
    return schema


LEAVES = st.one_of(
    strings(),
    numbers(),
    st.just({"type": "boolean"}),
    st.just({"type": "null"}),
    st.lists(st.sampled_from(["low", "high", "celsius", 3, None]), min_size=1, unique=True).map(
        lambda values: {"enum": values}
    ),
    st.sampled_from([1, "fixed", True]).map(lambda value: {"const": value}),
)


def extend(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    objects = st.dictionaries(st.sampled_from(NAMES), children, max_size=4).flatmap(
        lambda properties: st.builds(
            lambda required, closed: {
                "type": "object",
                "properties": properties,
                "required": required,
                **({"additionalProperties": False} if closed else {}),
            },
            st.lists(st.sampled_from(sorted(properties) or ["_"]), unique=True).map(
                lambda names: [n for n in names if n in properties]
            ),
            st.booleans(),
        )
    )
    arrays = st.builds(
        lambda items, low, extra: {
            "type": "array",
            "items": items,
            "minItems": low,
            **({"maxItems": low + extra} if extra is not None else {}),
        },
        children,
        st.integers(0, 3),
        st.none() | st.integers(0, 3),
    )
    nullable = children.map(lambda s: {"anyOf": [s, {"type": "null"}]})
    return st.one_of(objects, arrays, nullable)


SCHEMAS = st.recursive(LEAVES, extend, max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(SCHEMAS, PROMPTS, st.integers(0, 2**32))
def test_every_generated_value_fits_its_schema(schema: Any, prompt: str, seed: int) -> None:
    value = fit(schema, random.Random(seed), Prompt(prompt))
    assert problems(schema, value) == []


@settings(max_examples=100, deadline=None)
@given(SCHEMAS, PROMPTS)
def test_the_same_schema_and_prompt_give_the_same_value(schema: Any, prompt: str) -> None:
    first = fit(schema, random.Random(7), Prompt(prompt))
    assert fit(schema, random.Random(7), Prompt(prompt)) == first


class Node(pydantic.BaseModel):
    label: str
    children: list[Node] = []


class Trip(pydantic.BaseModel):
    traveler: str = pydantic.Field(min_length=2, max_length=30)
    destination: str
    nights: int = pydantic.Field(ge=1, le=7)
    budget: float = pydantic.Field(gt=0, lt=5000)
    tags: set[str]
    kind: Literal["city", "beach", "mountain"]
    notes: str | None = None
    plan: Node
    scores: dict[str, int]
    legs: list[tuple[str, int]] = []


def test_pydantic_models_validate_raw_and_sdk_transformed_schemas() -> None:
    text = "Plan a beach trip for Tim Peters to Lisbon, 12 nights, budget 900"
    for schema in (Trip.model_json_schema(), transform_schema(Trip)):
        for seed in range(20):
            value = fit(schema, random.Random(seed), Prompt(text))
            trip = Trip.model_validate(value)
            assert trip.kind == "beach"
            assert trip.nights == 7  # 12 asked, 7 allowed: clamped to the bound
    trip = Trip.model_validate(fit(transform_schema(Trip), random.Random(0), Prompt(text)))
    assert (trip.traveler, trip.destination, trip.budget) == ("Tim Peters", "Lisbon", 900)


@pytest.mark.parametrize(
    ("content", "summary"),
    [
        (
            '{"temperature": 18, "sunny": true, "wind": {"kmh": 5}}',
            'temperature 18, sunny yes, wind {"kmh": 5}',
        ),
        ("{}", "an empty result"),
        ('["a", 2, null, "d"]', "4 items: a, 2, null and 1 more"),
        ("[]", "0 items"),
        ("   ", "nothing"),
        ("Sunny.", '"Sunny"'),
        ("{not json", '"{not json"'),
    ],
)
def test_tool_results_are_summarised_by_shape(content: str, summary: str) -> None:
    assert summarise(content) == summary


def test_a_long_result_is_cut_at_a_sentence_or_a_word() -> None:
    sentence = "The forecast for the whole week is mild and mostly dry with some wind. "
    cut = summarise(sentence * 5)
    assert cut.startswith('"The forecast') and len(cut) <= 165
    words = summarise("word " * 100)
    assert words.endswith('…"') and len(words) <= 165
