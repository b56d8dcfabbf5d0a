"""The conversation loop, measured: its cost per turn, parallel tools, and early start.

Run ``python bench/bench_conversation.py`` (``--quick`` for fewer conversations). The
emulator runs in a subprocess (``python -m anthropic_rx.emulator``), as in ``bench_load``,
so its CPU time is not the client's. Three measurements:

* **overhead per turn**: ``client.messages.conversation(...).final_message()`` against the
  loop written by hand over the same client (``client.messages.stream`` → final message → run
  the tool → the next request with the history), the same two-turn conversations, the same
  requests; and the official SDK's streaming tool runner
  (``client.beta.messages.tool_runner(..., stream=True)``) for reference. Wall time and client
  CPU per turn, best of several rounds, the two loops interleaved.
* **parallel tools**: a turn that calls four tools, each ``time.sleep(1)``; the turn's tool
  phase (first tool started → last finished) against the four seconds they take in a row.
* **early start**: a turn whose first call is a slow tool (1 s) while the stream goes on
  writing a second call's input; ``start_tools_early=True`` runs the first as soon as its
  block stops. The time from the request to the end of the tool phase, with and without.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:
    import anthropic_rx as arx
    from anthropic_rx.conversations import ToolFinished, ToolStarted, TurnFinished
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    import anthropic_rx as arx
    from anthropic_rx.conversations import ToolFinished, ToolStarted, TurnFinished

import anthropic
import bench_load as load
from anthropic.lib.tools import beta_tool

from anthropic_rx.events import ToolUseBlock
from anthropic_rx.operators import final_message

KEY = "sk-ant-bench-0000000000000000"
MODEL = "claude-bench"
PROMPT = "What is the weather in Paris?"
FAST = {"x-emulator-pace": "0"}  # as fast as the emulator writes


def forecast(city: str) -> str:
    """The current weather in a city.

    Args:
        city: The city, e.g. Paris.
    """
    return f"{city}: 18 °C, light wind"


@dataclass(frozen=True)
class Overhead:
    turns: int
    ours_wall: float  # seconds per turn, best round
    hand_wall: float
    sdk_wall: float
    ours_cpu: float
    hand_cpu: float
    sdk_cpu: float


def _ours(client: arx.Client, tool: Any) -> int:
    conversation = client.messages.conversation(
        model=MODEL,
        max_tokens=256,
        tools=[tool],
        messages=[{"role": "user", "content": PROMPT}],
        extra_headers=FAST,
    )
    conversation.final_message(timeout=60)
    turns = conversation.turn
    conversation.close()
    return turns


def _by_hand(client: arx.Client, tool: Any) -> int:
    """The loop users write today: stream, final message, run the tools, ask again."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": PROMPT}]
    tools = [tool.to_param()]
    turns = 0
    while True:
        stream = client.messages.stream(
            model=MODEL, max_tokens=256, tools=tools, messages=messages, extra_headers=FAST
        )
        message = stream.pipe(final_message()).run()
        turns += 1
        content = [b.model_dump(mode="json", exclude_none=True) for b in message.content]
        messages = [*copy.deepcopy(messages), {"role": "assistant", "content": content}]
        calls = [b for b in message.content if isinstance(b, ToolUseBlock)]
        if message.stop_reason != "tool_use" or not calls:
            return turns
        results = [
            {"type": "tool_result", "tool_use_id": c.id, "content": forecast(**c.input)}
            for c in calls
        ]
        messages.append({"role": "user", "content": results})


def _sdk(client: anthropic.Anthropic, tool: Any) -> int:
    runner = client.beta.messages.tool_runner(
        model=MODEL,
        max_tokens=256,
        tools=[tool],
        messages=[{"role": "user", "content": PROMPT}],
        extra_headers=FAST,
        stream=True,
    )
    turns = 0
    for stream in runner:
        for _ in stream:
            pass
        turns += 1
    return turns


def _timed(run: Callable[[], int], conversations: int) -> tuple[float, float]:
    """Run *conversations* conversations; return wall and CPU seconds per turn."""
    turns = 0
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(conversations):
        turns += run()
    return (time.perf_counter() - wall) / turns, (time.process_time() - cpu) / turns


def overhead(base_url: str, conversations: int, rounds: int) -> Overhead:
    """Per-turn wall and CPU time of the three loops, best of *rounds* interleaved rounds."""
    tool = arx.tool(forecast)
    sdk_tool = beta_tool(forecast)
    with (
        arx.Client(api_key=KEY, base_url=base_url) as client,
        anthropic.Anthropic(api_key=KEY, base_url=base_url, max_retries=0) as sdk,
    ):
        runs: dict[str, Callable[[], int]] = {
            "ours": lambda: _ours(client, tool),
            "hand": lambda: _by_hand(client, tool),
            "sdk": lambda: _sdk(sdk, sdk_tool),
        }
        for run in runs.values():  # warm up: connections, imports, caches; and check
            if run() != 2:
                raise SystemExit("expected two turns: a tool call, then the answer")
        best: dict[str, tuple[float, float]] = {}
        for _ in range(rounds):
            for name, run in runs.items():
                wall, cpu = _timed(run, conversations)
                old = best.get(name)
                best[name] = (wall, cpu) if old is None else (min(old[0], wall), min(old[1], cpu))
    return Overhead(
        conversations * 2,
        best["ours"][0], best["hand"][0], best["sdk"][0],
        best["ours"][1], best["hand"][1], best["sdk"][1],
    )  # fmt: skip


@dataclass(frozen=True)
class ToolPhase:
    phase: float  # first tool started → last finished, seconds
    durations: tuple[float, ...]
    turn: float  # the whole conversation, seconds

    @property
    def serial(self) -> float:
        return sum(self.durations)


def parallel(base_url: str, calls: int = 4, seconds: float = 1.0) -> ToolPhase:
    """One turn calling *calls* tools that each sleep *seconds*; the tool phase it took."""

    @arx.tool
    def slow_lookup(city: str) -> str:
        """A slow lookup of a city."""
        time.sleep(seconds)
        return f"{city}: found"

    events: list[Any] = []
    with arx.Client(api_key=KEY, base_url=base_url) as client:
        conversation = client.messages.conversation(
            model=MODEL,
            max_tokens=256,
            tools=[slow_lookup],
            messages=[{"role": "user", "content": PROMPT}],
            extra_headers={**FAST, "x-emulator-options": json.dumps({"tool_calls": calls})},
        )
        conversation.subscribe(events.append)
        began = time.monotonic()
        conversation.final_message(timeout=60)
        whole = time.monotonic() - began
        conversation.close()
    started = [e.started_at for e in events if isinstance(e, ToolStarted)]
    finished = [e for e in events if isinstance(e, ToolFinished)]
    if len(finished) != calls or any(f.is_error for f in finished):
        raise SystemExit(f"expected {calls} good tool results, got {finished}")
    phase = max(f.finished_at for f in finished) - min(started)
    return ToolPhase(phase, tuple(f.duration for f in finished), whole)


@dataclass(frozen=True)
class Early:
    late: float  # request → end of the tool phase, tools started at the turn's end
    early: float  # the same with start_tools_early=True
    stream_after_first: float  # the stream's time after the first call's block stopped

    @property
    def saved(self) -> float:
        return self.late - self.early


def _tool_phase_end(base_url: str, early: bool, seconds: float) -> tuple[float, float]:
    @arx.tool
    def lookup(city: str) -> str:
        """Look a city up (Paris is slow)."""
        if city == "Paris":
            time.sleep(seconds)
        return f"{city}: found"

    # The first call (Paris, slow) is short to write; the second one's input is long, and
    # the emulator writes it at 100 tokens per second: the stream goes on after the first.
    long_city = " ".join(["Saint-Remy-de-Provence"] * 12)
    options = {"preface": False}
    events: list[tuple[float, Any]] = []
    with arx.Client(api_key=KEY, base_url=base_url) as client:
        conversation = client.messages.conversation(
            model=MODEL,
            max_tokens=512,
            tools=[lookup],
            start_tools_early=early,
            max_turns=1,
            messages=[{"role": "user", "content": f"Look up Paris, and look up {long_city}"}],
            extra_headers={"x-emulator-pace": "100", "x-emulator-options": json.dumps(options)},
        )
        conversation.subscribe(lambda e: events.append((time.monotonic(), e)))
        began = time.monotonic()
        conversation.final_message(timeout=60)
        conversation.close()
    cities = [e.call.input.get("city") for _, e in events if isinstance(e, ToolStarted)]
    if len(cities) != 2 or cities[0] != "Paris":
        raise SystemExit(f"expected Paris (slow), then another city; got {cities}")
    end = max(t for t, e in events if isinstance(e, ToolFinished)) - began
    turn_end = next(t for t, e in events if isinstance(e, TurnFinished)) - began
    first = next(t for t, e in events if isinstance(e, ToolStarted)) - began
    return end, max(0.0, turn_end - first)


def early_start(base_url: str, seconds: float = 1.0, rounds: int = 2) -> Early:
    """The tool phase's end with and without early start, best of *rounds* each."""
    late = min(_tool_phase_end(base_url, False, seconds)[0] for _ in range(rounds))
    runs = [_tool_phase_end(base_url, True, seconds) for _ in range(rounds)]
    best = min(runs)
    return Early(late, best[0], best[1])  # stream_after_first: 0 without early start


def measure(quick: bool) -> tuple[Overhead, ToolPhase, Early]:
    """Start the emulator (a subprocess), measure all three, stop it."""
    port = load.free_port()
    emulator = load.start_emulator(port)
    try:
        url = f"http://127.0.0.1:{port}"
        cost = overhead(url, 10 if quick else 40, 3 if quick else 5)
        return cost, parallel(url), early_start(url, rounds=1 if quick else 3)
    finally:
        emulator.terminate()
        emulator.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer conversations")
    args = parser.parse_args()
    cost, phase, early = measure(args.quick)
    print(f"per turn, wall: ours {cost.ours_wall * 1e3:.2f} ms, by hand {cost.hand_wall * 1e3:.2f} ms"
          f" ({cost.ours_wall / cost.hand_wall:.2f}x), SDK tool runner {cost.sdk_wall * 1e3:.2f} ms")  # fmt: skip
    print(f"per turn, CPU:  ours {cost.ours_cpu * 1e3:.2f} ms, by hand {cost.hand_cpu * 1e3:.2f} ms"
          f" ({cost.ours_cpu / cost.hand_cpu:.2f}x), SDK tool runner {cost.sdk_cpu * 1e3:.2f} ms")  # fmt: skip
    print(f"4 tools of 1 s: tool phase {phase.phase:.2f} s (in a row: {phase.serial:.2f} s)")
    print(f"early start: tool phase ends at {early.early:.2f} s instead of {early.late:.2f} s "
          f"(saved {early.saved:.2f} s; the stream ran {early.stream_after_first:.2f} s "
          "after the first call)")  # fmt: skip


if __name__ == "__main__":
    main()
