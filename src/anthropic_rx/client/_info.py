"""`StreamInfo`: what the client knows about one request, as ``MessageStream.info``."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from types import MappingProxyType
from typing import final

import httpx

__all__ = ["StreamInfo"]

_EMPTY: Mapping[str, str] = MappingProxyType({})
_RATELIMIT = "anthropic-ratelimit-"


@final
class StreamInfo:
    """The request behind a `MessageStream` (its ``.info``), readable from any thread.

    Every attribute is an immutable value replaced as a whole when an attempt starts or a
    response arrives, so reading one while the stream runs on another thread is safe.

    Attributes:
        url: the URL the request goes to (``…/v1/messages``; never holds the key).
        attempts: HTTP requests made so far (``0`` before the stream starts).
        request_id: the ``request-id`` header of the latest response, or ``None``.
        request_ids: the ``request-id`` of every response, retries included, oldest first
            (quote them to Anthropic support).
        status_code: the HTTP status of the latest response, or ``None``.
        headers: the latest response's headers (lower-case names; never the request's).
        ratelimit: its ``anthropic-ratelimit-*`` headers (limits, remaining, RFC 3339 resets).

    Example:
        >>> stream = client.messages.stream(model=MODEL, max_tokens=64, messages=msgs)
        >>> stream.pipe(final_message()).run()
        >>> stream.info.request_id, stream.info.attempts, stream.info.ratelimit
    """

    __slots__ = (
        "_lock",
        "attempts",
        "headers",
        "ratelimit",
        "request_id",
        "request_ids",
        "status_code",
        "url",
    )

    def __init__(self, url: str) -> None:
        """Describe a request to *url* that has not started."""
        self._lock = threading.Lock()
        self.url = url
        self.attempts = 0
        self.request_id: str | None = None
        self.request_ids: tuple[str, ...] = ()
        self.status_code: int | None = None
        self.headers: Mapping[str, str] = _EMPTY
        self.ratelimit: Mapping[str, str] = _EMPTY

    def __repr__(self) -> str:
        return (
            f"<StreamInfo attempts={self.attempts} status_code={self.status_code} "
            f"request_id={self.request_id!r}>"
        )

    # -- for the client ------------------------------------------------------------------

    def note_attempt(self) -> int:
        """Count a new HTTP request and return its number (from 1). Called by the client."""
        with self._lock:
            self.attempts += 1
            self.request_id = None
            self.status_code = None
            self.headers = self.ratelimit = _EMPTY
            return self.attempts

    def note_response(self, response: httpx.Response) -> str | None:
        """Record a response's status and headers; return its request id. Called by the client."""
        headers = {name.lower(): value for name, value in response.headers.items()}
        request_id = headers.get("request-id")
        with self._lock:
            self.status_code = response.status_code
            self.headers = MappingProxyType(headers)
            self.ratelimit = MappingProxyType(
                {k: v for k, v in headers.items() if k.startswith(_RATELIMIT)}
            )
            self.request_id = request_id
            if request_id is not None:
                self.request_ids = (*self.request_ids, request_id)
        return request_id
