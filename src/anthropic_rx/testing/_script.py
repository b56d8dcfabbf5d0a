"""`StreamScript`: a whole, realistic event stream written as one sentence instead of JSON."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Literal, final

from reactivex import Observable, abc
from reactivex.scheduler import TimeoutScheduler

from .._timed import play
from ..events import StreamEvent
from ..sources import from_bytes
from . import _wire
from ._wire import JSON

__all__ = ["StreamScript"]

_Ending = Literal["open", "stop", "cut", "error"]


@final
class StreamScript:
    """Build the events of one streamed message, block by block, the way the API sends them.

    Each method returns a new script (a script is immutable, so a common beginning can be
    shared by several tests). The events come out with the indices, block starts and stops,
    ``message_delta`` usage and ``message_stop`` a real response has; a script that is not
    ended explicitly ends with `stop` (``end_turn``, or ``tool_use`` after a tool call).

    They turn into typed events through `anthropic_rx.parse_event`, and `observable`
    replays them through the SSE decoder, so operators treat them exactly as they treat
    the wire.

    Example:
        >>> script = (
        ...     StreamScript()
        ...     .text("Hello, ", "world")  # one text block, two deltas
        ...     .tool_use("get_weather", {"city": "Paris"}, chunks=3)
        ... )
        >>> script.observable().pipe(final_text()).run()
        'Hello, world'
        >>> [e.type for e in script.events()][:3]
        ['message_start', 'content_block_start', 'content_block_delta']
    """

    __slots__ = ("_blocks", "_body", "_ending", "_id", "_input_tokens", "_model", "_output")

    def __init__(
        self,
        *,
        model: str = _wire.DEFAULT_MODEL,
        id: str = _wire.DEFAULT_ID,
        input_tokens: int = 10,
    ) -> None:
        """Start an empty message (``message_start`` comes first in `events`).

        Args:
            model: the message's ``model``.
            id: the message's ``id``.
            input_tokens: the ``usage.input_tokens`` of ``message_start``.
        """
        self._model = model
        self._id = id
        self._input_tokens = input_tokens
        self._body: tuple[JSON, ...] = ()
        self._blocks: tuple[str, ...] = ()  # the type of each block, in index order
        self._output = 0  # estimated output tokens so far
        self._ending: _Ending = "open"

    # -- building --------------------------------------------------------------------------

    def _then(
        self, events: list[JSON], *, block: str | None = None, output: int = 0
    ) -> StreamScript:
        if self._ending != "open":
            raise ValueError(
                f"expected nothing after the script's end ({self._ending}), got "
                f"{events[0]['type'] if events else 'more'}"
            )
        script = StreamScript.__new__(StreamScript)
        script._model, script._id = self._model, self._id
        script._input_tokens = self._input_tokens
        script._body = (*self._body, *events)
        script._blocks = (*self._blocks, block) if block is not None else self._blocks
        script._output = self._output + output
        script._ending = self._ending
        return script

    def _ended(self, how: _Ending, events: list[JSON]) -> StreamScript:
        script = self._then(events)
        script._ending = how
        return script

    def text(self, *pieces: str) -> StreamScript:
        """Add a text block whose deltas are *pieces* (one block per call).

        Example:
            >>> StreamScript().text("Hel", "lo").text("!")  # two blocks: "Hello" and "!"
        """
        index = len(self._blocks)
        events = [_wire.block_start(index, _wire.default_block("text", index))]
        events += [_wire.delta(index, "text_delta", p) for p in pieces]
        events.append(_wire.stop(index))
        return self._then(events, block="text", output=sum(map(_wire.tokens, pieces)))

    def thinking(self, *pieces: str, signature: str = "sig_test") -> StreamScript:
        """Add a thinking block: a thinking delta per piece, then its ``signature_delta``.

        Example:
            >>> StreamScript().thinking("Let me ", "think.").text("42")
        """
        index = len(self._blocks)
        events = [_wire.block_start(index, _wire.default_block("thinking", index))]
        events += [_wire.delta(index, "thinking_delta", p) for p in pieces]
        events += [_wire.delta(index, "signature_delta", signature), _wire.stop(index)]
        return self._then(events, block="thinking", output=sum(map(_wire.tokens, pieces)))

    def tool_use(
        self,
        name: str,
        input: Mapping[str, Any] | str | None = None,
        *,
        id: str | None = None,
        chunks: int = 1,
    ) -> StreamScript:
        """Add a ``tool_use`` block whose input JSON streams in *chunks* fragments.

        The fragments split the JSON text anywhere, even inside a string or an escape, as
        ``input_json_delta``s do on the wire.

        Args:
            name: the tool's name.
            input: the input, as an object (serialized with `json.dumps`), or as JSON text
                taken verbatim (invalid JSON makes the block end in `ToolInputError`).
            id: the call's id (default ``toolu_test<index>``).
            chunks: how many ``input_json_delta`` fragments carry the JSON.

        Example:
            >>> StreamScript().tool_use("get_weather", {"city": "Paris"}, chunks=3)
        """
        index = len(self._blocks)
        block = _wire.default_block("tool_use", index, name=name, id=id)
        raw = _wire.tool_json(input)
        events = [_wire.block_start(index, block)]
        events += [_wire.delta(index, "input_json_delta", p) for p in _wire.split(raw, chunks)]
        events.append(_wire.stop(index))
        return self._then(events, block="tool_use", output=_wire.tokens(raw))

    def ping(self) -> StreamScript:
        """Add a ``ping`` (the API sends one now and then; content operators skip it)."""
        return self._then([dict(_wire.PING)])

    def event(self, obj: Mapping[str, Any]) -> StreamScript:
        """Add any event given as its JSON (an unknown type passes through as `UnknownEvent`).

        Example:
            >>> StreamScript().text("Hi").event({"type": "future_event", "x": 1})
        """
        return self._then([dict(obj)])

    def stop(
        self,
        stop_reason: str | None = None,
        *,
        stop_sequence: str | None = None,
        output_tokens: int | None = None,
    ) -> StreamScript:
        """End the message: ``message_delta`` (stop reason, final usage), ``message_stop``.

        Args:
            stop_reason: default ``tool_use`` when the message has a tool call, else
                ``end_turn``.
            stop_sequence: the ``stop_sequence`` that ended it, if any.
            output_tokens: the final ``usage.output_tokens`` (default: about a token per
                four characters of content).
        """
        reason = stop_reason or ("tool_use" if "tool_use" in self._blocks else "end_turn")
        tokens = self._output if output_tokens is None else output_tokens
        final = _wire.message_delta(reason, stop_sequence=stop_sequence, output_tokens=tokens)
        return self._ended("stop", [final, dict(_wire.MESSAGE_STOP)])

    def cut(self) -> StreamScript:
        """End the stream here, without ``message_stop``: a connection that broke.

        Operators then end with `IncompleteStreamError`, carrying the partial snapshot.
        """
        return self._ended("cut", [])

    def error_event(
        self, error_type: str = "overloaded_error", message: str | None = None
    ) -> StreamScript:
        """End the stream with an ``event: error``, as the API does under load.

        Operators turn it into the `APIStatusError` subclass its type names
        (``overloaded_error`` → `OverloadedError`), after every event before it.

        Args:
            error_type: the ``error.type``, e.g. ``overloaded_error``, ``api_error``.
            message: the ``error.message`` (default ``"Overloaded"`` for overloads).
        """
        return self._ended("error", [_wire.error_event(error_type, message)])

    # -- reading ---------------------------------------------------------------------------

    def json(self) -> list[JSON]:
        """Return every event's JSON, as the API writes it in ``data:`` lines."""
        script = self.stop() if self._ending == "open" else self
        start = _wire.message_start(id=self._id, model=self._model, input_tokens=self._input_tokens)
        return [start, *(json.loads(json.dumps(e)) for e in script._body)]

    def events(self) -> list[StreamEvent]:
        """Return the typed events, each made by `anthropic_rx.parse_event` from its JSON."""
        return [_wire.typed(obj) for obj in self.json()]

    def sse(self) -> bytes:
        """Return the stream's bytes as the API sends them (``event:``/``data:`` lines).

        Save them as an ``.sse`` file to replay with `anthropic_rx.from_recording`, or to
        serve from the emulator.
        """
        return _wire.encode(self.json())

    @property
    def text_content(self) -> str:
        """The text the finished message will have: every text block's deltas, joined."""
        return "".join(
            e["delta"]["text"]
            for e in self._body
            if e["type"] == "content_block_delta" and e["delta"]["type"] == "text_delta"
        )

    def observable(
        self, *, every: float | None = None, scheduler: abc.SchedulerBase | None = None
    ) -> Observable[StreamEvent]:
        """Return a cold Observable of the events, instantly or one every *every* seconds.

        Without *every* it decodes `sse` with `anthropic_rx.from_bytes`, in the subscribing
        thread, and completes at once. With *every*, the first event is sent at the
        subscription and each next one *every* seconds later, on *scheduler* (default: the
        subscription's scheduler — the `VirtualClock` under `run` — else reactivex's
        ``TimeoutScheduler``); it completes with the last event.

        Example:
            >>> run(StreamScript().text("a", "b").observable(every=0.5)).times
            [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0]
        """
        if every is None:
            return from_bytes(self.sse())
        if not every >= 0:
            raise ValueError(f"expected every to be a non-negative number, got {every!r}")
        events = self.events()
        period = float(every)

        def subscribe(
            observer: abc.ObserverBase[StreamEvent], scheduler_: abc.SchedulerBase | None = None
        ) -> abc.DisposableBase:
            clock = scheduler or scheduler_ or TimeoutScheduler.singleton()
            last = len(events) - 1

            def sender(i: int) -> Callable[[], None]:
                def send() -> None:
                    observer.on_next(events[i])
                    if i == last:
                        observer.on_completed()

                return send

            # One event at a time, so a real-time scheduler delivers them serially, in order.
            return play(clock, [(i * period, sender(i)) for i in range(len(events))])

        return Observable(subscribe)

    def __repr__(self) -> str:
        blocks = ", ".join(self._blocks) or "no blocks"
        return f"<StreamScript {self._model} [{blocks}] {self._ending}>"
