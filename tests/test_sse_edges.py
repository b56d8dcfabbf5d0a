"""The SSE decoder's chunk-at-a-time road, at the edges the corpus does not reach.

A chunk of 15 lines or more is decoded as a run of ``event:``/``data:``/blank blocks when it
can be (``SSEDecoder._interpret``). These tests feed chunks that look like runs but are not
(one event of many data lines, whose blank line is still to come) and runs that name more
event types than the decoder remembers, and check the events against the WHATWG rules.
"""

from __future__ import annotations

from anthropic_rx._sse import ServerSentEvent, SSEDecoder


def test_a_long_multi_line_event_split_before_its_blank_line_is_dispatched_whole() -> None:
    lines = [f"data: line {i}" for i in range(40)]
    body = "event: report\nid: 7\n" + "\n".join(lines) + "\n"
    decoder = SSEDecoder()
    # The first chunk is 42 complete lines with no blank line: nothing is dispatched yet.
    assert decoder.decode(body.encode()) == []
    assert decoder.decode(b"\n") == [
        ServerSentEvent("report", "\n".join(f"line {i}" for i in range(40)), "7")
    ]
    assert decoder.last_event_id == "7"


def test_many_data_lines_continue_an_event_a_previous_chunk_opened() -> None:
    decoder = SSEDecoder()
    assert decoder.decode(b"event: log\ndata: first") == []
    rest = "".join(f"\ndata: {i}" for i in range(20)) + "\n\nevent: ping\ndata: {}\n\n"
    assert decoder.decode(rest.encode()) == [
        ServerSentEvent("log", "\n".join(["first", *map(str, range(20))])),
        ServerSentEvent("ping", "{}"),
    ]


def blocks(types: list[str]) -> bytes:
    return "".join(f'event: {t}\ndata: {{"n": {i}}}\n\n' for i, t in enumerate(types)).encode()


def test_a_stream_naming_more_event_types_than_the_decoder_remembers_keeps_each_type() -> None:
    """The decoder remembers at most about 64 ``event:`` lines; past that it starts again."""
    decoder = SSEDecoder()
    types = [f"custom_{i}" for i in range(200)]
    got: list[ServerSentEvent] = []
    for start in range(0, len(types), 5):  # five blocks = 15 lines: the chunk-at-a-time road
        got += decoder.decode(blocks(types[start : start + 5]))
    # The first types again, after the decoder forgot them, and the common ones.
    again = [*types[:5], "content_block_delta", "ping", "content_block_delta", "message_stop"]
    got += decoder.decode(blocks(again))
    assert [e.event for e in got] == [*types, *again]
    assert [e.json()["n"] for e in got] == [i % 5 for i in range(len(types))] + list(range(9))
    assert len(decoder._types) <= 65  # pyright: ignore[reportPrivateUsage]  # memory is bounded


def test_decode_fields_names_each_type_past_the_remembered_ones() -> None:
    decoder = SSEDecoder()
    types = [f"t{i}" for i in range(100)]
    fields: list[tuple[str, str]] = []
    for start in range(0, len(types), 10):
        fields += decoder.decode_fields(blocks(types[start : start + 10]))
    assert [event for event, _ in fields] == types
