"""One request of the `AsyncClient`, retries included, as a task on the running loop.

The async twin of `_sync`, on asyncio or trio through anyio and ``httpx.AsyncClient``. Time
is bounded with cancel scopes instead of threads (DESIGN.md decision 8): the ``deadline`` is
one scope around every attempt and retry sleep, the content watchdog a scope per attempt
whose deadline moves on at each content event (pings do not move it), and the idle timeout
is httpx's read timeout, which applies per read. Cancelling the task (`MessageStream.abort`,
the last subscriber leaving) closes the response in a shielded scope, so the connection is
released even while the task is being cancelled (httpx#2139). What a request is (its
headers and key, the status check, the retry plan, the event gate) is `_call.RequestCore`,
shared with `_sync`: this module keeps only the awaits and the cancel scopes.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Generic, TypeVar

import anyio
import httpx

from .._exceptions import AnthropicRxError, ContentTimeoutError, DeadlineExceededError
from ..events import Message
from ._call import Attempt, RequestCore
from ._config import Settings
from ._hooks import async_watched
from ._http import CLOSE_LIMIT, aclose_response, aread_body, aread_some, is_event_stream
from ._info import StreamInfo
from ._params import RequestParts
from ._reader import Annotate, Emit
from ._transport import direct_content, httpx_error

__all__ = ["AsyncCall", "AsyncRequestSource", "async_create"]

_T = TypeVar("_T")
#: The watchdog of an attempt without ``content_timeout``: nothing to enter or leave.
_NO_WATCHDOG = contextlib.nullcontext()


class _Attempt(Attempt):
    """`Attempt` with its content watchdog, a cancel scope (None without ``content_timeout``)."""

    def __init__(self, number: int, watchdog: anyio.CancelScope | None) -> None:
        super().__init__(number)
        self.watchdog = watchdog

    async def trace(self, name: str, info: Mapping[str, Any]) -> None:
        """httpcore's ``trace`` extension: keep its copy of the request, to forget the key."""
        self.note_trace(name, info)


_Read = Callable[[httpx.Response, _Attempt], Awaitable[_T]]


class AsyncCall(Generic[_T]):
    """Send one request with retries, in the calling task; cancel the task to abort it."""

    def __init__(self, core: RequestCore[httpx.AsyncClient]) -> None:
        self.core = core
        self._attempt: _Attempt | None = None

    async def run(self, read: _Read[_T]) -> _T:
        """Run attempts until *read* returns for one, or raise the last attempt's error."""
        core = self.core
        deadline = core.settings.deadline
        deadline_at = anyio.current_time() + deadline if deadline is not None else math.inf
        result: list[_T] = []
        with Annotate(core.info):
            if deadline is None:  # no scope to enter and leave: a few µs a request
                return await self._attempts(read, deadline_at)
            with anyio.CancelScope(deadline=deadline_at) as whole:
                result.append(await self._attempts(read, deadline_at))
            if whole.cancelled_caught or not result:
                attempt = self._attempt
                raise DeadlineExceededError(
                    f"expected the request to finish within {deadline:g} s (deadline), "
                    f"but it had not ({core.info.attempts} attempts)",
                    mid_stream=attempt is not None and attempt.received,
                )
        return result[0]

    async def _attempts(self, read: _Read[_T], deadline_at: float) -> _T:
        core = self.core
        retries = 0
        while True:
            content = core.content_timeout
            watchdog = (
                None
                if content is None
                else anyio.CancelScope(deadline=anyio.current_time() + content)
            )
            attempt = self._attempt = _Attempt(core.info.note_attempt(), watchdog)
            try:
                return await self._send(attempt, read)
            except AnthropicRxError as error:
                time_left = deadline_at - anyio.current_time()
                delay = core.retry_delay(
                    error, retries, attempt, time_left if math.isfinite(time_left) else None
                )
                if delay is None:
                    raise
            await anyio.sleep(delay)
            retries += 1

    async def _send(self, attempt: _Attempt, read: _Read[_T]) -> _T:
        core = self.core
        read_timeout = core.read_timeout
        request = core.request(
            attempt,
            httpx.Timeout(
                connect=core.settings.connect_timeout,
                read=read_timeout,
                write=read_timeout,
                pool=read_timeout,
            ),
            attempt.trace,
        )
        http = core.http
        with attempt.watchdog or _NO_WATCHDOG:
            try:
                response = await http.send(request, stream=True, follow_redirects=False)
            except BaseException as exc:
                core.sent(request, attempt, exc)
                if isinstance(exc, httpx.HTTPError):
                    raise core.translate(exc, attempt) from exc
                raise
            core.sent(request, attempt, response=response)
            try:
                if core.check(response, attempt):
                    content = await _error_body(response)
                    raise core.status_failure(response, content, attempt)
                return await read(response, attempt)
            except httpx.HTTPError as exc:
                raise core.translate(exc, attempt) from exc
            finally:
                if not response.is_closed:
                    with anyio.move_on_after(CLOSE_LIMIT, shield=True):
                        await response.aclose()
        # Only a fired watchdog gets here: its scope swallowed the cancellation.
        raise ContentTimeoutError(
            f"expected a content event at least every {core.content_timeout:g} s "
            "(content_timeout), but none came (pings do not count)",
            mid_stream=attempt.received,
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
        self._call: AsyncCall[None] = AsyncCall(RequestCore.for_stream(http, settings, parts, info))

    async def run(self, emit: Emit) -> None:
        """Send the request and emit its events (see `AsyncCall`)."""
        core = self._call.core
        content_timeout = core.content_timeout or 0.0

        async def read(response: httpx.Response, attempt: _Attempt) -> None:
            if not is_event_stream(response):
                raise core.not_event_stream(response, await aread_some(response), attempt)
            feed, gate = core.open_events(response, attempt, emit)
            watchdog = attempt.watchdog
            content = direct_content(response)
            if content is not None:  # aiohttp's body, without httpx's iterators
                try:
                    while chunk := await content.readany():
                        if feed(chunk) and watchdog is not None:
                            watchdog.deadline = anyio.current_time() + content_timeout
                except Exception as exc:
                    mapped = httpx_error(exc)
                    if mapped is exc:
                        raise
                    raise mapped from exc
                # At the end of the body aiohttp frees the connection without a wait; an
                # error or a cancellation gets `_send`'s shielded close instead.
                await response.aclose()
            else:
                chunks = response.aiter_raw()
                try:
                    async for chunk in chunks:
                        if feed(chunk) and watchdog is not None:
                            watchdog.deadline = anyio.current_time() + content_timeout
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
        return RequestCore.message(response, content, attempt)

    core = RequestCore.for_json(http, settings, parts, info)
    return await async_watched(
        "chat", info.params, info, lambda: AsyncCall[Message](core).run(read)
    )
