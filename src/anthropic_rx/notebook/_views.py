"""`live` and `compare`: notebook outputs that follow streams as their events arrive.

A view subscribes to its stream at once, keeps the latest snapshot, and repaints its output
at most once per ``interval`` from whichever thread delivers the events; when the stream
ends it paints the final state, then lets waiters go. A cell that must end with the final
state on screen waits: ``view.wait()`` in a sync cell, ``await view`` in an async one (the
kernel's loop keeps running, so an `AsyncClient` stream on it goes on too). ``wait()`` and
``.run()`` refuse, with a `RuntimeError`, to block the loop such a stream needs.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Generator, Iterator, Mapping
from typing import Any, final

from reactivex import Observable

from .._blocking import refuse
from .._core import MessageSnapshot
from ..events import Message, StreamEvent
from ._gate import Gate
from ._painter import Bundle, Painter
from ._render import PanelState, comparison_html, comparison_text, panel_html, panel_text
from ._watch import Watch

__all__ = ["Comparison", "LiveView", "compare", "live"]


def _check_interval(interval: float) -> float:
    if not interval > 0:
        raise ValueError(f"expected a positive interval in seconds, got {interval!r}")
    return float(interval)


class _Painted(abc.ABC):
    """What a view and a comparison share: rendered as text and as HTML, shown (and kept up
    to date, at most once per *interval*) by a `Painter`."""

    def __init__(self, *, tool_input: bool, thinking: bool, interval: float) -> None:
        self._tool_input = tool_input
        self._thinking = thinking
        self._painter = Painter(self._bundle, _check_interval(interval))

    @abc.abstractmethod
    def to_html(self) -> str: ...

    @abc.abstractmethod
    def to_text(self) -> str: ...

    def _bundle(self) -> Bundle:
        return {"text/plain": self.to_text(), "text/html": self.to_html()}

    def _ipython_display_(self) -> None:
        self._painter.show()

    def __str__(self) -> str:
        return self.to_text()


@final
class LiveView(_Painted):
    """A notebook output that shows one stream as it arrives: text, thinking, tool input.

    Made by `live` (or by `compare`, one per stream). Its state is readable from any
    thread at any time; displaying it (``display(view)``) adds another output that keeps
    updating. Wait for the end with `wait` or ``await view``.

    Example:
        >>> view = live(client.messages.stream(model=MODEL, max_tokens=512, messages=msgs))
        >>> message = await view          # the final Message, once the view shows it
    """

    def __init__(
        self,
        source: Observable[StreamEvent],
        *,
        title: str,
        tool_input: bool,
        thinking: bool,
        interval: float,
    ) -> None:
        """Prepare a view of *source* (use `live`; nothing is subscribed before it starts)."""
        super().__init__(tool_input=tool_input, thinking=thinking, interval=interval)
        self._source = source
        self._watch = Watch(source, title)
        self._ended = Gate()
        self._watch.listen(self._painter.changed, self._on_end)

    def _on_end(self) -> None:
        self._painter.finish()
        self._ended.open()

    # -- state -----------------------------------------------------------------------------

    @property
    def title(self) -> str:
        """The title shown above the stream (empty: the model's name is shown)."""
        return self._watch.title

    @property
    def snapshot(self) -> MessageSnapshot | None:
        """The message as received so far (the latest snapshot), ``None`` before it starts."""
        return self._watch.snapshot

    @property
    def text(self) -> str:
        """The text received so far (every text block, joined)."""
        snapshot = self._watch.snapshot
        return "" if snapshot is None else snapshot.text

    @property
    def message(self) -> Message | None:
        """The final `Message` once the stream completed, else ``None``."""
        snapshot = self._watch.snapshot
        return snapshot.to_message() if snapshot is not None and snapshot.complete else None

    @property
    def error(self) -> Exception | None:
        """The error the stream ended with, or ``None``."""
        return self._watch.error

    @property
    def done(self) -> bool:
        """Whether the stream has ended and its final state has been painted."""
        return self._ended.is_open

    @property
    def first_token(self) -> float | None:
        """Seconds from the view's subscription to the first text, thinking or tool input."""
        return self._watch.state().first_token

    @property
    def elapsed(self) -> float:
        """Seconds since the view subscribed, frozen when the stream ends."""
        return self._watch.state().elapsed

    # -- waiting ---------------------------------------------------------------------------

    def wait(self, timeout: float | None = None) -> Message:
        """Block until the stream has ended and its final state is on screen.

        For a sync cell with a stream read on another thread (the sync `Client`, a paced
        recording). An `AsyncClient` stream runs on the kernel's loop, which a blocked
        cell stops: ``await view`` there.

        Returns:
            The final message.

        Raises:
            TimeoutError: *timeout* seconds passed first (the stream goes on).
            RuntimeError: the stream runs on the event loop of this very thread (``await
                view`` instead), or this is a callback of the stream on its reader thread:
                waiting would block for ever.
            Exception: the error the stream ended with.

        Example:
            >>> print(live(stream).wait().stop_reason)
        """
        if not self._ended.is_open:
            refuse(self._watch.streams, "wait()")
        if not self._ended.wait(timeout):
            raise TimeoutError(f"the stream had not ended after {timeout} s")
        return self._outcome()

    def __await__(self) -> Generator[Any, None, Message]:
        """Wait on the running loop like `wait`, and return the final message."""
        return self._await().__await__()

    async def _await(self) -> Message:
        await self._ended.await_open()
        return self._outcome()

    def _outcome(self) -> Message:
        error = self._watch.error
        if error is not None:
            raise error
        message = self.message
        assert message is not None  # a stream completes only after message_stop
        return message

    def dispose(self) -> None:
        """Stop following the stream (for a `MessageStream`'s last subscriber: abort it).

        The view then shows what had arrived and ends with `StreamAbortedError`.
        """
        self._watch.dispose()

    # -- rendering -------------------------------------------------------------------------

    def to_html(self) -> str:
        """Render the view as it stands, as HTML."""
        return panel_html(self._watch.state(), tool_input=self._tool_input, thinking=self._thinking)

    def to_text(self) -> str:
        """Render the view as it stands, as plain text."""
        return panel_text(self._watch.state(), tool_input=self._tool_input, thinking=self._thinking)

    def __repr__(self) -> str:
        state = "ended" if self.done else "streaming"
        return (
            f"<LiveView {self._watch.state().title or 'stream'!r} {state}, {len(self.text)} chars>"
        )


def live(
    source: Observable[StreamEvent],
    /,
    *,
    title: str = "",
    tool_input: bool = True,
    thinking: bool = True,
    interval: float = 0.1,
    display: bool = True,
) -> LiveView:
    """Show a stream in the notebook as it arrives, and return its `LiveView`.

    The output shows the text, the thinking and each tool call's input as they form, then
    the stop reason, timings and token usage. It subscribes to *source* at once: a
    `MessageStream` starts its request (other pipelines on it share that request), a cold
    source (`arx.from_recording`) is read once more. Repaints happen from the thread that
    delivers the events, at most once per *interval*, and the final state is always
    painted. Needs IPython (the ``notebook`` extra) to display; outside a Jupyter kernel
    nothing is shown, and the view's state is still there to read or print.

    Args:
        source: the stream's events (a `MessageStream` or any Observable of events).
        title: the title above the output; by default the model's name.
        tool_input: show each tool call's input as it forms (else only the tool's name).
        thinking: show thinking blocks.
        interval: the least time between two repaints, in seconds.
        display: show the output now; with ``False``, ``display(view)`` shows it later.

    Returns:
        The view: ``await view`` or ``view.wait()`` gives the final message.

    Example:
        >>> view = live(arx.from_recording("answer.sse", pace=40), title="replay")
        >>> message = await view
    """
    view = LiveView(
        source, title=title, tool_input=tool_input, thinking=thinking, interval=interval
    )
    if display:
        view._painter.show(auto=True)  # pyright: ignore[reportPrivateUsage]
    view._watch.start()  # pyright: ignore[reportPrivateUsage]
    return view


@final
class Comparison(_Painted, Mapping[str, LiveView]):
    """Streams shown side by side, each in a column, with a table comparing them at the end.

    Made by `compare`. A read-only mapping from each label to that stream's `LiveView`
    (``comparison["haiku"].text``); displaying one of those shows it on its own too.

    Example:
        >>> board = compare({"haiku": stream_a, "sonnet": stream_b})
        >>> messages = await board
    """

    def __init__(
        self,
        sources: Mapping[str, Observable[StreamEvent]],
        *,
        tool_input: bool,
        thinking: bool,
        interval: float,
    ) -> None:
        """Prepare views of *sources* (use `compare`; nothing is subscribed yet)."""
        super().__init__(tool_input=tool_input, thinking=thinking, interval=interval)
        self._views = {
            label: LiveView(
                source, title=label, tool_input=tool_input, thinking=thinking, interval=interval
            )
            for label, source in sources.items()
        }
        self._lock = threading.Lock()
        self._running = len(self._views)
        self._ended = Gate(is_open=not self._views)
        for view in self._views.values():
            view._watch.listen(self._painter.changed, self._on_end)  # pyright: ignore[reportPrivateUsage]

    def _on_end(self) -> None:
        with self._lock:
            self._running -= 1
            last = self._running == 0
        if last:
            self._painter.finish()
            self._ended.open()

    def _states(self) -> list[tuple[str, PanelState]]:
        return [(label, view._watch.state()) for label, view in self._views.items()]  # pyright: ignore[reportPrivateUsage]

    # -- the mapping -----------------------------------------------------------------------

    def __getitem__(self, label: str) -> LiveView:
        return self._views[label]

    def __iter__(self) -> Iterator[str]:
        return iter(self._views)

    def __len__(self) -> int:
        return len(self._views)

    # -- state -----------------------------------------------------------------------------

    @property
    def done(self) -> bool:
        """Whether every stream has ended and the final state has been painted."""
        return self._ended.is_open

    @property
    def messages(self) -> dict[str, Message]:
        """The final message of each stream that completed, by label."""
        return {
            label: message
            for label, view in self._views.items()
            if (message := view.message) is not None
        }

    @property
    def errors(self) -> dict[str, Exception]:
        """The error of each stream that failed, by label."""
        return {
            label: error for label, view in self._views.items() if (error := view.error) is not None
        }

    # -- waiting ---------------------------------------------------------------------------

    def wait(self, timeout: float | None = None) -> dict[str, Message]:
        """Block until every stream has ended and the final state is on screen.

        A stream that failed does not raise here: its column shows the error, and
        `errors` has it.

        Returns:
            The final message of each stream that completed, by label (`messages`).

        Raises:
            TimeoutError: *timeout* seconds passed first (the streams go on).
            RuntimeError: a stream runs on the event loop of this very thread, which
                waiting would block for ever: ``await`` the comparison instead.

        Example:
            >>> messages = compare(streams).wait(timeout=60)
        """
        if not self._ended.is_open:
            for view in self._views.values():
                refuse(view._watch.streams, "wait()")  # pyright: ignore[reportPrivateUsage]
        if not self._ended.wait(timeout):
            raise TimeoutError(f"not every stream had ended after {timeout} s")
        return self.messages

    def __await__(self) -> Generator[Any, None, dict[str, Message]]:
        """Wait on the running loop like `wait`, and return the messages by label."""
        return self._await().__await__()

    async def _await(self) -> dict[str, Message]:
        await self._ended.await_open()
        return self.messages

    def dispose(self) -> None:
        """Stop following every stream (aborting those nobody else follows)."""
        for view in self._views.values():
            view.dispose()

    # -- rendering -------------------------------------------------------------------------

    def to_html(self) -> str:
        """Render the comparison as it stands, as HTML."""
        return comparison_html(self._states(), tool_input=self._tool_input, thinking=self._thinking)

    def to_text(self) -> str:
        """Render the comparison as it stands, as plain text."""
        return comparison_text(self._states(), tool_input=self._tool_input, thinking=self._thinking)

    def __repr__(self) -> str:
        state = "ended" if self.done else "streaming"
        return f"<Comparison of {', '.join(map(repr, self._views))}: {state}>"


def compare(
    sources: Mapping[str, Observable[StreamEvent]],
    /,
    *,
    tool_input: bool = True,
    thinking: bool = True,
    interval: float = 0.1,
    display: bool = True,
) -> Comparison:
    """Show several streams side by side as they arrive, and return the `Comparison`.

    One column per stream, titled with its label, in the order given; once every stream
    has ended, a table below compares them: model, time to first token, total time,
    output tokens, tokens per second after the first token, and stop reason. It subscribes
    to every source at once (so requests run concurrently), repaints at most once per
    *interval* whichever stream changed, and always paints the final state.

    Args:
        sources: the streams by label (`MessageStream`\\ s or any Observables of events).
        tool_input: show each tool call's input as it forms.
        thinking: show thinking blocks.
        interval: the least time between two repaints, in seconds.
        display: show the output now; with ``False``, ``display(comparison)`` shows it.

    Returns:
        The comparison: ``await comparison`` or ``.wait()`` gives the messages by label.

    Example:
        >>> board = compare({m: ask(m) for m in ["claude-haiku-4-5", "claude-sonnet-4-5"]})
        >>> messages = await board
    """
    comparison = Comparison(sources, tool_input=tool_input, thinking=thinking, interval=interval)
    if display:
        comparison._painter.show(auto=True)  # pyright: ignore[reportPrivateUsage]
    for view in comparison.values():
        view._watch.start()  # pyright: ignore[reportPrivateUsage]
    return comparison
