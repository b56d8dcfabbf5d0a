"""The operator catalogue: functions from an Observable of events to what you want.

Every operator is a factory (call it, even with no arguments) returning a function from
``Observable[StreamEvent]`` to an Observable of its output, for ``events.pipe(...)``. All of
them stand on one accumulator core: they validate the order of events and end with a typed
``on_error`` — after everything received before it — when the stream is broken or cut.

Marble legend:

    S message_start   b / B content_block_start / stop   t text delta   j input_json delta
    D message_delta   X message_stop   | completed   # error

By theme:

| theme | operators |
| --- | --- |
| the message | `accumulate` (snapshots), `final_message` |
| text | `text_only` |
| tools | `on_tool_input` |
"""

from __future__ import annotations

from ._accumulate import accumulate as accumulate
from ._accumulate import final_message as final_message
from ._text import text_only as text_only
from ._tools import ToolInputUpdate as ToolInputUpdate
from ._tools import on_tool_input as on_tool_input

__all__ = ["ToolInputUpdate", "accumulate", "final_message", "on_tool_input", "text_only"]
