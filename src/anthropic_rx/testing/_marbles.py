"""`marbles`: a stream of typed events drawn as a marble diagram, one letter an event."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeAlias, cast

from reactivex import Observable, abc
from reactivex.scheduler import TimeoutScheduler

from .._exceptions import APIConnectionError
from .._timed import play
from ..events import (
    ContentBlockDeltaEvent,
    ContentBlockStartEvent,
    ContentBlockStopEvent,
    StreamEvent,
)
from . import _wire
from ._wire import JSON

__all__ = ["MarbleValue", "marbles"]

MarbleValue: TypeAlias = str | Mapping[str, Any] | StreamEvent | None
"""What a letter of a diagram can stand for (see `marbles`); ``None`` keeps the default."""

#: The legend's letters and the content delta each delta letter makes.
_DELTAS = {
    "t": "text_delta",
    "j": "input_json_delta",
    "k": "thinking_delta",
    "g": "signature_delta",
}
_LEGEND = frozenset("SbBDXPEc") | _DELTAS.keys()
#: The block a ``b`` opens, told by the first delta letter after it.
_BLOCK_OF = {"t": "text", "c": "text", "j": "tool_use", "k": "thinking", "g": "thinking"}
_DEFAULT_SIGNATURE = "sig_test"

_Notification = tuple[str, Any]  # ("next", event) | ("completed", None) | ("error", None)


def marbles(
    diagram: str,
    /,
    values: Mapping[str, MarbleValue | Sequence[MarbleValue]] | None = None,
    *,
    tick: float = 0.1,
    error: Exception | None = None,
    scheduler: abc.SchedulerBase | None = None,
) -> Observable[StreamEvent]:
    """Make a cold Observable of typed events that arrive at the times a diagram shows.

    Each character takes one *tick* of time (default 0.1 s, as in reactivex); spaces take
    none and only align diagrams. ``-`` is time passing, ``|`` completes, ``#`` fails with
    *error* (default: an `APIConnectionError`, a connection that broke), and
    ``(...)`` groups events at the time of its ``(``. Every other character is one event,
    so letters side by side (``tttt``) are events a tick apart (in reactivex's marbles they
    would be one value named ``tttt``):

    | letter | event | a string value means (and the default) |
    | --- | --- | --- |
    | ``S`` | ``message_start`` | the model |
    | ``b`` | ``content_block_start`` | the block type (from the next delta letter¹) |
    | ``t`` | text delta | the text (``"t"``) |
    | ``j`` | ``input_json`` delta | the JSON fragment (``{"j": "jj…"}``, split²) |
    | ``k`` | thinking delta | the thinking (``"k"``) |
    | ``g`` | signature delta | the signature |
    | ``c`` | citations delta | the cited text |
    | ``B`` | ``content_block_stop`` | |
    | ``D`` | ``message_delta`` | the stop reason (``tool_use`` or ``end_turn``³) |
    | ``X`` | ``message_stop`` | |
    | ``P`` | ``ping`` | |
    | ``E`` | ``event: error`` | the error type (``overloaded_error``) |
    | other | text delta | the text (such a letter needs a value) |

    ¹ ``t`` or ``c`` a text block, ``j`` tool_use, ``k`` or ``g`` thinking.
    ² the block's input is ``{"j": "jjj"}`` for three ``j``, a ``j`` a fragment.
    ³ ``tool_use`` after a tool block, else ``end_turn``.

    A value in *values* can also be a list (one item per occurrence of the letter, in
    order), a typed event (sent as is), or a mapping: for ``b`` the content block's fields
    (``{"type": "tool_use", "name": "get_weather"}``), for ``c`` the citation's, for any
    other letter the whole event's JSON. Blocks get indices 0, 1, … in order of their
    ``b``; deltas and ``B`` go to the open block. Events are made from JSON by
    `anthropic_rx.parse_event`, as on the wire, and are not checked for order: operators
    downstream judge them, with the errors they raise on a real stream.

    Timing runs on *scheduler*, else on the subscription's scheduler (the `VirtualClock`
    under `run`), else on reactivex's ``TimeoutScheduler`` in real time. Times count from
    the subscription: cold, so each subscriber gets the whole diagram.

    Args:
        diagram: the diagram, e.g. ``"S-b-t-t-B-D-X|"``.
        values: what letters stand for, beyond the defaults.
        tick: the seconds one character takes.
        error: the exception ``#`` sends.
        scheduler: the scheduler to time the events on.

    Returns:
        A cold Observable of typed events.

    Raises:
        ValueError: a malformed diagram, an unknown letter without a value, a value for a
            letter the diagram lacks, or a list of values longer or shorter than the
            letter's occurrences.

    Example:
        >>> events = marbles("S-b-h-l-B-D-X|", {"h": "Hel", "l": "lo"})
        >>> run(events.pipe(text_only())).values
        ['Hel', 'lo']
        >>> run(marbles("S-b-t-E|").pipe(final_text())).error
        OverloadedError('overloaded_error: Overloaded (event: error, mid-stream)')
    """
    if not tick >= 0:
        raise ValueError(f"expected tick to be a non-negative number of seconds, got {tick!r}")
    tokens = _parse(diagram)
    resolver = _Resolver(tokens, dict(values or {}))
    frames: dict[int, list[_Notification]] = {}
    for position, (frame, char) in enumerate(tokens):
        if char == "|":
            note: _Notification = ("completed", None)
        elif char == "#":
            note = ("error", None)
        else:
            note = ("next", resolver.resolve(position))
        frames.setdefault(frame, []).append(note)
    resolver.check_all_used()
    plan = sorted(frames.items())
    period = float(tick)
    make_error: Callable[[], Exception] = (
        (lambda: error)
        if error is not None
        else lambda: APIConnectionError(
            "the connection broke (the # of a marble diagram)", mid_stream=True
        )
    )

    def subscribe(
        observer: abc.ObserverBase[StreamEvent], scheduler_: abc.SchedulerBase | None = None
    ) -> abc.DisposableBase:
        clock = scheduler or scheduler_ or TimeoutScheduler.singleton()

        def sender(notes: list[_Notification]) -> Callable[[], None]:
            def send() -> None:
                for kind, value in notes:
                    if kind == "next":
                        observer.on_next(value)
                    elif kind == "completed":
                        observer.on_completed()
                    else:
                        observer.on_error(make_error())

            return send

        # One frame at a time: on a real-time scheduler, a timer per frame would deliver
        # frames from several threads at once, out of order.
        return play(clock, [(frame * period, sender(notes)) for frame, notes in plan])

    return Observable(subscribe)


def _parse(diagram: str) -> list[tuple[int, str]]:
    """The diagram's events, ``|`` and ``#`` as (frame, character), in order."""
    tokens: list[tuple[int, str]] = []
    frame = 0
    group: int | None = None
    ended = False

    def fail(position: int, problem: str) -> ValueError:
        return ValueError(f"{problem} in marble diagram:\n  {diagram}\n  {' ' * position}^")

    for position, char in enumerate(diagram):
        if char == " ":
            continue
        if char == "(":
            if group is not None:
                raise fail(position, "a group inside a group")
            group = frame
        elif char == ")":
            if group is None:
                raise fail(position, "a ')' without its '('")
            group = None
        elif char == ",":
            if group is None:
                raise fail(position, "a ',' outside a group")
        elif char != "-":
            if ended:
                raise fail(position, f"{char!r} after the end ('|' or '#')")
            ended = char in "|#"
            tokens.append((frame if group is None else group, char))
        frame += 1  # as in reactivex: every character but a space takes a tick
    if group is not None:
        raise fail(len(diagram), "a '(' without its ')'")
    return tokens


class _Resolver:
    """Turns letters into typed events, keeping the block bookkeeping a real stream has."""

    def __init__(
        self,
        tokens: list[tuple[int, str]],
        values: dict[str, MarbleValue | Sequence[MarbleValue]],
    ) -> None:
        self._letters = [char for _, char in tokens]
        self._values = values
        self._seen: Counter[str] = Counter()
        self._next_index = 0
        self._open: int | None = None
        self._tool = False
        self._output = 0
        self._json: list[str] = []  # default fragments for the open tool block's j's

    def check_all_used(self) -> None:
        for letter, value in self._values.items():
            if not self._seen[letter]:
                raise ValueError(
                    f"expected {letter!r} in the diagram, since values has it (a typo?)"
                )
            if isinstance(value, list | tuple) and len(value) > self._seen[letter]:
                raise ValueError(
                    f"expected {len(value)} occurrences of {letter!r} for its values, "
                    f"got {self._seen[letter]} in the diagram"
                )

    def _value(self, letter: str) -> MarbleValue:
        if letter not in self._values:
            return None
        value = self._values[letter]
        n = self._seen[letter]
        self._seen[letter] += 1
        if isinstance(value, list | tuple):
            items: Sequence[MarbleValue] = value
            if n >= len(items):
                raise ValueError(
                    f"expected at most {len(items)} occurrences of {letter!r} (its values), "
                    f"got more in the diagram"
                )
            return items[n]
        return cast(MarbleValue, value)

    def resolve(self, position: int) -> StreamEvent:
        letter = self._letters[position]
        if letter not in _LEGEND and letter not in self._values:
            raise ValueError(
                f"expected a letter of the legend (S b t j k g c B D X P E), or one given in "
                f"values, got {letter!r}"
            )
        value = self._value(letter)
        if value is not None and not isinstance(value, str | Mapping):
            event: StreamEvent = value  # a typed event: sent as is
        elif isinstance(value, Mapping) and letter not in "bc":
            event = _wire.typed(value)
        else:
            event = _wire.typed(self._json_of(letter, value, position))
        self._track(event)
        return event

    def _json_of(self, letter: str, value: str | Mapping[str, Any] | None, position: int) -> JSON:
        index = self._open if self._open is not None else self._next_index
        if letter == "S":
            model = value if isinstance(value, str) else _wire.DEFAULT_MODEL
            return _wire.message_start(id=_wire.DEFAULT_ID, model=model, input_tokens=10)
        if letter == "b":
            return self._block(value, position)
        if letter == "c":
            citation: JSON = {
                "type": "char_location",
                "cited_text": value if isinstance(value, str) else "c",
                "document_index": 0,
                "document_title": None,
                "start_char_index": 0,
                "end_char_index": 1,
            }
            if isinstance(value, Mapping):
                citation.update(value)
            return _wire.delta(index, "citations_delta", citation)
        if letter in _DELTAS:
            return _wire.delta(index, _DELTAS[letter], self._delta_text(letter, value))
        if letter == "B":
            self._refuse(letter, value)
            return _wire.stop(index if self._open is not None else max(0, index - 1))
        if letter == "D":
            reason = value if isinstance(value, str) else ("tool_use" if self._tool else "end_turn")
            return _wire.message_delta(reason, output_tokens=max(1, self._output))
        if letter == "X":
            self._refuse(letter, value)
            return dict(_wire.MESSAGE_STOP)
        if letter == "P":
            self._refuse(letter, value)
            return dict(_wire.PING)
        if letter == "E":
            return _wire.error_event(value if isinstance(value, str) else "overloaded_error", None)
        if not isinstance(value, str):
            raise ValueError(f"expected a value for {letter!r} (a letter outside the legend)")
        return _wire.delta(index, "text_delta", value)  # a letter of the user's: text

    @staticmethod
    def _refuse(letter: str, value: object) -> None:
        if value is not None:
            raise ValueError(f"expected no string value for {letter!r}, got {value!r}")

    def _delta_text(self, letter: str, value: str | Mapping[str, Any] | None) -> str:
        if isinstance(value, str):
            return value
        if letter == "j":
            return self._json.pop(0) if self._json else "{}"
        if letter == "g":
            return _DEFAULT_SIGNATURE
        return letter  # t and k: the text reads like the diagram

    def _block(self, value: str | Mapping[str, Any] | None, position: int) -> JSON:
        index = self._next_index
        kind = self._kind_after(position)
        if isinstance(value, str):
            kind = value
        elif isinstance(value, Mapping) and isinstance(value.get("type"), str):
            kind = str(value["type"])
        block = _wire.default_block(kind, index)
        if isinstance(value, Mapping):
            block.update(value)
        if kind == "tool_use" and "j" not in self._values:
            self._json = _default_json(self._letters_in_block(position).count("j"))
        return _wire.block_start(index, block)

    def _letters_in_block(self, position: int) -> list[str]:
        letters: list[str] = []
        for letter in self._letters[position + 1 :]:
            if letter in "bB":
                break
            letters.append(letter)
        return letters

    def _kind_after(self, position: int) -> str:
        for letter in self._letters_in_block(position):
            if letter in _BLOCK_OF:
                return _BLOCK_OF[letter]
            if letter not in _LEGEND and isinstance(self._values.get(letter), str | list | tuple):
                return "text"
        return "text"

    def _track(self, event: StreamEvent) -> None:
        if isinstance(event, ContentBlockStartEvent):
            self._open = event.index
            self._next_index = max(self._next_index, event.index + 1)
            self._tool = self._tool or event.content_block.type == "tool_use"
        elif isinstance(event, ContentBlockStopEvent):
            self._open = None
        elif isinstance(event, ContentBlockDeltaEvent):
            piece = getattr(event.delta, "text", None) or getattr(event.delta, "thinking", None)
            piece = piece or getattr(event.delta, "partial_json", None) or ""
            self._output += _wire.tokens(piece) if piece else 0


def _default_json(count: int) -> list[str]:
    """Fragments of ``{"j": "jj…"}``, one ``j`` each, that join to valid JSON."""
    if count <= 1:
        return ['{"j": "j"}'] if count else []
    return ['{"j": "j', *(["j"] * (count - 2)), 'j"}']
