"""Tool input that stops being JSON: the partial value stops there, and the stop says why.

`PartialJSON` rejects a fragment as soon as the text can no longer begin a JSON value, with
the same verdict jiter gives on the whole text at ``content_block_stop``. A snapshot read
after such a fragment keeps the value from before it (nothing past the garbage is shown, and
reading never raises); the block's ``content_block_stop`` then fails with `ToolInputError`.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

import anthropic_rx as arx
from anthropic_rx._core import PartialJSON, PartialJSONError
from anthropic_rx._core.tool_input import parse_complete

from .. import events_helpers as ev

# Text that is not JSON, the parser's message for it, and the partial value at the fault.
# Each fault is one the parser can only see when it reads the offending character: an
# unknown literal, a malformed \u escape, an unpaired UTF-16 surrogate, a malformed number.
INVALID = [
    ('{"ok": true, "v": tx}', "invalid literal 'tx'", {"ok": True}),
    ('{"ok": true, "v": "caf\\u00g9"}', r"invalid escape '\\u00g'", {"ok": True, "v": "caf"}),
    ('{"ok": true, "v": "a\\udc00"}', r"lone low surrogate '\\udc00'", {"ok": True, "v": "a"}),
    ('{"ok": true, "v": "a\\ud83d"}', r"lone high surrogate '\\ud83d'", {"ok": True, "v": "a"}),
    (
        '{"ok": true, "v": "a\\ud83d\\n"}',
        r"lone high surrogate '\\ud83d'",
        {"ok": True, "v": "a"},
    ),
    (
        '{"ok": true, "v": "a\\ud83d\\u0041"}',
        r"lone high surrogate '\\ud83d'",
        {"ok": True, "v": "a"},
    ),
    (
        '{"ok": true, "v": "a\\ud83d\\udZ00"}',
        r"invalid escape '\\udZ'",
        {"ok": True, "v": "a"},
    ),
    ('{"ok": true, "v": 1.2.3}', "invalid number '1.2.3'", {"ok": True}),
    ('{"ok": true, "v": --1}', "invalid number '--1'", {"ok": True}),
    ('{"ok": true, "v": 1e}', "invalid number '1e'", {"ok": True}),
]
IDS = [text for text, _, _ in INVALID]


def feed_until_error(parser: PartialJSON, pieces: list[str]) -> PartialJSONError:
    for piece in pieces:
        try:
            parser.feed(piece)
        except PartialJSONError as exc:
            return exc
    raise AssertionError("the parser accepted text that is not JSON")


@pytest.mark.parametrize(("text", "message", "before"), INVALID, ids=IDS)
def test_text_that_is_not_json_is_rejected_in_any_split(
    text: str, message: str, before: dict[str, Any]
) -> None:
    with pytest.raises(ValueError, match="at line 1 column"):  # jiter agrees: it fails too
        parse_complete(text)
    whole = PartialJSON()
    assert feed_until_error(whole, [text]).args[0] == message
    # The parser keeps the value it had, and stays failed with the same message.
    assert whole.value() == before
    assert whole.value("complete") == {"ok": True}
    with pytest.raises(PartialJSONError, match=re.escape(message)):
        whole.feed("}")
    for size in (1, 2, 3):
        # However the text is split, the value stops at the same place.
        parser = PartialJSON()
        feed_until_error(parser, [text[i : i + size] for i in range(0, len(text), size)])
        assert parser.value() == before


def test_a_literal_is_taken_at_its_last_letter_so_a_longer_word_fails_after_it() -> None:
    """``truest`` fails as one word; split after ``true``, the literal was already taken."""
    whole = PartialJSON()
    with pytest.raises(PartialJSONError, match="invalid literal 'truest'"):
        whole.feed('{"v": truest}')
    assert whole.value() == {}
    split = PartialJSON()
    split.feed('{"v": true')
    assert split.value() == {"v": True}
    with pytest.raises(PartialJSONError, match="expected ',' or a closing bracket, got 's'"):
        split.feed("st}")
    with pytest.raises(ValueError, match="at line 1 column"):  # the final parse fails too
        parse_complete('{"v": truest}')


def test_the_json_these_faults_resemble_is_accepted() -> None:
    """The near misses, fixed, parse the same with the partial parser and with jiter."""
    valid = [
        '{"v": true}',
        '{"v": null}',
        '{"v": "caf\\u00e9"}',
        '{"v": "a\\ud83d\\ude00"}',
        '{"v": 1.25e3}',
        '{"v": -1}',
    ]
    for text in valid:
        for size in (1, 2, len(text)):
            parser = PartialJSON()
            for i in range(0, len(text), size):
                parser.feed(text[i : i + size])
            assert parser.value() == parse_complete(text)


def tool_stream(*pieces: str) -> list[dict[str, Any]]:
    return [
        ev.message_start(),
        ev.block_start(0, type="tool_use", id="toolu_1", name="write", input={}),
        *(ev.input_json(0, p) for p in pieces),
    ]


def test_a_partial_input_with_an_invalid_escape_keeps_the_value_before_it() -> None:
    acc = arx.MessageAccumulator()
    snaps = [
        acc.feed(ev.event(obj)) for obj in tool_stream('{"path": "a.py", ', '"text": "x\\q', 'y"}')
    ]
    good, bad, after = snaps[2], snaps[3], snaps[4]
    assert good is not None and bad is not None and after is not None
    assert good.input_of(0) == {"path": "a.py"}
    # The fragment with the invalid escape, and every fragment after it, show nothing new.
    assert bad.input_of(0) == {"path": "a.py", "text": "x"}
    assert after.input_of(0) == {"path": "a.py", "text": "x"}
    assert after.input_of(0, strings="complete") == {"path": "a.py"}
    # The stop reports the whole text received.
    with pytest.raises(arx.ToolInputError, match="block 0") as info:
        acc.feed(ev.event(ev.stop(0)))
    assert info.value.partial_json == '{"path": "a.py", "text": "x\\qy"}'
    assert isinstance(info.value.__cause__, ValueError)


def test_reading_an_old_snapshot_after_the_fault_rereads_from_the_start() -> None:
    acc = arx.MessageAccumulator()
    snaps = [acc.feed(ev.event(obj)) for obj in tool_stream('{"n": 1, ', '"m": 2.2.2', ', "k": 3}')]
    assert snaps[-1] is not None and snaps[-1].input_of(0) == {"n": 1}
    assert snaps[2] is not None and snaps[2].input_of(0) == {"n": 1}
    assert snaps[3] is not None and snaps[3].input_of(0) == {"n": 1}


def test_a_lone_surrogate_in_tool_input_fails_at_content_block_stop() -> None:
    acc = arx.MessageAccumulator()
    for obj in tool_stream('{"emoji": "\\ud83d"}'):
        acc.feed(ev.event(obj))
    assert acc.snapshot is not None and acc.snapshot.input_of(0) == {"emoji": ""}
    with pytest.raises(arx.ToolInputError) as info:
        acc.feed(ev.event(ev.stop(0)))
    assert info.value.index == 0 and info.value.snapshot is acc.snapshot


def test_message_stop_with_an_unstopped_tool_block_that_is_not_json_is_a_tool_input_error() -> None:
    """A block cut by message_stop must fail as the stop would: with `ToolInputError`."""
    acc = arx.MessageAccumulator()
    for obj in [*tool_stream('{"a": nope'), ev.message_delta("max_tokens")]:
        acc.feed(ev.event(obj))
    with pytest.raises(arx.ToolInputError):
        acc.feed(ev.event(ev.MESSAGE_STOP))
