"""Text operators: `text_only`, `thinking`, `citations`, `final_text`."""

from __future__ import annotations

from collections.abc import Callable

from .._exceptions import NoTextError
from ..events import (
    Citation,
    CitationsDelta,
    ContentBlockDeltaEvent,
    MessageStopEvent,
    StreamEvent,
    TextBlock,
    TextDelta,
    ThinkingDelta,
)
from ..typing import Operator
from ._shared import Step, filter_map, steps_operator

__all__ = ["citations", "final_text", "text_only", "thinking"]


def _text_of(step: Step) -> str | None:
    event = step.event
    if isinstance(event, ContentBlockDeltaEvent) and isinstance(event.delta, TextDelta):
        return event.delta.text
    return None


def text_only() -> Operator[StreamEvent, str]:
    """Emit the text of every text delta, in stream order (thinking and tool input skipped).

    Joined with ``""``, the pieces are the message's text (`final_text`).

    Example:
        >>> arx.from_recording(HELLO).pipe(text_only()).subscribe(print)

    Marble:
        -S-b-t(Hel)-t(lo)-B-D-X-|
        [       text_only()      ]
        -----Hel----lo----------|

    Errors:
        As `accumulate`: a truncated stream ends with `IncompleteStreamError`, after all the
        text that arrived.
    """
    return filter_map(_text_of)


def _thinking_of(step: Step) -> str | None:
    event = step.event
    if isinstance(event, ContentBlockDeltaEvent) and isinstance(event.delta, ThinkingDelta):
        return event.delta.thinking
    return None


def thinking() -> Operator[StreamEvent, str]:
    """Emit the text of every thinking delta, in stream order.

    Example:
        >>> events.pipe(thinking()).subscribe(lambda t: print(t, end=""))

    Marble:
        -S-b(thinking)-k(Let)-k( me)-g-B-b-t(Hi)-B-D-X-|     k thinking, g signature
        [                  thinking()                 ]
        ---------------Let---- me----------------------|
    """
    return filter_map(_thinking_of)


def _citation_of(step: Step) -> Citation | None:
    event = step.event
    if isinstance(event, ContentBlockDeltaEvent) and isinstance(event.delta, CitationsDelta):
        return event.delta.citation
    return None


def citations() -> Operator[StreamEvent, Citation]:
    """Emit every citation as it arrives (before the text it belongs to, as the API sends it).

    Example:
        >>> events.pipe(citations()).subscribe(lambda c: print(c.cited_text))

    Marble:
        -S-b-c(c1)-t(text)-B-b-c(c2)-B-D-X-|
        [            citations()          ]
        -----c1----------------c2----------|
    """
    return filter_map(_citation_of)


def final_text() -> Operator[StreamEvent, str]:
    """Emit the message's text once, at ``message_stop``: every text block joined with ``""``.

    Like the SDK's ``get_final_text()``: a message without any text block is an error.

    Example:
        >>> answer = arx.from_recording(HELLO).pipe(final_text()).run()

    Marble:
        -S-b-t(Hel)-t(lo)-B-D-X-|
        [     final_text()      ]
        ----------------------H-|      H = "Hello"

    Errors:
        `NoTextError` (no text block), and those of `accumulate`.
    """

    def on_step(step: Step, emit: Callable[[str], None]) -> None:
        if isinstance(step.event, MessageStopEvent) and step.snapshot is not None:
            content = step.snapshot.content
            if not any(isinstance(b, TextBlock) for b in content):
                raise NoTextError(
                    "expected a text block for final_text(), got "
                    f"{[b.type for b in content] or 'no content blocks'}",
                    snapshot=step.snapshot,
                )
            emit(step.snapshot.text)

    return steps_operator(on_step)
