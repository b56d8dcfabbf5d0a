"""Every error anthropic_rx raises or sends as ``on_error``, in one tree.

```
AnthropicRxError                 catch this to catch everything we raise
├── SSEDecodeError               1 the byte stream cannot be decoded as an event stream
│   └── EventTooLargeError       1 one event grew past ``max_event_bytes``
├── EventParseError              2 data that is not JSON, or a known type that does not fit
├── StreamAbortedError           4 ``abort()`` was called, or the last subscriber left, mid-stream
├── NoTextError                  5 ``final_text()`` of a message with no text block
├── OutputValidationError        5 structured output or tool input that does not fit its type
├── StreamError                  3 the events do not make a complete message (carries ``.snapshot``)
│   ├── StreamProtocolError      3 an event that cannot follow the ones before it
│   ├── ToolInputError           3 tool input not whole JSON at its block's stop or ``message_stop``
│   └── IncompleteStreamError    3 the stream ended before ``message_stop``
└── APIError                     6 talking to the API failed (``.request_id``, ``.attempts``)
    ├── APIStatusError           6 an error answer: an HTTP status, or ``event: error`` mid-stream
    │   ├── BadRequestError          400  invalid_request_error
    │   ├── AuthenticationError      401  authentication_error
    │   ├── BillingError             402  billing_error
    │   ├── PermissionDeniedError    403  permission_error
    │   ├── NotFoundError            404  not_found_error
    │   ├── RequestTimeoutError      408  timeout_error
    │   ├── ConflictError            409
    │   ├── RequestTooLargeError     413  request_too_large
    │   ├── UnprocessableEntityError 422
    │   ├── RateLimitError           429  rate_limit_error (``.retry_after``)
    │   └── InternalServerError      5xx  api_error
    │       └── OverloadedError      529  overloaded_error
    ├── APIConnectionError       6 the connection failed or broke (``.mid_stream``)
    │   └── APITimeoutError      6 connect or read timed out
    │       ├── StreamIdleTimeoutError   no byte for ``idle_timeout`` seconds
    │       ├── ContentTimeoutError      no content event for ``content_timeout`` seconds
    │       └── DeadlineExceededError    the whole request took longer than ``deadline``
    └── APIResponseValidationError   6 a 2xx response that is not an event stream
```

The numbers are the layers of DESIGN.md. Every error that ends a stream carries what was
received before it: ``.snapshot`` is the partial `MessageSnapshot` (``None`` before
``message_start``), so nothing already received is lost. Mid-stream ``event: error`` is
mapped by its ``error.type``, not by the HTTP status (which is 200 there): an
``overloaded_error`` mid-stream is an `OverloadedError` with ``status_code=None`` and
``mid_stream=True``.

Messages say what was expected and what arrived. No error message, repr or attribute ever
holds the API key.

Every error survives ``pickle`` (a worker process can send one back), ``copy.copy`` and
``copy.deepcopy``, with its type, message, attributes and snapshot.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

if TYPE_CHECKING:
    from ._core import MessageSnapshot

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AnthropicRxError",
    "AuthenticationError",
    "BadRequestError",
    "BillingError",
    "ConflictError",
    "ContentTimeoutError",
    "DeadlineExceededError",
    "ErrorContext",
    "EventParseError",
    "EventTooLargeError",
    "IncompleteStreamError",
    "InternalServerError",
    "NoTextError",
    "NotFoundError",
    "OutputValidationError",
    "OverloadedError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestTimeoutError",
    "RequestTooLargeError",
    "SSEDecodeError",
    "StreamAbortedError",
    "StreamError",
    "StreamIdleTimeoutError",
    "StreamProtocolError",
    "ToolInputError",
    "UnprocessableEntityError",
    "error_for_status",
    "error_for_type",
]

_EXCERPT = 200


def excerpt(text: str | bytes, limit: int = _EXCERPT) -> str:
    """Return at most *limit* characters of *text*, marking a cut with an ellipsis."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return text if len(text) <= limit else text[:limit] + "…"


class ErrorContext(TypedDict, total=False):
    """Where an error came from, which every error class takes as keywords (one shape).

    Example:
        >>> APIConnectionError("reset", mid_stream=True, request_id="req_1", attempts=2)
    """

    snapshot: MessageSnapshot | None
    request_id: str | None
    attempts: int


class AnthropicRxError(Exception):
    """The base of every error anthropic_rx raises: catch this to catch them all.

    Attributes:
        snapshot: the partial `MessageSnapshot` received before the error, or ``None``.
        request_id: the ``request-id`` of the response the error came from, when it came
            from a `Client` request (``None`` otherwise).
        attempts: how many HTTP requests the `Client` made for it, retries included
            (``0`` when it did not come from a request).
        history: when the error ended a `Conversation`, its messages so far (the API's
            ``messages`` list, plain JSON: restart from it); ``None`` otherwise.
    """

    snapshot: MessageSnapshot | None
    request_id: str | None = None
    attempts: int = 0
    history: list[dict[str, Any]] | None = None

    def __init__(
        self,
        message: str,
        *,
        snapshot: MessageSnapshot | None = None,
        request_id: str | None = None,
        attempts: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.snapshot = snapshot
        if request_id is not None:
            self.request_id = request_id
        if attempts is not None:  # else the class's default: 0, or 1 for an APIError
            self.attempts = attempts

    def __reduce__(self) -> tuple[Any, ...]:
        """Rebuild without calling ``__init__``: what pickle, ``copy`` and ``deepcopy`` use.

        Exception's own ``__reduce__`` calls the class with ``self.args`` alone, which the
        keyword-only arguments of most subclasses refuse. This one makes the instance with
        ``__new__`` and restores every attribute (snapshot, request id, status, notes…).

        Example:
            >>> error = pickle.loads(pickle.dumps(arx.EventTooLargeError(limit=8, size=9)))
            >>> type(error).__name__, error.limit, error.size
            ('EventTooLargeError', 8, 9)
        """
        return (_rebuild, (type(self), self.args), dict(self.__dict__))

    def with_snapshot(self, snapshot: MessageSnapshot | None) -> AnthropicRxError:
        """Attach *snapshot* unless one is already attached, and return ``self``."""
        if self.snapshot is None:
            self.snapshot = snapshot
        return self

    def with_request(self, request_id: str | None, attempts: int) -> AnthropicRxError:
        """Attach a request's id (unless one is attached) and its attempt count; return ``self``.

        The client calls it on every error that ends a request, so a decode, protocol or
        truncation error says which request it was, as an `APIError` does.
        """
        if self.request_id is None:
            self.request_id = request_id
        self.attempts = attempts
        return self


# -- layer 1: bytes -------------------------------------------------------------------------


class SSEDecodeError(AnthropicRxError):
    """The bytes cannot be decoded as a Server-Sent Events stream."""


class EventTooLargeError(SSEDecodeError):
    """One event grew past the decoder's ``max_event_bytes`` bound.

    Attributes:
        limit: the bound, in bytes.
        size: how many bytes the event had reached when the bound was crossed.
    """

    def __init__(self, *, limit: int, size: int) -> None:
        super().__init__(
            f"expected an event of at most {limit} bytes (max_event_bytes), "
            f"got one of at least {size} bytes"
        )
        self.limit = limit
        self.size = size


# -- layer 2: events ------------------------------------------------------------------------


class EventParseError(AnthropicRxError, ValueError):
    """An event's data is not JSON, or a known event type does not fit its model.

    Attributes:
        event: the SSE event name (``"message"`` when none was sent).
        data: the raw data, as received.
    """

    def __init__(self, message: str, *, event: str, data: str) -> None:
        super().__init__(message)
        self.event = event
        self.data = data


# -- layer 4: sources ------------------------------------------------------------------------


class StreamAbortedError(AnthropicRxError):
    """The stream was stopped on purpose before it ended: ``abort()``, or every subscriber left.

    ``.snapshot`` holds what had arrived; the connection is closed.
    """


# -- layer 5: operators ----------------------------------------------------------------------


class NoTextError(AnthropicRxError, ValueError):
    """``final_text()`` found no text block in the message (the SDK's ``get_final_text``)."""


# -- layer 3: the accumulator ---------------------------------------------------------------


class StreamError(AnthropicRxError):
    """The events do not make a complete, well-ordered message."""


class StreamProtocolError(StreamError):
    """An event that cannot follow the ones before it.

    Examples: a delta for a block that was never started, a second ``message_start``, any
    event after ``message_stop``.

    Attributes:
        event: the offending event.
    """

    def __init__(self, message: str, *, event: Any = None, **context: Unpack[ErrorContext]) -> None:
        super().__init__(message, **context)
        self.event = event


class ToolInputError(StreamError, ValueError):
    """A tool block's input is not whole JSON when its block ends.

    At its ``content_block_stop``, or at ``message_stop`` for a tool block that was never
    stopped (a ``max_tokens`` cut): the model never finished the call's arguments, so no
    operator passes it off as a finished call. ``.snapshot`` holds the message so far
    (``stop_reason`` included, when ``message_delta`` came), the tool input as far as it
    parsed.

    Attributes:
        index: the block's index.
        partial_json: all the JSON text received for the block.
    """

    def __init__(
        self,
        message: str,
        *,
        index: int,
        partial_json: str,
        **context: Unpack[ErrorContext],
    ) -> None:
        super().__init__(message, **context)
        self.index = index
        self.partial_json = partial_json


class IncompleteStreamError(StreamError):
    """The stream ended before ``message_stop``: what arrived is in ``.snapshot``."""


# -- layer 6: the API -----------------------------------------------------------------------


class APIError(AnthropicRxError):
    """Anything that went wrong talking to the API.

    Attributes:
        request_id: the ``request-id`` response header, when there was a response.
        attempts: how many HTTP requests were made for this stream (retries included).
    """

    attempts: int = 1


class APIStatusError(APIError):
    """An error answer from the API: a non-2xx status, or an ``event: error`` mid-stream.

    Attributes:
        status_code: the HTTP status, or ``None`` for an ``event: error`` inside a 200 stream.
        error_type: the API's ``error.type`` (``"overloaded_error"``, …), when the body had one.
        body: the parsed JSON body, or the raw text when it was not JSON.
        mid_stream: whether the error arrived inside the event stream.
        headers: the response headers (never the request's, which hold the key).
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None,
        error_type: str | None = None,
        body: object = None,
        mid_stream: bool = False,
        headers: Mapping[str, str] | None = None,
        **context: Unpack[ErrorContext],
    ) -> None:
        super().__init__(message, **context)
        self.status_code = status_code
        self.error_type = error_type
        self.body = body
        self.mid_stream = mid_stream
        self.headers: Mapping[str, str] = dict(headers or {})


class BadRequestError(APIStatusError):
    """400 ``invalid_request_error``."""


class AuthenticationError(APIStatusError):
    """401 ``authentication_error``."""


class BillingError(APIStatusError):
    """402 ``billing_error``."""


class PermissionDeniedError(APIStatusError):
    """403 ``permission_error``."""


class NotFoundError(APIStatusError):
    """404 ``not_found_error``."""


class RequestTimeoutError(APIStatusError):
    """408, or ``timeout_error``."""


class ConflictError(APIStatusError):
    """409."""


class RequestTooLargeError(APIStatusError):
    """413 ``request_too_large``, often from the edge with an HTML body."""


class UnprocessableEntityError(APIStatusError):
    """422."""


class RateLimitError(APIStatusError):
    """429 ``rate_limit_error``.

    Attributes:
        retry_after: the wait the server asked for, in seconds, when it said.
        ratelimit: the ``anthropic-ratelimit-*`` response headers.
    """

    retry_after: float | None = None

    @property
    def ratelimit(self) -> dict[str, str]:
        """The ``anthropic-ratelimit-*`` headers of the response."""
        return {
            k: v for k, v in self.headers.items() if k.lower().startswith("anthropic-ratelimit-")
        }


class InternalServerError(APIStatusError):
    """5xx ``api_error``."""


class OverloadedError(InternalServerError):
    """529 ``overloaded_error``, before the stream or as an ``event: error`` inside it."""


class APIConnectionError(APIError):
    """The connection could not be made, or broke.

    Attributes:
        mid_stream: whether events had already been received when it broke.
    """

    def __init__(
        self, message: str, *, mid_stream: bool = False, **context: Unpack[ErrorContext]
    ) -> None:
        super().__init__(message, **context)
        self.mid_stream = mid_stream


class APITimeoutError(APIConnectionError):
    """Connecting, or reading the response, took too long."""


class StreamIdleTimeoutError(APITimeoutError):
    """No byte arrived for ``idle_timeout`` seconds."""


class ContentTimeoutError(APITimeoutError):
    """No content event (pings do not count) arrived for ``content_timeout`` seconds."""


class DeadlineExceededError(APITimeoutError):
    """The whole request, retries included, took longer than its ``deadline``."""


class APIResponseValidationError(APIError):
    """A 2xx response that is not an event stream (a proxy's HTML page, an empty body, …).

    Attributes:
        status_code: the HTTP status.
        body: an excerpt of the body.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        body: str = "",
        **context: Unpack[ErrorContext],
    ) -> None:
        super().__init__(message, **context)
        self.status_code = status_code
        self.body = body


def _rebuild(cls: type[AnthropicRxError], args: tuple[Any, ...]) -> AnthropicRxError:
    """Make an error of *cls* with *args* and no ``__init__`` (its state is set after)."""
    return cls.__new__(cls, *args)


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: BillingError,
    403: PermissionDeniedError,
    404: NotFoundError,
    408: RequestTimeoutError,
    409: ConflictError,
    413: RequestTooLargeError,
    422: UnprocessableEntityError,
    429: RateLimitError,
    529: OverloadedError,
}

_BY_TYPE: dict[str, type[APIStatusError]] = {
    "invalid_request_error": BadRequestError,
    "authentication_error": AuthenticationError,
    "billing_error": BillingError,
    "permission_error": PermissionDeniedError,
    "not_found_error": NotFoundError,
    "timeout_error": RequestTimeoutError,
    "request_too_large": RequestTooLargeError,
    "rate_limit_error": RateLimitError,
    "api_error": InternalServerError,
    "overloaded_error": OverloadedError,
}


def error_for_status(status_code: int) -> type[APIStatusError]:
    """Return the error class for an HTTP status (`APIStatusError` when none is specific)."""
    if status_code in _BY_STATUS:
        return _BY_STATUS[status_code]
    return InternalServerError if status_code >= 500 else APIStatusError


def error_for_type(error_type: str | None) -> type[APIStatusError]:
    """Return the error class for an API ``error.type`` (`APIStatusError` when unknown)."""
    return _BY_TYPE.get(error_type or "", APIStatusError)


# -- layer 5: structured output (appended) ----------------------------------------------------


class OutputValidationError(AnthropicRxError, ValueError):
    """A structured answer (``output_format=``) or a tool's input does not fit its type.

    The JSON is not whole (cut by ``max_tokens``), is not JSON at all (a refusal in
    prose), or does not validate against the model. Picklable and copyable: everything it
    carries is plain data (``.snapshot`` aside, which is the stream's, as on every error).

    Attributes:
        text: the whole raw text that was validated (the answer's text block, or the tool
            call's input JSON).
        errors: pydantic's errors, as JSON-safe dicts (``loc``, ``msg``, ``type``, ``input``,
            ``ctx``); empty when there was nothing to validate.
        index: the content block's index, or ``None`` when the message had no text block.
    """

    def __init__(
        self,
        message: str = "the output does not fit its type",
        *,
        text: str = "",
        errors: list[dict[str, Any]] | None = None,
        index: int | None = None,
        **context: Unpack[ErrorContext],
    ) -> None:
        super().__init__(message, **context)
        self.text = text
        self.errors: list[dict[str, Any]] = list(errors or [])
        self.index = index


def _show_public_path() -> None:
    """Name every error by the path users catch it under (``anthropic_rx.RateLimitError``).

    Tracebacks and reprs read ``__module__``; the package's facade exports every error, so
    ``pickle`` finds each one there too. Done here, not by the facade, since the facade loads
    its names lazily and an error can be raised before anyone has asked for its name.
    """
    for value in list(globals().values()):
        if isinstance(value, type) and issubclass(value, AnthropicRxError):
            value.__module__ = "anthropic_rx"


_show_public_path()
