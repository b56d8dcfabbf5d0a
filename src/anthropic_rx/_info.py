"""`StreamInfo`: what is known about one request, as ``MessageStream.info``.

The client's streams, ``create()``'s messages and `from_sdk_stream`'s streams all have one,
so ``.info`` is the same type whatever made the stream (below the layers that use it).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, final

import httpx

__all__ = ["ResponseHook", "StreamInfo"]

_log = logging.getLogger("anthropic_rx.client")
_EMPTY: Mapping[str, str] = MappingProxyType({})
_RATELIMIT = "anthropic-ratelimit-"

ResponseHook = Callable[["StreamInfo"], None]
"""Called with the `StreamInfo` right after each response's status and headers are recorded."""


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
        params: the request's parameters as given to ``stream()`` (read-only; never the key).
        output_format: the ``output_format=`` type the request asked for, or ``None``
            (`parsed_output` and `partial_output` with no argument read it).

    Example:
        >>> stream = client.messages.stream(model=MODEL, max_tokens=64, messages=msgs)
        >>> stream.pipe(final_message()).run()
        >>> stream.info.request_id, stream.info.attempts, stream.info.ratelimit
    """

    __slots__ = (
        "_hooks",
        "_lock",
        "attempts",
        "headers",
        "output_format",
        "params",
        "ratelimit",
        "request_id",
        "request_ids",
        "status_code",
        "url",
    )

    def __init__(
        self, url: str, *, output_format: Any = None, params: Mapping[str, Any] | None = None
    ) -> None:
        """Describe a request to *url* that has not started."""
        self._lock = threading.Lock()
        self.url = url
        self.params: Mapping[str, Any] = MappingProxyType(dict(params or {}))
        self.output_format: Any = output_format
        self.attempts = 0
        self.request_id: str | None = None
        self.request_ids: tuple[str, ...] = ()
        self.status_code: int | None = None
        self.headers: Mapping[str, str] = _EMPTY
        self.ratelimit: Mapping[str, str] = _EMPTY
        self._hooks: tuple[ResponseHook, ...] = ()

    def __repr__(self) -> str:
        return (
            f"<StreamInfo attempts={self.attempts} status_code={self.status_code} "
            f"request_id={self.request_id!r}>"
        )

    def add_response_hook(self, hook: ResponseHook) -> None:
        """Call ``hook(info)`` after every response of this request, retries included.

        The hook runs on the thread that reads the stream (a `Client`'s reader thread, or
        the `AsyncClient`'s loop), as soon as the status and headers are recorded and
        before the client decides whether to retry, so it sees a 429 that is retried too.
        It must be quick and thread-safe; an exception from it is logged, never raised.

        Example:
            >>> stream = client.messages.stream(model=MODEL, max_tokens=64, messages=msgs)
            >>> stream.info.add_response_hook(lambda info: print(info.status_code))
        """
        with self._lock:
            self._hooks = (*self._hooks, hook)

    # -- for the client ------------------------------------------------------------------

    def note_attempt(self) -> int:
        """Count a new HTTP request and return its number (from 1). Called by the client."""
        with self._lock:
            self.attempts += 1
            self.request_id = None
            self.status_code = None
            self.headers = self.ratelimit = _EMPTY
            return self.attempts

    def note_response(self, response: httpx.Response | Any) -> str | None:
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
            hooks = self._hooks
        for hook in hooks:
            try:
                hook(self)
            except Exception:  # a watcher's bug must not fail the request
                _log.exception("anthropic_rx: a response hook raised")
        return request_id
