"""`MessageSnapshot`: the message's fields and blocks as they stood after one event."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import pytest

import anthropic_rx as arx
from anthropic_rx.events import TextBlock, ToolUseBlock

from .. import events_helpers as ev

REFUSAL = {"type": "refusal", "category": "cyber", "explanation": "Not this."}
CONTAINER = {"id": "container_011", "expires_at": "2026-04-24T11:13:36.730129Z"}


def snapshots(objs: list[dict[str, Any]]) -> list[arx.MessageSnapshot]:
    acc = arx.MessageAccumulator()
    snaps = [acc.feed(ev.event(obj)) for obj in objs]
    assert all(s is not None for s in snaps)
    return [s for s in snaps if s is not None]


def test_each_snapshot_reads_the_message_fields_as_they_stood_then() -> None:
    objs = [
        ev.message_start(
            id="msg_01", model="claude-x", usage={"input_tokens": 12, "output_tokens": 1}
        ),
        {
            "type": "message_delta",
            "delta": {
                "stop_reason": "refusal",
                "stop_sequence": None,
                "stop_details": REFUSAL,
                "container": CONTAINER,
            },
            "usage": {"output_tokens": 7},
        },
        ev.MESSAGE_STOP,
    ]
    started, delta, stopped = snapshots(objs)
    assert (started.id, started.model, started.role) == ("msg_01", "claude-x", "assistant")
    assert (started.stop_reason, started.stop_sequence) == (None, None)
    assert (started.stop_details, started.container) == (None, None)
    assert (started.usage.input_tokens, started.usage.output_tokens) == (12, 1)
    # message_delta changes the later snapshots only.
    assert (delta.stop_reason, delta.stop_details, delta.container) == (
        "refusal",
        REFUSAL,
        CONTAINER,
    )
    assert (delta.usage.input_tokens, delta.usage.output_tokens) == (12, 7)
    assert started.usage.output_tokens == 1
    # What the properties say is what the final message says.
    message = stopped.to_message()
    assert (stopped.id, stopped.model, stopped.role) == (message.id, message.model, message.role)
    assert (stopped.stop_details, stopped.container, stopped.usage) == (
        message.stop_details,
        message.container,
        message.usage,
    )


def test_the_matched_stop_sequence_is_reported() -> None:
    objs = [
        ev.message_start(),
        *ev.text_block(0, "one two "),
        {
            "type": "message_delta",
            "delta": {"stop_reason": "stop_sequence", "stop_sequence": "THREE"},
            "usage": {"output_tokens": 3},
        },
        ev.MESSAGE_STOP,
    ]
    last = snapshots(objs)[-1]
    assert (last.stop_reason, last.stop_sequence) == ("stop_sequence", "THREE")
    assert last.to_message().stop_sequence == "THREE"


def test_message_fields_this_version_does_not_model_are_read_as_attributes() -> None:
    [snap] = snapshots([ev.message_start(diagnostics={"region": "eu"}, trace="t-1")])
    assert (snap.diagnostics, snap.trace) == ({"region": "eu"}, "t-1")
    extra = snap.extra
    assert extra == {"diagnostics": {"region": "eu"}, "trace": "t-1"}
    extra["trace"] = "changed"  # `extra` is a copy: the snapshot never changes
    assert snap.trace == "t-1" and snap.extra["trace"] == "t-1"


def test_a_snapshot_without_unmodelled_fields_has_empty_extra() -> None:
    [snap] = snapshots([ev.message_start()])
    assert snap.extra == {}


def test_a_misspelt_attribute_is_an_attribute_error_naming_it() -> None:
    [snap] = snapshots([ev.message_start(diagnostics={"x": 1})])
    with pytest.raises(
        AttributeError, match="'MessageSnapshot' object has no attribute 'diagnostic'"
    ):
        _ = snap.diagnostic
    assert not hasattr(snap, "stop_reasons")


def test_private_and_dunder_names_are_never_looked_up_in_the_extra_fields() -> None:
    """A field the API names ``_x`` stays in ``extra``; protocols probing dunders see none."""
    [snap] = snapshots([ev.message_start(_internal=1)])
    assert snap.extra == {"_internal": 1}
    assert not hasattr(snap, "_internal")
    assert not hasattr(snap, "__setstate__")


def test_a_snapshot_can_be_copied_and_the_copy_reads_the_same_message() -> None:
    # copy.copy builds an empty object and probes it for __setstate__ before its slots are
    # set: __getattr__ must answer that without reading the (unset) frame.
    snap = snapshots(ev.text_stream("Hel", "lo"))[3]
    twin = copy.copy(snap)
    assert twin is not snap
    assert twin.text == snap.text == "Hello"
    assert twin.to_message() == snap.to_message()


def test_a_deep_copy_of_a_snapshot_is_the_snapshot_itself() -> None:
    # Immutable, so copying it deeply (a pydantic model or dataclass holding one, say) must
    # work, and need not copy anything: the blocks' builders hold a lock.
    snap = snapshots(ev.text_stream("Hel", "lo"))[3]
    holder = {"snapshot": snap, "text": ["kept"]}
    twin = copy.deepcopy(holder)
    assert twin["snapshot"] is snap and twin["text"] == ["kept"]
    assert twin["text"] is not holder["text"]


def interleaved() -> list[dict[str, Any]]:
    """Two blocks open at once, their deltas interleaved (as a merging proxy may send)."""
    return [
        ev.message_start(),
        ev.block_start(0, type="text", text=""),
        ev.block_start(1, type="tool_use", id="toolu_1", name="search", input={}),
        ev.text(0, "Hel"),
        ev.input_json(1, '{"q": "pa'),
        ev.text(0, "lo"),
        ev.stop(0),
        ev.input_json(1, 'ris"}'),
        ev.stop(1),
        ev.message_delta("tool_use"),
        ev.MESSAGE_STOP,
    ]


def test_every_snapshot_survives_pickle_and_reads_what_it_saw_then() -> None:
    """Issue 10 item 9: an error carrying a snapshot can cross to another process."""
    objs = interleaved()
    objs.insert(5, ev.delta(0, type="brand_new_delta", payload=1))  # an unknown delta is kept
    snaps = snapshots(objs)
    for snap in snaps:
        again = pickle.loads(pickle.dumps(snap))
        assert again is not snap
        assert again.to_message() == snap.to_message()
        assert (again.complete, again.text, again.stop_reason) == (
            snap.complete,
            snap.text,
            snap.stop_reason,
        )
        assert again.unknown_deltas == snap.unknown_deltas
        if len(snap.content) > 1:
            assert again.input_of(1) == snap.input_of(1)
            assert again.started_block(1) == snap.started_block(1)
    # Later deltas are not carried: a snapshot with block 1 open at `{"q": "pa` stays there,
    # even though the builder it shares has more by the time it is pickled.
    both_open = pickle.loads(pickle.dumps(snaps[4]))
    assert both_open.input_of(1) == {"q": "pa"}
    assert snaps[-1].complete and pickle.loads(pickle.dumps(snaps[-1])).complete


def test_blocks_open_at_once_are_each_built_from_their_own_deltas() -> None:
    snaps = snapshots(interleaved())
    both_open = snaps[5]  # after text(0, "lo")
    assert both_open.block(0) == TextBlock(text="Hello")
    assert both_open.block(1).model_dump()["input"] == {}  # its string is unfinished
    assert both_open.input_of(1) == {"q": "pa"}
    # Each delta's snapshot sees the other open block as it stood then.
    assert [s.text for s in snaps[3:6]] == ["Hel", "Hel", "Hello"]
    assert [s.input_of(1) for s in snaps[3:6]] == [{}, {"q": "pa"}, {"q": "pa"}]
    message = snaps[-1].to_message()
    assert message.content[0] == TextBlock(text="Hello")
    assert isinstance(message.content[1], ToolUseBlock)
    assert message.content[1].input == {"q": "paris"}


def test_block_reads_one_block_whether_it_is_open_or_finished() -> None:
    snaps = snapshots(interleaved())
    one_open = snaps[7]  # block 0 stopped, block 1 still open
    # Read one block without building the others, then all of them: the same blocks.
    finished, still_open = one_open.block(0), one_open.block(1)
    assert finished == TextBlock(text="Hello")
    assert still_open.model_dump()["input"] == {"q": "paris"}
    assert one_open.content == (finished, still_open)


def test_block_after_content_was_read_gives_the_same_object() -> None:
    snap = snapshots(ev.text_stream("a", "b"))[3]
    content = snap.content
    assert snap.block(0) is content[0]
    assert snap.block(-0) is content[0]
    with pytest.raises(IndexError, match="block index -1 out of range"):
        snap.block(-1)


def test_input_of_a_finished_tool_block_is_its_final_input() -> None:
    last = snapshots(interleaved())[-1]
    assert last.input_of(1) == {"q": "paris"}
    assert last.input_of(1, strings="complete") == {"q": "paris"}
    assert last.input_of(0) is None  # a text block has no input
