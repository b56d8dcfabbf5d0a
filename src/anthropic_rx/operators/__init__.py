"""The operator catalogue: functions from an Observable of events to what you want.

Every operator is a factory (call it, even with no arguments) returning a function from
``Observable[StreamEvent]`` to an Observable of its output, for ``events.pipe(...)``. All of
them stand on one accumulator core: they check the order of events and end with a typed
``on_error`` — after everything received before it — when the stream is broken or cut
short. On a `MessageStream` every pipeline shares the stream's one accumulator. What they
return can be awaited (``await stream.pipe(final_message())``) on asyncio or trio.

Marble legend:

    S message_start   b / B content_block_start / stop   t text delta   j input_json delta
    k thinking delta   g signature delta   c citations delta   D message_delta
    X message_stop   | completed   # error

By theme:

| theme | operators |
| --- | --- |
| message | `accumulate` (snapshots), `final_message`, `content_blocks`, `usage`, `stop_reason` |
| text | `text_only`, `final_text`, `thinking`, `citations` |
| blocks | `signatures` (thinking signatures), `compactions` (compaction blocks) |
| the SDK's | `sdk_events` (its ``MessageStream`` events: text with snapshot, input JSON, …) |
| tools | `on_tool_input` (input as it streams), `tool_calls` (finished calls) |
| structured | `parsed_output` (final value), `partial_output`, `partial_tool_input` (`Partial`s) |
| UI rate | `coalesce_text` (text per frame), `latest` (throttle keeping the last value) |

`parse_output(message, Model)` validates the structured answer of a whole `Message`.

Adding an operator: a function in the themed file (or its own file when it has its own
state machine), a line here, and ``tests/operators/test_<name>.py``.
"""

from __future__ import annotations

from ._accumulate import accumulate as accumulate
from ._accumulate import final_message as final_message
from ._blocks import compactions as compactions
from ._blocks import signatures as signatures
from ._message import content_blocks as content_blocks
from ._message import stop_reason as stop_reason
from ._message import usage as usage
from ._rate import coalesce_text as coalesce_text
from ._rate import latest as latest
from ._sdk_events import BlockStopEvent as BlockStopEvent
from ._sdk_events import CitationEvent as CitationEvent
from ._sdk_events import CompactionEvent as CompactionEvent
from ._sdk_events import InputJsonEvent as InputJsonEvent
from ._sdk_events import MessageCompleteEvent as MessageCompleteEvent
from ._sdk_events import SDKEvent as SDKEvent
from ._sdk_events import SignatureEvent as SignatureEvent
from ._sdk_events import TextEvent as TextEvent
from ._sdk_events import ThinkingEvent as ThinkingEvent
from ._sdk_events import sdk_events as sdk_events
from ._structured import Partial as Partial
from ._structured import parse_output as parse_output
from ._structured import parsed_output as parsed_output
from ._structured import partial_output as partial_output
from ._structured import partial_tool_input as partial_tool_input
from ._text import citations as citations
from ._text import final_text as final_text
from ._text import text_only as text_only
from ._text import thinking as thinking
from ._tools import ToolCall as ToolCall
from ._tools import ToolInputUpdate as ToolInputUpdate
from ._tools import on_tool_input as on_tool_input
from ._tools import tool_calls as tool_calls

__all__ = [
    "BlockStopEvent",
    "CitationEvent",
    "CompactionEvent",
    "InputJsonEvent",
    "MessageCompleteEvent",
    "Partial",
    "SDKEvent",
    "SignatureEvent",
    "TextEvent",
    "ThinkingEvent",
    "ToolCall",
    "ToolInputUpdate",
    "accumulate",
    "citations",
    "coalesce_text",
    "compactions",
    "content_blocks",
    "final_message",
    "final_text",
    "latest",
    "on_tool_input",
    "parse_output",
    "parsed_output",
    "partial_output",
    "partial_tool_input",
    "sdk_events",
    "signatures",
    "stop_reason",
    "text_only",
    "thinking",
    "tool_calls",
    "usage",
]

for _cls in (Partial,):
    _cls.__module__ = "anthropic_rx"  # the facade exports it: reprs show that path
del _cls
