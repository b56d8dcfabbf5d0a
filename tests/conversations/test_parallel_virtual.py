"""Four tools that each take one second: the turn's tool phase takes one second, not four.

Shown in virtual time, never by sleeping: each tool "sleeps" on a `VirtualSleep`, which
blocks its worker thread until the test moves the virtual clock; the test moves it only when
every call that should be running is asleep. Run one at a time, the calls would add up (four
virtual seconds); run at once, they overlap (one). ``max_concurrent_tools`` shows the bound
in the same terms: two at a time, two seconds.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

import anthropic_rx as arx
from anthropic_rx.conversations import ConversationEvent, ToolFinished, ToolStarted, tool
from anthropic_rx.emulator import Emulator

WAIT = 10.0  # seconds: a bound on every wait, never a sleep
CALLS = 4


class VirtualSleep:
    """A clock that tool threads sleep on and the test moves (discrete-event simulation)."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.now = 0.0
        self._sleepers: list[tuple[float, threading.Event]] = []
        self.finished = 0  # ToolFinished events seen

    def sleep(self, seconds: float) -> None:
        """Block the calling (tool) thread until the virtual clock has moved *seconds* on."""
        wake = threading.Event()
        with self.cond:
            self._sleepers.append((self.now + seconds, wake))
            self.cond.notify_all()
        assert wake.wait(WAIT), "the virtual clock never reached this sleeper"

    def on_event(self, event: ConversationEvent) -> None:
        if isinstance(event, ToolFinished):
            with self.cond:
                self.finished += 1
                self.cond.notify_all()

    def run(self, calls: int, bound: int | None) -> None:
        """Move the clock whenever every call that should run is asleep, until all are done."""
        width = calls if bound is None else bound
        with self.cond:
            while self.finished < calls:
                target = min(width, calls - self.finished)
                assert self.cond.wait_for(
                    lambda: self.finished >= calls or len(self._sleepers) >= target,  # noqa: B023
                    WAIT,
                ), (self.now, self.finished, len(self._sleepers))
                if self.finished >= calls:
                    break
                self.now = min(at for at, _ in self._sleepers)
                due = [s for s in self._sleepers if s[0] <= self.now]
                self._sleepers = [s for s in self._sleepers if s[0] > self.now]
                for _, wake in due:
                    wake.set()
                # Wait for the woken calls to report, so the next target counts them.
                done = self.finished + len(due)
                assert self.cond.wait_for(lambda: self.finished >= done, WAIT)  # noqa: B023


@pytest.mark.parametrize(("bound", "phase"), [(None, 1.0), (2, 2.0), (1, 4.0)])
def test_four_one_second_tools_take_one_second_together(
    emu: Emulator, bound: int | None, phase: float
) -> None:
    clock = VirtualSleep()
    spans: list[tuple[str, float, float]] = []

    @tool
    def lookup(city: str) -> str:
        """Look a city up (one virtual second)."""
        start = clock.now
        clock.sleep(1.0)
        spans.append((city, start, clock.now))
        return f"{city}: found"

    with arx.Client(api_key="sk-ant-test-virtual", base_url=emu.base_url) as client:
        conversation = client.messages.conversation(
            model="claude-emulated",
            max_tokens=256,
            tools=[lookup],
            max_concurrent_tools=bound,
            messages=[{"role": "user", "content": "What is the weather in Paris?"}],
            extra_headers={"x-emulator-options": json.dumps({"tool_calls": CALLS})},
        )
        events: list[Any] = []
        conversation.subscribe(events.append)
        conversation.subscribe(clock.on_event)
        clock.run(CALLS, bound)
        assert conversation.wait(WAIT)

    assert conversation.stop_reason == "end_turn"
    assert len(spans) == CALLS
    assert all(end - start == 1.0 for _, start, end in spans)  # each took one virtual second
    tool_phase = max(end for *_, end in spans) - min(start for _, start, _ in spans)
    assert tool_phase == phase
    started = [e for e in events if isinstance(e, ToolStarted)]
    finished = [e for e in events if isinstance(e, ToolFinished)]
    assert len(started) == len(finished) == CALLS
    assert not any(f.is_error for f in finished)
    # The results go back in the order the model asked for them, whatever finished first.
    asked = [e.call.id for e in started]
    body = json.loads(emu.stats.requests()[1].body)
    sent = [b["tool_use_id"] for b in body["messages"][-1]["content"]]
    assert sorted(sent) == sorted(asked)
    assert sent == [b["id"] for b in body["messages"][-2]["content"] if b["type"] == "tool_use"]
