"""What the Tk and Qt chat windows share: one request, four views, all on the GUI thread.

`ChatSession` is the whole Rx side of a chat window; `tk_chat.py` and `qt_chat.py` only draw.
For each prompt it opens one `MessageStream` (one request) and subscribes four views of it:

* the reply's text, coalesced to one piece per frame (`coalesce_text`);
* the tool input as it forms (`on_tool_input`, throttled with `latest`), and each finished
  call (`tool_calls`), shown as pretty JSON;
* the final message (`final_message`), for the status line.

Every view hops to the GUI thread with ``on_gui(scheduler)``, and the four are merged there
into one subscription. Subscribers of one stream learn of its end one after another, so the
end of the exchange (status line, Stop button, history) is handled once, at the merged
subscription's completion, when every view has delivered its last piece. Errors never
escape: each view turns its error into a value, and the window shows it.

The window implements `ChatView`; `ChatSession` calls it only on the GUI thread, and counts
the threads it was called on in ``callback_threads`` so tests can prove it.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Generator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import reactivex
from reactivex import Observable, abc
from reactivex import operators as ops

import anthropic_rx as arx
from anthropic_rx.events import Message, TextBlock
from anthropic_rx.operators import (
    ToolCall,
    ToolInputUpdate,
    coalesce_text,
    final_message,
    latest,
    on_tool_input,
    tool_calls,
)
from anthropic_rx.schedulers import on_gui
from anthropic_rx.typing import Operator

__all__ = [
    "DEFAULT_MODEL",
    "SCREENSHOT_SCRIPT",
    "WEATHER_TOOL",
    "ChatSession",
    "ChatView",
    "Endpoint",
    "ScriptedTurn",
    "ToolInput",
    "describe_error",
    "endpoint",
    "format_tool_inputs",
    "parse_arguments",
    "play_script",
]

DEFAULT_MODEL = "claude-sonnet-4-5"

#: The tool offered when "use a tool" is ticked; the emulator answers with a call of it.
WEATHER_TOOL: dict[str, Any] = {
    "name": "get_weather",
    "description": "The weather forecast for a city, for a number of days.",
    "input_schema": {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "The city, e.g. Paris"},
            "days": {"type": "integer", "description": "How many days ahead, 1 to 7"},
            "units": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        },
        "required": ["city"],
    },
}

#: The frame of the text view: at most one redraw per 1/60 s, however fast tokens arrive.
FRAME = 1 / 60
#: Tool input is parsed for display at most this often (reading a snapshot parses it).
TOOL_FRAME = 1 / 30


class ChatView(Protocol):
    """What a chat window shows; `ChatSession` calls these on the GUI thread only."""

    def reply_started(self, prompt: str) -> None:
        """Show the user's *prompt* and begin an empty assistant reply."""
        ...

    def reply_text(self, text: str) -> None:
        """Append *text* to the reply being streamed."""
        ...

    def tool_inputs_changed(self, text: str) -> None:
        """Replace the tool pane's content with *text* (pretty JSON, or "")."""
        ...

    def status_changed(self, text: str) -> None:
        """Replace the status line."""
        ...

    def error_changed(self, text: str) -> None:
        """Show *text* in the error area; "" hides it."""
        ...

    def busy_changed(self, busy: bool) -> None:
        """Enable Stop and disable Send while a reply streams, and the reverse after."""
        ...


@dataclass(frozen=True, slots=True)
class ToolInput:
    """One tool call as the tool pane shows it: its input so far, or its final input."""

    id: str
    name: str
    input: Any
    complete: bool


@dataclass(frozen=True, slots=True)
class _Text:
    text: str


@dataclass(frozen=True, slots=True)
class _Final:
    message: Message


@dataclass(frozen=True, slots=True)
class _Failed:
    error: Exception


_Update = _Text | ToolInput | _Final | _Failed


def format_tool_inputs(calls: Mapping[str, ToolInput]) -> str:
    """Render tool calls for the tool pane: a title line per call, then its input as JSON.

    Args:
        calls: the calls by id, in the order they started.

    Returns:
        The pane's text; "" when there is no call.

    Example:
        >>> call = ToolInput("toolu_1", "get_weather", {"city": "Paris"}, complete=True)
        >>> print(format_tool_inputs({call.id: call}))
        get_weather · complete
        {
          "city": "Paris"
        }
    """
    parts: list[str] = []
    for call in calls.values():
        state = "complete" if call.complete else "streaming…"
        body = json.dumps(call.input, indent=2, ensure_ascii=False)
        parts.append(f"{call.name} · {state}\n{body}")
    return "\n\n".join(parts)


def describe_error(error: BaseException) -> str:
    """Say what went wrong in one line: the error's type and message, and its request id.

    Example:
        >>> describe_error(arx.StreamAbortedError("aborted"))
        'StreamAbortedError: aborted'
    """
    text = f"{type(error).__name__}: {error}"
    request_id = getattr(error, "request_id", None)
    if request_id and str(request_id) not in text:
        text += f" (request {request_id})"
    return text


def _usage_line(message: Message, seconds: float) -> str:
    usage = message.usage
    return (
        f"Done · {message.stop_reason or 'no stop reason'} · "
        f"{usage.input_tokens} in / {usage.output_tokens} out tokens · {seconds:.1f} s"
    )


class ChatSession:
    """The Rx side of a chat window: sends prompts and feeds a `ChatView` on the GUI thread.

    Args:
        client: the client requests go through (the app owns it and closes it).
        model: the model to ask.
        scheduler: the GUI's scheduler (``TkScheduler`` / ``QtScheduler``); every view
            callback, and the frame timers of the rate operators, run on it.
        view: the window.
        max_tokens: the reply's limit.
        request_options: more parameters of every request (``extra_headers`` to choose an
            emulator scenario, ``system``, ``temperature``, …).

    Attributes:
        history: the conversation so far, as the API's ``messages``; an exchange that
            failed or was stopped is left out.
        stream: the current (or last) request's stream.
        callback_threads: how many view callbacks ran on each thread (by thread ident).
    """

    def __init__(
        self,
        client: arx.Client,
        model: str,
        scheduler: abc.SchedulerBase,
        view: ChatView,
        *,
        max_tokens: int = 1024,
        request_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.client = client
        self.model = model
        self.scheduler = scheduler
        self.view = view
        self.max_tokens = max_tokens
        self.request_options: dict[str, Any] = dict(request_options or {})
        self.history: list[dict[str, Any]] = []
        self.stream: arx.MessageStream | None = None
        self.callback_threads: Counter[int] = Counter()
        self._subscription: abc.DisposableBase | None = None
        self._active = False
        self._prompt = ""
        self._calls: dict[str, ToolInput] = {}
        self._message: Message | None = None
        self._error: Exception | None = None
        self._stopping = False
        self._began = 0.0
        self._closed = False

    @property
    def busy(self) -> bool:
        """Whether a reply is streaming."""
        return self._active

    def send(
        self,
        prompt: str,
        *,
        use_tool: bool = False,
        extra_params: Mapping[str, Any] | None = None,
    ) -> arx.MessageStream | None:
        """Ask *prompt* (on the GUI thread); the reply streams into the view.

        Args:
            prompt: the user's message; blank prompts are ignored.
            use_tool: offer `WEATHER_TOOL`, so the model may answer with a tool call.
            extra_params: more parameters of this request only (they win over
                ``request_options``).

        Returns:
            The new request's stream, or ``None`` when nothing was sent (a blank prompt, a
            reply still streaming, or an error the view now shows).

        Example:
            >>> session.send("What's the weather in Paris?", use_tool=True)
        """
        prompt = prompt.strip()
        if not prompt or self.busy or self._closed:
            return None
        self._prompt = prompt
        self._calls = {}
        self._message = None
        self._error = None
        self._stopping = False
        self._began = time.monotonic()
        self._call(self.view.reply_started, prompt)
        self._call(self.view.tool_inputs_changed, "")
        self._call(self.view.error_changed, "")
        params: dict[str, Any] = {**self.request_options, **(extra_params or {})}
        if use_tool:
            params.setdefault("tools", [WEATHER_TOOL])
        try:
            stream = self.client.messages.stream(
                model=self.model,
                max_tokens=self.max_tokens,
                messages=[*self.history, {"role": "user", "content": prompt}],
                **params,
            )
        except (TypeError, RuntimeError) as exc:  # a bad parameter, or a closed client
            self._call(self.view.error_changed, describe_error(exc))
            self._call(self.view.status_changed, "Not sent")
            return None
        self.stream = stream
        self._call(self.view.status_changed, f"Streaming from {self.model}…")
        self._call(self.view.busy_changed, True)
        self._active = True  # before subscribing: the views may all end inside subscribe()
        self._subscription = self._views(stream).subscribe(
            self._on_update, self._on_unexpected_error, self._on_end
        )
        return stream

    def stop(self) -> None:
        """Abort the streaming reply: its connection closes now, and the view says so.

        Example:
            >>> stop_button.config(command=session.stop)
        """
        if self.stream is not None and self.busy:
            self._stopping = True
            self._call(self.view.status_changed, "Stopping…")
            self.stream.abort()

    def close(self) -> None:
        """Abort any reply and stop feeding the view (before the window goes away).

        Example:
            >>> root.protocol("WM_DELETE_WINDOW", lambda: (session.close(), root.destroy()))
        """
        self._closed = True
        self._active = False
        if self.stream is not None:
            self.stream.abort()
        if self._subscription is not None:
            self._subscription.dispose()

    # -- the pipelines --------------------------------------------------------------------

    def _views(self, stream: arx.MessageStream) -> Observable[_Update]:
        """Merge the four views of *stream*, each already delivered on the GUI thread."""
        scheduler = self.scheduler

        def tool_update(update: ToolInputUpdate) -> _Update:
            return ToolInput(update.id, update.name, update.snapshot, complete=False)

        def tool_done(call: ToolCall) -> _Update:
            return ToolInput(call.id, call.name, call.input, complete=True)

        def to_text(text: str) -> _Update:
            return _Text(text)

        def to_final(message: Message) -> _Update:
            return _Final(message)

        views: list[Observable[_Update]] = [
            stream.pipe(coalesce_text(FRAME, scheduler=scheduler), ops.map(to_text)),
            stream.pipe(
                on_tool_input(), latest(TOOL_FRAME, scheduler=scheduler), ops.map(tool_update)
            ),
            stream.pipe(tool_calls(), ops.map(tool_done)),
            stream.pipe(final_message(), ops.map(to_final)),
        ]

        def failed(error: Exception, _: Observable[_Update]) -> Observable[_Update]:
            return reactivex.of(_Failed(error))

        deliver: Operator[_Update, _Update] = on_gui(scheduler)
        return reactivex.merge(*(view.pipe(ops.catch(failed), deliver) for view in views))

    # -- on the GUI thread ----------------------------------------------------------------

    def _note_thread(self) -> None:
        self.callback_threads[threading.get_ident()] += 1

    def _call(self, method: Callable[[Any], None], argument: Any) -> None:
        self._note_thread()
        method(argument)

    def _on_update(self, update: _Update) -> None:
        self._note_thread()
        if self._closed:
            return
        match update:
            case _Text(text):
                self._call(self.view.reply_text, text)
            case ToolInput() as call:
                known = self._calls.get(call.id)
                if known is None or not known.complete:  # never step back from the final input
                    self._calls[call.id] = call
                    self._call(self.view.tool_inputs_changed, format_tool_inputs(self._calls))
            case _Final(message):
                self._message = message
            case _Failed(error):
                self._error = self._error or error  # every view reports the same error

    def _on_unexpected_error(self, error: Exception) -> None:
        # Each view catches its error, so only a failure in this module's code lands here.
        self._note_thread()
        self._error = self._error or error
        self._on_end()

    def _on_end(self) -> None:
        """Every view has delivered everything: settle the exchange, once."""
        self._note_thread()
        self._active = False
        if self._closed:
            return
        seconds = time.monotonic() - self._began
        error, message = self._error, self._message
        if isinstance(error, arx.StreamAbortedError) and self._stopping:
            self._call(self.view.status_changed, f"Stopped · connection closed · {seconds:.1f} s")
        elif error is not None:
            self._call(self.view.status_changed, "Failed")
            self._call(self.view.error_changed, describe_error(error))
        elif message is not None:
            self._call(self.view.status_changed, _usage_line(message, seconds))
            self._remember(message)
        self._call(self.view.busy_changed, False)

    def _remember(self, message: Message) -> None:
        """Keep the exchange for the next request: its text only (no tool call to answer)."""
        text = "".join(b.text for b in message.content if isinstance(b, TextBlock))
        if text:
            self.history.append({"role": "user", "content": self._prompt})
            self.history.append({"role": "assistant", "content": text})


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where requests go: the real API (a key in the environment) or a built-in emulator."""

    client: arx.Client
    where: str
    emulated: bool


@contextmanager
def endpoint(*, pace: float, scenario: str | None = None) -> Generator[Endpoint, None, None]:
    """Open a client: the real API when ``ANTHROPIC_API_KEY`` is set, else an emulator.

    Args:
        pace: the emulator's output tokens per second (0: as fast as possible).
        scenario: the emulator's fault scenario for every request (``"F03"``…), if any.

    Yields:
        The client, closed (and the emulator stopped) on exit.

    Example:
        >>> with endpoint(pace=30) as ep:
        ...     print(ep.where)
        the built-in emulator at http://127.0.0.1:…
    """
    if os.environ.get("ANTHROPIC_API_KEY"):
        with arx.Client() as client:
            yield Endpoint(client, "the Anthropic API", emulated=False)
        return
    from anthropic_rx.emulator import Emulator

    with (
        Emulator(pace=pace, scenario=scenario, seed=7) as emu,
        arx.Client(api_key="sk-ant-emulator-demo", base_url=emu.base_url) as client,
    ):
        yield Endpoint(client, f"the built-in emulator at {emu.base_url}", emulated=True)


@dataclass(frozen=True, slots=True)
class ScriptedTurn:
    """One turn of the canned conversation the ``--screenshot`` mode plays."""

    prompt: str
    use_tool: bool
    emulator_options: Mapping[str, Any]

    def params(self, emulated: bool) -> dict[str, Any]:
        """The request's extra parameters: the emulator's script, when it is the emulator."""
        if not emulated:
            return {}
        return {"extra_headers": {"x-emulator-options": json.dumps(self.emulator_options)}}


#: What the screenshots show: a text answer streamed in, then a tool call with its input.
SCREENSHOT_SCRIPT = (
    ScriptedTurn(
        "Why stream an answer instead of waiting for all of it?",
        use_tool=False,
        emulator_options={
            "text": "Streaming shows the first words at once, so you read while the model "
            "is still writing. Here each text delta arrives on a background thread, "
            "coalesce_text() joins them into one piece per frame, and on_gui() delivers "
            "every piece on the GUI thread. Stop aborts the stream, which closes its "
            "connection at once."
        },
    ),
    ScriptedTurn(
        "What's the weather in Paris this week?",
        use_tool=True,
        emulator_options={"input": {"city": "Paris", "days": 5, "units": "celsius"}},
    ),
)


def play_script(
    session: ChatSession,
    *,
    emulated: bool,
    later: Callable[[Callable[[], None]], object],
    show_use_tool: Callable[[bool], None],
    finish: Callable[[], None],
) -> None:
    """Play `SCREENSHOT_SCRIPT` turn by turn on the GUI thread, then call *finish*.

    *later* runs a callable on the GUI thread a moment later (Tk's ``after``, Qt's
    ``QTimer.singleShot``); each turn waits until the one before has ended.
    """
    turns = list(SCREENSHOT_SCRIPT)

    def step() -> None:
        if session.busy:
            later(step)
            return
        if not turns:
            finish()
            return
        turn = turns.pop(0)
        show_use_tool(turn.use_tool)
        session.send(turn.prompt, use_tool=turn.use_tool, extra_params=turn.params(emulated))
        later(step)

    later(step)


def parse_arguments(description: str, argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the chat windows' command line (the same for Tk and Qt).

    Example:
        >>> parse_arguments("chat", ["--pace", "10"]).pace
        10.0
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--model", default=DEFAULT_MODEL, help="the model to ask")
    parser.add_argument("--max-tokens", type=int, default=1024, help="the reply's limit")
    parser.add_argument(
        "--pace",
        type=float,
        default=40.0,
        help="emulator only: output tokens per second (0: as fast as possible)",
    )
    parser.add_argument(
        "--scenario",
        default=None,
        help="emulator only: a fault scenario for every request, e.g. F03 (error mid-stream)",
    )
    parser.add_argument(
        "--screenshot",
        metavar="PATH",
        default=None,
        help="play a canned conversation, save a PNG of the window to PATH, and exit",
    )
    return parser.parse_args(argv)
