"""`text_only`: the text of every text delta, in stream order."""

from __future__ import annotations

from ..events import ContentBlockDeltaEvent, StreamEvent, TextDelta
from ..typing import Operator
from ._shared import Step, filter_map

__all__ = ["text_only"]


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
