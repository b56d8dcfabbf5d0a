"""`MessageAccumulator`: a pure reducer from stream events to immutable snapshots.

No I/O, no Rx, no clock. Cost per event is O(size of the event): a delta is appended to its
block's log and a new `MessageSnapshot` of a few references is made. Text is joined, and tool
input parsed, only when read (and tool input once, with jiter, at ``content_block_stop``).

The rules follow the official SDK's (beta) ``accumulate_event``, which is the reference for
the final message, and are stricter where the SDK fails silently or with a bare
``IndexError``/``AssertionError`` (research/anthropic-streaming.md §1.6):

* ``message_start`` opens the message; content already in it is kept.
* ``content_block_start`` appends a block at ``index``, which must be the next position.
* ``content_block_delta`` applies to the open block at ``index``: text, thinking and citations
  append; ``signature_delta`` and ``compaction_delta`` replace; input JSON is buffered.
  Unknown deltas are kept aside (`MessageSnapshot.unknown_deltas`), never fatal.
* ``content_block_stop`` finishes the block (tool input parsed once here).
* ``message_delta`` sets the stop reason, stop sequence and details, and overwrites usage
  fields that are present (they are cumulative totals).
* ``message_stop`` completes the message; blocks still open are finished as far as they got,
  except a tool block whose input JSON is unfinished: that is a `ToolInputError` carrying the
  snapshot, never a cut tool call passed off as whole (the SDK returns it as final).
* ``ping`` and unknown events change nothing. ``error`` raises its typed error.

Anything out of order is a `StreamProtocolError` that names the event, and ending before
``message_stop`` is an `IncompleteStreamError`; both carry the snapshot so far.
"""

from __future__ import annotations

from typing import Any, final

from .._exceptions import (
    AnthropicRxError,
    IncompleteStreamError,
    StreamProtocolError,
    ToolInputError,
)
from ..events import (
    ContentBlockDeltaEvent,
    ContentBlockStartEvent,
    ContentBlockStopEvent,
    Delta,
    ErrorEvent,
    FallbackBlock,
    Message,
    MessageDeltaEvent,
    MessageStartEvent,
    PingEvent,
    StreamEvent,
    UnknownBlock,
    UnknownDelta,
    UnknownEvent,
)
from .blocks import BlockBuilder
from .log import OpenLog
from .snapshot import Frame, MessageSnapshot

__all__ = ["MessageAccumulator"]

_USAGE_FIELDS = (
    "input_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
    "server_tool_use",
    "output_tokens_details",
    "iterations",
    "fallback_credit",
)


@final
class MessageAccumulator:
    """Fold stream events into `MessageSnapshot`s, one event at a time.

    Example:
        >>> acc = MessageAccumulator()
        >>> for event in events:
        ...     snapshot = acc.feed(event)
        >>> message = acc.message()
    """

    __slots__ = (
        "__arx_plain__",
        "_builders",
        "_complete",
        "_events",
        "_frame",
        "_head",
        "_last_type",
        "_open",
        "_snapshot",
        "_unknown",
    )

    def __init__(self) -> None:
        self._head: Message | None = None
        self._builders: list[BlockBuilder] = []
        self._open: dict[int, BlockBuilder] = {}
        self._unknown: list[tuple[int, Delta]] = []
        self._complete = False
        self._snapshot: MessageSnapshot | None = None
        self._frame: Frame | None = None  # what the next delta's snapshot shares
        self._last_type: str | None = None
        #: Whether the last `feed` was a plain delta to the only open block, kept in its log
        #: as a string: its snapshot is that block one version on, in the same frame. For
        #: the replay's compact storage (``sources/_replay.py``); not for applications.
        self.__arx_plain__ = False

    @property
    def snapshot(self) -> MessageSnapshot | None:
        """The latest snapshot (``None`` before ``message_start``)."""
        return self._snapshot

    @property
    def complete(self) -> bool:
        """Whether ``message_stop`` has arrived."""
        return self._complete

    def feed(self, event: StreamEvent) -> MessageSnapshot | None:
        """Apply one event and return the snapshot after it.

        Events that change nothing (``ping``, unknown types) return the same snapshot object
        as before, so ``is`` tells whether anything changed.

        Raises:
            StreamProtocolError: the event cannot follow the ones before it.
            ToolInputError: a tool block's input is not whole JSON at its ``content_block_stop``,
                or at ``message_stop`` for a tool block never stopped.
            APIStatusError: the event is an ``event: error`` (a subclass chosen by its type).
        """
        self.__arx_plain__ = False
        if isinstance(event, ContentBlockDeltaEvent):  # by far the most common: a fast path
            index, delta, open_ = event.index, event.delta, self._open
            builder = open_.get(index)
            if builder is not None:
                log: OpenLog = builder.log  # type: ignore[assignment]  # open: an OpenLog
                items = log.items
                if (  # a plain delta is kept as its string (OpenLog.add, inlined)
                    type(delta) is log.kind
                    and not delta.__pydantic_extra__
                    and delta.__pydantic_fields_set__ == log.fields
                ):
                    items.append(delta.__dict__[log.field])
                    if len(open_) == 1:  # the common case: say so (the replay stores nothing)
                        self.__arx_plain__ = True
                        self._last_type = "content_block_delta"
                        assert self._frame is not None
                        self._snapshot = snapshot = MessageSnapshot(
                            self._frame, ((index, len(items)),)
                        )
                        return snapshot
                elif delta.type in builder.accepts:
                    items.append(delta)
                else:
                    builder = None  # a delta this block does not take: _delta says why
                if builder is not None:
                    self._last_type = "content_block_delta"
                    if len(open_) == 1:
                        opened: tuple[tuple[int, int], ...] = ((index, len(items)),)
                    else:
                        opened = tuple([(i, len(b.log)) for i, b in open_.items()])
                    assert self._frame is not None
                    self._snapshot = snapshot = MessageSnapshot(self._frame, opened)
                    return snapshot
            self._delta(event)
        elif isinstance(event, PingEvent | UnknownEvent):
            return self._snapshot
        elif isinstance(event, ErrorEvent):
            raise event.to_exception().with_snapshot(self._snapshot)
        elif self._complete:
            raise self._violation(event, f"expected nothing after message_stop, got {event.type}")
        elif isinstance(event, MessageStartEvent):
            self._start(event)
        elif self._head is None:
            raise self._violation(event, f"expected message_start first, got {event.type}")
        elif isinstance(event, ContentBlockStartEvent):
            self._block_start(event)
        elif isinstance(event, ContentBlockStopEvent):
            self._block_stop(event)
        elif isinstance(event, MessageDeltaEvent):
            self._message_delta(event)
        else:  # message_stop
            for builder in self._open.values():
                self._finish_block(builder, complete=False)
            self._open.clear()
            self._complete = True
        self._last_type = event.type
        return self._emit()

    def message(self) -> Message:
        """Return the final `Message`.

        Raises:
            IncompleteStreamError: ``message_stop`` has not arrived (the error carries the
                snapshot so far).
        """
        if not self._complete or self._snapshot is None:
            raise self.incomplete()
        return self._snapshot.to_message()

    def incomplete(self) -> IncompleteStreamError:
        """The error for a stream that ended here, before ``message_stop``."""
        if self._head is None:
            detail = "before message_start"
        else:
            detail = f"after {self._last_type} ({len(self._builders)} blocks received)"
        return IncompleteStreamError(
            f"expected the stream to end with message_stop, but it ended {detail}",
            snapshot=self._snapshot,
        )

    # -- the rules -------------------------------------------------------------------------

    def _emit(self) -> MessageSnapshot:
        assert self._head is not None
        self._frame = Frame(self._head, self._builders, self._complete, self._unknown)
        opened = tuple([(i, len(b.log)) for i, b in self._open.items()])
        self._snapshot = MessageSnapshot(self._frame, opened)
        return self._snapshot

    def _violation(self, event: StreamEvent, message: str) -> AnthropicRxError:
        return StreamProtocolError(message, event=event, snapshot=self._snapshot)

    def _start(self, event: MessageStartEvent) -> None:
        if self._head is not None:
            raise self._violation(event, "expected one message_start, got a second one")
        message = event.message
        self._builders = [BlockBuilder.finished(i, b) for i, b in enumerate(message.content)]
        self._head = message.model_copy(update={"content": []})

    def _block_start(self, event: ContentBlockStartEvent) -> None:
        expected = len(self._builders)
        if event.index != expected:
            raise self._violation(
                event,
                f"expected content_block_start for index {expected}, got index {event.index}",
            )
        block = event.content_block
        builder = BlockBuilder(event.index, block)
        self._builders.append(builder)
        self._open[event.index] = builder
        if isinstance(block, FallbackBlock) and block.to and "model" in block.to:
            # The last hop's fallback block names the model that served the response.
            assert self._head is not None
            self._head = self._head.model_copy(update={"model": block.to["model"]})

    def _builder(self, event: ContentBlockDeltaEvent | ContentBlockStopEvent) -> BlockBuilder:
        builder = self._open.get(event.index)
        if builder is not None:
            return builder
        if self._head is None:
            raise self._violation(event, f"expected message_start first, got {event.type}")
        if self._complete:
            raise self._violation(event, f"expected nothing after message_stop, got {event.type}")
        if 0 <= event.index < len(self._builders):
            raise self._violation(
                event, f"{event.type} for block {event.index}, after its content_block_stop"
            )
        raise self._violation(
            event, f"{event.type} for block {event.index}, which was never started"
        )

    def _delta(self, event: ContentBlockDeltaEvent) -> None:
        builder = self._builder(event)
        delta = event.delta
        if isinstance(delta, UnknownDelta) or isinstance(builder.start, UnknownBlock):
            # A delta this version does not know, or a known one on a block of a type it does
            # not know (whose meaning there it cannot tell): kept aside, never fatal.
            builder.unknown.append(delta)
            self._unknown.append((event.index, delta))
            return
        # feed()'s fast path has applied every delta that its open block accepts, and an
        # UnknownDelta's type is never a known one (events._unknown_type): this one does not fit.
        raise self._violation(
            event,
            f"{delta.type} cannot apply to block {event.index}, a {builder.start.type} block",
        )

    def _block_stop(self, event: ContentBlockStopEvent) -> None:
        builder = self._builder(event)
        self._finish_block(builder, complete=True)
        del self._open[event.index]

    def _finish_block(self, builder: BlockBuilder, *, complete: bool) -> None:
        """Finish *builder* at its stop (*complete*) or at ``message_stop``; bad JSON is typed."""
        try:
            builder.finish(complete=complete)
        except ValueError as exc:
            text = builder.json_text()
            if complete:
                where = "at content_block_stop"
            else:
                assert self._head is not None
                where = (
                    "when message_stop ended the message without the block's "
                    f"content_block_stop (stop_reason {self._head.stop_reason!r})"
                )
            raise ToolInputError(
                f"expected the input of block {builder.index} ({builder.start.type}) to be "
                f"whole JSON {where}, got {text[:200]!r}: {exc}",
                index=builder.index,
                partial_json=text,
                snapshot=self._snapshot,
            ) from exc

    def _message_delta(self, event: MessageDeltaEvent) -> None:
        assert self._head is not None
        head = self._head
        delta, usage = event.delta, event.usage
        update: dict[str, Any] = {
            "stop_reason": delta.stop_reason,
            "stop_sequence": delta.stop_sequence,
            "stop_details": delta.stop_details,
        }
        if delta.container is not None:
            update["container"] = delta.container
        if event.context_management is not None:
            update["context_management"] = event.context_management
        if event.input_transformations is not None:
            update["input_transformations"] = event.input_transformations
        usage_update: dict[str, Any] = {"output_tokens": usage.output_tokens}
        for name in _USAGE_FIELDS:
            value = getattr(usage, name)
            if value is not None:
                usage_update[name] = value
        update["usage"] = head.usage.model_copy(update=usage_update)
        self._head = head.model_copy(update=update)
