"""on_tool_input(): each tool's input as it streams, parsed lazily and linearly."""

from __future__ import annotations

import anthropic_rx as arx
from anthropic_rx.operators import on_tool_input

from .. import events_helpers as ev
from .helpers import record
from .marbles import OVERLOADED, error_of, expect, run, timeline


def tool_stream() -> list[dict[str, object]]:
    return [
        ev.message_start(),
        *ev.text_block(0, "Checking."),
        *ev.tool_call(1, "get_weather", "", '{"city": "Pa', 'ris", "days": 1', "0}"),
        ev.stop(1),
        *ev.tool_call(
            2, "web_search", '{"query": "rain"}', id="srvtoolu_2", type="server_tool_use"
        ),
        ev.stop(2),
        *ev.message_end("tool_use"),
    ]


def test_on_tool_input_emits_updates_with_index_id_name_fragment_and_snapshot() -> None:
    out = record(arx.from_bytes(ev.encode(tool_stream())).pipe(on_tool_input()))
    assert [(u.index, u.id, u.name, u.partial_json) for u in out.values] == [
        (1, "toolu_1", "get_weather", ""),
        (1, "toolu_1", "get_weather", '{"city": "Pa'),
        (1, "toolu_1", "get_weather", 'ris", "days": 1'),
        (1, "toolu_1", "get_weather", "0}"),
        (2, "srvtoolu_2", "web_search", '{"query": "rain"}'),
    ]
    assert [u.snapshot for u in out.values] == [
        {},
        {"city": "Pa"},
        {"city": "Paris"},  # "days": 1 may still grow, so it is left out
        {"city": "Paris", "days": 10},
        {"query": "rain"},
    ]


def test_on_tool_input_snapshots_can_be_read_late_and_in_any_order() -> None:
    out = record(arx.from_bytes(ev.encode(tool_stream())).pipe(on_tool_input("get_weather")))
    assert [u.snapshot for u in reversed(out.values)] == [
        {"city": "Paris", "days": 10},
        {"city": "Paris"},
        {"city": "Pa"},
        {},
    ]


def test_on_tool_input_filters_by_tool_name() -> None:
    out = record(arx.from_bytes(ev.encode(tool_stream())).pipe(on_tool_input("web_search")))
    assert [u.name for u in out.values] == ["web_search"]
    assert "web_search" in repr(out.values[0])


# -- in virtual time ---------------------------------------------------------------------------

WEATHER = {
    "S": ev.message_start(),
    "b": ev.block_start(0, type="tool_use", id="toolu_1", name="get_weather", input={}),
    "j": ev.input_json(0, '{"ci'),
    "k": ev.input_json(0, 'ty": "Paris"}'),
    "n": ev.input_json(0, "not json"),
    "B": ev.stop(0),
    "c": ev.block_start(1, type="tool_use", id="toolu_2", name="get_time", input={}),
    "m": ev.input_json(1, '{"tz": "CET"}'),
    "C": ev.stop(1),
    "D": ev.message_delta("tool_use"),
    "X": ev.MESSAGE_STOP,
    "E": OVERLOADED,
}


def test_on_tool_input_marble_emits_an_update_at_the_tick_of_each_input_delta() -> None:
    """The docstring's diagram: u.snapshot is {} after '{"ci', then {"city": "Paris"}."""
    out = run("-S-b-j-k-B-X-|", on_tool_input(), WEATHER)
    assert timeline(out, lambda u: (u.id, u.snapshot)) == expect(
        "-----j-k-----|", {"j": ("toolu_1", {}), "k": ("toolu_1", {"city": "Paris"})}
    )


def test_on_tool_input_marble_with_a_name_skips_the_other_tools_deltas() -> None:
    out = run("-S-b-j-k-B-c-m-C-D-X-|", on_tool_input("get_time"), WEATHER)
    assert timeline(out, lambda u: u.snapshot) == expect(
        "-------------m-------|", {"m": {"tz": "CET"}}
    )


def test_on_tool_input_marble_ends_with_tool_input_error_when_the_input_is_not_json() -> None:
    out = run("-S-b-n-B-X-|", on_tool_input(), WEATHER)
    assert timeline(out, lambda u: u.partial_json) == expect(
        "-----n-#", {"n": "not json"}, error=arx.ToolInputError
    )
    error = error_of(out)
    assert isinstance(error, arx.ToolInputError)
    assert error.partial_json == "not json"


def test_on_tool_input_marble_ends_with_incomplete_stream_error_after_the_updates() -> None:
    out = run("-S-b-j-k-|", on_tool_input(), WEATHER)
    assert timeline(out, lambda u: u.partial_json) == expect(
        "-----j-k-#", {"j": '{"ci', "k": 'ty": "Paris"}'}, error=arx.IncompleteStreamError
    )


def test_on_tool_input_marble_ends_with_the_typed_error_of_an_error_event() -> None:
    out = run("-S-b-j-E-k-B-X-|", on_tool_input(), WEATHER)
    assert timeline(out, lambda u: u.partial_json) == expect(
        "-----j-#", {"j": '{"ci'}, error=arx.OverloadedError
    )
