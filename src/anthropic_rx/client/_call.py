"""The one request core that the sync and the async clients share.

Everything about one request that does not wait on anything: building an attempt's request
(the header and key block, through `make_request`, the only place the key is revealed) and
forgetting the key once it is sent, the status check, the retry plan, the attempt's
bookkeeping, how a body's chunks reach the event gate, and what ``create()`` makes of a JSON
answer. `_sync` and `_async` keep only their timing machinery: threads and socket shutdown
there, cancel scopes here, and the awaits or blocking reads around these calls.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

import httpx

from .._exceptions import AnthropicRxError
from ..events import Message
from ._config import Settings
from ._http import (
    body_decoder,
    forget_key,
    make_request,
    message_from_json,
    redirect_error,
    status_error,
    transport_error,
    validation_error,
)
from ._info import StreamInfo
from ._params import RequestParts
from ._reader import Emit, EventGate
from ._retry import plan_retry

__all__ = ["Attempt", "RequestCore"]

_log = logging.getLogger("anthropic_rx.client")

Feed = Callable[[bytes], bool]
_H = TypeVar("_H", httpx.Client, httpx.AsyncClient)
_C = TypeVar("_C", httpx.Client, httpx.AsyncClient)


class Attempt:
    """One HTTP request's bookkeeping: its number, its event gate, httpcore's request copy."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.gate: EventGate | None = None
        self.sent: object = None  # httpcore's copy of the request, to forget the key in

    @property
    def delivered(self) -> bool:
        """Whether content went downstream (then the request is never retried)."""
        return self.gate is not None and self.gate.delivered

    @property
    def received(self) -> bool:
        """Whether any event arrived (an error is then "mid-stream")."""
        return self.gate is not None and self.gate.received

    def note_trace(self, name: str, info: Mapping[str, Any]) -> None:
        """From httpcore's ``trace`` extension: keep its copy of the request."""
        if name.endswith("send_request_headers.started"):
            self.sent = info.get("request")


class RequestCore(Generic[_H]):
    """What one request is, whichever client sends it; no I/O, no clock.

    Args:
        http: the httpx client the request is built with.
        settings: the client's settings.
        parts: the request's body, headers and query.
        info: the stream's `StreamInfo`, which counts attempts and keeps the request id.
        accept: ``text/event-stream`` for a stream, ``application/json`` for ``create()``.
        read_timeout: the idle (or ``create()``) timeout of one read.
        content_timeout: the content watchdog, or None.
    """

    __slots__ = (
        "accept",
        "content_timeout",
        "http",
        "info",
        "parts",
        "read_timeout",
        "settings",
    )

    def __init__(
        self,
        http: _H,
        settings: Settings,
        parts: RequestParts,
        info: StreamInfo,
        *,
        accept: str,
        read_timeout: float,
        content_timeout: float | None,
    ) -> None:
        self.http: _H = http
        self.settings = settings
        self.parts = parts
        self.info = info
        self.accept = accept
        self.read_timeout = read_timeout
        self.content_timeout = content_timeout

    @staticmethod
    def for_stream(
        http: _C, settings: Settings, parts: RequestParts, info: StreamInfo
    ) -> RequestCore[_C]:
        """The core of a streaming request: the idle and content timeouts watch it."""
        return RequestCore(
            http,
            settings,
            parts,
            info,
            accept="text/event-stream",
            read_timeout=settings.idle_timeout,
            content_timeout=settings.content_timeout,
        )

    @staticmethod
    def for_json(
        http: _C, settings: Settings, parts: RequestParts, info: StreamInfo
    ) -> RequestCore[_C]:
        """The core of a JSON answer (``create()``, ``count_tokens()``): no events, so only
        ``create_timeout`` per read and the deadline watch it."""
        return RequestCore(
            http,
            settings,
            parts,
            info,
            accept="application/json",
            read_timeout=settings.create_timeout,
            content_timeout=None,
        )

    def request(
        self, attempt: Attempt, timeout: httpx.Timeout, trace: Callable[..., Any]
    ) -> httpx.Request:
        """Build *attempt*'s request (the key in its headers, in no local variable)."""
        request = make_request(
            self.http,
            self.settings,
            self.parts,
            accept=self.accept,
            attempt=attempt.number,
            timeout=timeout,
            trace=trace,
        )
        _log.debug("anthropic_rx: POST %s (attempt %d)", request.url, attempt.number)
        return request

    @staticmethod
    def sent(
        request: httpx.Request,
        attempt: Attempt,
        error: BaseException | None = None,
        response: httpx.Response | None = None,
    ) -> None:
        """The request went out (or failed to): take the key out of every copy of it."""
        forget_key(request, attempt.sent, error, response=response)

    def check(self, response: httpx.Response, attempt: Attempt) -> bool:
        """Note the response; raise for a redirect; return whether the status is an error.

        For an error, the client reads an excerpt of the body and raises `status_failure`.
        """
        request_id = self.info.note_response(response)
        status = response.status_code
        _log.debug("anthropic_rx: %d, request-id %s", status, request_id)
        if 300 <= status < 400:
            raise redirect_error(response, attempts=attempt.number)
        return not 200 <= status < 300

    @staticmethod
    def status_failure(
        response: httpx.Response, content: bytes, attempt: Attempt
    ) -> AnthropicRxError:
        """The typed error of a non-2xx answer whose body (an excerpt) is *content*."""
        return status_error(response, content, attempts=attempt.number)

    def retry_delay(
        self, error: AnthropicRxError, retries: int, attempt: Attempt, time_left: float | None
    ) -> float | None:
        """How long to wait before the next attempt, or None to give up (then raise *error*).

        Giving up, it adds the policy's note to *error* and sends downstream what the attempt
        held back (what arrived before the error is kept).
        """
        settings = self.settings
        plan = plan_retry(
            error,
            retries_taken=retries,
            max_retries=settings.max_retries,
            max_retry_wait=settings.max_retry_wait,
            delivered=attempt.delivered,
            time_left=time_left,
        )
        delay = plan.delay
        if delay is None:
            if plan.note:
                error.add_note(plan.note)
            if attempt.gate is not None:
                attempt.gate.release()
            return None
        _log.info(
            "anthropic_rx: retrying in %.2f s after %s (attempt %d)",
            delay,
            type(error).__name__,
            attempt.number,
        )
        return delay

    def translate(self, exc: httpx.HTTPError, attempt: Attempt) -> AnthropicRxError:
        """The typed error of a transport failure (connect, read, protocol…)."""
        settings = self.settings
        return transport_error(
            exc,
            url=settings.url,
            received=attempt.received,
            connect_timeout=settings.connect_timeout,
            idle_timeout=self.read_timeout,
            request_id=self.info.request_id,
            attempts=attempt.number,
        )

    @staticmethod
    def not_event_stream(
        response: httpx.Response, content: bytes, attempt: Attempt
    ) -> AnthropicRxError:
        """The error of a 2xx answer to a stream request that is not an event stream."""
        return validation_error(
            response, content, expected="text/event-stream", attempts=attempt.number
        )

    def open_events(
        self, response: httpx.Response, attempt: Attempt, emit: Emit
    ) -> tuple[Feed, EventGate]:
        """Give *attempt* its event gate; return the feed of the body's raw chunks, and it.

        The feed inflates a compressed body, decodes its events into the gate and returns
        whether one of them was a content event (what moves the content watchdog).
        """
        gate = attempt.gate = EventGate(emit, self.settings.max_event_bytes)
        inflate = body_decoder(response)
        if inflate is None:
            return gate.feed, gate

        def feed(chunk: bytes) -> bool:
            active = False
            for piece in inflate(chunk):
                active = gate.feed(piece) or active
            return active

        return feed, gate

    @staticmethod
    def message(response: httpx.Response, content: bytes, attempt: Attempt) -> Message:
        """``create()``'s answer: the `Message` of a JSON body."""
        return message_from_json(response, content, attempt.number)
