"""`Watch`: one stream's state for the views, fed from whichever thread delivers its events.

A watch folds the stream's events (sharing a `MessageStream`'s accumulator), keeps the
latest snapshot, when the first token came and how the stream ended, and tells its
listeners. Listeners are added before `Watch.start` and called outside the lock, so they
may read the state (`Watch.state`) and paint.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from reactivex import Observable
from reactivex.disposable import SerialDisposable

from .._blocking import collecting
from .._core import MessageSnapshot, Step
from .._exceptions import AnthropicRxError, StreamAbortedError
from .._steps import folded
from ..events import StreamEvent
from ._render import PanelState
from ._timeline import CONTENT_KINDS, kind_of

__all__ = ["Watch"]


class Watch:
    """The state of one watched stream; every method is safe from any thread."""

    def __init__(
        self,
        source: Observable[StreamEvent],
        title: str,
        *,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._source = source
        self.title = title
        self._clock = clock
        self._lock = threading.Lock()
        self._snapshot: MessageSnapshot | None = None
        self._error: Exception | None = None
        self._done = False
        self._started: float | None = None
        self._first_token: float | None = None
        self._ended: float | None = None
        self._subscription = SerialDisposable()
        self.streams: list[object] = []  # the streams its subscription reached (to wait on)
        self._on_change: list[Callable[[], None]] = []
        self._on_end: list[Callable[[], None]] = []

    def listen(self, on_change: Callable[[], None], on_end: Callable[[], None]) -> None:
        """Call *on_change* after each event and *on_end* once, when the stream ends."""
        self._on_change.append(on_change)
        self._on_end.append(on_end)

    def start(self) -> None:
        """Subscribe to the stream (a synchronous source may end before this returns)."""
        with self._lock:
            self._started = self._clock()
        with collecting() as self.streams:
            self._subscription.disposable = folded(self._source).subscribe(
                self._next, self._fail, self._complete
            )

    def dispose(self) -> None:
        """Stop watching; a stream still running ends with `StreamAbortedError`."""
        self._subscription.dispose()
        with self._lock:
            if self._done:
                return
            snapshot = self._snapshot
        self._end(
            StreamAbortedError("the view was disposed before the stream ended", snapshot=snapshot)
        )

    # -- reading ---------------------------------------------------------------------------

    def state(self) -> PanelState:
        """A consistent copy of the state, with the time elapsed until now (or the end)."""
        with self._lock:
            started = self._started
            end = self._ended if self._ended is not None else self._clock()
            return PanelState(
                self.title,
                self._snapshot,
                self._error,
                self._done,
                0.0 if started is None else end - started,
                self._first_token,
            )

    @property
    def snapshot(self) -> MessageSnapshot | None:
        """The latest snapshot, or ``None`` before ``message_start``."""
        with self._lock:
            return self._snapshot

    @property
    def error(self) -> Exception | None:
        """How the stream failed, or ``None``."""
        with self._lock:
            return self._error

    @property
    def done(self) -> bool:
        """Whether the stream has ended (completed, failed or disposed)."""
        with self._lock:
            return self._done

    # -- the stream's callbacks ------------------------------------------------------------

    def _next(self, step: Step) -> None:
        now = self._clock()
        with self._lock:
            if self._done:
                return
            if step.snapshot is not None:
                self._snapshot = step.snapshot
            if (
                self._first_token is None
                and self._started is not None
                and kind_of(step.event)[0] in CONTENT_KINDS
            ):
                self._first_token = now - self._started
        for listener in self._on_change:
            listener()

    def _fail(self, error: Exception) -> None:
        self._end(error)

    def _complete(self) -> None:
        self._end(None)

    def _end(self, error: Exception | None) -> None:
        now = self._clock()
        with self._lock:
            if self._done:
                return
            self._done = True
            self._ended = now
            self._error = error
            if (
                self._snapshot is None
                and isinstance(error, AnthropicRxError)
                and error.snapshot is not None
            ):
                self._snapshot = error.snapshot
        for listener in self._on_end:
            listener()
