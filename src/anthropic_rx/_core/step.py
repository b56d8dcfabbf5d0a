"""`Step`: one event and the snapshot after it, what operators and `MessageStream` share."""

from __future__ import annotations

from typing import NamedTuple

from ..events import StreamEvent
from .snapshot import MessageSnapshot

__all__ = ["Step"]


class Step(NamedTuple):
    """One event and the snapshot after it (``None`` before ``message_start``)."""

    event: StreamEvent
    snapshot: MessageSnapshot | None
