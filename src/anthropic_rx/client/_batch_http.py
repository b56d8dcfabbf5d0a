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
from dataclasses import dataclass
from typing import Any, Generic, TypedDict, TypeVar, Unpack, final

import anyio
import httpx
from pydantic import BaseModel

from .._exceptions import AnthropicRxError, StreamAbortedError
from ._batch_wire import LineReader, same_origin
from ._config import Settings
from ._http import (
    Inflate,
    aclose_response,
    aread_body,
    aread_some,
    body_decoder,
    forget_key,
    json_model,
    read_body,
    read_some,
    redirect_error,
    status_error,
    transport_error,
)
from ._retry import plan_retry

__all__ = ["AsyncBatchTransport", "BatchTransport", "ResponseHook", "Send"]

_M = TypeVar("_M", bound=BaseModel)
_H = TypeVar("_H", httpx.Client, httpx.AsyncClient)
ResponseHook = Callable[[int, Mapping[str, str]], None]
"""Called with each response's status and headers (lower-case names), retries included."""


class Send(TypedDict, total=False):
    """What a batch request sends besides its method and URL."""

    content: bytes
    query: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class _Ask:
    """One batch request, as each attempt sends it."""

    method: str
    url: httpx.URL
    content: bytes | None = None
    query: Mapping[str, str] | None = None


class _Base(Generic[_H]):
    """What both transports share: URLs, building a request with the key, the status check.

    The sans-I/O half of a batch request (`_Tries` and `_Download` are the rest): the two
    transports below only send, read, close and wait.
    """

    def __init__(self, http: _H, settings: Settings) -> None:
        self.http: _H = http
        self.settings = settings
        self.hooks: list[ResponseHook] = []

    def ask(self, method: str, suffix: str, send: Send) -> _Ask:
        """The request *method* ``/v1/messages/batches{suffix}``."""
        base = self.settings.url
        url = base.copy_with(path=base.path + "/batches" + suffix)
        return _Ask(method, url, send.get("content"), send.get("query"))

    def build(self, ask: _Ask) -> httpx.Request:
        """The request of one attempt, the key in its headers (`refused` forgets it)."""
        url = ask.url
        accept = "application/binary" if url.path.endswith("/results") else "application/json"
        request = self.http.build_request(
            ask.method,
            url,
            content=ask.content,
            headers={**self.settings.headers(), "accept": accept},
            params=dict(ask.query) if ask.query else None,
        )
        request.headers["x-api-key"] = self.settings.api_key.reveal()
        return request

    def unsent(
        self, request: httpx.Request, exc: httpx.HTTPError, attempt: int
    ) -> AnthropicRxError:
        """Sending failed: forget the key, and return the typed error (raise it from *exc*)."""
        forget_key(request, None, exc)
        return self.translate(exc, request.url, attempt, False)

    def refused(self, request: httpx.Request, response: httpx.Response, attempt: int) -> bool:
        """The response came: forget the key, tell the hooks, raise for a redirect, and
        return whether its status is an error (then the caller reads an excerpt for
        `status_error`)."""
        forget_key(request, response=response)
        headers = {k.lower(): v for k, v in response.headers.items()}
        for hook in list(self.hooks):
            hook(response.status_code, headers)
        status = response.status_code
        if 300 <= status < 400:
            raise redirect_error(response, attempts=attempt)
        return not 200 <= status < 300

    def translate(
        self, exc: httpx.HTTPError, url: httpx.URL, attempt: int, received: bool
    ) -> AnthropicRxError:
        return transport_error(
            exc,
            url=url,
            received=received,
            connect_timeout=self.settings.connect_timeout,
            idle_timeout=self.settings.idle_timeout,
            request_id=None,
            attempts=attempt,
        )

    def model(self, cls: type[_M], response: httpx.Response, content: bytes, attempt: int) -> _M:
        """The answer of `call`: *content* validated as *cls*."""
        return json_model(cls, response, content, attempts=attempt, json_type=False)


class _Tries:
    """One request's attempts: their count and the wait before the next (no I/O, no clock)."""

    __slots__ = ("_settings", "retries")

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.retries = 0

    @property
    def attempt(self) -> int:
        """The number of the attempt under way (1 for the first)."""
        return self.retries + 1

    def wait_after(self, error: AnthropicRxError) -> float:
        """The wait before the next attempt, now counted; raises *error* when there is none."""
        settings = self._settings
        plan = plan_retry(
            error,
            retries_taken=self.retries,
            max_retries=settings.max_retries,
            max_retry_wait=settings.max_retry_wait,
            delivered=False,
            time_left=None,
        )
        if plan.delay is None:
            if plan.note:
                error.add_note(plan.note)
            raise error
        self.retries += 1
        return plan.delay


class _Download:
    """Where the lines of a results file stand, across downloads of it: no I/O.

    A broken connection means downloading the file again (the file of an ended batch never
    changes): each download starts at its first line (`restart`), and the lines already
    given, and the *skip* first ones, are passed over.
    """

    __slots__ = ("_base", "_given", "_inflate", "_reader", "_seen", "_skip", "_tries", "ask")

    def __init__(self, base: _Base[Any], results_url: str, skip: int) -> None:
        self._base = base
        self.ask = _Ask("GET", same_origin(results_url, base.settings.url))
        self._skip = skip
        self._given = 0
        self._tries = _Tries(base.settings)
        self._restart(None)

    def _restart(self, inflate: Inflate | None) -> None:
        self._reader = LineReader(self._base.settings.max_event_bytes)
        self._inflate = inflate
        self._seen = 0

    def restart(self, response: httpx.Response) -> None:
        """A download begins with *response*.

        Raises:
            APIResponseValidationError: its ``content-encoding`` was not asked for.
        """
        self._restart(body_decoder(response))

    def feed(self, chunk: bytes) -> Iterator[bytes]:
        """The new lines a raw chunk of the body completes."""
        inflate = self._inflate
        pieces = [chunk] if inflate is None else list(inflate(chunk))
        for piece in pieces:
            for line in self._reader.feed(piece):
                yield from self._new(line)

    def end(self) -> Iterator[bytes]:
        """The last line, if it is new and had no line feed."""
        last = self._reader.flush()
        if last is not None:
            yield from self._new(last)

    def _new(self, line: bytes) -> Iterator[bytes]:
        self._seen += 1
        if self._seen > self._skip + self._given:
            self._given += 1
            yield line

    def broken(self, exc: httpx.HTTPError, attempt: int) -> float:
        """The download broke: the wait before the next one; raises when none is left."""
        error = self._base.translate(exc, self.ask.url, attempt, True)
        error.__cause__ = exc
        return self._tries.wait_after(error)


@final
class BatchTransport(_Base[httpx.Client]):
    """The batch requests of a `Client`, with retries; *stop* ends a wait between attempts."""

    def __init__(
        self, http: httpx.Client, settings: Settings, stop: threading.Event | None = None
    ) -> None:
        super().__init__(http, settings)
        self.stop = stop or threading.Event()

    def open(self, ask: _Ask) -> tuple[httpx.Response, int]:
        """Send until a 2xx comes (the caller closes it) and return it with its attempt."""
        tries = _Tries(self.settings)
        while True:
            attempt = tries.attempt
            try:
                return self._attempt(ask, attempt), attempt
            except AnthropicRxError as error:
                delay = tries.wait_after(error)
            if self.stop.wait(delay):
                raise StreamAbortedError("the batch request was aborted")

    def _attempt(self, ask: _Ask, attempt: int) -> httpx.Response:
        if self.stop.is_set():
            raise StreamAbortedError("the batch request was aborted")
        request = self.build(ask)
        try:
            response = self.http.send(request, stream=True, follow_redirects=False)
        except httpx.HTTPError as exc:
            raise self.unsent(request, exc, attempt) from exc
        try:
            if self.refused(request, response, attempt):
                raise status_error(response, read_some(response), attempts=attempt)
        except httpx.HTTPError as exc:
            response.close()
            raise self.translate(exc, ask.url, attempt, False) from exc
        except BaseException:
            response.close()
            raise
        return response

    def call(self, cls: type[_M], method: str, suffix: str = "", **send: Unpack[Send]) -> _M:
        """One JSON request, its answer validated as *cls*."""
        ask = self.ask(method, suffix, send)
        response, attempt = self.open(ask)
        try:
            body = read_body(response, self.settings.max_event_bytes)
        except httpx.HTTPError as exc:
            raise self.translate(exc, ask.url, attempt, True) from exc
        finally:
            response.close()
        return self.model(cls, response, body, attempt)

    def lines(self, results_url: str, *, skip: int = 0) -> Iterator[bytes]:
        """The lines of a results file, one at a time; resumes after a broken connection."""
        download = _Download(self, results_url, skip)
        while True:
            response, attempt = self.open(download.ask)
            try:
                download.restart(response)
                for chunk in response.iter_raw():
                    yield from download.feed(chunk)
                    if self.stop.is_set():
                        raise StreamAbortedError("the results download was aborted")
                yield from download.end()
                return
            except httpx.HTTPError as exc:
                delay = download.broken(exc, attempt)
            finally:
                response.close()
            if self.stop.wait(delay):
                raise StreamAbortedError("the results download was aborted")


@final
class AsyncBatchTransport(_Base[httpx.AsyncClient]):
    """The batch requests of an `AsyncClient`, with retries; cancel the task to stop."""

    async def open(self, ask: _Ask) -> tuple[httpx.Response, int]:
        """Send until a 2xx comes (the caller closes it) and return it with its attempt."""
        tries = _Tries(self.settings)
        while True:
            attempt = tries.attempt
            try:
                return await self._attempt(ask, attempt), attempt
            except AnthropicRxError as error:
                delay = tries.wait_after(error)
            await anyio.sleep(delay)

    async def _attempt(self, ask: _Ask, attempt: int) -> httpx.Response:
        request = self.build(ask)
        try:
            response = await self.http.send(request, stream=True, follow_redirects=False)
        except httpx.HTTPError as exc:
            raise self.unsent(request, exc, attempt) from exc
        try:
            if self.refused(request, response, attempt):
                raise status_error(response, await aread_some(response), attempts=attempt)
        except httpx.HTTPError as exc:
            await response.aclose()
            raise self.translate(exc, ask.url, attempt, False) from exc
        except BaseException:
            with anyio.CancelScope(shield=True):
                await response.aclose()
            raise
        return response

    async def call(self, cls: type[_M], method: str, suffix: str = "", **send: Unpack[Send]) -> _M:
        """One JSON request, its answer validated as *cls*."""
        ask = self.ask(method, suffix, send)
        response, attempt = await self.open(ask)
        try:
            body = await aread_body(response, self.settings.max_event_bytes)
        except httpx.HTTPError as exc:
            raise self.translate(exc, ask.url, attempt, True) from exc
        return self.model(cls, response, body, attempt)

    async def lines(self, results_url: str, *, skip: int = 0) -> AsyncGenerator[bytes, None]:
        """The async twin of `BatchTransport.lines`."""
        download = _Download(self, results_url, skip)
        while True:
            response, attempt = await self.open(download.ask)
            chunks = response.aiter_raw()
            try:
                download.restart(response)
                async for chunk in chunks:
                    for line in download.feed(chunk):
                        yield line
                for line in download.end():
                    yield line
                return
            except httpx.HTTPError as exc:
                delay = download.broken(exc, attempt)
            finally:
                await aclose_response(response, chunks)
            await anyio.sleep(delay)
