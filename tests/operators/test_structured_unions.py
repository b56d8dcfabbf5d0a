"""partial_output() on unions: a partial instance is never a model the final one is not."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import pydantic
import pytest

import anthropic_rx as arx
from anthropic_rx.operators import partial_output

from .helpers import record
from .structured import json_bytes


class Cat(pydantic.BaseModel):
    kind: Literal["cat"] = "cat"
    name: str
    meows: bool = True


class Dog(pydantic.BaseModel):
    kind: Literal["dog"] = "dog"
    name: str
    barks: bool = True


class Pets(pydantic.BaseModel):
    pets: list[Cat | Dog]


class Tagged(pydantic.BaseModel):
    pets: list[Annotated[Cat | Dog, pydantic.Field(discriminator="kind")]]


@pytest.mark.parametrize(
    ("model", "pets"),
    [
        (Pets, [{"name": "Rex", "barks": False}, {"name": "Tom", "meows": False}]),
        (Pets, [{"kind": "dog", "name": "Rex"}, {"kind": "cat", "name": "Tom"}]),
        (Tagged, [{"kind": "dog", "name": "Rex"}, {"kind": "cat", "name": "Tom"}]),
    ],
)
def test_a_union_item_is_a_model_only_once_the_json_says_which(
    model: type[pydantic.BaseModel], pets: list[dict[str, Any]]
) -> None:
    out = record(arx.from_bytes(json_bytes({"pets": pets}, 1)).pipe(partial_output(model)))
    assert out.error is None
    final = out.values[-1].value
    assert final is not None
    kinds: list[set[type]] = [set() for _ in pets]
    for partial in out.values[:-1]:
        assert partial.instance is not None
        for i, item in enumerate(getattr(partial.instance, "pets", [])):
            kinds[i].add(type(item))
            if isinstance(item, pydantic.BaseModel):  # never a model the final item is not
                assert type(item) is type(final.pets[i]), (partial.data, item)  # type: ignore[attr-defined]
    # Each item became its model while it streamed, once its keys or its tag told which.
    assert [k - {dict} for k in kinds] == [{Dog}, {Cat}]


class Inner(pydantic.BaseModel):
    a: int
    b: str = ""


class Renamed(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(populate_by_name=True)
    first: Inner = pydantic.Field(validation_alias="firstItem")
    second: list[Inner] = pydantic.Field(alias="Second")


def test_nested_models_under_aliases_are_built_as_models() -> None:
    value = {"firstItem": {"a": 1, "b": "x"}, "Second": [{"a": 2}, {"a": 3, "b": "yz"}]}
    out = record(arx.from_bytes(json_bytes(value, 2)).pipe(partial_output(Renamed)))
    assert out.error is None
    assert "firstItem" in Renamed.model_json_schema()["properties"]  # the key the model sends
    partials = [p.instance for p in out.values[:-1] if p.instance is not None]
    firsts = [p.first for p in partials if "first" in p.model_fields_set]
    seconds = [i for p in partials if "second" in p.model_fields_set for i in p.second]
    assert firsts and all(isinstance(f, Inner) for f in firsts)
    assert seconds and all(isinstance(i, Inner) for i in seconds)
    assert out.values[-1].value == Renamed.model_validate(value)
