"""A block's delta log, stored the way the wire had it: strings, not objects.

A `MessageStream` replays every step to late subscribers, so it keeps every delta. As pydantic
objects that is about 0.5 KiB a delta, four times the bytes that came over the wire, and a
long answer's open block held them all until its stop. So a block's log never keeps a plain
delta as an object:

* `OpenLog`, while the block is open: each plain delta (``{"type": …, field: …}`` of the
  block's one string kind: ``text_delta``, ``input_json_delta``, ``thinking_delta``) as its
  string, any other delta (a ``citations_delta``, a ``signature_delta``, one with fields this
  version does not know) as itself. The accumulator appends to ``items`` directly.
* `CompactLog`, once the block is finished and the stream seals it: the leading plain
  deltas as one joined string and an array of end offsets, the few others after them as
  objects.

Both are read-only sequences of deltas that give what a list of the original deltas gave,
item for item (equal deltas, made again on read, not the same objects), so code that reads a
log does not change; `BlockBuilder` reads their strings directly (`strings`, `raw`). The
replay's steps are compacted by the replaying stream itself (``sources/_replay.py``).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator, Sequence
from itertools import accumulate
from typing import TYPE_CHECKING, Any, Final, final, overload

from pydantic import BaseModel

from ..events import Delta, InputJSONDelta, TextDelta, ThinkingDelta

__all__ = ["KIND_OF", "MODEL_SLOTS", "CompactLog", "OpenLog", "plain_delta"]

_new_object = object.__new__
# pydantic's own slots, set directly: what model_construct does, without its generic overhead
# (a late subscriber's replay makes one delta per step).
_model_slots = vars(BaseModel)
_set_dict: Callable[[Any, dict[str, Any]], None] = _model_slots["__dict__"].__set__
_set_fields_set: Callable[[Any, set[str]], None] = _model_slots["__pydantic_fields_set__"].__set__
_set_extra: Callable[[Any, dict[str, Any]], None] = _model_slots["__pydantic_extra__"].__set__
_set_private: Callable[[Any, None], None] = _model_slots["__pydantic_private__"].__set__
#: Those four setters (``__dict__``, fields set, extra, private), for code that makes many
#: models of known-valid values (the replay's events): ``object.__new__(cls)``, then all four.
MODEL_SLOTS: Final = (_set_dict, _set_fields_set, _set_extra, _set_private)

#: The delta kinds whose whole content is one string field.
_STRING_FIELD: Final[dict[type[Any], str]] = {
    TextDelta: "text",
    InputJSONDelta: "partial_json",
    ThinkingDelta: "thinking",
}
_DELTA_TYPE: Final[dict[type[Any], str]] = {
    TextDelta: "text_delta",
    InputJSONDelta: "input_json_delta",
    ThinkingDelta: "thinking_delta",
}
#: The delta kind a block's log stores as strings, by the delta types the block takes.
KIND_OF: Final[dict[str, type[Any]]] = {
    "text_delta": TextDelta,
    "input_json_delta": InputJSONDelta,
    "thinking_delta": ThinkingDelta,
}
_NO_FIELDS: Final[set[str]] = {"\0"}  # no delta's fields: nothing is plain


def plain_delta(kind: type[Any], delta_type: str, field: str, text: str) -> Delta:
    """The plain delta of *kind* whose string *field* is *text*, as the parser makes it."""
    delta: Delta = _new_object(kind)
    _set_dict(delta, {"type": delta_type, field: text})
    _set_fields_set(delta, {"type", field})
    _set_extra(delta, {})
    _set_private(delta, None)
    return delta


class _Log(Sequence[Delta]):
    """What both logs share: indexing like a list, made of `_item`."""

    __slots__ = ()

    if TYPE_CHECKING:

        def _item(self, index: int) -> Delta: ...

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

    def __iter__(self) -> Iterator[Delta]:
        for i in range(len(self)):
            yield self._item(i)


@final
class OpenLog(_Log):
    """An open block's deltas: each plain one as its string, any other as itself.

    ``items[i]`` is delta *i*: a `str` for a plain delta of ``kind`` (made again on read),
    the delta itself otherwise. The accumulator appends to ``items`` (see `add` for the rule).

    Example:
        >>> log = OpenLog(TextDelta)
        >>> log.add(TextDelta(type="text_delta", text="Hi"))
        >>> log.items, log[0]
        (['Hi'], TextDelta(type='text_delta', text='Hi'))
    """

    __slots__ = ("field", "fields", "items", "kind", "type")

    def __init__(self, kind: type[Any] | None) -> None:
        self.items: list[str | Delta] = []
        #: The delta class stored as strings (``None``: every delta is kept whole).
        self.kind = kind
        self.field = _STRING_FIELD.get(kind, "") if kind is not None else ""
        #: The ``model_fields_set`` of a plain delta (compared with ``==``).
        self.fields: set[str] = {"type", self.field} if kind is not None else _NO_FIELDS
        self.type = _DELTA_TYPE.get(kind, "") if kind is not None else ""

    def add(self, delta: Delta) -> None:
        """Append *delta*: as its string when it is plain, as itself otherwise.

        Plain: of class ``kind`` exactly, no extra fields, exactly its two fields set, so
        the delta made again from the string is equal, fields set included.
        """
        if (
            type(delta) is self.kind
            and not delta.__pydantic_extra__
            and delta.__pydantic_fields_set__ == self.fields
        ):
            self.items.append(getattr(delta, self.field))
        else:
            self.items.append(delta)

    def __len__(self) -> int:
        return len(self.items)

    def _item(self, index: int) -> Delta:
        item = self.items[index]
        if type(item) is str:
            assert self.kind is not None
            return plain_delta(self.kind, self.type, self.field, item)
        return item  # type: ignore[return-value]

    def raw(self, start: int, stop: int) -> list[str | Delta]:
        """Deltas ``start:stop`` as stored: strings for the plain ones."""
        return self.items[start:stop]

    def strings(self, start: int, stop: int) -> str | None:
        """The joined strings of deltas ``start:stop``, or ``None`` if one is not plain."""
        try:
            return "".join(self.items[start:stop])  # type: ignore[arg-type]
        except TypeError:
            return None

    def plain_prefix(self) -> int:
        """How many leading deltas are plain (stored as strings)."""
        items = self.items
        if self.strings(0, len(items)) is not None:
            return len(items)
        return next(i for i, item in enumerate(items) if type(item) is not str)

    def sealed(self) -> OpenLog | CompactLog:
        """This log, finished, as a `CompactLog` (itself if no delta leads as a string)."""
        prefix = self.plain_prefix()
        if prefix == 0 or self.kind is None:
            return self
        items = self.items
        tail = [self._item(i) for i in range(prefix, len(items))]
        strings: list[str] = items[:prefix]  # type: ignore[assignment]
        return CompactLog(self.kind, strings, tail, self.type)


@final
class CompactLog(_Log):
    """A finished block's log as one string and its offsets (plus a tail of objects).

    The first ``prefix`` deltas are plain deltas of one kind; delta *i* of them is
    ``joined[ends[i-1]:ends[i]]`` in its string field. The ``tail`` deltas follow as objects.
    """

    __slots__ = ("_ends", "field", "joined", "kind", "prefix", "tail", "type")

    def __init__(
        self, kind: type[Any], strings: Sequence[str], tail: Sequence[Delta], delta_type: str
    ) -> None:
        #: The class of the deltas stored as strings, their string field and their type.
        self.kind = kind
        self.field = _STRING_FIELD[kind]
        self.type = delta_type
        self.joined = "".join(strings)
        self._ends = array("Q", accumulate(map(len, strings)))
        self.prefix = len(strings)
        self.tail = tuple(tail)

    def strings(self, start: int, stop: int) -> str | None:
        """The joined strings of deltas ``start:stop``, or ``None`` past the prefix."""
        if stop > self.prefix:
            return None
        ends = self._ends
        return self.joined[ends[start - 1] if start else 0 : ends[stop - 1] if stop else 0]

    def raw(self, start: int, stop: int) -> list[str | Delta]:
        """Deltas ``start:stop`` as `OpenLog.raw` gives them: strings for the plain ones."""
        out: list[str | Delta] = []
        ends, joined, prefix = self._ends, self.joined, self.prefix
        begin = ends[start - 1] if 0 < start <= prefix else 0
        for i in range(start, min(stop, prefix)):
            end = ends[i]
            out.append(joined[begin:end])
            begin = end
        out.extend(self.tail[max(start, prefix) - prefix : max(stop, prefix) - prefix])
        return out

    def __len__(self) -> int:
        return self.prefix + len(self.tail)

    def _item(self, index: int) -> Delta:
        if index >= self.prefix:
            return self.tail[index - self.prefix]
        ends = self._ends
        text = self.joined[ends[index - 1] if index else 0 : ends[index]]
        return plain_delta(self.kind, self.type, self.field, text)
