"""The HTTP under ``client.messages.batches``: one JSON request with retries, or a results file.

Each call is one request with the client's retry policy (`_retry.plan_retry`: 408, 409,
429, 5xx, ``retry-after`` honoured in full) and error boundary (`_http`: typed errors, the
key forgotten after sending). `BatchTransport.lines` reads a JSONL file one line at a time
in bounded memory; when the connection breaks mid-file it downloads the file again (the
file of an ended batch never changes) and skips the lines already given.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncGenerator, Callable, Iterator, Mapping
from typing import Any, Generic, TypeVar, final

import anyio
import httpx
from pydantic import BaseModel, ValidationError

from .._exceptions import AnthropicRxError, StreamAbortedError
from ._batch_wire import LineReader, same_origin
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

__all__ = ["AsyncBatchTransport", "BatchTransport", "ResponseHook"]

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
