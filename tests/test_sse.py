"""Layer 1: the SSE decoder against the conformance corpus, a reference model and its bound."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from functools import cache
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anthropic_rx._exceptions import EventTooLargeError
from anthropic_rx._sse import ServerSentEvent, SSEDecoder

from .conftest import SSE_CASES, chunked, require_corpus

# -- helpers ---------------------------------------------------------------------------------

Final = dict[str, Any]
Sample = tuple[bytes, list[bytes]]


def as_dict(event: ServerSentEvent) -> dict[str, Any]:
    return {"event": event.event, "data": event.data, "id": event.id, "retry": event.retry}


def cut(data: bytes, offsets: Iterable[int]) -> list[bytes]:
    """Cut *data* at the given ascending offsets."""
    bounds = [0, *offsets, len(data)]
    return [data[a:b] for a, b in pairwise(bounds)]


def feed(chunks: Iterable[bytes], **options: Any) -> tuple[list[dict[str, Any]], Final]:
    """Decode *chunks* with a fresh decoder; return the events and the final state."""
    decoder = SSEDecoder(**options)
    events = [event for chunk in chunks for event in decoder.decode(chunk)]
    events += decoder.flush()
    final = {"last_event_id": decoder.last_event_id, "retry": decoder.retry}
    return [as_dict(e) for e in events], final


def feed_until_error(chunks: Iterable[bytes], limit: int) -> tuple[list[ServerSentEvent], bool]:
    """Decode with ``max_event_bytes=limit``; return the events got and whether it raised."""
    decoder = SSEDecoder(max_event_bytes=limit)
    events: list[ServerSentEvent] = []
    try:
        for chunk in chunks:
            events += decoder.decode(chunk)
        events += decoder.flush()
    except EventTooLargeError:
        return events, True
    return events, False


_EOL = re.compile("\r\n|\r|\n")


def reference(data: bytes) -> tuple[list[dict[str, Any]], Final]:
    """The spec's algorithm, line by line on the whole input, written for clarity only."""
    text = data.decode("utf-8", "replace")
    text = text.removeprefix("\ufeff")
    *lines, _unfinished = _EOL.split(text)
    events: list[dict[str, Any]] = []
    data_buffer, event_type = "", ""
    id_buffer: str | None = None
    last_event_id: str | None = None
    block_retry: int | None = None
    retry: int | None = None
    for line in lines:
        if line == "":
            last_event_id = id_buffer
            if data_buffer:
                event = {"event": event_type or "message", "data": data_buffer[:-1]}
                events.append({**event, "id": last_event_id, "retry": block_retry})
            data_buffer, event_type, block_retry = "", "", None
            continue
        if line.startswith(":"):
            continue
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            data_buffer += value + "\n"
        elif name == "event":
            event_type = value
        elif name == "id" and "\0" not in value:
            id_buffer = value
        elif name == "retry" and value and all(c in "0123456789" for c in value):
            retry = block_retry = int(value)
    return events, {"last_event_id": last_event_id, "retry": retry}


# -- the conformance corpus ------------------------------------------------------------------


@cache
def corpus() -> dict[str, dict[str, Any]]:
    if not SSE_CASES.exists():
        return {}
    with SSE_CASES.open(encoding="utf-8") as lines:
        cases = [json.loads(line) for line in lines if line.strip()]
    return {case["name"]: case for case in cases}


def case_input(case: dict[str, Any]) -> bytes:
    return base64.b64decode(case["input_b64"])


def chunkings(case: dict[str, Any]) -> dict[str, list[bytes]]:
    """Every way the corpus README says to feed *case*, by label."""
    data = case_input(case)
    ways = {"whole": [data]}
    for size in (1, 2, 3, 7):
        ways[f"fixed-{size}"] = list(chunked(data, size))
    for offsets in case.get("chunkings", []):
        ways["at-" + "-".join(map(str, offsets))] = cut(data, offsets)
    return ways


CASE_NAMES = list(corpus()) or ["corpus-absent"]
CASE_CHUNKINGS = [(name, way) for name in corpus() for way in chunkings(corpus()[name])] or [
    ("corpus-absent", "whole")
]


def get_case(name: str) -> dict[str, Any]:
    require_corpus(SSE_CASES)
    return corpus()[name]


def test_the_corpus_has_all_129_cases() -> None:
    require_corpus(SSE_CASES)
    assert len(corpus()) == 129


@pytest.mark.parametrize(
    ("name", "way"), CASE_CHUNKINGS, ids=[f"{n}[{w}]" for n, w in CASE_CHUNKINGS]
)
def test_every_case_decodes_as_expected_in_every_chunking(name: str, way: str) -> None:
    case = get_case(name)
    events, final = feed(chunkings(case)[way])
    assert events == case["expected"]
    assert final == case["final"]


@pytest.mark.parametrize("name", CASE_NAMES)
def test_every_event_comes_out_at_the_byte_that_completes_it(name: str) -> None:
    case = get_case(name)
    decoder = SSEDecoder()
    came_out: list[int] = []
    for fed, byte in enumerate(chunked(case_input(case), 1), start=1):
        came_out += [fed] * len(decoder.decode(byte))
    assert decoder.flush() == []
    assert came_out == case["dispatch_at"]  # the README's "should" level, so "must" too


@pytest.mark.parametrize("name", CASE_NAMES)
def test_the_reference_model_passes_every_case(name: str) -> None:
    case = get_case(name)
    assert reference(case_input(case)) == (case["expected"], case["final"])


# -- properties ------------------------------------------------------------------------------

TOKENS = [
    b"data", b"event", b"id", b"retry", b"foo", b":", b": ", b" ", b"\t", b"\r", b"\n",
    b"\r\n", b"\n\n", b"x", b"12", b"\x00", b"\xef\xbb\xbf", b"\xef\xbb", b"\xe2\x82",
    b"\xac", b"\xf0\x9f\xa5\x8c", b"\xff", b"\xc0\xaf", b"\xe2\x80\xa8", b"\xc2\x85",
    b"event: content_block_delta\ndata: {}\n\n", b"event: \ndata: x\n\n", b"data: y\n\n",
]  # fmt: skip
sse_like = st.lists(st.sampled_from(TOKENS), max_size=40).map(b"".join) | st.binary(max_size=80)


@st.composite
def chunked_input(draw: st.DrawFn, inputs: st.SearchStrategy[bytes] = sse_like) -> Sample:
    """An input and a way to cut it, empty chunks included."""
    data = draw(inputs)
    offsets = draw(st.lists(st.integers(0, len(data)), max_size=12))
    return data, cut(data, sorted(offsets))


# Runs of blocks, mostly of the shape the API sends, which the decoder takes a chunk at a
# time; the others are near misses that must fall back to the line-by-line rules.
BLOCKS = ["event: {t}\ndata: {d}\n\n"] * 12 + [
    "event: \ndata: {d}\n\n", "event:{t}\ndata: {d}\n\n", "event: {t}\ndata:{d}\n\n",
    "event: {t}\ndata\n\n", "event: {t}\ndata:  {d}\n\n", "event:  {t}\ndata: {d}\n\n",
    "Event: {t}\ndata: {d}\n\n", "event: {t}\nDATA: {d}\n\n", "data: {d}\n\n",
    "event: {t}\ndata: {d}\ndata: {d}\n\n", "event: {t}\nid: {d}\ndata: {d}\n\n",
    "event: {t}\ndata: {d}\nretry: 5\n\n", ": note\nevent: {t}\ndata: {d}\n\n",
    "event: {t}\ndata: {d}\n\n\n", "event: {t}\n\n", "event: {t}\ndata: {d}\r\n\r\n",
    "event: {t}\n: note\n\n", "event: {t}\ndata: {d}\n", "id\n\n", "id: {d}\n\n",
    "event: {t}\ndata: {d}\n \n", ": note\n", "retry: 7\n", "data:\n\n",
]  # fmt: skip
block = st.builds(
    str.format,
    st.sampled_from(BLOCKS),
    t=st.sampled_from(["content_block_delta", "ping", "x", "é€", "a:b", " ", ""]),
    d=st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\r\n"), max_size=6),
)
block_runs = st.lists(block, max_size=40).map(lambda blocks: "".join(blocks).encode())


@given(chunked_input())
@settings(max_examples=600)
def test_any_chunking_gives_what_the_whole_input_gives(sample: Sample) -> None:
    data, chunks = sample
    assert feed(chunks) == feed([data])


@given(sse_like)
@settings(max_examples=600)
def test_the_decoder_matches_the_reference_model(data: bytes) -> None:
    assert feed([data]) == reference(data)
    assert feed(chunked(data, 1)) == reference(data)


@given(chunked_input(block_runs))
@settings(max_examples=1000)
def test_runs_of_blocks_decode_as_the_reference_model_says_in_any_chunking(
    sample: Sample,
) -> None:
    data, chunks = sample
    expected = reference(data)
    assert feed([data]) == expected
    assert feed(chunks) == expected


REGULAR_RUN = b"".join(b'event: t%d\ndata: {"n": %d}\n\n' % (i % 3, i) for i in range(8))


@pytest.mark.parametrize(
    "before",
    [b"data: a\n", b"retry: 5\n", b"id: 7\n", b"id: 7\n\nid\n", b": hi\n", b"event: z\n", b"x\n"],
)
def test_a_block_left_open_by_the_last_chunk_is_ended_before_a_run_of_blocks(before: bytes) -> None:
    assert feed([before, REGULAR_RUN]) == reference(before + REGULAR_RUN)


@given(st.one_of(sse_like, block_runs), st.integers(5, 12))
@settings(max_examples=600)
def test_whatever_came_before_a_run_of_blocks_it_decodes_as_the_reference_says(
    before: bytes, blocks: int
) -> None:
    run = b"".join(b"event: e\ndata: %d\n\n" % i for i in range(blocks))
    assert feed([before, run]) == reference(before + run)


@given(st.binary(max_size=300), st.integers(1, 64))
def test_the_decoder_never_raises_on_arbitrary_bytes(data: bytes, size: int) -> None:
    decoder = SSEDecoder()
    for chunk in chunked(data, size):
        decoder.decode(chunk)
    decoder.flush()


@given(chunked_input(), st.integers(1, 40))
@settings(max_examples=600)
def test_the_bound_does_not_depend_on_the_chunking(sample: Sample, limit: int) -> None:
    data, chunks = sample
    assert feed_until_error(chunks, limit) == feed_until_error([data], limit)


@given(sse_like)
def test_a_bound_never_reached_changes_nothing(data: bytes) -> None:
    assert feed(chunked(data, 3), max_event_bytes=len(data) * 3 + 1) == feed([data])


# -- max_event_bytes -------------------------------------------------------------------------


def test_an_event_past_the_bound_raises_event_too_large() -> None:
    decoder = SSEDecoder(max_event_bytes=100)
    with pytest.raises(EventTooLargeError) as caught:
        decoder.decode(b"data: " + b"x" * 200 + b"\n\n")
    assert caught.value.limit == 100
    assert caught.value.size == 206


def test_an_event_exactly_at_the_bound_passes() -> None:
    line = b"data: " + b"x" * 94  # 100 bytes, line ending not counted
    assert SSEDecoder(max_event_bytes=100).decode(line + b"\n\n")[0].data == "x" * 94
    with pytest.raises(EventTooLargeError):
        SSEDecoder(max_event_bytes=99).decode(line + b"\n\n")


def test_every_line_of_the_block_counts_toward_the_bound() -> None:
    block = b"event: e\nid: 1\n: note\ndata: a\ndata: b\n\n"  # 8 + 5 + 6 + 7 + 7 = 33
    assert len(SSEDecoder(max_event_bytes=33).decode(block)) == 1
    with pytest.raises(EventTooLargeError):
        SSEDecoder(max_event_bytes=32).decode(block)


def test_the_bound_is_per_event_not_per_stream() -> None:
    stream = b"data: 0123456789\n\n" * 1000
    assert len(feed([stream], max_event_bytes=16)[0]) == 1000


def test_the_bound_counts_utf8_bytes() -> None:
    line = "data: " + "€" * 10  # 6 + 30 bytes
    assert len(SSEDecoder(max_event_bytes=36).decode(line.encode() + b"\n\n")) == 1
    with pytest.raises(EventTooLargeError):
        SSEDecoder(max_event_bytes=35).decode(line.encode() + b"\n\n")


def test_an_unfinished_line_past_the_bound_raises_before_it_ends() -> None:
    decoder = SSEDecoder(max_event_bytes=1000)
    for _ in range(9):
        assert decoder.decode(b"data: " + b"x" * 100) == []
    with pytest.raises(EventTooLargeError) as caught:
        decoder.decode(b"x" * 100)
    assert caught.value.size == 1054


def test_events_before_the_overflow_in_the_same_chunk_are_returned_then_it_raises() -> None:
    decoder = SSEDecoder(max_event_bytes=50)
    chunk = b"data: first\n\nevent: e\ndata: second\n\ndata: " + b"x" * 100 + b"\n\ndata: later\n\n"
    events = decoder.decode(chunk)
    assert [(e.event, e.data) for e in events] == [("message", "first"), ("e", "second")]
    with pytest.raises(EventTooLargeError):
        decoder.decode(b"data: next\n\n")


def test_an_event_completed_by_the_overflowing_chunk_is_kept() -> None:
    decoder = SSEDecoder(max_event_bytes=50)
    assert decoder.decode(b"data: a\n") == []
    events = decoder.decode(b"\ndata: " + b"x" * 100)
    assert [e.data for e in events] == ["a"]
    with pytest.raises(EventTooLargeError):
        decoder.flush()


def test_a_spent_decoder_raises_on_every_later_call() -> None:
    decoder = SSEDecoder(max_event_bytes=10)
    with pytest.raises(EventTooLargeError):
        decoder.decode(b"data: " + b"x" * 20)
    with pytest.raises(EventTooLargeError):
        decoder.decode(b"\n\n")
    with pytest.raises(EventTooLargeError):
        decoder.flush()


def test_max_event_bytes_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_event_bytes"):
        SSEDecoder(max_event_bytes=0)


# -- large input -----------------------------------------------------------------------------


def test_a_10_mib_event_in_1_kib_chunks_decodes_byte_for_byte() -> None:
    payload = bytes(range(32, 127)) * (10 * 1024 * 1024 // 95)
    stream = b"event: big\ndata: " + payload + b"\n\n"
    decoder = SSEDecoder()
    events = [event for chunk in chunked(stream, 1024) for event in decoder.decode(chunk)]
    assert len(events) == 1
    assert events[0].event == "big"
    assert events[0].data.encode() == payload


def test_a_10_mib_event_of_multibyte_text_in_odd_chunks_decodes_byte_for_byte() -> None:
    text = "naïve €uro 🥌 text\u2028" * (10 * 1024 * 1024 // 27)
    stream = b"data: " + text.encode() + b"\r\n\r\n"
    decoder = SSEDecoder(max_event_bytes=11 * 1024 * 1024)
    events = [event for chunk in chunked(stream, 1021) for event in decoder.decode(chunk)]
    assert [e.data for e in events] == [text]


def test_a_realistic_anthropic_stream_decodes_the_same_in_any_chunk_size() -> None:
    blocks: list[str] = []
    for i in range(2000):
        delta = {"type": "text_delta", "text": f"word {i} \u2028 é"}
        payload = {"type": "content_block_delta", "index": 0, "delta": delta}
        blocks.append(f"event: content_block_delta\ndata: {json.dumps(payload)}\n\n")
        if i % 97 == 0:
            blocks.append('event: ping\ndata: {"type": "ping"}\n\n: keep-alive\n\n')
    stream = "".join(blocks).encode()
    expected = reference(stream)
    for size in (1, 7, 100, 4096, 65536):
        assert feed(chunked(stream, size)) == expected
    assert len(expected[0]) == 2000 + 21


# -- examples --------------------------------------------------------------------------------


def test_u2028_inside_json_data_is_not_a_line_break() -> None:
    stream = 'event: message\ndata: {"text":"Hello\u2028World\u2029!\x85"}\n\n'.encode()
    (event,) = SSEDecoder().decode(stream)
    assert event.json() == {"text": "Hello\u2028World\u2029!\x85"}


@pytest.mark.parametrize(
    ("stream", "expected"),
    [
        pytest.param(
            b"data: YHOO\ndata: +2\ndata: 10\n\n",
            [("message", "YHOO\n+2\n10", None)],
            id="stock-ticker",
        ),
        pytest.param(
            b": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\n"
            b"data:  third event\n",
            [("message", "first event", "1"), ("message", "second event", "")],
            id="ids-and-unterminated-last-event",
        ),
        pytest.param(
            b"data\n\ndata\ndata\n\ndata:\n",
            [("message", "", None), ("message", "\n", None)],
            id="empty-data",
        ),
        pytest.param(
            b"data:test\n\ndata: test\n\n",
            [("message", "test", None), ("message", "test", None)],
            id="one-space-stripped",
        ),
    ],
)
def test_the_whatwg_examples(stream: bytes, expected: list[tuple[str, str, str | None]]) -> None:
    """The four examples of WHATWG HTML §9.2.6."""
    decoder = SSEDecoder()
    events = decoder.decode(stream) + decoder.flush()
    assert [(e.event, e.data, e.id) for e in events] == expected


def test_a_cr_dispatches_without_waiting_for_the_next_byte() -> None:
    decoder = SSEDecoder()
    assert decoder.decode(b"data: x\r") == []
    assert [e.data for e in decoder.decode(b"\r")] == ["x"]
    assert decoder.decode(b"\n") == []  # the LF of the CRLF: not another blank line
    assert [e.data for e in decoder.decode(b"data: y\n\n")] == ["y"]


def test_an_empty_chunk_after_a_cr_does_not_forget_the_lf_to_skip() -> None:
    decoder = SSEDecoder()
    assert decoder.decode(b"data: x\r") == []
    assert decoder.decode(b"") == []
    assert [e.data for e in decoder.decode(b"\ndata: y\n\n")] == ["x\ny"]


def test_a_retry_of_any_number_of_digits_is_read_without_raising() -> None:
    decoder = SSEDecoder()
    (event,) = decoder.decode(b"retry: " + b"9" * 5000 + b"\ndata: x\n\n")
    assert event.retry == decoder.retry == 10**5000 - 1


def test_flush_discards_the_unfinished_event_and_starts_a_new_stream() -> None:
    decoder = SSEDecoder()
    assert [e.id for e in decoder.decode(b"id: 7\ndata: a\n\nid: 8\ndata: b\n")] == ["7"]
    assert decoder.flush() == []
    assert decoder.last_event_id == "7"
    (event,) = decoder.decode(b"\xef\xbb\xbfdata: c\n\n")  # a new stream may start with a BOM
    assert (event.data, event.id) == ("c", "7")


def test_retry_is_the_state_and_the_event_carries_its_own_block_s() -> None:
    decoder = SSEDecoder()
    first, second = decoder.decode(b"retry: 3000\ndata: a\n\ndata: b\n\nretry: x\n")
    assert (first.retry, second.retry, decoder.retry) == (3000, None, 3000)


def test_an_irregular_block_among_regular_ones_is_decoded_by_the_general_path() -> None:
    stream = (
        b"event: a\ndata: 1\n\n"
        b"event: b\ndata: 2\nid: 9\n\n"
        b"event: c\ndata: 3\n\n"
        b"event:d\ndata:4\n\n"
        b"event: \ndata: 5\n\n"
    )
    events, final = feed([stream])
    assert [(e["event"], e["data"], e["id"]) for e in events] == [
        ("a", "1", None),
        ("b", "2", "9"),
        ("c", "3", "9"),
        ("d", "4", "9"),
        ("message", "5", "9"),
    ]
    assert final == {"last_event_id": "9", "retry": None}


# -- ServerSentEvent -------------------------------------------------------------------------


def test_a_server_sent_event_has_spec_defaults() -> None:
    event = ServerSentEvent()
    assert (event.event, event.data, event.id, event.retry) == ("message", "", None, None)


def test_a_server_sent_event_is_immutable() -> None:
    event = ServerSentEvent("e", "d")
    with pytest.raises(AttributeError):
        event.data = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        event.extra = 1  # type: ignore[attr-defined]


def test_server_sent_events_compare_and_hash_by_value() -> None:
    a = ServerSentEvent("e", "d", "1", 5)
    assert a == ServerSentEvent(event="e", data="d", id="1", retry=5)
    assert a != ServerSentEvent("e", "d", "1", None)
    assert a != ("e", "d", "1", 5)
    assert len({a, ServerSentEvent("e", "d", "1", 5)}) == 1


def test_a_server_sent_event_repr_shows_every_field_and_shortens_long_data() -> None:
    assert repr(ServerSentEvent("ping", '{"type": "ping"}')) == (
        "ServerSentEvent(event='ping', data='{\"type\": \"ping\"}', id=None, retry=None)"
    )
    long = repr(ServerSentEvent(data="x" * 1000))
    assert "… (1000 chars)" in long
    assert len(long) < 300


def test_a_server_sent_event_parses_its_data_as_json() -> None:
    assert ServerSentEvent(data='{"a": [1, 2.5, "é"]}').json() == {"a": [1, 2.5, "é"]}
    with pytest.raises(ValueError, match="EOF"):
        ServerSentEvent(data='{"a": ').json()


def test_a_server_sent_event_can_be_matched_by_position() -> None:
    match ServerSentEvent("content_block_delta", "{}"):
        case ServerSentEvent("content_block_delta", data):
            assert data == "{}"
        case _:
            pytest.fail("no match")
