"""One request of the `AsyncClient`, retries included, as a task on the running loop.

The async twin of `_sync`, on asyncio or trio through anyio and ``httpx.AsyncClient``. Time
is bounded with cancel scopes instead of threads (DESIGN.md decision 8): the ``deadline`` is
one scope around every attempt and retry sleep, the content watchdog a scope per attempt
whose deadline moves on at each content event (pings do not move it), and the idle timeout
is httpx's read timeout, which applies per read. Cancelling the task (`MessageStream.abort`,
the last subscriber leaving) closes the response in a shielded scope, so the connection is
released even while the task is being cancelled (httpx#2139).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Generic, TypeVar

import anyio
import httpx

from .._exceptions import AnthropicRxError, ContentTimeoutError, DeadlineExceededError
from ..events import Message
from ._config import Settings
from ._http import (
    CLOSE_LIMIT,
    aclose_response,
    aread_body,
    aread_some,
    body_decoder,
    forget_key,
    is_event_stream,
    make_request,
    message_from_json,
    redirect_error,
    status_error,
    transport_error,
    validation_error,
)
from ._info import StreamInfo
from ._params import RequestParts
from ._reader import Annotate, Emit, EventGate
from ._retry import plan_retry

__all__ = ["AsyncCall", "AsyncRequestSource", "async_create"]

_log = logging.getLogger("anthropic_rx.client")
_T = TypeVar("_T")


class _Attempt:
    """One HTTP request: its number, its event gate, its content watchdog."""

    __slots__ = ("gate", "number", "sent", "watchdog")

    def __init__(self, number: int, watchdog: anyio.CancelScope) -> None:
        self.number = number
        self.watchdog = watchdog
        self.gate: EventGate | None = None
        self.sent: object = None  # httpcore's copy of the request, to forget the key in

    async def trace(self, name: str, info: Mapping[str, Any]) -> None:
        """httpcore's ``trace`` extension: keep its copy of the request, to forget the key."""
        if name.endswith("send_request_headers.started"):
            self.sent = info.get("request")

    @property
    def delivered(self) -> bool:
        return self.gate is not None and self.gate.delivered

    @property
    def received(self) -> bool:
        return self.gate is not None and self.gate.received


_Read = Callable[[httpx.Response, _Attempt], Awaitable[_T]]


class AsyncCall(Generic[_T]):
    """Send one request with retries, in the calling task; cancel the task to abort it."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: Settings,
        parts: RequestParts,
        info: StreamInfo,
        *,
        accept: str,
        read_timeout: float,
        content_timeout: float | None,
    ) -> None:
        self._http = http
        self._settings = settings
        self._parts = parts
        self._info = info
        self._accept = accept
        self._read_timeout = read_timeout
        self._content_timeout = content_timeout
        self._attempt: _Attempt | None = None

    async def run(self, read: _Read[_T]) -> _T:
        """Run attempts until *read* returns for one, or raise the last attempt's error."""
        deadline = self._settings.deadline
        deadline_at = anyio.current_time() + deadline if deadline is not None else math.inf
        result: list[_T] = []
        with Annotate(self._info):
            with anyio.CancelScope(deadline=deadline_at) as whole:
                result.append(await self._attempts(read, deadline_at))
            if whole.cancelled_caught or not result:
                attempt = self._attempt
                raise DeadlineExceededError(
                    f"expected the request to finish within {deadline:g} s (deadline), "
                    f"but it had not ({self._info.attempts} attempts)",
                    mid_stream=attempt is not None and attempt.received,
                )
        return result[0]

    async def _attempts(self, read: _Read[_T], deadline_at: float) -> _T:
        settings = self._settings
        retries = 0
        while True:
            content = self._content_timeout
            watchdog = anyio.CancelScope(
                deadline=anyio.current_time() + content if content is not None else math.inf
            )
            attempt = self._attempt = _Attempt(self._info.note_attempt(), watchdog)
            try:
                return await self._send(attempt, read)
            except AnthropicRxError as error:
                time_left = deadline_at - anyio.current_time()
                plan = plan_retry(
                    error,
                    retries_taken=retries,
                    max_retries=settings.max_retries,
                    max_retry_wait=settings.max_retry_wait,
                    delivered=attempt.delivered,
                    time_left=time_left if math.isfinite(time_left) else None,
                )
                delay = plan.delay
                if delay is None:
                    if plan.note:
                        error.add_note(plan.note)
                    if attempt.gate is not None:
                        attempt.gate.release()  # what arrived before the error is kept
                    raise
                _log.info(
                    "anthropic_rx: retrying in %.2f s after %s (attempt %d)",
                    delay,
                    type(error).__name__,
                    attempt.number,
                )
            await anyio.sleep(delay)
            retries += 1

    async def _send(self, attempt: _Attempt, read: _Read[_T]) -> _T:
        settings = self._settings
        request = make_request(
            self._http,
            settings,
            self._parts,
            accept=self._accept,
            attempt=attempt.number,
            timeout=httpx.Timeout(
                connect=settings.connect_timeout,
                read=self._read_timeout,
                write=self._read_timeout,
                pool=self._read_timeout,
            ),
            trace=attempt.trace,
        )
        _log.debug("anthropic_rx: POST %s (attempt %d)", request.url, attempt.number)
        with attempt.watchdog:
            try:
                response = await self._http.send(request, stream=True, follow_redirects=False)
            except BaseException as exc:
                forget_key(request, attempt.sent, exc)
                if isinstance(exc, httpx.HTTPError):
                    raise self._translate(exc, attempt) from exc
                raise
            forget_key(request, attempt.sent, response=response)
            try:
                request_id = self._info.note_response(response)
                _log.debug("anthropic_rx: %d, request-id %s", response.status_code, request_id)
                status = response.status_code
                if 300 <= status < 400:
                    raise redirect_error(response, attempts=attempt.number)
                if not 200 <= status < 300:
                    content = await _error_body(response)
                    raise status_error(response, content, attempts=attempt.number)
                return await read(response, attempt)
            except httpx.HTTPError as exc:
                raise self._translate(exc, attempt) from exc
            finally:
                with anyio.move_on_after(CLOSE_LIMIT, shield=True):
                    await response.aclose()
        # Only a fired watchdog gets here: its scope swallowed the cancellation.
        raise ContentTimeoutError(
            f"expected a content event at least every {self._content_timeout:g} s "
            "(content_timeout), but none came (pings do not count)",
            mid_stream=attempt.received,
        )

    def _translate(self, exc: httpx.HTTPError, attempt: _Attempt) -> AnthropicRxError:
        settings = self._settings
        return transport_error(
            exc,
            url=settings.url,
            received=attempt.received,
            connect_timeout=settings.connect_timeout,
            idle_timeout=self._read_timeout,
            request_id=self._info.request_id,
            attempts=attempt.number,
        )


async def _error_body(response: httpx.Response) -> bytes:
    try:
        return await aread_some(response)
    except httpx.HTTPError:
        return b""  # the status says enough; the body broke off


class AsyncRequestSource:
    """An `AsyncSource` for `MessageStream`: one streaming request, run as a task."""

    def __init__(
        self, http: httpx.AsyncClient, settings: Settings, parts: RequestParts, info: StreamInfo
    ) -> None:
        self._call: AsyncCall[None] = AsyncCall(
            http,
            settings,
            parts,
            info,
            accept="text/event-stream",
            read_timeout=settings.idle_timeout,
            content_timeout=settings.content_timeout,
        )
        self._max_event_bytes = settings.max_event_bytes
        self._content_timeout = settings.content_timeout

    async def run(self, emit: Emit) -> None:
        """Send the request and emit its events (see `AsyncCall`)."""

        async def read(response: httpx.Response, attempt: _Attempt) -> None:
            if not is_event_stream(response):
                content = await aread_some(response)
                raise validation_error(
                    response, content, expected="text/event-stream", attempts=attempt.number
                )
            gate = attempt.gate = EventGate(emit, self._max_event_bytes)
            content_timeout = self._content_timeout
            inflate = body_decoder(response)
            chunks = response.aiter_raw()
            try:
                async for chunk in chunks:
                    if inflate is None:
                        active = gate.feed(chunk)
                    else:
                        active = False
                        for piece in inflate(chunk):
                            active = gate.feed(piece) or active
                    if active and content_timeout is not None:
                        attempt.watchdog.deadline = anyio.current_time() + content_timeout
            finally:
                await aclose_response(response, chunks)
            gate.finish()

        await self._call.run(read)


async def async_create(
    http: httpx.AsyncClient, settings: Settings, parts: RequestParts, info: StreamInfo
) -> Message:
    """Send a non-streaming request with retries and return its `Message`."""

    async def read(response: httpx.Response, attempt: _Attempt) -> Message:
        content = await aread_body(response, settings.max_event_bytes)
        return message_from_json(response, content, attempt.number)

    call: AsyncCall[Message] = AsyncCall(
        http,
        settings,
        parts,
        info,
        accept="application/json",
        read_timeout=settings.create_timeout,
        content_timeout=None,  # no events in a JSON answer: only the deadline watches it
    )
    return await call.run(read)
