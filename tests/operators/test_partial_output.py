"""partial_output(): Partial values of the answer's JSON as it grows; the last one validated."""

from __future__ import annotations

import itertools
import json
import random
from typing import Any

import pytest

import anthropic_rx as arx
from anthropic_rx.operators import Partial, partial_output

from ..conftest import read_recording
from ..events_helpers import MESSAGE_STOP, block_start, encode, message_delta, message_start
from ..events_helpers import stop as block_stop
from ..events_helpers import text as text_delta
from .helpers import record
from .marbles import OVERLOADED, expect, run, timeline
from .structured import (
    ORDER,
    Dog,
    Item,
    Order,
    Weather,
    json_bytes,
    json_stream,
    message_stream,
    sdk_parsed_output,
)

WEATHER = {
    "S": message_start(),
    "b": block_start(0, type="text", text=""),
    "t": text_delta(0, '{"ci'),
    "u": text_delta(0, 'ty": "Pa'),
    "v": text_delta(0, 'ris", "t'),
    "w": text_delta(0, 'emp": 2'),
    "x": text_delta(0, "1}"),
    "s": text_delta(0, "  "),
    "B": block_stop(0),
    "D": message_delta(),
    "X": MESSAGE_STOP,
    "E": OVERLOADED,
}


def show(p: Partial[Any]) -> tuple[Any, bool]:
    return p.data, p.complete


def test_partial_output_marble_emits_only_when_the_partial_value_changes() -> None:
    """The docstring's diagram: the unfinished key and number emit nothing."""
    out = run("-S-b-t-u-v-w-x-B-D-X-|", partial_output(Weather), WEATHER)
    assert timeline(out, show) == expect(
        "-----p-q-r---s-P-----|",
        {
            "p": ({}, False),
            "q": ({"city": "Pa"}, False),
            "r": ({"city": "Paris"}, False),
            "s": ({"city": "Paris", "temp": 21}, False),
            "P": ({"city": "Paris", "temp": 21}, True),
        },
    )
    last = out.messages[-2].value.value
    assert last.value == Weather(city="Paris", temp=21)


def test_partial_output_marble_whitespace_emits_nothing() -> None:
    given = {**WEATHER, "o": text_delta(0, "{"), "c": text_delta(0, '"city": "Pa')}
    out = run("-S-b-s-o-s-c-B-D-X-|", partial_output(Weather), given)
    assert [row for row in timeline(out, show) if row[1] != "|"][:2] == [
        (207, ({}, False)),
        (211, ({"city": "Pa"}, False)),
    ]


def test_partial_output_marble_ends_with_the_validation_error_after_the_partials() -> None:
    out = run("-S-b-t-u-B-D-X-|", partial_output(Weather), WEATHER)
    assert timeline(out, show) == expect(
        "-----p-q-#",
        {"p": ({}, False), "q": ({"city": "Pa"}, False)},
        error=arx.OutputValidationError,
    )


def test_partial_output_marble_passes_the_streams_error_after_the_partials() -> None:
    out = run("-S-b-t-u-E-|", partial_output(Weather), WEATHER)
    assert timeline(out, show) == expect(
        "-----p-q-#", {"p": ({}, False), "q": ({"city": "Pa"}, False)}, error=arx.OverloadedError
    )


def test_an_answer_that_is_not_json_emits_nothing_then_the_error_with_the_whole_text() -> None:
    data = encode(json_stream("I can't help with that.", 4, stop_reason="refusal"))
    out = record(arx.from_bytes(data).pipe(partial_output(Weather)))
    assert out.values == []
    assert isinstance(out.error, arx.OutputValidationError)
    assert out.error.text == "I can't help with that."
    assert out.error.errors[0]["type"] == "json_invalid"


# -- the partial values ---------------------------------------------------------------------


def _consistent(partial: Any, final: Any) -> bool:
    """Whether *partial* can grow into *final*: nothing in it that *final* contradicts."""
    if isinstance(partial, dict):
        return isinstance(final, dict) and all(
            k in final and _consistent(v, final[k]) for k, v in partial.items()
        )
    if isinstance(partial, list):
        return (
            isinstance(final, list)
            and len(partial) <= len(final)
            and all(_consistent(v, f) for v, f in zip(partial, final, strict=False))
        )
    if isinstance(partial, str):
        return isinstance(final, str) and final.startswith(partial)
    return bool(partial == final and type(partial) is type(final))


@pytest.mark.parametrize("seed", range(12))
def test_no_partial_value_contradicts_the_final_one_in_any_chunking(seed: int) -> None:
    rng = random.Random(seed)
    value = {**ORDER, "note": 'say "hi" \u00e9\U0001f600', "items": [*ORDER["items"]] * 3}
    value["items"][1] = {"name": "n", "qty": -12.5e3 if seed % 2 else 1234567}
    doc = json.dumps(value, indent=rng.choice([None, 2]), ensure_ascii=bool(seed % 3))
    cuts = sorted(rng.sample(range(1, len(doc)), rng.randint(1, len(doc) // 2)))
    parts = [doc[a:b] for a, b in zip([0, *cuts], [*cuts, len(doc)], strict=True)]
    events = [
        message_start(),
        block_start(0, type="text", text=""),
        *(text_delta(0, p) for p in parts),
        block_stop(0),
        message_delta(),
        MESSAGE_STOP,
    ]
    model = dict[str, Any]
    out = record(arx.from_bytes(encode(events)).pipe(partial_output(model)))
    assert out.error is None and out.completed
    final = json.loads(doc)
    datas = [p.data for p in out.values]
    assert all(_consistent(d, final) for d in datas)
    assert all(a != b for a, b in itertools.pairwise(datas)) or datas[-1] == final
    assert out.values[-1].complete and out.values[-1].value == final
    assert sum(p.complete for p in out.values) == 1


def test_partial_instances_are_models_built_without_validation_fields_not_seen_unset() -> None:
    out = record(arx.from_bytes(json_bytes(ORDER, 2)).pipe(partial_output(Order)))
    assert out.error is None
    first = out.values[0]
    assert first.data == {} and first.fields_set == frozenset() and first.value is None
    assert isinstance(first.instance, Order)
    with pytest.raises(AttributeError):
        _ = first.instance.customer
    assert first.get("customer", "?") == "?"
    mid = next(p for p in out.values if len(p.data.get("items", [])) == 2)
    assert mid.instance is not None and isinstance(mid.instance.items[0], Item)
    assert mid.instance.items[0] == Item(name="tea", qty=12)
    assert mid.get("note", "unset") == "unset" and "note" not in mid.fields_set
    second = mid.instance.items[1]
    assert second.model_fields_set <= {"name"}  # its qty (a default) is not set
    last = out.values[-1]
    assert last.complete and last.value == Order.model_validate(ORDER)
    assert last.instance is last.value  # complete: the validated value, defaults and all


def test_a_finished_nested_model_is_built_once_and_shared_by_later_partials() -> None:
    """Linear: each partial rebuilds only the path to what is being written."""
    value = {"customer": "Ada", "items": [{"name": f"i{i}", "qty": i} for i in range(30)]}
    out = record(arx.from_bytes(json_bytes(value, 4)).pipe(partial_output(Order)))
    partials = [p for p in out.values if not p.complete and len(p.data.get("items", [])) > 5]
    firsts = {id(p.instance.items[0]) for p in partials if p.instance is not None}
    assert len(partials) > 50 and len(firsts) == 1


def test_partial_output_on_a_real_recording_grows_to_the_sdks_parsed_output() -> None:
    data = read_recording("llm-structured-json-as-text.sse")
    out = record(arx.from_bytes(data).pipe(partial_output(Dog)))
    assert out.error is None and out.completed
    bios = [p.data["bio"] for p in out.values if "bio" in p.data]
    assert all(b.startswith(a) for a, b in itertools.pairwise(bios))
    assert out.values[-1].value == sdk_parsed_output(data, Dog)
    assert [p.get("age") for p in out.values][-1] == 4


def test_partial_output_without_a_type_reads_the_streams_output_format() -> None:
    stream = message_stream(json_bytes(ORDER), output_format=Order)
    last = stream.pipe(partial_output()).run()
    assert last.complete and last.value == Order.model_validate(ORDER)
    with pytest.raises(TypeError, match="output_format"):
        arx.from_bytes(json_bytes(ORDER)).pipe(partial_output())


def test_partials_equal_by_content() -> None:
    a = record(arx.from_bytes(json_bytes(ORDER)).pipe(partial_output(Order))).values
    b = record(arx.from_bytes(json_bytes(ORDER)).pipe(partial_output(Order))).values
    assert a == b and a[0] != a[-1] and a[0] != "x"
    assert "Partial(complete" in repr(a[-1])


def test_a_text_block_that_starts_with_text_is_parsed_from_its_start() -> None:
    events = [
        message_start(),
        block_start(0, type="text", text='{"city": "Os'),
        text_delta(0, 'lo", "temp": -3}'),
        block_stop(0),
        message_delta(),
        MESSAGE_STOP,
    ]
    out = record(arx.from_bytes(encode(events)).pipe(partial_output(Weather)))
    assert [(p.data, p.complete) for p in out.values] == [
        ({"city": "Oslo", "temp": -3}, False),
        ({"city": "Oslo", "temp": -3}, True),
    ]
    broken = [events[0], block_start(0, type="text", text="Sorry"), *events[2:]]
    out = record(arx.from_bytes(encode(broken)).pipe(partial_output(Weather)))
    assert out.values == [] and isinstance(out.error, arx.OutputValidationError)
    assert out.error.text.startswith("Sorry")
