"""Regenerate the README's timeline picture, docs/timeline.png.

Run from anywhere, with the project's environment::

    .venv/bin/python docs/timeline.py                 # writes docs/timeline.png
    .venv/bin/python docs/timeline.py --out x.png     # elsewhere

Four streams run at once against the built-in emulator, offline, and one `Timeline` records
when each event arrived: three models played at their own pace (tokens per second) and
with their own wait before the first token (pings meanwhile, as the API sends them) -- a
text answer, a tool call and extended thinking -- and a response recorded from the real API
(from the shared corpus; left out when the corpus is absent), replayed the same way.
Times vary a little from run to run, as real ones do.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

import anthropic_rx as arx
from anthropic_rx.emulator import Emulator
from anthropic_rx.notebook import Timeline

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("ANTHROPIC_RX_CORPUS", ROOT.parent / "shared" / "corpus"))
RECORDING = CORPUS / "real" / "llm-long-text-99-deltas.sse"
WEATHER: dict[str, Any] = {
    "name": "get_weather",
    "description": "The forecast for a city, for a number of days.",
    "input_schema": {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "days": {"type": "integer"},
            "units": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        },
        "required": ["city"],
    },
}


def played(pace: float, wait: float, **options: Any) -> dict[str, str]:
    """Headers that make the emulator play a model: *pace* tokens/s, *wait* s to the first."""
    options = {"after": 0, "stall": wait, "interval": 0.12, **options}
    return {
        "x-emulator-pace": str(pace),
        "x-emulator-scenario": "F09",  # only pings for `stall` seconds, then the answer
        "x-emulator-options": json.dumps(options),
    }


def record(out: Path) -> None:
    """Run the streams, record them, and save the plot to *out*."""
    timeline = Timeline()
    with (
        Emulator() as emulator,
        arx.Client(api_key="sk-docs", base_url=emulator.base_url) as client,
    ):

        def ask(
            model: str, prompt: str, headers: dict[str, str], **params: Any
        ) -> arx.MessageStream:
            return client.messages.stream(
                model=model,
                max_tokens=2048,
                messages=[{"role": "user", "content": prompt}],
                extra_headers=headers,
                **params,
            )

        streams = {
            "haiku · text": ask(
                "claude-haiku-4-5", "Why stream answers?", played(170, 0.35, tokens=70)
            ),
            "sonnet · tool call": ask(
                "claude-sonnet-4-5",
                "What's the weather in Paris this week?",
                played(60, 0.6, input={"city": "Paris", "days": 5, "units": "celsius"}),
                tools=[WEATHER],
                tool_choice={"type": "tool", "name": "get_weather"},
            ),
            "opus · thinking": ask(
                "claude-opus-4-1",
                "Is 1,001 a prime number?",
                played(75, 0.9, thinking_tokens=45, tokens=45),
                thinking={"type": "enabled", "budget_tokens": 1024},
            ),
        }
        if RECORDING.exists():
            streams["recorded · 99 text deltas"] = ask(
                "claude-sonnet-4-5",
                "(replayed)",
                {"x-emulator-recording": str(RECORDING), **played(170, 0.5)},
            )
        for label, stream in streams.items():
            stream.pipe(timeline.record(label)).subscribe(on_error=print)
        timeline.wait(timeout=60)

    title = f"When each event arrived: {len(streams)} streams, one Timeline"
    figure = timeline.plot(title=title)
    figure.savefig(out, dpi=150)  # pyright: ignore[reportUnknownMemberType]
    for label in timeline.labels():
        print(f"{label:28} first token after {timeline.first_token(label) or 0:.2f} s")
    print("wrote", out)


def main() -> None:
    """Parse the arguments and draw the picture."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "timeline.png")
    record(parser.parse_args().out)


if __name__ == "__main__":
    main()
