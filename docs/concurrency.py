"""Regenerate the README's picture of many streams at once, docs/concurrency.png.

Run from anywhere, with the project's environment::

    .venv/bin/python docs/concurrency.py                 # writes docs/concurrency.png
    .venv/bin/python docs/concurrency.py --out x.png     # elsewhere

Eight requests go to the built-in emulator (offline) through `stream_sources` and
`merge_tagged` with ``max_concurrent=3``, and a `Timeline` records when each stream's request
went out and when its events arrived. The picture shows the bound: a request starts only when
one of the three slots frees. The third request is answered 429 once (``retry-after: 1``):
the client retries it after a second, and the requests not started yet wait for that
second too, instead of all hitting the limit. Times vary a little from run to run.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import anthropic_rx as arx
from anthropic_rx.concurrency import merge_tagged, stream_sources
from anthropic_rx.emulator import Emulator
from anthropic_rx.notebook import Timeline

ROOT = Path(__file__).resolve().parent.parent
REQUESTS = 8
MAX_CONCURRENT = 3


def request(number: int) -> dict[str, Any]:
    """The parameters of request *number*: answers of different lengths, one 429 first."""
    options: dict[str, Any] = {"tokens": 14 + 9 * (number % 3)}
    headers = {"x-emulator-pace": "60", "x-emulator-key": f"request-{number}"}
    if number == 2:
        headers["x-emulator-scenario"] = "F01"  # 429 with retry-after, once
        options |= {"times": 1, "retry_after": 1}
    headers["x-emulator-options"] = json.dumps(options)
    return {
        "model": "claude-sonnet-4-5",
        "max_tokens": 256,
        "messages": [{"role": "user", "content": f"Question {number + 1}"}],
        "extra_headers": headers,
    }


def record(out: Path) -> None:
    """Run the requests, record them, and save the plot to *out*."""
    timeline = Timeline()
    with (
        Emulator() as emulator,
        arx.Client(api_key="sk-emulator", base_url=emulator.base_url) as client,
    ):
        requests = {f"request {n + 1}": request(n) for n in range(REQUESTS)}
        sources = stream_sources(client, requests)
        recorded = {key: source.pipe(timeline.record(key)) for key, source in sources.items()}
        merge_tagged(recorded, max_concurrent=MAX_CONCURRENT).run()  # until every stream ends
    title = (
        f"{REQUESTS} requests, at most {MAX_CONCURRENT} at once; "
        "a 429 on request 3 holds back requests 4 and 5 for its retry-after"
    )
    figure = timeline.plot(title=title)
    figure.savefig(out, dpi=150)  # pyright: ignore[reportUnknownMemberType]
    print("wrote", out)


def main() -> None:
    """Parse the arguments and draw the picture."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "concurrency.png")
    record(parser.parse_args().out)


if __name__ == "__main__":
    main()
