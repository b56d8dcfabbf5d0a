"""Layer 3: the pure accumulator core (no reactivex, no I/O, no clock)."""

from __future__ import annotations

from .accumulator import MessageAccumulator
from .snapshot import MessageSnapshot
from .step import Step
from .tool_input import PartialJSON, PartialJSONError

__all__ = ["MessageAccumulator", "MessageSnapshot", "PartialJSON", "PartialJSONError", "Step"]
