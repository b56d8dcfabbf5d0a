"""``anthropic-rx demo``: four live streams, merged, in the terminal (extra ``demo``).

With no ``ANTHROPIC_API_KEY`` (or with ``--offline``) it starts the built-in emulator
in-process and needs no network; with a key it runs the same pipelines against the real
API. Four requests run at once through one `Client`, seen through five views:

* two text answers merged side by side (``reactivex.merge`` of two tagged pipelines),
  each drawn at frame rate with `coalesce_text`;
* a tool call whose input forms as it streams (`on_tool_input`, throttled with `latest`);
* extended thinking (`thinking`), then its answer;

and at the end every stream's stop reason and usage (`final_message`). Each pipeline is a
few lines of Rx; the rest of this module is drawing, sized to the terminal (80x24 and up)
so that nothing scrolls away.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Generator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import reactivex
from reactivex import abc
from reactivex import operators as ops

from .operators import (
    coalesce_text,
    final_message,
    latest,
    on_tool_input,
    text_only,
    thinking,
)

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.text import Text

    from .client import Client
    from .events import Message
    from .operators import ToolInputUpdate
    from .sources import MessageStream

__all__ = ["DemoOptions", "run_demo"]

_PROMPT_A = "In three sentences, why do people stream answers from language models?"
_PROMPT_B = "In three sentences, what does a reactive pipeline give a GUI programmer?"
_TOOL_PROMPT = "What's the weather in Paris for the next 5 days? Use the tool."
_THINK_PROMPT = "Is 1,001 a prime number? Think it through, then answer in one sentence."
_WEATHER_TOOL: dict[str, Any] = {
    "name": "get_weather",
    "description": "The forecast for a city, for a number of days.",
    "input_schema": {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "The city, e.g. Paris"},
            "days": {"type": "integer", "minimum": 1, "maximum": 7, "description": "Days ahead"},
            "units": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        },
        "required": ["city"],
    },
}

# What the emulator says in place of a model, for the two text answers (its own generated
# prose is plausible but says nothing about the question). The tool input is its own: it
# fits the schema and takes its values from the prompt.
_SCRIPTED: dict[str, dict[str, Any]] = {
    "A": {
        "text": "Streaming shows the first words at once instead of after the whole answer, so a "
        "reader starts reading while the model is still writing. It also lets a program stop "
        "a long answer early and save tokens. And a tool call can start forming on screen "
        "before its arguments are complete."
    },
    "B": {
        "text": "A pipeline turns a stream of events into exactly what a widget needs: text per "
        "frame, a snapshot of a tool call, a final message. Threads are explicit, so values "
        "land on the GUI thread. And one request feeds every view without being sent twice."
    },
    "think": {"text": "1,001 is not prime: it is 7 times 11 times 13.", "thinking_tokens": 60},
}


@dataclass
class DemoOptions:
    """What ``anthropic-rx demo`` was asked to do."""

    model: str = "claude-sonnet-4-5"
    pace: float = 40.0  # emulator tokens per second
    max_tokens: int = 2048
    api_key: str | None = None
    base_url: str | None = None
    offline: bool = False  # the built-in emulator, even with an API key


@dataclass
class _Panel:
    title: str
    text: str = ""
    done: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, text: str) -> None:
        with self.lock:
            self.text += text

    def set(self, text: str) -> None:
        with self.lock:
            self.text = text


@contextmanager
def _endpoint(options: DemoOptions) -> Generator[tuple[str | None, str, str], None, None]:
    """Yield (base URL, API key, where) for the real API or an in-process emulator."""
    if options.api_key and not options.offline:
        yield options.base_url, options.api_key, f"the Anthropic API ({_api_address(options)})"
        return
    try:
        from .emulator import Emulator
    except ImportError as exc:  # pragma: no cover - the demo extra brings uvicorn
        raise SystemExit("the demo needs the emulator: pip install 'anthropic-rx[demo]'") from exc
    with Emulator(pace=options.pace, seed=7) as emu:
        where = f"the built-in emulator at {emu.base_url} (no network)"
        yield emu.base_url, "sk-ant-demo-emulator-key", where


def _api_address(options: DemoOptions) -> str:
    return options.base_url or "https://api.anthropic.com"


def _scripted(key: str, emulated: bool) -> dict[str, Any]:
    if not emulated or key not in _SCRIPTED:
        return {}
    return {"extra_headers": {"x-emulator-options": json.dumps(_SCRIPTED[key])}}


def _start(client: Client, options: DemoOptions, emulated: bool) -> dict[str, MessageStream]:
    """Open the four streams (nothing is sent until each is subscribed)."""

    def ask(prompt: str, **params: Any) -> MessageStream:
        return client.messages.stream(
            model=options.model,
            max_tokens=options.max_tokens,
            messages=[{"role": "user", "content": prompt}],
            **params,
        )

    return {
        "A": ask(_PROMPT_A, **_scripted("A", emulated)),
        "B": ask(_PROMPT_B, **_scripted("B", emulated)),
        "tool": ask(
            _TOOL_PROMPT,
            tools=[_WEATHER_TOOL],
            tool_choice={"type": "tool", "name": "get_weather"},
            **_scripted("tool", emulated),
        ),
        "think": ask(
            _THINK_PROMPT,
            thinking={"type": "enabled", "budget_tokens": 1024},
            **_scripted("think", emulated),
        ),
    }


def _wire(
    streams: dict[str, MessageStream],
    panels: dict[str, _Panel],
    finished: Callable[[], None],
    errors: list[Exception],
) -> list[abc.DisposableBase]:
    """Subscribe the pipelines; return the subscriptions (disposing them aborts the requests).

    *finished* is called once every pipeline has ended: the views as well as the final
    messages, since subscribers of one stream are not told of its end all at once.
    """
    frame = 1 / 30
    subs: list[abc.DisposableBase] = []
    pending = [1]  # this function's own share, released once everything is subscribed
    lock = threading.Lock()

    def one_ended() -> None:
        with lock:
            pending[0] -= 1
            if pending[0] == 0:
                finished()

    def show(observable: reactivex.Observable[Any], on_next: Callable[[Any], None]) -> None:
        def on_error(error: Exception) -> None:
            one_ended()  # the stream's own final_message() pipeline reports the error

        pending[0] += 1
        subs.append(observable.subscribe(on_next, on_error, one_ended))

    # Two answers merged into one Observable of (tag, text), drawn side by side.
    merged = reactivex.merge(
        streams["A"].pipe(coalesce_text(frame), ops.map(lambda t: ("A", t))),
        streams["B"].pipe(coalesce_text(frame), ops.map(lambda t: ("B", t))),
    )
    show(merged, lambda tagged: panels[tagged[0]].add(tagged[1]))

    def show_tool(update: ToolInputUpdate) -> None:
        panels["tool"].set(json.dumps(update.snapshot, ensure_ascii=False))

    show(streams["tool"].pipe(on_tool_input(), latest(frame)), show_tool)
    show(streams["think"].pipe(thinking()), panels["think"].add)
    show(streams["think"].pipe(text_only()), panels["answer"].add)

    def watch(name: str, stream: MessageStream) -> None:
        panel = panels[name]

        def on_message(message: Message) -> None:
            usage = message.usage
            panel.done = (
                f"{message.stop_reason} · {usage.input_tokens} in / {usage.output_tokens} out"
            )

        def on_error(error: Exception) -> None:
            panel.done = f"error: {type(error).__name__}"
            errors.append(error)
            one_ended()

        pending[0] += 1
        subs.append(stream.pipe(final_message()).subscribe(on_message, on_error, one_ended))

    for name, stream in streams.items():
        watch(name, stream)
    one_ended()
    return subs


_LEGEND = (
    "A and B: two answers through one merged Observable, drawn per frame. C: a tool "
    "call's input as it forms. D: thinking, then its answer: two views of one request. "
    "Each box's last line: its stop reason and usage (final_message)."
)


def _tail(text: Text, console: Console, width: int, lines: int) -> Text:
    """The last *lines* lines of *text* wrapped to *width*: a panel shows the newest text."""
    from rich.text import Text

    wrapped = text.wrap(console, max(1, width))
    if len(wrapped) <= lines:
        return text
    return Text("\n").join(wrapped[len(wrapped) - lines :])


def _render(
    panels: dict[str, _Panel], where: str, elapsed: float, console: Console
) -> RenderableType:
    """One frame, exactly the terminal's size (at least 80x24): nothing scrolls away."""
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    width = max(console.size.width, 40)
    height = max(console.size.height, 16)
    header = Text.assemble(
        ("anthropic_rx demo", "bold"),
        f" · 4 requests at once, 5 live views · {elapsed:4.1f} s · Ctrl-C stops",
        no_wrap=True,
        overflow="ellipsis",
    )
    source = Text(f"from {where}", style="dim", no_wrap=True, overflow="ellipsis")
    legend = Text(_LEGEND, style="dim").wrap(console, width)
    answer_height = 4
    # One line is left free below the frame, for the cursor: a full screen would scroll.
    room = height - 2 - len(legend) - answer_height - 1
    row_height = max(3, min(room // 2, 14))
    left = width // 2
    right = width - left

    def box(key: str, style: str, box_width: int, box_height: int) -> Panel:
        p = panels[key]
        with p.lock:
            body = Text(p.text or "…", style=style)
        body = _tail(body, console, box_width - 4, box_height - 2)
        done = panels["think"].done if key == "answer" else p.done  # one stream, two views
        subtitle = Text(done or "streaming", no_wrap=True, overflow="ellipsis")
        subtitle.truncate(box_width - 6, overflow="ellipsis")
        return Panel(
            body,
            title=p.title,
            subtitle=subtitle,
            border_style=style,
            width=box_width,
            height=box_height,
        )

    grid = Table.grid(padding=0)
    grid.add_column(width=left)
    grid.add_column(width=right)
    grid.add_row(box("A", "cyan", left, row_height), box("B", "magenta", right, row_height))
    grid.add_row(box("tool", "yellow", left, row_height), box("think", "green", right, row_height))
    answer = box("answer", "bold green", width, answer_height)
    return Group(header, source, grid, answer, Text("\n").join(legend))


def run_demo(options: DemoOptions, console: Console | None = None) -> int:
    """Run the demo; return the process exit status (0 when every stream ended well)."""
    from rich.console import Console
    from rich.live import Live

    from .client import Client

    console = console or Console()
    panels = {
        "A": _Panel("A: text · coalesce_text()"),
        "B": _Panel("B: text, merged with A"),
        "tool": _Panel("C: tool input · on_tool_input()"),
        "think": _Panel("D: thinking · thinking()"),
        "answer": _Panel("D's answer · text_only()"),
    }
    done = threading.Event()
    errors: list[Exception] = []
    with (
        _endpoint(options) as (base_url, api_key, where),
        Client(api_key=api_key, base_url=base_url) as client,
    ):
        streams = _start(client, options, emulated=where.startswith("the built-in"))
        began = time.monotonic()
        frame = _render(panels, where, 0.0, console)
        with Live(frame, console=console, refresh_per_second=15, vertical_overflow="crop") as live:
            subs = _wire(streams, panels, done.set, errors)
            try:
                while not done.wait(1 / 15):
                    live.update(_render(panels, where, time.monotonic() - began, console))
            except KeyboardInterrupt:
                for stream in streams.values():
                    stream.abort()
            finally:
                for sub in subs:
                    sub.dispose()
            live.update(_render(panels, where, time.monotonic() - began, console))
    if errors:
        _explain(console, errors, where)
        return 1
    return 0


def _explain(console: Console, errors: list[Exception], where: str) -> None:
    """Say, whole and once, why the streams failed (a panel's last line cuts it short)."""
    from ._exceptions import APIConnectionError

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
