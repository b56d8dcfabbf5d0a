"""The state of a `BatchRun`: what it emits (`BatchProgress`), what it tracks, its pacing."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias, final

from ..client import BatchRequestError, MessageBatch, MessageBatchRequestCounts
from ..concurrency import Tagged
from ..events import Message

__all__ = ["BatchItem", "BatchProgress", "BatchResult", "Pacing", "Tracker"]

BatchResult: TypeAlias = Tagged[str, Message | BatchRequestError]
"""One request's outcome: ``Tagged(custom_id, Message)``, or its `BatchRequestError`."""


@final
@dataclass(frozen=True, slots=True)
class BatchProgress:
    """Where a run stands; emitted whenever its batches' state changes.

    Attributes:
        batches: each API batch as last seen (one, unless the requests were split).
        processing_status: ``"creating"`` before every batch exists, then
            ``"in_progress"``, ``"canceling"`` (after `BatchRun.abort`) and ``"ended"``
            once every batch has ended.
        request_counts: the counts of all batches added up.
        polls: status requests sent so far (429s included).

    Example:
        >>> run.progress().subscribe(lambda p: print(f"{p.fraction:.0%}", p.request_counts))
    """

    batches: tuple[MessageBatch, ...]
    processing_status: Literal["creating", "in_progress", "canceling", "ended"]
    request_counts: MessageBatchRequestCounts
    polls: int = 0

    @property
    def batch_ids(self) -> tuple[str, ...]:
        """The ids of the API batches (keep them to `attach` after a restart)."""
        return tuple(batch.id for batch in self.batches)

    @property
    def total(self) -> int:
        """The run's requests."""
        return self.request_counts.total

    @property
    def fraction(self) -> float:
        """The share of requests that have left ``processing`` (0.0 to 1.0)."""
        total = self.request_counts.total
        return self.request_counts.done / total if total else 0.0


BatchItem: TypeAlias = BatchProgress | BatchResult
"""What a `BatchRun` emits: progress, then each request's result."""


@dataclass
class Tracker:
    """The run's state, changed only by its driver: batches seen, and which were read."""

    seen: dict[str, MessageBatch] = field(default_factory=dict[str, MessageBatch])
    read: set[str] = field(default_factory=set[str])
    polls: int = 0
    last: tuple[Any, ...] | None = None
    expected: int = 0  # batches to create

    def note(self, batch: MessageBatch) -> None:
        self.seen[batch.id] = batch

    def pending(self) -> list[str]:
        return [i for i, b in self.seen.items() if b.processing_status != "ended"]

    def unread(self) -> list[str]:
        return [
            i for i, b in self.seen.items() if b.processing_status == "ended" and i not in self.read
        ]

    def progress(self) -> BatchProgress:
        batches = tuple(self.seen.values())
        statuses = {b.processing_status for b in batches}
        status: Literal["creating", "in_progress", "canceling", "ended"]
        if len(batches) < self.expected:
            status = "creating"
        elif statuses == {"ended"}:
            status = "ended"
        elif "canceling" in statuses:
            status = "canceling"
        else:
            status = "in_progress"
        totals = dict.fromkeys(("processing", "succeeded", "errored", "canceled", "expired"), 0)
        for batch in batches:
            for name in totals:
                totals[name] += getattr(batch.request_counts, name)
        return BatchProgress(batches, status, MessageBatchRequestCounts(**totals), self.polls)

    def changed(self) -> BatchProgress | None:
        progress = self.progress()
        key = (
            progress.processing_status,
            progress.batch_ids,
            progress.request_counts,
            tuple(b.processing_status for b in progress.batches),
        )
        if key == self.last:
            return None
        self.last = key
        return progress


@dataclass(frozen=True)
class Pacing:
    poll_interval: float
    max_poll_interval: float
    backoff: float

    def __post_init__(self) -> None:
        for name in ("poll_interval", "max_poll_interval"):
            value = getattr(self, name)
            if not (0 < value < math.inf):
                raise ValueError(
                    f"expected {name} to be a positive number of seconds, got {value!r}"
                )
        if not self.backoff >= 1:
            raise ValueError(f"expected backoff >= 1, got {self.backoff!r}")
        if self.max_poll_interval < self.poll_interval:
            raise ValueError("expected max_poll_interval >= poll_interval")

    def next(self, delay: float, changed: bool) -> float:
        return delay if changed else min(delay * self.backoff, self.max_poll_interval)
