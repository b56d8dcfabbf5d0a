"""Many concurrent streams through `AsyncClient` and the emulator, on loopback.

Run ``python bench/bench_load.py`` (``--streams 1000 --tokens 500 --backend asyncio``). The
emulator runs in a subprocess (``python -m anthropic_rx.emulator --port N``), so its CPU time
is not counted: ``time.process_time`` of this process is the client's cost alone (httpx,
SSE decoding, parsing, the accumulator, one ``ops.count()`` pipeline per stream).

Reports, for one stream alone and for ``--streams`` at once:

* events/s: events received per second of wall time (bounded by the emulator's single
  process when many streams run at once);
* CPU per event: the client's CPU time divided by the events received, which is what
  decides how many streams one core can keep up with. It includes each stream's fixed costs
  (connection, request, headers), spread over its events (about 200 at ``--tokens 500``);
* streams per core at 100 events/s each (a fast model's pace): ``1 / (100 * cpu_per_event)``.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import anyio
from reactivex import operators as ops

try:
    import anthropic_rx as arx
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    import anthropic_rx as arx

KEY = "sk-ant-bench-0000000000000000"
PACE = 100.0  # events per second per stream, for the "streams per core" figure


@dataclass(frozen=True)
class Result:
    label: str
    streams: int
    events: int
    wall: float
    cpu: float
    counts: tuple[int, ...] = ()  # events received by each stream

    @property
    def events_per_second(self) -> float:
        return self.events / self.wall

    @property
    def cpu_per_event(self) -> float:
        return self.cpu / self.events

    def row(self) -> str:
        per_core = 1.0 / (PACE * self.cpu_per_event)
        return (
            f"{self.label:<22} {self.streams:>7} {self.events:>9} {self.wall:>8.2f} s "
            f"{self.events_per_second:>11,.0f} {self.cpu_per_event * 1e6:>9.1f} µs "
            f"{per_core:>10,.0f}"
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_emulator(port: int) -> subprocess.Popen[bytes]:
    """Start ``python -m anthropic_rx.emulator`` and wait until it accepts connections."""
    command = [sys.executable, "-m", "anthropic_rx.emulator", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--log-level", "warning", "--no-padding"],
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent / "src")},
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            if process.poll() is not None:
                raise SystemExit("the emulator did not start") from None
            time.sleep(0.05)  # a bench script may poll; tests never do
    process.kill()
    raise SystemExit("the emulator did not start within 20 s")


async def run(
    base_url: str, streams: int, tokens: int, label: str, same_prompt: bool = False
) -> Result:
    """Read *streams* streams at once; return the events, wall and client CPU time.

    With *same_prompt* every stream asks what stream 0 asks, so every stream must receive
    exactly the events of a single stream (the emulator's answers are deterministic).
    """
    counts: list[int] = []
    async with arx.AsyncClient(api_key=KEY, base_url=base_url, idle_timeout=60) as client:

        async def one(i: int) -> None:
            prompt = f"Write about pelican {0 if same_prompt else i}, at length."
            stream = client.messages.stream(
                model="claude-bench",
                max_tokens=tokens,
                messages=[{"role": "user", "content": prompt}],
                extra_headers={"x-emulator-options": json.dumps({"tokens": tokens})},
            )
            counts.append(await arx.last_value(stream.pipe(ops.count())))

        wall, cpu = time.perf_counter(), time.process_time()
        async with anyio.create_task_group() as tasks:
            for i in range(streams):
                tasks.start_soon(one, i)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return Result(label, streams, sum(counts), wall, cpu, tuple(counts))


async def bench(
    base_url: str, streams: int, tokens: int, same_prompt: bool = False
) -> list[Result]:
    await run(base_url, 20, tokens, "warm-up")  # connections, imports, caches
    single = await run(base_url, 1, tokens, "1 stream")
    several = [await run(base_url, 1, tokens, "1 stream") for _ in range(5)]
    best = min([single, *several], key=lambda r: r.cpu_per_event)
    label = f"{streams} concurrent streams"
    return [best, await run(base_url, streams, tokens, label, same_prompt)]


def measure(
    streams: int = 1000, tokens: int = 500, backend: str = "asyncio", same_prompt: bool = False
) -> list[Result]:
    """Start the emulator, measure one stream and *streams* at once, stop the emulator."""
    port = free_port()
    emulator = start_emulator(port)
    try:
        url = f"http://127.0.0.1:{port}"
        return anyio.run(bench, url, streams, tokens, same_prompt, backend=backend)
    finally:
        emulator.terminate()
        emulator.wait(10)


def main() -> None:
    """Start the emulator, run the benchmark, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--tokens", type=int, default=500, help="output tokens per stream")
    parser.add_argument("--backend", default="asyncio", choices=["asyncio", "trio"])
    args = parser.parse_args()
    results = measure(args.streams, args.tokens, args.backend)
    print(
        f"{'':<22} {'streams':>7} {'events':>9} {'wall':>10} {'events/s':>11} "
        f"{'CPU/event':>12} {'streams/core @100 ev/s':>10}"
    )
    for result in results:
        print(result.row())
    print(f"(backend {args.backend}, {os.cpu_count()} cores, Python {sys.version.split()[0]})")


if __name__ == "__main__":
    main()
