"""The incremental partial-JSON parser: any split gives the final value, never a contradiction."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anthropic_rx._core import PartialJSON, PartialJSONError

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**12), max_value=10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)


def agrees(partial: Any, final: Any) -> bool:
    """Whether *partial* shows nothing that *final* contradicts."""
    if partial is None and final is not None:
        return True  # nothing shown yet
    if isinstance(final, dict):
        return isinstance(partial, dict) and all(
            k in final and agrees(v, final[k]) for k, v in partial.items()
        )
    if isinstance(final, list):
        if not isinstance(partial, list) or len(partial) > len(final):
            return False
        whole, last = partial[:-1], partial[-1:]
        return all(p == f for p, f in zip(whole, final, strict=False)) and all(
            agrees(p, final[len(whole)]) for p in last
        )
    if isinstance(final, str):
        return isinstance(partial, str) and final.startswith(partial)
    return bool(partial == final)


@settings(max_examples=300, deadline=None)
@given(value=json_values, data=st.data(), ascii_only=st.booleans())
def test_any_split_parses_to_the_value_and_partials_never_contradict_it(
    value: Any, data: st.DataObject, ascii_only: bool
) -> None:
    text = json.dumps({"v": value}, ensure_ascii=ascii_only)
    cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(text) - 1)), max_size=10)))
    parser = PartialJSON()
    start = 0
    for cut in [*cuts, len(text)]:
        parser.feed(text[start:cut])
        start = cut
        assert agrees(parser.value(), {"v": value})
        assert agrees(parser.value("complete"), {"v": value})
    assert parser.value() == {"v": value}


def test_unfinished_numbers_literals_and_keys_are_left_out() -> None:
    parser = PartialJSON()
    parser.feed('{"a": 1, "b": 2')
    assert parser.value() == {"a": 1}
    parser.feed(', "c": tru')
    assert parser.value() == {"a": 1, "b": 2}
    parser.feed('e, "dk')
    assert parser.value() == {"a": 1, "b": 2, "c": True}
    parser.feed('ey": ')
    assert parser.value() == {"a": 1, "b": 2, "c": True}


def test_unfinished_strings_show_their_prefix_only_in_partial_mode() -> None:
    parser = PartialJSON()
    parser.feed('{"text": "line1\\nli')
    assert parser.value() == {"text": "line1\nli"}
    assert parser.value("complete") == {}


def test_an_escape_split_across_fragments_is_never_shown_half_done() -> None:
    parser = PartialJSON()
    for piece, shown in [
        ('["a\\', "a"),
        ("u00", "a"),
        ("e9", "aé"),
        ("\\ud83d", "aé"),
        ("\\ude00", "aé😀"),
    ]:
        parser.feed(piece)
        assert parser.value() == [shown]


@pytest.mark.parametrize(
    "garbage", ['{"a" 1}', "{1: 2}", "[1 2]", "nul!", '"\\x"', "}", '{"a": 1}}']
)
def test_text_that_cannot_start_json_is_an_error(garbage: str) -> None:
    parser = PartialJSON()

    def feed_all() -> None:
        for ch in garbage:
            parser.feed(ch)

    with pytest.raises(PartialJSONError):
        feed_all()
    with pytest.raises(PartialJSONError):
        parser.feed("")  # the parser stays failed


def test_nothing_started_reads_as_none() -> None:
    parser = PartialJSON()
    parser.feed("   ")
    assert not parser.started
    assert parser.value() is None
