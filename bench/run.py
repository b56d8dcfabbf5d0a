"""The whole speed suite in one process, as one table of ratios against the official SDK.

Run ``python bench/run.py`` (about 1.5 minutes on 2 cores, plus about 10 for the live section)
or ``python bench/run.py --quick`` (a few minutes: fewer repeats, 200 concurrent emulator
streams instead of 1,000, shorter live streams). It reuses
``bench_core`` (bytes → final message), ``bench_sse`` (decoding) and ``bench_load``
(concurrent streams through the emulator), and adds: ``on_tool_input()`` reading
``update.snapshot`` at every delta against the SDK's ``InputJsonEvent.snapshot``; four
pipelines on one `MessageStream` against ``final_message()`` alone; the memory a
completed `MessageStream` retains (its replay buffer) against the raw bytes of the stream;
and ``bench_partial`` (section 8): ``partial_output(Model)`` per event, 1,000 → 16,000
deltas, against the SDK re-parsing the accumulated text with its partial JSON parser;
and ``bench_conversation`` (section 9): the tool-use loop's cost per turn against a
hand-written loop (and the SDK's tool runner), four parallel 1 s tools, early start.
Section 10 (``bench_relay``): one stream relayed to 1, 10 and 100 SSE clients on loopback
(CPU per event per client, memory per client) and a tab that reads nothing (memory bounded).
Section 11 (``bench_live``) is the live path: a raw server on 127.0.0.1 in a subprocess, one
event per TCP write at 100 events/s (and a burst), client CPU per event against the floor and
the SDK, 50 / 500 / 1,000 concurrent streams, peak memory, the GC's share and a late view's
replay (a few minutes with ``--quick``). ``--only conversations`` / ``relay`` / ``live`` runs
section 9 / 10 / 11 alone. ``bench_batches`` (section 12): 1,000 / 10,000 / 100,000 batch
results through the pipeline (time per result and peak memory, against the SDK's
``results()``), and the status requests a run sends per batch-hour; ``--only batches`` runs it
alone.

Times are best of N (``time.perf_counter``, gc paused); bytes are fed in 4 KiB chunks.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
try:
    import anthropic_rx as arx
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, str(HERE.parent / "src"))
    import anthropic_rx as arx

import anthropic  # noqa: E402
import bench_batches as batches  # noqa: E402
import bench_conversation as conversation  # noqa: E402
import bench_core as core  # noqa: E402
import bench_live as live  # noqa: E402
import bench_load as load  # noqa: E402
import bench_partial as partial  # noqa: E402
import bench_relay as relay  # noqa: E402
import bench_sse as sse  # noqa: E402
import httpx2  # noqa: E402

from anthropic_rx.operators import accumulate, final_message, on_tool_input, text_only  # noqa: E402

REAL = Path("/work/shared/corpus/real/pydai-pause-turn-web-search.sse")


# ---------------------------------------------------------------------------------------------
# the table
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    workload: str
    ours: str
    reference: str
    ratio: float | None
    goal: str
    met: bool | None  # None: no goal, for information


ROWS: list[Row] = []


def row(
    workload: str,
    ours: str,
    reference: str,
    ratio: float | None,
    goal: str = "",
    met: bool | None = None,
) -> None:
    ROWS.append(Row(workload, ours, reference, ratio, goal, met))
    r = f"{ratio:.2f}x" if ratio is not None else ""
    print(f"  … {workload}: {ours} | {reference} | {r}", file=sys.stderr, flush=True)


def us(seconds_per_event: float) -> str:
    return f"{seconds_per_event * 1e6:.2f} µs/ev"


def print_table() -> None:
    heads = ("workload", "ours", "SDK / reference", "ratio", "goal", "")
    cells = [
        (
            r.workload,
            r.ours,
            r.reference,
            f"{r.ratio:.2f}x" if r.ratio is not None else "",
            r.goal,
            "" if r.met is None else ("met" if r.met else "MISSED"),
        )
        for r in ROWS
    ]
    widths = [max(len(c[i]) for c in [heads, *cells]) for i in range(len(heads))]
    line = "  ".join(
        h.ljust(w) if i in (0, 1, 2, 4) else h.rjust(w)
        for i, (h, w) in enumerate(zip(heads, widths, strict=True))
    )
    print(line)
    print("-" * len(line))
    for c in cells:
        print(
            "  ".join(
                v.ljust(w) if i in (0, 1, 2, 4) else v.rjust(w)
                for i, (v, w) in enumerate(zip(c, widths, strict=True))
            )
        )


def machine_line() -> str:
    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "?"

    packages = ("anthropic", "httpx2", "httpx-sse", "jiter", "pydantic-core", "reactivex")
    versions = ", ".join(f"{name} {version(name)}" for name in packages)
    return (
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]} ({sys.platform}); "
        f"anthropic_rx {arx.__version__}; {versions}"
    )


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


class FakeResponse:
    """A sync streaming response (``iter_bytes``/``close``) over recorded chunks."""

    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks
        self.closed = False

    def iter_bytes(self) -> Iterator[bytes]:
        yield from self._chunks

    def close(self) -> None:
        self.closed = True


def mixed_stream(text_deltas: int, tool_deltas: int) -> core.Stream:
    """A text block of *text_deltas* deltas, then a tool_use block of *tool_deltas*."""
    text = core.text_stream(text_deltas)
    tool = core.tool_stream(tool_deltas)
    frames = [f for s in (text, tool) for f in b"".join(s.chunks).split(b"\n\n") if f.strip(b"\n")]
    # text: message_start … content_block_stop; tool: content_block_start … message_stop
    text_frames = frames[: text.events - 2]  # without its message_delta and message_stop
    tool_frames = frames[text.events + 1 :]  # without its message_start
    tool_frames = [f.replace(b'"index":0', b'"index":1') for f in tool_frames]
    data = b"\n\n".join(text_frames + tool_frames) + b"\n\n"
    chunks = [data[i : i + core.CHUNK] for i in range(0, len(data), core.CHUNK)]
    label = f"{text_deltas:,} text + {tool_deltas:,} tool deltas"
    return core.Stream(label, text_deltas + tool_deltas, chunks, len(text_frames + tool_frames))


def sdk_client(chunks: list[bytes]) -> anthropic.Anthropic:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(
            200,
            headers={"content-type": "text/event-stream"},
            stream=core._Body(chunks),
            request=request,
        )

    return anthropic.Anthropic(
        api_key="sk-test",
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
        max_retries=0,
    )


# ---------------------------------------------------------------------------------------------
# 1 and 2: bytes → final message (bench_core), and decoding (bench_sse)
# ---------------------------------------------------------------------------------------------


def final_message_rows(repeat: int, budget: float) -> None:
    t: dict[tuple[str, int], dict[str, float]] = {}
    for n in (1_000, 16_000):
        t["text", n] = core.measure(core.text_stream(n), repeat, budget)
    for n in (1_000, 4_000, 16_000):
        t["tool", n] = core.measure(core.tool_stream(n), repeat, budget)
    table = core.measure(core.tool_stream(4_000, structured=True), repeat, budget)

    text = t["text", 16_000]
    row(
        "1. bytes→final message, 16,000 text deltas",
        us(text["ours"] / 1e6),
        us(text["SDK"] / 1e6),
        text["SDK"] / text["ours"],
        "SDK/ours ≥ 10x",
        text["SDK"] / text["ours"] >= 10,
    )
    row(
        "1. … vs the floor (split + jiter per data line)",
        us(text["ours"] / 1e6),
        f"floor {us(text['floor'] / 1e6)}",
        text["ours"] / text["floor"],
        "ours/floor ≤ 4x",
        text["ours"] / text["floor"] <= 4,
    )
    flat = t["text", 16_000]["ours"] / t["text", 1_000]["ours"]
    row(
        "1. per-event cost, text 1,000→16,000",
        f"{t['text', 1_000]['ours']:.2f}→{t['text', 16_000]['ours']:.2f} µs",
        f"SDK {t['text', 1_000]['SDK']:.1f}→{t['text', 16_000]['SDK']:.1f} µs",
        flat,
        "≤ 1.5x",
        flat <= 1.5,
    )
    for n in (4_000, 16_000):
        tool = t["tool", n]
        ratio = tool["SDK"] / tool["ours"]
        row(
            f"2. bytes→final message, tool input in {n:,} deltas",
            us(tool["ours"] / 1e6),
            us(tool["SDK"] / 1e6),
            ratio,
            "SDK/ours ≥ 50x" if n == 4_000 else "",
            ratio >= 50 if n == 4_000 else None,
        )
    row(
        "2. … many small values (table), 4,000 deltas",
        us(table["ours"] / 1e6),
        us(table["SDK"] / 1e6),
        table["SDK"] / table["ours"],
    )
    flat = t["tool", 16_000]["ours"] / t["tool", 1_000]["ours"]
    row(
        "2. per-event cost, tool 1,000→16,000",
        f"{t['tool', 1_000]['ours']:.2f}→{t['tool', 16_000]['ours']:.2f} µs",
        f"SDK {t['tool', 1_000]['SDK']:.1f}→{t['tool', 16_000]['SDK']:.1f} µs",
        flat,
        "≤ 1.5x",
        flat <= 1.5,
    )


def decoding_rows(repeat: int, quick: bool) -> None:
    stream = sse.realistic_stream()
    t = sse.measure(sse.chunks_of(stream, 4096), 16_000, repeat)
    per = {name: seconds / 16_000 for name, seconds in t.items()}
    row("decode 16,000 events (4 KiB chunks), SDK", us(per["ours"]), us(per["SDK"]),
        per["SDK"] / per["ours"])  # fmt: skip
    row("decode 16,000 events, httpx-sse", us(per["ours"]), us(per["httpx-sse"]),
        per["httpx-sse"] / per["ours"])  # fmt: skip
    row("decode 16,000 events, ours/floor", us(per["ours"]), f"floor {us(per['floor'])}",
        per["ours"] / per["floor"])  # fmt: skip

    big = sse.big_event()
    chunks = sse.chunks_of(big, 1024)
    sse.check(chunks, 1)
    ours = sse.best_time(sse.ours, chunks, 1 if quick else 3)
    sdk = sse.best_time(sse.official_sdk, chunks, 1)
    row(
        "5. one 10 MiB event, 1 KiB chunks (decoder)",
        f"{ours * 1e3:.1f} ms",
        f"SDK {sdk * 1e3:.0f} ms",
        sdk / ours,
        "ours ≤ 0.3 s",
        ours <= 0.3,
    )
    peak = sse.peak_memory(sse.ours, chunks)
    sdk_peak = sse.peak_memory(sse.official_sdk, chunks)
    row(
        "5. … peak memory (tracemalloc) / event size",
        f"{peak / 2**20:.1f} MiB",
        f"event {len(big) / 2**20:.1f} MiB; SDK {sdk_peak / 2**20:.1f} MiB",
        peak / len(big),
        "≤ 3x",
        peak / len(big) <= 3,
    )


# ---------------------------------------------------------------------------------------------
# 3: on_tool_input() reading .snapshot at every delta, vs the SDK's InputJsonEvent.snapshot
# ---------------------------------------------------------------------------------------------


def ours_snapshots(stream: core.Stream) -> Callable[[], Any]:
    chunks = stream.chunks

    def run() -> Any:
        last: list[Any] = [None]

        def read(update: Any) -> None:
            last[0] = update.snapshot

        arx.from_bytes(chunks).pipe(on_tool_input()).subscribe(read)
        return last[0]

    return run


def sdk_snapshots(stream: core.Stream) -> Callable[[], Any]:
    client = sdk_client(stream.chunks)

    def run() -> Any:
        last = None
        with client.messages.stream(
            model="claude-haiku-4-5", max_tokens=1024, messages=[{"role": "user", "content": "hi"}]
        ) as s:
            for event in s:
                if event.type == "input_json":
                    last = event.snapshot
        return last

    return run


def snapshot_rows(repeat: int, budget: float, quick: bool) -> None:
    for structured, kind in ((False, "one long string"), (True, "many small values")):
        per: dict[tuple[str, int], float] = {}
        for n in (1_000, 16_000):
            stream = core.tool_stream(n, structured=structured)
            ours, theirs = ours_snapshots(stream), sdk_snapshots(stream)
            gc.collect()
            gc.disable()
            try:
                start = time.perf_counter()
                expected = theirs()  # the SDK's first run checks ours and counts as a run
                first = time.perf_counter() - start
            finally:
                gc.enable()
            if ours() != expected:
                raise SystemExit(f"{stream.label}: our last snapshot differs from the SDK's")
            per["ours", n] = core.best_of(ours, repeat, budget) / stream.events
            if not (quick or (structured and n == 16_000)):  # that one is ~8 s a run
                first = min(first, core.best_of(theirs, repeat - 1, budget))
            per["SDK", n] = first / stream.events
        row(
            f"3. on_tool_input .snapshot each delta, 16,000, {kind}",
            us(per["ours", 16_000]),
            us(per["SDK", 16_000]),
            per["SDK", 16_000] / per["ours", 16_000],
        )
        flat = per["ours", 16_000] / per["ours", 1_000]
        row(
            f"3. … per-event cost 1,000→16,000, {kind}",
            f"{per['ours', 1_000] * 1e6:.2f}→{per['ours', 16_000] * 1e6:.2f} µs",
            f"SDK {per['SDK', 1_000] * 1e6:.1f}→{per['SDK', 16_000] * 1e6:.1f} µs "
            f"({per['SDK', 16_000] / per['SDK', 1_000]:.1f}x)",
            flat,
            "ours ≤ 1.5x (flat)",
            flat <= 1.5,
        )


# ---------------------------------------------------------------------------------------------
# 4: four pipelines on one MessageStream, vs final_message() alone
# ---------------------------------------------------------------------------------------------


def final_alone(chunks: list[bytes]) -> Any:
    return arx.from_response(FakeResponse(chunks)).pipe(final_message()).run()


def full_pipeline(chunks: list[bytes]) -> Any:
    stream = arx.from_response(FakeResponse(chunks))
    done = threading.Semaphore(0)
    seen = [0, 0, 0]

    def count(i: int) -> Callable[[Any], None]:
        def on_next(_: Any) -> None:
            seen[i] += 1

        return on_next

    for i, operator in enumerate((accumulate(), text_only(), on_tool_input())):
        stream.pipe(operator).subscribe(count(i), on_completed=done.release)
    message = stream.pipe(final_message()).run()
    for _ in range(3):
        if not done.acquire(timeout=30):
            raise SystemExit("a pipeline did not complete")
    return message, seen


def pipeline_rows(repeat: int, budget: float) -> None:
    for stream in (core.text_stream(16_000), mixed_stream(8_000, 8_000)):
        chunks = stream.chunks
        message, seen = full_pipeline(chunks)
        assert message == final_alone(chunks)
        assert seen[0] > 0, seen
        assert seen[1] > 0, seen
        alone = core.best_of(lambda c=chunks: final_alone(c), repeat, budget)
        full = core.best_of(lambda c=chunks: full_pipeline(c), repeat, budget)
        row(
            f"4. accumulate+text_only+on_tool_input+final, {stream.label}",
            us(full / stream.events),
            f"final_message alone {us(alone / stream.events)}",
            full / alone,
            "≤ 1.5x",
            full / alone <= 1.5,
        )


# ---------------------------------------------------------------------------------------------
# 6: what a completed MessageStream retains (the replay buffer) vs the raw bytes
# ---------------------------------------------------------------------------------------------


def retained(chunks: list[bytes]) -> tuple[int, arx.MessageStream]:
    final_alone(chunks)  # warm caches (pydantic, imports) outside the measurement
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        stream = arx.from_response(FakeResponse(chunks))
        message = stream.pipe(final_message()).run()
        stream.wait(30)
        del message
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - base, stream
    finally:
        tracemalloc.stop()


def replay_rows() -> None:
    streams = [("16,000 text deltas", core.text_stream(16_000).chunks)]
    if REAL.exists():
        data = REAL.read_bytes()
        chunks = [data[i : i + core.CHUNK] for i in range(0, len(data), core.CHUNK)]
        streams.append((f"recording {REAL.name}", chunks))
    for label, chunks in streams:
        size = sum(map(len, chunks))
        kept, stream = retained(chunks)
        steps = len(stream._steps)
        row(
            f"6. replay buffer of a done MessageStream, {label}",
            f"{kept / 2**20:.2f} MiB ({steps:,} steps)",
            f"raw bytes {size / 2**20:.2f} MiB",
            kept / size,
            "≤ 2x the bytes",
            kept / size <= 2,
        )


# ---------------------------------------------------------------------------------------------
# 7: concurrent streams through the emulator (bench_load)
# ---------------------------------------------------------------------------------------------


def load_rows(streams: int) -> None:
    single, many = load.measure(streams, 500, "asyncio", same_prompt=True)
    per_stream = single.events
    lost = sum(per_stream - c for c in many.counts)
    complete = len(many.counts) == streams and all(c == per_stream for c in many.counts)
    row(
        f"7. {streams:,} concurrent streams: events delivered",
        f"{many.events:,}",
        f"expected {streams * per_stream:,} ({streams:,} x {per_stream})",
        None,
        "none lost",
        complete and lost == 0,
    )
    ratio = many.cpu_per_event / single.cpu_per_event
    row(
        f"7. client CPU/event, {streams:,} streams vs 1",
        us(many.cpu_per_event),
        f"1 stream {us(single.cpu_per_event)}",
        ratio,
        "≤ 2x",
        ratio <= 2,
    )
    per_core = 1 / (load.PACE * many.cpu_per_event)
    row(
        "7. streams per core at 100 events/s each",
        f"{per_core:,.0f}",
        f"{many.events_per_second:,.0f} events/s wall",
        None,
    )


# ---------------------------------------------------------------------------------------------
# 8: partial objects (bench_partial): partial_output(Model) per event, vs the SDK's re-parse
# ---------------------------------------------------------------------------------------------


def partial_rows(repeat: int, budget: float) -> None:
    for workload, ours, reference, ratio, goal, met in partial.rows(
        (1_000, 16_000), repeat, budget
    ):
        row(workload, ours, reference, ratio, goal, met)


# ---------------------------------------------------------------------------------------------
# 9: the conversation loop (bench_conversation)
# ---------------------------------------------------------------------------------------------


def conversation_rows(quick: bool) -> None:
    cost, tools, early = conversation.measure(quick)
    ratio = cost.ours_wall / cost.hand_wall
    row(
        f"9. conversation loop, wall per turn ({cost.turns} turns)",
        f"{cost.ours_wall * 1e3:.2f} ms",
        f"by hand {cost.hand_wall * 1e3:.2f} ms; SDK tool runner {cost.sdk_wall * 1e3:.2f} ms",
        ratio,
        "ours/by hand ≤ 1.10x",
        ratio <= 1.10,
    )
    row(
        "9. … client CPU per turn",
        f"{cost.ours_cpu * 1e3:.2f} ms",
        f"by hand {cost.hand_cpu * 1e3:.2f} ms; SDK tool runner {cost.sdk_cpu * 1e3:.2f} ms",
        cost.ours_cpu / cost.hand_cpu,
    )
    row(
        "9. four parallel tools of 1 s: the tool phase",
        f"{tools.phase:.2f} s",
        f"in a row {tools.serial:.2f} s",
        tools.serial / tools.phase,
        "≤ 1.2 s",
        tools.phase <= 1.2,
    )
    row(
        "9. early start, slow first tool (1 s): tool phase ends",
        f"{early.early:.2f} s (saved {early.saved:.2f} s)",
        f"started at the turn's end {early.late:.2f} s",
        early.late / early.early,
        f"reported (stream after call 1: {early.stream_after_first:.2f} s)",
        None,
    )


# ---------------------------------------------------------------------------------------------
# 10: the web relay (bench_relay)
# ---------------------------------------------------------------------------------------------


def relay_rows(quick: bool) -> None:
    fan_outs, stall = relay.measure(quick)
    for r in fan_outs:
        row(
            f"10. relay: 1 stream to {r.clients} SSE clients ({r.events} events)",
            f"{r.cpu_per_event_client * 1e6:.2f} µs CPU/ev/client",
            f"{r.memory_per_client / 1024:.1f} KiB per client; wall {r.wall:.2f} s",
            None,
        )
    row(
        f"10. relay: a tab that reads nothing for {stall.seconds:.0f} s",
        f"{stall.beyond_buffer / 1024:.0f} KiB beyond the shared buffer",
        f"shared buffer {stall.relay_bytes / 1024:.0f} KiB",
        None,
        "bounded (≤ 1 MiB)",
        stall.beyond_buffer <= 1024 * 1024,
    )


# ---------------------------------------------------------------------------------------------
# 11: the live path (bench_live): over a socket, many streams, memory
# ---------------------------------------------------------------------------------------------


def live_rows(quick: bool) -> None:
    for workload, ours, reference, ratio, goal, met in live.rows(live.measure(quick)):
        row(workload, ours, reference, ratio, goal, met)


# ---------------------------------------------------------------------------------------------
# 12: batches (bench_batches): results in constant memory, polling per batch-hour
# ---------------------------------------------------------------------------------------------


def batch_rows() -> None:
    for workload, ours, reference, ratio, goal, met in batches.rows():
        row(workload, ours, reference, ratio, goal, met)


# ---------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a shorter run (a few minutes)")
    parser.add_argument(
        "--only",
        choices=["core", "conversations", "relay", "live", "batches"],
        default=None,
        help="run only these rows (core: sections 1 to 8, the in-memory ones and the load)",
    )
    args = parser.parse_args()
    repeat, budget = (2, 1.5) if args.quick else (5, 6.0)
    started = time.perf_counter()
    print(machine_line(), file=sys.stderr)
    if args.only in (None, "core"):
        final_message_rows(repeat, budget)
        snapshot_rows(repeat, budget, args.quick)
        pipeline_rows(repeat, budget)
        decoding_rows(3 if args.quick else 9, args.quick)
        replay_rows()
        load_rows(200 if args.quick else 1000)
        partial_rows(repeat, budget)
    if args.only in (None, "conversations"):
        conversation_rows(args.quick)
    if args.only in (None, "relay"):
        relay_rows(args.quick)
    if args.only in (None, "live"):
        live_rows(args.quick)
    if args.only in (None, "batches"):
        batch_rows()
    elapsed = time.perf_counter() - started
    print()
    print_table()
    print(f"\n{machine_line()}")
    print(
        f"best of {repeat} (gc paused), 4 KiB chunks; "
        f"{'--quick, ' if args.quick else ''}{elapsed:.0f} s in all"
    )


if __name__ == "__main__":
    main()
