"""`StreamInfo` lives in `anthropic_rx._info` (every source's ``.info``); re-exported here."""

from __future__ import annotations

from .._info import ResponseHook as ResponseHook
from .._info import StreamInfo as StreamInfo

__all__ = ["ResponseHook", "StreamInfo"]
