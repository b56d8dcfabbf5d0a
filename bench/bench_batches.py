"""Batches: 100,000 results through the pipeline in constant memory, and polite polling.

Run ``python bench/bench_batches.py`` (or as section 10 of ``bench/run.py``). Against the
emulator in this process (its batch processes at once, its results file is written lazily
in 64 KiB pieces), for batches of 1,000, 10,000 and 100,000 requests:

- **time per result**: ``attach(client, id).results()`` counted to its end (retrieve, the
  JSONL file over HTTP, each line validated into a ``Message``, ``Tagged`` items through
  Rx), against the official SDK's ``client.messages.batches.results(id)`` iterated;
- **peak memory** (tracemalloc, the emulator's allocations included) while reading the
  results, both ways: flat in the batch size means nothing is kept per result.

Polling: a batch that takes an hour, at 1/1000 scale (3.6 s, the run's intervals scaled by
the same factor), counting the status requests the run sends: requests per batch-hour.
"""

from __future__ import annotations

import gc
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
try:
    import anthropic_rx as arx
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, str(HERE.parent / "src"))
    import anthropic_rx as arx

import anthropic  # noqa: E402
from reactivex import operators as ops  # noqa: E402

from anthropic_rx.batches import attach  # noqa: E402
from anthropic_rx.emulator import Emulator  # noqa: E402

KEY = "sk-bench-batches-0123456789abcdef"
SIZES = (1_000, 10_000, 100_000)
MiB = 1024 * 1024


@dataclass(frozen=True)
class Reading:
    size: int
    ours_per_result: float  # seconds
    sdk_per_result: float
    ours_peak: float  # bytes
    sdk_peak: float


@dataclass(frozen=True)
class Polling:
    polls: int  # status requests in one (scaled) batch-hour
    expected: int  # the schedule's count, computed


def _requests(n: int) -> dict[str, dict[str, Any]]:
    return {
        f"r{i}": {
            "model": "claude-emulated",
            "max_tokens": 16,
            "messages": [{"role": "user", "content": f"Summarise item {i}"}],
        }
        for i in range(n)
    }


def _peak(work: Callable[[], int]) -> tuple[int, float]:
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    count = work()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return count, peak


def _timed(work: Callable[[], int]) -> tuple[int, float]:
    gc.collect()
    started = time.perf_counter()
    count = work()
    return count, time.perf_counter() - started


def reading(sizes: tuple[int, ...] = SIZES) -> list[Reading]:
    """Read each size's results both ways: time per result and peak memory."""
    out: list[Reading] = []
    with Emulator(options={"batch_time": 0}) as emu:
        client = arx.Client(api_key=KEY, base_url=emu.base_url)
        sdk = anthropic.Anthropic(api_key=KEY, base_url=emu.base_url, max_retries=0)
        try:
            for size in sizes:
                batch = client.messages.batches.create(_requests(size))

                def ours(batch_id: str = batch.id) -> int:
                    results = attach(client, batch_id, poll_interval=0.01).results()
                    return int(results.pipe(ops.count()).run())

                def theirs(batch_id: str = batch.id) -> int:
                    return sum(1 for _ in sdk.messages.batches.results(batch_id))

                n_ours, t_ours = _timed(ours)
                n_sdk, t_sdk = _timed(theirs)
                assert n_ours == n_sdk == size, (n_ours, n_sdk, size)
                _, m_ours = _peak(ours)
                _, m_sdk = _peak(theirs)
                out.append(Reading(size, t_ours / size, t_sdk / size, m_ours, m_sdk))
                client.messages.batches.delete(batch.id)
                emu.reset()  # the request records (a 100,000-request body) go too
        finally:
            client.close()
            sdk.close()
    return out


def schedule(hour: float, first: float, cap: float, factor: float) -> int:
    """Polls the run's schedule makes in *hour* seconds (no change seen: pure backoff)."""
    polls, t, delay = 0, 0.0, first
    while t + delay <= hour:
        t += delay
        polls += 1
        delay = min(delay * factor, cap)
    return polls + 1  # and the one that sees the end


def polling(scale: float = 1 / 1000) -> Polling:
    """Count the status requests of a run over a batch that takes one (scaled) hour."""
    hour = 3600 * scale
    with (
        Emulator(options={"batch_time": hour, "counts": "at_end"}) as emu,
        arx.Client(api_key=KEY, base_url=emu.base_url) as client,
    ):
        batch = client.messages.batches.create(_requests(10))
        run = attach(client, batch.id, poll_interval=1.0 * scale, max_poll_interval=60 * scale)
        run.pipe(ops.count()).run()
        polls = run.latest.polls if run.latest else 0
    return Polling(polls, schedule(3600, 1.0, 60.0, 1.5))


def rows(
    sizes: tuple[int, ...] = SIZES,
) -> list[tuple[str, str, str, float | None, str, bool | None]]:
    """The table rows: (workload, ours, reference, ratio, goal, met)."""
    readings = reading(sizes)
    smallest = readings[0]
    table: list[tuple[str, str, str, float | None, str, bool | None]] = [
        (
            f"12. batch results, {r.size:,} through the pipeline: time per result",
            f"{r.ours_per_result * 1e6:.1f} µs",
            f"SDK results() {r.sdk_per_result * 1e6:.1f} µs",
            r.ours_per_result / r.sdk_per_result,
            "reported",
            None,
        )
        for r in readings
    ]
    table.extend(
        (
            f"12. … peak memory reading {r.size:,} results",
            f"{r.ours_peak / MiB:.1f} MiB",
            f"SDK {r.sdk_peak / MiB:.1f} MiB",
            r.ours_peak / r.sdk_peak if r.sdk_peak else None,
            "flat: ≤ 2x the 1,000-result peak",
            r.ours_peak <= 2 * smallest.ours_peak + MiB,
        )
        for r in readings
    )
    poll = polling()
    table.append(
        (
            "12. polling: status requests per batch-hour",
            f"{poll.polls}",
            f"the schedule: {poll.expected} (1 s, x1.5, at most every 60 s)",
            None,
            "≤ 70 (about one a minute once settled)",
            poll.polls <= 70,
        )
    )
    return table


def main() -> None:
    for workload, ours, reference, ratio, goal, met in rows(SIZES):
        r = f"{ratio:.2f}x" if ratio is not None else ""
        state = "" if met is None else ("met" if met else "MISSED")
        print(f"{workload}: {ours} | {reference} | {r} | {goal} {state}")


if __name__ == "__main__":
    main()
