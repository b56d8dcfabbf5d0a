"""The SDK's surface around ``messages``: ``count_tokens``, ``with_raw_response``, ``.info``.

`count_tokens` sends the request's fields to ``/v1/messages/count_tokens`` (no
``max_tokens``, no ``stream``) with the same retries, timeouts and typed errors as
``create()``. `RawResponse` is what ``messages.with_raw_response.create()`` gives, as the
SDK's: the status, headers and body of the final attempt, and `RawResponse.parse` for the
model.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Generic, TypeVar, final

import httpx
from pydantic import BaseModel

from ..events import Message
from ._async import AsyncCall
from ._call import RequestCore
from ._config import Settings
from ._hooks import async_watched, sync_watched
from ._http import aread_body, json_model, read_body
from ._info import StreamInfo
from ._params import RequestParts, build_request
from ._sync import SyncCall

__all__ = [
    "RawResponse",
    "async_call_json",
    "count_request",
    "sync_call_json",
    "with_info",
]


_M = TypeVar("_M", bound=BaseModel)

#: The fields of a Messages request that count_tokens does not take.
_NOT_COUNTED = ("max_tokens", "stream")


def count_request(params: Mapping[str, Any], url: str) -> RequestParts:
    """The parts of a count_tokens request: *params* as for ``create()``, but no max_tokens.

    Raises:
        TypeError: a required parameter is missing, or an unknown one (or ``max_tokens``)
            was given; as `build_request`.
    """
    if "max_tokens" in params:
        raise TypeError("count_tokens() takes no max_tokens: it counts the input only")
    parts = build_request({**params, "max_tokens": 1}, stream=False)
    body = json.loads(parts["body"])
    for name in _NOT_COUNTED:
        if name not in params.get("extra_body", {}):
            body.pop(name, None)
    parts["body"] = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    parts["url"] = f"{url}/count_tokens"
    return parts


def with_info(message: Message, info: StreamInfo) -> Message:
    """*message* with its request's `StreamInfo` as ``.info`` (not a field: not dumped)."""
    object.__setattr__(message, "info", info)  # _Wire refuses setattr: it is read-only
    return message


@final
class RawResponse(Generic[_M]):
    """The final HTTP response of a call, as the SDK's ``with_raw_response`` gives it.

    Attributes:
        status_code: its HTTP status.
        headers: its headers.
        content: its body, as bytes.
        info: the request's `StreamInfo` (attempts, request ids, rate limits).

    Example:
        >>> raw = client.messages.with_raw_response.create(**params)
        >>> raw.headers["request-id"], raw.status_code
        >>> message = raw.parse()
    """

    __slots__ = ("_model", "content", "headers", "info", "status_code")

    def __init__(self, model: _M, response: httpx.Response, content: bytes, info: StreamInfo):
        self._model = model
        self.status_code = response.status_code
        self.headers: httpx.Headers = response.headers
        self.content = content
        self.info = info

    @property
    def request_id(self) -> str | None:
        """The ``request-id`` header."""
        value: str | None = self.headers.get("request-id")
        return value

    def parse(self) -> _M:
        """The body as its model: a `Message` (with ``.info``) or a `MessageTokensCount`."""
        return self._model

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.content)

    @property
    def text(self) -> str:
        """The body as text."""
        return self.content.decode()

    def __repr__(self) -> str:
        return f"<RawResponse [{self.status_code}] {type(self._model).__name__}>"


def sync_call_json(
    http: httpx.Client, settings: Settings, parts: RequestParts, info: StreamInfo, kind: type[_M]
) -> RawResponse[_M]:
    """Send a JSON request with retries; return its final response and model."""

    def read(response: httpx.Response, attempt: Any) -> RawResponse[_M]:
        content = read_body(response, settings.max_event_bytes)
        return _raw(kind, response, content, attempt.number, info)

    call = SyncCall[RawResponse[_M]](RequestCore.for_json(http, settings, parts, info))
    return sync_watched(
        _operation(kind), info.params, info, lambda: _with_info(call.run(read), info)
    )


async def async_call_json(
    http: httpx.AsyncClient,
    settings: Settings,
    parts: RequestParts,
    info: StreamInfo,
    kind: type[_M],
) -> RawResponse[_M]:
    """The async twin of `sync_call_json`."""

    async def read(response: httpx.Response, attempt: Any) -> RawResponse[_M]:
        content = await aread_body(response, settings.max_event_bytes)
        return _raw(kind, response, content, attempt.number, info)

    call = AsyncCall[RawResponse[_M]](RequestCore.for_json(http, settings, parts, info))

    async def run() -> RawResponse[_M]:
        return _with_info(await call.run(read), info)

    return await async_watched(_operation(kind), info.params, info, run)


def _raw(
    kind: type[_M], response: httpx.Response, content: bytes, attempts: int, info: StreamInfo
) -> RawResponse[_M]:
    """The `RawResponse` of a JSON answer whose body is *content*."""
    model = json_model(kind, response, content, attempts=attempts)
    return RawResponse(model, response, content, info)


def _operation(kind: type[BaseModel]) -> str:
    return "chat" if kind is Message else "count_tokens"


def _with_info(raw: RawResponse[_M], info: StreamInfo) -> RawResponse[_M]:
    model = raw.parse()
    if isinstance(model, Message):
        with_info(model, info)
    return raw
