# pyright: strict
"""Type tests for the operator catalogue: type-checked, never run (see README.md here).

Each `assert_type` states what a pipeline infers; each deliberate misuse carries the ignore
comment of the checker that must reject it, and both checkers report an ignore that is no
longer needed, so these lines fail the check the day the misuse stops being an error.
"""

from __future__ import annotations

from typing import assert_type

from reactivex import Observable, compose
from reactivex import operators as ops

import anthropic_rx as arx
from anthropic_rx.events import Citation, ContentBlock, Usage
from anthropic_rx.operators import (
    ToolCall,
    ToolInputUpdate,
    accumulate,
    citations,
    coalesce_text,
    content_blocks,
    final_message,
    final_text,
    latest,
    on_tool_input,
    stop_reason,
    text_only,
    thinking,
    tool_calls,
    usage,
)
from anthropic_rx.typing import Operator


def each_operator_infers_its_output(events: Observable[arx.StreamEvent]) -> None:
    assert_type(events.pipe(text_only()), Observable[str])
    assert_type(events.pipe(final_text()), Observable[str])
    assert_type(events.pipe(thinking()), Observable[str])
    assert_type(events.pipe(citations()), Observable[Citation])
    assert_type(events.pipe(final_message()), Observable[arx.Message])
    assert_type(events.pipe(accumulate()), Observable[arx.MessageSnapshot])
    assert_type(events.pipe(on_tool_input()), Observable[ToolInputUpdate])
    assert_type(events.pipe(on_tool_input("get_weather")), Observable[ToolInputUpdate])
    assert_type(events.pipe(tool_calls()), Observable[ToolCall])
    assert_type(events.pipe(tool_calls(server=True)), Observable[ToolCall])
    assert_type(events.pipe(content_blocks()), Observable[ContentBlock])
    assert_type(events.pipe(usage()), Observable[Usage])
    assert_type(events.pipe(stop_reason()), Observable[str | None])
    assert_type(events.pipe(coalesce_text()), Observable[str])
    assert_type(events.pipe(coalesce_text(1 / 30, scheduler=None)), Observable[str])


def operators_compose_with_reactivex_ones(events: Observable[arx.StreamEvent]) -> None:
    assert_type(events.pipe(accumulate(), latest(0.1)), Observable[arx.MessageSnapshot])
    # (ops.last() here infers under pyright only: mypy cannot solve its optional predicate.)
    assert_type(events.pipe(accumulate(), ops.take_last(1)), Observable[arx.MessageSnapshot])
    pairs = events.pipe(accumulate(), ops.pairwise())
    assert_type(pairs, Observable[tuple[arx.MessageSnapshot, arx.MessageSnapshot]])
    assert_type(events.pipe(text_only(), ops.share()), Observable[str])
    assert_type(events.pipe(text_only(), ops.to_list()), Observable[list[str]])
    assert_type(events.pipe(text_only(), latest(0.1)), Observable[str])

    # mypy cannot type a lambda's parameter from pipe's overloads (reactivex, not us): use a
    # typed function there.
    def text_of(snapshot: arx.MessageSnapshot) -> str:
        return snapshot.text

    assert_type(events.pipe(accumulate(), ops.map(text_of)), Observable[str])
    frames: Operator[arx.StreamEvent, arx.MessageSnapshot] = compose(accumulate(), latest(1 / 60))
    assert_type(events.pipe(frames), Observable[arx.MessageSnapshot])


def operators_are_operator_aliases() -> None:
    text: Operator[arx.StreamEvent, str] = text_only()
    message: Operator[arx.StreamEvent, arx.Message] = final_message()
    snapshots: Operator[arx.StreamEvent, arx.MessageSnapshot] = accumulate()
    assert_type(text, Operator[arx.StreamEvent, str])
    assert_type(message, Operator[arx.StreamEvent, arx.Message])
    assert_type(snapshots, Operator[arx.StreamEvent, arx.MessageSnapshot])


def values_have_their_attributes(events: Observable[arx.StreamEvent]) -> None:
    def show(update: ToolInputUpdate) -> None:
        assert_type(update.index, int)
        assert_type(update.name, str)
        assert_type(update.partial_json, str)
        assert_type(update.message, arx.MessageSnapshot)

    def render(snapshot: arx.MessageSnapshot) -> None:
        assert_type(snapshot.text, str)
        assert_type(snapshot.complete, bool)
        assert_type(snapshot.stop_reason, str | None)
        assert_type(snapshot.content, tuple[ContentBlock, ...])
        assert_type(snapshot.to_message(), arx.Message)

    events.pipe(on_tool_input()).subscribe(show)
    events.pipe(accumulate(), latest(0.05)).subscribe(render)


def misuses_are_rejected(events: Observable[arx.StreamEvent]) -> None:
    # final_message() reads events, not the strings text_only() makes.
    events.pipe(text_only(), final_message())  # type: ignore[misc]
    # Operators are factories: a bare one is not an operator.
    events.pipe(text_only)  # type: ignore[arg-type]
    # The one obvious input is positional; options are keyword-only.
    tool_calls(True)  # type: ignore[call-arg]
    on_tool_input(3)  # type: ignore[arg-type]
    coalesce_text("fast")  # type: ignore[arg-type]
    # A snapshot pipeline does not give strings.
    texts: Observable[str] = events.pipe(accumulate())  # type: ignore[arg-type]
    del texts
    # Snapshots are not messages: ask for to_message().
    message: arx.Message = arx.MessageAccumulator().message().content  # type: ignore[assignment]
    del message
