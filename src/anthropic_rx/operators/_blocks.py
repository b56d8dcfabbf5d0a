"""Operators for the blocks a conversation must send back unchanged: `signatures`, `compactions`."""

from __future__ import annotations

from collections.abc import Callable

from ..events import (
    CompactionBlock,
    ContentBlockDeltaEvent,
    ContentBlockStopEvent,
    MessageStartEvent,
    MessageStopEvent,
    SignatureDelta,
    StreamEvent,
)
from ..typing import Operator
from ._shared import OnStep, Step, filter_map, steps_operator

__all__ = ["compactions", "signatures"]


def _signature_of(step: Step) -> str | None:
    event = step.event
    if isinstance(event, ContentBlockDeltaEvent) and isinstance(event.delta, SignatureDelta):
        return event.delta.signature
    return None


def signatures() -> Operator[StreamEvent, str]:
    """Emit each thinking block's signature as it arrives (one per block, after its thinking).

    Example:
        >>> events.pipe(signatures()).subscribe(lambda s: print("signed", len(s)))

    Marble:
        -S-b(thinking)-k(Hm)-g(sig)-B-b-t(Hi)-B-D-X-|     k thinking, g signature
        [                signatures()               ]
        ---------------------sig--------------------|
    """
    return filter_map(_signature_of)


def compactions() -> Operator[StreamEvent, CompactionBlock]:
    """Emit each finished compaction block (context management's summary), once.

    At its ``content_block_stop``, or at ``message_start`` / ``message_stop`` for one that
    came whole or was never stopped.

    Example:
        >>> events.pipe(compactions()).subscribe(lambda c: print(c.content))

    Marble:
        -S-b(compaction)-p-B-b-t-B-D-X-|     p compaction delta
        [          compactions()       ]
        -------------------C-----------|     C the compaction block
    """

    def per_subscription() -> OnStep[CompactionBlock]:
        emitted: set[int] = set()

        def on_step(step: Step, emit: Callable[[CompactionBlock], None]) -> None:
            event, snapshot = step
            if snapshot is None:
                return
            if isinstance(event, ContentBlockStopEvent):
                indexes = [event.index]
            elif isinstance(event, MessageStartEvent | MessageStopEvent):
                indexes = list(range(len(snapshot.content)))
            else:
                return
            for index in indexes:
                block = snapshot.block(index)
                if isinstance(block, CompactionBlock) and index not in emitted:
                    emitted.add(index)
                    emit(block)

        return on_step

    return steps_operator(per_subscription=per_subscription)
