"""`MessageSnapshot`: the message as it stood after one event, immutable and cheap.

A snapshot is a handful of references: the message-level fields (a frozen `Message` with no
content), the shared list of block builders, how many blocks it sees, and the version of each
block that was still open. All but the versions sit in a `Frame` that consecutive snapshots
share, so the snapshot after a delta is two references. Making one costs O(1); nothing in it
changes afterwards, so it is safe under ``pairwise()``, ``to_list()`` and a hop to a GUI
thread. The blocks themselves are built only when read (``content``, ``to_message()``), and
cached.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, final

from ..events import Container, ContentBlock, Delta, Message, TextBlock, Usage, WireObject
from .blocks import BlockBuilder
from .tool_input import StringMode

__all__ = ["Frame", "MessageSnapshot"]


@final
class Frame:
    """What consecutive snapshots share: everything but the versions of the open blocks.

    The accumulator makes a new frame whenever something else changes (``message_start``,
    a block's start or stop, ``message_delta``, ``message_stop``, an unknown delta), so a
    delta to an open block, the common event, makes a snapshot of two references.
    """

    __slots__ = ("builders", "complete", "count", "head", "unknown", "unknown_count")

    def __init__(
        self,
        head: Message,
        builders: list[BlockBuilder],
        complete: bool,
        unknown: list[tuple[int, Delta]],
    ) -> None:
        self.head = head  # the message-level fields: a frozen Message with no content
        self.builders = builders  # shared and append-only: the snapshot sees `count` of them
        self.count = len(builders)
        self.complete = complete
        self.unknown = unknown  # shared and append-only, like builders
        self.unknown_count = len(unknown)


@final
class MessageSnapshot:
    """The message received so far, as it stood after one event.

    It has the attributes of a `Message` (``id``, ``model``, ``content``, ``stop_reason``,
    ``usage``, … and any field the API added), plus ``complete`` and ``text``. It never
    changes once handed out.

    Example:
        >>> snapshot = arx.from_recording(PATH).pipe(accumulate()).run()  # the last one
        >>> snapshot.complete, snapshot.stop_reason
        (True, 'end_turn')
    """

    __slots__ = ("_content", "_frame", "_message", "_open")

    def __init__(self, frame: Frame, open_versions: tuple[tuple[int, int], ...]) -> None:
        self._frame = frame
        self._open = open_versions  # (index, version) of each block still open
        self._content: tuple[ContentBlock, ...] | None = None
        self._message: Message | None = None

    def __arx_parts__(self) -> tuple[Frame, tuple[tuple[int, int], ...]]:
        """The frame this snapshot reads and the versions of its open blocks.

        For the replay's compact storage (``sources/_replay.py``), which makes equal
        snapshots again as ``MessageSnapshot(frame, open_versions)``; not for applications.
        """
        return self._frame, self._open

    # -- the message's fields --------------------------------------------------------------

    @property
    def id(self) -> str:
        """The message id (``msg_…``)."""
        return self._frame.head.id

    @property
    def model(self) -> str:
        """The model that answered (relabelled by a ``fallback`` block)."""
        return self._frame.head.model

    @property
    def role(self) -> str:
        """Always ``"assistant"``."""
        return self._frame.head.role

    @property
    def stop_reason(self) -> str | None:
        """Why the model stopped; ``None`` until ``message_delta`` says."""
        return self._frame.head.stop_reason

    @property
    def stop_sequence(self) -> str | None:
        """The stop sequence that matched, when ``stop_reason`` is ``stop_sequence``."""
        return self._frame.head.stop_sequence

    @property
    def stop_details(self) -> WireObject | None:
        """Details of the stop (a refusal's category), when the API gives them."""
        return self._frame.head.stop_details

    @property
    def usage(self) -> Usage:
        """Token usage so far (cumulative: ``message_delta`` overwrites)."""
        return self._frame.head.usage

    @property
    def container(self) -> Container | None:
        """The code execution container, when one was used."""
        return self._frame.head.container

    # Hidden from type checkers, so a typo'd attribute is still caught. TYPE_CHECKING is
    # always False at run time, so the branch that skips this is never taken.
    if not TYPE_CHECKING:  # pragma: no branch

        def __getattr__(self, name: str) -> Any:
            # Fields the API sends that this version does not model (context_management, …).
            if name.startswith("_"):
                raise AttributeError(name)
            extra = self._frame.head.model_extra or {}
            if name in extra:
                return extra[name]
            raise AttributeError(f"'MessageSnapshot' object has no attribute {name!r}")

    @property
    def extra(self) -> dict[str, Any]:
        """The message fields this version does not model, as the API sent them."""
        return dict(self._frame.head.model_extra or {})

    # -- content ---------------------------------------------------------------------------

    @property
    def complete(self) -> bool:
        """Whether ``message_stop`` arrived: the message is whole."""
        return self._frame.complete

    @property
    def content(self) -> tuple[ContentBlock, ...]:
        """The content blocks, open ones as far as they have arrived (built on first read)."""
        if self._content is None:
            versions = dict(self._open)
            blocks: list[ContentBlock] = []
            for builder in self._frame.builders[: self._frame.count]:
                version = versions.get(builder.index)
                if version is None:
                    assert builder.final is not None
                    blocks.append(builder.final)
                else:
                    blocks.append(builder.block_at(version))
            self._content = tuple(blocks)
        return self._content

    def block(self, index: int) -> ContentBlock:
        """Return the content block at *index* (without building the others)."""
        builder = self._builder(index)
        if self._content is not None:
            return self._content[index]
        for i, version in self._open:
            if i == index:
                return builder.block_at(version)
        assert builder.final is not None
        return builder.final

    def started_block(self, index: int) -> ContentBlock:
        """Return block *index* as its ``content_block_start`` sent it (no deltas applied)."""
        return self._builder(index).start

    def input_of(self, index: int, *, strings: StringMode = "partial") -> Any:
        """Return the input of the tool block at *index* as parsed so far.

        An open block's input is parsed incrementally, only when read, and cached: reading
        it after every delta costs O(size of the delta) plus building the result. Unfinished
        numbers, literals and keys are left out. An unfinished string shows the prefix
        received so far (``strings="partial"``, for live display) or is left out
        (``strings="complete"``, what ``content`` shows, like the SDK's snapshots).
        """
        builder = self._builder(index)
        for i, version in self._open:
            if i == index:
                return builder.partial_input(version, strings)
        return getattr(builder.final, "input", None)

    def _builder(self, index: int) -> BlockBuilder:
        frame = self._frame
        if not 0 <= index < frame.count:
            raise IndexError(f"block index {index} out of range (the snapshot has {frame.count})")
        return frame.builders[index]

    @property
    def text(self) -> str:
        """The text of every text block, joined with ``""`` (the SDK's ``get_final_text``)."""
        return "".join(b.text for b in self.content if isinstance(b, TextBlock))

    @property
    def unknown_deltas(self) -> tuple[tuple[int, Delta], ...]:
        """Deltas this version cannot apply, with their block index, kept raw.

        Those of types it does not know (`UnknownDelta`), and known ones sent to a block of
        a type it does not know (the SDK drops both).
        """
        return tuple(self._frame.unknown[: self._frame.unknown_count])

    def to_message(self) -> Message:
        """Return the snapshot as a `Message` (what the non-streaming API would return)."""
        if self._message is None:
            self._message = self._frame.head.model_copy(update={"content": list(self.content)})
        return self._message

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle what this snapshot sees, and nothing else (later deltas, locks, caches).

        The unpickled snapshot reads the same: fields, blocks, text, tool inputs (partial
        ones too) and ``complete``. So an error carrying one can cross to another process.

        Example:
            >>> again = pickle.loads(pickle.dumps(snapshot))
            >>> again.to_message() == snapshot.to_message()
            True
        """
        frame = self._frame
        versions = dict(self._open)
        blocks = [b.seen_at(versions.get(b.index)) for b in frame.builders[: frame.count]]
        unknown = list(frame.unknown[: frame.unknown_count])
        return (_restore, (frame.head, blocks, frame.complete, unknown, self._open))

    def __deepcopy__(self, memo: dict[int, Any]) -> MessageSnapshot:
        # Immutable, and its blocks are shared by design (their builders hold a lock, which
        # cannot be copied): a deep copy is the snapshot itself.
        return self

    def __repr__(self) -> str:
        state = "complete" if self._frame.complete else "partial"
        return (
            f"<MessageSnapshot {self._frame.head.id} {state}, {self._frame.count} blocks, "
            f"stop_reason={self._frame.head.stop_reason!r}>"
        )


def _restore(
    head: Message,
    blocks: list[tuple[int, ContentBlock, list[Any], ContentBlock | None]],
    complete: bool,
    unknown: list[tuple[int, Delta]],
    open_versions: tuple[tuple[int, int], ...],
) -> MessageSnapshot:
    """Rebuild a snapshot from what `MessageSnapshot.__reduce__` kept."""
    builders = [BlockBuilder.restored(*block) for block in blocks]
    return MessageSnapshot(Frame(head, builders, complete, unknown), open_versions)
