"""The compact replay of a `MessageStream`: storage, owned by the stream.

A `MessageStream` replays every step to late subscribers, so it keeps them all. As objects
(a pydantic event, its delta, the `Step` and its snapshot) that is about 1.4 KiB an event,
ten times the bytes that came over the wire. So the stream keeps them the way the wire had
them, as they come:

* each block's log keeps its plain deltas as strings (the core's `OpenLog`), and is sealed
  into a `CompactLog` (one joined string and end offsets) at the block's stop;
* `CompactSteps`: a step that is a plain delta to the only open block is not stored at all
  (its string is in the block's log); its event and snapshot are made again, equal to the
  originals, when a late subscriber reads it. Every other step (``message_start``, block
  starts and stops, pings, …) is kept as it was, with its position.

`CompactSteps` is a read-only sequence that gives what the list it replaces gave, item for
item, so the code that reads it does not change. What it gives back is equal, not
identical: a late subscriber gets new event objects with the same fields, and new snapshots
of the same frames and versions.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from itertools import repeat
from typing import Any, Final, cast, final, overload

from .._core import MODEL_SLOTS, CompactLog, MessageSnapshot, OpenLog, Step
from .._steps import EventTypes
from ..events import ContentBlockDeltaEvent, ContentBlockStopEvent

__all__ = ["CompactSteps", "compact_replay", "new_step", "next_batch"]

_EVENT_FIELDS: Final[set[str]] = {"type", "index", "delta"}
# tuple.__new__ builds a Step without NamedTuple's Python-level __new__ (as from_bytes does).
new_step: Callable[[type[Step], tuple[Any, MessageSnapshot | None]], Step] = cast(
    "Callable[[type[Step], tuple[Any, MessageSnapshot | None]], Step]",
    tuple.__new__,  # pyright: ignore[reportUnknownMemberType]
)
_BATCH = 1024  # a finished stream's late subscriber gets its steps made this many at a time


def next_batch(
    steps: Sequence[Step], cursor: int, only: EventTypes | None, done: bool
) -> tuple[Sequence[Step], int]:
    """The steps a subscriber at *cursor* is delivered next, and its cursor after them.

    While the stream runs: every step from *cursor*. Once it is *done*, at most ``_BATCH``
    at a time, so a late subscriber never holds more than that many made-again steps; and
    for a subscriber whose *only* excludes ``content_block_delta``, without the coded
    deltas (it would drop them).
    """
    stop = min(len(steps), cursor + _BATCH) if done else len(steps)
    if isinstance(steps, CompactSteps):
        deltas = only is None or any(issubclass(ContentBlockDeltaEvent, t) for t in only)
        return steps.read(cursor, stop, deltas), stop
    return steps[cursor:stop], stop


def compact_replay(last: MessageSnapshot | None, steps: Sequence[Step]) -> Sequence[Step]:
    """Store a finished stream's replay compactly, and return *steps* so stored.

    *last* is the stream's last snapshot (its frame holds every block). Once no event will
    come: the plain delta steps are left to their blocks' logs (`CompactSteps`, unless
    *steps* is one already: a running stream's), and the logs of finished blocks become
    `CompactLog`s. Snapshots already handed out read the same blocks, and the returned
    sequence gives steps equal to *steps*. Of the 1.4 KiB a delta's objects took, its text
    and an 8-byte offset remain.

    Example:
        >>> stored = compact_replay(acc.snapshot, steps)   # when the stream has ended
        >>> list(stored) == steps
        True
    """
    if last is None:
        return steps
    compact = steps
    if not isinstance(steps, CompactSteps):
        compact = CompactSteps()
        for step in steps:
            compact.append(step)
        if not compact.coded:
            compact = steps  # nothing could be stored compactly: keep the list
    for builder in last.__arx_parts__()[0].builders:
        builder.compact()
    return compact


@final
class CompactSteps(Sequence[Step]):
    """A stream's replay steps: the kept ones whole, the plain deltas between them implied.

    A step is *coded* when it is a plain delta to the only open block, right after a step
    that left that block one delta shorter with the same frame: it is made again from the
    block's log. Every other step is *kept* whole in ``kept``, its position in ``at``. So
    between two kept steps every step is coded, to the one block that the first of them
    left open, at the versions that follow its own: reading from any position finds the
    kept step before it (a bisection) and makes the coded ones in one loop per block.

    A running `MessageStream` adds its steps here as they come (`add`, told by its
    accumulator which are plain deltas; `append` checks for itself), so it never
    holds a delta's event, step and snapshot longer than their delivery; each block is
    sealed into a `CompactLog` at its ``content_block_stop``.
    """

    __slots__ = ("_at", "_block", "_frame", "_kept", "_length", "_version")

    def __init__(self) -> None:
        self._kept: list[Step] = []
        self._at = array("q")  # the position of each kept step
        self._length = 0
        # The appending state: the frame after the last step, and its only open block with
        # that block's version (-1: not one open block; nothing can be coded next).
        self._frame: Any = None
        self._block = -1
        self._version = 0

    @property
    def coded(self) -> int:
        """How many steps are made again from their blocks' logs (not stored)."""
        return self._length - len(self._kept)

    def append(self, step: Step) -> None:
        """Store the next step: as nothing more than a count when it can be made again equal.

        That is a ``content_block_delta`` with no extra fields, to the only open block,
        whose delta is the one that block's log keeps as a string (a plain delta) at the
        snapshot's version, right after the step before it in the same frame.
        """
        event, snapshot = step
        if type(event) is ContentBlockDeltaEvent and snapshot is not None:
            frame, opened = snapshot.__arx_parts__()
            if (
                frame is self._frame
                and len(opened) == 1
                and event.__pydantic_fields_set__ == _EVENT_FIELDS
                and not event.__pydantic_extra__
            ):
                index, version = opened[0]
                log = frame.builders[index].log
                if (
                    index == self._block == event.index
                    and version == self._version + 1
                    and isinstance(log, OpenLog)
                ):
                    item = log.items[version - 1]
                    if type(item) is str and item is event.delta.__dict__.get(log.field):
                        self._version = version
                        self._length += 1
                        return
        self._keep(step)
        if snapshot is not None:
            frame, opened = snapshot.__arx_parts__()
            self._frame = frame
            if len(opened) == 1:
                self._block, self._version = opened[0]
            if type(event) is ContentBlockStopEvent and 0 <= event.index < len(frame.builders):
                frame.builders[event.index].compact()  # stopped: nothing appends any more

    def add(self, step: Step, plain: bool) -> int:
        """Store the next step of the accumulator that made it, told what it decided.

        *plain* is the accumulator's ``__arx_plain__`` after the step's event: a plain delta
        to the only open block, one version on in the same frame. Such a step is coded (only
        counted) when its event has no more than its three fields; any other is kept whole.
        A running `MessageStream` stores its steps so, without checking again what the
        accumulator has decided (`append` checks, for steps of unknown origin). Returns how
        many steps are stored, this one included (``len(self)``).
        """
        if plain:
            event: Any = step[0]
            if event.__pydantic_fields_set__ == _EVENT_FIELDS and not event.__pydantic_extra__:
                self._length += 1
                return self._length
        self._keep(step)
        event, snapshot = step
        if type(event) is ContentBlockStopEvent and snapshot is not None:
            builders = snapshot.__arx_parts__()[0].builders
            if 0 <= event.index < len(builders):
                builders[event.index].compact()  # stopped: nothing appends any more
        return self._length

    def _keep(self, step: Step) -> None:
        self._at.append(self._length)
        self._length += 1
        self._kept.append(step)
        self._block = -1  # `append` codes nothing against this step before it has read it

    def __len__(self) -> int:
        return self._length

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
            steps = self.read(low, max(positions[0], positions[-1]) + 1)
            return [steps[p - low] for p in positions]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("step index out of range")
        return self.read(index, index + 1)[0]

    def read(self, start: int, stop: int, deltas: bool = True) -> list[Step]:
        """Steps ``start:stop`` (``0 <= start <= stop <= len(self)``), made again where coded.

        With *deltas* false, the coded steps (plain deltas) are left out: a reader that wants
        no ``content_block_delta`` (``final_message``) gets the others without the cost of
        making them.
        """
        out: list[Step] = []
        if start >= stop:
            return out
        at, kept = self._at, self._kept
        add = out.append
        last = len(at) - 1
        j = bisect_right(at, start) - 1  # the kept step at or before start (at[0] is 0)
        while j <= last and at[j] < stop:
            begin = at[j]
            end = at[j + 1] if j < last else self._length
            step = kept[j]
            j += 1
            if begin >= start:
                add(step)
            low, high = max(begin + 1, start), min(end, stop)
            if low >= high or not deltas:
                continue
            # Steps low:high are this kept step's block's next deltas: made in one loop.
            snapshot: Any = step.snapshot
            frame, ((index, base),) = snapshot.__arx_parts__()
            log = frame.builders[index].log
            first = base + low - begin  # the version after the delta at position low
            _make_run(out, frame, index, log, first, log.raw(first - 1, first - 1 + high - low))
        return out


# Runs an iterator to its end, keeping nothing.
_consume: Callable[[Iterable[None]], None] = deque[None](maxlen=0).extend
_new = object.__new__
# model_construct without its generic overhead: the event and its delta, per step.
_set_dict, _set_fields, _set_extra, _set_private = MODEL_SLOTS


def _make_run(
    out: list[Step], frame: Any, index: int, log: Any, first: int, items: list[Any]
) -> None:
    """Append to *out* the steps of the deltas *items* of block *index*, at versions *first*….

    *items* are as the block's *log* keeps them (`OpenLog.raw`): a string for a plain delta,
    the delta itself otherwise. Each step gets an event and a delta equal to the originals
    and the snapshot of *frame* at its version. The objects are made a run at a time, each
    field set by a C loop (``map``), not by a Python loop per step: a late subscriber's
    replay costs about one object's making per object.
    """
    n = len(items)
    kind: type[Any] = log.kind
    delta_type: str = log.type
    field: str = log.field
    # One fields set for the deltas of this run, one for their events, one empty extra for
    # all: read-only models never change theirs (pydantic's copies copy them), so they can
    # share.
    delta_fields, event_fields = {"type", field}, {"type", "index", "delta"}
    no_extra: dict[str, Any] = {}
    if type(log) is CompactLog and first - 1 + n <= log.prefix:
        strings: list[Any] = items  # all in the joined prefix: strings only
    else:
        strings = [item for item in items if type(item) is str]
    made: list[Any] = list(map(_new, repeat(kind, len(strings))))
    _consume(map(_set_dict, made, [{"type": delta_type, field: text} for text in strings]))
    _consume(map(_set_fields, made, repeat(delta_fields)))
    _consume(map(_set_extra, made, repeat(no_extra)))
    _consume(map(_set_private, made, repeat(None)))
    if len(strings) == n:
        deltas = made
    else:  # deltas the log keeps whole (each followed one that was not plain), in place
        plain = iter(made)
        deltas = [next(plain) if type(item) is str else item for item in items]
    events: list[Any] = list(map(_new, repeat(ContentBlockDeltaEvent, n)))
    _consume(
        map(
            _set_dict,
            events,
            [{"type": "content_block_delta", "index": index, "delta": d} for d in deltas],
        )
    )
    _consume(map(_set_fields, events, repeat(event_fields)))
    _consume(map(_set_extra, events, repeat(no_extra)))
    _consume(map(_set_private, events, repeat(None)))
    # ((index, version),) for each version: the open versions of each step's snapshot.
    opened = zip(zip(repeat(index), range(first, first + n)))
    snapshots = map(MessageSnapshot, repeat(frame), opened)
    out.extend(map(new_step, repeat(Step), zip(events, snapshots, strict=True)))
