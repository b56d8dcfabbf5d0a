"""The replay is compact while the stream runs: steps appended one by one, read from anywhere.

A running `MessageStream` appends each step to a `CompactSteps` (``sources/_replay.py``) as
it comes, and each block's log is sealed at its ``content_block_stop``. After every append,
a reader starting at any position gets steps equal to the ones appended, on every real
recording and on generated streams.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from reactivex import operators as ops

import anthropic_rx as arx
from anthropic_rx._core import CompactLog, OpenLog, Step
from anthropic_rx.events import ContentBlockDeltaEvent, TextDelta
from anthropic_rx.operators import final_message, text_only
from anthropic_rx.sources._replay import CompactSteps, compact_replay
from tests.conftest import read_recording
from tests.core.test_compact import (
    RECORDINGS,
    assert_same_steps,
    reference,
    steps_of,
    text_stream,
)
from tests.sources.fakes import FakeResponse
from tests.strategies import GeneratedStream, message_streams


def appended(steps: list[Step]) -> CompactSteps:
    log = CompactSteps()
    for step in steps:
        log.append(step)
    return log


@pytest.mark.parametrize("name", RECORDINGS)
def test_appended_steps_read_back_equal_from_every_position_at_every_length(name: str) -> None:
    data = read_recording(name)
    _, steps = steps_of(data)
    original = reference(data)
    log = CompactSteps()
    for n, step in enumerate(steps, 1):
        log.append(step)
        if n % 7 == 0 or n == len(steps):
            for start in {0, n // 2, n - 1}:
                assert_same_steps(original[:n], log, start)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(message_streams())
def test_appended_generated_streams_read_back_equal(stream: GeneratedStream) -> None:
    data = stream.data
    _, steps = steps_of(data)
    log = appended(steps)
    for start in range(len(steps)):
        assert_same_steps(reference(data), log, start)


def test_a_block_is_sealed_at_its_stop_and_its_deltas_kept_as_indexes() -> None:
    pieces = [f"p{i} " for i in range(3000)]  # crosses the read checkpoints
    _, steps = steps_of(text_stream(pieces))
    stop = next(i for i, s in enumerate(steps) if s.event.type == "content_block_stop")
    log = appended(steps[: stop + 1])
    builder = steps[-1].snapshot._frame.builders[0]  # type: ignore[union-attr]
    assert isinstance(builder.log, CompactLog) and builder.log.joined == "".join(pieces)
    assert len(log._kept) == stop + 1 - len(pieces) and log.coded == len(pieces)  # pyright: ignore[reportPrivateUsage]
    for start in (0, 1023, 1024, 2049, stop):
        assert_same_steps(reference(text_stream(pieces))[: stop + 1], log, start)


def test_a_running_stream_holds_no_delta_objects_and_a_late_view_equals_a_live_one() -> None:
    pieces = [f"word{i} " for i in range(2000)]
    data = text_stream(pieces)
    chunks = [data[i : i + 64] for i in range(0, len(data), 64)]
    gate, reached, half = threading.Event(), threading.Event(), len(chunks) // 2

    class Gated(FakeResponse):
        def iter_bytes(self) -> Iterator[bytes]:
            for i, chunk in enumerate(chunks):
                if i == half:
                    reached.set()
                    gate.wait(30)
                yield chunk

    stream = arx.from_response(Gated(chunks))
    live: list[arx.StreamEvent] = []
    stream.subscribe(live.append)
    assert reached.wait(30)  # half the deltas are in, and the reader waits
    log = stream._steps  # pyright: ignore[reportPrivateUsage]
    assert isinstance(log, CompactSteps)
    assert len(log._kept) == 2  # pyright: ignore[reportPrivateUsage]  # message_start and the block start: no delta step is kept whole
    snapshot = stream.snapshot
    assert snapshot is not None
    open_log = snapshot._frame.builders[0].log  # pyright: ignore[reportPrivateUsage]
    assert isinstance(open_log, OpenLog) and open_log.items  # the open block: its strings
    assert all(type(item) is str for item in open_log.items)
    middle: list[arx.StreamEvent] = []
    stream.subscribe(middle.append)
    gate.set()
    assert stream.wait(30)
    late: list[arx.StreamEvent] = []
    stream.subscribe(late.append)
    assert live == middle == late and len(live) == len(pieces) + 5
    deltas = [e.delta for e in late if isinstance(e, ContentBlockDeltaEvent)]
    texts = [d.text for d in deltas if isinstance(d, TextDelta)]
    assert "".join(texts) == "".join(pieces)


def test_a_delta_step_kept_whole_between_coded_ones_replays_in_order() -> None:
    # The middle event has a field this version does not know: its step is kept whole,
    # while the plain deltas around it are stored as indexes (at the end: compact_replay).
    lines = text_stream(["a", "b", "c", "d"]).split(b"\n\n")
    middle = next(i for i, line in enumerate(lines) if b'"text": "b"' in line)
    lines[middle] = lines[middle].replace(b'"index": 0,', b'"index": 0, "future": 1,')
    data = b"\n\n".join(lines)
    acc, steps = steps_of(data)
    original = reference(data)
    compact = compact_replay(acc.snapshot, steps)
    assert isinstance(compact, CompactSteps)
    for start in range(len(steps)):
        assert_same_steps(original, compact, start)
        assert_same_steps(original, appended(reference(data)), start)


def test_late_views_of_a_long_finished_stream_read_it_in_batches_whole() -> None:
    # 3,000 deltas: a late view reads them 1,024 at a time; final_message's view skips the
    # deltas it does not want (whole batches of them) and still gets the message.
    pieces = [f"p{i} " for i in range(3000)]
    data = text_stream(pieces)
    stream = arx.from_response(FakeResponse([data[i : i + 64] for i in range(0, len(data), 64)]))
    live = stream.pipe(final_message()).run()
    assert stream.wait(30)
    assert stream.pipe(final_message()).run() == live
    late_text: list[str] = []
    stream.pipe(text_only()).subscribe(late_text.append)
    assert late_text == pieces
    assert [s.event for s in stream.__arx_steps__(None).pipe(ops.to_list()).run()] == [
        s.event for s in reference(data)
    ]
