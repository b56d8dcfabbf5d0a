"""marbles(): typed events drawn one letter each, timed on the run's virtual clock."""

from __future__ import annotations

import pytest
from reactivex.scheduler import ImmediateScheduler

import anthropic_rx as arx
from anthropic_rx.events import ContentBlockDeltaEvent, ContentBlockStartEvent, TextDelta
from anthropic_rx.operators import (
    accumulate,
    citations,
    final_message,
    final_text,
    on_tool_input,
    stop_reason,
    text_only,
    thinking,
    tool_calls,
)
from anthropic_rx.testing import (
    StreamScript,
    assert_emitted,
    assert_error,
    assert_text,
    marbles,
    run,
)

from .spy import RacingClock, SpyClock


def test_each_character_takes_a_tick_and_letters_become_typed_events() -> None:
    result = run(marbles("S-b-t-B-D-X|"))
    assert [e.type for e in result.values] == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert result.times == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert result.end_time == 1.1


def test_the_default_text_of_a_t_is_its_letter_so_the_text_reads_like_the_diagram() -> None:
    assert_text(run(marbles("S-b-tttt-B-D-X|").pipe(final_text())), "tttt")


def test_letters_side_by_side_are_events_a_tick_apart_and_tick_sets_the_second() -> None:
    result = run(marbles("Sbtt BDX|", tick=1 / 60).pipe(text_only()))
    assert_emitted(result, ["t", "t"], times=[2 / 60, 3 / 60])


def test_a_list_value_gives_each_occurrence_its_own_value() -> None:
    events = marbles("S-b-t-t-B-D-X|", {"t": ["Hel", "lo"]})
    assert_emitted(run(events.pipe(text_only())), ["Hel", "lo"], times=[0.4, 0.6])


def test_letters_outside_the_legend_with_a_string_are_text_deltas() -> None:
    events = marbles("S-b-h-l-B-D-X|", {"h": "Hel", "l": "lo"})
    assert_text(run(events.pipe(final_text())), "Hello")


def test_a_group_sends_its_events_at_the_time_of_its_parenthesis() -> None:
    result = run(marbles("S-b-t-(BDX|)"))
    assert result.times[-3:] == [0.6, 0.6, 0.6]
    assert result.end_time == 0.6
    assert result.completed


def test_b_opens_the_block_its_next_delta_tells_and_indices_count_up() -> None:
    events = marbles("S-b-k-g-B-b-t-B-b-j-j-B-D-X|")
    message = run(events.pipe(final_message())).last
    assert [b.type for b in message.content] == ["thinking", "text", "tool_use"]
    starts = [e.index for e in run(events).values if isinstance(e, ContentBlockStartEvent)]
    assert starts == [0, 1, 2]
    assert message.stop_reason == "tool_use"


def test_default_tool_input_is_valid_json_that_grows_a_j_per_fragment() -> None:
    updates = run(marbles("S-b-j-j-j-B-D-X|").pipe(on_tool_input())).values
    assert [u.snapshot for u in updates] == [{"j": "j"}, {"j": "jj"}, {"j": "jjj"}]


def test_a_b_value_gives_the_block_and_j_values_the_input_fragments() -> None:
    events = marbles(
        "S-b-j-j-B-D-X|",
        {"b": {"type": "tool_use", "name": "get_weather"}, "j": ['{"city": "Pa', 'ris"}']},
    )
    updates = run(events.pipe(on_tool_input())).values
    assert [(u.name, u.snapshot) for u in updates] == [
        ("get_weather", {"city": "Pa"}),
        ("get_weather", {"city": "Paris"}),
    ]
    [call] = run(events.pipe(tool_calls())).values
    assert (call.id, call.input) == ("toolu_test0", {"city": "Paris"})


def test_thinking_citations_and_stop_reason_letters() -> None:
    events = marbles(
        "S-b-k-k-B-b-c-t-B-D-X|", {"k": ["Let me", " think"], "c": "cited", "D": "max_tokens"}
    )
    assert_text(run(events.pipe(thinking())), "Let me think")
    [citation] = run(events.pipe(citations())).values
    assert citation.cited_text == "cited"
    assert run(events.pipe(stop_reason())).values == ["max_tokens"]


def test_e_is_an_event_error_that_operators_turn_into_the_typed_error() -> None:
    result = run(marbles("S-b-t-E-t|").pipe(text_only()))
    assert_emitted(result, ["t"], end=arx.OverloadedError)
    assert result.end_time == 0.6
    limited = assert_error(run(marbles("S-E|", {"E": "rate_limit_error"}).pipe(text_only())))
    assert isinstance(limited, arx.RateLimitError)


def test_hash_is_a_broken_connection_by_default_or_the_given_error() -> None:
    error = assert_error(run(marbles("S-b-t-#").pipe(text_only())), arx.APIConnectionError)
    assert error.mid_stream
    assert error.snapshot is not None and error.snapshot.text == "t"
    boom = RuntimeError("boom")
    assert run(marbles("S-#", error=boom).pipe(text_only())).error is boom


def test_a_diagram_without_an_end_leaves_the_run_open() -> None:
    result = run(marbles("S-b-t").pipe(text_only()))
    assert not result.ended
    assert_emitted(result, ["t"], end="open")
    assert result.error is None


def test_typed_events_and_json_values_are_sent_as_they_are() -> None:
    events = StreamScript().text("Hi").events()
    result = run(marbles("e" * len(events) + "|", {"e": events}).pipe(final_text()))
    assert_text(result, "Hi")
    ping = run(marbles("q|", {"q": {"type": "ping"}})).values
    assert ping == [arx.PingEvent()]


def test_the_events_are_cold_and_each_subscription_gets_them_all() -> None:
    events = marbles("S-b-t-B-D-X|", tick=0.001)
    assert run(events.pipe(final_text())).values == ["t"]
    assert run(events.pipe(final_text())).values == ["t"]


def test_without_a_virtual_clock_the_ticks_pass_in_real_time() -> None:
    events = marbles("S-b-t-B-D-X|", tick=0.001)
    assert events.pipe(final_text()).run() == "t"  # on reactivex's timer threads


def test_a_deltas_index_is_the_open_blocks_and_a_stray_delta_is_a_protocol_error() -> None:
    [delta] = [e for e in run(marbles("S-b-B-b-t")).values if isinstance(e, ContentBlockDeltaEvent)]
    assert delta.index == 1 and isinstance(delta.delta, TextDelta)
    assert_error(run(marbles("S-t-X|").pipe(accumulate())), arx.StreamProtocolError)


@pytest.mark.parametrize(
    ("diagram", "values", "message"),
    [
        ("S-q|", {}, r"expected a letter of the legend .* got 'q'"),
        ("S-b-t-t|", {"t": ["a"]}, r"expected at most 1 occurrences of 't'"),
        ("S-b-t|", {"t": ["a", "b"]}, r"expected 2 occurrences of 't' for its values, got 1"),
        ("S-|-t", {}, r"'t' after the end"),
        ("S-(b-t", {}, r"a '\(' without its '\)'"),
        ("S-b)", {}, r"a '\)' without its '\('"),
        ("S,b", {}, r"a ',' outside a group"),
        ("S-X|", {"X": "no"}, r"expected no string value for 'X'"),
        ("S-b-t|", {"T": "Hel"}, r"expected 'T' in the diagram, since values has it \(a typo\?\)"),
    ],
)
def test_a_malformed_diagram_fails_at_once_saying_where(
    diagram: str, values: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        marbles(diagram, values)


def test_a_malformed_diagram_error_points_at_the_character() -> None:
    with pytest.raises(ValueError, match=r"S-\|-t\n      \^"):
        marbles("S-|-t")


def test_frames_are_scheduled_one_at_a_time_so_real_time_delivery_stays_serial() -> None:
    """Regression: a timer per frame let reactivex's timer threads deliver frames at once."""
    spy = SpyClock()
    events = marbles("S-b-tt(tt)-B-D-X|", {"t": ["a", "b", "c", "d"]}, tick=0.01)

    result = run(events.pipe(text_only()), scheduler=spy.clock)
    texts: list[str] = []
    events.pipe(text_only()).subscribe(texts.append, scheduler=spy)
    spy.clock.run_until_idle()

    assert spy.most_waiting == 1
    assert texts == result.values == ["a", "b", "c", "d"]
    assert result.times == [0.04, 0.05, 0.06, 0.06]  # offsets from the start: no drift


def test_no_frame_is_lost_when_a_timer_fires_before_it_is_scheduled_in_full() -> None:
    """Regression: the step before replaced, and so cancelled, the timer of the step after."""
    clock = RacingClock()
    texts: list[str] = []
    ended: list[bool] = []

    marbles("S-b-tttt-B-D-X|", {"t": ["a", "b", "c", "d"]}).pipe(text_only()).subscribe(
        texts.append, on_completed=lambda: ended.append(True), scheduler=clock
    )
    clock.clock.run_until_idle()

    assert texts == ["a", "b", "c", "d"] and ended == [True]


def test_a_scheduler_that_runs_each_frame_inline_does_not_recurse_per_frame() -> None:
    events = marbles("S-b-" + "t" * 2000 + "-B-D-X|", tick=0)
    texts: list[str] = []
    events.pipe(text_only()).subscribe(texts.append, scheduler=ImmediateScheduler())
    assert len(texts) == 2000
