"""`accumulate` and `final_message`: snapshots of the message, and the whole message."""

from __future__ import annotations

from collections.abc import Callable

from .._core import MessageSnapshot
from ..events import Message, MessageStopEvent, PingEvent, StreamEvent, UnknownEvent
from ..typing import Operator
from ._shared import Step, steps_operator

__all__ = ["accumulate", "final_message"]


def accumulate() -> Operator[StreamEvent, MessageSnapshot]:
    """Emit an immutable `MessageSnapshot` after every event that changes the message.

    Pings and unknown events change nothing and emit nothing. Each snapshot stays as it
    was when emitted, so ``ops.pairwise()`` and ``ops.to_list()`` see every stage.

    Example:
        >>> arx.from_recording(HELLO).pipe(accumulate()).subscribe(lambda s: print(s.text))

    Marble:
        -S-b-t(Hel)-t(lo)-B-D-X-|
        [       accumulate()     ]
        -s-s-s------s-----s-s-s-|      s: MessageSnapshot (the last one is complete)

    Errors:
        `StreamProtocolError`, `ToolInputError`, `IncompleteStreamError` (the stream ended
        before ``message_stop``), the typed error of an ``event: error``, and the source's.
    """

    def on_step(step: Step, emit: Callable[[MessageSnapshot], None]) -> None:
        # The accumulator hands back the same snapshot for events that change nothing.
        if step.snapshot is not None and not isinstance(step.event, PingEvent | UnknownEvent):
            emit(step.snapshot)

    return steps_operator(on_step)


def final_message() -> Operator[StreamEvent, Message]:
    """Emit the whole `Message` once, at ``message_stop``, then complete with the source.

    The message equals the official SDK's ``get_final_message()`` on the same bytes; unlike
    the SDK, a stream that ends early is an error, never a partial message passed off as
    whole.

    Example:
        >>> message = arx.from_recording(HELLO).pipe(final_message()).run()

    Marble:
        -S-b-t-t-B-D-X-|
        [ final_message() ]
        -------------M-|

    Errors:
        As `accumulate`: `IncompleteStreamError` carries the partial snapshot.
    """

    def on_step(step: Step, emit: Callable[[Message], None]) -> None:
        if step.snapshot is not None:
            emit(step.snapshot.to_message())

    return steps_operator(on_step, only=(MessageStopEvent,))
