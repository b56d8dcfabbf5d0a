"""from_recording(): a recorded .sse file replayed at once, or at a simulated pace in virtual time."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from reactivex import Observable
from reactivex import operators as ops
from reactivex.disposable import BooleanDisposable
from reactivex.scheduler.scheduler import Scheduler
from reactivex.testing import TestScheduler

import anthropic_rx as arx
from anthropic_rx.operators import final_message, final_text, text_only

from .. import events_helpers as ev
from ..conftest import REAL, read_recording
from ..operators.helpers import record
from ..operators.marbles import timeline

REAL_RECORDINGS = [
    "llm-text-short.sse",
    "sdkpy-tool-use.sse",
    "otel-thinking-sonnet37.sse",
    "pydai-web-search-citations-no-ping.sse",
    "sdkpy-max-tokens-truncated-tool-json.sse",
]

#: Each content delta with the tokens it stands for (about four characters a token, at least 1).
PACED: list[tuple[dict[str, Any], int]] = [
    (ev.message_start(), 0),
    (ev.block_start(0, type="thinking", thinking="", signature=""), 0),
    (ev.delta(0, type="thinking_delta", thinking="Let me"), 2),
    (ev.delta(0, type="signature_delta", signature="c2ln"), 1),
    (ev.stop(0), 0),
    (ev.block_start(1, type="text", text=""), 0),
    (ev.text(1, "Hello"), 2),
    (ev.text(1, "abcd"), 1),
    (ev.text(1, ""), 1),
    (ev.stop(1), 0),
    (ev.block_start(2, type="tool_use", id="toolu_1", name="f", input={}), 0),
    (ev.input_json(2, '{"a": 12345678}'), 4),
    (ev.stop(2), 0),
    (ev.message_delta("tool_use"), 0),
    (ev.MESSAGE_STOP, 0),
]


@pytest.fixture
def paced_file(tmp_path: Path) -> Path:
    path = tmp_path / "paced.sse"
    path.write_bytes(ev.encode([obj for obj, _ in PACED]))
    return path


def type_of(event: arx.StreamEvent) -> str:
    return event.type


# -- instant -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", REAL_RECORDINGS)
def test_an_instant_replay_gives_the_final_message_of_from_bytes(name: str) -> None:
    data = read_recording(name)
    assert outcome(arx.from_recording(REAL / name)) == outcome(arx.from_bytes(data))


def outcome(source: Observable[arx.StreamEvent]) -> Any:
    """The final message, or the error's type, text and snapshot (a cut tool call fails)."""
    try:
        return source.pipe(final_message()).run()
    except arx.AnthropicRxError as error:
        failure = error
    assert failure.snapshot is not None
    return type(failure), str(failure), failure.snapshot.to_message()


def test_an_instant_replay_is_synchronous_and_gives_every_event_then_completes() -> None:
    data = read_recording("llm-text-short.sse")
    out = record(arx.from_recording(str(REAL / "llm-text-short.sse")))
    assert out.completed
    assert out.values == record(arx.from_bytes(data)).values
    assert any(isinstance(e, arx.PingEvent) for e in out.values)


def test_an_instant_replay_is_cold_and_reads_the_file_again_per_subscription(
    tmp_path: Path,
) -> None:
    path = tmp_path / "hello.sse"
    path.write_bytes(ev.encode(ev.text_stream("first")))
    events = arx.from_recording(path)
    assert events.pipe(text_only(), ops.to_list()).run() == ["first"]
    path.write_bytes(ev.encode(ev.text_stream("second")))
    assert events.pipe(text_only(), ops.to_list()).run() == ["second"]


def test_an_instant_replay_of_a_missing_file_is_an_os_error(tmp_path: Path) -> None:
    out = record(arx.from_recording(tmp_path / "missing.sse"))
    assert out.values == []
    assert isinstance(out.error, OSError)
    assert isinstance(out.error, FileNotFoundError)


def test_an_instant_replay_of_a_broken_file_sends_the_events_before_the_error(
    tmp_path: Path,
) -> None:
    path = tmp_path / "broken.sse"
    path.write_bytes(ev.encode(ev.text_stream("ok")[:3]) + b"event: message_delta\ndata: {oops\n\n")
    out = record(arx.from_recording(path))
    assert [e.type for e in out.values] == [
        "message_start",
        "content_block_start",
        "content_block_delta",
    ]
    assert isinstance(out.error, arx.EventParseError)


# -- paced, in virtual time ----------------------------------------------------------------------


def test_a_paced_replay_sends_each_content_delta_after_its_tokens_at_the_pace(
    paced_file: Path,
) -> None:
    """pace=2 tokens a second: a delta of n tokens comes n/2 seconds after the event before."""
    scheduler = TestScheduler()
    out = scheduler.start(lambda: arx.from_recording(paced_file, pace=2, scheduler=scheduler))
    expected: list[tuple[float, Any]] = []
    clock = 200.0
    for obj, tokens in PACED:
        clock += tokens / 2
        expected.append((clock, obj["type"]))
    expected.append((clock, "|"))  # completion right after the last event, at its tick
    assert timeline(out, type_of) == expected
    assert expected[-2:] == [(205.5, "message_stop"), (205.5, "|")]  # 11 tokens at 2 a second


def test_a_paced_replay_uses_the_subscriptions_scheduler_when_given_none(
    paced_file: Path,
) -> None:
    explicit = TestScheduler()
    implicit = TestScheduler()
    by_argument = explicit.start(lambda: arx.from_recording(paced_file, pace=2, scheduler=explicit))
    by_subscription = implicit.start(lambda: arx.from_recording(paced_file, pace=2))
    assert timeline(by_subscription, type_of) == timeline(by_argument, type_of)


def test_a_paced_replay_of_a_real_recording_takes_its_tokens_time_and_gives_its_message() -> None:
    name = "otel-text-haiku3-70-deltas.sse"
    data = read_recording(name)
    events = record(arx.from_bytes(data)).values
    pace = 50.0
    scheduler = TestScheduler()
    out = scheduler.start(
        lambda: arx.from_recording(REAL / name, pace=pace, scheduler=scheduler).pipe(
            ops.timestamp(scheduler=scheduler)
        )
    )
    rows = timeline(out)
    sent = [value.value for _, value in rows[:-1]]
    assert sent == events
    clock = 200.0
    for (time, _), event in zip(rows[:-1], events, strict=True):
        if isinstance(event, arx.events.ContentBlockDeltaEvent):
            piece = getattr(event.delta, "text", None) or ""
            clock += max(1, math.ceil(len(piece) / 4)) / pace
        assert time == pytest.approx(clock)
    assert rows[-1] == (pytest.approx(clock), "|")
    whole = arx.from_bytes(data).pipe(final_message()).run()
    paced = TestScheduler()
    replay = paced.start(
        lambda: arx.from_recording(REAL / name, pace=pace, scheduler=paced).pipe(final_message())
    )
    assert [value for _, value in timeline(replay)] == [whole, "|"]


def test_disposing_a_paced_replay_stops_it(paced_file: Path) -> None:
    scheduler = TestScheduler()
    out = scheduler.start(
        lambda: arx.from_recording(paced_file, pace=2, scheduler=scheduler), disposed=201.2
    )
    assert timeline(out, type_of) == [
        (200.0, "message_start"),
        (200.0, "content_block_start"),
        (201.0, "content_block_delta"),  # "Let me"; the signature was due at 201.5
    ]


def test_take_stops_a_paced_replay_early(paced_file: Path) -> None:
    scheduler = TestScheduler()
    out = scheduler.start(
        lambda: arx.from_recording(paced_file, pace=2, scheduler=scheduler).pipe(ops.take(3))
    )
    assert timeline(out, type_of) == [
        (200.0, "message_start"),
        (200.0, "content_block_start"),
        (201.0, "content_block_delta"),
        (201.0, "|"),
    ]


@pytest.mark.parametrize("pace", [0, -1, -0.5, float("nan")])
def test_an_invalid_pace_raises_value_error_at_once(paced_file: Path, pace: float) -> None:
    with pytest.raises(ValueError, match="pace"):
        arx.from_recording(paced_file, pace=pace)


def test_a_paced_replay_of_a_missing_file_is_an_os_error_at_subscription(tmp_path: Path) -> None:
    scheduler = TestScheduler()
    out = scheduler.start(
        lambda: arx.from_recording(tmp_path / "missing.sse", pace=10, scheduler=scheduler)
    )
    assert timeline(out) == [(200.0, FileNotFoundError)]


def test_a_paced_replay_of_a_broken_file_sends_the_events_before_the_error(
    tmp_path: Path,
) -> None:
    """As from_bytes (and the instant replay): every event decoded before the error first."""
    path = tmp_path / "broken.sse"
    path.write_bytes(ev.encode(ev.text_stream("ok")[:3]) + b"event: message_delta\ndata: {oops\n\n")
    scheduler = TestScheduler()
    out = scheduler.start(lambda: arx.from_recording(path, pace=10, scheduler=scheduler))
    assert timeline(out, lambda e: e.type) == [
        (200.0, "message_start"),
        (200.0, "content_block_start"),
        (200.1, "content_block_delta"),
        (200.1, arx.EventParseError),
    ]


class _FiresBeforeReturning(Scheduler):
    """A clock whose first timer fires inside ``schedule_relative``, as a timer thread may
    before the caller stores the handle; later timers wait in `queued` until `run_queued`."""

    def __init__(self) -> None:
        super().__init__()
        self.first = True
        self.queued: list[tuple[BooleanDisposable, Any, Any]] = []

    def schedule(self, action: Any, state: Any = None) -> BooleanDisposable:
        return self.schedule_relative(0.0, action, state)

    def schedule_absolute(self, duetime: Any, action: Any, state: Any = None) -> BooleanDisposable:
        return self.schedule_relative(0.0, action, state)

    def schedule_relative(self, duetime: Any, action: Any, state: Any = None) -> BooleanDisposable:
        handle = BooleanDisposable()
        if self.first:
            self.first = False
            action(self, state)
        else:
            self.queued.append((handle, action, state))
        return handle

    def run_queued(self) -> None:
        while self.queued:
            handle, action, state = self.queued.pop(0)
            if not handle.is_disposed:
                action(self, state)


def test_a_paced_replay_goes_on_when_a_timer_fires_before_its_handle_is_stored(
    tmp_path: Path,
) -> None:
    # The race behind replays that stalled at random: storing the first timer's handle late
    # disposed the timer that had fired meanwhile scheduled.
    path = tmp_path / "hello.sse"
    path.write_bytes(ev.encode(ev.text_stream("Hel", "lo")))
    clock = _FiresBeforeReturning()
    out = record(arx.from_recording(path, pace=10, scheduler=clock).pipe(final_text()))
    clock.run_queued()
    assert out.values == ["Hello"] and out.completed
