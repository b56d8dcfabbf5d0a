"""The loop with `AsyncClient` on asyncio and trio: async tools on the loop, sync on threads."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import anyio
import pytest

import anthropic_rx as arx
from anthropic_rx.conversations import (
    ApprovalRequested,
    ConversationStopped,
    ToolFinished,
    ToolStarted,
    tool,
)
from anthropic_rx.emulator import Emulator
from anthropic_rx.operators import text_only
from anthropic_rx.testing import StreamScript

from .helpers import WAIT, async_client, options, params, scripted

pytestmark = pytest.mark.anyio


@tool
async def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    await anyio.sleep(0)
    return f"sunny in {city}"


async def test_await_runs_the_loop_and_send_continues(emu: Emulator) -> None:
    events: list[Any] = []
    async with async_client(emu) as c:
        conversation = c.messages.conversation(tools=[get_weather], **params())
        conversation.subscribe(events.append)
        texts: list[str] = []
        conversation.each_turn(text_only()).subscribe(texts.append)
        with anyio.fail_after(WAIT):
            message = await conversation
        assert conversation.stop_reason == "end_turn"
        assert message.content[-1].text in "".join(texts)  # type: ignore[union-attr]
        conversation.send("And in Rome?")
        with anyio.fail_after(WAIT):
            await conversation
    # The emulator calls the tool again for the new question, then answers.
    assert [m["role"] for m in conversation.messages] == ["user", "assistant"] * 4
    assert [e.turn for e in events if isinstance(e, ConversationStopped)] == [2, 4]


async def test_parallel_async_tools_run_on_the_loop_at_once(emu: Emulator) -> None:
    arrived = 0
    everyone = anyio.Event()
    loop_thread = threading.get_ident()
    threads: list[int] = []

    @tool
    async def lookup(city: str) -> str:
        """Waits for the others."""
        nonlocal arrived
        threads.append(threading.get_ident())
        arrived += 1
        if arrived == 4:
            everyone.set()
        await everyone.wait()  # one at a time, this would never return
        return city

    @tool
    def blocking(city: str) -> str:
        """A sync tool: on a worker thread."""
        threads.append(-threading.get_ident())
        return city

    async with async_client(emu) as c:
        conversation = c.messages.conversation(
            tools=[lookup, blocking], **params(), **options(tool_calls=4, tool="lookup")
        )
        conversation.start()
        with anyio.fail_after(WAIT):
            await everyone.wait()
        conversation.abort()  # the emulator would call `lookup` for ever: stop here
    assert threads == [loop_thread] * 4

    async with async_client(emu) as c:
        conversation = c.messages.conversation(
            tools=[lookup, blocking], max_turns=1, **params(), **options(tool="blocking")
        )
        with anyio.fail_after(WAIT):
            await conversation
    assert threads[-1] != -loop_thread
    assert "is_error" not in conversation.messages[2]["content"][0]


async def test_approval_from_another_thread_and_a_timeout(emu: Emulator) -> None:
    @tool(requires_approval=True, timeout=0.2)
    async def hangs(city: str) -> str:
        """Never answers in time."""
        await anyio.sleep_forever()
        return city  # pragma: no cover

    def on_next(event: Any) -> None:
        if isinstance(event, ApprovalRequested):
            threading.Thread(target=event.approve).start()

    async with async_client(emu) as c:
        conversation = c.messages.conversation(tools=[hangs], max_turns=1, **params())
        conversation.subscribe(on_next)
        with anyio.fail_after(WAIT):
            await conversation
    result = conversation.messages[2]["content"][0]
    assert result["content"] == "Error: TimeoutError: tool 'hangs' did not finish within 0.2 s"
    assert result["is_error"] is True


async def test_abort_and_a_failed_stream_cancel_async_tools(emu: Emulator, tmp_path: Path) -> None:
    started = anyio.Event()
    cancelled: list[str] = []

    @tool
    async def forever(city: str) -> str:
        """Runs until cancelled."""
        started.set()
        try:
            await anyio.sleep_forever()
        finally:
            cancelled.append(city)
        return city  # pragma: no cover

    failed: list[Exception] = []
    async with async_client(emu) as c:
        conversation = c.messages.conversation(
            tools=[forever], **params(), **options(input={"city": "Oslo"})
        )
        conversation.subscribe(on_error=failed.append)
        conversation.start()
        with anyio.fail_after(WAIT):
            await started.wait()
        conversation.abort()
        with pytest.raises(arx.StreamAbortedError):
            await conversation
        with anyio.fail_after(WAIT):
            while not cancelled:
                await anyio.sleep(0)
        assert isinstance(failed[0], arx.StreamAbortedError)

        started = anyio.Event()
        broken = StreamScript().tool_use("forever", {"city": "Bergen"}).text("x").error_event()
        early = c.messages.conversation(
            tools=[forever],
            start_tools_early=True,
            prepare_turn=scripted(tmp_path, [broken]),
            **params(),
        )
        runs: list[Any] = []
        early.tool_runs().subscribe(runs.append, on_error=lambda _: None)
        with pytest.raises(arx.OverloadedError):
            with anyio.fail_after(WAIT):
                await early
        with anyio.fail_after(WAIT):
            while len(cancelled) < 2:
                await anyio.sleep(0)
    assert cancelled == ["Oslo", "Bergen"]
    assert [type(r) for r in runs] == [ToolStarted]  # started early, never finished
    assert len(emu.stats.requests()) == 2


def test_four_one_second_tools_take_one_second_in_virtual_time(emu: Emulator) -> None:
    """Under trio's MockClock the tools' sleeps are virtual: the phase takes 1 s, not 4."""
    trio = pytest.importorskip("trio")
    from trio.testing import MockClock

    @tool
    async def slow(city: str) -> str:
        """Takes a second."""
        await trio.sleep(1)
        return city

    async def main() -> list[ToolFinished]:
        async with async_client(emu) as c:
            conversation = c.messages.conversation(
                tools=[slow], **params(), **options(tool_calls=4)
            )
            finished: list[ToolFinished] = []
            conversation.subscribe(
                lambda e: finished.append(e) if isinstance(e, ToolFinished) else None
            )
            with trio.fail_after(60):
                await conversation
            return finished

    # The clock jumps only when every task has waited 1 s of real time: the network's
    # waits are far shorter, the tools' one-second sleeps far longer.
    finished = trio.run(main, clock=MockClock(autojump_threshold=1.0))
    assert len(finished) == 4
    assert [f.duration for f in finished] == [pytest.approx(1.0, abs=0.05)] * 4
    phase = max(f.finished_at for f in finished) - min(f.started_at for f in finished)
    assert phase == pytest.approx(1.0, abs=0.05)


async def test_wait_refuses_to_block_the_loop(emu: Emulator) -> None:
    async with async_client(emu) as c:
        conversation = c.messages.conversation(tools=[get_weather], **params())
        with pytest.raises(RuntimeError, match="await conversation instead"):
            conversation.wait(0)
        with anyio.fail_after(WAIT):
            await conversation
        assert conversation.wait(0)  # once stopped, it does not block


async def test_a_tool_that_raises_a_cancellation_itself_still_ends(emu: Emulator) -> None:
    import asyncio

    @tool
    async def gives_up(city: str) -> str:
        """Raises a cancellation nobody asked for."""
        raise asyncio.CancelledError("gave up")

    async with async_client(emu) as c:
        conversation = c.messages.conversation(tools=[gives_up], max_turns=1, **params())
        with anyio.fail_after(WAIT):
            await conversation
    result = conversation.messages[2]["content"][0]
    assert result["is_error"] is True
    assert result["content"].startswith("Error: CancelledError")
