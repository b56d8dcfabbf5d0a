"""``client.messages.batches``: the Message Batches API, on both clients.

The resources check their input (`_batch_wire`) and send through `_batch_http` (retries,
typed errors, results read one line at a time and resumed). The results URL must be on the
client's own origin: the key never goes anywhere else.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterable, Iterator, Mapping
from typing import Any, final

import httpx
from pydantic import BaseModel

from .._exceptions import AnthropicRxError
from ._batch_http import AsyncBatchTransport, BatchTransport
from ._batch_types import DeletedMessageBatch, MessageBatch, MessageBatchIndividualResponse
from ._batch_wire import (
    MAX_BATCH_BYTES,
    MAX_BATCH_REQUESTS,
    EncodedRequest,
    batch_body,
    check_batch_id,
    encode_requests,
    parse_line,
)
from ._config import Settings

__all__ = ["AsyncBatches", "Batches"]


def _list_query(limit: int, after_id: str | None, before_id: str | None) -> dict[str, str]:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1000:  # pyright: ignore[reportUnnecessaryIsInstance]
        raise ValueError(f"expected limit from 1 to 1000, got {limit!r}")
    if after_id is not None and before_id is not None:
        raise ValueError("pass after_id or before_id, not both")
    query = {"limit": str(limit)}
    if after_id is not None:
        query["after_id"] = check_batch_id(after_id)
    if before_id is not None:
        query["before_id"] = check_batch_id(before_id)
    return query


class _Page(BaseModel):
    data: list[MessageBatch]
    has_more: bool = False
    first_id: str | None = None
    last_id: str | None = None


def _encoded(
    requests: Mapping[str, Mapping[str, Any]] | Iterable[Mapping[str, Any]],
) -> list[EncodedRequest]:
    from ._batch_types import BatchInputError

    encoded = encode_requests(requests)
    size = len(batch_body(encoded))
    if len(encoded) > MAX_BATCH_REQUESTS or size > MAX_BATCH_BYTES:
        raise BatchInputError(
            f"expected at most {MAX_BATCH_REQUESTS:,} requests and {MAX_BATCH_BYTES:,} bytes "
            f"in one batch, got {len(encoded):,} requests and {size:,} bytes: "
            "anthropic_rx.batches.run_batch() splits them into several batches"
        )
    return encoded


@final
class Batches:
    """``client.messages.batches``: the Message Batches API (half the price, within 24 h).

    Example:
        >>> batch = client.messages.batches.create({"q1": params1, "q2": params2})
        >>> batch = client.messages.batches.retrieve(batch.id)
        >>> if batch.processing_status == "ended":
        ...     for line in client.messages.batches.results(batch.id):
        ...         print(line.custom_id, line.result.type)
    """

    def __init__(self, http: httpx.Client, settings: Settings) -> None:
        self._transport = BatchTransport(http, settings)

    def create(
        self, requests: Mapping[str, Mapping[str, Any]] | Iterable[Mapping[str, Any]], /
    ) -> MessageBatch:
        """Create a batch from ``custom_id → params`` (or the API's list of requests).

        Raises:
            BatchInputError: bad input (see `encode_requests`), or more than one batch
                holds; raised before anything is sent.
            APIError: the API refused it (typed as for a stream).
        """
        body = batch_body(_encoded(requests))
        return self._transport.call(MessageBatch, "POST", content=body)

    def retrieve(self, batch_id: str, /) -> MessageBatch:
        """The batch's current state (``processing_status``, ``request_counts``, …)."""
        return self._transport.call(MessageBatch, "GET", "/" + check_batch_id(batch_id))

    def list(
        self, *, limit: int = 20, after_id: str | None = None, before_id: str | None = None
    ) -> Iterator[MessageBatch]:
        """Every batch, newest first, fetched *limit* at a time as the iteration goes.

        Example:
            >>> for batch in client.messages.batches.list(limit=100):
            ...     print(batch.id, batch.processing_status)
        """
        query = _list_query(limit, after_id, before_id)
        backwards = before_id is not None
        while True:
            page = self._transport.call(_Page, "GET", query=query)
            yield from page.data
            cursor = page.first_id if backwards else page.last_id
            if not page.has_more or cursor is None:
                return
            query = {"limit": str(limit), ("before_id" if backwards else "after_id"): cursor}

    def cancel(self, batch_id: str, /) -> MessageBatch:
        """Ask the API to cancel the batch; it goes ``canceling``, then ``ended``.

        Requests already processed keep their results (and are billed); the others end
        ``canceled``.
        """
        return self._transport.call(MessageBatch, "POST", f"/{check_batch_id(batch_id)}/cancel")

    def delete(self, batch_id: str, /) -> DeletedMessageBatch:
        """Delete an ended batch (cancel a running one first)."""
        return self._transport.call(DeletedMessageBatch, "DELETE", "/" + check_batch_id(batch_id))

    def results(
        self, batch: str | MessageBatch, /, *, skip: int = 0
    ) -> Generator[MessageBatchIndividualResponse, None, None]:
        """The results of an ended batch, one line at a time, in bounded memory.

        A line that cannot be read comes as a result of type ``unreadable``
        (`MessageBatchUnreadableResult`) for its ``custom_id``; the file goes on. A
        connection broken mid-file is resumed (with the client's retries). Close the
        iterator (or read it to its end) to free the connection.

        Args:
            batch: an ended batch, or its id (then it is retrieved first).
            skip: lines to leave out first (a restart that had read them).

        Raises:
            APIResponseValidationError: the batch has not ended (no ``results_url``), or its
                results are on another origin.
        """
        if isinstance(batch, str) or batch.results_url is None:
            batch = self.retrieve(batch if isinstance(batch, str) else batch.id)
        if batch.results_url is None:
            raise _not_ended(batch)
        for line in self._transport.lines(batch.results_url, skip=skip):
            yield parse_line(line)


def _not_ended(batch: MessageBatch) -> AnthropicRxError:
    from .._exceptions import APIResponseValidationError

    return APIResponseValidationError(
        f"expected batch {batch.id} to have ended before its results are read, but it is "
        f"{batch.processing_status}",
        status_code=200,
    )


@final
class AsyncBatches:
    """``async_client.messages.batches``: the async twin of `Batches`."""

    def __init__(self, http: httpx.AsyncClient, settings: Settings) -> None:
        self._transport = AsyncBatchTransport(http, settings)

    async def create(
        self, requests: Mapping[str, Mapping[str, Any]] | Iterable[Mapping[str, Any]], /
    ) -> MessageBatch:
        """Create a batch; see `Batches.create`."""
        body = batch_body(_encoded(requests))
        return await self._transport.call(MessageBatch, "POST", content=body)

    async def retrieve(self, batch_id: str, /) -> MessageBatch:
        """The batch's current state."""
        return await self._transport.call(MessageBatch, "GET", "/" + check_batch_id(batch_id))

    async def list(
        self, *, limit: int = 20, after_id: str | None = None, before_id: str | None = None
    ) -> AsyncIterator[MessageBatch]:
        """Every batch, newest first, fetched *limit* at a time; see `Batches.list`."""
        query = _list_query(limit, after_id, before_id)
        backwards = before_id is not None
        while True:
            page = await self._transport.call(_Page, "GET", query=query)
            for batch in page.data:
                yield batch
            cursor = page.first_id if backwards else page.last_id
            if not page.has_more or cursor is None:
                return
            query = {"limit": str(limit), ("before_id" if backwards else "after_id"): cursor}

    async def cancel(self, batch_id: str, /) -> MessageBatch:
        """Ask the API to cancel the batch; see `Batches.cancel`."""
        suffix = f"/{check_batch_id(batch_id)}/cancel"
        return await self._transport.call(MessageBatch, "POST", suffix)

    async def delete(self, batch_id: str, /) -> DeletedMessageBatch:
        """Delete an ended batch."""
        suffix = "/" + check_batch_id(batch_id)
        return await self._transport.call(DeletedMessageBatch, "DELETE", suffix)

    async def results(
        self, batch: str | MessageBatch, /, *, skip: int = 0
    ) -> AsyncGenerator[MessageBatchIndividualResponse, None]:
        """The results of an ended batch, one line at a time; see `Batches.results`."""
        if isinstance(batch, str) or batch.results_url is None:
            batch = await self.retrieve(batch if isinstance(batch, str) else batch.id)
        if batch.results_url is None:
            raise _not_ended(batch)
        lines = self._transport.lines(batch.results_url, skip=skip)
        try:
            async for line in lines:
                yield parse_line(line)
        finally:
            await lines.aclose()
