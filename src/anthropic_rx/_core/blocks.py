"""Content-block builders: append-only logs that any number of snapshots can share.

A builder records a block's ``content_block_start`` and then appends each delta to a log. It
never changes what it has recorded, so a snapshot only has to remember how long the log was
(its *version*) to see the block exactly as it was then: handing out a snapshot costs O(1),
and text is joined only when someone reads it. Each builder caches the last value it built,
so reading at increasing versions extends the cache instead of starting again.
"""

from __future__ import annotations

import threading
from typing import Any, Final

from ..events import (
    CitationsDelta,
    CompactionDelta,
    ContentBlock,
    Delta,
    InputJSONDelta,
    SignatureDelta,
    TextDelta,
    ThinkingDelta,
    UnknownBlock,
)
from .log import KIND_OF, CompactLog, OpenLog
from .tool_input import PartialJSON, PartialJSONError, StringMode, parse_complete

__all__ = ["TOOL_TYPES", "BlockBuilder"]

#: Block types whose ``input`` streams as ``input_json_delta`` (the SDK's TRACKS_TOOL_INPUT).
TOOL_TYPES: Final = frozenset({"tool_use", "server_tool_use", "mcp_tool_use"})


_ACCEPTS: Final = {
    "text": ("text_delta", "citations_delta"),
    "thinking": ("thinking_delta", "signature_delta"),
    "compaction": ("compaction_delta",),
    **dict.fromkeys(TOOL_TYPES, ("input_json_delta",)),
}


def _json_fragments(items: list[str | Delta]) -> list[str]:
    """The input JSON fragments among a log's raw items (plain ones are strings already)."""
    fragments: list[str] = []
    for item in items:
        if isinstance(item, str):
            fragments.append(item)
        elif isinstance(item, InputJSONDelta):
            fragments.append(item.partial_json)
    return fragments


def _extra(block: ContentBlock) -> dict[str, Any]:
    return block.model_extra or {}


class BlockBuilder:
    """The append-only record of one content block.

    Attributes:
        index: the block's position in ``content``.
        start: the block as ``content_block_start`` sent it.
        log: every delta applied to it, in order: an `OpenLog` (plain deltas as their
            strings; the accumulator appends to its ``items``), sealed into a `CompactLog`
            of equal deltas by `compact` once the block is finished.
        stopped: whether ``content_block_stop`` arrived.
        final: the finished block (set at stop).
    """

    __slots__ = (
        "_cache",
        "_cache_version",
        "_lock",
        "_partial",
        "_partial_version",
        "accepts",
        "final",
        "index",
        "log",
        "start",
        "stopped",
        "unknown",
    )

    def __init__(self, index: int, start: ContentBlock) -> None:
        self.index = index
        self.start = start
        self.unknown: list[Delta] = []
        self.stopped = False
        self.final: ContentBlock | None = None
        self._cache: ContentBlock = start
        self._cache_version = 0
        self._lock = threading.RLock()
        self._partial: PartialJSON | None = None
        self._partial_version = 0
        #: The known delta types this block takes (the accumulator's fast path checks it).
        self.accepts: frozenset[str] = frozenset(_ACCEPTS.get(start.type, ()))
        if isinstance(start, UnknownBlock):
            extra = _extra(start)
            self.accepts = frozenset(
                [
                    *(["text_delta"] if "text" in extra else []),
                    *(["input_json_delta"] if "input" in extra else []),
                ]
            )
        kinds = [KIND_OF[t] for t in self.accepts if t in KIND_OF]
        self.log: OpenLog | CompactLog = OpenLog(kinds[0] if len(kinds) == 1 else None)

    @classmethod
    def finished(cls, index: int, block: ContentBlock) -> BlockBuilder:
        """A builder for a block that arrived whole (in ``message_start``)."""
        builder = cls(index, block)
        builder.stopped, builder.final = True, block
        return builder

    @classmethod
    def restored(
        cls, index: int, start: ContentBlock, deltas: list[Delta], final: ContentBlock | None
    ) -> BlockBuilder:
        """Rebuild a block from what `seen_at` kept (what an unpickled snapshot reads)."""
        builder = cls(index, start)
        log = builder.log
        assert isinstance(log, OpenLog)
        for delta in deltas:
            log.add(delta)
        if final is not None:
            builder.stopped, builder.final = True, final
        return builder

    def seen_at(
        self, version: int | None
    ) -> tuple[int, ContentBlock, list[Delta], ContentBlock | None]:
        """What `restored` needs to rebuild this block as a snapshot sees it.

        *version* is the snapshot's version of an open block, ``None`` for a finished one:
        only the deltas it sees are kept, without the lock and caches (which cannot be
        pickled) or the deltas that came later.
        """
        if version is None:
            return self.index, self.start, [], self.final
        return self.index, self.start, list(self.log[:version]), None

    @property
    def is_tool(self) -> bool:
        """Whether this block's input streams as JSON."""
        return self.start.type in TOOL_TYPES or (
            isinstance(self.start, UnknownBlock) and "input" in _extra(self.start)
        )

    # -- reading ---------------------------------------------------------------------------

    def block_at(self, version: int) -> ContentBlock:
        """Return the block as it was after the first *version* deltas.

        Thread-safe: snapshots of one stream may be read on several threads at once (a GUI
        thread and a timer thread), and the caches behind this are shared.
        """
        if self.final is not None and version == len(self.log):
            return self.final
        with self._lock:
            return self._block_at(version)

    def _block_at(self, version: int) -> ContentBlock:
        if version == self._cache_version:
            return self._cache
        if version < self._cache_version:  # an old snapshot read late: start again
            self._cache, self._cache_version = self.start, 0
        block = self._extend(self._cache, self._cache_version, version)
        self._cache, self._cache_version = block, version
        return block

    def _extend(self, base: ContentBlock, old: int, new: int) -> ContentBlock:
        if self.is_tool:
            # As in the SDK's snapshots: only finished strings (input_of shows prefixes).
            return base.model_copy(update={"input": self._partial_input(new, "complete")})
        log = self.log
        if old == new:
            return base
        strings = log.strings(old, new) if log.kind is not None else None
        if strings is not None:  # the common case: text or thinking as strings, joined in C
            field = log.field
            return base.model_copy(update={field: getattr(base, field, "") + strings})
        deltas = log[old:new]
        update: dict[str, Any] = {}
        texts = [d.text for d in deltas if isinstance(d, TextDelta)]
        if texts:
            update["text"] = getattr(base, "text", "") + "".join(texts)
        cites = [d.citation for d in deltas if isinstance(d, CitationsDelta)]
        if cites:
            old_cites: list[Any] = getattr(base, "citations", None) or []
            update["citations"] = [*old_cites, *cites]
        thinking = [d.thinking for d in deltas if isinstance(d, ThinkingDelta)]
        if thinking:
            update["thinking"] = getattr(base, "thinking", "") + "".join(thinking)
        for d in deltas:
            # signature_delta and compaction_delta carry the final value: replace, never append.
            if isinstance(d, SignatureDelta):
                update["signature"] = d.signature
            elif isinstance(d, CompactionDelta):
                update["content"] = d.content
                update["encrypted_content"] = d.encrypted_content
        return base.model_copy(update=update) if update else base

    def json_text(self, version: int | None = None) -> str:
        """All the input JSON text received, up to *version* deltas."""
        log = self.log
        end = len(log) if version is None else version
        strings = log.strings(0, end) if log.kind is InputJSONDelta else None
        if strings is not None:
            return strings
        return "".join(_json_fragments(log.raw(0, end)))

    def partial_input(self, version: int, strings: StringMode = "partial") -> Any:
        """The tool input as parsed after *version* deltas (see `PartialJSON` for the rules).

        The start block's ``input`` stands until a non-empty fragment arrives, so an input
        sent whole in ``content_block_start`` is kept. Thread-safe, as `block_at`.
        """
        with self._lock:
            return self._partial_input(version, strings)

    def _partial_input(self, version: int, strings: StringMode = "partial") -> Any:
        if version < self._partial_version or self._partial is None:
            self._partial, self._partial_version = PartialJSON(), 0
        parser = self._partial
        for fragment in _json_fragments(self.log.raw(self._partial_version, version)):
            if fragment:
                try:
                    parser.feed(fragment)
                except PartialJSONError:
                    break  # not JSON: the value stays as it was; the stop reports the error
        self._partial_version = version
        if not parser.started:
            return getattr(self.start, "input", {})
        value = parser.value(strings)
        return {} if value is None else value

    # -- writing ---------------------------------------------------------------------------

    def compact(self) -> None:
        """Store a finished block's log as one string and offsets (`CompactLog`).

        Only once the block is finished (nothing appends any more); readers see equal
        deltas and the same blocks at every version.
        """
        with self._lock:
            if self.final is not None and isinstance(self.log, OpenLog):
                self.log = self.log.sealed()

    def finish(self, complete: bool) -> ContentBlock:
        """Build the final block: at ``content_block_stop`` (*complete*) or at the end.

        A tool block's input is parsed once here, with jiter, and must be whole JSON, at
        its stop or when ``message_stop`` ends a block never stopped (cut by ``max_tokens``):
        a tool call with cut arguments is never passed off as finished. Other blocks end as
        far as they got.

        Raises:
            ValueError: a tool block's input text is not whole JSON.
        """
        if self.is_tool:
            text = self.json_text()
            if not text:
                block = self.start
            else:
                block = self.start.model_copy(update={"input": parse_complete(text)})
        else:
            block = self.block_at(len(self.log))
        with self._lock:
            self.stopped = complete or self.stopped
            self.final = block
            self._cache, self._cache_version = block, len(self.log)
        return block
