"""Message-level operators: `content_blocks`, `usage`, `stop_reason`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, overload

from ..events import (
    ContentBlock,
    ContentBlockStopEvent,
    MessageDeltaEvent,
    MessageStartEvent,
    MessageStopEvent,
    StreamEvent,
    Usage,
)
from ..typing import Operator
from ._shared import OnStep, Step, steps_operator

__all__ = ["content_blocks", "stop_reason", "usage"]


@overload
def content_blocks() -> Operator[StreamEvent, ContentBlock]: ...
@overload
def content_blocks(*, indexed: Literal[False]) -> Operator[StreamEvent, ContentBlock]: ...
@overload
def content_blocks(
    *, indexed: Literal[True]
) -> Operator[StreamEvent, tuple[int, ContentBlock]]: ...
def content_blocks(*, indexed: bool = False) -> Operator[StreamEvent, Any]:
    """Emit each content block once, finished: at its ``content_block_stop``.

    Blocks that arrive whole inside ``message_start`` are emitted then; a block still open
    at ``message_stop`` (cut by ``max_tokens``) is emitted there, as far as it got, except a
    tool block whose input JSON is unfinished: the stream then ends with `ToolInputError`.
    With ``indexed=True`` each comes as ``(index, block)``, its position in ``content``.

    Example:
        >>> events.pipe(content_blocks()).subscribe(lambda b: print(b.type))
        >>> events.pipe(content_blocks(indexed=True)).subscribe(lambda ib: print(*ib))

    Marble:
        -S-b-t-t-B-b(tool)-j-j-B-D-X-|
        [       content_blocks()     ]
        ---------T-------------U-----|     T the text block, U the tool_use block
    """

    def per_subscription() -> OnStep[Any]:
        emitted: set[int] = set()

        def on_step(step: Step, emit: Callable[[Any], None]) -> None:
            event, snapshot = step
            if snapshot is None:
                return
            if isinstance(event, ContentBlockStopEvent):
                emitted.add(event.index)
                block = snapshot.block(event.index)
                emit((event.index, block) if indexed else block)
            elif isinstance(event, MessageStartEvent | MessageStopEvent):
                # Whole blocks of message_start, or blocks message_stop finished early.
                for index, block in enumerate(snapshot.content):
                    if index not in emitted:
                        emitted.add(index)
                        emit((index, block) if indexed else block)

        return on_step

    return steps_operator(per_subscription=per_subscription)


def usage() -> Operator[StreamEvent, Usage]:
    """Emit the usage at ``message_start`` and after every ``message_delta`` (cumulative).

    Example:
        >>> print(events.pipe(usage()).run().output_tokens)  # run() gives the last usage

    Marble:
        -S-b-t-B-D-X-|
        [  usage()   ]
        -u-------u---|
    """

    def on_step(step: Step, emit: Callable[[Usage], None]) -> None:
        if isinstance(step.event, MessageStartEvent | MessageDeltaEvent) and step.snapshot:
            emit(step.snapshot.usage)

    return steps_operator(on_step)


def stop_reason() -> Operator[StreamEvent, str | None]:
    """Emit the stop reason once, at ``message_stop`` (``end_turn``, ``tool_use``, …).

    Example:
        >>> reason = events.pipe(stop_reason()).run()

    Marble:
        -S-b-t-B-D(end_turn)-X-|
        [    stop_reason()     ]
        ---------------------e-|
    """

    def on_step(step: Step, emit: Callable[[str | None], None]) -> None:
        if isinstance(step.event, MessageStopEvent) and step.snapshot is not None:
            emit(step.snapshot.stop_reason)

    return steps_operator(on_step)
