"""The parameters of ``messages.stream()`` and ``messages.create()``, and the body they make.

One `TypedDict` describes them for both clients (``**params: Unpack[MessageParams]``), so the
four methods share a single, checked list: pyright and mypy check each keyword, and
`build_request` rejects an unknown one at run time with a hint to use ``extra_body``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Literal, NotRequired, Required, TypedDict, cast

from pydantic import BaseModel

from ._config import check_headers
from ._output import merge_output_config

__all__ = [
    "ConversationParams",
    "CountTokensParams",
    "MessageParams",
    "RequestParts",
    "build_request",
]


class _InputParams(TypedDict, total=False):
    """The fields of every request to ``/v1/messages``: the input, and how it is sent.

    `CountTokensParams` is these plus ``tools``; `ConversationParams` adds the output's
    fields (``max_tokens``, sampling, ``metadata``…).
    """

    model: Required[str]
    messages: Required[Iterable[Mapping[str, Any] | BaseModel]]
    system: str | Iterable[Mapping[str, Any]]
    tool_choice: Mapping[str, Any]
    thinking: Mapping[str, Any]
    mcp_servers: Iterable[Mapping[str, Any]]
    context_management: Mapping[str, Any]
    output_config: Mapping[str, Any]
    output_format: Any
    betas: Iterable[str]
    extra_headers: Mapping[str, str]
    extra_query: Mapping[str, str]
    extra_body: Mapping[str, Any]


class CountTokensParams(_InputParams, total=False):
    """The keyword arguments of ``client.messages.count_tokens()``: those of ``create()``
    that shape the input (no ``max_tokens``, sampling or ``stream``)."""

    tools: Iterable[Mapping[str, Any]]


class ConversationParams(_InputParams, total=False):
    """The API's fields of ``client.messages.conversation()``: `MessageParams` but ``tools``.

    ``conversation()`` takes ``tools`` itself (`Tool`s as well as dicts); every other field
    is `MessageParams`' own, since `MessageParams` is this plus ``tools``.
    """

    max_tokens: Required[int]
    temperature: float
    top_p: float
    top_k: int
    stop_sequences: Iterable[str]
    metadata: Mapping[str, Any]
    service_tier: Literal["auto", "standard_only"] | str
    container: str | Mapping[str, Any]


class MessageParams(ConversationParams, total=False):
    """The keyword arguments of ``client.messages.stream()`` and ``.create()``.

    The API's fields keep the API's names and JSON shapes (docs.claude.com/en/api/messages);
    a field left out is not sent. ``output_format`` (ours, as the SDK's) is a type, a
    pydantic model or any type pydantic can build a JSON schema for: it is sent as
    ``output_config.format`` (merged into any ``output_config`` given), its schema
    transformed as the SDK transforms it; read the answer with `parsed_output`,
    `partial_output` or `parse_output`. ``betas`` (as in the SDK) names beta features, sent as
    the ``anthropic-beta`` header, comma-separated. ``extra_headers``, ``extra_query`` and
    ``extra_body`` add to (or override) the request for fields this version does not know.
    """

    tools: Iterable[Mapping[str, Any]]


# Spelled out: under postponed annotations Python 3.11 counts `Required[...]` keys as optional.
_REQUIRED = frozenset({"model", "messages", "max_tokens"})
_KNOWN = frozenset(MessageParams.__annotations__)
_EXTRA = frozenset({"extra_headers", "extra_query", "extra_body", "betas"})


class RequestParts(TypedDict):
    """What one call sends: the JSON body (bytes), extra headers and query parameters.

    ``url``, when set, is where it goes instead of ``/v1/messages`` (``count_tokens``).
    """

    body: bytes
    headers: dict[str, str]
    query: dict[str, str]
    url: NotRequired[str]


def beta_header(betas: object) -> dict[str, str]:
    """The ``anthropic-beta`` header of *betas*, as the SDK sends it (comma-separated).

    Raises:
        TypeError: *betas* is a single string, or holds something else than strings.
    """
    if isinstance(betas, str) or not isinstance(betas, Iterable):
        raise TypeError(f"expected betas to be a list of strings, got {betas!r}")
    names = list(cast("Iterable[object]", betas))
    wrong = [b for b in names if not isinstance(b, str) or not b]
    if wrong:
        raise TypeError(f"expected betas to be non-empty strings, got {wrong[0]!r}")
    return {"anthropic-beta": ",".join(cast("list[str]", names))} if names else {}


def _jsonable(value: object) -> Any:
    """Turn what ``json`` cannot write into JSON: models (our events' blocks), iterables."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_none=True)
    if isinstance(value, Iterable) and not isinstance(value, (bytes, bytearray)):
        return list(cast("Iterable[object]", value))  # messages may be any iterable
    raise TypeError(f"expected JSON-compatible request parameters, got {type(value).__name__}")


def _dumps(value: object) -> str:
    return json.dumps(
        value, default=_jsonable, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    )


def _non_finite(body: Mapping[str, Any]) -> str:
    """Name the parameter whose value holds NaN or an infinity (``json`` does not say)."""
    for name, value in body.items():
        try:
            _dumps(value)
        except ValueError:
            return repr(name)
    return "the request body"  # pragma: no cover - the whole failed, so one part does


def build_request(params: Mapping[str, Any], *, stream: bool) -> RequestParts:
    """Check *params* and build the request's parts.

    Raises:
        TypeError: a required parameter is missing, or an unknown one was given, or
            ``output_format`` is not a type pydantic can build a JSON schema for.
        ValueError: a number is NaN or infinite (JSON has neither), or a header in
            ``extra_headers`` holds CR, LF or another character a header may not hold.
    """
    unknown = sorted(set(params) - _KNOWN)
    if unknown:
        raise TypeError(
            f"unexpected keyword argument(s) {', '.join(map(repr, unknown))}: "
            "pass API fields this version does not know in extra_body={...}"
        )
    missing = sorted(_REQUIRED - set(params))
    if missing:
        raise TypeError(f"missing required keyword argument(s) {', '.join(map(repr, missing))}")
    body: dict[str, Any] = {k: v for k, v in params.items() if k not in _EXTRA and v is not None}
    if body.pop("output_format", None) is not None:
        body["output_config"] = merge_output_config(
            params.get("output_config"), params["output_format"]
        )
    if "stream" in params.get("extra_body", {}):
        raise TypeError("extra_body may not set 'stream': use messages.stream() or .create()")
    body["stream"] = stream
    if {k.lower() for k in params.get("extra_headers", {})} & {"x-api-key", "authorization"}:
        # The key has one home, the client's Secret (DESIGN.md decision 10).
        raise TypeError("pass the key as Client(api_key=...) or with_options(api_key=...)")
    # extra_headers win over betas, as in the SDK.
    headers = {**beta_header(params.get("betas", ())), **params.get("extra_headers", {})}
    check_headers(headers, "extra_headers")
    body.update(params.get("extra_body", {}))
    try:
        data = _dumps(body)
    except ValueError as exc:
        if "Out of range float" not in str(exc):
            raise  # a circular reference: json's own message says it
        raise ValueError(
            f"expected finite numbers in {_non_finite(body)}, got NaN or infinity: "
            "JSON has neither, and the API would refuse the request"
        ) from None
    return RequestParts(
        body=data.encode(),
        headers=headers,
        query=dict(params.get("extra_query", {})),
    )
