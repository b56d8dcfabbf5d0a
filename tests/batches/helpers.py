"""What the batch tests share: requests, clients on the emulator, a bounded collector."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from reactivex import Observable

import anthropic_rx as arx
from anthropic_rx.concurrency import Tagged
from anthropic_rx.emulator import Emulator

from .. import clients
from ..clients import KEY as KEY

MODEL = "claude-emulated"
WAIT = 20.0  # seconds: a bound on every wait, never a sleep
FAST = {"poll_interval": 0.02, "max_poll_interval": 0.1}


def params(prompt: str, **changes: Any) -> dict[str, Any]:
    """A small request asking *prompt*."""
    return {
        "model": MODEL,
        "max_tokens": 32,
        "messages": [{"role": "user", "content": prompt}],
        **changes,
    }


def requests(n: int, prefix: str = "q") -> dict[str, dict[str, Any]]:
    """*n* requests by custom_id ``q0``, ``q1``, …"""
    return {f"{prefix}{i}": params(f"question {i}") for i in range(n)}


def client(emu: Emulator, **batch_options: Any) -> arx.Client:
    """A client whose batches get *batch_options* (the emulator's ``x-emulator-options``)."""
    return clients.client(emu, default_headers=_options(batch_options))


def async_client(emu: Emulator, **batch_options: Any) -> arx.AsyncClient:
    """The async twin of `client`."""
    return clients.async_client(emu, default_headers=_options(batch_options))


def _options(batch_options: dict[str, Any]) -> dict[str, str]:
    return {"x-emulator-options": json.dumps(batch_options)} if batch_options else {}


@dataclass
class Collected:
    """What a subscriber received, and how it ended."""

    items: list[Any] = field(default_factory=list[Any])
    error: Exception | None = None
    completed: bool = False
    done: threading.Event = field(default_factory=threading.Event)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def wait(self, timeout: float = WAIT) -> Collected:
        assert self.done.wait(timeout), f"no end within {timeout} s; got {self.items[-3:]}"
        return self

    def wait_for(self, predicate: Any, timeout: float = WAIT) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: predicate(self.items), timeout), self.items[-3:]

    @property
    def results(self) -> dict[str, Any]:
        tagged: list[Tagged[str, Any]] = [i for i in self.items if isinstance(i, Tagged)]
        return {i.key: i.value for i in tagged}

    @property
    def progress(self) -> list[Any]:
        return [i for i in self.items if not isinstance(i, Tagged)]


def collect(source: Observable[Any]) -> tuple[Collected, Any]:
    """Subscribe to *source*; return the record and the subscription."""
    got = Collected()

    def on_next(item: Any) -> None:
        with got.changed:
            got.items.append(item)
            got.changed.notify_all()

    def on_error(error: Exception) -> None:
        got.error = error
        got.done.set()

    def on_completed() -> None:
        got.completed = True
        got.done.set()

    return got, source.subscribe(on_next, on_error, on_completed)


def batch_requests(emu: Emulator) -> list[Any]:
    """The emulator's records of requests to the batch endpoints."""
    return [r for r in emu.stats.requests() if r.path.startswith("/v1/messages/batches")]
