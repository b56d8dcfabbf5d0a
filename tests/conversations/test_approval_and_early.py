"""Human in the loop (approval from another thread) and tools started early (sync client)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import anthropic_rx as arx
from anthropic_rx.conversations import (
    ApprovalRequested,
    ToolFinished,
    ToolStarted,
    TurnEvent,
    TurnStarted,
    tool,
)
from anthropic_rx.emulator import Emulator
from anthropic_rx.testing import StreamScript, VirtualClock

from .helpers import WAIT, Seen, client, held_tool, options, params, scripted

RAN: list[str] = []


@tool(requires_approval=True)
def delete_file(path: str) -> str:
    """Delete a file."""
    RAN.append(path)
    return f"deleted {path}"


@tool(requires_approval=lambda input: input.get("city") == "Atlantis")
def get_weather(city: str) -> str:
    """Get the weather."""
    RAN.append(city)
    return f"sunny in {city}"


def answer_from_another_thread(approve: bool, reason: str = "") -> Any:
    """A subscriber that answers every approval request from a thread of its own (a GUI's)."""

    def on_next(event: Any) -> None:
        if isinstance(event, ApprovalRequested):
            request = event

            def answer() -> None:
                request.approve() if approve else request.deny(reason)
                request.deny("a second answer is ignored")

            threading.Thread(target=answer).start()

    return on_next


def test_an_approved_call_runs_after_the_request(emu: Emulator) -> None:
    RAN.clear()
    seen = Seen()
    with client(emu) as c:
        conversation = c.messages.conversation(tools=[delete_file], **params())
        conversation.subscribe(seen.on_next)
        conversation.subscribe(answer_from_another_thread(True))
        conversation.final_message(WAIT)
    kinds = [k for k in seen.kinds() if ":Turn" in k or ":Tool" in k or ":Approval" in k]
    assert kinds == [
        "1:TurnStarted",
        "1:TurnFinished",
        "1:ApprovalRequested",
        "1:ToolStarted",
        "1:ToolFinished",
        "2:TurnStarted",
        "2:TurnFinished",
    ]
    (request,) = seen.of(ApprovalRequested)
    ran = list(RAN)
    assert ran == [request.call.input["path"]]
    assert conversation.messages[2]["content"][0]["content"].startswith("deleted ")


def test_a_denied_call_sends_the_reason_and_never_runs(emu: Emulator) -> None:
    RAN.clear()
    with client(emu) as c:
        conversation = c.messages.conversation(tools=[delete_file], **params())
        conversation.subscribe(answer_from_another_thread(False, "Not that file."))
        conversation.final_message(WAIT)
    assert RAN == []
    result = conversation.messages[2]["content"][0]
    assert result["content"] == "Not that file."
    assert result["is_error"] is True
    (finished,) = [e for e in _all(conversation) if isinstance(e, ToolFinished)]
    assert finished.is_error
    assert finished.error is None  # a denial, not a failure


def test_the_conversation_waits_for_an_answer_without_a_thread(emu: Emulator) -> None:
    RAN.clear()
    seen = Seen()
    with client(emu) as c:
        conversation = c.messages.conversation(tools=[delete_file], **params())
        conversation.subscribe(seen.on_next)
        seen.wait_for(lambda s: bool(s.of(ApprovalRequested)))
        (request,) = seen.of(ApprovalRequested)
        (turn,) = seen.of(TurnStarted)
        assert turn.stream.wait(WAIT)  # the turn is over: nothing reads, nothing blocks
        assert conversation.running
        assert not seen.of(ToolStarted)
        assert RAN == []
        request.approve()
        assert conversation.wait(WAIT)
    assert len(RAN) == 1


def test_approval_may_depend_on_the_input(emu: Emulator) -> None:
    RAN.clear()
    with client(emu) as c:
        plain = c.messages.conversation(
            tools=[get_weather], **params(), **options(input={"city": "Paris"})
        )
        plain.final_message(WAIT)
        assert not [e for e in _all(plain) if isinstance(e, ApprovalRequested)]
        atlantis = c.messages.conversation(
            tools=[get_weather], max_turns=1, **params(), **options(input={"city": "Atlantis"})
        )
        atlantis.subscribe(answer_from_another_thread(False, "No such city."))
        atlantis.final_message(WAIT)
    assert RAN == ["Paris"]


def _all(conversation: arx.Conversation) -> list[Any]:
    out: list[Any] = []
    conversation.subscribe(out.append).dispose()
    return out


def test_early_tools_start_at_their_block_stop(emu: Emulator) -> None:
    seen = Seen()
    with client(emu) as c:
        conversation = c.messages.conversation(
            tools=[get_weather],
            start_tools_early=True,
            **params(),
            **options(tool_calls=2, input={"city": "Oslo"}, preface=True),
        )
        conversation.subscribe(seen.on_next)
        conversation.final_message(WAIT)
    kinds = seen.kinds()
    first_started = kinds.index("1:ToolStarted")
    stops = [i for i, k in enumerate(kinds) if k == "1:content_block_stop"]
    # The preface text, then call 1: its ToolStarted comes right after its block's stop,
    # before call 2's block even starts, and long before message_stop.
    assert stops[1] < first_started < stops[2] < kinds.index("1:message_stop")
    assert all(s.early for s in seen.of(ToolStarted))
    results = conversation.messages[2]["content"]
    calls = [b for b in conversation.messages[1]["content"] if b["type"] == "tool_use"]
    assert [r["tool_use_id"] for r in results] == [b["id"] for b in calls]


def test_an_early_tool_is_dropped_when_the_stream_then_fails(emu: Emulator, tmp_path: Path) -> None:
    slow, started, release = held_tool("slow")
    broken = (
        StreamScript()
        .tool_use("slow", {"city": "Oslo"}, id="toolu_early")
        .text("and then")
        .error_event("overloaded_error")
    )
    seen = Seen()
    with client(emu, max_retries=0) as c:
        conversation = c.messages.conversation(
            tools=[slow],
            start_tools_early=True,
            prepare_turn=scripted(tmp_path, [broken]),
            **params(),
        )
        conversation.subscribe(seen.on_next, seen.on_error)
        assert started.wait(WAIT)  # it did start early
        seen.wait_for(lambda s: s.error is not None)
    release.set()
    for thread in threading.enumerate():
        if thread.name == "anthropic-rx-tool":
            thread.join(WAIT)
    assert isinstance(seen.error, arx.OverloadedError)
    assert [s.call.id for s in seen.of(ToolStarted)] == ["toolu_early"]
    assert not seen.of(ToolFinished)  # its result came after the failure: dropped
    assert len(emu.stats.requests()) == 1  # and never sent
    assert seen.error.history == params()["messages"]
    assert isinstance(seen.events[-1], TurnEvent)


def test_a_test_answers_the_approval_in_virtual_time(emu: Emulator) -> None:
    # A user who thinks for 30 s, in virtual time: nothing runs until the clock gets there.
    RAN.clear()
    clock = VirtualClock()
    seen = Seen()

    def think_then_approve(event: Any) -> None:
        if isinstance(event, ApprovalRequested):
            clock.schedule_relative(30.0, lambda *_: event.approve())

    with client(emu) as c:
        conversation = c.messages.conversation(tools=[delete_file], **params())
        conversation.subscribe(think_then_approve)
        conversation.subscribe(seen.on_next)
        seen.wait_for(lambda s: bool(s.of(ApprovalRequested)))
        clock.advance(29.0)
        assert not seen.of(ToolStarted)
        assert RAN == []
        clock.advance(1.0)  # approve() runs here, on this thread
        assert conversation.wait(WAIT)
    assert len(RAN) == 1
    assert conversation.stop_reason == "end_turn"


def test_input_that_does_not_fit_is_never_put_to_the_user(emu: Emulator) -> None:
    @tool(requires_approval=True)
    def resize(width: int) -> str:
        """Resize."""
        return str(width)

    seen = Seen()
    with client(emu) as c:
        conversation = c.messages.conversation(
            tools=[resize], max_turns=1, **params(), **options(input={"width": "wide"})
        )
        conversation.subscribe(seen.on_next)
        conversation.final_message(WAIT)
    assert not seen.of(ApprovalRequested)
    result = conversation.messages[2]["content"][0]
    assert result["is_error"] is True
    assert result["content"].startswith("Error: invalid input for tool 'resize': width: ")
