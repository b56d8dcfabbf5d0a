"""run() and VirtualClock: pipelines in virtual seconds, recorded as a Run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import reactivex
from reactivex import operators as ops
from reactivex.scheduler import VirtualTimeScheduler
from reactivex.testing import TestScheduler

import anthropic_rx as arx
from anthropic_rx.operators import (
    accumulate,
    coalesce_text,
    final_message,
    final_text,
    latest,
    text_only,
)
from anthropic_rx.testing import (
    Record,
    Run,
    StreamScript,
    VirtualClock,
    assert_emitted,
    assert_text,
    marbles,
    run,
)

from ..conftest import REAL, require_corpus

#: Four deltas 10 ms apart: faster than a 25 ms frame.
FAST = marbles("S-b-tttt-B-D-X|", {"t": ["Hel", "lo", ", wor", "ld"]}, tick=0.01)


def test_coalesce_text_in_virtual_seconds_sends_one_piece_a_frame() -> None:
    result = run(FAST.pipe(coalesce_text(0.025)))
    assert_emitted(result, ["Hel", "lo, wor", "ld"], times=[0.04, 0.065, 0.09])
    assert_text(result, "Hello, world")


def test_sixty_frames_a_second_reads_naturally_to_the_microsecond() -> None:
    events = marbles("S-b-tttt-B-D-X|", tick=0.01)  # deltas 10 ms apart
    result = run(events.pipe(coalesce_text(1 / 60)))
    # The first delta goes at once, then one piece a frame: the last two share a frame.
    assert_emitted(result, ["t", "t", "tt"], times=[0.04, 0.04 + 1 / 60, 0.04 + 2 / 60])
    assert result.times[1] == 0.056667  # reactivex keeps virtual time in microseconds


def test_the_subscription_scheduler_reaches_operators_and_a_factory_gets_the_clock() -> None:
    implicit = run(FAST.pipe(latest(0.025)))
    explicit = run(lambda clock: FAST.pipe(latest(0.025, scheduler=clock)))
    assert implicit.records == explicit.records
    assert implicit.times == [0.0, 0.025, 0.05, 0.075, 0.1, 0.125, 0.14]  # the last, flushed


def test_a_recording_paced_in_tokens_per_second_replays_in_virtual_time(tmp_path: Path) -> None:
    path = tmp_path / "hello.sse"
    path.write_bytes(StreamScript().text("Hello, ", "world!").sse())
    result = run(arx.from_recording(path, pace=10).pipe(text_only()))
    # Four characters a token at 10 tokens a second: "Hello, " is 2 tokens, "world!" 2.
    assert_emitted(result, ["Hello, ", "world!"], times=[0.2, 0.4])


def test_a_real_recording_replays_at_its_pace_without_real_time_passing() -> None:
    path = require_corpus(REAL / "llm-long-text-99-deltas.sse")
    result = run(arx.from_recording(path, pace=50).pipe(coalesce_text(0.1)))
    assert 1 < len(result.values) < 99  # 99 deltas at 50 tokens a second, in 10 frames a second
    assert result.end_time is not None and result.end_time > 5
    assert_text(result, arx.from_recording(path).pipe(final_text()).run())


def test_until_stops_a_pipeline_that_never_ends_and_disposes_it() -> None:
    disposed: list[bool] = []
    ticks = reactivex.interval(1.0).pipe(ops.finally_action(lambda: disposed.append(True)))
    result = run(ticks, until=3.5)
    assert_emitted(result, [0, 1, 2], times=[1, 2, 3], end="open")
    assert disposed == [True]


def test_a_run_without_until_disposes_its_subscription_at_the_end() -> None:
    disposed: list[bool] = []
    events = marbles("S-b-t").pipe(ops.finally_action(lambda: disposed.append(True)))
    result = run(events)
    assert not result.ended
    assert disposed == [True]


def test_run_properties_describe_values_times_and_the_end() -> None:
    result = run(marbles("S-b-t-E|").pipe(text_only()))
    assert result.values == ["t"]
    assert result.times == [0.4]
    assert result.last == "t"
    assert not result.completed
    assert isinstance(result.error, arx.OverloadedError)
    assert result.ended and result.end_time == 0.6
    assert result.records[0] == Record(0.4, "next", "t")
    time, kind, value = result.records[1]
    assert (time, kind, type(value)) == (0.6, "error", arx.OverloadedError)


def test_run_text_reads_strings_events_snapshots_and_messages_alike() -> None:
    script = StreamScript().text("Hel", "lo").observable()
    assert run(script.pipe(text_only())).text == "Hello"
    assert run(script).text == "Hello"
    assert run(script.pipe(accumulate())).text == "Hello"
    assert run(script.pipe(final_message())).text == "Hello"
    with pytest.raises(TypeError, match="got int"):
        _ = run(reactivex.of(1, 2)).text


def test_last_of_an_empty_run_fails_with_the_timeline() -> None:
    with pytest.raises(AssertionError, match=r"emitted none\n.*completed"):
        _ = run(reactivex.empty()).last


def test_a_run_prints_as_a_timeline_and_reprs_in_one_line() -> None:
    result = run(marbles("S-b-t-t-B-D-X|", {"t": ["Hel", "lo"]}).pipe(text_only()))
    assert str(result) == (
        "      0.400000 s  next       'Hel'\n"
        "      0.600000 s  next       'lo'\n"
        "      1.300000 s  completed"
    )
    assert repr(result) == "<Run 2 values, completed at 1.3 s>"
    assert str(Run(())) == "  (nothing: no value, no end)"


def test_a_clock_advances_step_by_step_for_tests_that_look_between_frames() -> None:
    clock = VirtualClock()
    shown: list[str] = []
    FAST.pipe(coalesce_text(0.025, scheduler=clock)).subscribe(shown.append, scheduler=clock)
    clock.advance(0.05)
    assert shown == ["Hel"]
    assert clock.time == 0.05
    clock.advance(0.025)
    assert shown == ["Hel", "lo, wor"]
    clock.run_until_idle()
    assert shown == ["Hel", "lo, wor", "ld"]
    with pytest.raises(ValueError, match="non-negative"):
        clock.advance(-1)


def test_a_clock_is_a_test_scheduler_starting_wherever_asked() -> None:
    clock = VirtualClock(10)
    assert isinstance(clock, TestScheduler)
    result = run(FAST.pipe(text_only()), scheduler=clock)
    assert result.times == [10.04, 10.05, 10.06, 10.07]


def test_many_events_at_one_instant_keep_the_time_unlike_reactivex_start() -> None:
    """reactivex's VirtualTimeScheduler.start moves its clock a second after 100 actions."""

    def at_zero(scheduler: Any) -> list[float]:
        times: list[float] = []
        for _ in range(150):
            scheduler.schedule(lambda s, _=None: times.append(s.to_seconds(s.clock)))
        return times

    quirky = VirtualTimeScheduler(0.0)
    quirky_times = at_zero(quirky)
    quirky.start()
    assert max(quirky_times) >= 1.0  # the quirk this clock avoids
    clock = VirtualClock()
    times = at_zero(clock)
    clock.run_until_idle()
    assert set(times) == {0.0}


def test_work_that_reschedules_itself_forever_at_one_instant_is_reported() -> None:
    clock = VirtualClock()

    def again(scheduler: Any, _: Any = None) -> None:
        scheduler.schedule(again)

    clock.schedule(again)
    with pytest.raises(RuntimeError, match="reschedules itself without delay"):
        clock.run_until_idle()


def test_running_the_clock_from_inside_a_scheduled_action_is_refused() -> None:
    clock = VirtualClock()
    errors: list[Exception] = []

    def nested(_: Any, __: Any = None) -> None:
        try:
            clock.run_until_idle()
        except RuntimeError as exc:
            errors.append(exc)

    clock.schedule(nested)
    clock.run_until_idle()
    assert len(errors) == 1


def test_an_action_that_calls_stop_ends_the_run_there_as_on_a_test_scheduler() -> None:
    clock = VirtualClock()
    ran: list[float] = []

    def note(scheduler: Any, _: Any = None) -> None:
        ran.append(clock.time)

    def halt(scheduler: Any, _: Any = None) -> None:
        ran.append(clock.time)
        clock.stop()

    clock.schedule_relative(1.0, note)
    clock.schedule_relative(2.0, halt)
    clock.schedule_relative(3.0, note)

    clock.run_until_idle(until=10)
    assert ran == [1.0, 2.0] and clock.time == 2.0  # the rest is still scheduled
    clock.run_until_idle()
    assert ran == [1.0, 2.0, 3.0]
