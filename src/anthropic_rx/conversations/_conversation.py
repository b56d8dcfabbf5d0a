"""`Conversation`: the hot handle of a tool-use loop, one `MessageStream` per turn.

The loop is a small state machine driven by callbacks, so no thread ever blocks in it: a
turn's stream reports its events and its end (on the stream's thread or the loop), each
tool call reports its outcome (from its worker thread or task), and an approval arrives
from whatever thread the app answers on. Every transition happens under one lock; events
are pushed to the `Replay` outside it, so a subscriber may call back into the conversation
(approve, abort, send) from its callback.

A run: turn 1 → (tools → turn 2 → …) → stop. `send` starts another run on the same handle,
with the whole history, and the same subscribers see it.
"""

from __future__ import annotations

import contextlib
import copy
import json
import threading
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast, final

import anyio
from pydantic import BaseModel
from reactivex import Observable, abc
from reactivex import operators as ops

from .._blocking import Blocker, refuse, subscribed
from .._exceptions import AnthropicRxError, StreamAbortedError
from .._iterate import NotIterable
from .._loop import current_loop
from .._steps import Step, folded
from ..events import (
    ContentBlockStopEvent,
    Message,
    StreamEvent,
    ToolUseBlock,
)
from ..sources import MessageStream
from ._events import (
    ApprovalRequested,
    ConversationEvent,
    ConversationStopped,
    StopReason,
    ToolFinished,
    ToolStarted,
    TurnEvent,
    TurnFinished,
    TurnStarted,
)
from ._replay import Replay, Segment
from ._runners import LoopRunner, Outcome, Runner, ThreadRunner
from ._tools import (
    Tool,
    ToolError,
    ToolInputInvalid,
    bounded,
    error_text,
    key_mask,
    result_content,
    well_formed,
)

__all__ = ["Conversation", "OpenTurn", "PrepareTurn", "StopWhen", "history_of", "tool_called"]

#: Makes the stream of one turn from the request's parameters (``client.messages.stream``).
OpenTurn = Callable[..., MessageStream]
#: Called after each turn whose tool results are in: ``True`` stops the conversation.
StopWhen = Callable[["Conversation"], bool]
#: Called with (turn, request parameters) before each request; returns the parameters to send.
PrepareTurn = Callable[[int, dict[str, Any]], Mapping[str, Any]]

_T = TypeVar("_T")
_RUNNING, _STOPPED, _FAILED, _CLOSED, _IDLE = "running", "stopped", "failed", "closed", "idle"


def history_of(messages: Iterable[Mapping[str, Any] | BaseModel]) -> list[dict[str, Any]]:
    """The *messages* as plain JSON (pydantic models dumped), copied."""

    def default(value: object) -> Any:
        if isinstance(value, BaseModel):
            return value.model_dump(mode="json", exclude_none=True)
        if isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
            return list(value)  # pyright: ignore[reportUnknownArgumentType, reportUnknownVariableType]
        raise TypeError(f"expected JSON-compatible messages, got {type(value).__name__}")

    return cast("list[dict[str, Any]]", json.loads(json.dumps(list(messages), default=default)))


def tool_called(*names: str) -> StopWhen:
    """A ``stop_when`` that stops once the last turn called one of the tools *names*.

    The call still runs and its result is in the history (Vercel's ``hasToolCall``): handy
    for a "final answer" tool whose input is the result.

    Example:
        >>> conversation = client.messages.conversation(
        ...     tools=[search, final_answer], stop_when=tool_called("final_answer"), **params
        ... )
    """
    wanted = frozenset(names)

    def stop(conversation: Conversation) -> bool:
        message = conversation.last_message
        return message is not None and any(
            isinstance(block, ToolUseBlock) and block.name in wanted for block in message.content
        )

    return stop


def _block_param(block: Any) -> dict[str, Any]:
    return cast("dict[str, Any]", block.model_dump(mode="json", exclude_none=True))


@dataclass
class _Call:
    """One tool call of the current turn and where it is."""

    block: ToolUseBlock
    turn: int
    state: str = "new"  # new, approval, queued, running, done
    early: bool = False
    started_at: float | None = None  # None until it runs (a denied call never does)
    cancel: Callable[[], None] | None = None
    result: dict[str, Any] | None = None  # the tool_result block, once done
    prepared: Callable[[], Any] | None = field(default=None, repr=False)
    tool: Tool | None = None


@final
class Conversation(NotIterable, Observable[ConversationEvent]):
    """The hot handle of a tool-use conversation: an Observable of its events.

    Made by ``client.messages.conversation(...)`` (`Client` or `AsyncClient`). Nothing is
    sent until the first subscription, `start`, `wait`, `final_message` or ``await``. Each
    turn is a `MessageStream` (`TurnStarted.stream`, `turns`), so every operator works on a
    turn; late subscribers get every event replayed from the first.

    The Observable stays open across runs: a run ends with `ConversationStopped` (its
    ``stop_reason`` says how), and `send` starts the next one on the same handle. It
    completes at `close` and fails with the typed error that ends the conversation (HTTP,
    protocol, a cut stream, `abort`), whose ``history`` holds the messages so far. Unlike a
    `MessageStream`, disposing the last subscriber does not stop it (an app may subscribe
    again): `abort` and `close` do.

    How a run stops (``stop_reason``): the model's ``end_turn``, ``stop_sequence``,
    ``refusal``, ``max_tokens`` (calls of that turn never run), ``tool_use`` with none of our
    tools to run, or the loop's ``max_turns`` and ``stop_when``; ``pause_turn`` is continued
    at once (the paused turn is sent back as it is). A tool call cut by ``max_tokens`` fails
    the stream with `ToolInputError` at its block's end: it never runs.

    Delivery is as `MessageStream`'s: each subscriber gets the events in order, never two
    at once, on the thread that produced them (a stream's reader, a tool's worker, the
    loop, the thread that approved a call); put ``on_gui(scheduler)`` before a GUI.

    Example:
        >>> conversation = client.messages.conversation(
        ...     model=MODEL, max_tokens=1024, tools=[get_weather],
        ...     messages=[{"role": "user", "content": "Weather in Paris?"}],
        ... )
        >>> conversation.each_turn(text_only()).subscribe(print)
        >>> message = conversation.final_message()        # runs tools, loops, returns
        >>> conversation.send("And in Rome?")             # a chat: same handle, history kept
        >>> conversation.final_message().content
    """

    def __init__(
        self,
        open_turn: OpenTurn,
        params: Mapping[str, Any],
        *,
        tools: Sequence[Tool | Mapping[str, Any]] = (),
        max_turns: int | None = None,
        stop_when: StopWhen | None = None,
        prepare_turn: PrepareTurn | None = None,
        max_concurrent_tools: int | None = None,
        tool_timeout: float | None = None,
        start_tools_early: bool = False,
        secret: Callable[[], str] | None = None,
        is_async: bool = False,
    ) -> None:
        """Prefer ``client.messages.conversation(...)``, which checks and builds all this."""
        super().__init__()
        if max_turns is not None and max_turns < 1:
            raise ValueError(f"expected max_turns >= 1, got {max_turns!r}")
        if max_concurrent_tools is not None and max_concurrent_tools < 1:
            raise ValueError(f"expected max_concurrent_tools >= 1, got {max_concurrent_tools!r}")
        if tool_timeout is not None and not tool_timeout > 0:
            raise ValueError(f"expected a positive tool_timeout, got {tool_timeout!r}")
        self._open_turn = open_turn
        base = dict(params)
        self._history: list[dict[str, Any]] = history_of(base.pop("messages", ()))
        self._tools: dict[str, Tool] = {}
        tool_params: list[Any] = []
        for item in tools:
            if isinstance(item, Tool):
                if item.name in self._tools:
                    raise ValueError(f"two tools are named {item.name!r}")
                self._tools[item.name] = item
                tool_params.append(item.to_param())
            elif isinstance(item, Mapping):  # pyright: ignore[reportUnnecessaryIsInstance]
                tool_params.append(dict(item))  # a server tool, or one the app runs itself
            else:
                raise TypeError(
                    f"expected a Tool (see @tool) or a tool definition dict, got {item!r}"
                )
        if tool_params:
            base["tools"] = tool_params
        self._base = base
        self._max_turns = max_turns
        self._stop_when = stop_when
        self._prepare_turn = prepare_turn
        self._max_concurrent = max_concurrent_tools
        self._tool_timeout = tool_timeout
        self._early = start_tools_early
        self._mask = key_mask(secret) if secret is not None else None
        self._is_async = is_async
        self._loop = current_loop() if is_async else None
        # Tools run on the app's loop (AsyncClient) or on threads and a private loop.
        self._runner: Runner = ThreadRunner() if self._loop is None else LoopRunner(self._loop)

        self._lock = threading.RLock()
        self._replay: Replay[ConversationEvent] = Replay()
        self._state = _IDLE
        self._turn = 0
        self._run_turns = 0
        self._run_first_turn = 1  # the turn the current (or last) run began with
        self._generation = 0  # bumped when a turn is left behind (abort), to drop its callbacks
        self._stream: MessageStream | None = None
        self._subscription: abc.DisposableBase | None = None
        self._calls: list[_Call] = []
        self._by_id: dict[str, _Call] = {}
        self._running = 0
        self._turn_message: Message | None = None
        self._collecting = False
        self._last_message: Message | None = None
        self._stop_reason: StopReason | None = None
        self._error: Exception | None = None
        self._settled = threading.Event()
        self._waiters: list[Callable[[], None]] = []
        self._hooks = threading.local()  # .depth: this thread runs stop_when or prepare_turn

    # -- the handle ------------------------------------------------------------------------

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The history as the API's ``messages`` list: plain JSON, a copy, safe to save.

        Restore it with ``client.messages.conversation(messages=saved, ...)``.
        """
        with self._lock:
            return copy.deepcopy(self._history)

    @property
    def turn(self) -> int:
        """How many turns (requests) the conversation has made, over all runs."""
        return self._turn

    @property
    def stop_reason(self) -> StopReason | None:
        """How the last run stopped (`StopReason`), or ``None`` while it runs or if it failed."""
        return self._stop_reason

    @property
    def error(self) -> Exception | None:
        """The error that ended the conversation, if one did."""
        return self._error

    @property
    def last_message(self) -> Message | None:
        """The last assistant message of a finished turn."""
        return self._last_message

    @property
    def running(self) -> bool:
        """Whether a run is going on (a turn streams, tools run, or an approval waits)."""
        return self._state == _RUNNING

    @property
    def tools(self) -> Mapping[str, Tool]:
        """The conversation's runnable tools, by name."""
        return dict(self._tools)

    def start(self) -> Conversation:
        """Start the first turn now, if nothing has started; return ``self``."""
        with self._lock:
            if self._state != _IDLE:
                return self
            self._state = _RUNNING
            self._settled.clear()
        self._runner.hop(self._begin_turn)
        return self

    def send(self, content: str | Iterable[Mapping[str, Any]]) -> Conversation:
        """Continue with a new user message (a chat's "send"); return ``self``.

        The whole history goes with it; the new turns are appended, and the subscribers
        already there see them. After a run that stopped with tool results last (by
        ``max_turns`` or ``stop_when``), the text joins that user message, as the API wants;
        after a turn that stopped with calls it never ran (``max_tokens`` right after a
        call), those get ``is_error`` results first, unless *content* answers them.

        Args:
            content: the message's text, or its content blocks.

        Raises:
            RuntimeError: a run is still going on (wait for `ConversationStopped`), or the
                conversation failed or was closed (start a new one from ``.messages``).
        """
        blocks: list[dict[str, Any]] = (
            [{"type": "text", "text": content}] if isinstance(content, str) else history_of(content)
        )
        with self._lock:
            if self._state == _RUNNING:
                raise RuntimeError(
                    "the conversation is still running: send() after it stops "
                    "(ConversationStopped, wait(), await)"
                )
            if self._state in (_FAILED, _CLOSED):
                raise RuntimeError(
                    f"the conversation is {self._state}: start a new one with "
                    "client.messages.conversation(messages=conversation.messages, ...)"
                )
            last = self._history[-1] if self._history else None
            answered = {b.get("tool_use_id") for b in blocks if b.get("type") == "tool_result"}
            unanswered = [i for i in self._unanswered_calls(last) if i not in answered]
            if unanswered:  # calls the turn never ran (max_tokens, …) nor the app answers
                why = f"Error: the call was not run: the turn stopped ({self._stop_reason})"
                results = [
                    {"type": "tool_result", "tool_use_id": ident, "content": why, "is_error": True}
                    for ident in unanswered
                ]
                self._history.append({"role": "user", "content": [*results, *blocks]})
            elif last is not None and last.get("role") == "user":
                existing = last["content"]
                if isinstance(existing, str):
                    existing = [{"type": "text", "text": existing}]
                last["content"] = [*existing, *blocks]
            else:
                self._history.append({"role": "user", "content": blocks})
            self._state = _RUNNING
            self._run_turns = 0
            self._run_first_turn = self._turn + 1
            self._stop_reason = None
            self._settled.clear()
        self._runner.hop(self._begin_turn)
        return self

    @staticmethod
    def _unanswered_calls(last: Mapping[str, Any] | None) -> list[str]:
        """The ids of *last*'s ``tool_use`` blocks, if it is an assistant message.

        The API wants each answered by a ``tool_result`` in the next (user) message.
        """
        if last is None or last.get("role") != "assistant":
            return []
        content = last.get("content")
        if not isinstance(content, list):
            return []
        items: list[Any] = content  # pyright: ignore[reportUnknownVariableType]
        blocks = [cast("Mapping[str, Any]", b) for b in items]
        return [str(b.get("id")) for b in blocks if b.get("type") == "tool_use"]

    def abort(self) -> None:
        """Stop now: close the current connection, cancel running tools and approvals.

        Subscribers get `StreamAbortedError` (with ``history``); nothing more is sent. A
        sync tool function already running on its thread runs on (threads cannot be
        killed), and its result is dropped. A conversation that has stopped has nothing to
        abort: it stays as it is (`close` ends it); one not started yet never starts.
        """
        with self._lock:
            if self._state in (_FAILED, _CLOSED, _STOPPED):
                return
        self._fail(StreamAbortedError("the conversation was aborted"), generation=None)

    def close(self) -> None:
        """Abort a run going on, then complete the Observable. Closing twice is harmless."""
        with self._lock:
            running = self._state == _RUNNING
        if running:
            self.abort()
        with self._lock:
            if self._state != _FAILED:
                self._state = _CLOSED
        if self._replay.end():
            self._settle()

    def __enter__(self) -> Conversation:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def wait(self, timeout: float | None = None) -> bool:
        """Start if needed and block until the run stops or fails; return whether it did.

        From a callback of the run's end (`ConversationStopped`, the error) it returns
        ``True`` at once.

        Raises:
            RuntimeError: at once, where waiting could never end: on the event loop thread
                of an async conversation (``await conversation``), or inside one of this
                conversation's own callbacks while it runs (a subscriber's, ``stop_when``,
                ``prepare_turn``, a sync tool's function: what the run waits for).
        """
        if self._settled.is_set():
            return True
        with self._lock:
            ended = self._state in (_STOPPED, _FAILED, _CLOSED)
        if ended and self._in_callback():
            return True  # a callback of the end: the rest follows on this thread
        if self._loop is not None and self._loop.in_loop():
            raise RuntimeError(
                "wait() would block the event loop this conversation runs on: "
                "await conversation instead"
            )
        refuse((self,), "wait()")
        self.start()
        return self._settled.wait(timeout)

    def _in_callback(self) -> bool:
        """Whether this thread is in a callback of the conversation, which it carries on after."""
        return self._replay.pushing_here() or getattr(self._hooks, "depth", 0) > 0

    @contextlib.contextmanager
    def _hook(self) -> Generator[None, None, None]:
        depth = getattr(self._hooks, "depth", 0)
        self._hooks.depth = depth + 1
        try:
            yield
        finally:
            self._hooks.depth = depth

    def __arx_blocks__(self, thread: int) -> str | None:
        """Why blocking *thread* until the run stops would never return, or ``None``.

        The protocol of the blocking checks (`.._blocking`): ``wait()``, ``final_message()``
        and ``.run()`` of a pipeline on the conversation ask it before blocking.
        """
        with self._lock:
            if self._state != _RUNNING:
                return None
            stream = self._stream
        if self._loop is not None and self._loop.runs_on(thread):
            return (
                "this AsyncClient conversation runs on the event loop of this very thread, "
                "which cannot run while the thread waits: await conversation instead"
            )
        if thread == threading.get_ident() and self._in_callback():
            return (
                "it is called in one of this conversation's own callbacks (a subscriber, "
                "stop_when, prepare_turn, a tool), which the run waits for: act on "
                "ConversationStopped instead, or wait from another thread"
            )
        return stream.__arx_blocks__(thread) if isinstance(stream, Blocker) else None

    def final_message(self, timeout: float | None = None) -> Message:
        """Start if needed, wait for the run to stop, and return its last message.

        Raises:
            TimeoutError: it did not stop within *timeout* seconds.
            RuntimeError: waiting could never end where it is called (see `wait`).
            AnthropicRxError: the error that ended the conversation (with ``history``).
        """
        if not self.wait(timeout):
            raise TimeoutError(f"the conversation did not stop within {timeout} s")
        return self._result()

    def _result(self) -> Message:
        if self._error is not None:
            raise self._error
        if self._last_message is None:
            raise RuntimeError("the conversation was closed before any turn finished")
        return self._last_message

    def __await__(self) -> Generator[Any, None, Message]:  # type: ignore[override]
        """``await conversation``: start, wait (asyncio or trio), return the last message."""
        return self._await().__await__()

    async def _await(self) -> Message:
        loop = current_loop()
        event = anyio.Event()

        def wake() -> None:
            if loop.in_loop():
                event.set()
            else:
                loop.call_soon(event.set)

        with self._lock:
            settled = self._settled.is_set() and self._state != _IDLE
            if not settled:
                self._waiters.append(wake)
        self.start()
        if not settled:
            try:
                await event.wait()
            finally:
                with self._lock:
                    if wake in self._waiters:
                        self._waiters.remove(wake)
        return self._result()

    # -- views -----------------------------------------------------------------------------

    @property
    def turns(self) -> Observable[MessageStream]:
        """Each turn's `MessageStream`, as it starts (replayed to late subscribers)."""
        return self.pipe(
            ops.filter(lambda e: isinstance(e, TurnStarted)),
            ops.map(lambda e: cast(TurnStarted, e).stream),
        )

    def each_turn(
        self, operator: Callable[[Observable[StreamEvent]], Observable[_T]]
    ) -> Observable[_T]:
        """Apply *operator* to each turn's stream, and give its values, turn after turn.

        Example:
            >>> conversation.each_turn(text_only()).subscribe(print)   # every turn's text
        """

        def views(stream: MessageStream) -> Observable[_T]:
            return operator(stream)

        return self.turns.pipe(ops.concat_map(views))

    def watch(self) -> Observable[ConversationEvent]:
        """Every event, replayed, like subscribing, but without starting the conversation.

        For observers that must not change when requests go out (tracing uses it).
        """
        return self._replay.observable

    def stream_events(self) -> Observable[StreamEvent]:
        """The raw stream events of every turn, in order.

        Several messages follow each other here, so single-message operators
        (``text_only()``, ``final_message()``) go on each turn instead: `each_turn`.
        """
        return self.pipe(
            ops.filter(lambda e: isinstance(e, TurnEvent)),
            ops.map(lambda e: cast(TurnEvent, e).event),
        )

    def tool_runs(self) -> Observable[ToolStarted | ToolFinished]:
        """The tool executions: `ToolStarted` and `ToolFinished` (with result and timing)."""
        runs = self.pipe(ops.filter(lambda e: isinstance(e, (ToolStarted, ToolFinished))))
        return cast("Observable[ToolStarted | ToolFinished]", runs)

    def run(self, scheduler: abc.SchedulerBase | None = None) -> ConversationEvent:
        """Refused: a conversation stays open across runs, so this would wait for `close`.

        Raises:
            TypeError: always, naming what to use: `final_message` (the run's last message)
                or ``until_stopped().run()`` (its last event).
        """
        raise TypeError(
            "Conversation.run() would wait for close(), since a conversation stays open "
            "across runs (send() adds one): use conversation.final_message(), or "
            "conversation.until_stopped().run()"
        )

    def until_stopped(self) -> Observable[ConversationEvent]:
        """The events of the current run (the last one, once stopped), up to its stop.

        It completes after the run's `ConversationStopped` (and fails as the conversation
        does), so pipelines that need an end get one: ``async for`` over it, ``.run()``.
        Which run is decided at subscription: after `send`, a new subscription follows the
        new run.

        Example:
            >>> async for event in arx.to_async_iterable(conversation.until_stopped()):
            ...     show(event)
        """

        def subscribe(
            observer: abc.ObserverBase[ConversationEvent],
            scheduler: abc.SchedulerBase | None = None,
        ) -> abc.DisposableBase:
            first = self._run_first_turn

            def in_run(event: ConversationEvent) -> bool:
                return event.turn >= first

            return self.pipe(
                ops.filter(in_run),
                ops.take_while(lambda e: not isinstance(e, ConversationStopped), True),
            ).subscribe(observer, scheduler=scheduler)

        return Observable(subscribe)

    def _subscribe_core(
        self,
        observer: abc.ObserverBase[ConversationEvent],
        scheduler: abc.SchedulerBase | None = None,
    ) -> abc.DisposableBase:
        subscribed(self, scheduler)  # a blocking run() that could never return: refused here
        subscription = self._replay.observable.subscribe(observer, scheduler=scheduler)
        self.start()
        return subscription

    def __repr__(self) -> str:
        return (
            f"<Conversation turn={self._turn} state={self._state} "
            f"stop_reason={self._stop_reason!r} tools={sorted(self._tools)}>"
        )

    # -- turns -----------------------------------------------------------------------------

    def _begin_turn(self) -> None:
        with self._lock:
            if self._state != _RUNNING:
                return
            self._turn += 1
            self._run_turns += 1
            turn = self._turn
            generation = self._generation
            params = {**self._base, "messages": copy.deepcopy(self._history)}
            self._calls, self._by_id, self._running = [], {}, 0
            self._turn_message = None
        try:
            if self._prepare_turn is not None:
                with self._hook():
                    params = dict(self._prepare_turn(turn, params))
            stream = self._open_turn(**params)
        except Exception as exc:  # bad parameters, a closed client, prepare_turn raised
            self._fail(exc, generation=generation)
            return
        with self._lock:
            if self._state != _RUNNING or generation != self._generation:
                stream.abort()
                return
            self._stream = stream
        first = self._replay.push(TurnStarted(turn, stream)) + 1  # where its events begin
        last: list[Step] = []

        def on_next(step: Step) -> None:
            last[:] = [step]
            self._on_step(turn, generation, step)

        def on_error(error: Exception) -> None:
            self._fail(error, generation=generation)

        def on_completed() -> None:
            snapshot = last[0].snapshot if last else None
            if snapshot is None:
                self._fail(
                    StreamAbortedError("the turn's stream ended without a message"),
                    generation=generation,
                )
                return
            self._fold(turn, stream, first)
            self._turn_done(turn, generation, snapshot.to_message())

        subscription = folded(stream).subscribe(on_next, on_error, on_completed)
        with self._lock:
            if generation == self._generation:
                self._subscription = subscription

    def _fold(self, turn: int, stream: MessageStream, first: int) -> None:
        """Keep a finished turn's events as segments its stream rebuilds (compactly kept).

        A `TurnEvent` per delta would keep ~1.4 KiB of objects each for the conversation's
        whole life; the turn's `MessageStream` keeps ~20 bytes a delta once it has ended.
        """

        def segment(offset: int, count: int) -> Segment:
            def rebuild() -> list[TurnEvent]:
                events: list[StreamEvent] = []
                stream.subscribe(events.append, lambda _: None).dispose()  # ended: at once
                return [TurnEvent(turn, e) for e in events[offset : offset + count]]

            return Segment(count, rebuild)

        def belongs(event: ConversationEvent) -> bool:
            return isinstance(event, TurnEvent) and event.turn == turn

        self._replay.fold(first, belongs, segment)

    def _on_step(self, turn: int, generation: int, step: Step) -> None:
        with self._lock:
            if generation != self._generation:
                return
        self._replay.push(TurnEvent(turn, step.event))
        event = step.event
        if self._early and isinstance(event, ContentBlockStopEvent) and step.snapshot is not None:
            block = step.snapshot.block(event.index)
            if isinstance(block, ToolUseBlock):
                self._add_call(turn, generation, block, early=True)

    def _turn_done(self, turn: int, generation: int, message: Message) -> None:
        with self._lock:
            if generation != self._generation or self._state != _RUNNING:
                return
            self._turn_message = self._last_message = message
            self._collecting = True  # no "all calls done" until every call is registered
            self._history.append(
                {"role": "assistant", "content": [_block_param(b) for b in message.content]}
            )
        self._replay.push(TurnFinished(turn, message))
        reason = message.stop_reason
        calls = [b for b in message.content if isinstance(b, ToolUseBlock)]
        if reason == "tool_use" and calls:
            for block in calls:  # blocks that came whole in message_start have no stop event
                self._add_call(turn, generation, block, early=False)
            with self._lock:
                self._collecting = False
                order = [c.block.id for c in self._calls]
                wanted = [b.id for b in calls]
                if order != wanted:  # keep the model's order, whatever started first
                    rank = {ident: i for i, ident in enumerate(wanted)}
                    self._calls.sort(key=lambda c: rank.get(c.block.id, len(rank)))
            self._maybe_tools_done(generation)
        elif reason == "pause_turn":
            with self._lock:
                self._collecting = False
            self._drop_calls()
            if self._turn_limit_reached():
                self._stop("max_turns", turn)
            else:
                self._begin_turn()  # the paused turn is in the history: the API continues it
        else:
            with self._lock:
                self._collecting = False
            self._drop_calls()
            self._stop(reason or "end_turn", turn)

    def _turn_limit_reached(self) -> bool:
        return self._max_turns is not None and self._run_turns >= self._max_turns

    # -- tool calls ------------------------------------------------------------------------

    def _add_call(self, turn: int, generation: int, block: ToolUseBlock, *, early: bool) -> None:
        with self._lock:
            if generation != self._generation or block.id in self._by_id:
                return
            call = _Call(block, turn, early=early)
            self._calls.append(call)
            self._by_id[block.id] = call
            tool = self._tools.get(block.name)
            call.tool = tool
        if tool is None:
            known = ", ".join(sorted(self._tools)) or "none"
            self._settle_call(
                call,
                generation,
                None,
                f"Error: unknown tool {block.name!r} (this conversation's tools: {known})",
                LookupError(f"unknown tool {block.name!r}"),
            )
            return
        try:  # input that does not fit goes back to the model: nobody is asked to approve it
            call.prepared = tool.prepare(block.input)
        except ToolInputInvalid as exc:
            self._settle_call(call, generation, None, bounded(f"Error: {exc}"), exc)
            return
        try:
            with self._hook():
                needs = tool.needs_approval(block.input)
        except Exception as exc:
            self._settle_call(call, generation, None, self._describe(exc), exc)
            return
        if needs:
            with self._lock:
                call.state = "approval"
            answered = threading.Lock()

            def answer(approved: bool, reason: str) -> None:
                if not answered.acquire(blocking=False):
                    return  # the first answer counts
                # From any thread (a GUI's): the conversation goes on where its turns run.
                self._runner.hop(lambda: self._answered(call, generation, approved, reason))

            self._replay.push(ApprovalRequested(turn, block, answer))
        else:
            self._enqueue(call, generation)

    def _answered(self, call: _Call, generation: int, approved: bool, reason: str) -> None:
        with self._lock:
            if generation != self._generation or call.state != "approval":
                return
        if approved:
            self._enqueue(call, generation)
        else:
            self._settle_call(call, generation, None, reason or "The user denied this call.", None)

    def _enqueue(self, call: _Call, generation: int) -> None:
        with self._lock:
            if generation != self._generation or call.state == "dropped":
                return
            call.state = "queued"
        self._pump(generation)

    def _pump(self, generation: int) -> None:
        """Start queued calls while the bound allows, in the model's order."""
        while True:
            with self._lock:
                if generation != self._generation:
                    return
                if self._max_concurrent is not None and self._running >= self._max_concurrent:
                    return
                call = next((c for c in self._calls if c.state == "queued"), None)
                if call is None:
                    return
                call.state = "running"
                call.started_at = self._runner.now()
                self._running += 1
                tool = call.tool
                prepared = call.prepared
            assert tool is not None
            assert prepared is not None
            self._replay.push(ToolStarted(call.turn, call.block, call.started_at, call.early))
            timeout = tool.timeout if tool.timeout is not None else self._tool_timeout

            def done(outcome: Outcome, call: _Call = call, timeout: float | None = timeout) -> None:
                self._tool_done(call, generation, outcome, timeout)

            def marked(prepared: Callable[[], Any] = prepared) -> Any:
                with self._hook():  # a tool waiting on its own run: refused (see wait())
                    return prepared()

            try:
                cancel = self._runner.run(marked, tool.is_async, timeout, done)
            except Exception as exc:  # no thread to be had, the loop gone: the call ends
                done(Outcome(error=exc))
                continue
            with self._lock:
                # Dropped or aborted while it was being started: cancel it now.
                late = call.state != "running" or generation != self._generation
                if not late:
                    call.cancel = cancel
            if late:
                cancel()

    def _tool_done(
        self, call: _Call, generation: int, outcome: Outcome, timeout: float | None
    ) -> None:
        if outcome.cancelled:
            return
        with self._lock:
            if generation != self._generation or call.state != "running":
                return
            self._running -= 1
        if outcome.timed_out:
            error: BaseException = TimeoutError(
                f"tool {call.block.name!r} did not finish within {timeout:g} s"
            )
            self._settle_call(call, generation, None, self._describe(error), error)
        elif isinstance(outcome.error, ToolError):  # the tool's own words for the model
            words = self._masked(outcome.error.content)
            self._settle_call(call, generation, None, words, outcome.error)
        elif outcome.error is not None:
            self._settle_call(call, generation, None, self._describe(outcome.error), outcome.error)
        else:
            try:
                content = result_content(outcome.value)
            except Exception as exc:  # a value JSON cannot carry
                self._settle_call(call, generation, None, self._describe(exc), exc)
            else:
                self._settle_call(call, generation, outcome.value, content, None, ok=True)
        self._pump(generation)

    def _masked(self, content: Any) -> Any:
        """A tool's own words (`ToolError`) as sent: well formed, the key never in them."""
        if isinstance(content, str):
            return well_formed(self._mask(content) if self._mask is not None else content)
        blocks: list[Any] = []
        for block in cast("list[Any]", content):
            if isinstance(block, Mapping):
                fields = cast("Mapping[str, Any]", block)
                text = fields.get("text")
                if isinstance(text, str):
                    block = {**fields, "text": self._masked(text)}
            blocks.append(block)
        return blocks

    def _describe(self, error: BaseException) -> str:
        """An error as the model reads it: type and message, never a traceback or the key."""
        return error_text(error, self._mask)

    def _settle_call(
        self,
        call: _Call,
        generation: int,
        value: Any,
        content: Any,
        error: BaseException | None,
        *,
        ok: bool = False,
    ) -> None:
        now = self._runner.now()
        with self._lock:
            if generation != self._generation or call.state in ("done", "dropped"):
                return
            started = now if call.started_at is None else call.started_at
            call.state = "done"
            call.cancel = None
            result: dict[str, Any] = {"type": "tool_result", "tool_use_id": call.block.id}
            if content is not None:
                result["content"] = content
            if not ok:
                result["is_error"] = True
            call.result = result
        self._replay.push(
            ToolFinished(call.turn, call.block, value, not ok, error, started, now, content)
        )
        self._maybe_tools_done(generation)

    def _maybe_tools_done(self, generation: int) -> None:
        with self._lock:
            if (
                generation != self._generation
                or self._state != _RUNNING
                or self._turn_message is None  # the turn still streams (early calls)
                or self._collecting
                or any(c.state != "done" for c in self._calls)
                or not self._calls
            ):
                return
            results = [c.result for c in self._calls]
            self._calls = []
            self._history.append({"role": "user", "content": results})
            turn = self._turn
        if self._turn_limit_reached():
            self._stop("max_turns", turn)
            return
        if self._stop_when is not None:
            try:
                with self._hook():
                    stop = self._stop_when(self)
            except Exception as exc:
                self._fail(exc, generation=generation)
                return
            if stop:
                self._stop("stop_when", turn)
                return
        self._begin_turn()

    def _drop_calls(self) -> None:
        """Cancel the turn's early calls: a turn that does not end in tool_use runs none."""
        with self._lock:
            calls, self._calls, self._by_id = self._calls, [], {}
            self._running = 0
            for call in calls:
                if call.state != "done":
                    call.state = "dropped"  # a late approval or result is ignored
        for call in calls:
            if call.cancel is not None:
                call.cancel()

    # -- endings ---------------------------------------------------------------------------

    def _stop(self, reason: StopReason, turn: int) -> None:
        with self._lock:
            if self._state != _RUNNING:
                return
            self._state = _STOPPED
            self._stop_reason = reason
            self._stream = None
            self._subscription = None
            message = self._last_message
        self._replay.push(ConversationStopped(turn, reason, message))
        self._settle()

    def _fail(self, error: Exception, *, generation: int | None) -> None:
        with self._lock:
            if generation is not None and generation != self._generation:
                return
            if self._state in (_FAILED, _CLOSED) or (
                generation is None and self._state == _STOPPED
            ):
                return  # (an abort() that raced the run's stop: nothing left to abort)
            self._state = _FAILED
            self._generation += 1
            stream, self._stream = self._stream, None
            subscription, self._subscription = self._subscription, None
            by_id = self._by_id
            calls, self._calls, self._by_id = self._calls, [], {}
            self._error = error
            self._close_tool_turn(by_id, error)
            history = copy.deepcopy(self._history)
        if isinstance(error, AnthropicRxError):
            error.history = history
        else:  # a TypeError from bad parameters, a stop_when that raised: still say where
            with contextlib.suppress(TypeError):  # no __dict__ (__slots__): no .history
                vars(error)["history"] = history
        for call in calls:
            if call.cancel is not None:
                call.cancel()
        if subscription is not None:
            subscription.dispose()
        if stream is not None:
            stream.abort()
        self._replay.end(error)
        self._settle()

    def _close_tool_turn(self, calls: Mapping[str, _Call], error: Exception) -> None:
        """Answer every call of a finished tool turn the run leaves behind (under the lock).

        The API refuses a history whose last ``tool_use`` blocks have no ``tool_result``:
        calls still running or waiting for approval get an error result saying why, so
        ``messages`` can be restored and continued.
        """
        message = self._turn_message
        last = self._history[-1] if self._history else None
        if message is None or message.stop_reason != "tool_use" or last is None:
            return
        if last.get("role") != "assistant":
            return  # the results are in already
        why = "Error: the call was cancelled: " + self._describe(error).removeprefix("Error: ")
        results: list[dict[str, Any]] = []
        for block in message.content:
            if not isinstance(block, ToolUseBlock):
                continue
            call = calls.get(block.id)
            if call is not None and call.result is not None:
                results.append(call.result)
            else:
                results.append(
                    {
                        "type": "tool_result",
                        "tool_use_id": block.id,
                        "content": why,
                        "is_error": True,
                    }
                )
        if results:
            self._history.append({"role": "user", "content": results})

    def _settle(self) -> None:
        with self._lock:
            if self._state == _RUNNING:
                return  # a subscriber's send() began the next run already: its end settles
            waiters, self._waiters = self._waiters, []
            self._settled.set()  # under the lock: send() clears it under the lock
        for wake in waiters:
            wake()
