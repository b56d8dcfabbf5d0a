"""The retry policy as pure functions: which errors, how long, and when never."""

from __future__ import annotations

import email.utils
from typing import Any

import pytest

import anthropic_rx as arx
from anthropic_rx.client._retry import backoff, is_spend_limit, parse_retry_after, plan_retry

NOW = 1_800_000_000.0


def status(code: int, headers: dict[str, str] | None = None, **body: Any) -> arx.APIStatusError:
    cls = arx._exceptions.error_for_status(code)
    return cls("x", status_code=code, headers=headers or {}, body={"error": body} if body else None)


def plan(error: arx.AnthropicRxError, **changes: Any) -> float | None:
    options: dict[str, Any] = {
        "retries_taken": 0,
        "max_retries": 2,
        "max_retry_wait": 60.0,
        "delivered": False,
        "time_left": None,
        "rand": lambda: 0.0,
        **changes,
    }
    return plan_retry(error, **options).delay


@pytest.mark.parametrize(
    ("retries", "low", "high"),
    [(0, 0.375, 0.5), (1, 0.75, 1.0), (2, 1.5, 2.0), (3, 3.0, 4.0), (4, 6.0, 8.0), (50, 6.0, 8.0)],
)
def test_backoff_is_the_sdks_capped_doubling_shortened_by_up_to_a_quarter(
    retries: int, low: float, high: float
) -> None:
    assert backoff(retries, rand=lambda: 0.0) == high
    assert backoff(retries, rand=lambda: 1.0) == low


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),  # the ms form wins
        ({"retry-after": "2"}, 2.0),
        ({"retry-after": "0.5"}, 0.5),
        ({"retry-after": email.utils.formatdate(NOW + 30, usegmt=True)}, 30.0),
        ({"retry-after": email.utils.formatdate(NOW - 30, usegmt=True)}, 0.0),
        ({"retry-after": "soon"}, None),
        ({"retry-after": "-1"}, None),
        ({"retry-after-ms": "nan"}, None),
        ({}, None),
    ],
)
def test_retry_after_is_read_as_ms_then_seconds_then_an_http_date(
    headers: dict[str, str], seconds: float | None
) -> None:
    assert parse_retry_after(headers, now=NOW) == seconds


@pytest.mark.parametrize("code", [408, 409, 429, 500, 502, 503, 504, 529])
def test_the_sdks_retryable_statuses_are_retried(code: int) -> None:
    assert plan(status(code)) == 0.5


@pytest.mark.parametrize("code", [400, 401, 402, 403, 404, 413, 422])
def test_other_statuses_are_not_retried(code: int) -> None:
    assert plan(status(code)) is None


def test_x_should_retry_overrides_the_status_both_ways() -> None:
    assert plan(status(400, {"x-should-retry": "true"})) == 0.5
    assert plan(status(529, {"x-should-retry": "false"})) is None


def test_the_wait_asked_for_is_honoured_in_full_up_to_max_retry_wait() -> None:
    assert plan(status(429, {"retry-after": "20"})) == 20.0  # never sooner than asked
    assert plan(status(429, {"retry-after": "0"})) == 0.5  # zero: the backoff
    result = plan_retry(
        status(429, {"retry-after": "61"}),
        retries_taken=0,
        max_retries=2,
        max_retry_wait=60.0,
        delivered=False,
        time_left=None,
    )
    assert result.delay is None and result.note is not None and "61 s" in result.note


def test_a_spend_limit_429_is_never_retried() -> None:
    error = status(
        429,
        {"retry-after": "1"},
        type="rate_limit_error",
        details={"error_code": "enforced_spend_limit_reached"},
    )
    assert is_spend_limit(error) and plan(error) is None
    assert not is_spend_limit(status(429))


def test_nothing_is_retried_once_content_was_delivered() -> None:
    assert plan(status(529), delivered=True) is None
    assert plan(arx.APIConnectionError("x", mid_stream=True), delivered=True) is None


def test_connection_errors_and_timeouts_are_retried_but_not_the_deadline() -> None:
    assert plan(arx.APIConnectionError("x")) == 0.5
    assert plan(arx.StreamIdleTimeoutError("x")) == 0.5
    assert plan(arx.ContentTimeoutError("x")) == 0.5
    assert plan(arx.DeadlineExceededError("x")) is None


def test_decode_protocol_and_validation_errors_are_not_retried() -> None:
    assert plan(arx.EventParseError("x", event="e", data="d")) is None
    assert plan(arx.StreamProtocolError("x")) is None
    assert plan(arx.APIResponseValidationError("x", status_code=200)) is None


@pytest.mark.parametrize(
    ("error_type", "retried"),
    [("overloaded_error", True), ("api_error", True), ("invalid_request_error", False)],
)
def test_an_error_event_before_content_is_retried_by_its_type(
    error_type: str, retried: bool
) -> None:
    event = arx.ErrorEvent.model_validate({"type": "error", "error": {"type": error_type}})
    assert (plan(event.to_exception()) is not None) is retried


def test_the_budget_and_the_deadline_bound_the_retries() -> None:
    assert plan(status(529), retries_taken=2) is None
    assert plan(status(529), retries_taken=1) == 1.0
    assert plan(status(529), max_retries=0) is None
    assert plan(status(529), time_left=0.4) is None  # the wait would outlast the deadline
    assert plan(status(529), time_left=0.6) == 0.5
