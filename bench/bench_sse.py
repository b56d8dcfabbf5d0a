"""Layer 1 benchmark: our SSEDecoder against the official SDK's, httpx-sse's and a floor.

Run it as ``python bench/bench_sse.py``. It needs the ``bench`` extra (anthropic, httpx-sse).

Workloads:

1. one 10 MiB event (a ``content_block_delta`` whose text is 10 MiB) in 1 KiB and in 16 KiB
   chunks: the cost of an event that spans many chunks, plus peak memory (tracemalloc);
2. a realistic stream of 16,000 ``text_delta`` events, as the API frames them, in 4 KiB
   chunks: the cost per event of the common case (a replay, or a fast stream read in bulk);
   and the same stream one event a chunk, as a live stream arrives when reads keep up.

Every decoder is fed the same chunks in one process, and each time is the best of several
runs (``time.perf_counter``). The "floor" splits on ``b"\\n\\n"`` and parses each ``data:``
line with jiter, and nothing else: no spec rules, no event objects.
"""

from __future__ import annotations

import gc
import json
import time
import tracemalloc
from collections.abc import Callable, Iterable
from typing import Any

import jiter

from anthropic_rx._sse import SSEDecoder

__all__ = ["main"]

Chunks = list[bytes]


def chunks_of(data: bytes, size: int) -> Chunks:
    return [data[i : i + size] for i in range(0, len(data), size)]


def big_event(size: int = 10 * 1024 * 1024) -> bytes:
    text = ("All work and no play makes Jack a dull boy. " * (size // 44 + 1))[:size]
    delta = {"type": "text_delta", "text": text}
    payload = {"type": "content_block_delta", "index": 0, "delta": delta}
    return b"event: content_block_delta\ndata: " + json.dumps(payload).encode() + b"\n\n"


def realistic_stream(events: int = 16_000) -> bytes:
    words = "The quick brown fox jumps over the lazy dog, and then some more words follow. "
    blocks: list[str] = []
    for i in range(events):
        delta = {"type": "text_delta", "text": words[i % 60 : i % 60 + 1 + i % 17]}
        payload = {"type": "content_block_delta", "index": 0, "delta": delta}
        data = json.dumps(payload, separators=(",", ":"))
        blocks.append(f"event: content_block_delta\ndata: {data}\n\n")
    return "".join(blocks).encode()


def one_event_a_chunk(stream: bytes) -> Chunks:
    """The chunks of a live stream read as fast as the server writes: one event each."""
    return [block + b"\n\n" for block in stream.split(b"\n\n")[:-1]]


# -- the decoders, each fed a list of chunks and returning a list of events ------------------


def ours(chunks: Iterable[bytes]) -> list[Any]:
    decoder = SSEDecoder()
    events = [event for chunk in chunks for event in decoder.decode(chunk)]
    return events + decoder.flush()


def ours_bounded(chunks: Iterable[bytes]) -> list[Any]:
    decoder = SSEDecoder(max_event_bytes=16 * 1024 * 1024)
    events = [event for chunk in chunks for event in decoder.decode(chunk)]
    return events + decoder.flush()


def official_sdk(chunks: Iterable[bytes]) -> list[Any]:
    from anthropic._streaming import SSEDecoder as SDKDecoder

    return list(SDKDecoder().iter_bytes(iter(chunks)))


def httpx_sse(chunks: Iterable[bytes]) -> list[Any]:
    """What ``EventSource.iter_sse()`` does: httpx's text decoding, then httpx-sse's lines."""
    from httpx._decoders import TextDecoder
    from httpx_sse._decoders import SSEDecoder as HttpxSSEDecoder
    from httpx_sse._decoders import SSELineDecoder

    text, lines, sse = TextDecoder(), SSELineDecoder(), HttpxSSEDecoder()
    events = [
        event
        for chunk in chunks
        for line in lines.decode(text.decode(chunk))
        if (event := sse.decode(line)) is not None
    ]
    rest = lines.decode(text.flush()) + lines.flush()
    return events + [event for line in rest if (event := sse.decode(line)) is not None]


def floor(chunks: Iterable[bytes]) -> list[Any]:
    """Split on blank lines and parse the data with jiter; nothing else."""
    parsed: list[Any] = []
    pieces: list[bytes] = []
    for chunk in chunks:
        pieces.append(chunk)
        if b"\n" not in chunk:
            continue
        blocks = b"".join(pieces).split(b"\n\n")
        pieces = [blocks.pop()]
        parsed.extend(
            jiter.from_json(line[6:])
            for block in blocks
            for line in block.split(b"\n")
            if line.startswith(b"data: ")
        )
    return parsed


DECODERS: dict[str, Callable[[Iterable[bytes]], list[Any]]] = {
    "ours": ours,
    "SDK": official_sdk,
    "httpx-sse": httpx_sse,
    "floor": floor,
}


# -- measuring ---------------------------------------------------------------------------------


def best_time(decode: Callable[[Chunks], list[Any]], chunks: Chunks, repeats: int) -> float:
    times: list[float] = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        decode(chunks)
        times.append(time.perf_counter() - start)
    return min(times)


def peak_memory(decode: Callable[[Chunks], list[Any]], chunks: Chunks) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        decode(chunks)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def check(chunks: Chunks, count: int) -> None:
    """Every decoder must see the same events before it is timed."""
    for name, decode in DECODERS.items():
        got = len(decode(chunks))
        assert got == count, f"{name} decoded {got} events, expected {count}"


def measure(
    chunks: Chunks, count: int, repeats: int, names: Iterable[str] = tuple(DECODERS)
) -> dict[str, float]:
    """Check every decoder on *chunks*, then the best time in seconds of each in *names*."""
    check(chunks, count)
    return {name: best_time(DECODERS[name], chunks, repeats) for name in names}


def ms(seconds: float) -> str:
    return f"{seconds * 1000:9.1f}"


def main() -> None:
    big = big_event()
    stream = realistic_stream()
    workloads = [
        ("10 MiB event, 1 KiB chunks", chunks_of(big, 1024), 1, 3),
        ("10 MiB event, 16 KiB chunks", chunks_of(big, 16 * 1024), 1, 5),
        ("16,000 text deltas, 4 KiB chunks", chunks_of(stream, 4096), 16_000, 15),
        ("16,000 text deltas, 1 event a chunk", one_event_a_chunk(stream), 16_000, 9),
    ]
    print(f"{'workload':34} {'ours ms':>9} {'SDK ms':>9} {'httpx-sse':>9} {'floor ms':>9}"
          f" {'SDK/ours':>9} {'httpx/ours':>10} {'ours/floor':>10}")  # fmt: skip
    for label, chunks, count, repeats in workloads:
        t = measure(chunks, count, repeats)
        print(
            f"{label:34} {ms(t['ours'])} {ms(t['SDK'])} {ms(t['httpx-sse'])} {ms(t['floor'])}"
            f" {t['SDK'] / t['ours']:8.1f}x {t['httpx-sse'] / t['ours']:9.1f}x"
            f" {t['ours'] / t['floor']:9.2f}x"
        )
        if count > 1:
            per = {name: t[name] / count * 1e6 for name in t}
            print(
                f"{'  per event (µs)':34} {per['ours']:9.3f} {per['SDK']:9.3f}"
                f" {per['httpx-sse']:9.3f} {per['floor']:9.3f}"
            )
    bounded = best_time(ours_bounded, workloads[2][1], 15)
    print(f"{'4 KiB chunks, max_event_bytes=16 MiB':34} {ms(bounded)}")

    print(f"\npeak memory, 10 MiB event in 1 KiB chunks (tracemalloc; the input is {len(big)} B):")
    for name, decode in DECODERS.items():
        print(f"  {name:10} {peak_memory(decode, workloads[0][1]) / 2**20:7.1f} MiB")


if __name__ == "__main__":
    main()
