"""``anthropic-rx demo``: four live streams, merged, in the terminal (extra ``demo``).

With no ``ANTHROPIC_API_KEY`` (or with ``--offline``) it starts the built-in emulator
in-process and needs no network; with a key it runs the same pipelines against the real
API. Four requests run at once through one `Client`, seen through five views:

* two text answers merged side by side (``reactivex.merge`` of two tagged pipelines),
  each drawn at frame rate with `coalesce_text`;
* a tool call whose input forms as it streams (`on_tool_input`, throttled with `latest`);
* extended thinking (`thinking`), then its answer;

and at the end every stream's stop reason and usage (`final_message`). Each pipeline is a
few lines of Rx, all in ``_pipelines.py``; ``_screen.py`` draws them, sized to the terminal
(80x24 and up) so that nothing scrolls away; this module runs the two together.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Generator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ._pipelines import Box, DemoOptions, start, wire
from ._screen import render

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["DemoOptions", "options_from_env", "run_demo"]


@contextmanager
def _endpoint(options: DemoOptions) -> Generator[tuple[str | None, str, str], None, None]:
    """Yield (base URL, API key, where) for the real API or an in-process emulator."""
    if options.api_key and not options.offline:
        yield options.base_url, options.api_key, f"the Anthropic API ({_api_address(options)})"
        return
    try:
        from ..emulator import Emulator
    except ImportError as exc:  # pragma: no cover - the demo extra brings uvicorn
        raise SystemExit("the demo needs the emulator: pip install 'anthropic-rx[demo]'") from exc
    with Emulator(pace=options.pace, seed=7) as emu:
        where = f"the built-in emulator at {emu.base_url} (no network)"
        yield emu.base_url, "sk-ant-demo-emulator-key", where


def _api_address(options: DemoOptions) -> str:
    return options.base_url or "https://api.anthropic.com"


def run_demo(options: DemoOptions, console: Console | None = None) -> int:
    """Run the demo; return the process exit status (0 when every stream ended well)."""
    from rich.console import Console
    from rich.live import Live

    from ..client import Client

    console = console or Console()
    panels = {
        "A": Box("A: text · coalesce_text()"),
        "B": Box("B: text, merged with A"),
        "tool": Box("C: tool input · on_tool_input()"),
        "think": Box("D: thinking · thinking()"),
        "answer": Box("D's answer · text_only()"),
    }
    done = threading.Event()
    errors: list[Exception] = []
    with (
        _endpoint(options) as (base_url, api_key, where),
        Client(api_key=api_key, base_url=base_url) as client,
    ):
        streams = start(client, options, emulated=where.startswith("the built-in"))
        began = time.monotonic()
        frame = render(panels, where, 0.0, console)
        with Live(frame, console=console, refresh_per_second=15, vertical_overflow="crop") as live:
            subs = wire(streams, panels, done.set, errors)
            try:
                while not done.wait(1 / 15):
                    live.update(render(panels, where, time.monotonic() - began, console))
            except KeyboardInterrupt:
                for stream in streams.values():
                    stream.abort()
            finally:
                for sub in subs:
                    sub.dispose()
            live.update(render(panels, where, time.monotonic() - began, console))
    if errors:
        _explain(console, errors, where)
        return 1
    return 0


def _explain(console: Console, errors: list[Exception], where: str) -> None:
    """Say, whole and once, why the streams failed (a panel's last line cuts it short)."""
    from .._exceptions import APIConnectionError

    console.line()  # below the last frame, which ends without a newline off a terminal
    if all(isinstance(e, APIConnectionError) for e in errors):
        console.print(
            f"The demo could not reach {where}: {errors[0]}\n"
            "Check the network (or ANTHROPIC_BASE_URL), or run it offline, against the "
            "built-in emulator: anthropic-rx demo --offline",
            highlight=False,
        )
        return
    for error in dict.fromkeys(errors):  # once each: the streams of one failure share it
        console.print(f"{type(error).__name__}: {error}", highlight=False)


def options_from_env(model: str | None, pace: float, offline: bool = False) -> DemoOptions:
    """Build the options: a key in ``ANTHROPIC_API_KEY`` means the real API, unless *offline*."""
    key = os.environ.get("ANTHROPIC_API_KEY") or None
    options = DemoOptions(api_key=key, base_url=os.environ.get("ANTHROPIC_BASE_URL") or None)
    options.offline = offline
    options.pace = pace
    if model:
        options.model = model
    return options
