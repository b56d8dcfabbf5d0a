"""The loop handle says when its loop has ended, and which thread it needs (issue 10, 1-2)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import trio

from anthropic_rx._loop import LoopHandle, current_loop


async def capture() -> LoopHandle:
    return current_loop()


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_after_its_run_a_loop_refuses_work_and_no_longer_needs_its_thread(backend: str) -> None:
    handle = asyncio.run(capture()) if backend == "asyncio" else trio.run(capture)
    me = threading.get_ident()
    assert not handle.in_loop()
    assert not handle.runs_on(me)
    assert handle.call_soon(lambda: None) is False
    ran: list[str] = []

    async def task() -> None:
        ran.append("task")

    with pytest.raises(RuntimeError, match="event loop that has ended"):
        handle.spawn(task, lost=lambda: ran.append("lost"))
    assert ran == []


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_a_running_loop_needs_its_own_thread_and_no_other(backend: str) -> None:
    seen: list[tuple[bool, bool]] = []

    async def main() -> None:
        handle = current_loop()
        seen.append((handle.runs_on(threading.get_ident()), handle.runs_on(-1)))

    asyncio.run(main()) if backend == "asyncio" else trio.run(main)
    assert seen == [(True, False)]


@contextmanager
def a_loop_and_a_task() -> Iterator[
    tuple[asyncio.AbstractEventLoop, Callable[[], None], list[str]]
]:
    """A new asyncio loop (closed after), a function that spawns a task on it through its
    handle, and the log of what happened: "ran" when the task ran, "lost" when reported lost."""
    loop = asyncio.new_event_loop()
    try:
        handle = loop.run_until_complete(capture())
        events: list[str] = []

        async def task() -> None:
            events.append("ran")

        yield loop, lambda: handle.spawn(task, lost=lambda: events.append("lost")), events
    finally:
        loop.close()


def test_a_task_cancelled_before_it_began_is_reported_lost() -> None:
    """asyncio cancels what is left when its main task returns: a task that never took its
    first step cannot tell its stream anything, so the handle calls `lost` instead."""
    with a_loop_and_a_task() as (loop, spawn, events):
        # From outside the loop: the task is made by a callback when the loop runs next.
        spawn()

        def cancel_all() -> None:
            for t in asyncio.all_tasks(loop):
                if getattr(t.get_coro(), "__qualname__", "").endswith("spawn.<locals>.run"):
                    t.cancel()

        loop.call_soon(cancel_all)  # after the callback that makes the task, before its step

        async def settle() -> None:
            for _ in range(5):
                await asyncio.sleep(0)

        loop.run_until_complete(settle())
        assert events == ["lost"]


def test_a_task_that_ran_is_never_reported_lost() -> None:
    with a_loop_and_a_task() as (loop, spawn, events):

        async def main() -> None:
            spawn()
            for _ in range(5):
                await asyncio.sleep(0)

        loop.run_until_complete(main())
        assert events == ["ran"]
