"""What the Tk and Qt chat windows share: a conversation with tools, on the GUI thread.

`ChatSession` is the whole Rx side of a chat window; `tk_chat.py` and `qt_chat.py` only draw.
A prompt starts (or continues, with ``send()``) one `Conversation`: the tool-use loop of
``client.messages.conversation(...)``. The session watches it through two pipelines:

* per turn, the reply's text coalesced to one piece per frame (`coalesce_text`) and the tool
  input as it forms (`on_tool_input`, throttled with `latest`);
* the conversation's own events, without the raw stream events: tool calls starting and
  finishing (with their result and duration), approval requests, and the end of a run.

Both hop to the GUI thread with ``on_gui(scheduler)``, and are merged there into one
subscription. A run is settled (status line, Stop button, history) once the conversation
has stopped (or failed) *and* the text of its last turn has all been shown. Errors never
escape: the window shows them.

A tool that requires approval (`delete_file` here) asks the window: the window opens a dialog
and answers ``True`` or ``False``; a denial goes back to the model as the tool's (error)
result, with the reason, and the model answers knowing it.

The window implements `ChatView`; `ChatSession` calls it only on the GUI thread, and counts
the threads it was called on in ``callback_threads`` so tests can prove it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Generator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Annotated, Any, Literal, Protocol, cast

import reactivex
from pydantic import Field
from reactivex import Observable, abc
from reactivex import operators as ops

import anthropic_rx as arx
from anthropic_rx.conversations import (
    ApprovalRequested,
    Conversation,
    ConversationEvent,
    ConversationStopped,
    Tool,
    ToolFinished,
    ToolStarted,
    TurnEvent,
    TurnFinished,
    TurnStarted,
    tool,
)
from anthropic_rx.events import Message
from anthropic_rx.operators import ToolInputUpdate, coalesce_text, latest, on_tool_input
from anthropic_rx.schedulers import on_gui
from anthropic_rx.typing import Operator

__all__ = [
    "DEFAULT_MODEL",
    "DENIAL",
    "SCREENSHOT_SCRIPT",
    "ChatSession",
    "ChatView",
    "Endpoint",
    "ScriptedTurn",
    "ToolCallView",
    "demo_tools",
    "describe_error",
    "endpoint",
    "format_tool_calls",
    "parse_arguments",
    "play_script",
]

DEFAULT_MODEL = "claude-sonnet-4-5"

#: What the model is told when the user says no to a tool call.
DENIAL = "The user declined this call in the approval dialog; nothing was done."

#: The frame of the text view: at most one redraw per 1/60 s, however fast tokens arrive.
FRAME = 1 / 60
#: Tool input is parsed for display at most this often (reading a snapshot parses it).
TOOL_FRAME = 1 / 30

_FORECASTS = {
    "paris": ("light rain", 14),
    "rome": ("sunny", 22),
    "london": ("overcast", 12),
    "berlin": ("windy", 11),
    "tokyo": ("clear", 19),
}


def _simulated_latency() -> None:
    time.sleep(random.uniform(0.3, 0.9))  # a lookup takes a moment: watch "running…"


def demo_tools(latency: Callable[[], None] | None = _simulated_latency) -> list[Tool]:
    """The example's tools: a weather lookup (canned data) and a file deletion that asks first.

    Args:
        latency: called inside each tool before it answers (a demo's "network"); tests pass
            one that waits for their signal, or ``None``.

    Example:
        >>> weather, delete = demo_tools(latency=None)
        >>> weather("Rome")
        'Rome: sunny, 22 °C'
        >>> delete.requires_approval
        True
    """

    @tool
    def get_weather(
        city: str,
        days: Annotated[int, Field(ge=1, le=7)] = 1,
        units: Literal["celsius", "fahrenheit"] = "celsius",
    ) -> str:
        """The weather forecast for a city, for a number of days.

        Args:
            city: The city, e.g. Paris.
            days: How many days ahead, 1 to 7.
            units: The temperature unit.
        """
        if latency is not None:
            latency()
        sky, celsius = _FORECASTS.get(city.strip().lower(), ("partly cloudy", 17))
        unit = "°C" if units == "celsius" else "°F"
        degrees = [celsius + (0, 1, -1)[d % 3] for d in range(days)]
        if units == "fahrenheit":
            degrees = [round(c * 9 / 5 + 32) for c in degrees]
        later = f"; then {', '.join(str(t) for t in degrees[1:])} {unit}" if days > 1 else ""
        return f"{city}: {sky}, {degrees[0]} {unit}{later}"

    @tool(requires_approval=True)
    def delete_file(path: str) -> str:
        """Delete a file from the user's notes folder. Asks the user first.

        Args:
            path: The file's path inside the notes folder, e.g. drafts/old.txt.
        """
        if latency is not None:
            latency()
        return f"Deleted {path} (not really: this is a demo)."

    return [get_weather, delete_file]


class ChatView(Protocol):
    """What a chat window shows; `ChatSession` calls these on the GUI thread only."""

    def reply_started(self, prompt: str) -> None:
        """Show the user's *prompt* and begin an empty assistant reply."""
        ...

    def reply_text(self, text: str) -> None:
        """Append *text* to the reply being streamed."""
        ...

    def tool_inputs_changed(self, text: str) -> None:
        """Replace the tool pane's content with *text* (see `format_tool_calls`, or "")."""
        ...

    def approval_requested(self, title: str, question: str, answer: Callable[[bool], None]) -> None:
        """Ask the user (a dialog) whether to run a tool call; call *answer* once, later."""
        ...

    def approval_closed(self) -> None:
        """Close the approval dialog, if one is open (the run was stopped)."""
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
class ToolCallView:
    """One tool call as the tool pane shows it.

    Attributes:
        state: ``"streaming…"`` (its input still forming), ``"input complete"``,
            ``"waiting for approval"``, ``"running…"``, ``"done"``, ``"error"`` or ``"denied"``.
        seconds: how long it ran, once finished.
        result: the text sent back to the model, once finished.
    """

    id: str
    name: str
    input: Any
    state: str
    seconds: float | None = None
    result: str = ""

    @property
    def finished(self) -> bool:
        """Whether the call has its outcome."""
        return self.state in ("done", "error", "denied")


def format_tool_calls(calls: Mapping[str, ToolCallView]) -> str:
    """Render tool calls for the tool pane: a title line per call, its input, its result.

    Args:
        calls: the calls by id, in the order they started.

    Returns:
        The pane's text; "" when there is no call.

    Example:
        >>> call = ToolCallView("toolu_1", "get_weather", {"city": "Paris"}, "done", 0.42, "rain")
        >>> print(format_tool_calls({call.id: call}))
        get_weather · done · 0.42 s
        {
          "city": "Paris"
        }
        → rain
    """
    parts: list[str] = []
    for call in calls.values():
        title = f"{call.name} · {call.state}"
        if call.seconds is not None:
            title += f" · {call.seconds:.2f} s"
        body = json.dumps(call.input, indent=2, ensure_ascii=False)
        result = f"\n→ {call.result}" if call.result else ""
        parts.append(f"{title}\n{body}{result}")
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


def _usage_line(messages: Sequence[Message], calls: int, seconds: float) -> str:
    last = messages[-1]
    tokens_in = sum(m.usage.input_tokens for m in messages)
    tokens_out = sum(m.usage.output_tokens for m in messages)
    turns = f"{len(messages)} turns · {calls} tool calls · " if len(messages) > 1 else ""
    return (
        f"Done · {last.stop_reason or 'no stop reason'} · {turns}"
        f"{tokens_in} in / {tokens_out} out tokens · {seconds:.1f} s"
    )


def _result_text(content: Any) -> str:
    """A tool result's content as one short line for the pane."""
    if isinstance(content, str):
        text = content
    elif isinstance(content, list):
        blocks = cast("list[dict[str, Any]]", content)
        text = " ".join(str(b.get("text", "")) for b in blocks)
    else:
        text = "" if content is None else json.dumps(content, ensure_ascii=False)
    return text if len(text) <= 160 else text[:159] + "…"


# What the merged pipelines deliver on the GUI thread.
@dataclass(frozen=True, slots=True)
class _Text:
    turn: int
    text: str


@dataclass(frozen=True, slots=True)
class _Input:
    turn: int
    update: ToolInputUpdate


@dataclass(frozen=True, slots=True)
class _TurnShown:
    """Everything of this turn's text and tool input has been delivered."""

    turn: int


@dataclass(frozen=True, slots=True)
class _Event:
    event: ConversationEvent


@dataclass(frozen=True, slots=True)
class _Failed:
    error: Exception


_Update = _Text | _Input | _TurnShown | _Event | _Failed


class ChatSession:
    """The Rx side of a chat window: runs a conversation and feeds a `ChatView` on the GUI thread.

    Args:
        client: the client requests go through (the app owns it and closes it).
        model: the model to ask.
        scheduler: the GUI's scheduler (``TkScheduler`` / ``QtScheduler``); every view
            callback, and the frame timers of the rate operators, run on it.
        view: the window.
        max_tokens: each turn's limit.
        request_options: more parameters of every request (``extra_headers`` to choose an
            emulator scenario, ``system``, ``temperature``, …).
        tools: the tools offered when "use tools" is ticked (`demo_tools` by default).
        max_turns: requests per prompt at most (the loop's guard against a model that
            never stops calling tools).

    Attributes:
        conversation: the current conversation: each prompt continues it with ``send()``,
            unless it failed or was stopped, or the tools or options changed (then a new one
            starts from `history`).
        history: the conversation so far, as the API's ``messages``, as of the last prompt
            answered in full; a run that failed or was stopped is left out.
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
        tools: Sequence[Tool] | None = None,
        max_turns: int = 8,
    ) -> None:
        self.client = client
        self.model = model
        self.scheduler = scheduler
        self.view = view
        self.max_tokens = max_tokens
        self.max_turns = max_turns
        self.request_options: dict[str, Any] = dict(request_options or {})
        self.tools: list[Tool] = list(demo_tools() if tools is None else tools)
        self.history: list[dict[str, Any]] = []
        self.conversation: Conversation | None = None
        self.callback_threads: Counter[int] = Counter()
        self._key: tuple[bool, str] | None = None  # what the conversation was made with
        self._subscription: abc.DisposableBase | None = None
        self._active = False
        self._calls: dict[str, ToolCallView] = {}
        self._approvals: deque[ApprovalRequested] = deque()
        self._asking: ApprovalRequested | None = None
        self._turn = 0  # the last turn started
        self._turn_texts: set[int] = set()  # turns of this run that have shown text
        self._shown = 0  # the last turn whose text has all been shown
        self._run_first_turn = 1
        self._messages: list[Message] = []
        self._ended: ConversationStopped | Exception | None = None
        self._stopping = False
        self._began = 0.0
        self._closed = False

    @property
    def busy(self) -> bool:
        """Whether a run is going on (a reply streams, tools run, or an approval waits)."""
        return self._active

    def send(
        self,
        prompt: str,
        *,
        use_tool: bool = False,
        extra_params: Mapping[str, Any] | None = None,
    ) -> Conversation | None:
        """Ask *prompt* (on the GUI thread); the run streams into the view.

        Args:
            prompt: the user's message; blank prompts are ignored.
            use_tool: offer the session's tools, so the model may call them.
            extra_params: more parameters of the requests of this prompt (they win over
                ``request_options``); a new conversation carries them, from `history`.

        Returns:
            The conversation, or ``None`` when nothing was sent (a blank prompt, a run
            still going on, or an error the view now shows).

        Example:
            >>> session.send("What's the weather in Paris and Rome?", use_tool=True)
        """
        prompt = prompt.strip()
        if not prompt or self.busy or self._closed:
            return None
        self._calls = {}
        self._approvals.clear()
        self._turn_texts = set()
        self._messages = []
        self._ended = None
        self._stopping = False
        self._began = time.monotonic()
        self._call(self.view.reply_started, prompt)
        self._call(self.view.tool_inputs_changed, "")
        self._call(self.view.error_changed, "")
        key = (use_tool, json.dumps(extra_params or {}, sort_keys=True, default=str))
        conversation = self.conversation
        try:
            if conversation is not None and key == self._key and conversation.stop_reason:
                self._run_first_turn = conversation.turn + 1
                self._active = True  # before send(): its first events may come at once
                conversation.send(prompt)
            else:
                conversation = self._start(prompt, use_tool, extra_params)
                self._key = key
        except (TypeError, ValueError, RuntimeError) as exc:  # bad parameters, closed client
            self._active = False
            self._call(self.view.error_changed, describe_error(exc))
            self._call(self.view.status_changed, "Not sent")
            return None
        self._call(self.view.status_changed, f"Streaming from {self.model}…")
        self._call(self.view.busy_changed, True)
        return conversation

    def _start(
        self, prompt: str, use_tool: bool, extra_params: Mapping[str, Any] | None
    ) -> Conversation:
        """Begin a new conversation from `history` and *prompt*, and watch it."""
        params: dict[str, Any] = {**self.request_options, **(extra_params or {})}
        conversation = self.client.messages.conversation(
            model=self.model,
            max_tokens=self.max_tokens,
            messages=[*self.history, {"role": "user", "content": prompt}],
            tools=self.tools if use_tool else [],
            max_turns=self.max_turns,
            **params,
        )
        if self._subscription is not None:
            self._subscription.dispose()
        old, self.conversation = self.conversation, conversation
        if old is not None:
            old.close()
        self._turn = self._shown = 0
        self._run_first_turn = 1
        self._active = True  # before subscribing: the first events may come at once
        self._subscription = self._views(conversation).subscribe(
            self._on_update, self._on_unexpected_error
        )
        return conversation

    def stop(self) -> None:
        """Stop the run: its connection closes now, running tools are cancelled.

        Example:
            >>> stop_button.config(command=session.stop)
        """
        if self.conversation is not None and self.busy:
            self._stopping = True
            self._call(self.view.status_changed, "Stopping…")
            self.conversation.abort()

    def close(self) -> None:
        """Abort any run and stop feeding the view (before the window goes away).

        Example:
            >>> root.protocol("WM_DELETE_WINDOW", lambda: (session.close(), root.destroy()))
        """
        self._closed = True
        self._active = False
        if self._subscription is not None:
            self._subscription.dispose()
        if self.conversation is not None:
            self.conversation.close()

    # -- the pipelines --------------------------------------------------------------------

    def _views(self, conversation: Conversation) -> Observable[_Update]:
        """Each turn's text and tool input, and the conversation's events, on the GUI thread."""
        scheduler = self.scheduler

        def turn_view(started: TurnStarted) -> Observable[_Update]:
            turn, stream = started.turn, started.stream

            def to_text(text: str) -> _Update:
                return _Text(turn, text)

            def to_input(update: ToolInputUpdate) -> _Update:
                return _Input(turn, update)

            views = reactivex.merge(
                stream.pipe(coalesce_text(FRAME, scheduler=scheduler), ops.map(to_text)),
                stream.pipe(
                    on_tool_input(), latest(TOOL_FRAME, scheduler=scheduler), ops.map(to_input)
                ),
            )
            # The turn's error reaches the window through the conversation: here it only
            # ends the turn's views, after the text that came before it.
            return views.pipe(
                ops.catch(reactivex.empty()), ops.concat(reactivex.of(_TurnShown(turn)))
            )

        def is_turn_started(event: ConversationEvent) -> bool:
            return isinstance(event, TurnStarted)

        def as_started(event: ConversationEvent) -> TurnStarted:
            assert isinstance(event, TurnStarted)
            return event

        turns: Observable[_Update] = conversation.pipe(
            ops.catch(reactivex.empty()),  # end, so that the last turn's views finish
            ops.filter(is_turn_started),
            ops.map(as_started),
            ops.concat_map(turn_view),
        )

        def not_raw(event: ConversationEvent) -> bool:
            return not isinstance(event, TurnEvent)

        def to_event(event: ConversationEvent) -> _Update:
            return _Event(event)

        def failed(error: Exception, _: Observable[_Update]) -> Observable[_Update]:
            return reactivex.of(_Failed(error))

        events: Observable[_Update] = conversation.pipe(
            ops.filter(not_raw), ops.map(to_event), ops.catch(failed)
        )
        deliver: Operator[_Update, _Update] = on_gui(scheduler)
        return reactivex.merge(turns.pipe(deliver), events.pipe(deliver))

    # -- on the GUI thread ----------------------------------------------------------------

    def _note_thread(self) -> None:
        self.callback_threads[threading.get_ident()] += 1

    def _call(self, method: Callable[..., None], *arguments: Any) -> None:
        self._note_thread()
        method(*arguments)

    def _show_calls(self) -> None:
        self._call(self.view.tool_inputs_changed, format_tool_calls(self._calls))

    def _on_update(self, update: _Update) -> None:
        self._note_thread()
        if self._closed:
            return
        match update:
            case _Text(turn, text):
                if turn < self._run_first_turn:
                    return  # an earlier run's text, replayed
                if turn not in self._turn_texts and self._turn_texts:
                    self._call(self.view.reply_text, "\n\n")  # a new turn: a new paragraph
                self._turn_texts.add(turn)
                self._call(self.view.reply_text, text)
            case _Input(turn, tool_input):
                known = self._calls.get(tool_input.id)
                forming = known is None or known.state == "streaming…"
                if turn >= self._run_first_turn and forming:  # never step back from a status
                    self._calls[tool_input.id] = ToolCallView(
                        tool_input.id, tool_input.name, tool_input.snapshot, "streaming…"
                    )
                    self._show_calls()
            case _TurnShown(turn):
                self._shown = max(self._shown, turn)
                self._maybe_settle()
            case _Event(event):
                self._on_event(event)
            case _Failed(error):
                self._ended = error
                self._maybe_settle()

    def _on_event(self, event: ConversationEvent) -> None:
        if event.turn < self._run_first_turn:
            return  # an earlier run, replayed (a new conversation never replays)
        match event:
            case TurnStarted(turn=turn):
                self._turn = turn
            case ToolStarted(call=call):
                self._set_call(call.id, call.name, call.input, "running…")
            case ToolFinished() as done:
                state = "done" if not done.is_error else ("error" if done.error else "denied")
                seconds = None if state == "denied" else done.duration
                self._set_call(
                    done.call.id, done.call.name, done.call.input, state, seconds,
                    _result_text(done.content),
                )  # fmt: skip
            case ApprovalRequested(call=call):
                self._set_call(call.id, call.name, call.input, "waiting for approval")
                self._approvals.append(event)
                self._ask_next()
            case TurnFinished(message=message):
                self._messages.append(message)
            case ConversationStopped():
                self._ended = event
                self._maybe_settle()
            case _:
                pass

    def _set_call(
        self, ident: str, name: str, value: Any, state: str, seconds: float | None = None,
        result: str = "",
    ) -> None:  # fmt: skip
        known = self._calls.get(ident)
        if known is not None and known.finished:
            return
        base = known or ToolCallView(ident, name, value, state)
        self._calls[ident] = replace(base, input=value, state=state, seconds=seconds, result=result)
        self._show_calls()

    def _ask_next(self) -> None:
        """Open the dialog for the next approval request, one at a time."""
        if self._asking is not None or not self._approvals:
            return
        request = self._asking = self._approvals.popleft()
        answered: list[bool] = []

        def answer(approved: bool) -> None:
            self._note_thread()
            if answered or self._asking is not request:
                return
            answered.append(approved)
            self._asking = None
            if approved:
                request.approve()
            else:
                request.deny(DENIAL)
            self._ask_next()

        question = f"Claude wants to run {request.call.name} with:\n\n" + json.dumps(
            request.call.input, indent=2, ensure_ascii=False
        )
        self._call(self.view.approval_requested, f"Run {request.call.name}?", question, answer)

    def _on_unexpected_error(self, error: Exception) -> None:
        # Each pipeline catches its error, so only a failure in this module's code lands here.
        self._note_thread()
        self._ended = error
        self._shown = self._turn
        self._maybe_settle()

    def _maybe_settle(self) -> None:
        """Settle the run once it ended and its last turn's text has all been shown."""
        ended = self._ended
        if ended is None or not self._active or self._shown < self._turn:
            return
        self._active = False
        if self._asking is not None or self._approvals:
            self._asking = None
            self._approvals.clear()
            self._call(self.view.approval_closed)
        seconds = time.monotonic() - self._began
        calls = sum(1 for c in self._calls.values() if c.finished)
        if isinstance(ended, arx.StreamAbortedError) and self._stopping:
            self._call(self.view.status_changed, f"Stopped · connection closed · {seconds:.1f} s")
        elif isinstance(ended, Exception):
            self._call(self.view.status_changed, "Failed")
            self._call(self.view.error_changed, describe_error(ended))
        else:
            if self._messages:
                self._call(self.view.status_changed, _usage_line(self._messages, calls, seconds))
            else:
                self._call(self.view.status_changed, f"Done · {ended.stop_reason}")
            if self.conversation is not None:
                self.history = self.conversation.messages
        self._call(self.view.busy_changed, False)


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


#: What the screenshots show: a text answer streamed in, then two weather lookups run in
#: parallel, and the answer that uses their results.
SCREENSHOT_SCRIPT = (
    ScriptedTurn(
        "Why stream an answer instead of waiting for all of it?",
        use_tool=False,
        emulator_options={
            "text": "Streaming shows the first words at once, so you read while the model "
            "is still writing. Each text delta arrives on a background thread, "
            "coalesce_text() joins them into one piece per frame, and on_gui() delivers "
            "every piece on the GUI thread. Stop aborts the conversation, which closes its "
            "connection at once."
        },
    ),
    ScriptedTurn(
        "What's the weather in Paris and in Rome this week?",
        use_tool=True,
        emulator_options={"tokens": 40},
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
