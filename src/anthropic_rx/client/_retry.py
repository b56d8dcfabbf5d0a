"""When to retry, and how long to wait first: the official SDK's policy, plus honest waits.

Pure functions, no I/O and no clock of their own, so every rule is tested without a server.
The rules (DESIGN.md decision 7, research/reliability.md §a and requirement 4):

- Only before the first content event has gone downstream: a retry after content would
  deliver output twice (anthropic-sdk-python#688; research invariant I2).
- Statuses 408, 409, 429 and every 5xx (529 included) are retried; ``x-should-retry: true``
  or ``false`` overrides the status. An ``event: error`` before any content is retried when
  its ``error.type`` is one of those answers (``overloaded_error``, ``api_error``, …).
- Connection failures and timeouts are retried, except the request's own ``deadline``.
- The wait is ``retry-after-ms``, else ``retry-after`` (seconds or an HTTP-date), honoured
  in full, never shortened: the SDK 0.121 retried a ``retry-after: 120`` after 8 s and
  burnt rate-limit slots (hermes-agent PR #26311). A wait above ``max_retry_wait``, or a
  spend-limit 429 that waiting never clears, fails at once instead of sleeping.
- Otherwise ``min(0.5 * 2**n, 8) * jitter`` with jitter in (0.75, 1], as the SDK does.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import cast

from .._exceptions import (
    AnthropicRxError,
    APIConnectionError,
    APIStatusError,
    DeadlineExceededError,
)

__all__ = ["RetryPlan", "backoff", "is_spend_limit", "parse_retry_after", "plan_retry"]

INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
_RETRYABLE_STATUSES = frozenset({408, 409, 429})
# The error.type of each retryable status, for an `event: error` that has no status.
_RETRYABLE_TYPES = frozenset({"timeout_error", "rate_limit_error", "api_error", "overloaded_error"})
_SPEND_LIMIT_CODES = frozenset({"enforced_spend_limit_reached"})


def backoff(retries_taken: int, *, rand: Callable[[], float] = random.random) -> float:
    """Return the SDK's wait before retry number ``retries_taken + 1``, in seconds.

    ``min(0.5 * 2**n, 8) * (1 - 0.25 * rand())``: 0.375-0.5 s, then 0.75-1 s, 1.5-2 s, …
    """
    base = min(INITIAL_RETRY_DELAY * 2.0 ** min(retries_taken, 1000), MAX_RETRY_DELAY)
    return base * (1.0 - 0.25 * rand())


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Return the wait a response asks for, in seconds, or ``None`` when it names none.

    Reads ``retry-after-ms`` (milliseconds), then ``retry-after`` as seconds (fractions are
    allowed, as the SDK allows them), then as an HTTP-date (RFC 9110 §10.2.3). A date in
    the past is a wait of 0.
    """
    ms = _number(headers.get("retry-after-ms"))
    if ms is not None:
        return ms / 1000.0
    value = headers.get("retry-after")
    if value is None:
        return None
    seconds = _number(value)
    if seconds is not None:
        return seconds
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None  # RFC 9110 dates are GMT; one without a zone is not one of them
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if value >= 0 and math.isfinite(value) else None


def _field(obj: object, name: str) -> object:
    return cast("dict[str, object]", obj).get(name) if isinstance(obj, dict) else None


def is_spend_limit(error: APIStatusError) -> bool:
    """Whether a 429 is a spend limit (``error.details.error_code``), which waiting never clears."""
    code = _field(_field(_field(error.body, "error"), "details"), "error_code")
    return isinstance(code, str) and (code in _SPEND_LIMIT_CODES or "spend_limit" in code)


@dataclass(frozen=True, slots=True)
class RetryPlan:
    """What to do after a failed attempt.

    Attributes:
        delay: seconds to wait before the next attempt, or ``None`` not to retry.
        note: why a retryable error is not retried (added to the error), or ``None``.
    """

    delay: float | None
    note: str | None = None


_GIVE_UP = RetryPlan(None)


def _retryable(error: AnthropicRxError) -> bool:
    if isinstance(error, DeadlineExceededError):
        return False  # the caller's own budget: retrying cannot help
    if isinstance(error, APIConnectionError):
        return True
    if not isinstance(error, APIStatusError):
        return False  # decode, protocol, validation errors: the same bytes would come again
    forced = error.headers.get("x-should-retry")
    if forced in ("true", "false"):
        return forced == "true"  # the server's word beats the status (SDK `_should_retry`)
    if error.status_code is None:
        return error.error_type in _RETRYABLE_TYPES
    return error.status_code in _RETRYABLE_STATUSES or error.status_code >= 500


def plan_retry(
    error: AnthropicRxError,
    *,
    retries_taken: int,
    max_retries: int,
    max_retry_wait: float,
    delivered: bool,
    time_left: float | None,
    rand: Callable[[], float] = random.random,
) -> RetryPlan:
    """Decide whether, and after how long, to retry after *error*.

    Args:
        error: the attempt's error.
        retries_taken: retries already made for this request.
        max_retries: the client's retry budget.
        max_retry_wait: the longest server-asked wait that is honoured.
        delivered: whether content from this attempt has gone downstream.
        time_left: seconds until the request's deadline, or ``None`` without one.
        rand: the jitter's random source.
    """
    if delivered or not _retryable(error):
        return _GIVE_UP
    asked = None
    if isinstance(error, APIStatusError):
        asked = parse_retry_after(error.headers)
        if error.status_code == 429 and is_spend_limit(error):
            return RetryPlan(None, "not retried: a spend limit does not clear by waiting")
        if asked is not None and asked > max_retry_wait:
            return RetryPlan(
                None,
                f"not retried: the server asked to wait {asked:g} s, "
                f"more than max_retry_wait ({max_retry_wait:g} s)",
            )
    if retries_taken >= max_retries:
        if max_retries == 0:
            return _GIVE_UP
        return RetryPlan(None, f"gave up after {retries_taken} retries (max_retries)")
    delay = asked if asked is not None and asked > 0 else backoff(retries_taken, rand=rand)
    if time_left is not None and delay >= time_left:
        return RetryPlan(None, f"not retried: the deadline comes in {max(time_left, 0):.3g} s")
    return RetryPlan(delay)
