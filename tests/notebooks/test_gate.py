"""`Gate`: the condition views and timelines are awaited on."""

from __future__ import annotations

import anyio
import pytest

from anthropic_rx.notebook._gate import Gate


@pytest.mark.anyio
async def test_an_await_that_is_cancelled_leaves_no_waiter_behind() -> None:
    gate = Gate()
    for _ in range(3):
        with anyio.move_on_after(0.01):  # as asyncio.wait_for(view, timeout) in a loop
            await gate.await_open()
    assert gate._wakers == []  # pyright: ignore[reportPrivateUsage]

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(gate.await_open)
        await anyio.wait_all_tasks_blocked()
        gate.open()
    assert gate.is_open
