"""Partial objects: `partial_output(Model)` per event, 1,000 → 16,000 deltas, against the SDK.

The stream is a structured answer (``output_format=``): one text block whose text deltas are
the JSON of a model, about 10 bytes each, in two shapes, as in bench 3: a file write (one long
string) and a table (a list of small objects). Ours: `partial_output(Model)` over the bytes,
one `Partial[Model]` (a ``model_construct``-ed instance) each time the value changes. The
SDK's equivalent: its ``MessageStream`` over the same bytes, re-parsing the accumulated text
with jiter's partial mode (its partial JSON parser) at every text event — the parse alone,
no model built. The claim: our per-event cost stays flat as the stream grows; theirs grows
with it.

``python bench/bench_partial.py`` prints the rows; ``--quick`` runs 200 → 1,600 deltas.
`bench/run.py` includes it as section 8.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from collections.abc import Callable
from itertools import pairwise
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
import bench_core as core  # noqa: E402
import httpx2  # noqa: E402
import jiter  # noqa: E402
import pydantic  # noqa: E402

from anthropic_rx.operators import partial_output  # noqa: E402


class FileWrite(pydantic.BaseModel):
    path: str
    mode: int
    content: str
    force: bool


class Row(pydantic.BaseModel):
    id: int
    x: float
    ok: bool
    t: str


class Table(pydantic.BaseModel):
    rows: list[Row]


def document(n: int, *, table: bool) -> dict[str, Any]:
    """About 10 bytes of JSON per delta: a file write, or a table of small rows."""
    target = 10 * n
    if table:
        rows: list[dict[str, Any]] = []
        while len(json.dumps({"rows": rows})) < target:
            i = len(rows)
            rows.append({"id": i, "x": round(-1.5e-3 * i, 6), "ok": i % 2 == 0, "t": "ab"})
        return {"rows": rows}
    lines: list[str] = []
    while sum(len(line) + 3 for line in lines) < target:
        lines.append(f'line {len(lines)}: print("x = {len(lines) * 7 - 3}")')
    return {"path": "src/app.py", "mode": 420, "content": "\n".join(lines), "force": True}


def answer_stream(n: int, *, table: bool) -> core.Stream:
    """A text block whose *n* text deltas are the document's JSON."""
    text = json.dumps(document(n, table=table))
    cuts = [len(text) * i // n for i in range(n + 1)]
    body = [{"type": "text_delta", "text": text[a:b]} for a, b in pairwise(cuts)]
    label = f"answer JSON ({'table' if table else 'file write'}), {n:,} text_delta"
    return core._stream(label, n, {"type": "text", "text": ""}, body)  # pyright: ignore[reportPrivateUsage]


def ours(stream: core.Stream, model: type[pydantic.BaseModel]) -> Callable[[], Any]:
    def run() -> Any:
        seen: list[Any] = [None, 0]

        def on_next(partial: Any) -> None:
            seen[0] = partial
            seen[1] += 1

        arx.from_bytes(stream.chunks).pipe(partial_output(model)).subscribe(on_next)
        return seen[0].data

    return run


def sdk(stream: core.Stream) -> Callable[[], Any]:
    chunks = stream.chunks

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(
            200,
            headers={"content-type": "text/event-stream"},
            stream=core._Body(chunks),  # pyright: ignore[reportPrivateUsage]
            request=request,
        )

    client = anthropic.Anthropic(
        api_key="sk-bench",
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
        max_retries=0,
    )

    def run() -> Any:
        last = None
        with client.messages.stream(
            model="claude-haiku-4-5", max_tokens=1024, messages=[{"role": "user", "content": "hi"}]
        ) as s:
            for event in s:
                if event.type == "text":
                    last = jiter.from_json(event.snapshot.encode(), partial_mode="trailing-strings")
        return last

    return run


Row_ = tuple[str, str, str, float | None, str, bool | None]


def rows(sizes: tuple[int, int], repeat: int, budget: float) -> list[Row_]:
    """The table rows: per-event cost at both sizes, ours and the SDK's, for both shapes."""
    small, large = sizes
    out: list[Row_] = []
    for table, model, kind in ((False, FileWrite, "one long string"), (True, Table, "table")):
        per: dict[tuple[str, int], float] = {}
        for n in sizes:
            stream = answer_stream(n, table=table)
            mine, theirs = ours(stream, model), sdk(stream)
            gc.collect()
            gc.disable()
            try:
                start = time.perf_counter()
                expected = theirs()  # the SDK's first run checks ours and counts as a run
                first = time.perf_counter() - start
            finally:
                gc.enable()
            if mine() != expected:
                raise SystemExit(f"{stream.label}: our last partial differs from the SDK's parse")
            per["ours", n] = core.best_of(mine, repeat, budget) / stream.events
            if n == small:
                first = min(first, core.best_of(theirs, repeat - 1, budget))
            per["SDK", n] = first / stream.events
        flat = per["ours", large] / per["ours", small]
        out.append(
            (
                f"8. partial_output each delta, {large:,}, {kind}",
                f"{per['ours', large] * 1e6:.2f} µs/ev",
                f"{per['SDK', large] * 1e6:.2f} µs/ev",
                per["SDK", large] / per["ours", large],
                "",
                None,
            )
        )
        out.append(
            (
                f"8. … per-event cost {small:,}→{large:,}, {kind}",
                f"{per['ours', small] * 1e6:.2f}→{per['ours', large] * 1e6:.2f} µs",
                f"SDK {per['SDK', small] * 1e6:.1f}→{per['SDK', large] * 1e6:.1f} µs "
                f"({per['SDK', large] / per['SDK', small]:.1f}x)",
                flat,
                "ours ≤ 1.5x (flat)",
                flat <= 1.5,
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 → 1,600 deltas, 2 repeats")
    args = parser.parse_args()
    sizes, repeat, budget = ((200, 1_600), 2, 1.0) if args.quick else ((1_000, 16_000), 5, 6.0)
    for workload, mine, reference, ratio, goal, met in rows(sizes, repeat, budget):
        r = f"{ratio:.2f}x" if ratio is not None else ""
        verdict = "" if met is None else (" ✓" if met else " ✗")
        print(f"{workload}: {mine} | {reference} | {r} {goal}{verdict}")


if __name__ == "__main__":
    main()
