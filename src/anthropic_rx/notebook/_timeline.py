"""`Timeline`: when each event of several streams arrived, recorded from any thread.

``stream.pipe(timeline.record("haiku"))`` passes every event through unchanged and notes
its arrival (``time.perf_counter``, in seconds since the first recorded request), its kind
and how many characters it carried. `Timeline.to_rows` gives plain tuples (for ``csv`` or
``pandas.DataFrame``); `Timeline.plot` draws them, one row per stream.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator, Iterable
from typing import TYPE_CHECKING, Any, NamedTuple, final

from reactivex import Observable, abc
from reactivex.disposable import CompositeDisposable, Disposable, SingleAssignmentDisposable

from .._blocking import collecting, refuse
from .._steps import Pipeline
from ..events import (
    CitationsDelta,
    ContentBlockDeltaEvent,
    ContentBlockStartEvent,
    ContentBlockStopEvent,
    ErrorEvent,
    InputJSONDelta,
    MessageDeltaEvent,
    MessageStartEvent,
    MessageStopEvent,
    PingEvent,
    SignatureDelta,
    StreamEvent,
    TextDelta,
    ThinkingDelta,
)
from ..typing import Operator
from ._gate import Gate

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["CONTENT_KINDS", "KINDS", "Timeline", "TimelineRow", "kind_of"]

#: Every kind a `TimelineRow` can have, in the order a plot's legend lists them.
KINDS: tuple[str, ...] = (
    "request",
    "message_start",
    "block_start",
    "thinking",
    "signature",
    "text",
    "citation",
    "tool_input",
    "delta",
    "block_stop",
    "message_delta",
    "message_stop",
    "ping",
    "error",
    "unknown",
    "completed",
    "failed",
    "disposed",
)

#: The kinds that carry content: the first of them is a stream's first token.
CONTENT_KINDS = frozenset({"text", "thinking", "tool_input", "citation", "delta"})

_DELTA_KINDS: tuple[tuple[type[Any], str, str], ...] = (
    (TextDelta, "text", "text"),
    (InputJSONDelta, "tool_input", "partial_json"),
    (ThinkingDelta, "thinking", "thinking"),
    (SignatureDelta, "signature", ""),
    (CitationsDelta, "citation", ""),
)
_EVENT_KINDS: tuple[tuple[type[Any], str], ...] = (
    (ContentBlockStartEvent, "block_start"),
    (ContentBlockStopEvent, "block_stop"),
    (MessageStartEvent, "message_start"),
    (MessageDeltaEvent, "message_delta"),
    (MessageStopEvent, "message_stop"),
    (PingEvent, "ping"),
    (ErrorEvent, "error"),
)


def kind_of(event: StreamEvent) -> tuple[str, int]:
    """Return an event's timeline kind and how many characters of content it carries.

    Text, thinking and tool-input deltas carry their text's length; other events carry 0.

    Example:
        >>> kind_of(ContentBlockDeltaEvent(index=0, delta=TextDelta(text="Hello")))
        ('text', 5)
    """
    if isinstance(event, ContentBlockDeltaEvent):
        delta = event.delta
        for cls, kind, field in _DELTA_KINDS:
            if isinstance(delta, cls):
                return kind, len(getattr(delta, field)) if field else 0
        return "delta", 0
    for cls, kind in _EVENT_KINDS:
        if isinstance(event, cls):
            return kind, 0
    return "unknown", 0


class TimelineRow(NamedTuple):
    """One moment of one stream: an event's arrival, the request, or the stream's end.

    Attributes:
        label: the stream's label, as given to `Timeline.record`.
        seq: the row's position in its stream (0 is the ``request`` row).
        kind: one of `KINDS`: ``request`` (the subscription that sent it), an event's kind
            (``text``, ``tool_input``, ``thinking``, ``ping``, ``message_stop``, …), or how
            the stream ended (``completed``, ``failed``, ``disposed``).
        event: the event's ``type`` on the wire (``content_block_delta``, …); for the
            ``failed`` row the error's class name; ``""`` for the other rows.
        seconds: when it happened, in seconds since the timeline's first request.
        chars: characters of text, thinking or tool input the event carried.
    """

    label: str
    seq: int
    kind: str
    event: str
    seconds: float
    chars: int


class _Recording:
    """One subscription's share of a timeline: numbers its rows and notes its end once."""

    __slots__ = ("_ended", "_label", "_lock", "_seq", "_timeline", "streams")

    def __init__(self, timeline: Timeline, label: str) -> None:
        self._timeline = timeline
        self._label = label
        self._lock = threading.Lock()  # a dispose may race the stream's own end
        self._seq = 0
        self._ended = False
        self.streams: list[object] = []  # the streams its subscription reached

    def note(self, kind: str, event: str = "", chars: int = 0) -> None:
        with self._lock:
            if not self._ended:
                self._note(kind, event, chars)

    def end(self, kind: str, event: str = "") -> None:
        with self._lock:
            if self._ended:
                return
            self._note(kind, event, 0)
            self._ended = True
        self._timeline._stream_ended(self)  # pyright: ignore[reportPrivateUsage]

    def _note(self, kind: str, event: str, chars: int) -> None:
        self._timeline._append(self._label, self._seq, kind, event, chars)  # pyright: ignore[reportPrivateUsage]
        self._seq += 1


@final
class Timeline:
    """A thread-safe recorder of when each event of several streams arrived.

    Record a stream by piping it through `record`; the rows say when its request went out,
    when each event arrived and how it ended. Several streams may record at once, from any
    threads. Time runs from the first recorded request.

    Args:
        clock: the clock, in seconds (default ``time.perf_counter``).

    Example:
        >>> timeline = Timeline()
        >>> for name, stream in streams.items():
        ...     stream.pipe(timeline.record(name)).subscribe()
        >>> timeline.wait()
        >>> figure = timeline.plot()
    """

    def __init__(self, *, clock: Callable[[], float] = time.perf_counter) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._rows: list[TimelineRow] = []
        self._labels: dict[str, None] = {}  # insertion-ordered set
        self._origin: float | None = None
        self._active = 0
        self._idle = Gate(is_open=True)
        self._running: set[_Recording] = set()

    def record(self, label: str, /) -> Operator[StreamEvent, StreamEvent]:
        """Return an operator that passes events through and records when each arrived.

        Each subscription to its result records its own rows under *label*: a ``request``
        row when it subscribes (for a `MessageStream`, subscribe this first: the request
        starts then, and a late subscriber's replayed backlog would all arrive at once),
        one row per event, and a last row ``completed``, ``failed`` or ``disposed``.
        What it returns can be awaited, like every operator's result.

        Args:
            label: the stream's name in rows and plots.

        Example:
            >>> message = await stream.pipe(timeline.record("sonnet"), final_message())

        Marble:
            -S-b-t-t-B-D-X-|
            [ record("a") ]
            -S-b-t-t-B-D-X-|
        """

        def operator(source: Observable[StreamEvent]) -> Observable[StreamEvent]:
            def subscribe(
                observer: abc.ObserverBase[StreamEvent],
                scheduler: abc.SchedulerBase | None = None,
            ) -> abc.DisposableBase:
                recording = self._begin(label)

                def on_next(event: StreamEvent) -> None:
                    kind, chars = kind_of(event)
                    recording.note(kind, str(event.type), chars)
                    observer.on_next(event)

                def on_error(error: Exception) -> None:
                    recording.end("failed", type(error).__name__)
                    observer.on_error(error)

                def on_completed() -> None:
                    recording.end("completed")
                    observer.on_completed()

                upstream = SingleAssignmentDisposable()
                with collecting() as recording.streams:
                    upstream.disposable = source.subscribe(
                        on_next, on_error, on_completed, scheduler=scheduler
                    )
                return CompositeDisposable(upstream, Disposable(lambda: recording.end("disposed")))

            return Pipeline(subscribe)

        return operator

    # -- reading ---------------------------------------------------------------------------

    def to_rows(self) -> list[TimelineRow]:
        """Return every row so far, in the order they were recorded.

        Rows are named tuples, so ``pandas.DataFrame(timeline.to_rows())`` has a column per
        field and ``csv.writer(f).writerows(...)`` writes them as they are.

        Example:
            >>> [(r.label, r.kind) for r in timeline.to_rows()][:2]
            [('haiku', 'request'), ('haiku', 'message_start')]
        """
        with self._lock:
            return list(self._rows)

    def labels(self) -> list[str]:
        """Return the labels recorded so far, in the order their first request went out.

        Example:
            >>> timeline.labels()
            ['haiku', 'sonnet']
        """
        with self._lock:
            return list(self._labels)

    def first_token(self, label: str, /) -> float | None:
        """Return the seconds from *label*'s request to its first content delta.

        Content is text, thinking or tool input (`CONTENT_KINDS`): the first token a user
        could see. ``None`` if none arrived (yet), or *label* was never recorded.

        Example:
            >>> f"{timeline.first_token('haiku'):.2f} s"
            '0.21 s'
        """
        request: float | None = None
        for row in self.to_rows():
            if row.label != label:
                continue
            if row.kind == "request":
                request = row.seconds
            elif row.kind in CONTENT_KINDS and request is not None:
                return row.seconds - request
        return None

    @property
    def active(self) -> int:
        """How many recorded subscriptions have not ended yet."""
        with self._lock:
            return self._active

    # -- waiting ---------------------------------------------------------------------------

    def wait(self, timeout: float | None = None) -> None:
        """Block until every recorded stream has ended (at once if none is running).

        For a sync cell. In an async cell (or on any running event loop whose streams it
        would block), ``await timeline`` instead.

        Raises:
            TimeoutError: *timeout* seconds passed first.
            RuntimeError: a recorded stream could never end while this thread waits (an
                `AsyncClient` stream on this thread's running loop: ``await timeline``).

        Example:
            >>> timeline.wait(timeout=30)
        """
        with self._lock:
            streams = [stream for r in self._running for stream in r.streams]
        refuse(streams, "wait()")
        if not self._idle.wait(timeout):
            raise TimeoutError(f"{self.active} recorded stream(s) still running after {timeout} s")

    def __await__(self) -> Generator[Any, None, None]:
        """Wait on the running loop until every recorded stream has ended."""
        return self._idle.await_open().__await__()

    # -- drawing ---------------------------------------------------------------------------

    def plot(
        self,
        ax: Axes | None = None,
        *,
        title: str | None = "When each event arrived",
        kinds: Iterable[str] | None = None,
    ) -> Figure:
        """Draw the timeline with matplotlib: one row per stream, a tick per event.

        Ticks are coloured by kind; a band shades each stream's wait from its request to
        its first token, which a marker labels with the latency. Needs matplotlib (the
        ``notebook`` extra). Without *ax* it makes its own ``Figure`` (not through pyplot,
        so nothing is kept globally); in IPython it shows as a picture, even if pyplot was
        never imported.

        Args:
            ax: the axes to draw on; by default a new figure sized to the streams.
            title: the axes' title, or ``None`` for none.
            kinds: draw ticks for these kinds only (default: all of `KINDS`).

        Returns:
            The figure that holds the plot.

        Example:
            >>> figure = timeline.plot()
            >>> figure.savefig("timeline.png", dpi=150)
        """
        from ._plot import plot_timeline

        return plot_timeline(self.to_rows(), ax=ax, title=title, kinds=kinds)

    # -- recording (called by _Recording) ---------------------------------------------------

    def _begin(self, label: str) -> _Recording:
        with self._lock:
            self._active += 1
            self._idle.close()
        recording = _Recording(self, label)
        with self._lock:
            self._running.add(recording)
        recording.note("request")
        return recording

    def _append(self, label: str, seq: int, kind: str, event: str, chars: int) -> None:
        now = self._clock()
        with self._lock:
            if self._origin is None:
                self._origin = now
            self._labels.setdefault(label)
            self._rows.append(TimelineRow(label, seq, kind, event, now - self._origin, chars))

    def _stream_ended(self, recording: _Recording) -> None:
        with self._lock:  # under the lock, so a stream beginning now cannot be missed
            self._running.discard(recording)
            self._active -= 1
            if self._active == 0:
                self._idle.open()

    def __repr__(self) -> str:
        with self._lock:
            streams, rows = len(self._labels), len(self._rows)
        return f"<Timeline {streams} streams, {rows} rows, {self.active} running>"
