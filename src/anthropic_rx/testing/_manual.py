"""`ManualStream`: a hot stream the test pushes by hand, to check a UI between two events."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any, final

from reactivex import Observable, abc
from reactivex.disposable import Disposable

from .._core import MessageAccumulator, MessageSnapshot
from .._exceptions import AnthropicRxError, StreamAbortedError
from .._iterate import NotIterable
from ..events import (
    ContentBlockDeltaEvent,
    ContentBlockStartEvent,
    ContentBlockStopEvent,
    MessageStartEvent,
    StreamEvent,
)
from . import _wire

__all__ = ["ManualStream"]


class _Subscriber:
    __slots__ = ("done", "observer")

    def __init__(self, observer: abc.ObserverBase[StreamEvent]) -> None:
        self.observer = observer
        self.done = False


@final
class ManualStream(NotIterable, Observable[StreamEvent]):
    """A hot stream of typed events that the test sends one at a time, synchronously.

    It behaves as a `MessageStream` does for its subscribers — hot, replaying everything to
    a late subscriber, judged by one `MessageAccumulator` (an event that breaks the
    protocol, or an ``event: error``, ends the stream with the typed error), aborted when
    its last subscriber leaves before the end — but each push is delivered before the
    call returns, in the calling thread, so a test can look at its UI between two events.
    An exception that escapes a subscriber's callback is raised by the push that caused
    it (after the other subscribers had the event), and that subscriber gets nothing more.

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
        super().__init__()
        self._start = _wire.message_start(id=id, model=model, input_tokens=input_tokens)
        self._lock = threading.RLock()
        self._acc = MessageAccumulator()
        self._events: list[StreamEvent] = []
        self._subscribers: list[_Subscriber] = []
        self._ended = False
        self._error: Exception | None = None
        self._aborted = False
        self._started = False
        self._open: ContentBlockStartEvent | None = None
        self._next_index = 0
        self._tool = False
        self._output = 0

    # -- state -----------------------------------------------------------------------------

    @property
    def snapshot(self) -> MessageSnapshot | None:
        """The message so far (``None`` before ``message_start``)."""
        return self._acc.snapshot

    @property
    def events(self) -> tuple[StreamEvent, ...]:
        """Every event delivered so far."""
        with self._lock:
            return tuple(self._events)

    @property
    def done(self) -> bool:
        """Whether the stream has ended: completed, failed or aborted."""
        return self._ended

    @property
    def error(self) -> Exception | None:
        """The error the stream ended with, if it did."""
        return self._error

    @property
    def aborted(self) -> bool:
        """Whether `abort` was called, or the last subscriber left before the end."""
        return self._aborted

    @property
    def subscriber_count(self) -> int:
        """How many subscribers are attached now."""
        with self._lock:
            return len(self._subscribers)

    # -- sending events --------------------------------------------------------------------

    def push(self, *events: StreamEvent | Mapping[str, Any]) -> None:
        """Send *events* as they are: typed events, or JSON parsed as the wire's would be.

        Raises:
            RuntimeError: the stream already ended (pushes after an abort are ignored
                instead, as a real stream stops reading).
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
        open_ = self._open
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
        raw = input if isinstance(input, str) else json.dumps(dict(input or {}))
        self._open_block("tool_use", name=name, id=id)
        for piece in _wire.split(raw, chunks):
            self._delta("input_json_delta", piece)
        self.close_block()

    def close_block(self) -> None:
        """Send ``content_block_stop`` for the open block, if one is open."""
        if self._open is not None:
            self._push(_wire.typed(_wire.stop(self._open.index)))

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
        reason = stop_reason or ("tool_use" if self._tool else "end_turn")
        tokens = max(1, self._output) if output_tokens is None else output_tokens
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
        with self._lock:
            if self._ended:
                return
            self._finish(None if self._acc.complete else self._acc.incomplete())

    def fail(self, error: Exception) -> None:
        """End the stream with *error*, as a broken connection does (`APIConnectionError`)."""
        with self._lock:
            if self._ended:
                return
            if isinstance(error, AnthropicRxError):
                error.with_snapshot(self._acc.snapshot)
            self._finish(error)

    def abort(self) -> None:
        """Stop the stream, as `MessageStream.abort` does (`StreamAbortedError`).

        Later pushes are ignored, as a real stream stops reading.
        """
        with self._lock:
            if self._ended:
                return
            self._aborted = True
            self._finish(
                StreamAbortedError(
                    "the stream was aborted before it ended", snapshot=self._acc.snapshot
                )
            )

    # -- inside ----------------------------------------------------------------------------

    def _ensure_started(self) -> None:
        if not self._started:
            self._push(_wire.typed(self._start))

    def _ensure_block(self, kind: str) -> None:
        self._ensure_started()
        if self._open is None or self._open.content_block.type != kind:
            self._open_block(kind)

    def _open_block(self, kind: str, *, name: str | None = None, id: str | None = None) -> None:
        self._ensure_started()
        self.close_block()
        block = _wire.default_block(kind, self._next_index)
        if name is not None:
            block["name"] = name
        if id is not None:
            block["id"] = id
        self._push(_wire.typed(_wire.block_start(self._next_index, block)))

    def _delta(self, kind: str, value: str) -> None:
        index = self._open.index if self._open is not None else self._next_index
        self._push(_wire.typed(_wire.delta(index, kind, value)))

    def _push(self, event: StreamEvent) -> None:
        with self._lock:
            if self._ended:
                if self._aborted:
                    return
                raise RuntimeError(
                    f"expected no more events after the stream's end, got {event.type}"
                )
            try:
                self._acc.feed(event)
            except Exception as exc:
                # As MessageStream: the accumulator judges the event; its error ends the
                # stream, after everything before it.
                if isinstance(exc, AnthropicRxError):
                    exc.with_snapshot(self._acc.snapshot)
                self._finish(exc)
                return
            self._events.append(event)
            self._track(event)
            escaped = [self._deliver(subscriber, event) for subscriber in list(self._subscribers)]
        for error in escaped:  # after every subscriber has had the event
            if error is not None:
                raise error

    def _track(self, event: StreamEvent) -> None:
        if isinstance(event, MessageStartEvent):
            self._started = True
        elif isinstance(event, ContentBlockStartEvent):
            self._open = event
            self._next_index = max(self._next_index, event.index + 1)
            self._tool = self._tool or event.content_block.type == "tool_use"
        elif isinstance(event, ContentBlockStopEvent):
            self._open = None
        elif isinstance(event, ContentBlockDeltaEvent):
            delta = event.delta
            piece = getattr(delta, "text", None) or getattr(delta, "thinking", None)
            piece = piece or getattr(delta, "partial_json", None)
            self._output += _wire.tokens(piece) if piece else 0

    def _deliver(self, subscriber: _Subscriber, event: StreamEvent) -> BaseException | None:
        """Give *event* to one subscriber; return what escaped its callbacks, if anything."""
        if subscriber.done:
            return None
        try:
            subscriber.observer.on_next(event)
        except Exception as exc:
            # Unlike MessageStream, which hands it to the subscriber's on_error and logs it,
            # the subscriber is dropped and the push raises it: a test fails where it broke.
            # Dropped for good: it no longer counts, nor keeps the stream from being aborted
            # when the others leave.
            subscriber.done = True
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)
            return exc
        return None

    def _finish(self, error: Exception | None) -> None:
        self._ended = True
        self._error = error
        escaped = [self._terminate(subscriber) for subscriber in list(self._subscribers)]
        for raised in escaped:  # e.g. an on_error left to reactivex's default, which raises
            if raised is not None:
                raise raised

    def _terminate(self, subscriber: _Subscriber) -> BaseException | None:
        if subscriber.done:
            return None
        subscriber.done = True
        try:
            if self._error is None:
                subscriber.observer.on_completed()
            else:
                subscriber.observer.on_error(self._error)
        except Exception as exc:
            return exc
        return None

    def _subscribe_core(
        self, observer: abc.ObserverBase[StreamEvent], scheduler: abc.SchedulerBase | None = None
    ) -> abc.DisposableBase:
        subscriber = _Subscriber(observer)
        with self._lock:
            self._subscribers.append(subscriber)
            for event in list(self._events):  # a late subscriber sees everything first
                escaped = self._deliver(subscriber, event)
                if escaped is not None:
                    raise escaped
            if self._ended:
                escaped = self._terminate(subscriber)
                if escaped is not None:
                    raise escaped

        def dispose() -> None:
            with self._lock:
                subscriber.done = True
                if subscriber in self._subscribers:
                    self._subscribers.remove(subscriber)
                last = not self._subscribers and not self._ended
            if last:
                self.abort()  # as MessageStream: the last one to leave closes the stream

        return Disposable(dispose)

    def __repr__(self) -> str:
        state = "aborted" if self._aborted else ("ended" if self._ended else "open")
        return f"<ManualStream {len(self._events)} events, {state}>"
