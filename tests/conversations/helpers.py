"""Conversations against the emulator: clients, scripted turns, and what subscribers saw."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from anthropic_rx.conversations import ConversationEvent, Tool, TurnEvent, tool
from anthropic_rx.emulator import Emulator
from anthropic_rx.testing import StreamScript

from ..clients import KEY as KEY
from ..clients import async_client as async_client
from ..clients import client as client

WAIT = 10.0  # seconds: a bound on every wait, never a sleep
MODEL = "claude-emulated"
PROMPT = "What is the weather in Paris?"


def params(**changes: Any) -> dict[str, Any]:
    """A small conversation's API parameters, with *changes*."""
    return {
        "model": MODEL,
        "max_tokens": 256,
        "messages": [{"role": "user", "content": PROMPT}],
        **changes,
    }


def options(**values: Any) -> dict[str, dict[str, str]]:
    """``extra_headers`` giving the emulator generation options for every turn."""
    return {"extra_headers": {"x-emulator-options": json.dumps(values)}}


def held_tool(
    name: str = "waits", *, requires_approval: bool = False
) -> tuple[Tool, threading.Event, threading.Event]:
    """A tool held by the test: return ``(tool, started, release)``; each call sets *started*,
    then returns its city once the test sets *release* (at most WAIT later)."""
    started, release = threading.Event(), threading.Event()

    def held(city: str) -> str:
        """Waits for the test."""
        started.set()
        release.wait(WAIT)
        return city

    return tool(name=name, requires_approval=requires_approval)(held), started, release


def scripted(
    folder: Path, turns: Sequence[StreamScript | None]
) -> Callable[[int, dict[str, Any]], Mapping[str, Any]]:
    """A ``prepare_turn`` replaying ``turns[n - 1]`` as turn n's answer (``None``: generated)."""
    files: list[str | None] = []
    for i, script in enumerate(turns):
        if script is None:
            files.append(None)
            continue
        path = folder / f"turn-{i + 1}.sse"
        path.write_bytes(script.sse())
        files.append(str(path))

    def prepare(turn: int, request: dict[str, Any]) -> Mapping[str, Any]:
        recording = files[min(turn, len(files)) - 1]
        if recording is None:
            return request
        headers = {**request.get("extra_headers", {}), "x-emulator-recording": recording}
        return {**request, "extra_headers": headers}

    return prepare


class Seen:
    """Everything one subscriber got, thread-safe, with a way to wait for a condition."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.events: list[ConversationEvent] = []
        self.error: Exception | None = None
        self.completed = False

    def on_next(self, event: ConversationEvent) -> None:
        with self.cond:
            self.events.append(event)
            self.cond.notify_all()

    def on_error(self, error: Exception) -> None:
        with self.cond:
            self.error = error
            self.cond.notify_all()

    def on_completed(self) -> None:
        with self.cond:
            self.completed = True
            self.cond.notify_all()

    def wait_for(self, predicate: Callable[[Seen], bool], timeout: float = WAIT) -> None:
        with self.cond:
            assert self.cond.wait_for(lambda: predicate(self), timeout), self.kinds()

    def of(self, kind: type[Any]) -> list[Any]:
        with self.cond:
            return [e for e in self.events if isinstance(e, kind)]

    def kinds(self) -> list[str]:
        """The event kinds in order, stream events shown by their type (pings left out)."""
        with self.cond:
            out: list[str] = []
            for e in self.events:
                if isinstance(e, TurnEvent):
                    if e.event.type != "ping":
                        out.append(f"{e.turn}:{e.event.type}")
                else:
                    out.append(f"{e.turn}:{type(e).__name__}")
            return out


def bodies(emu: Emulator) -> list[dict[str, Any]]:
    """The JSON bodies of the requests the emulator got, in order."""
    return [json.loads(r.body) for r in emu.stats.requests()]
