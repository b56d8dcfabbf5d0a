"""Load: 200 concurrent streams through one AsyncClient on loopback, each with its own answer."""

from __future__ import annotations

import json
import time

import anyio
import pytest

import anthropic_rx as arx
from anthropic_rx.emulator import Emulator
from anthropic_rx.emulator._generate import generate
from anthropic_rx.operators import final_message

from .helpers import async_client, params

STREAMS = 200


@pytest.mark.anyio
async def test_200_concurrent_streams_each_end_with_exactly_their_own_message(
    emu: Emulator,
) -> None:
    bodies = [
        params(messages=[{"role": "user", "content": f"Tell me about pelican number {i}"}])
        for i in range(STREAMS)
    ]
    got: list[arx.Message | None] = [None] * STREAMS
    started = time.monotonic()
    async with async_client(emu) as c:
        streams = [c.messages.stream(**body) for body in bodies]

        async def read(i: int) -> None:
            got[i] = await arx.last_value(streams[i].pipe(final_message()))

        with anyio.fail_after(20):
            async with anyio.create_task_group() as tasks:
                for i in range(STREAMS):
                    tasks.start_soon(read, i)
    elapsed = time.monotonic() - started
    for body, message, stream in zip(bodies, got, streams, strict=True):
        wire = json.loads(json.dumps({**body, "stream": True}))
        expected = generate(wire, seed=0, options={}, padding=True).message
        assert message == arx.Message.model_validate(expected)
        assert stream.info.attempts == 1
    assert len(emu.stats.requests()) == STREAMS
    assert elapsed < 20
