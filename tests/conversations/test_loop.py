"""The loop with the sync `Client` against the emulator: turns, tools, history, stopping."""

from __future__ import annotations

import json
import pickle
import threading
from pathlib import Path
from typing import Any

import pytest

import anthropic_rx as arx
from anthropic_rx.conversations import (
    ApprovalRequested,
    ConversationStopped,
    ToolFinished,
    ToolStarted,
    TurnFinished,
    TurnStarted,
    tool,
    tool_called,
)
from anthropic_rx.emulator import Emulator
from anthropic_rx.operators import final_message, text_only
from anthropic_rx.testing import StreamScript

from ..conftest import read_recording
from .helpers import KEY, WAIT, Seen, bodies, client, held_tool, options, params, scripted

CALLS: list[dict[str, Any]] = []


@tool
def get_weather(city: str) -> str:
    """Get the current weather in a city.

    Args:
        city: the city's name.
    """
    CALLS.append({"city": city})
    return f"18 °C and sunny in {city}"


def test_a_tool_turn_then_an_answer(emu: Emulator) -> None:
    seen = Seen()
    with client(emu) as c:
        conversation = c.messages.conversation(
            tools=[get_weather], **params(), **options(tool_calls=2)
        )
        conversation.subscribe(seen.on_next, seen.on_error, seen.on_completed)
        message = conversation.final_message(WAIT)
    assert conversation.stop_reason == "end_turn"
    assert message.stop_reason == "end_turn"
    assert message.content[0].type == "text"
    kinds = [k for k in seen.kinds() if "content_block" not in k]
    assert [k for k in kinds if ":Tool" not in k] == [
        "1:TurnStarted",
        "1:message_start",
        "1:message_delta",
        "1:message_stop",
        "1:TurnFinished",
        "2:TurnStarted",
        "2:message_start",
        "2:message_delta",
        "2:message_stop",
        "2:TurnFinished",
        "2:ConversationStopped",
    ]
    tools = [i for i, k in enumerate(kinds) if ":Tool" in k]  # between the two turns
    assert kinds.index("1:TurnFinished") < min(tools)
    assert max(tools) < kinds.index("2:TurnStarted")
    starts = seen.of(ToolStarted)
    finishes = seen.of(ToolFinished)
    assert len(starts) == len(finishes) == 2
    assert all(not f.is_error and f.duration >= 0 for f in finishes)
    # The history is the API's messages list, and the second request sent exactly it.
    history = conversation.messages
    assert [m["role"] for m in history] == ["user", "assistant", "user", "assistant"]
    calls = [b for b in history[1]["content"] if b["type"] == "tool_use"]
    results = history[2]["content"]
    assert [r["tool_use_id"] for r in results] == [b["id"] for b in calls]  # the model's order
    assert results[0]["content"] == f"18 °C and sunny in {calls[0]['input']['city']}"
    assert "is_error" not in results[0]
    sent = bodies(emu)
    assert len(sent) == 2
    assert sent[0]["messages"] == history[:1]
    assert sent[1]["messages"] == history[:3]
    assert sent[1]["tools"] == [get_weather.to_param()]
    assert json.loads(json.dumps(history)) == history  # plain JSON: can be saved
    assert not seen.completed  # open until close(): send() may continue it
    conversation.close()
    assert seen.completed


def test_late_subscribers_get_the_whole_conversation_replayed(emu: Emulator) -> None:
    first, late = Seen(), Seen()
    with client(emu) as c:
        conversation = c.messages.conversation(tools=[get_weather], **params())
        conversation.subscribe(first.on_next)
        conversation.final_message(WAIT)
        conversation.subscribe(late.on_next)
    assert late.events == first.events  # the finished turns' events, rebuilt from their streams
    kept = conversation._replay._values  # finished turns keep their events as segments
    assert len(kept) < len(late.events) / 3
    turns = late.of(TurnStarted)
    assert [t.turn for t in turns] == [1, 2]
    # Each turn is a MessageStream: operators work on it, with no second request.
    assert turns[1].stream.pipe(final_message()).run() == late.of(TurnFinished)[1].message
    assert len(emu.stats.requests()) == 2


def test_views_turns_each_turn_and_tool_runs(emu: Emulator) -> None:
    with client(emu) as c:
        conversation = c.messages.conversation(tools=[get_weather], **params())
        texts: list[str] = []
        runs: list[Any] = []
        streams: list[arx.MessageStream] = []
        conversation.each_turn(text_only()).subscribe(texts.append)
        conversation.tool_runs().subscribe(runs.append)
        conversation.turns.subscribe(streams.append)
        last = conversation.final_message(WAIT)
        events: list[Any] = []
        conversation.until_stopped().subscribe(
            events.append, on_completed=lambda: events.append("|")
        )
    assert "".join(texts).endswith(last.content[-1].text)  # type: ignore[union-attr]
    assert [type(r).__name__ for r in runs] == ["ToolStarted", "ToolFinished"]
    assert len(streams) == 2
    assert isinstance(events[-2], ConversationStopped)
    assert events[-1] == "|"


@pytest.mark.parametrize(("bound", "width"), [(None, 4), (2, 2)])
def test_parallel_calls_run_at_once_and_the_bound_holds(
    emu: Emulator, bound: int | None, width: int
) -> None:
    # Calls arrive in groups of `width` and each waits until its group is complete: run one
    # at a time, the first would wait for ever (failing at WAIT); run more at once than
    # the bound allows, and the peak shows it.
    cond = threading.Condition()
    active = peak = arrived = 0

    @tool
    def slow(city: str) -> str:
        """A slow lookup."""
        nonlocal active, peak, arrived
        with cond:
            active += 1
            peak = max(peak, active)
            group_full = (arrived // width + 1) * width
            arrived += 1
            cond.notify_all()
            assert cond.wait_for(lambda: arrived >= group_full, WAIT)
            active -= 1
        return city

    with client(emu) as c:
        conversation = c.messages.conversation(
            tools=[slow], max_concurrent_tools=bound, **params(), **options(tool_calls=4)
        )
        conversation.final_message(WAIT)
    finished = [e for e in _events(conversation) if isinstance(e, ToolFinished)]
    assert len(finished) == 4
    assert not any(f.is_error for f in finished), [f.content for f in finished]
    assert peak == width
    results = conversation.messages[2]["content"]
    calls = [b for b in conversation.messages[1]["content"] if b["type"] == "tool_use"]
    assert [r["tool_use_id"] for r in results] == [c["id"] for c in calls]


def _events(conversation: arx.Conversation) -> list[Any]:
    out: list[Any] = []
    conversation.subscribe(out.append).dispose()
    return out


def test_tool_failures_go_back_to_the_model(emu: Emulator) -> None:
    release = threading.Event()

    @tool
    def broken(city: str) -> str:
        """Raises."""
        raise ValueError(f"no weather for {city} with key {KEY}")

    @tool
    def typed(days: int) -> str:
        """Needs an int."""
        return str(days)

    @tool(timeout=0.2)
    def hangs(city: str) -> str:
        """Never answers in time."""
        release.wait(WAIT)
        return city

    ghost = {"name": "ghost", "description": "", "input_schema": {"type": "object"}}
    cases: list[tuple[Any, dict[str, Any], str]] = [
        (broken, {"tool": "broken"}, "Error: ValueError: no weather for "),
        (
            typed,
            {"tool": "typed", "input": {"days": "many"}},
            "Error: invalid input for tool 'typed': days: ",
        ),
        (hangs, {"tool": "hangs"}, "Error: TimeoutError: tool 'hangs' did not finish within 0.2 s"),
        (ghost, {"tool": "ghost"}, "Error: unknown tool 'ghost' (this conversation's tools: "),
    ]
    try:
        with client(emu) as c:
            for chosen, extra, expected in cases:
                conversation = c.messages.conversation(
                    tools=[get_weather, chosen],
                    max_turns=1,
                    **params(),
                    **options(**extra),
                )
                conversation.final_message(WAIT)
                result = conversation.messages[2]["content"][0]
                assert result["is_error"] is True
                assert result["content"].startswith(expected), result
                assert KEY not in result["content"]
                assert "Traceback" not in result["content"]
                assert conversation.stop_reason == "max_turns"
                (finished,) = [e for e in _events(conversation) if isinstance(e, ToolFinished)]
                assert finished.is_error
                assert finished.error is not None
    finally:
        release.set()
    assert all(KEY not in r.body.decode() for r in emu.stats.requests())


def test_max_turns_and_stop_when(emu: Emulator) -> None:
    always = options(tool="get_weather")  # the emulator calls the tool on every turn
    with client(emu) as c:
        limited = c.messages.conversation(tools=[get_weather], max_turns=3, **params(), **always)
        limited.final_message(WAIT)
        assert limited.stop_reason == "max_turns"
        assert limited.turn == 3
        assert limited.messages[-1]["content"][0]["type"] == "tool_result"  # tools still ran

        asked: list[int] = []

        def enough(conversation: arx.Conversation) -> bool:
            asked.append(conversation.turn)
            return conversation.turn == 2

        predicate = c.messages.conversation(
            tools=[get_weather], stop_when=enough, **params(), **always
        )
        predicate.final_message(WAIT)
    assert predicate.stop_reason == "stop_when"
    assert asked == [1, 2]
    stopped = [e for e in _events(predicate) if isinstance(e, ConversationStopped)]
    assert [(s.turn, s.stop_reason) for s in stopped] == [(2, "stop_when")]


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        (StreamScript().text("I can't help with that.").stop("refusal"), "refusal"),
        (StreamScript().text("Done").stop("stop_sequence", stop_sequence="##"), "stop_sequence"),
        (StreamScript().text("A long answer that was").stop("max_tokens"), "max_tokens"),
        # A complete call cut by max_tokens right after it: not run (as the SDK), stop.
        (StreamScript().tool_use("get_weather", {"city": "Oslo"}).stop("max_tokens"), "max_tokens"),
    ],
)
def test_how_a_run_stops(emu: Emulator, tmp_path: Path, script: StreamScript, reason: str) -> None:
    CALLS.clear()
    with client(emu) as c:
        conversation = c.messages.conversation(
            tools=[get_weather], prepare_turn=scripted(tmp_path, [script]), **params()
        )
        conversation.final_message(WAIT)
    assert conversation.stop_reason == reason
    assert CALLS == []
    assert len(emu.stats.requests()) == 1


def test_a_tool_call_cut_by_max_tokens_is_an_error_and_never_runs(
    emu: Emulator, tmp_path: Path
) -> None:
    # As the API sends it: the block stops with half its JSON, then max_tokens.
    cut = StreamScript().text("Let me look.").tool_use("get_weather", '{"city": "Par', chunks=2)
    for early in (False, True):
        CALLS.clear()
        seen = Seen()
        with client(emu) as c:
            conversation = c.messages.conversation(
                tools=[get_weather],
                start_tools_early=early,
                prepare_turn=scripted(tmp_path, [cut.stop("max_tokens")]),
                **params(),
            )
            conversation.subscribe(seen.on_next, seen.on_error)
            with pytest.raises(arx.ToolInputError) as caught:
                conversation.final_message(WAIT)
        assert CALLS == []
        assert seen.error is caught.value
        assert caught.value.history == params()["messages"]
        assert not seen.of(ToolStarted)


def test_pause_turn_is_continued_with_the_assistant_content(emu: Emulator, tmp_path: Path) -> None:
    paused = (
        StreamScript()
        .event(
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {
                    "type": "server_tool_use",
                    "id": "srvtoolu_1",
                    "name": "web_search",
                    "input": {},
                },
            }
        )
        .event(
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "input_json_delta", "partial_json": '{"query": "paris"}'},
            }
        )
        .event({"type": "content_block_stop", "index": 0})
        .stop("pause_turn")
    )
    answer = StreamScript().text("It is sunny.")
    search = {"type": "web_search_20250305", "name": "web_search", "max_uses": 1}
    with client(emu) as c:
        conversation = c.messages.conversation(
            tools=[search], prepare_turn=scripted(tmp_path, [paused, answer]), **params()
        )
        message = conversation.final_message(WAIT)
    assert message.content[0].text == "It is sunny."  # type: ignore[union-attr]
    sent = bodies(emu)
    assert len(sent) == 2
    assert sent[0]["tools"] == [search]  # server tools go through untouched
    assert sent[1]["messages"][-1] == {
        "role": "assistant",
        "content": [
            {
                "type": "server_tool_use",
                "id": "srvtoolu_1",
                "name": "web_search",
                "input": {"query": "paris"},
            }
        ],
    }
    assert conversation.stop_reason == "end_turn"


def test_a_conversation_error_ends_it_with_the_history(emu: Emulator) -> None:
    def fail_second(turn: int, request: dict[str, Any]) -> dict[str, Any]:
        if turn == 2:
            request = {**request, "extra_headers": {"x-emulator-scenario": "F04"}}
        return request

    seen = Seen()
    with client(emu, max_retries=0) as c:
        conversation = c.messages.conversation(
            tools=[get_weather], prepare_turn=fail_second, **params()
        )
        conversation.subscribe(seen.on_next, seen.on_error)
        with pytest.raises(arx.OverloadedError) as caught:
            conversation.final_message(WAIT)
        with pytest.raises(RuntimeError, match="start a new one"):
            conversation.send("again?")
    error = caught.value
    assert seen.error is error
    assert conversation.error is error
    assert error.history == conversation.messages
    assert [m["role"] for m in error.history] == ["user", "assistant", "user"]
    assert conversation.stop_reason is None


def test_abort_closes_the_connection_cancels_tools_and_pickles(emu: Emulator) -> None:
    waits, started, release = held_tool()
    with client(emu) as c:
        # Abort while a tool runs.
        conversation = c.messages.conversation(tools=[waits], **params())
        seen = Seen()
        conversation.subscribe(seen.on_next, seen.on_error)
        assert started.wait(WAIT)
        conversation.abort()
        release.set()
        assert isinstance(seen.error, arx.StreamAbortedError)
        assert not seen.of(ToolFinished)  # its late result is dropped
        copy = pickle.loads(pickle.dumps(seen.error))
        assert copy.history == conversation.messages

        # Abort mid-stream: the connection closes (the fixture checks emu.stats after).
        slow = c.messages.conversation(
            **params(),
            extra_headers={"x-emulator-pace": "20", "x-emulator-options": '{"tokens": 400}'},
        )
        streaming = Seen()
        slow.subscribe(streaming.on_next, streaming.on_error)
        streaming.wait_for(lambda s: sum(1 for k in s.kinds() if "delta" in k) >= 2)
        slow.abort()
        assert isinstance(streaming.error, arx.StreamAbortedError)
        assert emu.stats.wait_for(lambda stats: stats.connections_open == 0, timeout=WAIT)
        assert len(emu.stats.requests()) == 2


def test_chat_send_continues_with_the_whole_history(emu: Emulator) -> None:
    seen = Seen()
    with client(emu) as c:
        conversation = c.messages.conversation(tools=[get_weather], **params())
        conversation.subscribe(seen.on_next)
        conversation.final_message(WAIT)
        first = conversation.messages
        conversation.send("And in Rome?")
        with pytest.raises(RuntimeError, match="still running"):
            conversation.send("too soon")
        conversation.final_message(WAIT)
        history = conversation.messages
        assert history[: len(first)] == first
        assert history[len(first)] == {
            "role": "user",
            "content": [{"type": "text", "text": "And in Rome?"}],
        }
        assert [s.turn for s in seen.of(ConversationStopped)] == [2, 4]  # the same subscriber
        assert bodies(emu)[2]["messages"] == history[: len(first) + 1]

        # Saved and restored: a new conversation sends the same history.
        saved = json.dumps(history)
        emu.stats.reset()
        restored = c.messages.conversation(
            tools=[get_weather], **params(messages=json.loads(saved))
        )
        restored.send("One more.")
        restored.final_message(WAIT)
        assert bodies(emu)[0]["messages"] == [
            *history,
            {"role": "user", "content": [{"type": "text", "text": "One more."}]},
        ]


def test_send_after_max_turns_joins_the_tool_results_message(emu: Emulator) -> None:
    with client(emu) as c:
        conversation = c.messages.conversation(tools=[get_weather], max_turns=1, **params())
        conversation.final_message(WAIT)
        conversation.send("Thanks")
        conversation.final_message(WAIT)
    history = conversation.messages
    assert [m["role"] for m in history] == ["user", "assistant", "user", "assistant"]
    assert [b["type"] for b in history[2]["content"]] == ["tool_result", "text"]


def test_bad_parameters_fail_before_anything_is_sent(emu: Emulator) -> None:
    with client(emu) as c:
        with pytest.raises(TypeError, match="missing required"):
            c.messages.conversation(tools=[get_weather], model="m", max_tokens=10)  # type: ignore[call-arg]
        with pytest.raises(TypeError, match="unexpected keyword"):
            c.messages.conversation(**params(), colour="red")  # type: ignore[call-arg]
        with pytest.raises(TypeError, match="expected a Tool"):
            c.messages.conversation(tools=[get_weather.__call__], **params())  # type: ignore[list-item]
        with pytest.raises(ValueError, match="two tools"):
            c.messages.conversation(tools=[get_weather, get_weather], **params())
        with pytest.raises(ValueError, match="max_turns"):
            c.messages.conversation(max_turns=0, **params())
    assert emu.stats.requests() == []


def test_a_call_that_arrives_whole_in_message_start_runs(emu: Emulator, tmp_path: Path) -> None:
    # Programmatic tool calling: the tool_use block comes inside message_start, with no
    # content_block_* events at all (a real recording).
    recording = tmp_path / "ptc.sse"
    recording.write_bytes(read_recording("vercel-ptc-2-prefilled-message-start-only.sse"))
    rolled: list[str] = []

    @tool
    def rollDie(player: str) -> str:
        """Roll a die for a player."""
        rolled.append(player)
        return "4"

    def prepare(turn: int, request: dict[str, Any]) -> dict[str, Any]:
        if turn == 1:
            return {**request, "extra_headers": {"x-emulator-recording": str(recording)}}
        return request

    with client(emu) as c:
        conversation = c.messages.conversation(
            tools=[rollDie], start_tools_early=True, prepare_turn=prepare, **params()
        )
        conversation.final_message(WAIT)
    assert rolled == ["player2"]
    history = conversation.messages
    assert history[1]["content"][0]["caller"]["type"] == "code_execution_20250825"
    assert history[2]["content"] == [
        {"type": "tool_result", "tool_use_id": "toolu_015dGLMbwBKv1ZRQr6KdJzeH", "content": "4"}
    ]
    assert conversation.stop_reason == "end_turn"


def test_async_tools_of_a_sync_client_run_on_a_private_loop(emu: Emulator) -> None:
    import asyncio

    cancelled = threading.Event()

    @tool
    async def fetch(city: str) -> str:
        """Async, under a sync client."""
        await asyncio.sleep(0)
        return f"fetched {city} on {threading.current_thread().name}"

    @tool(timeout=0.2)
    async def stuck(city: str) -> str:
        """Never returns in time: cancelled at its timeout."""
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.set()
        return city  # pragma: no cover

    with client(emu) as c:
        ok = c.messages.conversation(tools=[fetch], **params())
        ok.final_message(WAIT)
        late = c.messages.conversation(tools=[stuck], max_turns=1, **params())
        late.final_message(WAIT)
    assert ok.messages[2]["content"][0]["content"].endswith("on anthropic-rx-tools")
    result = late.messages[2]["content"][0]
    assert result["content"] == "Error: TimeoutError: tool 'stuck' did not finish within 0.2 s"
    assert cancelled.wait(WAIT)  # the coroutine itself was cancelled, not only abandoned


def test_abort_while_an_approval_waits_ignores_the_late_answer(emu: Emulator) -> None:
    ran: list[str] = []

    @tool(requires_approval=True)
    def guarded(city: str) -> str:
        """Needs approval."""
        ran.append(city)
        return city

    seen = Seen()
    with client(emu) as c:
        conversation = c.messages.conversation(tools=[guarded], **params())
        conversation.subscribe(seen.on_next, seen.on_error)
        seen.wait_for(lambda s: bool(s.of(ApprovalRequested)))
        conversation.abort()
        seen.of(ApprovalRequested)[0].approve()
    assert isinstance(seen.error, arx.StreamAbortedError)
    assert ran == []
    assert not seen.of(ToolStarted)
    assert len(emu.stats.requests()) == 1


def test_stop_when_a_final_answer_tool_is_called(emu: Emulator) -> None:
    answers: list[str] = []

    @tool
    def final_answer(answer: str) -> str:
        """Give the final answer."""
        answers.append(answer)
        return "ok"

    with client(emu) as c:
        conversation = c.messages.conversation(
            tools=[get_weather, final_answer],
            stop_when=tool_called("final_answer"),
            **params(),
            **options(tool="final_answer"),
        )
        conversation.final_message(WAIT)
    assert conversation.stop_reason == "stop_when"
    assert conversation.turn == 1
    assert len(answers) == 1


def test_closing_the_client_aborts_its_conversations(emu: Emulator) -> None:
    waits, started, release = held_tool()
    seen = Seen()
    c = client(emu)
    conversation = c.messages.conversation(tools=[waits], **params())
    conversation.subscribe(seen.on_next, seen.on_error)
    assert started.wait(WAIT)
    c.close()
    release.set()
    assert isinstance(seen.error, arx.StreamAbortedError)
    assert len(emu.stats.requests()) == 1  # no next turn


def test_an_async_tool_that_raises_a_cancellation_itself_still_ends(emu: Emulator) -> None:
    import asyncio

    @tool
    async def gives_up(city: str) -> str:
        """Raises a cancellation nobody asked for."""
        raise asyncio.CancelledError("gave up")

    with client(emu) as c:
        conversation = c.messages.conversation(tools=[gives_up], max_turns=1, **params())
        conversation.final_message(WAIT)
    result = conversation.messages[2]["content"][0]
    assert result["is_error"] is True
    assert result["content"].startswith("Error: CancelledError")


def test_until_stopped_follows_the_current_run(emu: Emulator) -> None:
    def run_of(conversation: arx.Conversation) -> list[Any]:
        events: list[Any] = []
        conversation.until_stopped().subscribe(
            events.append, on_completed=lambda: events.append("|")
        )
        return events

    with client(emu) as c:
        conversation = c.messages.conversation(tools=[get_weather], **params())
        conversation.final_message(WAIT)
        first = run_of(conversation)
        conversation.send("And Rome?")
        conversation.final_message(WAIT)
        second = run_of(conversation)
    assert first[-1] == "|"
    assert second[-1] == "|"
    assert isinstance(first[0], TurnStarted)
    assert first[0].turn == 1
    assert isinstance(second[0], TurnStarted)
    assert second[0].turn == first[-2].turn + 1
    assert second[-2].stop_reason == "end_turn"


def test_a_tool_error_sends_the_tools_own_words(emu: Emulator) -> None:
    from anthropic_rx.conversations import ToolError

    @tool
    def picky(city: str) -> str:
        """Knows no city."""
        raise ToolError(f"No station in {city}; try a larger city nearby.")

    with client(emu) as c:
        conversation = c.messages.conversation(
            tools=[picky], max_turns=1, **params(), **options(input={"city": "Oslo"})
        )
        conversation.final_message(WAIT)
    result = conversation.messages[2]["content"][0]
    assert result == {
        "type": "tool_result",
        "tool_use_id": result["tool_use_id"],
        "content": "No station in Oslo; try a larger city nearby.",
        "is_error": True,
    }


def test_a_conversation_asks_for_structured_output_on_every_turn(emu: Emulator) -> None:
    import pydantic

    class Weather(pydantic.BaseModel):
        city: str
        temp_c: int

    with client(emu) as c:
        conversation = c.messages.conversation(
            **params(messages=[{"role": "user", "content": "Weather in Paris?"}]),
            output_format=Weather,
        )
        message = conversation.final_message(WAIT)
        conversation.send("And in Rome?")
        again = conversation.final_message(WAIT)
    for body in bodies(emu):
        assert body["output_config"]["format"]["type"] == "json_schema"
        assert "output_format" not in body
    assert isinstance(arx.parse_output(message, Weather), Weather)
    assert isinstance(arx.parse_output(again, Weather), Weather)


def test_run_of_a_conversation_is_refused_naming_what_to_use(emu: Emulator) -> None:
    with client(emu) as c:
        conversation = c.messages.conversation(**params())
        with pytest.raises(TypeError, match=r"final_message\(\)"):
            conversation.run()
        assert len(emu.stats.requests()) == 0  # refused before anything started
        assert conversation.until_stopped().run().__class__.__name__ == "ConversationStopped"
