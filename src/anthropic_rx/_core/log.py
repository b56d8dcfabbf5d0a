"""A finished block's delta log, frozen: one joined string and its end offsets.

A `MessageStream` replays every step to late subscribers, so it keeps every delta. As objects
that is about 1.4 KiB an event, ten times the bytes that came over the wire. Once a block is
finished nothing is appended to its log any more, and the log can be stored the way the wire
had it: `CompactLog`, a block's plain deltas of one kind (``text_delta``,
``input_json_delta``, ``thinking_delta``) as one joined string and an array of end offsets;
the few other deltas (a ``signature_delta`` after the thinking) stay as objects.

It is a read-only sequence that gives what the list it replaces gave, item for item (equal
deltas, not the same objects), so the code that reads a log does not change; `BlockBuilder`
reads its strings directly where it can. The replay's steps are compacted by the replaying
stream itself (``sources/_replay.py``).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from itertools import accumulate
from typing import Any, Final, final, overload

from ..events import Delta, InputJSONDelta, TextDelta, ThinkingDelta

__all__ = ["CompactLog", "compact_log", "plain_prefix"]

_new_object = object.__new__
_object_setattr = object.__setattr__

#: The delta kinds whose whole content is one string field.
_STRING_FIELD: Final[dict[type[Any], str]] = {
    TextDelta: "text",
    InputJSONDelta: "partial_json",
    ThinkingDelta: "thinking",
}


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
        ends = self._ends
        text = self.joined[ends[index - 1] if index else 0 : ends[index]]
        # model_construct(type=…, field=text), without its generic overhead: a late
        # subscriber's replay makes one per delta.
        delta: Delta = _new_object(self._kind)
        _object_setattr(delta, "__dict__", {"type": self._type, self._field: text})
        _object_setattr(delta, "__pydantic_fields_set__", {"type", self._field})
        _object_setattr(delta, "__pydantic_extra__", {})
        _object_setattr(delta, "__pydantic_private__", None)
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
