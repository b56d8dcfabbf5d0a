"""``POST /v1/messages/count_tokens``: the input tokens a Messages request would use.

The same fields as ``POST /v1/messages`` without ``max_tokens`` and ``stream``, checked by the
same rules, answered with ``{"input_tokens": n}``: the ``usage.input_tokens`` that
``/v1/messages`` reports for the same request.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING

from ._generate import count_input_tokens
from ._validate import Problem, check_auth, check_body, check_version, parse_body

if TYPE_CHECKING:
    from ._exchange import Exchange

__all__ = ["PATH", "count_tokens"]

PATH = "/v1/messages/count_tokens"
#: What check_body reads as max_tokens: any thinking budget fits under it.
_ANY_MAX = 1 << 30


def _problem(
    headers: Mapping[str, str],
    raw: bytes,
    api_key: str | None,
    require_version: bool,
    models: Collection[str] | None,
) -> tuple[int, Problem | None]:
    problem = check_auth(headers, api_key) or check_version(headers, require_version)
    if problem is not None:
        return 0, problem
    body, problem = parse_body(raw)
    if problem is not None or body is None:
        return 0, problem
    for name in ("max_tokens", "stream"):
        if name in body:
            return 0, Problem(
                400, "invalid_request_error", f"{name}: Extra inputs are not permitted"
            )
    problem = check_body({**body, "max_tokens": _ANY_MAX}, models)
    return count_input_tokens(body), problem


async def count_tokens(
    ex: Exchange,
    method: str,
    headers: Mapping[str, str],
    raw: bytes,
    *,
    api_key: str | None,
    require_version: bool,
    models: Collection[str] | None,
) -> None:
    """Answer one count_tokens request on *ex*."""
    if method != "POST":
        await ex.send_error(405, "invalid_request_error", "Method Not Allowed", {"allow": "POST"})
        return
    tokens, problem = _problem(headers, raw, api_key, require_version, models)
    if problem is not None:
        details = {"details": problem.details} if problem.details else {}
        await ex.send_error(problem.status, problem.type, problem.message, **details)
        return
    await ex.send_json(200, {"input_tokens": tokens})
