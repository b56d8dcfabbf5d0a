"""Compact forms of what a finished stream keeps: its blocks' delta logs and its replay steps.

A `MessageStream` replays every step to late subscribers, so it keeps them all. As objects
that is about 1.4 KiB an event (a pydantic event, its delta, the `Step` and its snapshot),
ten times the bytes that came over the wire. Once the stream has ended nothing is appended any
more, and what it keeps can be stored the way the wire had it:

* `CompactLog`: a block's log of plain deltas of one kind (``text_delta``,
  ``input_json_delta``, ``thinking_delta``) becomes one joined string and an array of end
  offsets; the few other deltas (a ``signature_delta`` after the thinking) stay as objects.
* `CompactSteps`: a step that is a plain delta to the only open block becomes one integer,
  the block's index; its event and snapshot are made again, equal to the originals, when a
  late subscriber reads it. Every other step (``message_start``, block starts and stops,
  pings, …) is kept as it was.

Both are read-only sequences that give what the lists they replace gave, item for item, so
the code that reads them does not change. What they give back is equal, not identical: a late
subscriber gets new event objects with the same fields, and new snapshots of the same frames
and versions. Compaction is O(number of events) once, when the stream ends.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Mapping, Sequence
from itertools import accumulate
from typing import Any, Final, final, overload

from ..events import ContentBlockDeltaEvent, Delta, InputJSONDelta, TextDelta, ThinkingDelta
from .snapshot import MessageSnapshot
from .step import Step

__all__ = ["CompactLog", "CompactSteps", "compact_log", "compact_steps", "plain_prefix"]

#: The delta kinds whose whole content is one string field.
_STRING_FIELD: Final[dict[type[Any], str]] = {
    TextDelta: "text",
    InputJSONDelta: "partial_json",
    ThinkingDelta: "thinking",
}
_EVENT_FIELDS: Final[set[str]] = {"type", "index", "delta"}


@final
class CompactLog(Sequence[Delta]):
    """A block's delta log stored as one string and its offsets (plus a tail of objects).

    The first ``prefix`` deltas are plain deltas of one kind; delta *i* of them is
    ``joined[ends[i-1]:ends[i]]`` in its string field. The ``tail`` deltas follow as objects.
    """

    __slots__ = ("_ends", "_field", "_kind", "_type", "joined", "prefix", "tail")

    def __init__(
        self, kind: type[Any], strings: Sequence[str], tail: Sequence[Delta], delta_type: str
    ) -> None:
        self._kind = kind
        self._field = _STRING_FIELD[kind]
        self._type = delta_type
        self.joined = "".join(strings)
        self._ends = array("Q", accumulate(map(len, strings)))
        self.prefix = len(strings)
        self.tail = tuple(tail)

    @property
    def kind(self) -> type[Any]:
        """The class of the deltas stored as strings."""
        return self._kind

    @property
    def field(self) -> str:
        """The name of their string field (``text``, ``partial_json`` or ``thinking``)."""
        return self._field

    def strings(self, start: int, stop: int) -> str:
        """The joined string fields of deltas ``start:stop``, both within the prefix."""
        assert 0 <= start <= stop <= self.prefix
        ends = self._ends
        return self.joined[ends[start - 1] if start else 0 : ends[stop - 1] if stop else 0]

    def __len__(self) -> int:
        return self.prefix + len(self.tail)

    @overload
    def __getitem__(self, index: int) -> Delta: ...

    @overload
    def __getitem__(self, index: slice) -> list[Delta]: ...

    def __getitem__(self, index: int | slice) -> Delta | list[Delta]:
        if isinstance(index, slice):
            return [self._item(i) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("delta index out of range")
        return self._item(index)

    def _item(self, index: int) -> Delta:
        if index >= self.prefix:
            return self.tail[index - self.prefix]
        text = self.strings(index, index + 1)
        delta: Delta = self._kind.model_construct(**{"type": self._type, self._field: text})
        return delta

    def __iter__(self) -> Iterator[Delta]:
        for i in range(len(self)):
            yield self._item(i)


def plain_prefix(log: Sequence[Delta]) -> int:
    """How many leading deltas of *log* are plain, of one kind: ``{"type": …, field: …}``.

    Plain deltas are made again equal from their string alone (`CompactLog`).
    """
    if not isinstance(log, list) or not log:
        return 0
    kind = type(log[0])
    field = _STRING_FIELD.get(kind)
    if field is None:
        return 0
    fields = {"type", field}
    prefix = 0
    for delta in log:
        if (
            type(delta) is not kind
            or delta.__pydantic_extra__
            or delta.__pydantic_fields_set__ != fields
        ):
            break
        prefix += 1
    return prefix


def compact_log(log: list[Delta], prefix: int | None = None) -> list[Delta] | CompactLog:
    """*log* as a `CompactLog` of its first *prefix* deltas (by default all its plain ones).

    A log with no plain leading delta is returned as it is.
    """
    if prefix is None:
        prefix = plain_prefix(log)
    if prefix == 0:
        return log
    field = _STRING_FIELD[type(log[0])]
    strings = [getattr(d, field) for d in log[:prefix]]
    return CompactLog(type(log[0]), strings, log[prefix:], log[0].type)


@final
class CompactSteps(Sequence[Step]):
    """The replay steps of a finished stream: plain deltas as block indexes, the rest whole.

    ``codes[i]`` is the block index of step *i* when it is a plain delta to the only open
    block (made again from that block's `CompactLog`), and ``-1`` when the step is kept
    whole in ``kept``. Reading from position *n* replays the codes from the start without
    making objects, to know each block's version and the frame there.
    """

    __slots__ = ("_builders", "_codes", "_kept")

    def __init__(self, codes: array[int], kept: list[Step], builders: Sequence[Any]) -> None:
        self._codes = codes
        self._kept = kept
        self._builders = builders

    def __len__(self) -> int:
        return len(self._codes)

    @overload
    def __getitem__(self, index: int) -> Step: ...

    @overload
    def __getitem__(self, index: slice) -> list[Step]: ...

    def __getitem__(self, index: int | slice) -> Step | list[Step]:
        if isinstance(index, slice):
            positions = range(*index.indices(len(self)))
            if not positions:
                return []
            low = min(positions[0], positions[-1])
            steps = self._steps(low, max(positions[0], positions[-1]) + 1)
            return [steps[p - low] for p in positions]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("step index out of range")
        return self._steps(index, index + 1)[0]

    def _steps(self, start: int, stop: int) -> list[Step]:
        out: list[Step] = []
        codes, kept, builders = self._codes, self._kept, self._builders
        versions: dict[int, int] = {}
        frame: Any = None
        k = 0  # the next kept step
        for position in range(stop):
            code = codes[position]
            if code < 0:
                step = kept[k]
                k += 1
                snapshot = step.snapshot
                if snapshot is not None:
                    frame = snapshot._frame  # pyright: ignore[reportPrivateUsage]
                    versions.update(snapshot._open)  # pyright: ignore[reportPrivateUsage]
                if position >= start:
                    out.append(step)
                continue
            version = versions[code] + 1
            versions[code] = version
            if position >= start:
                delta = builders[code].log[version - 1]
                event = ContentBlockDeltaEvent.model_construct(
                    type="content_block_delta", index=code, delta=delta
                )
                out.append(Step(event, MessageSnapshot(frame, ((code, version),))))
        return out


def compact_steps(
    steps: Sequence[Step], builders: Sequence[Any], prefixes: Mapping[int, int]
) -> Sequence[Step]:
    """*steps* with every plain delta step stored as its block index (see `CompactSteps`).

    Call it while the finished blocks' logs are still lists, with the number of plain
    deltas leading each (``prefixes``, by block index), then store those logs as
    `CompactLog`s. A step is stored as an index only when the step made again from it would
    equal it: a ``content_block_delta`` with no extra fields, to the only open block, whose
    delta is that log's next one (the same object) within its plain prefix, with the
    snapshot of the frame before it. Anything else is kept whole, so compaction never
    changes a replay.
    """
    if isinstance(steps, CompactSteps):
        return steps
    codes = array("q")
    kept: list[Step] = []
    versions: dict[int, int] = {}
    frame: Any = None
    event_fields = _EVENT_FIELDS
    delta_event = ContentBlockDeltaEvent
    for step in steps:
        event, snapshot = step
        if (
            type(event) is delta_event
            and snapshot is not None
            and snapshot._frame is frame  # pyright: ignore[reportPrivateUsage]
            and event.__pydantic_fields_set__ == event_fields
            and not event.__pydantic_extra__
        ):
            index = event.index
            version = versions.get(index, -1) + 1
            if (
                0 < version <= prefixes.get(index, 0)
                and snapshot._open == ((index, version),)  # pyright: ignore[reportPrivateUsage]
                and builders[index].log[version - 1] is event.delta
            ):
                versions[index] = version
                codes.append(index)
                continue
        codes.append(-1)
        kept.append(step)
        if snapshot is not None:
            frame = snapshot._frame  # pyright: ignore[reportPrivateUsage]
            versions.update(snapshot._open)  # pyright: ignore[reportPrivateUsage]
    if len(kept) == len(steps):
        return steps
    return CompactSteps(codes, kept, builders)
