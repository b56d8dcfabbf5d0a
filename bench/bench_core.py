"""Bytes → final message: anthropic_rx against the official SDK, per event.

Run ``python bench/bench_core.py`` (``--repeat N``, ``--budget SECONDS``). One process; every
number is the best of N runs timed with ``time.perf_counter`` (garbage collection paused
during a run, like ``timeit``). The body is fed in 4 KiB chunks to both sides:

* **ours**: ``arx.from_bytes(chunks).pipe(final_message()).run()``
* **SDK**: ``anthropic.Anthropic(...).messages.stream(...)`` over ``httpx2.MockTransport``
  whose response yields the same chunks, then ``get_final_message()``
* **floor**: split the joined bytes on ``b"\\n\\n"`` and ``jiter.from_json`` each data line,
  nothing else: what any Python accumulator must at least pay.

Streams: text with 1,000 / 4,000 / 16,000 ``text_delta``; a ``tool_use`` whose input arrives
in 1,000 / 4,000 / 16,000 ``input_json_delta`` fragments of about 10 bytes. Goals: at least
10x the SDK per event on 16,000 text deltas, at least 50x on 4,000 tool deltas, and our
per-event cost flat within 1.5x from 1,000 to 16,000 deltas.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import anthropic
import httpx2
import jiter

try:
    import anthropic_rx as arx
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    import anthropic_rx as arx
from anthropic_rx.operators import final_message

CHUNK = 4096
SIZES = (1_000, 4_000, 16_000)
WORDS = (" the", " quick", " brown", " fox", " jumps", " over", " lazy", " dog", ".", "\n", " 🦊")


# ---------------------------------------------------------------------------------------------
# streams
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stream:
    label: str
    deltas: int
    chunks: list[bytes]
    events: int


def _frame(event: dict[str, Any]) -> bytes:
    return f"event: {event['type']}\ndata: {json.dumps(event, separators=(',', ':'))}\n\n".encode()


def _message_start() -> dict[str, Any]:
    return {
        "type": "message_start",
        "message": {
            "id": "msg_bench",
            "type": "message",
            "role": "assistant",
            "model": "claude-haiku-4-5",
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 12, "output_tokens": 1},
        },
    }


def _stream(label: str, deltas: int, block: dict[str, Any], body: list[dict[str, Any]]) -> Stream:
    stop_reason = "tool_use" if block["type"] == "tool_use" else "end_turn"
    events = [
        _message_start(),
        {"type": "content_block_start", "index": 0, "content_block": block},
        {"type": "ping"},
        *({"type": "content_block_delta", "index": 0, "delta": d} for d in body),
        {"type": "content_block_stop", "index": 0},
        {
            "type": "message_delta",
            "delta": {"stop_reason": stop_reason, "stop_sequence": None},
            "usage": {"output_tokens": deltas},
        },
        {"type": "message_stop"},
    ]
    data = b"".join(_frame(e) for e in events)
    chunks = [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)]
    return Stream(label, deltas, chunks, len(events))


def text_stream(n: int) -> Stream:
    body = [{"type": "text_delta", "text": WORDS[i % len(WORDS)]} for i in range(n)]
    return _stream(f"text, {n:,} text_delta", n, {"type": "text", "text": ""}, body)


def _fragments(text: str, n: int) -> list[str]:
    """*text* cut into exactly *n* pieces of about equal size, after a leading ""."""
    cuts = [len(text) * i // n for i in range(n + 1)]
    return ["", *(text[a:b] for a, b in pairwise(cuts))]


def tool_stream(n: int, *, structured: bool = False) -> Stream:
    """A tool_use whose input JSON (about 10 bytes per fragment) arrives in *n* fragments.

    The default input is a file write (one long string, like an editor tool's); jiter scans a
    string fast, so the SDK's re-parse per delta costs least here. *structured* makes it a
    table of small objects (numbers, literals, short strings), which costs jiter more per byte.
    """
    target = 10 * n
    if structured:
        rows: list[dict[str, Any]] = []
        while len(json.dumps({"rows": rows})) < target:
            i = len(rows)
            rows.append({"id": i, "x": round(-1.5e-3 * i, 6), "ok": i % 2 == 0, "t": "ab"})
        document: dict[str, Any] = {"rows": rows}
    else:
        lines: list[str] = []
        while sum(len(line) + 3 for line in lines) < target:
            lines.append(f'line {len(lines)}: print("x = {len(lines) * 7 - 3}")')
        document = {"path": "src/app.py", "mode": 420, "content": "\n".join(lines), "force": True}
    body = [
        {"type": "input_json_delta", "partial_json": p} for p in _fragments(json.dumps(document), n)
    ]
    block = {"type": "tool_use", "id": "toolu_bench", "name": "write_file", "input": {}}
    label = f"tool_use{' (table)' if structured else ''}, {n:,} input_json_delta"
    return _stream(label, n, block, body)


# ---------------------------------------------------------------------------------------------
# the three ways to get the final message
# ---------------------------------------------------------------------------------------------


class _Body(httpx2.SyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self._chunks


def sdk_runner(stream: Stream) -> Callable[[], Any]:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(
            200,
            headers={"content-type": "text/event-stream"},
            stream=_Body(stream.chunks),
            request=request,
        )

    client = anthropic.Anthropic(
        api_key="sk-test",
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
        max_retries=0,
    )

    def run() -> Any:
        with client.messages.stream(
            model="claude-haiku-4-5",
            max_tokens=1024,
            messages=[{"role": "user", "content": "hi"}],
        ) as s:
            return s.get_final_message()

    return run


def ours_runner(stream: Stream) -> Callable[[], Any]:
    chunks = stream.chunks
    return lambda: arx.from_bytes(chunks).pipe(final_message()).run()


def floor_runner(stream: Stream) -> Callable[[], Any]:
    chunks = stream.chunks

    def run() -> Any:
        return [
            jiter.from_json(line[5:])
            for frame in b"".join(chunks).split(b"\n\n")
            for line in frame.split(b"\n")
            if line.startswith(b"data:")
        ]

    return run


def best_of(fn: Callable[[], Any], repeat: int, budget: float) -> float:
    """The fastest of up to *repeat* runs (at least one), stopping once *budget* s is spent."""
    best = float("inf")
    spent = 0.0
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            t0 = time.perf_counter()
            fn()
            elapsed = time.perf_counter() - t0
        finally:
            gc.enable()
        best = min(best, elapsed)
        spent += elapsed
        if spent > budget:
            break
    return best


def _normal(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items() if v is not None and k != "parsed_output"}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    return value


def check_same(stream: Stream) -> None:
    """Both sides must build the same message before their speed means anything."""
    ours = _normal(ours_runner(stream)().model_dump(mode="json"))
    theirs = _normal(sdk_runner(stream)().to_dict(mode="json"))
    if ours != theirs:
        raise SystemExit(f"{stream.label}: our final message differs from the SDK's")


def measure(stream: Stream, repeat: int = 7, budget: float = 10.0) -> dict[str, float]:
    """Check *stream* on both sides, then time it: µs per event for floor, ours and SDK."""
    check_same(stream)
    return {
        name: best_of(runner(stream), repeat, budget) / stream.events * 1e6
        for name, runner in (("floor", floor_runner), ("ours", ours_runner), ("SDK", sdk_runner))
    }


# ---------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs per measurement (best of)")
    parser.add_argument("--budget", type=float, default=10.0, help="max seconds per measurement")
    args = parser.parse_args()

    streams = [text_stream(n) for n in SIZES] + [tool_stream(n) for n in SIZES]
    streams.append(tool_stream(4_000, structured=True))
    print(
        f"anthropic_rx {getattr(arx, '__version__', '?')} vs anthropic {anthropic.__version__}, "
        f"Python {sys.version.split()[0]}; {CHUNK} B chunks; best of {args.repeat}, gc paused\n"
    )
    header = (
        f"{'stream':42} {'events':>7} {'bytes':>9} {'floor':>8} {'ours':>8} {'SDK':>9} "
        f"{'SDK/ours':>9} {'ours/floor':>10}"
    )
    print(
        header + "\n" + f"{'':42} {'':>7} {'':>9} {'µs/event':>8} {'µs/event':>8} {'µs/event':>9}"
    )
    print("-" * len(header))
    per_event: dict[tuple[str, int], float] = {}
    ratios: dict[tuple[str, int], float] = {}
    for stream in streams:
        kind = stream.label.split(",")[0]
        t = measure(stream, args.repeat, args.budget)
        floor, ours, sdk = t["floor"], t["ours"], t["SDK"]
        per_event[kind, stream.deltas] = ours
        ratios[kind, stream.deltas] = sdk / ours
        size = sum(map(len, stream.chunks))
        print(
            f"{stream.label:42} {stream.events:>7,} {size:>9,} {floor:>8.2f} {ours:>8.2f} "
            f"{sdk:>9.2f} {sdk / ours:>8.1f}x {ours / floor:>9.1f}x"
        )

    print("\nflatness of our per-event cost (16,000 vs 1,000 deltas; goal ≤ 1.5x):")
    flat: dict[str, float] = {}
    for kind in ("text", "tool_use"):
        flat[kind] = per_event[kind, SIZES[-1]] / per_event[kind, SIZES[0]]
        steps = " → ".join(f"{per_event[kind, n]:.2f}" for n in SIZES)
        print(f"  {kind:9} {steps} µs/event: {flat[kind]:.2f}x")

    goals = [
        ("≥ 10x the SDK per event, 16,000 text deltas", ratios["text", 16_000], 10.0, True),
        ("≥ 50x the SDK per event, 4,000 tool deltas", ratios["tool_use", 4_000], 50.0, True),
        ("per-event cost flat within 1.5x, text", flat["text"], 1.5, False),
        ("per-event cost flat within 1.5x, tool_use", flat["tool_use"], 1.5, False),
    ]
    print("\ngoals:")
    for text, value, bound, at_least in goals:
        met = value >= bound if at_least else value <= bound
        print(f"  [{'met' if met else 'MISSED'}] {text}: {value:.2f}x")


if __name__ == "__main__":
    main()
