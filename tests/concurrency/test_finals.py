"""final_messages() / final_texts(): one answer per stream of a merged stream, tagged."""

from __future__ import annotations

from typing import Any

import pytest
import reactivex
from reactivex import operators as ops

import anthropic_rx as arx
from anthropic_rx.concurrency import (
    StreamFailed,
    Tagged,
    final_messages,
    final_texts,
    merge_tagged,
    stream_many,
)
from anthropic_rx.emulator import Emulator
from anthropic_rx.operators import final_message, final_text, text_only
from anthropic_rx.testing import StreamScript

from .helpers import KEY, params


def script(text: str) -> reactivex.Observable[arx.StreamEvent]:
    return StreamScript().text(*text.partition(" ")).observable()


def test_final_texts_gives_each_streams_text_tagged() -> None:
    sources = {"a": script("Alpha answer."), "b": script("Beta answer.")}
    items = merge_tagged(sources).pipe(final_texts(), ops.to_list()).run()
    assert {item.key: item.value for item in items} == {"a": "Alpha answer.", "b": "Beta answer."}
    assert all(isinstance(item, Tagged) for item in items)


def test_final_messages_gives_each_streams_message_as_it_ends() -> None:
    sources = {"a": script("one"), "b": script("two")}
    items = merge_tagged(sources).pipe(final_messages(), ops.to_list()).run()
    assert [item.key for item in items] == ["a", "b"]
    for item in items:
        assert isinstance(item.value, arx.Message)
        assert item.value == sources[item.key].pipe(final_message()).run()


def test_a_failed_stream_is_passed_on_with_isolate_errors() -> None:
    boom = RuntimeError("boom")
    sources: dict[str, reactivex.Observable[Any]] = {
        "ok": script("fine"),
        "bad": reactivex.throw(boom),
    }
    items = merge_tagged(sources, isolate_errors=True).pipe(final_texts(), ops.to_list()).run()
    got = {item.key: item.value for item in items}
    assert got["ok"] == "fine"
    assert isinstance(got["bad"], StreamFailed) and got["bad"].error is boom


def test_a_stream_cut_short_is_an_incomplete_error_naming_its_key() -> None:
    cut = script("never ends").pipe(ops.take(3))
    with pytest.raises(arx.IncompleteStreamError) as info:
        merge_tagged({"whole": script("fine"), "cut": cut}).pipe(final_messages()).run()
    assert any("'cut'" in note for note in info.value.__notes__)
    assert info.value.snapshot is not None


def test_a_message_without_text_is_a_no_text_error_naming_its_key() -> None:
    tool = StreamScript().tool_use("get_weather", {"city": "Paris"}).observable()
    with pytest.raises(arx.NoTextError) as info:
        merge_tagged({"tool": tool}).pipe(final_texts()).run()
    assert any("'tool'" in note for note in info.value.__notes__)


def test_final_texts_refuses_items_that_are_not_tagged() -> None:
    with pytest.raises(TypeError, match=r"final_texts\(\) reads a merged stream"):
        script("plain").pipe(final_texts()).run()


@pytest.mark.parametrize("operator", [final_text, final_message, text_only])
def test_a_per_stream_operator_fed_tagged_items_names_the_per_key_ones(operator: Any) -> None:
    merged = merge_tagged({"a": script("one"), "b": script("two")})
    with pytest.raises(TypeError, match=r"got a Tagged item \(key 'a'\).*final_texts\(\)"):
        merged.pipe(operator()).run()


def test_a_per_stream_operator_fed_something_else_says_what_it_got() -> None:
    with pytest.raises(TypeError, match=r"expected a stream event.*got a int"):
        reactivex.of(1, 2).pipe(final_text()).run()


def test_stream_many_then_final_texts_against_the_emulator(emu: Emulator) -> None:
    questions = {f"q{i}": params(f"Say something about number {i}") for i in range(5)}
    with arx.Client(api_key=KEY, base_url=emu.base_url) as client:
        items = (
            stream_many(client, questions, max_concurrent=2)
            .pipe(final_texts(), ops.to_list())
            .run()
        )
        one = client.messages.stream(**questions["q3"]).pipe(final_text()).run()
    assert sorted(item.key for item in items) == sorted(questions)
    assert all(isinstance(item.value, str) and item.value for item in items)
    assert {item.key: item.value for item in items}["q3"] == one


def test_stream_many_then_final_text_is_a_type_error_not_an_attribute_error(emu: Emulator) -> None:
    questions = {f"q{i}": params(f"question {i}") for i in range(3)}
    with (
        arx.Client(api_key=KEY, base_url=emu.base_url) as client,
        pytest.raises(TypeError, match=r"final_messages\(\)"),
    ):
        stream_many(client, questions).pipe(final_text()).run()
