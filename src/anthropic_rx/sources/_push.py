"""`PushSource`: the source of a `MessageStream` whose events are handed to it one at a time.

A `SyncSource` reads on a thread of its own and an `AsyncSource` on the event loop; a
`PushSource` reads nothing: whoever holds it pushes each event, on their own thread, and the
stream folds and delivers it before `PushSource.push` returns. That is how a test drives a UI
between two deltas (`testing.ManualStream` is a `MessageStream` over one), and how a producer
that calls back (a socket library, another process) feeds a `MessageStream`.

Pushes are serialised by a `SerialQueue`: a push made while another is being delivered (on
another thread, or from a subscriber's callback) waits for it and is delivered right after,
by the thread delivering, so the stream sees its events in order and one at a time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import final

from .._serial import EMPTY, SerialQueue
from ..events import StreamEvent

__all__ = ["PushSource"]

#: What a `MessageStream` hands its `PushSource` at start: fold and deliver one event.
Emit = Callable[[StreamEvent], None]
#: And: end the stream, complete (``None``, at the end of input) or failed (the error).
End = Callable[[Exception | None], None]


@final
class _End:
    __slots__ = ("error",)

    def __init__(self, error: Exception | None) -> None:
        self.error = error


@final
class PushSource:
    """A source fed by hand: ``MessageStream(source)`` reads what is pushed into *source*.

    `push` hands events to the stream, which folds each one and delivers it to every
    subscriber before `push` returns, on the pushing thread (unless another push is being
    delivered: that one delivers it next). Events pushed before the stream starts wait for
    it. `end` ends the input: the stream completes after ``message_stop``, and fails with
    `IncompleteStreamError` before it; ``end(error)`` fails it with *error*. An event the
    accumulator rejects, or an ``event: error``, ends the stream with its typed error, as
    on the wire. Once the stream is aborted (`MessageStream.abort`, or its last subscriber
    leaving), `closed` is true and pushes are dropped, as a real stream stops reading.

    Example:
        >>> source = PushSource()
        >>> stream = arx.MessageStream(source)
        >>> stream.pipe(text_only()).subscribe(print)
        >>> source.push(*StreamScript().text("Hi").events())
        Hi
        >>> source.end()
    """

    __slots__ = ("_closed", "_delivering", "_emit", "_end", "_ended", "_lock", "_queue")

    def __init__(self) -> None:
        """Make a source with nothing pushed yet."""
        self._lock = threading.RLock()
        self._queue: SerialQueue[StreamEvent | _End] = SerialQueue(self._lock)
        self._emit: Emit | None = None
        self._end: End | None = None
        self._ended = False  # end() was called: a later push is a mistake
        self._closed = False
        self._delivering: int | None = None  # the thread delivering pushes, while it does

    @property
    def closed(self) -> bool:
        """Whether the stream was aborted: what is pushed now is dropped."""
        return self._closed

    @property
    def ended(self) -> bool:
        """Whether `end` was called."""
        return self._ended

    def push(self, *events: StreamEvent) -> None:
        """Hand *events* to the stream, in order; each is delivered before this returns.

        Raises:
            RuntimeError: `end` was called already (pushes after an abort are dropped
                instead, silently).
        """
        for event in events:
            self._put(event)

    def end(self, error: Exception | None = None) -> None:
        """End the input here: complete, or fail with *error*; a second call does nothing."""
        with self._lock:
            if self._ended:
                return
            self._ended = True
        self._put(_End(error), last=True)

    @property
    def delivering_on(self) -> int | None:
        """The thread delivering pushed events to the stream's subscribers right now, if any.

        Blocking that thread until the stream ends (``wait()``, ``.run()`` in a callback)
        could never return, so the stream refuses it.
        """
        return self._delivering

    def bind(self, emit: Emit, end: End) -> None:
        """Called once by the `MessageStream` as it starts: deliver through *emit* and *end*.

        Raises:
            RuntimeError: the source feeds another stream already (one source, one stream).
        """
        with self._lock:
            if self._emit is not None:
                raise RuntimeError("this PushSource feeds another MessageStream already")
            self._emit, self._end = emit, end
            owed = self._queue.pending() > 0  # pushed before the start: nobody delivered them
        if owed:
            self._drain()

    def close(self) -> None:
        """Called by the `MessageStream` when it is aborted: drop what is queued and to come."""
        with self._lock:
            self._closed = True
            self._queue.close_locked()

    def _put(self, item: StreamEvent | _End, *, last: bool = False) -> None:
        with self._lock:
            if self._ended and not last and not self._closed:
                assert not isinstance(item, _End)
                raise RuntimeError(
                    f"expected no more events after the stream's end, got {item.type}"
                )
            if not self._queue.put_locked(item, last=last) or self._emit is None:
                return  # being delivered by another push, dropped, or waiting for the start
        self._drain()

    def _drain(self) -> None:
        emit, end = self._emit, self._end
        assert emit is not None
        assert end is not None
        self._delivering = threading.get_ident()
        try:
            while (item := self._queue.take()) is not EMPTY:
                if isinstance(item, _End):
                    end(item.error)
                else:
                    emit(item)
        except BaseException:  # KeyboardInterrupt in a callback: give up, deliver nothing more
            self._queue.close()
            raise
        finally:
            self._delivering = None
