"""Run client streams against the emulator and record exactly what subscribers received."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.to_thread
import pytest

import anthropic_rx as arx
from anthropic_rx.emulator import Emulator

from ..clients import KEY as KEY
from ..clients import async_client as async_client
from ..clients import client as client

WAIT = 10.0  # seconds: a bound on every wait, never a sleep
PROMPT = "Tell me about pelicans"


def params(**changes: Any) -> dict[str, Any]:
    """The parameters of a small streaming request, with *changes*."""
    return {
        "model": "claude-emulated",
        "max_tokens": 64,
        "messages": [{"role": "user", "content": PROMPT}],
        **changes,
    }


def scenario(code: str, **options: Any) -> dict[str, str]:
    """Headers choosing scenario *code* with *options*, in a conversation of its own."""
    return {
        "x-emulator-scenario": code,
        "x-emulator-options": json.dumps(options),
        "x-emulator-key": f"{code}-{uuid.uuid4().hex}",
    }


@dataclass
class Run:
    """What one subscriber received: every event, then the terminal signal, and when."""

    events: list[arx.StreamEvent] = field(default_factory=list[arx.StreamEvent])
    error: Exception | None = None
    completed: bool = False
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None
    last_event_at: float | None = None
    after_end: int = 0  # signals after the terminal one: must stay 0

    @property
    def elapsed(self) -> float:
        assert self.ended is not None
        return self.ended - self.started

    @property
    def since_last_event(self) -> float:
        """Seconds from the last event to the terminal signal."""
        assert self.ended is not None
        return self.ended - (self.last_event_at or self.started)

    def dumps(self) -> list[dict[str, Any]]:
        return [event.model_dump(mode="json") for event in self.events]

    def text(self) -> str:
        return "".join(
            e.delta.text  # type: ignore[union-attr]
            for e in self.events
            if e.type == "content_block_delta" and e.delta.type == "text_delta"  # type: ignore[union-attr]
        )

    @classmethod
    def of(cls, stream: arx.MessageStream, ended: Callable[[], object]) -> Run:
        """Subscribe a new run to *stream*; *ended* is called after its terminal signal."""
        run = cls()

        def on_error(error: Exception) -> None:
            run.on_error(error)
            ended()

        def on_completed() -> None:
            run.on_completed()
            ended()

        stream.subscribe(run.on_next, on_error, on_completed)
        return run

    def on_next(self, event: arx.StreamEvent) -> None:
        if self.ended is not None:
            self.after_end += 1
        self.events.append(event)
        self.last_event_at = time.monotonic()

    def on_error(self, error: Exception) -> None:
        if self.ended is not None:
            self.after_end += 1
        self.error = error
        self.ended = time.monotonic()

    def on_completed(self) -> None:
        if self.ended is not None:
            self.after_end += 1
        self.completed = True
        self.ended = time.monotonic()


def run_sync(stream: arx.MessageStream) -> Run:
    """Subscribe to a sync client's stream and wait (bounded) for its end."""
    done = threading.Event()
    run = Run.of(stream, done.set)
    assert done.wait(WAIT), "the stream did not end in time"
    return run


async def run_async(stream: arx.MessageStream) -> Run:
    """Subscribe to an async client's stream and wait (bounded) for its end."""
    done = anyio.Event()
    run = Run.of(stream, done.set)
    with anyio.fail_after(WAIT):
        await done.wait()
    return run


#: Run an async test once a client, its ``kind``: the sync client once (on a worker thread,
#: under asyncio: the backend does not matter to it), the async one on both anyio backends.
ON_EACH_CLIENT = pytest.mark.parametrize(
    ("kind", "anyio_backend"),
    [("sync", "asyncio"), ("async", "asyncio"), ("async", "trio")],
    ids=["sync", "async-asyncio", "async-trio"],
)


async def fault_run(
    kind: str, emu: Emulator, headers: dict[str, str], **options: Any
) -> tuple[Run, arx.MessageStream]:
    """One request with *headers* through the *kind* client made with *options*, to its end.

    The sync client runs on a worker thread, so that one async test covers both clients.
    """
    if kind == "async":
        async with async_client(emu, **options) as c:
            stream = c.messages.stream(**params(extra_headers=headers))
            return await run_async(stream), stream

    def on_a_thread() -> tuple[Run, arx.MessageStream]:
        with client(emu, **options) as c:
            stream = c.messages.stream(**params(extra_headers=headers))
            return run_sync(stream), stream

    return await anyio.to_thread.run_sync(on_a_thread)


def normal_run(emu: Emulator, **changes: Any) -> Run:
    """The events of the normal answer to the same request (sync client, no fault)."""
    with client(emu) as c:
        run = run_sync(c.messages.stream(**params(**changes)))
    assert run.completed, run.error
    return run


def error_texts(run_error: BaseException) -> str:
    """Every text an error shows: str, repr, notes, and the same for its causes."""
    texts: list[str] = []
    error: BaseException | None = run_error
    while error is not None:
        texts += [str(error), repr(error), *getattr(error, "__notes__", [])]
        texts += [repr(vars(error))] if hasattr(error, "__dict__") else []
        error = error.__cause__ or error.__context__
    return "\n".join(texts)
