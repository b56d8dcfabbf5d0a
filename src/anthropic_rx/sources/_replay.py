"""The compact replay of a finished `MessageStream`: storage, owned by the stream.

A `MessageStream` replays every step to late subscribers, so it keeps them all: about
1.4 KiB an event as objects (a pydantic event, its delta, the `Step` and its snapshot), ten
times the bytes that came over the wire. Once the stream has ended nothing is appended any
more, and `compact_replay` stores what it keeps the way the wire had it:

* each finished block's log is frozen into a `CompactLog` (the core's `BlockBuilder.compact`):
  its plain deltas as one joined string and end offsets;
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
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Final, cast, final, overload

from .._core import MessageSnapshot, Step, plain_prefix
from ..events import (
    ContentBlockDeltaEvent,
    ContentBlockStopEvent,
    InputJSONDelta,
    TextDelta,
    ThinkingDelta,
)

__all__ = ["CompactSteps", "compact_replay", "compact_steps"]

_EVENT_FIELDS: Final[set[str]] = {"type", "index", "delta"}
# tuple.__new__ builds a Step without NamedTuple's Python-level __new__ (as from_bytes does).
_new_step: Callable[[type[Step], tuple[Any, MessageSnapshot | None]], Step] = cast(
    "Callable[[type[Step], tuple[Any, MessageSnapshot | None]], Step]",
    tuple.__new__,  # pyright: ignore[reportUnknownMemberType]
)


def compact_replay(last: MessageSnapshot | None, steps: Sequence[Step]) -> Sequence[Step]:
    """Store a finished stream's replay compactly, and return *steps* so stored.

    *last* is the stream's last snapshot (its frame holds every block). Once no event will
    come: the plain delta steps become block indexes (`CompactSteps`), and the logs of
    finished blocks `CompactLog`s. Snapshots already handed out read the same blocks, and
    the returned sequence gives steps equal to *steps*. About 20 bytes a delta remain of the
    1.4 KiB its objects took.

    Example:
        >>> stored = compact_replay(acc.snapshot, steps)   # when the stream has ended
        >>> list(stored) == steps
        True
    """
    if last is None:
        return steps
    builders = last.__arx_parts__()[0].builders
    prefixes = {b.index: plain_prefix(b.log) for b in builders if b.final is not None}
    compact = compact_steps(steps, builders, prefixes)  # while the logs are lists
    for builder in builders:
        builder.compact(prefixes.get(builder.index, 0))
    return compact


_object_setattr = object.__setattr__
_new_object = object.__new__
_PLAIN: Final[dict[type[Any], set[str]]] = {
    TextDelta: {"type", "text"},
    InputJSONDelta: {"type", "partial_json"},
    ThinkingDelta: {"type", "thinking"},
}
_NOT_PLAIN: Final[set[str]] = {"\0"}  # no delta's fields
_CHECKPOINT = 1024  # a read from position n replays codes from the checkpoint before n


def _delta_event(index: int, delta: Any) -> ContentBlockDeltaEvent:
    """``ContentBlockDeltaEvent.model_construct(...)`` without its generic overhead."""
    event = _new_object(ContentBlockDeltaEvent)
    _object_setattr(
        event, "__dict__", {"type": "content_block_delta", "index": index, "delta": delta}
    )
    _object_setattr(event, "__pydantic_fields_set__", set(_EVENT_FIELDS))
    _object_setattr(event, "__pydantic_extra__", {})
    _object_setattr(event, "__pydantic_private__", None)
    return event


@final
class CompactSteps(Sequence[Step]):
    """A stream's replay steps: plain deltas as block indexes, the rest whole.

    ``codes[i]`` is the block index of step *i* when it is a plain delta to the only open
    block (made again from that block's log), and ``-1`` when the step is kept whole in
    ``kept``. A running `MessageStream` appends its steps here as they come (`append`), so
    it never holds a delta's event, step and snapshot longer than their delivery; each block
    is sealed into a `CompactLog` at its ``content_block_stop``. Reading from position *n*
    replays the codes from the checkpoint before *n* without making objects, to know each
    block's version and the frame there.
    """

    __slots__ = (
        "_builders",
        "_checkpoints",
        "_codes",
        "_frame",
        "_kept",
        "_plain",
        "_versions",
    )

    def __init__(
        self,
        codes: array[int] | None = None,
        kept: list[Step] | None = None,
        builders: Sequence[Any] = (),
    ) -> None:
        self._codes = codes if codes is not None else array("q")
        self._kept = kept if kept is not None else []
        self._builders = builders
        # The appending state: the frame and block versions after the last step, each
        # block's count of leading plain deltas and their class, and the checkpoints.
        self._frame: Any = None
        self._versions: dict[int, int] = {}
        self._plain: dict[int, tuple[type[Any], int]] = {}
        self._checkpoints: list[tuple[int, dict[int, int], Any]] = []
        if codes is not None:
            self._checkpoints = self._replayed_checkpoints()

    def append(self, step: Step) -> None:
        """Store the next step: as its block's index when it can be made again equal."""
        codes = self._codes
        if not len(codes) % _CHECKPOINT:
            self._checkpoints.append((len(self._kept), dict(self._versions), self._frame))
        event, snapshot = step
        parts = None if snapshot is None else snapshot.__arx_parts__()
        if (
            type(event) is ContentBlockDeltaEvent
            and parts is not None
            and parts[0] is self._frame
            and event.__pydantic_fields_set__ == _EVENT_FIELDS
            and not event.__pydantic_extra__
        ):
            index = event.index
            version = self._versions.get(index, -1) + 1
            delta = event.delta
            kind, run = self._plain.get(index, (type(delta), 0))
            if (
                run == version - 1
                and parts[1] == ((index, version),)
                and type(delta) is kind
                and delta.__pydantic_fields_set__ == _PLAIN.get(kind, _NOT_PLAIN)
                and not delta.__pydantic_extra__
                and self._builders[index].log[version - 1] is delta
            ):
                self._versions[index] = version
                self._plain[index] = (kind, version)
                codes.append(index)
                return
        codes.append(-1)
        self._kept.append(step)
        if parts is not None:
            frame = self._frame = parts[0]
            self._builders = frame.builders
            self._versions.update(parts[1])
            if type(event) is ContentBlockStopEvent:
                self._seal(event.index)

    def _seal(self, index: int) -> None:
        # The block has stopped: nothing appends to its log any more.
        builders = self._builders
        if 0 <= index < len(builders):
            kind_run = self._plain.get(index)
            builders[index].compact(kind_run[1] if kind_run else None)

    def _replayed_checkpoints(self) -> list[tuple[int, dict[int, int], Any]]:
        checkpoints: list[tuple[int, dict[int, int], Any]] = []
        versions: dict[int, int] = {}
        frame: Any = None
        k = 0
        for position, code in enumerate(self._codes):
            if not position % _CHECKPOINT:
                checkpoints.append((k, dict(versions), frame))
            if code < 0:
                snapshot = self._kept[k].snapshot
                k += 1
                if snapshot is not None:
                    frame, opened = snapshot.__arx_parts__()
                    versions.update(opened)
            else:
                versions[code] += 1
        return checkpoints

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
        first = start // _CHECKPOINT
        k, versions, frame = self._checkpoints[first]
        versions = dict(versions)
        append = out.append
        new_step = _new_step
        runs: dict[int, tuple[Iterator[Any], int]] = {}  # block index: its deltas, next version
        for position in range(first * _CHECKPOINT, stop):
            code = codes[position]
            if code < 0:
                step = kept[k]
                k += 1
                snapshot = step.snapshot
                if snapshot is not None:
                    frame, opened = snapshot.__arx_parts__()
                    versions.update(opened)
                if position >= start:
                    append(step)
                continue
            version = versions[code] + 1
            versions[code] = version
            if position >= start:
                # Each block's deltas are read as one slice: a run of them is made in one go.
                run = runs.get(code)
                if run is None or run[1] != version:
                    log: Sequence[Any] = builders[code].log
                    deltas = iter(log[version - 1 : version - 1 + stop - position])
                    run = (deltas, version)
                delta = next(run[0])
                runs[code] = (run[0], version + 1)
                event = _delta_event(code, delta)
                append(new_step(Step, (event, MessageSnapshot(frame, ((code, version),)))))
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
        parts = None if snapshot is None else snapshot.__arx_parts__()
        if (
            type(event) is delta_event
            and parts is not None
            and parts[0] is frame
            and event.__pydantic_fields_set__ == event_fields
            and not event.__pydantic_extra__
        ):
            index = event.index
            version = versions.get(index, -1) + 1
            if (
                0 < version <= prefixes.get(index, 0)
                and parts[1] == ((index, version),)
                and builders[index].log[version - 1] is event.delta
            ):
                versions[index] = version
                codes.append(index)
                continue
        codes.append(-1)
        kept.append(step)
        if parts is not None:
            frame = parts[0]
            versions.update(parts[1])
    if len(kept) == len(steps):
        return steps
    return CompactSteps(codes, kept, builders)
