"""Layer 3: the pure accumulator core (no reactivex, no I/O, no clock)."""

from __future__ import annotations

from .accumulator import MessageAccumulator
from .blocks import TOOL_TYPES
from .log import MODEL_SLOTS, CompactLog, OpenLog
from .snapshot import MessageSnapshot
from .step import Step
from .tool_input import PartialJSON, PartialJSONError, parse_complete

__all__ = [
    "MODEL_SLOTS",
    "CompactLog",
    "MessageAccumulator",
    "MessageSnapshot",
    "OpenLog",
    "PartialJSON",
    "PartialJSONError",
    "Step",
    "TOOL_TYPES",
    "parse_complete",
]

for _cls in (MessageAccumulator, MessageSnapshot):
    _cls.__module__ = "anthropic_rx"  # the facade exports it: reprs show that path
del _cls
