"""The one boundary where httpx's exceptions and error responses become our typed errors.

Everything here is a pure function of an exception or a response already read, so the sync
and the async request share it. Each error says what was expected and what arrived
(STYLE.md §7), carries the response's ``request-id`` and the attempt count, and never holds
the request (whose headers hold the key): only response headers are kept.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any, cast

import anyio
import httpx
import jiter
from pydantic import ValidationError

from .._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    RateLimitError,
    StreamIdleTimeoutError,
    error_for_status,
    error_for_type,
    excerpt,
)
from ..events import Message
from ._retry import parse_retry_after

__all__ = [
    "CLOSE_LIMIT",
    "ERROR_BODY_LIMIT",
    "aclose_response",
    "aread_some",
    "is_event_stream",
    "read_some",
    "redirect_error",
    "status_error",
    "transport_error",
    "validation_error",
]

#: The most of an error body read (a proxy's page can be large; the API's JSON is small).
ERROR_BODY_LIMIT = 64 * 1024
#: Seconds a shielded close may take; closing a socket takes microseconds.
CLOSE_LIMIT = 5.0


def read_some(response: httpx.Response, limit: int = ERROR_BODY_LIMIT) -> bytes:
    """Read up to *limit* bytes of a body; the caller closes the response."""
    return _join(response.iter_bytes(), limit)


async def aread_some(response: httpx.Response, limit: int = ERROR_BODY_LIMIT) -> bytes:
    """Read up to *limit* bytes of a body asynchronously, then close the response."""
    parts: list[bytes] = []
    size = 0
    chunks = response.aiter_bytes()
    try:
        async for chunk in chunks:
            parts.append(chunk)
            size += len(chunk)
            if size >= limit:
                break
    finally:
        await aclose_response(response, chunks)
    return b"".join(parts)[:limit]


async def aclose_response(response: httpx.Response, chunks: AsyncIterator[bytes]) -> None:
    """Close *response*, then run its byte iterator to its end; safe while being cancelled.

    httpx reads a body through five nested async generators and closes none of them when
    iteration stops early, so trio finds them suspended at garbage collection and warns
    (``ResourceWarning``), even inside ``aclosing()``. Pulling from the iterator after the
    response is closed makes the innermost read fail at once, and that error unwinds every
    generator to its end.
    """
    with anyio.move_on_after(CLOSE_LIMIT, shield=True):
        await response.aclose()
        with contextlib.suppress(Exception):  # httpx.ReadError: the socket is closed
            async for _ in chunks:
                pass


def _join(chunks: Iterator[bytes], limit: int) -> bytes:
    parts: list[bytes] = []
    size = 0
    for chunk in chunks:
        parts.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(parts)[:limit]


def _headers(response: httpx.Response) -> dict[str, str]:
    return {name.lower(): value for name, value in response.headers.items()}


def _origin(url: httpx.URL) -> str:
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}"


def _field(obj: object, name: str) -> object:
    return cast("dict[str, object]", obj).get(name) if isinstance(obj, dict) else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _parse_body(content: bytes) -> tuple[object, str | None, str | None]:
    """Return the body (JSON, else text), its ``error.type`` and ``error.message``."""
    try:
        body: object = jiter.from_json(content) if content else ""
    except ValueError:
        return content.decode("utf-8", "replace"), None, None
    error = _field(body, "error")
    return body, _text(_field(error, "type")), _text(_field(error, "message"))


def status_error(response: httpx.Response, content: bytes, *, attempts: int) -> APIStatusError:
    """Build the error for a non-2xx response whose body (or its start) is *content*.

    The class comes from the status (`error_for_status`), or from ``error.type`` for a status
    with no class of its own. A body that is not JSON (a proxy's HTML page, F21) is kept as
    text. A 429 carries the wait it asked for as ``retry_after``.
    """
    headers = _headers(response)
    body, error_type, message = _parse_body(content)
    status = response.status_code
    cls = error_for_status(status)
    if cls is APIStatusError:
        cls = error_for_type(error_type)
    if error_type is not None:
        text = f"{status} {error_type}: {message or '(no message)'}"
    else:
        kind = headers.get("content-type", "no content type").split(";")[0]
        text = f"{status} {response.reason_phrase} ({kind} body: {excerpt(content)!r})"
    request_id = headers.get("request-id") or _text(_field(body, "request_id"))
    error = cls(
        text,
        status_code=status,
        error_type=error_type,
        body=body,
        headers=headers,
        request_id=request_id,
        attempts=attempts,
    )
    if isinstance(error, RateLimitError):
        error.retry_after = parse_retry_after(headers)
    return error


def redirect_error(response: httpx.Response, *, attempts: int) -> APIStatusError:
    """The error for a 3xx: never followed, so neither the key nor the prompt goes elsewhere."""
    headers = _headers(response)
    location = headers.get("location", "(no location)")
    return APIStatusError(
        f"{response.status_code} redirect to {location!r} not followed: anthropic_rx never "
        "follows redirects for /v1/messages, so the API key and the prompt stay with "
        "base_url (check base_url)",
        status_code=response.status_code,
        headers=headers,
        request_id=headers.get("request-id"),
        attempts=attempts,
    )


def is_event_stream(response: httpx.Response) -> bool:
    """Whether the response says it is ``text/event-stream`` (charset and case aside)."""
    kind = str(response.headers.get("content-type", ""))
    return kind.split(";")[0].strip().lower() == "text/event-stream"


def validation_error(
    response: httpx.Response, content: bytes, *, expected: str, attempts: int
) -> APIResponseValidationError:
    """The error for a 2xx that is not what was asked for (a proxy's page, F20)."""
    kind = response.headers.get("content-type", "no content type")
    return APIResponseValidationError(
        f"expected a {expected} response, got {response.status_code} with {kind!r}: "
        f"{excerpt(content)!r}",
        status_code=response.status_code,
        body=excerpt(content),
        request_id=response.headers.get("request-id"),
        attempts=attempts,
    )


def transport_error(
    exc: httpx.HTTPError,
    *,
    url: httpx.URL,
    received: bool,
    connect_timeout: float,
    idle_timeout: float,
    request_id: str | None,
    attempts: int,
) -> APIError:
    """Translate an httpx exception (the caller raises the result ``from exc``).

    Args:
        exc: what httpx raised.
        url: the request's URL (only its origin is named).
        received: whether events of this response had arrived (``mid_stream``).
        connect_timeout: the connect limit, to name it.
        idle_timeout: the read limit in force, to name it.
        request_id: the response's id, when headers had arrived.
        attempts: the attempt count.
    """
    origin = _origin(url)
    where = "mid-stream" if received else "before the response"
    common: Mapping[str, Any] = {"request_id": request_id, "attempts": attempts}
    if isinstance(exc, httpx.ConnectTimeout):
        return APITimeoutError(
            f"expected to connect to {origin} within {connect_timeout:g} s (connect_timeout), "
            "but it did not answer",
            **common,
        )
    if isinstance(exc, httpx.ReadTimeout):
        return StreamIdleTimeoutError(
            f"expected a byte from {origin} at least every {idle_timeout:g} s (idle_timeout), "
            f"but none came {where}",
            mid_stream=received,
            **common,
        )
    if isinstance(exc, httpx.PoolTimeout):
        return APITimeoutError(
            f"expected a free connection to {origin} within {idle_timeout:g} s, but the "
            "pool stayed full",
            **common,
        )
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"timed out talking to {origin} {where}: {exc}", **common)
    if isinstance(exc, httpx.ConnectError):
        return APIConnectionError(f"could not connect to {origin}: {exc}", **common)
    return APIConnectionError(
        f"the connection to {origin} broke {where}: {type(exc).__name__}: {exc}",
        mid_stream=received,
        **common,
    )


def message_from_json(response: httpx.Response, content: bytes, attempts: int) -> Message:
    """The `Message` of a non-streaming answer, or the error for a body that is not one."""
    kind = response.headers.get("content-type", "")
    if not kind.split(";")[0].strip().lower().endswith("json"):
        raise validation_error(response, content, expected="application/json", attempts=attempts)
    try:
        return Message.model_validate_json(content)
    except ValidationError as exc:
        raise validation_error(
            response, content, expected="Message JSON", attempts=attempts
        ) from exc
