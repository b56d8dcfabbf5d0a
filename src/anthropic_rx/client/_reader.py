"""What the sync and the async request share: one attempt's event gate, and error labels.

`EventGate` is sans-I/O: it decodes an attempt's body, holds ``message_start`` and pings back
until the first content event, and only then lets events go downstream. So until content has
been delivered the attempt can be thrown away and retried without splicing two attempts'
events (research/reliability.md invariant I2); after it, never.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from .._exceptions import AnthropicRxError, IncompleteStreamError, StreamAbortedError
from ..events import ContentBlockDeltaEvent, ErrorEvent, EventDecoder, PingEvent, StreamEvent
from ._info import StreamInfo

__all__ = ["Annotate", "EventGate"]

Emit = Callable[[StreamEvent], None]

# Events that carry content: once one has gone downstream, the attempt cannot be retried.
_CONTENT = frozenset(
    {
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    }
)


class EventGate:
    """Decode one attempt's body; hold events back until the first content event.

    Args:
        emit: where events go (the `MessageStream`'s ``emit``; it may raise its private
            stop signals, which pass through untouched).
        max_event_bytes: the decoder's bound on one event.
    """

    __slots__ = ("_decoder", "_emit", "_pending", "last_type", "received", "stopped")

    def __init__(self, emit: Emit, max_event_bytes: int | None = None) -> None:
        self._decoder = EventDecoder(max_event_bytes=max_event_bytes)
        self._emit = emit
        self._pending: list[StreamEvent] | None = []  # None once content went downstream
        self.received = False  # whether any event arrived (an error is then "mid-stream")
        self.stopped = False  # whether message_stop arrived
        self.last_type: str | None = None

    @property
    def delivered(self) -> bool:
        """Whether content has gone downstream (then this request is never retried)."""
        return self._pending is None

    def feed(self, chunk: bytes) -> bool:
        """Decode *chunk* and pass its events on; return whether one was not a ping.

        Raises:
            APIStatusError: an ``event: error`` arrived, as the class its ``error.type`` names.
            SSEDecodeError: an event grew past ``max_event_bytes``.
            EventParseError: an event's data is not JSON that fits its type.
        """
        active = False
        if self._pending is None:  # content went downstream: deltas need no other check
            emit = self._emit
            for event in self._decoder.feed(chunk):
                if type(event) is ContentBlockDeltaEvent:  # by far the most common
                    self.last_type = "content_block_delta"
                    emit(event)
                    active = True
                else:
                    active = self._event(event) or active
            return active
        for event in self._decoder.feed(chunk):
            active = self._event(event) or active
        return active

    def finish(self) -> None:
        """End of body: dispatch what is left and check that ``message_stop`` came.

        Raises:
            IncompleteStreamError: the body ended before ``message_stop`` (F06b, F10, F20).
        """
        for event in self._decoder.flush():
            self._event(event)
        self.release()
        if not self.stopped:
            detail = f"after {self.last_type}" if self.received else "before message_start"
            raise IncompleteStreamError(
                f"expected the stream to end with message_stop, but it ended {detail} "
                "(the server closed the body cleanly)"
            )

    def release(self) -> None:
        """Send the held-back events downstream: the request ends here, not with a retry."""
        pending, self._pending = self._pending, None
        for event in pending or ():
            self._emit(event)

    def _event(self, event: StreamEvent) -> bool:
        self.received = True
        if isinstance(event, ErrorEvent):
            # Mapped by error.type, not by the 200 status (research §1.10); the client adds
            # the request id and the attempt count, the MessageStream the snapshot.
            raise event.to_exception()
        kind = event.type
        self.last_type = kind
        if self._pending is not None:
            if kind not in _CONTENT:
                self._pending.append(event)
                return not isinstance(event, PingEvent)
            self.release()
        if kind == "message_stop":
            self.stopped = True
        self._emit(event)
        return not isinstance(event, PingEvent)


class Annotate:
    """Give every error that leaves a request its request id and attempt count.

    A context manager that observes the exception leaving its block and never suppresses
    it: the `MessageStream`'s private signals pass through untouched, and an accumulator
    error they carry (their ``__cause__``) is labelled too.
    """

    __slots__ = ("_info",)

    def __init__(self, info: StreamInfo) -> None:
        self._info = info

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            return
        for error in (exc, exc.__cause__):
            if isinstance(error, AnthropicRxError) and not isinstance(error, StreamAbortedError):
                error.with_request(self._info.request_id, self._info.attempts)
