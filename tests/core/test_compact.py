"""The compact replay of a finished stream gives what the steps it replaces gave.

`compact_replay` stores a finished stream's delta logs as strings and offsets
(``_core/log.py``) and its plain delta steps as block indexes (``sources/_replay.py``). These tests compare, step by
step, what the compact form gives against the original steps of the same bytes: events equal
field for field, snapshots that read the same message, partial tool input included, from any
starting position, on every real recording and on generated streams.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import anthropic_rx as arx
from anthropic_rx._core import CompactLog, MessageAccumulator, MessageSnapshot, Step
from anthropic_rx.events import ContentBlockDeltaEvent
from anthropic_rx.operators import accumulate, final_message
from anthropic_rx.sources._replay import CompactSteps, compact_replay
from tests.conftest import read_recording, real_recording_names
from tests.sources.fakes import FakeResponse
from tests.strategies import GeneratedStream, message_streams

from .. import events_helpers as ev

RECORDINGS = real_recording_names() or ["corpus-absent.sse"]


def steps_of(data: bytes) -> tuple[MessageAccumulator, list[Step]]:
    acc = MessageAccumulator()
    steps: list[Step] = []
    for sse in arx.SSEDecoder().decode(data):
        event = arx.parse_event(sse)
        try:
            snapshot = acc.feed(event)
        except arx.ToolInputError:  # a tool call cut at message_stop: the stream ends there
            break
        steps.append(Step(event, snapshot))
    return acc, steps


def view(snapshot: MessageSnapshot | None) -> Any:
    """Everything a reader can get from a snapshot, as plain data."""
    if snapshot is None:
        return None
    inputs = [
        (snapshot.input_of(i), snapshot.input_of(i, strings="complete"))
        for i, block in enumerate(snapshot.content)
        if block.type == "tool_use"
    ]
    return (snapshot.to_message().model_dump(mode="json"), snapshot.complete, inputs)


def assert_same_steps(original: Sequence[Step], compact: Sequence[Step], start: int = 0) -> None:
    replayed = compact[start:]
    assert len(replayed) == len(original) - start
    for position, (a, b) in enumerate(zip(original[start:], replayed, strict=True), start):
        assert a.event == b.event, f"event {position}"
        assert a.event.model_fields_set == b.event.model_fields_set, f"event {position}"
        assert a.event.model_dump(mode="json") == b.event.model_dump(mode="json")
        assert view(a.snapshot) == view(b.snapshot), f"snapshot {position}"


def reference(data: bytes) -> list[Step]:
    """The steps of *data* from an accumulator that is never compacted."""
    return steps_of(data)[1]


@pytest.mark.parametrize("name", RECORDINGS)
def test_the_compact_replay_of_every_recording_equals_its_steps(name: str) -> None:
    data = read_recording(name)
    acc, steps = steps_of(data)
    compact = compact_replay(acc.snapshot, steps)
    original = reference(data)
    assert_same_steps(original, compact)
    # A late reader that starts anywhere gets the same steps from there.
    for start in {1, len(steps) // 3, len(steps) // 2, len(steps) - 1}:
        assert_same_steps(original, compact, start)
    assert [compact[i].event for i in (0, -1)] == [original[0].event, original[-1].event]


def test_snapshots_handed_out_before_compaction_read_the_same_blocks_after() -> None:
    name = "pydai-pause-turn-web-search.sse"
    data = read_recording(name)
    acc, steps = steps_of(data)
    compact = compact_replay(
        acc.snapshot, steps
    )  # nothing of `steps` was read before: caches are cold
    assert isinstance(compact, CompactSteps)
    assert [view(s.snapshot) for s in steps] == [view(s.snapshot) for s in reference(data)]


def text_stream(pieces: Sequence[str], **extra: Any) -> bytes:
    """One text block of *pieces*, each delta with the *extra* fields, as the wire's bytes."""
    return ev.encode(
        [
            ev.message_start(id="msg_1", model="m", usage={"input_tokens": 1, "output_tokens": 1}),
            ev.block_start(0, type="text", text=""),
            *(ev.delta(0, type="text_delta", text=piece, **extra) for piece in pieces),
            ev.stop(0),
            *ev.message_end(output_tokens=9),
        ]
    )


def test_plain_text_deltas_become_indexes_and_the_log_one_string() -> None:
    pieces = ["Hel", "lo", ", ", "wörld", "", "!"]
    acc, steps = steps_of(text_stream(pieces))
    compact = compact_replay(acc.snapshot, steps)
    assert isinstance(compact, CompactSteps)
    builder = steps[-1].snapshot._frame.builders[0]  # type: ignore[union-attr]
    assert isinstance(builder.log, CompactLog)
    assert builder.log.joined == "Hello, wörld!" and len(builder.log) == len(pieces)
    assert [d.text for d in builder.log] == pieces  # type: ignore[union-attr]
    assert_same_steps(reference(text_stream(pieces)), compact)


def test_deltas_with_fields_this_version_does_not_know_are_kept_whole() -> None:
    data = text_stream(["a", "b"], future_field=1)
    acc, steps = steps_of(data)
    compact = compact_replay(acc.snapshot, steps)
    assert compact is steps  # nothing could be stored compactly without losing the field
    delta = compact[2].event
    assert isinstance(delta, ContentBlockDeltaEvent)
    assert delta.delta.model_extra == {"future_field": 1}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(message_streams())
def test_the_compact_replay_of_generated_streams_equals_their_steps(
    stream: GeneratedStream,
) -> None:
    acc, steps = steps_of(stream.data)
    compact = compact_replay(acc.snapshot, steps)
    assert_same_steps(reference(stream.data), compact)
    assert_same_steps(reference(stream.data), compact, len(steps) // 2)


def test_a_late_subscriber_to_a_finished_stream_gets_what_an_early_one_got() -> None:
    data = read_recording("pydai-pause-turn-web-search.sse")
    chunks = [data[i : i + 4096] for i in range(0, len(data), 4096)]
    stream = arx.from_response(FakeResponse(chunks))
    early = stream.pipe(accumulate()).run()  # the last snapshot, read live
    assert stream.wait(10) and stream.error is None
    assert isinstance(stream._steps, CompactSteps)  # wait() returns once it is compact
    late_events: list[arx.StreamEvent] = []
    stream.subscribe(late_events.append)
    assert late_events == [s.event for s in reference(data)]
    assert stream.pipe(final_message()).run() == early.to_message()


def memory_of_a_stream(data: bytes, chunk: int = 1 << 20) -> tuple[int, int]:
    """The peak traced memory while *data* streams (in *chunk*-byte reads), and what is kept."""
    chunks = [data[i : i + chunk] for i in range(0, len(data), chunk)]
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        stream = arx.from_response(FakeResponse(chunks))
        message = stream.pipe(final_message()).run()
        assert stream.wait(10)
        peak = tracemalloc.get_traced_memory()[1] - base
        del message
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - base
        assert stream.pipe(accumulate()).run().text  # and it still replays
        return peak, kept
    finally:
        tracemalloc.stop()


def test_a_finished_stream_keeps_less_than_its_bytes_for_many_small_deltas() -> None:
    # 4,000 tiny deltas: as objects they took ~11x the bytes; stored compactly, well under 1x.
    data = text_stream([f"w{i % 10}" for i in range(4000)])
    memory_of_a_stream(data)  # warm caches (pydantic, imports) first
    assert memory_of_a_stream(data)[1] < len(data)


def test_a_stream_never_holds_its_deltas_as_objects_while_it_runs() -> None:
    # One event per read, as live: the open block keeps each delta as its string, so the
    # peak stays near the bytes (as objects: ~4.5x them at the end of the block).
    pieces = [f"word{i % 10} " for i in range(4000)]
    data = text_stream(pieces)
    memory_of_a_stream(data, 128)
    peak, _ = memory_of_a_stream(data, 128)
    assert peak < 1.5 * len(data), (peak, len(data))
