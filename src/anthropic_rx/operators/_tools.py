"""Tool operators: `on_tool_input` (input as it streams) and `tool_calls` (finished calls)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, final

from .._core import MessageSnapshot
from ..events import (
    ContentBlockDeltaEvent,
    ContentBlockStopEvent,
    InputJSONDelta,
    MCPToolUseBlock,
    MessageStartEvent,
    ServerToolUseBlock,
    StreamEvent,
    ToolUseBlock,
)
from ..typing import Operator
from ._shared import Step, filter_map, steps_operator

__all__ = ["ToolCall", "ToolInputUpdate", "on_tool_input", "tool_calls"]

_UNREAD: Any = object()


@final
class ToolInputUpdate:
    """One ``input_json_delta`` of a tool block, with the input parsed so far.

    Attributes:
        index: the block's index in ``content``.
        id: the tool call's id (``toolu_…``, ``srvtoolu_…``).
        name: the tool's name.
        partial_json: this delta's fragment of JSON text.
        message: the `MessageSnapshot` after this delta.
    """

    __slots__ = ("_snapshot", "id", "index", "message", "name", "partial_json")

    def __init__(
        self, index: int, id: str, name: str, partial_json: str, message: MessageSnapshot
    ) -> None:
        self.index = index
        self.id = id
        self.name = name
        self.partial_json = partial_json
        self.message = message
        self._snapshot: Any = _UNREAD

    @property
    def snapshot(self) -> Any:
        """The input parsed so far (computed on first read, incrementally, and cached).

        Unfinished numbers, literals and keys are left out, so it never shows a value the
        final input contradicts; an unfinished string shows the prefix received so far.
        """
        if self._snapshot is _UNREAD:
            self._snapshot = self.message.input_of(self.index)
        return self._snapshot

    def __repr__(self) -> str:
        return (
            f"ToolInputUpdate(index={self.index}, id={self.id!r}, name={self.name!r}, "
            f"partial_json={self.partial_json!r})"
        )


def on_tool_input(name: str | None = None) -> Operator[StreamEvent, ToolInputUpdate]:
    """Emit a `ToolInputUpdate` for every input JSON delta of a tool block.

    Covers ``tool_use``, ``server_tool_use`` and ``mcp_tool_use`` blocks (and unknown blocks
    with an ``input``). The parsed ``snapshot`` costs nothing unless read, and reading it at
    every delta stays linear (the official SDK re-parses the whole input every time).

    Args:
        name: only this tool's input (all tools when ``None``).

    Example:
        >>> events.pipe(on_tool_input("get_weather")).subscribe(lambda u: print(u.snapshot))

    Marble:
        -S-b(tool)-j({"ci)-j(ty": "Paris"})-B-X-|
        [            on_tool_input()            ]
        -----------u-------u--------------------|   u.snapshot: {}, {"city": "Paris"}

    Errors:
        As `accumulate`; `ToolInputError` when the input is not JSON at its block's stop.
    """

    def select(step: Step) -> ToolInputUpdate | None:
        event = step.event
        if not (
            isinstance(event, ContentBlockDeltaEvent) and isinstance(event.delta, InputJSONDelta)
        ):
            return None
        snapshot = step.snapshot
        assert snapshot is not None  # the accumulator rejects deltas before message_start
        block = snapshot.started_block(event.index)  # id and name, without parsing input
        tool = getattr(block, "name", "")
        if name is not None and tool != name:
            return None
        return ToolInputUpdate(
            event.index, getattr(block, "id", ""), tool, event.delta.partial_json, snapshot
        )

    return filter_map(select)


ToolCall = ToolUseBlock | ServerToolUseBlock | MCPToolUseBlock


def tool_calls(*, server: bool = False) -> Operator[StreamEvent, ToolCall]:
    """Emit each finished tool call, with its input parsed, at its ``content_block_stop``.

    A call that arrives already whole inside ``message_start`` (programmatic tool calling:
    the code execution tool calls yours, and the API sends the call in the message itself,
    with no block events) is emitted at ``message_start``, once.

    Args:
        server: also emit server tool calls (``server_tool_use``, ``mcp_tool_use``), which
            the API runs itself; by default only ``tool_use`` blocks, the calls you run.

    Example:
        >>> events.pipe(tool_calls()).subscribe(lambda call: run_tool(call.name, call.input))

    Marble:
        -S-b(tool)-j-j-B-D-X-|
        [    tool_calls()    ]
        ---------------U-----|      U: ToolUseBlock(input={...})

        -S(tool_use inside)-D-X-|
        [     tool_calls()      ]
        -U----------------------|   U: the whole call of message_start

    Errors:
        As `accumulate`; `ToolInputError` when an input is not JSON at its block's stop.
    """
    kinds = (ToolUseBlock, ServerToolUseBlock, MCPToolUseBlock) if server else (ToolUseBlock,)

    def on_step(step: Step, emit: Callable[[ToolCall], None]) -> None:
        event, snapshot = step
        if snapshot is None:
            return
        if isinstance(event, ContentBlockStopEvent):
            block = snapshot.block(event.index)
            if isinstance(block, kinds):
                emit(block)
        else:  # message_start: its whole blocks (a stop for them is a protocol error)
            for block in snapshot.content:
                if isinstance(block, kinds):
                    emit(block)

    return steps_operator(on_step, only=(ContentBlockStopEvent, MessageStartEvent))
