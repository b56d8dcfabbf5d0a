"""The one boundary where httpx's exceptions and error responses become our typed errors.

Everything here is shared by the sync and the async request: building a request with the key
(`make_request`) and taking the key out again (`forget_key`), decoding a compressed body in
bounded pieces (`Inflate`), and turning an exception or a response already read into a typed
error. Each error says what was expected and what arrived (STYLE.md §7), carries the
response's ``request-id`` and the attempt count, and never holds the request (whose headers
hold the key): only response headers are kept.
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, MutableMapping
from typing import Any, TypeVar, cast

import anyio
import httpcore
import httpx
import jiter
from pydantic import BaseModel, ValidationError

from .._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    EventTooLargeError,
    RateLimitError,
    StreamIdleTimeoutError,
    error_for_status,
    error_for_type,
    excerpt,
)
from ..events import Message
from ._config import Settings
from ._params import RequestParts
from ._retry import parse_retry_after

__all__ = [
    "CLOSE_LIMIT",
    "ERROR_BODY_LIMIT",
    "Inflate",
    "aclose_response",
    "aread_body",
    "aread_some",
    "body_decoder",
    "forget_key",
    "is_event_stream",
    "json_model",
    "lean_cookies",
    "make_request",
    "read_body",
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


#: The most decompression makes of one piece of input at a time: memory stays bounded
#: by the event limit plus this, however much a body inflates (a gzip bomb, issue 10).
INFLATE_PIECE = 64 * 1024
_KEY_HEADER = "x-api-key"
_M = TypeVar("_M", bound=BaseModel)
_KEY_HEADER_BYTES = b"x-api-key"


def make_request(
    http: httpx.Client | httpx.AsyncClient,
    settings: Settings,
    parts: RequestParts,
    *,
    accept: str,
    attempt: int,
    timeout: httpx.Timeout,
    trace: Callable[..., Any],
) -> httpx.Request:
    """Build one attempt's request, the key in its headers and in no local variable.

    The key goes straight from the `Secret` into the request's headers, so no frame of an
    error's traceback holds it (Sentry, rich and ``pytest -l`` show locals); `forget_key`
    takes it out again once the request is sent. *trace* is httpcore's ``trace``
    extension: it sees the transport's own request (to forget the key there too) and the
    connection's socket (so that an abort can act before the response headers come).
    """
    headers = {
        **settings.headers(),
        "accept": accept,
        "x-arx-attempt": str(attempt),
        **parts["headers"],
    }
    url = httpx.URL(parts.get("url", settings.url))
    query = parts["query"] or None
    if _plain_build(http, url, query):
        # What `build_request` makes, without its header merge (a walk of every header
        # per header: 20-30 µs a request): the client's headers we do not set, then ours.
        ours = {name.lower() for name in headers}
        theirs, encoding = http.headers, http.headers.encoding
        request = httpx.Request(
            "POST",
            url,
            content=parts["body"],
            headers=[
                *(
                    (name.decode(encoding), value.decode(encoding))
                    for name, value in theirs.raw
                    if name.decode(encoding).lower() not in ours
                ),
                *headers.items(),
            ],
            extensions={"trace": trace, "timeout": timeout.as_dict()},
        )
    else:
        request = http.build_request(
            "POST",
            url,
            content=parts["body"],
            headers=headers,
            params=query,
            timeout=timeout,
            extensions={"trace": trace},
        )
    request.headers[_KEY_HEADER] = settings.api_key.reveal()
    return request


#: httpx's own ``build_request`` (a subclass may add to it: then it is called).
_BUILD_REQUEST = httpx.AsyncClient.build_request


def _plain_build(http: httpx.Client | httpx.AsyncClient, url: httpx.URL, query: object) -> bool:
    """Whether httpx's ``build_request`` would only merge headers: an absolute *url*, no
    query, no cookies, and no ``build_request`` of a subclass."""
    return (
        type(http).build_request is _BUILD_REQUEST
        and query is None
        and not url.is_relative_url
        and not http.params
        and not http.cookies
    )


class _Cookies(httpx.Cookies):
    """httpx's cookie jar, which skips a response that sets no cookie.

    httpx hands every response to ``http.cookiejar`` through two compatibility objects
    (a ``urllib`` request with a copy of the headers, an ``email`` message of the
    response's), 60 µs a request, to find what a ``Set-Cookie`` header says; without one,
    the jar would take nothing.
    """

    def extract_cookies(self, response: httpx.Response) -> None:
        headers = response.headers
        if "set-cookie" in headers or "set-cookie2" in headers:
            super().extract_cookies(response)


def lean_cookies(http: httpx.Client | httpx.AsyncClient) -> None:
    """Give an httpx client we made a jar that skips responses without cookies (`_Cookies`).

    Cookies are kept and sent as before. The jar is httpx's ``_cookies`` (its ``cookies``
    setter copies into a plain one): if a later httpx keeps it elsewhere, nothing changes.
    """
    if isinstance(getattr(http, "_cookies", None), httpx.Cookies):
        setattr(http, "_cookies", _Cookies(http.cookies.jar))  # noqa: B010 - httpx's private


def _forget(request: object) -> None:
    if isinstance(request, httpcore.Request):
        # In place: every frame that holds the list itself sees the key go too.
        request.headers[:] = [(k, v) for k, v in request.headers if k.lower() != _KEY_HEADER_BYTES]
    elif isinstance(request, MutableMapping) and _KEY_HEADER in request:
        # Another transport's copy of the headers (aiohttp's CIMultiDict, case-blind).
        cast("MutableMapping[str, object]", request).pop(_KEY_HEADER, None)


def forget_key(
    request: httpx.Request,
    sent: object = None,
    error: BaseException | None = None,
    response: httpx.Response | None = None,
) -> None:
    """Take the key out of a sent request, of httpcore's copy *sent*, and of *error*'s frames.

    The request outlives the call in exceptions, responses and tracebacks (httpx's
    ``Headers`` repr masks only ``authorization``). httpcore copies the headers into a
    request of its own, which its frames on a connection error's traceback hold; those are
    found through *error*'s traceback (only on the error path: the hot path never walks).
    A redirect's *response* holds the request httpx would send next, with the key.
    """
    request.headers.pop(_KEY_HEADER, None)
    _forget(sent)
    if response is not None and response.next_request is not None:
        response.next_request.headers.pop(_KEY_HEADER, None)
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        tb = error.__traceback__
        while tb is not None:
            for value in tb.tb_frame.f_locals.values():
                _forget(value)
            tb = tb.tb_next
        error = error.__cause__ or error.__context__


class Inflate:
    """Decompress a gzip or deflate body in bounded pieces (`INFLATE_PIECE` bytes at most).

    httpx inflates each network chunk whole, so 64 KiB of a gzip bomb can become 64 MiB at
    once; here no call makes more than a piece, and the event decoder's ``max_event_bytes``
    stops a bomb after that many bytes (`EventTooLargeError`).
    """

    __slots__ = ("_head", "_inflater", "_raw_deflate")

    def __init__(self, encoding: str) -> None:
        self._raw_deflate = encoding == "deflate"  # zlib-wrapped or raw: seen in the first byte
        self._inflater = None if self._raw_deflate else zlib.decompressobj(zlib.MAX_WBITS | 16)
        self._head: bytes = b""  # deflate's first byte, until the second says which it is

    def __call__(self, data: bytes) -> Iterator[bytes]:
        """Yield what *data* inflates to, one bounded piece at a time.

        Raises:
            httpx.DecodingError: the body is not valid gzip or deflate.
        """
        inflater = self._inflater
        if inflater is None:
            data = self._head + data
            if len(data) < 2:  # a chunk of one byte: the header needs two
                self._head = data
                return
            self._head = b""
            # RFC 1950: a zlib stream starts with CM = 8 and a header divisible by 31.
            wrapped = data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
            inflater = self._inflater = zlib.decompressobj(
                zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS
            )
        while True:
            try:
                piece = inflater.decompress(data, INFLATE_PIECE)
            except zlib.error as exc:
                raise httpx.DecodingError(f"the compressed body is invalid: {exc}") from exc
            if piece:
                yield piece
            data = inflater.unconsumed_tail
            if not data and len(piece) < INFLATE_PIECE:
                return


def body_decoder(response: httpx.Response) -> Inflate | None:
    """The bounded decoder of *response*'s ``content-encoding``; ``None`` for none.

    Raises:
        APIResponseValidationError: an encoding that was not asked for (we send
            ``accept-encoding: gzip, deflate``).
    """
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip", "deflate"):
        return Inflate("deflate" if encoding == "deflate" else "gzip")
    raise APIResponseValidationError(
        f"expected a body encoded as gzip, deflate or not at all (accept-encoding), got "
        f"content-encoding {encoding!r}",
        status_code=response.status_code,
        request_id=response.headers.get("request-id"),
    )


class _Body:
    """A body being read, as its decoded pieces, up to *limit* bytes: the readers' core.

    An *excerpt* (an error body) stops at *limit*, cut there; a whole body (a non-streaming
    answer) fails past it. `read_some`, `aread_some`, `read_body` and `aread_body` only
    pull the raw chunks and feed them here.
    """

    __slots__ = ("_excerpt", "_inflate", "_limit", "_parts", "_size")

    def __init__(self, inflate: Inflate | None, limit: int | None, *, excerpt: bool) -> None:
        self._inflate = inflate
        self._limit = limit
        self._excerpt = excerpt
        self._parts: list[bytes] = []
        self._size = 0

    def feed(self, chunk: bytes) -> bool:
        """Take one raw chunk; return whether an excerpt is full (read no more).

        Raises:
            EventTooLargeError: a whole body grew past the limit.
            httpx.DecodingError: the compressed body is invalid.
        """
        limit, inflate = self._limit, self._inflate
        for piece in (chunk,) if inflate is None else inflate(chunk):
            self._size += len(piece)
            if limit is not None and self._size > limit and not self._excerpt:
                raise EventTooLargeError(limit=limit, size=self._size)
            self._parts.append(piece)
            if limit is not None and self._size >= limit and self._excerpt:
                return True  # full: content() cuts it at the limit
        return False

    def content(self) -> bytes:
        """What was read (an excerpt cut to its limit)."""
        return b"".join(self._parts)[: self._limit]


def _excerpt(response: httpx.Response, limit: int) -> _Body:
    try:
        inflate = body_decoder(response)
    except APIResponseValidationError:
        inflate = None  # an error body in an encoding not asked for: its raw start will do
    return _Body(inflate, limit, excerpt=True)


def read_some(response: httpx.Response, limit: int = ERROR_BODY_LIMIT) -> bytes:
    """Read up to *limit* bytes of a (decoded) body; the caller closes the response."""
    body = _excerpt(response, limit)
    for chunk in response.iter_raw():
        if body.feed(chunk):
            break
    return body.content()


async def aread_some(response: httpx.Response, limit: int = ERROR_BODY_LIMIT) -> bytes:
    """Read up to *limit* bytes of a (decoded) body asynchronously, then close the response."""
    body = _excerpt(response, limit)
    chunks = response.aiter_raw()
    try:
        async for chunk in chunks:
            if body.feed(chunk):
                break
    finally:
        await aclose_response(response, chunks)
    return body.content()


def read_body(response: httpx.Response, limit: int | None) -> bytes:
    """Read a whole (decoded) body of at most *limit* bytes: a non-streaming answer.

    Raises:
        EventTooLargeError: the body grew past *limit* (``max_event_bytes``).
        APIResponseValidationError: an encoding that was not asked for.
    """
    body = _Body(body_decoder(response), limit, excerpt=False)
    for chunk in response.iter_raw():
        body.feed(chunk)
    return body.content()


async def aread_body(response: httpx.Response, limit: int | None) -> bytes:
    """The async twin of `read_body`."""
    body = _Body(body_decoder(response), limit, excerpt=False)
    chunks = response.aiter_raw()
    try:
        async for chunk in chunks:
            body.feed(chunk)
    finally:
        await aclose_response(response, chunks)
    return body.content()


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


def json_model(
    kind: type[_M],
    response: httpx.Response,
    content: bytes,
    *,
    attempts: int,
    json_type: bool = True,
) -> _M:
    """The *kind* model of a JSON answer, or the error for a body that is not one.

    With *json_type*, the ``content-type`` must say JSON too (``application/json``, or any
    type ending in ``json``).
    """
    if json_type:
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if not media.endswith("json"):
            raise validation_error(
                response, content, expected="application/json", attempts=attempts
            )
    try:
        return kind.model_validate_json(content)
    except ValidationError as exc:
        raise validation_error(
            response, content, expected=f"{kind.__name__} JSON", attempts=attempts
        ) from exc


def message_from_json(response: httpx.Response, content: bytes, attempts: int) -> Message:
    """The `Message` of a non-streaming answer, or the error for a body that is not one."""
    return json_model(Message, response, content, attempts=attempts)
