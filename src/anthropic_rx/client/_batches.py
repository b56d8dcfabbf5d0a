"""``client.messages.batches``: the Message Batches API, on both clients.

Each call is one JSON request with the client's retry policy (`_retry.plan_retry`: 408,
409, 429, 5xx, ``retry-after`` honoured in full) and error boundary (`_http`: typed errors,
the key forgotten after sending). ``results`` reads the JSONL file one line at a time in
bounded memory; when the connection breaks mid-file it downloads the file again (the file of
an ended batch never changes) and skips the lines already given, so each line comes once.
The results URL must be on the client's own origin: the key never goes anywhere else.
"""

from __future__ import annotations

import threading
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Callable,
    Generator,
    Iterable,
    Iterator,
    Mapping,
)
from typing import Any, Generic, TypeVar, final

import anyio
import httpx
from pydantic import BaseModel, ValidationError

from .._exceptions import AnthropicRxError, StreamAbortedError
from ._batch_types import DeletedMessageBatch, MessageBatch, MessageBatchIndividualResponse
from ._batch_wire import (
    MAX_BATCH_BYTES,
    MAX_BATCH_REQUESTS,
    EncodedRequest,
    LineReader,
    batch_body,
    check_batch_id,
    encode_requests,
    parse_line,
    same_origin,
)
from ._config import Settings
from ._http import (
    aclose_response,
    aread_body,
    aread_some,
    body_decoder,
    forget_key,
    read_body,
    read_some,
    redirect_error,
    status_error,
    transport_error,
    validation_error,
)
from ._retry import plan_retry

__all__ = ["AsyncBatches", "AsyncBatchTransport", "BatchTransport", "Batches", "ResponseHook"]

_M = TypeVar("_M", bound=BaseModel)
_H = TypeVar("_H", httpx.Client, httpx.AsyncClient)
ResponseHook = Callable[[int, Mapping[str, str]], None]
"""Called with each response's status and headers (lower-case names), retries included."""


class _Base(Generic[_H]):
    """What both transports share: URLs, building a request with the key, the retry plan."""

    def __init__(self, http: _H, settings: Settings) -> None:
        self.http: _H = http
        self.settings = settings
        self.hooks: list[ResponseHook] = []

    def url(self, suffix: str = "") -> httpx.URL:
        base = self.settings.url
        return base.copy_with(path=base.path + "/batches" + suffix)

    def build(
        self, method: str, url: httpx.URL, content: bytes | None, query: Mapping[str, str] | None
    ) -> httpx.Request:
        accept = "application/binary" if url.path.endswith("/results") else "application/json"
        request = self.http.build_request(
            method,
            url,
            content=content,
            headers={**self.settings.headers(), "accept": accept},
            params=dict(query) if query else None,
        )
        request.headers["x-api-key"] = self.settings.api_key.reveal()
        return request

    def note(self, response: httpx.Response) -> None:
        headers = {k.lower(): v for k, v in response.headers.items()}
        for hook in list(self.hooks):
            hook(response.status_code, headers)

    def translate(self, exc: httpx.HTTPError, url: httpx.URL, attempt: int, received: bool) -> Any:
        return transport_error(
            exc,
            url=url,
            received=received,
            connect_timeout=self.settings.connect_timeout,
            idle_timeout=self.settings.idle_timeout,
            request_id=None,
            attempts=attempt,
        )

    def plan(self, error: AnthropicRxError, retries: int) -> float:
        """The wait before the next attempt; raises *error* when there is none."""
        plan = plan_retry(
            error,
            retries_taken=retries,
            max_retries=self.settings.max_retries,
            max_retry_wait=self.settings.max_retry_wait,
            delivered=False,
            time_left=None,
        )
        if plan.delay is None:
            if plan.note:
                error.add_note(plan.note)
            raise error
        return plan.delay


def _model(cls: type[_M], response: httpx.Response, content: bytes, attempt: int) -> _M:
    try:
        return cls.model_validate_json(content)
    except ValidationError as exc:
        raise validation_error(
            response, content, expected=f"{cls.__name__} JSON", attempts=attempt
        ) from exc


@final
class BatchTransport(_Base[httpx.Client]):
    """The batch requests of a `Client`, with retries; *stop* ends a wait between attempts."""

    def __init__(
        self, http: httpx.Client, settings: Settings, stop: threading.Event | None = None
    ) -> None:
        super().__init__(http, settings)
        self.stop = stop or threading.Event()

    def open(
        self,
        method: str,
        url: httpx.URL,
        *,
        content: bytes | None = None,
        query: Mapping[str, str] | None = None,
    ) -> tuple[httpx.Response, int]:
        """Send until a 2xx comes (the caller closes it) and return it with its attempt."""
        retries = 0
        while True:
            attempt = retries + 1
            try:
                return self._attempt(method, url, content, query, attempt), attempt
            except AnthropicRxError as error:
                delay = self.plan(error, retries)
            if self.stop.wait(delay):
                raise StreamAbortedError("the batch request was aborted")
            retries += 1

    def _attempt(
        self,
        method: str,
        url: httpx.URL,
        content: bytes | None,
        query: Mapping[str, str] | None,
        attempt: int,
    ) -> httpx.Response:
        if self.stop.is_set():
            raise StreamAbortedError("the batch request was aborted")
        request = self.build(method, url, content, query)
        try:
            response = self.http.send(request, stream=True, follow_redirects=False)
        except httpx.HTTPError as exc:
            forget_key(request, None, exc)
            raise self.translate(exc, url, attempt, False) from exc
        forget_key(request, response=response)
        try:
            self.note(response)
            status = response.status_code
            if 300 <= status < 400:
                raise redirect_error(response, attempts=attempt)
            if not 200 <= status < 300:
                raise status_error(response, read_some(response), attempts=attempt)
        except httpx.HTTPError as exc:
            response.close()
            raise self.translate(exc, url, attempt, False) from exc
        except BaseException:
            response.close()
            raise
        return response

    def call(
        self,
        cls: type[_M],
        method: str,
        suffix: str = "",
        *,
        content: bytes | None = None,
        query: Mapping[str, str] | None = None,
    ) -> _M:
        """One JSON request, its answer validated as *cls*."""
        url = self.url(suffix)
        response, attempt = self.open(method, url, content=content, query=query)
        try:
            body = read_body(response, self.settings.max_event_bytes)
        except httpx.HTTPError as exc:
            raise self.translate(exc, url, attempt, True) from exc
        finally:
            response.close()
        return _model(cls, response, body, attempt)

    def lines(self, results_url: str, *, skip: int = 0) -> Iterator[bytes]:
        """The lines of a results file, one at a time; resumes after a broken connection."""
        url = same_origin(results_url, self.settings.url)
        given = 0
        retries = 0
        while True:
            response, attempt = self.open("GET", url)
            reader = LineReader(self.settings.max_event_bytes)
            inflate = body_decoder(response)
            seen = 0
            try:
                for chunk in response.iter_raw():
                    pieces = [chunk] if inflate is None else list(inflate(chunk))
                    for piece in pieces:
                        for line in reader.feed(piece):
                            seen += 1
                            if seen > skip + given:
                                given += 1
                                yield line
                    if self.stop.is_set():
                        raise StreamAbortedError("the results download was aborted")
                last = reader.flush()
                if last is not None and seen + 1 > skip + given:
                    given += 1
                    yield last
                return
            except httpx.HTTPError as exc:
                error = self.translate(exc, url, attempt, True)
                error.__cause__ = exc
            finally:
                response.close()
            delay = self.plan(error, retries)  # the file is whole on the server: read it again
            if self.stop.wait(delay):
                raise StreamAbortedError("the results download was aborted")
            retries += 1


@final
class AsyncBatchTransport(_Base[httpx.AsyncClient]):
    """The batch requests of an `AsyncClient`, with retries; cancel the task to stop."""

    async def open(
        self,
        method: str,
        url: httpx.URL,
        *,
        content: bytes | None = None,
        query: Mapping[str, str] | None = None,
    ) -> tuple[httpx.Response, int]:
        """Send until a 2xx comes (the caller closes it) and return it with its attempt."""
        retries = 0
        while True:
            attempt = retries + 1
            try:
                return await self._attempt(method, url, content, query, attempt), attempt
            except AnthropicRxError as error:
                delay = self.plan(error, retries)
            await anyio.sleep(delay)
            retries += 1

    async def _attempt(
        self,
        method: str,
        url: httpx.URL,
        content: bytes | None,
        query: Mapping[str, str] | None,
        attempt: int,
    ) -> httpx.Response:
        request = self.build(method, url, content, query)
        try:
            response = await self.http.send(request, stream=True, follow_redirects=False)
        except httpx.HTTPError as exc:
            forget_key(request, None, exc)
            raise self.translate(exc, url, attempt, False) from exc
        forget_key(request, response=response)
        try:
            self.note(response)
            status = response.status_code
            if 300 <= status < 400:
                raise redirect_error(response, attempts=attempt)
            if not 200 <= status < 300:
                raise status_error(response, await aread_some(response), attempts=attempt)
        except httpx.HTTPError as exc:
            await response.aclose()
            raise self.translate(exc, url, attempt, False) from exc
        except BaseException:
            with anyio.CancelScope(shield=True):
                await response.aclose()
            raise
        return response

    async def call(
        self,
        cls: type[_M],
        method: str,
        suffix: str = "",
        *,
        content: bytes | None = None,
        query: Mapping[str, str] | None = None,
    ) -> _M:
        """One JSON request, its answer validated as *cls*."""
        url = self.url(suffix)
        response, attempt = await self.open(method, url, content=content, query=query)
        try:
            body = await aread_body(response, self.settings.max_event_bytes)
        except httpx.HTTPError as exc:
            raise self.translate(exc, url, attempt, True) from exc
        return _model(cls, response, body, attempt)

    async def lines(self, results_url: str, *, skip: int = 0) -> AsyncGenerator[bytes, None]:
        """The async twin of `BatchTransport.lines`."""
        url = same_origin(results_url, self.settings.url)
        given = 0
        retries = 0
        while True:
            response, attempt = await self.open("GET", url)
            reader = LineReader(self.settings.max_event_bytes)
            inflate = body_decoder(response)
            seen = 0
            chunks = response.aiter_raw()
            try:
                async for chunk in chunks:
                    pieces = [chunk] if inflate is None else list(inflate(chunk))
                    for piece in pieces:
                        for line in reader.feed(piece):
                            seen += 1
                            if seen > skip + given:
                                given += 1
                                yield line
                last = reader.flush()
                if last is not None and seen + 1 > skip + given:
                    given += 1
                    yield last
                return
            except httpx.HTTPError as exc:
                error = self.translate(exc, url, attempt, True)
                error.__cause__ = exc
            finally:
                await aclose_response(response, chunks)
            delay = self.plan(error, retries)
            await anyio.sleep(delay)
            retries += 1


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
