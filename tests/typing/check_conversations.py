# pyright: strict
"""Type checks of anthropic_rx.conversations: checked by pyright and mypy, never run."""

from __future__ import annotations

from typing import Any, assert_type

from reactivex import Observable

import anthropic_rx as arx
from anthropic_rx.conversations import (
    ApprovalRequested,
    Conversation,
    ConversationEvent,
    Tool,
    ToolFinished,
    ToolStarted,
    tool,
)
from anthropic_rx.operators import text_only


@tool
def get_weather(city: str) -> str:
    """Get the weather."""
    return city


@tool(requires_approval=True, timeout=5)
async def delete_file(path: str) -> str:
    """Delete a file."""
    return path


def check(client: arx.Client) -> None:
    assert_type(get_weather, Tool)
    assert_type(delete_file, Tool)
    assert_type(get_weather.to_param(), dict[str, Any])
    search = {"type": "web_search_20250305", "name": "web_search"}
    conversation = client.messages.conversation(
        model="m",
        max_tokens=8,
        messages=[{"role": "user", "content": "hi"}],
        tools=[get_weather, delete_file, search],
        max_turns=3,
        stop_when=lambda c: c.turn > 2,
        prepare_turn=lambda turn, params: params,
    )
    assert_type(conversation, Conversation)
    observable: Observable[ConversationEvent] = conversation
    assert_type(conversation.each_turn(text_only()), Observable[str])
    assert_type(conversation.tool_runs(), Observable[ToolStarted | ToolFinished])
    assert_type(conversation.turns, Observable[arx.MessageStream])
    assert_type(conversation.final_message(), arx.Message)
    assert_type(conversation.messages, list[dict[str, Any]])
    assert_type(conversation.send("more"), Conversation)
    assert_type(conversation.stop_reason, str | None)
    observable.subscribe(lambda e: e.approve() if isinstance(e, ApprovalRequested) else None)
    client.messages.conversation(model="m", max_tokens=8)  # type: ignore[call-arg]
    client.messages.conversation(tools=[print], model="m", max_tokens=8, messages=[])  # type: ignore[list-item]


async def check_async(client: arx.AsyncClient) -> None:
    conversation = client.messages.conversation(model="m", max_tokens=8, messages=[])
    message = await conversation
    assert_type(message, arx.Message)
