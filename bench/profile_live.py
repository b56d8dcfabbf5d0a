"""Our own CPU per event on the live async path, and where it goes (issue 13).

Run ``python bench/profile_live.py`` (a few seconds per figure). It starts
``live_server.py`` in a subprocess (its CPU is not counted) and measures this process's CPU
(``time.process_time``) per event for:

* ``ours``: `AsyncClient` (its default transport: aiohttp when the ``fast`` extra is
  installed) → ``final_message()``;
* ``ours-httpx``: the same with ``transport="httpx"``;
* ``alone``: httpx-aiohttp's ``aiter_raw()`` with nothing decoded (the transport's own cost);
* ``aiohttp``: aiohttp's own API (``iter_any()``), nothing decoded: what the httpx layers add;
* ``memory``: `AsyncClient` over an in-memory httpx transport that hands over the same
  chunks (one event per chunk), no socket: our cost plus httpx's response wrapper.

on the workloads: ``paced`` (50 streams x 100 events/s, one event per TCP write, 203 events
each; ``paced94``: 97 events each, as bench_live's 50-stream figure), ``burst`` (20 streams,
each body in 64 KiB writes, one HTTP chunk per event) and ``short`` (50 streams of 13
events, burst: mostly the per-request cost). Figures are
the best of ``--rounds`` rounds, the contenders interleaved within each round (the machine
is shared: read ratios within one run). ``--profile MODE`` adds a cProfile of that contender
on ``--workload`` (top entries by own time). ``--src A --src B`` compares source trees: each
figure is measured in a fresh subprocess with ``PYTHONPATH`` set to each tree in turn,
interleaved, so an A/B of two checkouts runs under the same load.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import json
import os
import pstats
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_live as live  # noqa: E402
import httpx  # noqa: E402
import live_server  # noqa: E402

AsyncOnce = Callable[[str], Awaitable[int]]
# name: (streams, server mode, text deltas); "paced94" is bench_live's 50-stream figure
# (--quick), "short" the per-request cost (13 events a stream).
WORKLOADS = {
    "paced": (50, "paced", 200),
    "paced94": (50, "paced", 94),
    "burst": (20, "burst", 2000),
    "short": (50, "burst", 10),
    "paced500": (500, "paced", 94),
}


async def ours(url: str) -> tuple[AsyncOnce, Any]:
    return await live.ours_async(url)


async def ours_httpx(url: str) -> tuple[AsyncOnce, Any]:
    return await live.ours_async(url, transport="httpx")


async def alone(url: str) -> tuple[AsyncOnce, Any]:
    from httpx_aiohttp import AiohttpTransport

    limits = httpx.Limits(max_connections=1000, max_keepalive_connections=100)
    return await live.httpx_async(url, AiohttpTransport(limits=limits))


class _Body(httpx.AsyncByteStream):
    def __init__(self, pieces: tuple[bytes, ...]) -> None:
        self._pieces = pieces

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self._pieces:
            yield piece


async def memory(url: str) -> tuple[AsyncOnce, Any]:
    def handler(request: httpx.Request) -> httpx.Response:
        deltas = live.deltas_of(request.headers["x-bench"])
        return httpx.Response(
            200,
            headers={"content-type": "text/event-stream", "request-id": "req_bench"},
            stream=_Body(live_server.frames(deltas)),
        )

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return await live.ours_async(url, http_client=http)


async def aiohttp_alone(url: str) -> tuple[AsyncOnce, Any]:
    import bench_transports

    return await bench_transports.aiohttp_async(url)


MODES: dict[str, Callable[[str], Awaitable[tuple[AsyncOnce, Any]]]] = {
    "ours": ours,
    "aiohttp": aiohttp_alone,
    "ours-httpx": ours_httpx,
    "alone": alone,
    "memory": memory,
}


async def _measure(
    make: Callable[[str], Awaitable[tuple[AsyncOnce, Any]]],
    url: str,
    workload: str,
    profiler: cProfile.Profile | None = None,
) -> float:
    streams, mode, deltas = WORKLOADS[workload]
    s = live.spec(mode, deltas)
    live.prepare(s)
    once, close = await make(url)
    try:
        warm = live.spec("burst", 10)
        await asyncio.gather(*(once(warm) for _ in range(streams)))
        gc.collect()
        if profiler is not None:
            profiler.enable()
        cpu = time.process_time()
        counts = await asyncio.gather(*(once(s) for _ in range(streams)))
        cpu = time.process_time() - cpu
        if profiler is not None:
            profiler.disable()
        return cpu / sum(counts) * 1e6
    finally:
        await close()


def measure(mode: str, url: str, workload: str) -> float:
    return asyncio.run(_measure(MODES[mode], url, workload))


def profile(mode: str, url: str, workload: str, top: int) -> str:
    profiler = cProfile.Profile()
    asyncio.run(_measure(MODES[mode], url, workload, profiler))
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def in_subprocess(src: str, mode: str, url: str, workload: str) -> float:
    env = {**os.environ, "PYTHONPATH": src}
    args = [sys.executable, __file__, "--one", mode, "--url", url, "--workload", workload]
    out = subprocess.run(args, env=env, capture_output=True, text=True, check=True).stdout
    return float(json.loads(out.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--modes", default="ours,alone,memory,ours-httpx")
    parser.add_argument("--workloads", default="paced,burst")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--src", action="append", default=[], help="a source tree (A/B)")
    parser.add_argument("--profile", default="", help="profile this mode on --workload")
    parser.add_argument("--workload", default="burst")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--one", default="", help=argparse.SUPPRESS)
    parser.add_argument("--url", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.url, args.workload)))
        return
    with live.server() as url:
        if args.profile:
            print(profile(args.profile, url, args.workload, args.top))
            return
        keys = [
            (w, m, src)
            for w in args.workloads.split(",")
            for m in args.modes.split(",")
            for src in args.src or [""]
        ]
        best: dict[tuple[str, str, str], float] = {}
        for r in range(args.rounds):
            for key in keys:
                w, m, src = key
                v = in_subprocess(src, m, url, w) if src else measure(m, url, w)
                best[key] = min(best.get(key, v), v)
                print(f"round {r + 1}: {w:6} {m:11} {src:30} {v:7.2f} µs/ev", flush=True)
        print("\nbest of", args.rounds, "(CPU µs per event)")
        for (w, m, src), v in best.items():
            print(f"{w:6} {m:11} {src:30} {v:7.2f}")


if __name__ == "__main__":
    main()
