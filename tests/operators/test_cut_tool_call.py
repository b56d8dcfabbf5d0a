"""A tool call cut at message_stop ends every operator with ToolInputError (issue 10 item 8).

``message_stop`` while a ``tool_use`` block's JSON is unfinished (its stop never came, or
came with partial JSON) must never give a finished-looking `Message` whose tool input is the
partial value: whatever operator reads the stream, it ends with a typed error carrying the
partial snapshot, on a cold source and on a hot `MessageStream` alike.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest
from reactivex import Observable

import anthropic_rx as arx
import anthropic_rx.operators as operators
from anthropic_rx.operators import final_message

from .. import events_helpers as ev
from ..sources.fakes import FakeResponse
from .helpers import record

#: Operators of time (their own tests cover passing an error through), and those that read the
#: answer's text as JSON (this text is prose: they end at its block with OutputValidationError,
#: before the cut call, as their own tests show): the rest are walked.
SKIPPED = {"coalesce_text", "latest", "parsed_output", "partial_output", "parse_output"}
#: Arguments for the operators that need some.
ARGS: dict[str, tuple[Any, ...]] = {"partial_tool_input": (dict[str, Any],)}


def stream_operators() -> list[str]:
    names = []
    for name in operators.__all__:
        factory = getattr(operators, name)
        if name in SKIPPED or not inspect.isfunction(factory):
            continue
        required = [
            p for p in inspect.signature(factory).parameters.values() if p.default is p.empty
        ]
        assert not required or name in ARGS, f"{name}() needs arguments: give it some in ARGS"
        names.append(name)
    return names


OPERATORS = stream_operators()


def cut(*, with_block_stop: bool) -> bytes:
    """Text, then a `read` call cut at `{"path": "/`, then message_delta(max_tokens) and stop."""
    return ev.encode(
        [
            ev.message_start(),
            *ev.text_block(0, "Let me read it."),
            *ev.tool_call(1, "read", '{"path": "/'),
            *([ev.stop(1)] if with_block_stop else []),
            *ev.message_end("max_tokens"),
        ]
    )


Source = Callable[[bytes], Observable[arx.StreamEvent]]
SOURCES: dict[str, Source] = {
    "from_bytes": lambda data: arx.from_bytes(data),
    "MessageStream": lambda data: arx.from_response(FakeResponse([data])),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("with_block_stop", [False, True], ids=["no-block-stop", "block-stop"])
@pytest.mark.parametrize("source", sorted(SOURCES))
@pytest.mark.parametrize("name", OPERATORS)
def test_every_operator_ends_with_tool_input_error_never_completes(
    name: str, source: str, with_block_stop: bool
) -> None:
    events = SOURCES[source](cut(with_block_stop=with_block_stop))
    out = record(events.pipe(getattr(operators, name)(*ARGS.get(name, ()))))
    if source == "MessageStream":
        assert isinstance(events, arx.MessageStream)
        assert events.wait(10.0)
        assert isinstance(events.error, arx.ToolInputError)
    assert not out.completed
    error = out.error
    assert isinstance(error, arx.ToolInputError), repr(error)
    assert (error.index, error.partial_json) == (1, '{"path": "/')
    snapshot = error.snapshot
    assert snapshot is not None and not snapshot.complete
    assert snapshot.text == "Let me read it."
    assert snapshot.input_of(1) == {"path": "/"}
    if not with_block_stop:
        assert snapshot.stop_reason == "max_tokens"
    for value in out.values:  # nothing emitted holds the cut call as finished
        assert not (isinstance(value, arx.Message) or getattr(value, "complete", False))
        assert getattr(value, "type", None) != "tool_use"


def test_final_message_of_a_cut_call_raises_from_run() -> None:
    with pytest.raises(arx.ToolInputError, match="when message_stop ended the message") as info:
        arx.from_bytes(cut(with_block_stop=False)).pipe(final_message()).run()
    assert info.value.snapshot is not None
    message: Any = info.value.snapshot.to_message()  # the partial message, for display
    assert message.content[1].input == {}
