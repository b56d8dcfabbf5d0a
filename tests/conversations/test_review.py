"""Review findings on the loop: blocking calls from callbacks, races, history validity."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from anthropic_rx.conversations import ConversationStopped, TurnFinished, tool
from anthropic_rx.emulator import Emulator

from .helpers import WAIT, Seen, client, held_tool, options, params


@tool
def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"18 °C and sunny in {city}"


def test_wait_in_a_callback_of_the_stop_returns_and_elsewhere_refuses(emu: Emulator) -> None:
    got: dict[str, Any] = {}
    done = threading.Event()

    with client(emu) as c:
        conversation = c.messages.conversation(tools=[get_weather], **params())

        def on_next(event: Any) -> None:
            if isinstance(event, TurnFinished) and "turn" not in got:
                try:  # the reader thread of the turn: waiting here could never end
                    conversation.wait(WAIT)
                except RuntimeError as exc:
                    got["turn"] = exc
                else:
                    got["turn"] = None
            elif isinstance(event, ConversationStopped):
                try:  # the end itself: the run has stopped, the answer is there
                    got["stop"] = conversation.final_message(WAIT)
                except Exception as exc:
                    got["stop"] = exc
                done.set()

        conversation.subscribe(on_next)
        assert done.wait(3 * WAIT)
        assert conversation.final_message(WAIT) is got["stop"]
    assert isinstance(got["turn"], RuntimeError)
    assert "would block for ever" in str(got["turn"])
    assert got["stop"] is conversation.last_message


def test_run_of_until_stopped_in_a_callback_refuses(emu: Emulator) -> None:
    got: list[BaseException] = []
    seen = Seen()
    with client(emu) as c:
        conversation = c.messages.conversation(tools=[get_weather], **params())

        def on_next(event: Any) -> None:
            if isinstance(event, TurnFinished) and not got:
                with pytest.raises(RuntimeError, match="would block for ever") as info:
                    conversation.until_stopped().run()
                got.append(info.value)

        conversation.subscribe(on_next)
        conversation.subscribe(seen.on_next, seen.on_error)
        seen.wait_for(lambda s: bool(s.of(ConversationStopped)))
    assert len(got) == 1


def test_wait_in_stop_when_refuses(emu: Emulator) -> None:
    got: list[BaseException] = []

    with client(emu) as c:

        def stop_when(conversation: Any) -> bool:
            try:
                conversation.final_message(WAIT)
            except RuntimeError as exc:
                got.append(exc)
            return True

        conversation = c.messages.conversation(tools=[get_weather], stop_when=stop_when, **params())
        conversation.final_message(WAIT)
    assert conversation.stop_reason == "stop_when"
    assert len(got) == 1
    assert "stop_when" in str(got[0])


@pytest.mark.parametrize("where", ["tool", "approval"])
def test_history_after_an_abort_during_tools_is_valid_to_continue(
    emu: Emulator, where: str
) -> None:
    slow, started, release = held_tool("slow", requires_approval=where == "approval")
    seen = Seen()
    from anthropic_rx.conversations import ApprovalRequested

    with client(emu) as c:
        conversation = c.messages.conversation(tools=[slow], **params())
        conversation.subscribe(seen.on_next, seen.on_error)
        if where == "tool":
            assert started.wait(WAIT)
        else:
            seen.wait_for(lambda s: bool(s.of(ApprovalRequested)))
        conversation.abort()
        release.set()
        saved = conversation.messages
        assert [m["role"] for m in saved] == ["user", "assistant", "user"]
        calls = [b for b in saved[1]["content"] if b["type"] == "tool_use"]
        results = saved[2]["content"]
        assert [r["tool_use_id"] for r in results] == [b["id"] for b in calls]
        assert all(r["is_error"] is True for r in results)
        assert seen.error is not None
        assert seen.error.history == saved  # type: ignore[attr-defined]
        # Restored, the history is a valid API messages list: the next turn is answered.
        again = c.messages.conversation(tools=[slow], **params(messages=saved))
        again.send("Never mind, just say hello.")
        message = again.final_message(WAIT)
    assert message.stop_reason in ("end_turn", "tool_use")


def test_a_tool_errors_own_words_never_send_the_key(emu: Emulator) -> None:
    from anthropic_rx.conversations import ToolError

    from .helpers import KEY

    @tool
    def leaky(city: str) -> str:
        """Quotes its configuration."""
        if city == "blocks":
            raise ToolError([{"type": "text", "text": f"key {KEY} refused"}])
        raise ToolError(f"key {KEY} refused for {city}")

    with client(emu) as c:
        for city in ("Oslo", "blocks"):
            conversation = c.messages.conversation(
                tools=[leaky], max_turns=1, **params(), **options(input={"city": city})
            )
            conversation.final_message(WAIT)
            result = conversation.messages[2]["content"][0]
            assert result["is_error"] is True
            assert KEY not in json.dumps(result)
            assert "***" in json.dumps(result)
    assert all(KEY not in r.body.decode() for r in emu.stats.requests())


def test_send_from_the_stop_callback_leaves_wait_waiting_for_the_new_run(emu: Emulator) -> None:
    from anthropic_rx.conversations import ApprovalRequested

    second: list[bool] = []

    @tool(requires_approval=lambda _: bool(second))
    def weather(city: str) -> str:
        """Get the weather."""
        return f"sunny in {city}"

    seen = Seen()
    with client(emu) as c:
        conversation = c.messages.conversation(tools=[weather], **params())

        def on_next(event: Any) -> None:
            if isinstance(event, ConversationStopped) and not second:
                second.append(True)
                conversation.send("What is the weather in Rome?")  # a chat that goes on

        conversation.subscribe(on_next)
        conversation.subscribe(seen.on_next, seen.on_error)
        seen.wait_for(lambda s: bool(s.of(ApprovalRequested)))
        assert conversation.running
        # The second run waits for its approval: it has not stopped, whatever the first did.
        with pytest.raises(TimeoutError):
            conversation.final_message(0.05)
        assert not conversation.wait(0.05)
        seen.of(ApprovalRequested)[0].approve()
        seen.wait_for(lambda s: len(s.of(ConversationStopped)) == 2)
        assert conversation.wait(WAIT)


def test_a_call_the_runner_cannot_start_is_an_error_result_not_a_hang(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from anthropic_rx.conversations._runners import ThreadRunner

    def exhausted(self: ThreadRunner, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(ThreadRunner, "run", exhausted)
    with client(emu) as c:
        conversation = c.messages.conversation(tools=[get_weather], max_turns=2, **params())
        conversation.final_message(WAIT)
    result = conversation.messages[2]["content"][0]
    assert result["is_error"] is True
    assert result["content"] == "Error: RuntimeError: can't start new thread"
    assert conversation.stop_reason == "end_turn"


def test_an_input_with_many_problems_gets_a_bounded_error_result(emu: Emulator) -> None:
    from anthropic_rx.conversations._tools import ERROR_TEXT_MAX

    @tool
    def total(xs: list[int]) -> int:
        """Adds numbers."""
        return sum(xs)

    with client(emu) as c:
        conversation = c.messages.conversation(
            tools=[total],
            max_turns=1,
            **params(max_tokens=8192),
            **options(input={"xs": ["many"] * 300}),
        )
        conversation.final_message(WAIT)
    result = conversation.messages[2]["content"][0]
    assert result["is_error"] is True
    assert result["content"].startswith("Error: invalid input for tool 'total': xs.0: ")
    assert len(result["content"]) <= ERROR_TEXT_MAX


def test_a_tool_that_waits_on_its_own_conversation_is_refused(emu: Emulator) -> None:
    holder: list[Any] = []

    @tool
    def impatient(city: str) -> str:
        """Waits for the conversation it is part of."""
        holder[0].final_message(2.0)  # the run waits for this very call: never
        return city

    with client(emu) as c:
        conversation = c.messages.conversation(tools=[impatient], max_turns=1, **params())
        holder.append(conversation)
        conversation.final_message(WAIT)
    result = conversation.messages[2]["content"][0]
    assert result["is_error"] is True
    assert result["content"].startswith("Error: RuntimeError: wait() would block for ever")


def test_send_after_a_complete_call_cut_by_max_tokens_sends_a_valid_history(
    emu: Emulator, tmp_path: Any
) -> None:
    from anthropic_rx.testing import StreamScript

    from .helpers import scripted

    script = StreamScript().tool_use("get_weather", {"city": "Oslo"}).stop("max_tokens")
    with client(emu) as c:
        conversation = c.messages.conversation(
            tools=[get_weather],
            max_turns=1,
            prepare_turn=scripted(tmp_path, [script, None]),
            **params(),
        )
        conversation.final_message(WAIT)
        assert conversation.stop_reason == "max_tokens"
        conversation.send("Go on, please.")
        message = conversation.final_message(WAIT)  # the API takes the history: an answer
    assert message.role == "assistant"
    history = conversation.messages
    call = history[1]["content"][0]
    assert call["type"] == "tool_use"
    answer = history[2]["content"]
    assert answer[0]["type"] == "tool_result" and answer[0]["tool_use_id"] == call["id"]
    assert answer[0]["is_error"] is True
    assert answer[-1] == {"type": "text", "text": "Go on, please."}


def test_send_of_the_apps_own_results_adds_none_of_ours(emu: Emulator, tmp_path: Any) -> None:
    from anthropic_rx.testing import StreamScript

    from .helpers import scripted

    script = StreamScript().tool_use("get_weather", {"city": "Oslo"}).stop("max_tokens")
    with client(emu) as c:
        conversation = c.messages.conversation(
            tools=[get_weather], prepare_turn=scripted(tmp_path, [script, None]), **params()
        )
        conversation.final_message(WAIT)
        call = conversation.messages[1]["content"][0]
        mine = {"type": "tool_result", "tool_use_id": call["id"], "content": "12 °C in Oslo"}
        conversation.send([mine])
        conversation.final_message(WAIT)
    assert conversation.messages[2]["content"] == [mine]
