"""Conversations: the tool-use loop as a hot, replaying Observable of events.

```python
import anthropic_rx as arx
from anthropic_rx.conversations import ApprovalRequested, ToolFinished

@arx.tool
def get_weather(city: str) -> str:
    '''Get the current weather in a city.'''
    return f"18 °C and sunny in {city}"

with arx.Client() as client:
    conversation = client.messages.conversation(
        model=MODEL, max_tokens=1024, tools=[get_weather], max_turns=5,
        messages=[{"role": "user", "content": "What's the weather in Paris?"}],
    )
    conversation.subscribe(print)                 # every event, every turn, tagged
    message = conversation.final_message()         # runs the tools, loops, returns
    conversation.send("And in Rome?")               # a chat: the history goes along
```

| to | use |
| --- | --- |
| make a tool of a function | `tool` (``@tool``, ``@tool(requires_approval=True, timeout=5)``) |
| a raw JSON-schema tool | `Tool.from_schema` |
| fail in your own words | raise `ToolError` ``("No station there; try …")`` in the tool |
| run the loop | ``client.messages.conversation(...)`` → `Conversation` |
| one turn's stream | `TurnStarted.stream`, `Conversation.turns` (every operator works on it) |
| all turns' raw events | `Conversation.stream_events` (`TurnEvent` tags them with the turn) |
| tool runs, with timing | `Conversation.tool_runs` (`ToolStarted`, `ToolFinished`) |
| ask the user first | `ApprovalRequested` → ``approve()`` / ``deny(reason)``, any thread |
| stop on a condition | ``max_turns=``, ``stop_when=`` (e.g. `tool_called` ``("final_answer")``) |
| know how it ended | `ConversationStopped.stop_reason`, `Conversation.stop_reason` |
| save and restore | `Conversation.messages` → ``conversation(messages=saved, ...)`` |
"""

from __future__ import annotations

from ._conversation import Conversation as Conversation
from ._conversation import PrepareTurn as PrepareTurn
from ._conversation import StopWhen as StopWhen
from ._conversation import tool_called as tool_called
from ._events import ApprovalRequested as ApprovalRequested
from ._events import ConversationEvent as ConversationEvent
from ._events import ConversationStopped as ConversationStopped
from ._events import StopReason as StopReason
from ._events import ToolFinished as ToolFinished
from ._events import ToolStarted as ToolStarted
from ._events import TurnEvent as TurnEvent
from ._events import TurnFinished as TurnFinished
from ._events import TurnStarted as TurnStarted
from ._tools import Approval as Approval
from ._tools import Tool as Tool
from ._tools import ToolError as ToolError
from ._tools import tool as tool

__all__ = [
    "Approval",
    "ApprovalRequested",
    "Conversation",
    "ConversationEvent",
    "ConversationStopped",
    "PrepareTurn",
    "StopReason",
    "StopWhen",
    "Tool",
    "ToolError",
    "ToolFinished",
    "ToolStarted",
    "TurnEvent",
    "TurnFinished",
    "TurnStarted",
    "tool",
    "tool_called",
]

for _cls in (
    ApprovalRequested,
    Conversation,
    ConversationStopped,
    Tool,
    ToolFinished,
    ToolStarted,
    TurnEvent,
    TurnFinished,
    TurnStarted,
):
    _cls.__module__ = __name__  # reprs and docs show the public path
for _cls in (Conversation, Tool):
    _cls.__module__ = "anthropic_rx"  # the facade exports them too: the shortest path
del _cls
