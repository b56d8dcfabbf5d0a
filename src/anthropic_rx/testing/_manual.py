"""`ManualStream`: a `MessageStream` the test pushes by hand, to check a UI between two events."""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Mapping
from contextlib import contextmanager
from typing import Any, final

from reactivex import Observable, abc
from reactivex.disposable import Disposable

from .._steps import EventTypes, Step
from ..events import (
    ContentBlockDeltaEvent,
    ContentBlockStartEvent,
    ContentBlockStopEvent,
    MessageStartEvent,
    StreamEvent,
)
from ..sources import MessageStream, PushSource
from . import _wire

__all__ = ["ManualStream"]


@final
class ManualStream(MessageStream):
    """A `MessageStream` over a `PushSource`: the test sends its events one at a time.

    It is a `MessageStream` — hot, replaying everything to a late subscriber, judged by one
    accumulator (an event that breaks the protocol, or an ``event: error``, ends the stream
    with the typed error), aborted when its last subscriber leaves before the end, with
    ``wait()``, ``start()``, ``snapshot`` and every operator — and code typed for one takes
    it. Each push is delivered before the call returns, in the calling thread, so a test
    can look at its UI between two events. (A push made while another is being delivered,
    from a subscriber's callback or another thread, is delivered right after it.) It starts
    as it is made: events pushed before anyone subscribes are replayed to the first one.

    A subscriber whose callback raises gets the exception as its ``on_error`` and is
    dropped, as from any `MessageStream`; the push (or the subscribe, for a late
    subscriber's replay) that caused it then raises it too, after every other subscriber
    had the event, so the test fails where the callback broke. So does an exception raised
    by an ``on_error`` or ``on_completed`` (reactivex's default ``on_error`` raises). A
    pipeline's operators hand an exception of their subscriber's ``on_next`` to its
    ``on_error``: it reaches the push only if that raises it.

    The helpers add what a real stream has around a delta: `text` sends ``message_start``
    first if needed and opens a text block (closing another kind of block) before its
    delta; `finish` closes the open block and sends ``message_delta`` and
    ``message_stop``. `push` sends any event as it is.

    Example:
        >>> stream = ManualStream()
        >>> label = Label()                     # the UI under test
        >>> bind_answer(stream, label)          # the user's code: subscribes to the stream
        >>> stream.text("Hel")
        >>> assert label.text == "Hel"
        >>> stream.text("lo")
        >>> stream.finish()
        >>> assert label.text == "Hello" and label.done
    """

    def __init__(
        self,
        *,
        model: str = _wire.DEFAULT_MODEL,
        id: str = _wire.DEFAULT_ID,
        input_tokens: int = 10,
    ) -> None:
        """Make a stream with nothing sent yet.

        Args:
            model: the ``model`` of the ``message_start`` the helpers send.
            id: its message ``id``.
            input_tokens: its ``usage.input_tokens``.
        """
        self._pushed = PushSource()
        super().__init__(self._pushed)
        self._manual = _Manual(_wire.message_start(id=id, model=model, input_tokens=input_tokens))
        self.watch(self._manual)  # it records each event the accumulator took
        self.start()

    # -- state -----------------------------------------------------------------------------

    @property
    def events(self) -> tuple[StreamEvent, ...]:
        """Every event delivered so far."""
        with self._manual.lock:
            return tuple(self._manual.events)

    @property
    def aborted(self) -> bool:
        """Whether `abort` was called, or the last subscriber left, before the end."""
        return self._pushed.closed

    @property
    def subscriber_count(self) -> int:
        """How many subscribers are attached now (one whose callback failed is not)."""
        with self._manual.lock:
            return len(self._manual.attached)

    # -- sending events --------------------------------------------------------------------

    def push(self, *events: StreamEvent | Mapping[str, Any]) -> None:
        """Send *events* as they are: typed events, or JSON parsed as the wire's would be.

        Raises:
            RuntimeError: the stream already ended (pushes after an abort are ignored
                instead, as a real stream stops reading).
            Exception: what a subscriber's callback raised on one of these events.
        """
        for event in events:
            self._push(event if not isinstance(event, Mapping) else _wire.typed(event))

    def text(self, piece: str) -> None:
        """Send a text delta, opening a text block (and sending ``message_start``) if needed."""
        self._ensure_block("text")
        self._delta("text_delta", piece)

    def thinking(self, piece: str) -> None:
        """Send a thinking delta, opening a thinking block if needed."""
        self._ensure_block("thinking")
        self._delta("thinking_delta", piece)

    def tool_input(self, partial_json: str, *, name: str = "tool", id: str | None = None) -> None:
        """Send a fragment of a tool call's input JSON, opening a ``tool_use`` block if needed.

        A new block opens when the open one is not a tool call named *name* (with *id*,
        when given).
        """
        open_ = self._manual.open
        block = open_.content_block if open_ is not None else None
        same = (
            block is not None
            and block.type == "tool_use"
            and getattr(block, "name", None) == name
            and (id is None or getattr(block, "id", None) == id)
        )
        if not same:
            self._open_block("tool_use", name=name, id=id)
        self._delta("input_json_delta", partial_json)

    def tool_use(
        self,
        name: str,
        input: Mapping[str, Any] | str | None = None,
        *,
        id: str | None = None,
        chunks: int = 1,
    ) -> None:
        """Send a whole ``tool_use`` block: its start, *chunks* input fragments, its stop."""
        self._open_block("tool_use", name=name, id=id)
        for piece in _wire.split(_wire.tool_json(input), chunks):
            self._delta("input_json_delta", piece)
        self.close_block()

    def close_block(self) -> None:
        """Send ``content_block_stop`` for the open block, if one is open."""
        if self._manual.open is not None:
            self._push(_wire.typed(_wire.stop(self._manual.open.index)))

    def ping(self) -> None:
        """Send a ``ping``."""
        self._push(_wire.typed(_wire.PING))

    def finish(self, stop_reason: str | None = None, *, output_tokens: int | None = None) -> None:
        """Close the open block, send ``message_delta`` and ``message_stop``, and complete.

        Args:
            stop_reason: default ``tool_use`` after a tool call, else ``end_turn``.
            output_tokens: the final ``usage.output_tokens`` (default: an estimate).
        """
        self._ensure_started()
        self.close_block()
        manual = self._manual
        reason = stop_reason or ("tool_use" if manual.tool else "end_turn")
        tokens = max(1, manual.output) if output_tokens is None else output_tokens
        self._push(_wire.typed(_wire.message_delta(reason, output_tokens=tokens)))
        self._push(_wire.typed(_wire.MESSAGE_STOP))
        self.end()

    def error_event(self, error_type: str = "overloaded_error", message: str | None = None) -> None:
        """Send an ``event: error``: the stream ends with the error its type names.

        ``overloaded_error`` becomes an `OverloadedError` (``mid_stream=True``), as from
        the API.
        """
        self._push(_wire.typed(_wire.error_event(error_type, message)))

    # -- ending ----------------------------------------------------------------------------

    def end(self) -> None:
        """End the source here: complete after ``message_stop``, else fail as a cut stream.

        A stream cut short ends with `IncompleteStreamError`, carrying the snapshot so far.
        """
        self._loudly(self._pushed.end)

    def fail(self, error: Exception) -> None:
        """End the stream with *error*, as a broken connection does (`APIConnectionError`).

        An `AnthropicRxError` gets the snapshot so far, as from a real stream.
        """
        self._loudly(lambda: self._pushed.end(error))

    def abort(self) -> None:
        """Stop the stream, as `MessageStream.abort` does (`StreamAbortedError`).

        Later pushes are ignored, as a real stream stops reading.
        """
        self._loudly(super().abort)

    # -- inside ----------------------------------------------------------------------------

    def _ensure_started(self) -> None:
        if not self._manual.started:
            self._push(_wire.typed(self._manual.start))

    def _ensure_block(self, kind: str) -> None:
        self._ensure_started()
        if self._manual.open is None or self._manual.open.content_block.type != kind:
            self._open_block(kind)

    def _open_block(self, kind: str, *, name: str | None = None, id: str | None = None) -> None:
        self._ensure_started()
        self.close_block()
        index = self._manual.next_index
        block = _wire.default_block(kind, index, name=name, id=id)
        self._push(_wire.typed(_wire.block_start(index, block)))

    def _delta(self, kind: str, value: str) -> None:
        open_ = self._manual.open
        index = open_.index if open_ is not None else self._manual.next_index
        self._push(_wire.typed(_wire.delta(index, kind, value)))

    def _push(self, event: StreamEvent) -> None:
        if self.done and not self.aborted:
            raise RuntimeError(f"expected no more events after the stream's end, got {event.type}")
        self._loudly(lambda: self._pushed.push(event))

    def _loudly(self, send: Callable[[], None]) -> None:
        with self._manual.loudly():
            send()

    def _subscribe_core(
        self, observer: abc.ObserverBase[StreamEvent], scheduler: abc.SchedulerBase | None = None
    ) -> abc.DisposableBase:
        subscribe_core = super()._subscribe_core  # not in the lambda: super() takes its arg
        return self._manual.attach(observer, lambda o: subscribe_core(o, scheduler))

    def __arx_steps__(self, only: EventTypes | None) -> Observable[Step]:
        """The folded steps (`StepsSource`), through the same checks as `subscribe`."""
        steps = super().__arx_steps__(only)

        def subscribe(
            observer: abc.ObserverBase[Step], scheduler: abc.SchedulerBase | None = None
        ) -> abc.DisposableBase:
            return self._manual.attach(observer, lambda o: steps.subscribe(o, scheduler=scheduler))

        return Observable(subscribe)

    def __repr__(self) -> str:
        state = "aborted" if self.aborted else ("ended" if self.done else "open")
        return f"<ManualStream {len(self.events)} events, {state}>"


class _Manual:
    """What the helpers know of the stream so far, and the subscribers' escaped errors.

    A `StreamWatcher` of the stream: it sees each event once the accumulator took it.
    """

    def __init__(self, start: Mapping[str, Any]) -> None:
        self.start = start  # the message_start the helpers send
        self.lock = threading.Lock()
        self.events: list[StreamEvent] = []
        self.attached: set[_Loud] = set()
        self.escaped: list[Exception] = []
        self.calls = threading.local()  # .depth: how many of our calls this thread is in
        self.started = False
        self.open: ContentBlockStartEvent | None = None
        self.next_index = 0
        self.tool = False
        self.output = 0

    # -- StreamWatcher -----------------------------------------------------------------------

    def on_start(self) -> None:
        """Nothing to do: a manual stream starts as it is made."""

    def on_event(self, event: StreamEvent) -> None:
        """Record *event*, and what it changes for the helpers."""
        with self.lock:
            self.events.append(event)
        if isinstance(event, MessageStartEvent):
            self.started = True
        elif isinstance(event, ContentBlockStartEvent):
            self.open = event
            self.next_index = max(self.next_index, event.index + 1)
            self.tool = self.tool or event.content_block.type == "tool_use"
        elif isinstance(event, ContentBlockStopEvent):
            self.open = None
        elif isinstance(event, ContentBlockDeltaEvent):
            delta = event.delta
            piece = getattr(delta, "text", None) or getattr(delta, "thinking", None)
            piece = piece or getattr(delta, "partial_json", None)
            self.output += _wire.tokens(piece) if piece else 0

    def on_end(self, error: Exception | None) -> None:
        """Nothing to do: the stream keeps its end."""

    # -- the subscribers -----------------------------------------------------------------------

    def attach(
        self,
        observer: abc.ObserverBase[Any],
        subscribe: Callable[[abc.ObserverBase[Any]], abc.DisposableBase],
    ) -> abc.DisposableBase:
        """Subscribe *observer* through a `_Loud`; raise what its replay made it raise."""
        loud = _Loud(observer, self)
        with self.lock:
            self.attached.add(loud)
        with self.loudly():
            try:
                inner = subscribe(loud)
            except BaseException:  # refused (a blocking call that would never return)
                self.detach(loud)
                raise

            def dispose() -> None:
                self.detach(loud)
                inner.dispose()

            if loud.failed:  # a late subscriber whose replay failed: gone, the test is told
                dispose()
        return Disposable(dispose)

    def detach(self, loud: _Loud) -> None:
        with self.lock:
            self.attached.discard(loud)

    def escape(self, loud: _Loud, error: Exception) -> None:
        """*loud*'s callback raised *error*: it is dropped, and the push will raise it."""
        with self.lock:
            self.attached.discard(loud)
            if not any(error is known for known in self.escaped):
                self.escaped.append(error)

    @contextmanager
    def loudly(self) -> Generator[None]:
        """Around a call of ours: at the outermost, raise what a callback raised meanwhile.

        Nested calls (a callback that pushes, a dispose that aborts) leave it to the
        outermost one, which the test made: raised inside a callback, the error would only
        be handed to that callback's subscriber.
        """
        depth = getattr(self.calls, "depth", 0)
        self.calls.depth = depth + 1
        try:
            yield
        finally:
            self.calls.depth = depth
        if depth == 0:
            with self.lock:
                escaped, self.escaped = self.escaped, []
            if escaped:
                raise escaped[0]


class _Loud(abc.ObserverBase[Any]):
    """An observer that tells its `_Manual` what its callbacks raise, and when it ends."""

    __slots__ = ("_manual", "_observer", "failed")

    def __init__(self, observer: abc.ObserverBase[Any], manual: _Manual) -> None:
        self._observer = observer
        self._manual = manual
        self.failed = False

    def on_next(self, value: Any) -> None:
        try:
            self._observer.on_next(value)
        except Exception as exc:
            self.failed = True
            self._manual.escape(self, exc)
            raise  # the stream drops this subscriber and hands it the error, as always

    def on_error(self, error: Exception) -> None:
        self._ended(lambda: self._observer.on_error(error))

    def on_completed(self) -> None:
        self._ended(self._observer.on_completed)

    def _ended(self, callback: Callable[[], None]) -> None:
        self._manual.detach(self)
        try:
            callback()
        except Exception as exc:  # the stream would log it: the test is told instead
            self.failed = True
            self._manual.escape(self, exc)
