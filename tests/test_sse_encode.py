"""Layer 1: `encode_event`, the decoder's inverse: decode(encode(x)) == x, whatever x holds."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anthropic_rx._sse import ServerSentEvent, SSEDecoder, encode_comment, encode_event

# Text with the characters that break naive encoders: LF (CR is refused), NUL, a BOM, line
# separators a decoder must keep, colons and leading spaces.
_TEXT = st.text(
    st.one_of(
        st.sampled_from(["\n", "\0", "\ufeff", "\u2028", "\x85", ":", " ", "é", "𝄞"]),
        st.characters(blacklist_characters="\r", blacklist_categories=["Cs"]),
    ),
    max_size=40,
)
_NAME = _TEXT.map(lambda s: s.replace("\n", "")).filter(bool)
_ID = st.none() | _NAME.map(lambda s: s.replace("\0", "")) | st.just("")
_RETRY = st.none() | st.integers(min_value=0, max_value=10**30)


@st.composite
def events(draw: st.DrawFn) -> list[ServerSentEvent]:
    out: list[ServerSentEvent] = []
    last: str | None = None
    for _ in range(draw(st.integers(0, 6))):
        name = draw(st.none() | _NAME)
        given_id = draw(_ID)
        last = given_id if given_id is not None else last  # the decoder's id persists
        out.append(ServerSentEvent(name or "message", draw(_TEXT), last, draw(_RETRY)))
    return out


@given(events(), st.integers(1, 7))
def test_decode_inverts_encode(sent: list[ServerSentEvent], size: int) -> None:
    wire = encode_comment("hello") + b"".join(e.encode() for e in sent)
    decoder = SSEDecoder()
    got = [e for i in range(0, len(wire), size) for e in decoder.decode(wire[i : i + size])]
    assert got == sent
    assert decoder.last_event_id == (sent[-1].id if sent else None)


def test_the_common_shape_is_three_lines() -> None:
    assert encode_event('{"a":1}', event="content_block_delta", id="12") == (
        b'event: content_block_delta\ndata: {"a":1}\nid: 12\n\n'
    )
    assert encode_event("x", event="message") == b"data: x\n\n"
    assert encode_event("", retry=0) == b"data: \nretry: 0\n\n"
    assert encode_comment() == b": \n\n"


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"data": "a\rb"}, "data cannot hold CR"),
        ({"data": "x", "event": ""}, "non-empty"),
        ({"data": "x", "event": "a\nb"}, "without CR or LF"),
        ({"data": "x", "event": "a\rb"}, "without CR or LF"),
        ({"data": "x", "id": "a\nb"}, "CR, LF or NUL"),
        ({"data": "x", "id": "a\rb"}, "CR, LF or NUL"),
        ({"data": "x", "id": "a\0b"}, "CR, LF or NUL"),
        ({"data": "x", "retry": -1}, ">= 0"),
    ],
)
def test_what_the_format_cannot_carry_is_refused(kwargs: dict[str, object], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        encode_event(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["a\nb", "a\rb"])
def test_a_comment_is_one_line(text: str) -> None:
    with pytest.raises(ValueError, match="comment"):
        encode_comment(text)
