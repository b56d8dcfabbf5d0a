"""The compact forms behave as the lists they replace, at their edges too.

`CompactLog` and `CompactSteps` (``_core/log.py``, ``sources/_replay.py``) stand in for a
finished stream's delta logs and replay steps. Whatever a list answers (negative and out-of-range indexes, slices with
a step, an empty slice, iteration), they must answer the same, and a stream that ended early
or began with a ``ping`` must replay as it was received.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

import anthropic_rx as arx
from anthropic_rx._core import MessageAccumulator, MessageSnapshot, Step
from anthropic_rx._core.blocks import BlockBuilder
from anthropic_rx._core.log import CompactLog, OpenLog
from anthropic_rx.events import InputJSONDelta, SignatureDelta, TextDelta, ThinkingDelta
from anthropic_rx.operators import accumulate
from anthropic_rx.sources._replay import CompactSteps, compact_replay

from .. import events_helpers as ev
from ..sources.fakes import FakeResponse


def steps_of(objs: list[dict[str, Any]]) -> tuple[MessageAccumulator, list[Step]]:
    acc = MessageAccumulator()
    steps: list[Step] = []
    for obj in objs:
        e = ev.event(obj)
        steps.append(Step(e, acc.feed(e)))
    return acc, steps


def view(snapshot: MessageSnapshot | None) -> Any:
    """What a reader gets from a snapshot, as plain data."""
    if snapshot is None:
        return None
    return snapshot.to_message().model_dump(mode="json"), snapshot.complete


def same(original: Sequence[Step], replayed: Sequence[Step]) -> bool:
    return len(original) == len(replayed) and all(
        a.event == b.event and view(a.snapshot) == view(b.snapshot)
        for a, b in zip(original, replayed, strict=True)
    )


THINKING = ["Let me ", "think", " about ", "it."]


def thinking_stream() -> list[dict[str, Any]]:
    """A thinking block (plain deltas, then a signature) and a text block."""
    return [
        ev.PING,  # a ping may come before message_start: it has no snapshot
        ev.message_start(),
        *ev.thinking_block(0, *THINKING, signature="sig-1"),
        ev.block_start(1, type="text", text=""),
        ev.text(1, "Hi"),
        ev.PING,
        ev.text(1, "!"),
        ev.stop(1),
        *ev.message_end(),
    ]


def compacted_thinking() -> tuple[list[Step], Sequence[Step], BlockBuilder]:
    acc, steps = steps_of(thinking_stream())
    original = steps_of(thinking_stream())[1]  # never compacted: the reference
    compact = compact_replay(acc.snapshot, steps)
    last = steps[-1].snapshot
    assert last is not None
    return original, compact, last._frame.builders[0]  # pyright: ignore[reportPrivateUsage]


# -- CompactLog --------------------------------------------------------------------------------


def test_a_thinking_log_keeps_its_signature_as_the_tail_and_indexes_like_a_list() -> None:
    _, _, builder = compacted_thinking()
    log = builder.log
    assert isinstance(log, CompactLog)
    assert (log.kind, log.field, log.prefix, len(log)) == (ThinkingDelta, "thinking", 4, 5)
    expected = [ThinkingDelta(thinking=t) for t in THINKING] + [SignatureDelta(signature="sig-1")]
    assert list(log) == expected
    assert [log[i] for i in range(-5, 5)] == expected + expected
    assert log[-1] == SignatureDelta(signature="sig-1")
    assert log[1:4:2] == expected[1:4:2]
    assert log[::-1] == expected[::-1]
    assert log[3:1] == []
    for bad in (5, -6, 99):
        with pytest.raises(IndexError, match="delta index out of range"):
            log[bad]


def test_a_compacted_block_reads_the_same_at_every_version() -> None:
    _, _, builder = compacted_thinking()
    thoughts = ["", *("".join(THINKING[:n]) for n in range(1, 5))]
    assert [builder.block_at(v).model_dump()["thinking"] for v in range(5)] == thoughts
    # Past the prefix the tail's signature_delta applies, as it did live.
    assert builder.block_at(5).model_dump() == {
        "type": "thinking",
        "thinking": "Let me think about it.",
        "signature": "sig-1",
    }


def tool_stream(*deltas: dict[str, Any]) -> list[dict[str, Any]]:
    """A tool block with *deltas*, stopped, then the message's end."""
    return [
        ev.message_start(),
        ev.block_start(0, type="tool_use", id="t", name="f", input={}),
        *deltas,
        ev.stop(0),
        ev.message_delta("tool_use"),
        ev.MESSAGE_STOP,
    ]


def tool_builder(objs: list[dict[str, Any]]) -> tuple[MessageAccumulator, list[Step], Any]:
    acc, steps = steps_of(objs)
    last = steps[-1].snapshot
    assert last is not None
    return acc, steps, last._frame.builders[0]  # pyright: ignore[reportPrivateUsage]


def test_the_json_text_of_a_compacted_tool_block_is_the_text_received() -> None:
    pieces = ['{"city": ', '"Par', 'is"', "}"]
    acc, steps, builder = tool_builder(tool_stream(*(ev.input_json(0, p) for p in pieces)))
    before = [builder.json_text(v) for v in range(len(pieces) + 1)]
    compact_replay(acc.snapshot, steps)
    assert isinstance(builder.log, CompactLog) and builder.log.kind is InputJSONDelta
    assert [builder.json_text(v) for v in range(len(pieces) + 1)] == before
    assert builder.json_text() == '{"city": "Paris"}'
    assert builder.partial_input(2) == {"city": "Par"}
    assert builder.block_at(len(pieces)).model_dump()["input"] == {"city": "Paris"}


def test_a_tool_fragment_with_an_unknown_field_is_kept_whole_and_still_parsed() -> None:
    objs = tool_stream(
        ev.input_json(0, '{"city": '),
        ev.delta(0, type="input_json_delta", partial_json='"Par', future=1),
        ev.input_json(0, 'is"}'),
    )
    acc, steps, builder = tool_builder(objs)
    for _ in range(2):  # open, then sealed (the whole fragment stays an object)
        assert builder.json_text() == '{"city": "Paris"}'
        assert builder.json_text(2) == '{"city": "Par'
        assert builder.partial_input(2) == {"city": "Par"}
        assert builder.log[1].model_extra == {"future": 1}
        compact_replay(acc.snapshot, steps)
    assert isinstance(builder.log, CompactLog) and builder.log.tail[0].model_extra == {"future": 1}
    assert same(steps_of(objs)[1], compact_replay(acc.snapshot, steps))


def test_a_log_that_does_not_start_with_a_plain_string_delta_is_not_sealed() -> None:
    empty = OpenLog(ThinkingDelta)
    assert empty.sealed() is empty and list(empty) == []
    signature_first = OpenLog(ThinkingDelta)
    for delta in (
        SignatureDelta(signature="s"),
        ThinkingDelta(type="thinking_delta", thinking="t"),
    ):
        signature_first.add(delta)
    assert signature_first.sealed() is signature_first
    assert signature_first.items[1] == "t"  # plain, after one that is not: still a string
    assert list(signature_first) == [
        SignatureDelta(signature="s"),
        ThinkingDelta(type="thinking_delta", thinking="t"),
    ]
    with_extra = OpenLog(ThinkingDelta)
    with_extra.add(ThinkingDelta.model_validate({"thinking": "t", "future": 1}))
    assert with_extra.sealed() is with_extra and with_extra[0].model_extra == {"future": 1}


def test_an_open_log_keeps_plain_deltas_as_strings_and_the_others_whole() -> None:
    log = OpenLog(TextDelta)
    unset_type = TextDelta(text="b")  # its type field was not set: not plain
    for delta in (TextDelta(type="text_delta", text="a"), unset_type):
        log.add(delta)
    assert log.items == ["a", unset_type]
    assert log.strings(0, 1) == "a" and log.strings(0, 2) is None
    assert log[1] is unset_type and log[0].model_fields_set == {"type", "text"}
    sealed = log.sealed()
    assert isinstance(sealed, CompactLog) and (sealed.prefix, sealed.tail) == (1, (unset_type,))
    assert sealed.raw(0, 2) == ["a", unset_type] and sealed.raw(1, 2) == [unset_type]
    assert sealed.strings(0, 2) is None and sealed.strings(0, 1) == "a"
    untyped = OpenLog(None)  # a block whose deltas have no one string kind: all kept whole
    untyped.add(TextDelta(type="text_delta", text="a"))
    assert isinstance(untyped.items[0], TextDelta) and untyped.sealed() is untyped


# -- CompactSteps ------------------------------------------------------------------------------


def test_compact_steps_index_and_slice_like_the_list_they_replace() -> None:
    original, compact, _ = compacted_thinking()
    assert isinstance(compact, CompactSteps)
    n = len(original)
    assert len(compact) == n
    for i in [*range(-n, n)]:
        assert same([original[i]], [compact[i]]), i
    for index in (slice(None, None, 2), slice(1, None, 3), slice(-4, None), slice(2, -3, 4)):
        assert same(original[index], compact[index]), index
    assert compact[5:5] == [] and compact[9:2] == []
    for bad in (n, -n - 1):
        with pytest.raises(IndexError, match="step index out of range"):
            compact[bad]


def test_compact_steps_slice_backwards_like_a_list() -> None:
    original, compact, _ = compacted_thinking()
    for index in (slice(None, None, -1), slice(-2, 3, -2)):
        assert same(original[index], compact[index]), index


def test_a_ping_before_message_start_is_replayed_without_a_snapshot() -> None:
    original, compact, _ = compacted_thinking()
    assert isinstance(compact[0].event, arx.PingEvent) and compact[0].snapshot is None
    # Reading from any later position replays past it to know each block's version.
    for start in range(len(original)):
        assert same(original[start:], compact[start:]), start


def test_a_stream_that_failed_mid_block_compacts_its_finished_blocks_only() -> None:
    objs = [
        ev.message_start(),
        *ev.text_block(0, "Calling."),
        *ev.tool_call(1, "f", '{"a": ', "nope}", id="t"),
    ]
    acc, steps = steps_of(objs)
    with pytest.raises(arx.ToolInputError):
        acc.feed(ev.event(ev.stop(1)))
    compact = compact_replay(acc.snapshot, steps)
    last = steps[-1].snapshot
    assert last is not None
    text_block, tool_block = last._frame.builders  # pyright: ignore[reportPrivateUsage]
    assert isinstance(text_block.log, CompactLog)
    assert isinstance(tool_block.log, OpenLog)  # never finished: it stays as it was
    reference = steps_of(objs)[1]
    assert same(reference, compact)
    assert compact[-1].snapshot is not None and compact[-1].snapshot.input_of(1) == {}
    # Compacting again (a second end of the same stream) keeps the same logs and steps.
    logs = (text_block.log, tool_block.log)
    assert same(reference, compact_replay(acc.snapshot, compact))
    assert (text_block.log, tool_block.log) == logs and text_block.log is logs[0]


def test_a_late_subscriber_gets_a_leading_ping_and_every_snapshot() -> None:
    data = ev.encode(thinking_stream())
    stream = arx.from_response(FakeResponse([data]))
    live = stream.pipe(accumulate()).run()
    assert stream.wait(10) and stream.error is None
    late: list[arx.StreamEvent] = []
    stream.subscribe(late.append)
    assert late == [ev.event(obj) for obj in thinking_stream()]
    assert isinstance(late[0], arx.PingEvent)
    assert view(stream.pipe(accumulate()).run()) == view(live)


# -- the accumulator's word: CompactSteps.add --------------------------------------------------


def mixed_stream() -> list[dict[str, Any]]:
    """Plain deltas, deltas with extra fields (on the delta, on the event), two blocks open."""
    return [
        ev.PING,
        ev.message_start(),
        ev.block_start(0, type="text", text=""),
        ev.text(0, "Hel"),
        ev.text(0, "lo"),
        {**ev.text(0, "!"), "future": 1},  # an event with a field this version does not know
        ev.text(0, " and"),
        ev.delta(0, type="text_delta", text=" more", future=2),  # a delta with one
        ev.text(0, " text"),
        ev.PING,
        ev.text(0, "."),
        ev.block_start(1, type="text", text=""),  # two blocks open: nothing is plain
        ev.text(1, "B"),
        ev.text(0, " A"),
        ev.stop(1),
        ev.text(0, " again"),
        ev.stop(0),
        *ev.thinking_block(2, *THINKING, signature="sig-1"),
        *ev.message_end(),
    ]


def test_add_codes_what_the_accumulator_calls_plain_and_replays_every_step_equal() -> None:
    acc = MessageAccumulator()
    original: list[Step] = []
    added = CompactSteps()
    for obj in mixed_stream():
        e = ev.event(obj)
        step = Step(e, acc.feed(e))
        original.append(step)
        added.add(step, acc.__arx_plain__)
    assert same(original, added)
    assert same(original[5:], added[5:])
    # It codes exactly the steps the checking `append` would (in a run of its own: the
    # blocks above are sealed by now).
    other = MessageAccumulator()
    appended = CompactSteps()
    for obj in mixed_stream():
        e = ev.event(obj)
        appended.append(Step(e, other.feed(e)))
    assert added.coded == appended.coded > 0
    # Blocks stopped on the way are sealed, as `append` seals them.
    last = original[-1].snapshot
    assert last is not None
    assert isinstance(last.__arx_parts__()[0].builders[0].log, CompactLog)


def test_add_after_a_kept_step_makes_append_keep_the_next() -> None:
    acc, steps = steps_of([ev.message_start(), ev.block_start(0, type="text", text="")])
    compact = CompactSteps()
    for step in steps:
        compact.add(step, False)
    e = ev.event(ev.text(0, "x"))
    step = Step(e, acc.feed(e))
    compact.append(step)  # appended without reading the steps before it: kept, not coded
    assert compact.coded == 0 and same([*steps, step], compact)
