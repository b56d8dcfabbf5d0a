"""Layer 1: bytes → `ServerSentEvent`, exactly as WHATWG HTML §9.2.5 and §9.2.6 say.

`SSEDecoder` is sans-I/O, with the ``decode()``/``flush()`` shape of httpx's decoders: feed it
the chunks of a response body as they arrive, and it hands back the events each chunk
completes. The rules it follows, and the 129 conformance cases that check them, are in
``shared/corpus/sse-conformance/README.md``. In short:

- The stream is UTF-8 whatever the headers say; invalid bytes become U+FFFD ("maximal
  subpart" practice, WHATWG Encoding "UTF-8 decode"), and one leading BOM is dropped.
- Only CR LF, CR and LF end lines; U+2028, NEL, VT, FF… are ordinary characters.
- An event is dispatched at the blank line that ends it, at once: a CR completes the line
  (the LF that may follow it is skipped), so a stalled server never stalls an event.
- An unfinished line or event at the end of input dispatches nothing.

Cost is linear in the input whatever the chunk sizes: an unfinished line is kept as a list of
pieces and joined once, and the blocks the Anthropic API sends (``event: …`` then ``data: …``
then a blank line) are decoded a whole chunk at a time with C-level list operations; a chunk
that is exactly one such block (the API writes one HTTP chunk per event) skips the line
machinery altogether.
"""

from __future__ import annotations

import codecs
from decimal import Decimal
from itertools import repeat
from operator import is_
from typing import Any, cast, final

import jiter

from ._exceptions import EventTooLargeError

__all__ = ["SSEDecoder", "ServerSentEvent", "encode_comment", "encode_event"]

_utf8_decode = codecs.utf_8_decode
_removeprefix = str.removeprefix
_MAX_TYPES = 64  # distinct `event:` lines remembered per decoder
_MIN_RUN = 15  # lines: below five blocks, interpreting them one by one is faster
_REPR_DATA = 200


@final
class ServerSentEvent:
    """One dispatched event (WHATWG HTML §9.2.6). Immutable and hashable.

    Attributes:
        event: the event type: the last ``event`` field of the block, ``"message"`` when none
            was given or the last one was empty.
        data: the ``data`` fields of the block joined with ``"\\n"``.
        id: the stream's last event ID when the event was dispatched. It persists across
            events until an ``id`` field changes it; ``None`` while none was ever set.
        retry: the reconnection time (ms) from a valid ``retry`` field in this event's own
            block, else ``None``.
    """

    __slots__ = ("_data", "_event", "_id", "_retry")
    __match_args__ = ("event", "data", "id", "retry")

    def __init__(
        self,
        event: str = "message",
        data: str = "",
        id: str | None = None,
        retry: int | None = None,
    ) -> None:
        self._event = event
        self._data = data
        self._id = id
        self._retry = retry

    @property
    def event(self) -> str:
        """The event type (``"message"`` by default)."""
        return self._event

    @property
    def data(self) -> str:
        """The event's data."""
        return self._data

    @property
    def id(self) -> str | None:
        """The last event ID at dispatch, or ``None`` if the stream never set one."""
        return self._id

    @property
    def retry(self) -> int | None:
        """The valid ``retry`` value of this event's block, in milliseconds."""
        return self._retry

    def json(self) -> Any:
        """Parse `data` as JSON with jiter.

        Raises:
            ValueError: the data is not valid JSON.
        """
        return jiter.from_json(self._data.encode())

    def encode(self) -> bytes:
        """This event as the bytes of one event-stream block: `SSEDecoder`'s inverse.

        Same as ``encode_event(self.data, event=self.event, id=self.id, retry=self.retry)``.

        Example:
            >>> ServerSentEvent("ping", "{}", id="3").encode()
            b'event: ping\\ndata: {}\\nid: 3\\n\\n'
        """
        return encode_event(self._data, event=self._event, id=self._id, retry=self._retry)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ServerSentEvent):
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def _fields(self) -> tuple[str, str, str | None, int | None]:
        return self._event, self._data, self._id, self._retry

    def __repr__(self) -> str:
        data = repr(self._data[:_REPR_DATA])
        if len(self._data) > _REPR_DATA:
            data += f"… ({len(self._data)} chars)"
        return (
            f"ServerSentEvent(event={self._event!r}, data={data}, "
            f"id={self._id!r}, retry={self._retry!r})"
        )


def _utf8_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode())


def _base_ten(digits: str) -> int:
    """Read ASCII digits, however many: int() refuses more than 4300 of them."""
    try:
        return int(digits)
    except ValueError:
        return int(Decimal(digits))


# What the lines of one chunk dispatch: the events interpreted one by one before a run of
# common blocks, the run as its event types, data and event ID (made into events, or not, by
# the caller), and the events after it. Without a run, every event is in the first list.
_Dispatched = tuple[
    list[ServerSentEvent], tuple[list[str], list[str], str | None] | None, list[ServerSentEvent]
]


@final
class SSEDecoder:
    """Incremental event-stream decoder (WHATWG HTML §9.2.5 parsing, §9.2.6 interpreting).

    Args:
        max_event_bytes: bound on the size of one event: the UTF-8 bytes of the lines of its
            block (comments included, line endings not; an invalid byte counts as the three
            bytes of its U+FFFD), together with the line still being received. ``None`` means
            no bound.

    When a ``decode()`` call crosses the bound, the events that chunk completed before the
    oversized block are returned and `EventTooLargeError` is raised by the next call (at
    once when there are none), so nothing received before it is lost. The decoder is then
    spent: every later ``decode()`` or ``flush()`` raises the error again.
    """

    __slots__ = (
        "_after_cr", "_block_bytes", "_data", "_error", "_held", "_id_buffer",
        "_last_event_id", "_line_bytes", "_max", "_partial", "_retry", "_special", "_start",
        "_type", "_type_retry", "_types",
    )  # fmt: skip

    def __init__(self, *, max_event_bytes: int | None = None) -> None:
        if max_event_bytes is not None and max_event_bytes < 1:
            raise ValueError(f"expected max_event_bytes >= 1 or None, got {max_event_bytes}")
        self._max = max_event_bytes
        self._error: EventTooLargeError | None = None
        self._last_event_id: str | None = None  # the "last event ID string"
        self._retry: int | None = None  # the reconnection time
        self._types: dict[str, str] = {}
        self._start_stream()

    def _start_stream(self) -> None:
        self._special = True  # one of the four below: decode() takes the slow road
        self._held = b""  # the start of a UTF-8 sequence that the chunk cut
        self._start = True  # nothing decoded yet: a BOM may come
        self._after_cr = False  # the last chunk ended in CR: skip one LF
        self._partial: list[str] = []  # pieces of the unfinished line
        self._data: list[str] = []  # the data buffer, one item per data line
        self._type = ""  # the event type buffer
        self._type_retry: int | None = None  # a valid retry in the current block
        self._id_buffer = self._last_event_id  # the last event ID buffer
        self._block_bytes: int = 0  # complete lines of the current block
        self._line_bytes: int = 0  # the unfinished line

    @property
    def last_event_id(self) -> str | None:
        """The last event ID string: what a reconnection would send as ``Last-Event-ID``."""
        return self._last_event_id

    @property
    def retry(self) -> int | None:
        """The reconnection time (ms) from the last valid ``retry`` field read, if any."""
        return self._retry

    def decode(self, chunk: bytes) -> list[ServerSentEvent]:
        """Feed the next chunk of the body; return the events it completes, in order.

        Raises:
            EventTooLargeError: an event grew past ``max_event_bytes`` (see the class).
        """
        single = self._single(chunk)
        if single is not None:
            return [ServerSentEvent(single[0], single[1], self._last_event_id)]
        events, run, after = self._dispatch(chunk)
        if run is not None:
            events.extend(map(ServerSentEvent, run[0], run[1], repeat(run[2])))
            events += after
        return events

    def decode_fields(self, chunk: bytes) -> list[tuple[str, str]]:
        """`decode`, but each event as its ``(event, data)`` pair.

        That is all `parse_event` reads (`events.parse_fields` takes the pair), and a pair
        costs less to make than a `ServerSentEvent`: the loop that decodes and parses a
        whole body (``from_bytes``) uses this.

        Example:
            >>> SSEDecoder().decode_fields(b"event: ping\\ndata: {}\\n\\n")
            [('ping', '{}')]
        """
        single = self._single(chunk)
        if single is not None:
            return [single]
        events, run, after = self._dispatch(chunk)
        fields = [(e.event, e.data) for e in events]
        if run is not None:
            fields += zip(run[0], run[1], strict=True)
            fields += [(e.event, e.data) for e in after]
        return fields

    def _single(self, chunk: bytes) -> tuple[str, str] | None:
        """The ``(event, data)`` of *chunk* if it is exactly one common block, else ``None``.

        The API sends one block per HTTP chunk (``event: T``, ``data: D``, a blank line), so
        this is the live path's common case: with the decoder in its steady state and no
        block open, it is dispatched here without the line machinery. Anything else (``None``)
        goes through `_dispatch`, which also raises when the block is too large.
        """
        if self._special or self._partial or self._data or self._type:
            return None
        text, used = _utf8_decode(chunk, "replace", False)
        if (
            used != len(chunk)
            or text[-2:] != "\n\n"
            or text.count("\n") != 3
            or text[:7] != "event: "
            or "\r" in text
            or self._type_retry is not None
        ):
            return None
        name, data, _, _ = text.split("\n")
        if data[:6] != "data: ":
            return None
        if self._max is not None:
            if self._block_bytes + _utf8_len(text) - 3 > self._max:
                return None
            self._block_bytes = 0
        self._last_event_id = self._id_buffer
        return name[7:] or "message", data[6:]

    def _dispatch(self, chunk: bytes) -> _Dispatched:
        """Decode *chunk* and interpret the lines it completes (`_interpret`)."""
        if self._special:
            text = self._special_text(chunk)
        else:
            text, used = _utf8_decode(chunk, "replace", False)
            if used != len(chunk):  # keep the start of a character the chunk cut
                self._held, self._special = chunk[used:], True
        if "\r" in text:  # §9.2.5: CRLF, a lone CR and a lone LF each end a line
            if text[-1] == "\r":  # it ends its line now; skip the LF if one comes next
                self._after_cr = self._special = True
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        lines = text.split("\n")  # never splitlines(): U+2028, NEL… are not line endings
        tail = lines.pop()
        partial = self._partial
        if lines and partial:  # the first line ends the one the last chunk left unfinished
            partial.append(lines[0])
            lines[0] = "".join(partial)
            partial.clear()
        if tail:
            partial.append(tail)
        if self._max is not None and (cut := self._account(lines, tail, self._max)):
            dispatched = self._interpret(lines[: cut[0]])
            self._fail(cut[1])
            if not dispatched[0] and dispatched[1] is None:  # a run is never empty
                raise self._again()
            return dispatched
        if len(lines) < _MIN_RUN:
            return (self._lines(lines) if lines else []), None, []
        return self._interpret(lines)

    def _special_text(self, chunk: bytes) -> str:
        """Decode *chunk* when the decoder is not in its steady state."""
        if self._error is not None:
            raise self._again()
        chunk = self._held + chunk
        text, used = _utf8_decode(chunk, "replace", False)
        self._held = chunk[used:]
        if self._start and text:
            self._start = False
            if text[0] == "\ufeff":  # §9.2.5: one leading U+FEFF BOM is dropped
                text = text[1:]
        if self._after_cr and text:
            self._after_cr = False
            if text[0] == "\n":  # the LF of a CRLF that the chunks split
                text = text[1:]
        self._special = self._start or self._after_cr or bool(self._held)
        return text

    def flush(self) -> list[ServerSentEvent]:
        """Signal the end of input; return the events it completes.

        That is always ``[]``: a CR completes its line at once, and an unfinished line or
        event dispatches nothing (§9.2.6). The decoder is then ready for a new stream (a
        reconnection): the last event ID and the reconnection time carry over.

        Raises:
            EventTooLargeError: an earlier call crossed ``max_event_bytes``.
        """
        if self._error is not None:
            raise self._again()
        self._start_stream()
        return []

    def _fail(self, size: int) -> None:
        self._error = EventTooLargeError(limit=self._max or 0, size=size)
        self._special = True
        self._partial.clear()
        self._data = []

    def _again(self) -> EventTooLargeError:
        assert self._error is not None
        return EventTooLargeError(limit=self._error.limit, size=self._error.size)

    def _account(self, lines: list[str], tail: str, limit: int) -> tuple[int, int] | None:
        """Track the size of the current block.

        Returns:
            ``None`` when it stays within *limit*, else how many of *lines* come before the
            line that crosses it (``len(lines)`` for the unfinished one) and the size reached.
        """
        tail_bytes = _utf8_len(tail) + (0 if lines else self._line_bytes)
        # A character is at most 4 bytes, and lines[0] holds the pieces already counted in
        # _line_bytes: while this bound holds, only the block after the last blank line counts.
        bound = sum(map(len, lines)) * (1 if all(map(str.isascii, lines)) else 4)
        if self._block_bytes + bound + tail_bytes <= limit:
            last = len(lines) - 1
            while last >= 0 and lines[last]:
                last -= 1
            size = 0 if last >= 0 else self._block_bytes
            self._block_bytes = size + sum(map(_utf8_len, lines[last + 1 :]))
            self._line_bytes = tail_bytes
            return None
        size = self._block_bytes
        for index, line in enumerate(lines):
            size = size + _utf8_len(line) if line else 0
            if size > limit:
                return index, size
        self._block_bytes, self._line_bytes = size, tail_bytes
        if size + tail_bytes > limit:
            return len(lines), size + tail_bytes
        return None

    def _interpret(self, lines: list[str]) -> _Dispatched:
        """Interpret complete lines (§9.2.6); return what they dispatch (see `_Dispatched`)."""
        if len(lines) < _MIN_RUN:
            return self._lines(lines), None, []
        try:
            first = lines.index("")
        except ValueError:
            return self._lines(lines), None, []
        last = len(lines) - 1
        while lines[last]:
            last -= 1
        # After a blank line every block starts clean, so the run of blocks up to the last
        # blank line can be decoded at C speed if each one has the common shape. Lines that
        # change nothing (comments, unknown fields) may leave a block open yet clean.
        clean = not (self._data or self._type or self._type_retry is not None)
        start = 0 if clean and self._id_buffer == self._last_event_id else first + 1
        run = self._common_blocks(lines[start : last + 1]) if last - start >= _MIN_RUN - 1 else None
        if run is None:
            return self._lines(lines), None, []
        before = self._lines(lines[:start]) if start else []  # ends the block left open
        event_id = self._last_event_id
        # The lines after the run open the block that the next chunk ends.
        after = self._lines(lines[last + 1 :]) if last + 1 < len(lines) else []
        return before, (run[0], run[1], event_id), after

    def _common_blocks(self, lines: list[str]) -> tuple[list[str], list[str]] | None:
        """The types and data of *lines* if they are all ``event: T``, ``data: D``, blank."""
        names, datas = lines[0::3], lines[1::3]
        n = len(datas)
        if len(lines) != 3 * n or any(lines[2::3]):
            return None
        known = self._types  # event line -> event type, for the lines seen before
        types = list(map(known.get, names))
        if None in types:
            if len(known) > _MAX_TYPES:
                known.clear()
            for name in names:
                if name[:7] != "event: ":
                    return None
                known[name] = name[7:] or "message"  # an empty type means "message"
            types = list(map(known.get, names))
        values = list(map(_removeprefix, datas, repeat("data: ")))
        if any(map(is_, datas, values)):  # a line that had no "data: " came back as it was
            return None
        return cast("list[str]", types), values

    def _lines(self, lines: list[str]) -> list[ServerSentEvent]:
        """Interpret complete lines one by one (§9.2.6); return the events they dispatch."""
        events: list[ServerSentEvent] = []
        data, event_type, retry = self._data, self._type, self._type_retry
        id_buffer, last_id = self._id_buffer, self._last_event_id
        for line in lines:
            if not line:  # a blank line dispatches the event
                last_id = id_buffer
                if data:  # no data field at all: nothing to dispatch
                    events.append(
                        ServerSentEvent(event_type or "message", "\n".join(data), last_id, retry)
                    )
                    data = []
                event_type, retry = "", None
            elif line[:6] == "data: ":  # the two common lines first
                data.append(line[6:])
            elif line[:7] == "event: ":
                event_type = line[7:]
            elif (colon := line.find(":")) != 0:  # not a comment
                if colon < 0:  # no colon: the whole line is the field name, the value is ""
                    name, value = line, ""
                else:  # the value after the first colon, less one leading space
                    name = line[:colon]
                    colon += 2 if line[colon + 1 : colon + 2] == " " else 1
                    value = line[colon:]
                if name == "data":
                    data.append(value)
                elif name == "event":
                    event_type = value
                elif name == "id":
                    if "\0" not in value:
                        id_buffer = value
                elif name == "retry" and value.isascii() and value.isdigit():  # ASCII digits
                    retry = self._retry = _base_ten(value)
        self._data, self._type, self._type_retry = data, event_type, retry
        self._id_buffer, self._last_event_id = id_buffer, last_id
        return events


def encode_event(
    data: str,
    *,
    event: str | None = None,
    id: str | None = None,
    retry: int | None = None,
) -> bytes:
    """One event as event-stream bytes (UTF-8): what `SSEDecoder` reads back as it was.

    Every line of *data* (split at LF) becomes a ``data:`` line, so a decoder joins them
    back with LF; ``event:`` is left out for ``"message"`` (the default type), ``id:`` and
    ``retry:`` when ``None``. Decoding the concatenated blocks of events gives them back,
    each ``id`` being the last one set, as the decoder's ``id`` persists.

    Args:
        data: the event's data; may hold LF, never CR (a decoder reads any CR as a line end).
        event: the event type; not empty, no CR or LF.
        id: the event ID, sent as ``Last-Event-ID`` by a reconnecting browser; no CR, LF or
            NUL (a decoder ignores an ID with NUL).
        retry: the reconnection time to advise, in milliseconds (``>= 0``).

    Raises:
        ValueError: a value the event-stream format cannot carry, saying which.

    Example:
        >>> encode_event('{"type":"ping"}', event="ping", id="7")
        b'event: ping\\ndata: {"type":"ping"}\\nid: 7\\n\\n'
        >>> SSEDecoder().decode(encode_event("a\\nb"))
        [ServerSentEvent(event='message', data='a\\nb', id=None, retry=None)]
    """
    if "\r" in data:
        raise ValueError("an event's data cannot hold CR: a decoder reads it as a line end")
    head = ""
    if event is not None and event != "message":
        if not event or "\n" in event or "\r" in event:
            raise ValueError(f"an event type must be non-empty, without CR or LF: {event!r}")
        head = f"event: {event}\n"
    tail = "\n"
    if id is not None:
        if "\n" in id or "\r" in id or "\0" in id:
            raise ValueError(f"an event ID cannot hold CR, LF or NUL: {id!r}")
        tail = f"id: {id}\n\n"
    if retry is not None:
        if retry < 0:
            raise ValueError(f"retry must be >= 0 milliseconds, got {retry}")
        tail = f"retry: {retry}\n{tail}"
    if "\n" in data:
        data = data.replace("\n", "\ndata: ")
    return f"{head}data: {data}\n{tail}".encode()


def encode_comment(text: str = "") -> bytes:
    """A comment block (``: text``): dispatches nothing; keeps an idle connection alive.

    Raises:
        ValueError: *text* holds CR or LF.

    Example:
        >>> encode_comment("keep-alive")
        b': keep-alive\\n\\n'
    """
    if "\n" in text or "\r" in text:
        raise ValueError(f"a comment cannot hold CR or LF: {text!r}")
    return f": {text}\n\n".encode()


for _cls in (SSEDecoder, ServerSentEvent):
    _cls.__module__ = "anthropic_rx"  # the facade exports it: reprs show that path
del _cls
