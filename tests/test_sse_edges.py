"""The SSE decoder's chunk-at-a-time road, at the edges the corpus does not reach.

A chunk of 15 lines or more is decoded as a run of ``event:``/``data:``/blank blocks when it
can be (``SSEDecoder._interpret``). These tests feed chunks that look like runs but are not
(one event of many data lines, whose blank line is still to come) and runs that name more
event types than the decoder remembers, and check the events against the WHATWG rules.

A chunk that is exactly one ``event:``/``data:``/blank block (how the API writes: one HTTP
chunk per event) is dispatched by ``SSEDecoder._single``; the tests at the end feed chunks
that nearly have that shape, and blocks at the ``max_event_bytes`` bound, and check that
they decode as the line-by-line road decodes them.
"""

from __future__ import annotations

import pytest

from anthropic_rx._exceptions import EventTooLargeError
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


def bytewise(chunks: list[bytes], limit: int | None = None) -> list[ServerSentEvent]:
    """What the chunks decode to one byte at a time: never one whole block per chunk."""
    decoder = SSEDecoder(max_event_bytes=limit)
    return [
        e for chunk in chunks for i in range(len(chunk)) for e in decoder.decode(chunk[i : i + 1])
    ]


# A first chunk takes the slow road (a BOM may come): the cases start after this one.
WARM = b"event: w\ndata: 0\n\n"

NEAR_MISSES = [
    [b"event: a\ndata: 1\n\n", b"event: b\ndata: 2\n\n"],  # the common shape, twice
    [b"event: \ndata: x\n\n"],  # an empty type means "message"
    [b"event: a\ndata: \n\n"],  # empty data is still data
    [b"event: a\nid: 9\n\n", b"event: b\ndata: 2\n\n"],  # no data line: nothing, then id 9
    [b"id: 4\n", b"event: a\ndata: 1\n\n"],  # an id set by the chunk before
    [b"retry: 50\n", b"event: a\ndata: 1\n\n"],  # a retry of this block, set before
    [b"data: 0\n", b"event: a\ndata: 1\n\n"],  # a block left open: its data joins
    [b"event: a\r\ndata: 1\r\n\r\n"],  # CRLF line ends
    [b"event: a\ndata: 1\n\n\n"],  # one blank line too many
    [b"event: a\ndata: \xff\n\n"],  # an invalid byte: U+FFFD
    [b"event: a\ndata: \xc3", b"\xa9\n\n"],  # a character split between chunks
    [b"\xef\xbb\xbfevent: a\ndata: 1\n\n"],  # a BOM at the start
    [b"data: 1\nevent: a\n\n"],  # the lines the other way round
]


@pytest.mark.parametrize("chunks", NEAR_MISSES)
def test_a_chunk_of_one_block_decodes_as_the_same_bytes_one_at_a_time(chunks: list[bytes]) -> None:
    chunks = [WARM, *chunks]
    whole = SSEDecoder()
    assert [e for chunk in chunks for e in whole.decode(chunk)] == bytewise(chunks)
    fields = SSEDecoder()
    pairs = [pair for chunk in chunks for pair in fields.decode_fields(chunk)]
    assert pairs == [(e.event, e.data) for e in bytewise(chunks)]
    assert fields.last_event_id == whole.last_event_id


def test_a_one_block_chunk_at_the_bound_decodes_and_one_byte_more_raises() -> None:
    block = b"event: a\ndata: " + b"x" * 20 + b"\n\n"
    size = len(block) - 3  # the lines' bytes, line ends left out
    fits, over = SSEDecoder(max_event_bytes=size), SSEDecoder(max_event_bytes=size - 1)
    assert fits.decode(WARM) == over.decode(WARM) == [ServerSentEvent("w", "0")]
    assert fits.decode(block) == [ServerSentEvent("a", "x" * 20)]
    with pytest.raises(EventTooLargeError):
        over.decode(block)


def test_a_comment_before_a_one_block_chunk_counts_towards_its_bound() -> None:
    block = b"event: a\ndata: \xc3\xa9\n\n"  # multibyte: counted in UTF-8 bytes
    size = len(block) - 3
    decoder = SSEDecoder(max_event_bytes=size + 3)
    assert (
        decoder.decode(b": hi\n") == []
    )  # (a first chunk: the steady state after it)  # four bytes of comment: one too many
    with pytest.raises(EventTooLargeError):
        decoder.decode(block)
    roomy = SSEDecoder(max_event_bytes=size + 4)
    assert roomy.decode(b": hi\n") == []
    assert roomy.decode_fields(block) == [("a", "\u00e9")]
    assert roomy.decode_fields(block) == [("a", "\u00e9")]  # the comment counted once
