"""The demo's four requests and five pipelines: the Rx a reader of the demo came to see.

`start` opens four streams on one `Client`; `wire` subscribes the views: two text answers
merged into one Observable of ``(tag, text)`` and drawn per frame (`coalesce_text`), a tool
call's input as it forms (`on_tool_input`, throttled with `latest`), thinking and then the
answer of one request (`thinking`, `text_only`: two views, one request), and every stream's
stop reason and usage (`final_message`). Each view writes into a `Box`, which the screen
(``_screen.py``) draws.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import reactivex
from reactivex import abc
from reactivex import operators as ops

from ..operators import (
    coalesce_text,
    final_message,
    latest,
    on_tool_input,
    text_only,
    thinking,
)

if TYPE_CHECKING:
    from ..client import Client
    from ..events import Message
    from ..operators import ToolInputUpdate
    from ..sources import MessageStream

__all__ = ["Box", "DemoOptions", "start", "wire"]

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
class Box:
    """What one box of the screen shows: written by its pipeline, drawn by the screen."""

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


def _scripted(key: str, emulated: bool) -> dict[str, Any]:
    if not emulated or key not in _SCRIPTED:
        return {}
    return {"extra_headers": {"x-emulator-options": json.dumps(_SCRIPTED[key])}}


def start(client: Client, options: DemoOptions, emulated: bool) -> dict[str, MessageStream]:
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


def wire(
    streams: dict[str, MessageStream],
    panels: dict[str, Box],
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
