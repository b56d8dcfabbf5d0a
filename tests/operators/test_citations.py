"""citations(): every citation as it arrives, before the text it belongs to."""

from __future__ import annotations

from typing import Any

import anthropic_rx as arx
from anthropic_rx.operators import citations

from .. import events_helpers as ev
from .marbles import OVERLOADED, expect, run, timeline


def cite(cited_text: str, start: int) -> dict[str, Any]:
    return {
        "type": "char_location",
        "cited_text": cited_text,
        "document_index": 0,
        "document_title": "notes",
        "start_char_index": start,
        "end_char_index": start + len(cited_text),
    }


CITED = {
    "S": ev.message_start(),
    "b": ev.block_start(0, type="text", text="", citations=[]),
    "c": ev.delta(0, type="citations_delta", citation=cite("the sky", 0)),
    "t": ev.text(0, "The sky is blue."),
    "B": ev.stop(0),
    "f": ev.block_start(1, type="text", text="", citations=[]),
    "d": ev.delta(1, type="citations_delta", citation=cite("grass", 20)),
    "F": ev.stop(1),
    "g": ev.block_start(1, type="tool_use", id="toolu_1", name="look", input={}),
    "j": ev.input_json(1, "{}"),
    "w": ev.delta(1, type="citations_delta", citation=cite("wrong", 0)),
    "D": ev.message_delta(),
    "X": ev.MESSAGE_STOP,
    "E": OVERLOADED,
}


def cited_text(citation: Any) -> str:
    return str(citation.cited_text)


def test_citations_marble_emits_each_citation_at_the_tick_of_its_delta() -> None:
    """The docstring's diagram: -S-b-c(c1)-t(text)-B-b-c(c2)-B-D-X-|."""
    source = "-S-b-c-t-B-f-d-F-D-X-|"
    output = "-----c-------d-------|"
    out = run(source, citations(), CITED)
    assert timeline(out, cited_text) == expect(output, {"c": "the sky", "d": "grass"})


def test_citations_are_typed_citation_models_that_also_end_up_in_the_message() -> None:
    out = run("-S-b-c-t-B-D-X-|", citations(), CITED)
    [(_, citation), _end] = timeline(out)
    assert isinstance(citation, arx.events.CitationCharLocation)
    assert (citation.start_char_index, citation.end_char_index) == (0, 7)


def test_citations_marble_ends_with_the_typed_error_of_an_error_event() -> None:
    out = run("-S-b-c-E-t-B-D-X-|", citations(), CITED)
    assert timeline(out, cited_text) == expect(
        "-----c-#", {"c": "the sky"}, error=arx.OverloadedError
    )


def test_citations_marble_ends_with_stream_protocol_error_for_a_citation_on_a_tool_block() -> None:
    source = "-S-b-c-t-B-g-j-w-|"
    output = "-----c---------#"
    out = run(source, citations(), CITED)
    assert timeline(out, cited_text) == expect(
        output, {"c": "the sky"}, error=arx.StreamProtocolError
    )


def test_citations_marble_ends_with_incomplete_stream_error_after_the_citations() -> None:
    out = run("-S-b-c-|", citations(), CITED)
    assert timeline(out, cited_text) == expect(
        "-----c-#", {"c": "the sky"}, error=arx.IncompleteStreamError
    )
