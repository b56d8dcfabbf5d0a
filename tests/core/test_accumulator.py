"""Every rule of the accumulator (DESIGN.md decision 3), one test each."""

from __future__ import annotations

from typing import Any

import pytest

import anthropic_rx as arx
from anthropic_rx.events import UnknownBlock, UnknownDelta

from .. import events_helpers as ev


def run(objs: list[dict[str, Any]]) -> arx.MessageAccumulator:
    acc = arx.MessageAccumulator()
    for obj in objs:
        acc.feed(ev.event(obj))
    return acc


def snapshots(objs: list[dict[str, Any]]) -> list[arx.MessageSnapshot | None]:
    acc = arx.MessageAccumulator()
    return [acc.feed(ev.event(obj)) for obj in objs]


def test_text_deltas_join_into_the_block_text() -> None:
    message = run(ev.text_stream("Hel", "lo", "", " world")).message()
    assert message.content[0].model_dump() == {
        "type": "text",
        "text": "Hello world",
        "citations": None,
    }
    assert message.stop_reason == "end_turn"


def test_snapshots_never_change_after_they_are_handed_out() -> None:
    snaps = snapshots(ev.text_stream("a", "b", "c"))
    texts = [s.text if s else None for s in snaps]
    assert texts == ["", "", "a", "ab", "abc", "abc", "abc", "abc"]
    # Read them again, newest first: each still shows what it showed.
    assert [s.text if s else None for s in reversed(snaps)] == list(reversed(texts))


def test_an_old_snapshot_read_after_newer_ones_shows_its_own_stage() -> None:
    snaps = snapshots(ev.text_stream("x" * 3, "y" * 3, "z" * 3))
    assert snaps[-1] is not None and snaps[-1].text == "xxxyyyzzz"
    assert snaps[2] is not None and snaps[2].text == "xxx"
    assert snaps[3] is not None and snaps[3].content[0].text == "xxxyyy"  # type: ignore[union-attr]


def test_the_snapshot_is_complete_only_after_message_stop() -> None:
    snaps = snapshots(ev.text_stream("a"))
    assert [s.complete for s in snaps if s] == [False] * 5 + [True]


def test_ping_and_unknown_events_return_the_same_snapshot() -> None:
    acc = arx.MessageAccumulator()
    assert acc.feed(ev.event(ev.PING)) is None
    first = acc.feed(ev.event(ev.message_start()))
    assert acc.feed(ev.event(ev.PING)) is first
    assert acc.feed(ev.event({"type": "content_block_annotation", "x": 1})) is first


def test_content_already_in_message_start_is_kept() -> None:
    prefilled = [{"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"a": 1}}]
    acc = run([ev.message_start(content=prefilled, stop_reason="tool_use"), ev.MESSAGE_STOP])
    message = acc.message()
    assert message.content[0].model_dump()["input"] == {"a": 1}
    assert message.stop_reason == "tool_use"


def test_tool_input_is_parsed_once_at_block_stop() -> None:
    objs = [
        ev.message_start(),
        ev.block_start(0, type="tool_use", id="toolu_1", name="get_weather", input={}),
        ev.input_json(0, ""),
        ev.input_json(0, '{"city": "Par'),
        ev.input_json(0, 'is", "days": 3}'),
        ev.stop(0),
        ev.message_delta("tool_use"),
        ev.MESSAGE_STOP,
    ]
    block = run(objs).message().content[0]
    assert block.model_dump()["input"] == {"city": "Paris", "days": 3}


def test_input_that_arrives_whole_in_content_block_start_is_kept() -> None:
    objs = [
        ev.message_start(),
        ev.block_start(0, type="tool_use", id="toolu_1", name="f", input={"q": "whole"}),
        ev.input_json(0, ""),
        ev.stop(0),
        ev.message_delta("tool_use"),
        ev.MESSAGE_STOP,
    ]
    assert run(objs).message().content[0].model_dump()["input"] == {"q": "whole"}


def test_partial_input_leaves_out_an_unfinished_number() -> None:
    objs = [
        ev.message_start(),
        ev.block_start(0, type="tool_use", id="toolu_1", name="f", input={}),
        ev.input_json(0, '{"path": "a.py", "n": 12'),
        ev.input_json(0, '34, "text": "li'),
    ]
    snaps = snapshots(objs)
    assert snaps[2] is not None and snaps[2].input_of(0) == {"path": "a.py"}
    assert snaps[3] is not None and snaps[3].input_of(0) == {
        "path": "a.py",
        "n": 1234,
        "text": "li",
    }
    # The earlier snapshot still answers as it did.
    assert snaps[2].input_of(0) == {"path": "a.py"}


CUT_CALL = [
    ev.message_start(),
    ev.block_start(0, type="text", text=""),
    ev.text(0, "Reading it."),
    ev.block_start(1, type="tool_use", id="toolu_1", name="read", input={}),
    ev.input_json(1, '{"path": "/'),
]


@pytest.mark.parametrize(
    ("ending", "where"),
    [
        ([ev.message_delta("max_tokens"), ev.MESSAGE_STOP], "when message_stop ended the message"),
        ([ev.stop(1), ev.message_delta("max_tokens"), ev.MESSAGE_STOP], "at content_block_stop"),
    ],
    ids=["message_stop-without-block-stop", "block-stop"],
)
def test_a_tool_call_with_unfinished_json_is_a_tool_input_error_never_a_finished_message(
    ending: list[dict[str, Any]], where: str
) -> None:
    """Issue 10 item 8: the model never finished the call's arguments, so no `Message` is
    made with them (the SDK returns one with input {}); the error carries the snapshot."""
    acc = run(CUT_CALL + ending[:-1]) if len(ending) == 2 else run(CUT_CALL)
    last = ending[-1] if len(ending) == 2 else ending[0]  # the event that fails
    before = acc.snapshot
    with pytest.raises(arx.ToolInputError, match=where) as caught:
        acc.feed(ev.event(last))
    error = caught.value
    assert (error.index, error.partial_json) == (1, '{"path": "/')
    assert '\'{"path": "/\'' in str(error)
    snapshot = error.snapshot
    assert snapshot is not None and snapshot is before and not snapshot.complete
    assert snapshot.text == "Reading it."
    assert snapshot.input_of(1) == {"path": "/"}  # the partial value, for display only
    assert not acc.complete
    with pytest.raises(arx.IncompleteStreamError):
        acc.message()


def test_the_error_at_message_stop_names_the_stop_reason() -> None:
    acc = run([*CUT_CALL, ev.message_delta("max_tokens")])
    with pytest.raises(arx.ToolInputError, match="stop_reason 'max_tokens'") as caught:
        acc.feed(ev.event(ev.MESSAGE_STOP))
    assert caught.value.snapshot is not None
    assert caught.value.snapshot.stop_reason == "max_tokens"


def test_an_open_tool_block_whose_json_is_whole_at_message_stop_is_finished() -> None:
    """Only its content_block_stop is missing: the arguments are whole, the call stands."""
    objs = [
        ev.message_start(),
        ev.block_start(0, type="tool_use", id="toolu_1", name="f", input={}),
        ev.input_json(0, '{"lines": ["one", "two"]}'),
        ev.message_delta("tool_use"),
        ev.MESSAGE_STOP,
    ]
    assert run(objs).message().content[0].model_dump()["input"] == {"lines": ["one", "two"]}


def test_an_open_tool_block_without_json_at_message_stop_keeps_its_start_input() -> None:
    objs = [
        ev.message_start(),
        ev.block_start(0, type="tool_use", id="toolu_1", name="now", input={}),
        ev.input_json(0, ""),
        ev.message_delta("tool_use"),
        ev.MESSAGE_STOP,
    ]
    assert run(objs).message().content[0].model_dump()["input"] == {}


def test_signature_delta_replaces_the_signature() -> None:
    objs = [
        ev.message_start(),
        *ev.thinking_block(0, "Let me ", "", "think.", signature="sig-1"),
        *ev.message_end(),
    ]
    block = run(objs).message().content[0].model_dump()
    assert block == {"type": "thinking", "thinking": "Let me think.", "signature": "sig-1"}


def test_citations_deltas_append_to_the_text_block() -> None:
    cite = {
        "type": "web_search_result_location",
        "url": "https://x",
        "title": "X",
        "cited_text": "c",
        "encrypted_index": "e",
    }
    objs = [
        ev.message_start(),
        ev.block_start(0, type="text", text="", citations=[]),
        ev.delta(0, type="citations_delta", citation=cite),
        ev.delta(0, type="citations_delta", citation={**cite, "url": "https://y"}),
        ev.text(0, "cited"),
        ev.stop(0),
        ev.message_delta(),
        ev.MESSAGE_STOP,
    ]
    block = run(objs).message().content[0].model_dump(mode="json")
    assert [c["url"] for c in block["citations"]] == ["https://x", "https://y"]
    assert block["text"] == "cited"


def test_compaction_delta_replaces_the_content() -> None:
    objs = [
        ev.message_start(),
        ev.block_start(0, type="compaction", content=None),
        ev.delta(0, type="compaction_delta", content="summary", encrypted_content="enc"),
        ev.stop(0),
        ev.message_delta(),
        ev.MESSAGE_STOP,
    ]
    block = run(objs).message().content[0].model_dump()
    assert block == {"type": "compaction", "content": "summary", "encrypted_content": "enc"}


def test_message_delta_overwrites_usage_fields_that_are_present() -> None:
    objs = [
        ev.message_start(
            usage={"input_tokens": 10, "output_tokens": 1, "cache_read_input_tokens": 7}
        ),
        ev.message_delta("end_turn", input_tokens=25),
        ev.MESSAGE_STOP,
    ]
    usage = run(objs).message().usage
    assert (usage.input_tokens, usage.output_tokens, usage.cache_read_input_tokens) == (25, 5, 7)


def test_a_fallback_block_relabels_the_model() -> None:
    objs = [
        ev.message_start(),
        ev.block_start(0, type="fallback", **{"from": {"model": "a"}}, to={"model": "b"}),
        ev.stop(0),
        ev.message_delta(),
        ev.MESSAGE_STOP,
    ]
    message = run(objs).message()
    assert message.model == "b"
    assert message.model_dump(mode="json")["content"][0]["from"] == {"model": "a"}


def test_unknown_blocks_are_kept_raw_and_take_fitting_deltas() -> None:
    objs = [
        ev.message_start(),
        ev.block_start(0, type="hologram", colour="blue", text=""),
        ev.text(0, "shiny"),
        ev.stop(0),
        ev.message_delta(),
        ev.MESSAGE_STOP,
    ]
    block = run(objs).message().content[0]
    assert isinstance(block, UnknownBlock)
    assert block.model_dump() == {"type": "hologram", "colour": "blue", "text": "shiny"}


def test_an_unknown_block_with_input_and_text_parses_its_input_fragments_only() -> None:
    objs = [
        ev.message_start(),
        ev.block_start(0, type="hologram", text="", input={}),
        ev.input_json(0, '{"a": '),
        ev.text(0, "shiny"),
        ev.input_json(0, "1}"),
        ev.stop(0),
        ev.message_delta(),
        ev.MESSAGE_STOP,
    ]
    snaps = snapshots(objs)
    assert [s.input_of(0) for s in snaps[2:5] if s is not None] == [{}, {}, {"a": 1}]
    assert run(objs).message().content[0].model_dump()["input"] == {"a": 1}


def test_unknown_deltas_are_kept_aside_and_never_fatal() -> None:
    objs = [
        *ev.text_stream("a")[:3],
        ev.delta(0, type="sparkle_delta", amount=3),
        *ev.text_stream("a")[3:],
    ]
    acc = run(objs)
    assert acc.message().content[0].model_dump()["text"] == "a"
    assert acc.snapshot is not None
    [(index, unknown)] = acc.snapshot.unknown_deltas
    assert index == 0 and isinstance(unknown, UnknownDelta) and unknown.model_extra == {"amount": 3}


def test_a_known_delta_on_a_block_of_unknown_type_is_kept_aside_and_the_stream_goes_on() -> None:
    objs = [
        ev.message_start(),
        ev.block_start(0, type="hologram", colour="blue"),
        ev.delta(0, type="thinking_delta", thinking="hm"),
        ev.input_json(0, '{"a": 1}'),
        ev.stop(0),
        ev.message_delta(),
        ev.MESSAGE_STOP,
    ]
    acc = run(objs)
    assert acc.message().content[0].model_dump() == {"type": "hologram", "colour": "blue"}
    assert acc.snapshot is not None
    kept = acc.snapshot.unknown_deltas
    assert [(i, d.type) for i, d in kept] == [(0, "thinking_delta"), (0, "input_json_delta")]


def test_unknown_message_fields_pass_through() -> None:
    acc = run([ev.message_start(diagnostics={"x": 1}), ev.message_delta(), ev.MESSAGE_STOP])
    assert acc.message().model_dump()["diagnostics"] == {"x": 1}
    assert acc.snapshot is not None and acc.snapshot.diagnostics == {"x": 1}


@pytest.mark.parametrize(
    ("objs", "match"),
    [
        ([ev.text(0, "a")], "expected message_start first, got content_block_delta"),
        ([ev.message_delta()], "expected message_start first, got message_delta"),
        ([ev.message_start(), ev.message_start()], "expected one message_start, got a second one"),
        ([ev.message_start(), ev.text(7, "a")], "block 7, which was never started"),
        (
            [ev.message_start(), ev.block_start(1, type="text", text="")],
            "expected content_block_start for index 0, got index 1",
        ),
        (
            [ev.message_start(), ev.block_start(0, type="text", text=""), ev.stop(0), ev.stop(0)],
            "block 0, after its content_block_stop",
        ),
        (
            [
                ev.message_start(),
                ev.block_start(0, type="text", text=""),
                ev.stop(0),
                ev.text(0, "late"),
            ],
            "after its content_block_stop",
        ),
        (
            [ev.message_start(), ev.MESSAGE_STOP, ev.block_start(0, type="text", text="")],
            "expected nothing after message_stop",
        ),
        (
            [ev.message_start(), ev.MESSAGE_STOP, ev.text(0, "x")],
            "expected nothing after message_stop",
        ),
        (
            [
                ev.message_start(),
                ev.block_start(0, type="tool_use", id="t", name="f", input={}),
                ev.text(0, "x"),
            ],
            "text_delta cannot apply to block 0, a tool_use block",
        ),
    ],
)
def test_order_violations_are_protocol_errors_naming_the_event(
    objs: list[dict[str, Any]], match: str
) -> None:
    acc = arx.MessageAccumulator()
    for obj in objs[:-1]:
        acc.feed(ev.event(obj))
    with pytest.raises(arx.StreamProtocolError, match=match) as info:
        acc.feed(ev.event(objs[-1]))
    assert info.value.event is not None and info.value.event.type == objs[-1]["type"]
    assert info.value.snapshot is acc.snapshot


def test_ending_before_message_stop_is_incomplete_with_the_partial_snapshot() -> None:
    acc = run(ev.text_stream("partial", "answer")[:4])
    with pytest.raises(arx.IncompleteStreamError, match="after content_block_delta") as info:
        acc.message()
    assert info.value.snapshot is not None and info.value.snapshot.text == "partialanswer"


def test_ending_before_message_start_is_incomplete_without_a_snapshot() -> None:
    with pytest.raises(arx.IncompleteStreamError, match="before message_start") as info:
        run([ev.PING]).message()
    assert info.value.snapshot is None


def test_an_error_event_raises_the_error_its_type_names() -> None:
    acc = run(ev.text_stream("half")[:3])
    err = {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "Overloaded"},
        "request_id": "req_1",
    }
    with pytest.raises(arx.OverloadedError) as info:
        acc.feed(ev.event(err))
    exc = info.value
    assert (exc.status_code, exc.error_type, exc.mid_stream, exc.request_id) == (
        None,
        "overloaded_error",
        True,
        "req_1",
    )
    assert exc.snapshot is not None and exc.snapshot.text == "half"


def test_tool_input_that_is_not_json_at_block_stop_is_a_tool_input_error() -> None:
    objs = [
        ev.message_start(),
        ev.block_start(0, type="tool_use", id="t", name="f", input={}),
        ev.input_json(0, '{"a": nope}'),
    ]
    acc = run(objs)
    with pytest.raises(arx.ToolInputError, match="block 0") as info:
        acc.feed(ev.event(ev.stop(0)))
    assert info.value.partial_json == '{"a": nope}' and info.value.index == 0
    assert info.value.snapshot is not None


def test_to_message_of_a_complete_snapshot_equals_the_final_message() -> None:
    acc = run(ev.text_stream("a", "b"))
    assert acc.snapshot is not None
    assert acc.snapshot.to_message() == acc.message()
    assert "complete" in repr(acc.snapshot)


def test_block_and_started_block_read_one_block() -> None:
    snaps = snapshots(ev.text_stream("a", "b"))
    snap = snaps[3]
    assert snap is not None
    assert snap.block(0).model_dump()["text"] == "ab"
    assert snap.started_block(0).model_dump()["text"] == ""
    assert len(snap.content) == 1
    with pytest.raises(IndexError):
        snap.block(1)


def test_snapshots_can_be_read_on_several_threads_at_once() -> None:
    """The lazy caches behind snapshots are shared: concurrent reads must not corrupt them."""
    import json as json_module
    import threading

    value = {"items": [{"n": i, "s": "x" * (i % 7)} for i in range(60)]}
    text = json_module.dumps(value)
    pieces = [text[i : i + 3] for i in range(0, len(text), 3)]
    objs = [
        ev.message_start(),
        ev.block_start(0, type="tool_use", id="t", name="f", input={}),
        *(ev.input_json(0, p) for p in pieces),
    ]
    snaps = [s for s in snapshots(objs)[2:] if s is not None]
    expected = [s.input_of(0) for s in snapshots(objs)[2:] if s is not None]  # one thread
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def read(order: list[int]) -> None:
        try:
            barrier.wait(timeout=10)
            for i in order:
                assert snaps[i].input_of(0) == expected[i]
                assert snaps[i].block(0).model_dump()["input"] is not None
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    n = len(snaps)
    orders = [list(range(n)), list(reversed(range(n))), list(range(0, n, 2)), list(range(1, n, 2))]
    threads = [threading.Thread(target=read, args=(o,)) for o in orders]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors


def test_message_delta_carries_the_beta_message_fields_to_the_message() -> None:
    """``container``, ``context_management`` and ``input_transformations`` are kept."""
    container = {"id": "container_011", "expires_at": "2026-04-24T11:13:36Z"}
    edits = {"applied_edits": [{"type": "clear_tool_uses_20250919", "cleared_tool_uses": 2}]}
    transformations = [{"type": "truncation", "removed_tokens": 120}]
    objs = [
        ev.message_start(),
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "container": container},
            "usage": {"output_tokens": 3},
            "context_management": edits,
            "input_transformations": transformations,
        },
        ev.MESSAGE_STOP,
    ]
    acc = run(objs)
    dumped = acc.message().model_dump(mode="json")
    assert dumped["container"] == container
    assert dumped["context_management"] == edits
    assert dumped["input_transformations"] == transformations
    snapshot = acc.snapshot
    assert snapshot is not None
    assert snapshot.input_transformations == transformations
    assert snapshot.extra == {"context_management": edits, "input_transformations": transformations}


def test_a_message_delta_without_the_beta_fields_leaves_them_unset() -> None:
    acc = run([ev.message_start(), ev.message_delta(), ev.MESSAGE_STOP])
    dumped = acc.message().model_dump(mode="json")
    assert dumped["container"] is None
    assert "context_management" not in dumped and "input_transformations" not in dumped


def test_a_delta_that_does_not_fit_its_open_block_leaves_the_block_as_it_was() -> None:
    objs = [ev.message_start(), ev.block_start(0, type="text", text=""), ev.text(0, "kept")]
    acc = run(objs)
    before = acc.snapshot
    with pytest.raises(arx.StreamProtocolError, match="thinking_delta cannot apply to block 0"):
        acc.feed(ev.event(ev.delta(0, type="thinking_delta", thinking="x")))
    assert acc.snapshot is before and before is not None and before.text == "kept"
    acc.feed(ev.event(ev.text(0, "!")))  # the stream can still be read on
    assert acc.snapshot is not None and acc.snapshot.text == "kept!"


def test_arx_plain_says_a_plain_delta_to_the_only_open_block() -> None:
    acc = arx.MessageAccumulator()
    said: list[bool] = []
    for obj in [
        ev.message_start(),
        ev.block_start(0, type="text", text=""),
        ev.text(0, "a"),  # plain, one block open
        ev.delta(0, type="text_delta", text="b", future=1),  # a field this version lacks
        {**ev.text(0, "c"), "future": 1},  # the delta is plain (the event's fields: the replay's)
        ev.PING,
        ev.block_start(1, type="text", text=""),
        ev.text(1, "d"),  # two blocks open
        ev.stop(1),
        ev.text(0, "e"),
        ev.stop(0),
        *ev.message_end(),
    ]:
        acc.feed(ev.event(obj))
        said.append(acc.__arx_plain__)
    plain = [2, 4, 9]
    assert said == [i in plain for i in range(len(said))]
