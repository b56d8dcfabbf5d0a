"""The client under every fault scenario F01-F22 of research/reliability.md, on real sockets.

Each test is named after its scenario and checks the "no data lost" invariants: every event
before the fault delivered exactly once and in order (I1), nothing of a retried attempt
(I2), exactly one typed terminal signal with the request id, the attempt count and the
partial snapshot (I3), the connection released (I4; the ``emu`` fixture also waits until the
emulator sees no open connection after each test), and bounded time (I5).
"""

from __future__ import annotations

import gc
import hashlib
import logging
import threading
from collections.abc import Callable
from typing import Any

import anyio
import httpx
import pytest

import anthropic_rx as arx
from anthropic_rx.emulator import Emulator
from anthropic_rx.events import UnknownEvent

from .helpers import (
    KEY,
    ON_EACH_CLIENT,
    WAIT,
    Run,
    async_client,
    client,
    error_texts,
    fault_run,
    normal_run,
    params,
    run_async,
    run_sync,
    scenario,
)

#: Seconds of slack on every upper time bound. A loaded machine may delay an end, never
#: hasten it, so lower bounds are exact and upper bounds generous: wide enough for a busy
#: CI runner, still far below what the fault would take without the limit under test (an
#: idle timeout of 60 s, a 30 s Retry-After, a hang until the test's own WAIT).
SLACK = 4.0
#: How much sooner than its deadline a client may be seen to end: the sync client's run
#: starts its clock a little before the client does.
EARLY = {"async": 0.0, "sync": 0.02}


def attempts_seen(emu: Emulator, headers: dict[str, str]) -> int:
    """How many requests of this test's conversation reached the emulator."""
    return emu.stats.attempts(headers["x-emulator-key"])


def assert_exact_prefix(run: Run, normal: Run) -> None:
    """I1: what arrived is the normal answer's beginning, each event once, in order."""
    assert run.events, "expected the events before the fault"
    assert run.dumps() == normal.dumps()[: len(run.events)]
    assert run.after_end == 0


def assert_labelled(error: BaseException | None, stream: arx.MessageStream, attempts: int) -> Any:
    """I3: one typed error with the request id, the attempt count and the snapshot."""
    assert isinstance(error, arx.AnthropicRxError)
    assert error.attempts == attempts == stream.info.attempts
    assert error.request_id is not None
    assert error.request_id == stream.info.request_id
    assert stream.error is error
    return error


async def retried_run(
    emu: Emulator, headers: dict[str, str], **options: Any
) -> tuple[Run, arx.MessageStream]:
    """A fault before any content, retried once: the subscriber sees only the retry (I2)."""
    normal = normal_run(emu)
    run, stream = await fault_run("async", emu, headers, **options)
    assert run.completed and run.dumps() == normal.dumps()
    assert attempts_seen(emu, headers) == stream.info.attempts == 2
    return run, stream


async def mid_stream_fault(
    kind: str, emu: Emulator, headers: dict[str, str], **options: Any
) -> tuple[Run, Any]:
    """A fault after some content, never retried: the events before it, each once (I1), then
    one labelled error (I3) with the snapshot of what arrived."""
    normal = normal_run(emu)
    run, stream = await fault_run(kind, emu, headers, **options)
    assert_exact_prefix(run, normal)
    error = assert_labelled(run.error, stream, attempts=1)
    assert error.snapshot is not None and not run.completed
    assert attempts_seen(emu, headers) == 1
    return run, error


def text_deltas(run: Run) -> int:
    return sum(1 for e in run.events if e.type == "content_block_delta")


# -- F01 ---------------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("options", "asked"),
    [({"retry_after": 0.3}, 0.3), ({"variant": "ms", "retry_after_ms": 300}, 0.3)],
    ids=["retry-after", "retry-after-ms"],
)
async def test_f01_a_429_is_retried_no_sooner_than_asked_and_only_the_retry_is_seen(
    emu: Emulator, options: dict[str, Any], asked: float
) -> None:
    _, stream = await retried_run(emu, scenario("F01", **options))
    first, second = emu.stats.requests()[-2:]
    assert (first.status, second.status) == (429, 200)
    assert [first.header("x-arx-attempt"), second.header("x-arx-attempt")] == ["1", "2"]
    assert second.received_at - first.received_at >= asked  # never sooner than asked
    assert stream.info.request_ids == (first.request_id, second.request_id)
    assert stream.info.ratelimit["anthropic-ratelimit-requests-remaining"] == "3999"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("options", "retry_after", "note"),
    [
        ({"variant": "long"}, 3600.0, "more than max_retry_wait (60 s)"),
        ({"variant": "spend-limit", "retry_after": 30}, 30.0, "spend limit"),
    ],
    ids=["beyond-max-retry-wait", "spend-limit"],
)
async def test_f01_a_wait_beyond_max_retry_wait_or_a_spend_limit_fails_at_once(
    emu: Emulator, options: dict[str, Any], retry_after: float, note: str
) -> None:
    headers = scenario("F01", **options)
    run, stream = await fault_run("async", emu, headers)
    error = assert_labelled(run.error, stream, attempts=1)
    assert isinstance(error, arx.RateLimitError) and error.status_code == 429
    assert error.retry_after == retry_after
    assert error.ratelimit["anthropic-ratelimit-requests-remaining"] == "0"
    assert any(note in n for n in error.__notes__)
    assert run.events == [] and run.elapsed < SLACK  # no sleep at all (it would be 30 s)
    assert attempts_seen(emu, headers) == 1


# -- F02 ---------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_f02_a_529_is_retried_after_the_sdk_backoff_and_only_the_retry_is_seen(
    emu: Emulator,
) -> None:
    await retried_run(emu, scenario("F02", status=529))
    first, second = emu.stats.requests()[-2:]
    assert 0.375 <= second.received_at - first.received_at < 0.5 + SLACK  # 0.5 * jitter


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("options", "max_retries", "error_class", "attempts"),
    [
        ({"status": 503, "times": 5}, 1, arx.InternalServerError, 2),
        ({"variant": "should-retry-false"}, 2, arx.OverloadedError, 1),
    ],
    ids=["503-html-until-the-budget-is-spent", "x-should-retry-false"],
)
async def test_f02_an_exhausted_budget_or_x_should_retry_false_ends_with_the_status_error(
    emu: Emulator,
    options: dict[str, Any],
    max_retries: int,
    error_class: type[Exception],
    attempts: int,
) -> None:
    headers = scenario("F02", **options)
    run, stream = await fault_run("async", emu, headers, max_retries=max_retries)
    error = assert_labelled(run.error, stream, attempts)
    assert type(error) is error_class and run.events == []
    assert attempts_seen(emu, headers) == attempts
    if options.get("status") == 503:
        assert isinstance(error.body, str) and "503 Service" in error.body  # the proxy's HTML
        assert error.error_type is None and "gave up after 1 retries" in error.__notes__[0]


@pytest.mark.anyio
async def test_f02_x_should_retry_true_makes_a_400_retried(emu: Emulator) -> None:
    await retried_run(emu, scenario("F02", variant="should-retry-true"))


# -- F03, F04 ------------------------------------------------------------------------------------


@pytest.mark.anyio
@ON_EACH_CLIENT
async def test_f03_an_error_event_after_content_ends_the_stream_typed_by_error_type(
    emu: Emulator, kind: str
) -> None:
    run, error = await mid_stream_fault(kind, emu, scenario("F03", after=3))
    assert text_deltas(run) == 3
    assert isinstance(error, arx.OverloadedError)
    assert error.status_code is None and error.mid_stream and error.error_type == "overloaded_error"
    assert error.snapshot.to_message().content[0].text == run.text()


@pytest.mark.anyio
async def test_f04_an_error_event_before_any_content_is_retried_invisibly(emu: Emulator) -> None:
    _, stream = await retried_run(emu, scenario("F04"))
    assert len(stream.info.request_ids) == 2


# -- F05, F06 ------------------------------------------------------------------------------------


@pytest.mark.anyio
@ON_EACH_CLIENT
async def test_f05_a_reset_after_content_is_a_mid_stream_connection_error(
    emu: Emulator, kind: str
) -> None:
    run, error = await mid_stream_fault(kind, emu, scenario("F05", after=3))
    assert text_deltas(run) == 3
    assert type(error) is arx.APIConnectionError and error.mid_stream
    assert isinstance(error.__cause__, httpx.ReadError)
    assert error.snapshot.to_message().content[0].text == run.text()
    assert emu.stats.close_reasons().get("server_reset") == 1


@pytest.mark.anyio
@ON_EACH_CLIENT
@pytest.mark.parametrize(
    ("variant", "error_class"),
    [("fin", arx.APIConnectionError), ("end", arx.IncompleteStreamError)],
)
async def test_f06_a_body_that_ends_without_message_stop_is_never_a_success(
    emu: Emulator, kind: str, variant: str, error_class: type[Exception]
) -> None:
    _, error = await mid_stream_fault(kind, emu, scenario("F06", after=3, variant=variant))
    assert type(error) is error_class
    assert error.snapshot.to_message().stop_reason is None


# -- F07, F08, F09 ------------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("variant", ["hang", "close", "reset"])
async def test_f07_no_headers_is_retried_within_the_idle_timeout(
    emu: Emulator, variant: str
) -> None:
    run, _ = await retried_run(emu, scenario("F07", variant=variant), idle_timeout=0.3)
    assert run.elapsed < 0.3 + 0.5 + SLACK  # not the hang's forever: the idle timeout ended it


@pytest.mark.anyio
async def test_f07_a_refused_connection_is_retried_then_a_connection_error(
    emu: Emulator,
) -> None:
    async with arx.AsyncClient(api_key=KEY, base_url=emu.refused_url, max_retries=1) as c:
        stream = c.messages.stream(**params())
        run = await run_async(stream)
    error = run.error
    assert type(error) is arx.APIConnectionError and not error.mid_stream
    assert error.attempts == stream.info.attempts == 2 and error.request_id is None
    assert run.events == [] and run.elapsed < 0.5 + SLACK


@pytest.mark.anyio
@ON_EACH_CLIENT
async def test_f07_a_deadline_bounds_the_wait_for_headers_whatever_the_idle_timeout(
    emu: Emulator, kind: str
) -> None:
    headers = scenario("F07", variant="hang", times=5)
    run, _ = await fault_run(kind, emu, headers, idle_timeout=30, deadline=0.4)
    assert type(run.error) is arx.DeadlineExceededError and not run.error.mid_stream
    assert run.error.attempts == 1 and 0.4 - EARLY[kind] <= run.elapsed < 0.4 + SLACK


@pytest.mark.anyio
@ON_EACH_CLIENT
async def test_f08_a_stall_after_content_is_an_idle_timeout_within_its_limit(
    emu: Emulator, kind: str
) -> None:
    run, error = await mid_stream_fault(kind, emu, scenario("F08", after=3), idle_timeout=0.3)
    assert type(error) is arx.StreamIdleTimeoutError and error.mid_stream
    assert run.since_last_event < 0.3 + SLACK  # not the stall's hour
    if kind == "async":  # bounded below on the event loop's clock only, as it always was
        assert run.since_last_event >= 0.3 - 0.05


@pytest.mark.anyio
async def test_f08_a_stall_right_after_the_headers_is_retried_as_nothing_was_delivered(
    emu: Emulator,
) -> None:
    headers = scenario("F08", variant="headers")
    run, stream = await fault_run("async", emu, headers, idle_timeout=0.3, max_retries=1)
    error = assert_labelled(run.error, stream, attempts=2)
    assert type(error) is arx.StreamIdleTimeoutError and not error.mid_stream
    assert run.events == [] and attempts_seen(emu, headers) == 2
    assert run.elapsed < 0.3 + 0.5 + 0.3 + SLACK


def _content_timeout_checks(run: Run, stream: arx.MessageStream, normal: Run) -> None:
    content = [e for e in run.events if e.type != "ping"]
    assert [e.model_dump(mode="json") for e in content] == [
        e.model_dump(mode="json") for e in normal.events if e.type != "ping"
    ][: len(content)]
    pings = [e for e in run.events[len(content) :] if e.type == "ping"]
    assert pings, "the pings kept coming (and kept the idle timer quiet)"
    error = assert_labelled(run.error, stream, attempts=1)
    assert type(error) is arx.ContentTimeoutError and error.mid_stream


@pytest.mark.anyio
@ON_EACH_CLIENT
async def test_f09_only_pings_for_content_timeout_seconds_is_a_content_timeout(
    emu: Emulator, kind: str
) -> None:
    normal = normal_run(emu)
    headers = scenario("F09", after=3, interval=0.05)
    run, stream = await fault_run(kind, emu, headers, content_timeout=0.4, idle_timeout=30)
    _content_timeout_checks(run, stream, normal)
    assert run.elapsed < 0.4 + SLACK
    assert attempts_seen(emu, headers) == 1


# -- F10 - F17: the body's bytes -----------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("variant", ["mid-line", "no-blank"])
async def test_f10_a_truncated_final_event_is_never_dispatched(emu: Emulator, variant: str) -> None:
    normal = normal_run(emu)
    headers = scenario("F10", variant=variant)
    run, stream = await fault_run("async", emu, headers)
    assert run.dumps() == normal.dumps()[:-1]  # all but the cut message_stop
    error = assert_labelled(run.error, stream, attempts=1)
    assert type(error) is arx.IncompleteStreamError
    assert "after message_delta" in str(error)


@pytest.mark.anyio
@ON_EACH_CLIENT
async def test_f11_malformed_json_is_an_event_parse_error_after_the_events_before_it(
    emu: Emulator, kind: str
) -> None:
    run, error = await mid_stream_fault(kind, emu, scenario("F11", after=3))
    assert text_deltas(run) == 3
    assert type(error) is arx.EventParseError and '"text": "Hel' in error.data


async def _final_message_of(emu: Emulator, code: str) -> tuple[Run, arx.Message]:
    run, stream = await fault_run("async", emu, scenario(code))
    assert run.completed and stream.snapshot is not None
    return run, stream.snapshot.to_message()


@pytest.mark.anyio
async def test_f12_an_unknown_event_type_passes_through_and_changes_nothing(
    emu: Emulator,
) -> None:
    normal = normal_run(emu)
    run, message = await _final_message_of(emu, "F12")
    unknown = [e for e in run.events if isinstance(e, UnknownEvent)]
    assert [e.type for e in unknown] == ["content_block_annotation"]
    assert [e for e in run.events if e not in unknown] == normal.events
    assert message == _final(normal)


@pytest.mark.anyio
async def test_f13_unknown_delta_and_block_types_are_kept_raw_beside_the_known_ones(
    emu: Emulator,
) -> None:
    normal = normal_run(emu)
    _, message = await _final_message_of(emu, "F13")
    assert message.content[0] == _final(normal).content[0]
    assert any(block.type == "foo_block" for block in message.content)


def _final(run: Run) -> arx.Message:
    accumulator = arx.MessageAccumulator()
    for event in run.events:
        accumulator.feed(event)
    return accumulator.message()


@pytest.mark.anyio
@ON_EACH_CLIENT
async def test_f14_a_protocol_violation_is_a_stream_protocol_error_with_its_request(
    emu: Emulator, kind: str
) -> None:
    _, error = await mid_stream_fault(kind, emu, scenario("F14", after=3, variant="index"))
    assert type(error) is arx.StreamProtocolError


@pytest.mark.anyio
async def test_f15_a_10_mib_event_in_1_kib_writes_arrives_whole(emu: Emulator) -> None:
    headers = scenario("F15", after=3)
    run, stream = await fault_run("async", emu, headers)
    assert run.completed
    huge = max(
        (e.delta.text for e in run.events if e.type == "content_block_delta"),  # type: ignore[union-attr]
        key=len,
    )
    assert len(huge) == 10 * 1024 * 1024
    assert hashlib.sha256(huge.encode()).hexdigest() == stream.info.headers["x-emulator-sha256"]


@pytest.mark.anyio
async def test_f16_a_one_byte_drip_gives_the_same_events_as_one_write(emu: Emulator) -> None:
    normal = normal_run(emu, max_tokens=16)
    async with async_client(emu) as c:
        stream = c.messages.stream(**params(max_tokens=16, extra_headers=scenario("F16", gap=0)))
        run = await run_async(stream)
    assert run.completed and run.dumps() == normal.dumps()


@pytest.mark.anyio
@ON_EACH_CLIENT
async def test_f16_a_slow_drip_is_stopped_by_the_deadline_not_the_idle_timer(
    emu: Emulator, kind: str
) -> None:
    normal = normal_run(emu)
    headers = scenario("F16", gap=0.005)
    run, stream = await fault_run(kind, emu, headers, idle_timeout=30, deadline=0.5)
    error = assert_labelled(run.error, stream, attempts=1)
    assert type(error) is arx.DeadlineExceededError
    assert 0.5 - EARLY[kind] <= run.elapsed < 0.5 + SLACK
    if run.events:
        assert_exact_prefix(run, normal)


@pytest.mark.anyio
@pytest.mark.parametrize("variant", ["invalid", "truncated", "bom"])
async def test_f17_invalid_utf8_and_a_bom_never_break_the_stream(
    emu: Emulator, variant: str
) -> None:
    normal = normal_run(emu)
    run, _ = await fault_run("async", emu, scenario("F17", variant=variant))
    assert run.completed and [e.type for e in run.events] == [e.type for e in normal.events]
    if variant == "bom":
        assert run.dumps() == normal.dumps()
    else:
        assert "\ufffd" in run.text()


# -- F18: every way of leaving releases the connection --------------------------------------------

CYCLES = 100


def _baseline_after(emu: Emulator, cycles: int, baseline: int) -> None:
    """I4: every abandoned stream's connection closed, and the server saw each client leave."""
    assert emu.stats.wait_for(lambda s: s.connections_open <= baseline, WAIT), emu.stats
    records = emu.stats.requests(scenario="F18")
    assert len(records) == cycles
    assert emu.stats.wait_for(
        lambda s: all(r.outcome == "disconnected" for r in s.requests(scenario="F18")), WAIT
    )


def test_f18_disposing_the_last_subscriber_100_times_leaks_nothing_in_the_sync_client(
    emu: Emulator,
) -> None:
    with client(emu) as c:
        baseline = emu.stats.connections_open
        for _ in range(CYCLES):
            # A filler delta only every 30 s: the reader blocks in recv, so only shutting the
            # socket down (not waiting for the next byte) can release it in time.
            headers = scenario("F18", after=1, interval=30)
            stream = c.messages.stream(**params(extra_headers=headers))
            first = threading.Event()
            late: list[object] = []
            disposed = threading.Event()

            def on_next(
                event: object, first: Any = first, late: Any = late, d: Any = disposed
            ) -> None:
                if d.is_set():
                    late.append(event)
                first.set()

            subscription = stream.subscribe(on_next)
            assert first.wait(WAIT)
            subscription.dispose()
            disposed.set()
            assert isinstance(stream.error, arx.StreamAbortedError)
            assert emu.stats.wait_for(lambda s: s.connections_open <= baseline, WAIT)
            assert late == []
        _baseline_after(emu, CYCLES, baseline)


async def _dispose_by_rx(stream: arx.MessageStream) -> None:
    first = anyio.Event()
    subscription = stream.subscribe(lambda _: first.set())
    with anyio.fail_after(WAIT):
        await first.wait()
    subscription.dispose()


async def _dispose_by_cancel(stream: arx.MessageStream) -> None:
    with anyio.CancelScope() as scope:  # the task awaiting the stream is cancelled
        async for _ in arx.to_async_iterable(stream):
            scope.cancel()


async def _dispose_by_break(stream: arx.MessageStream) -> None:
    async for _ in arx.to_async_iterable(stream):
        break


async def _dispose_by_dropping(stream: arx.MessageStream) -> None:
    iterator = arx.to_async_iterable(stream)
    await iterator.__anext__()
    del iterator  # the last reference: nothing is called, the collector must not be needed


@pytest.mark.anyio
@pytest.mark.parametrize(
    "leave",
    [_dispose_by_rx, _dispose_by_cancel, _dispose_by_break, _dispose_by_dropping],
    ids=["rx-dispose", "task-cancel", "break", "drop-reference"],
)
async def test_f18_leaving_a_stream_100_times_leaks_no_connection_and_no_task(
    emu: Emulator,
    leave: Callable[[arx.MessageStream], Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with async_client(emu) as c:
        baseline = emu.stats.connections_open
        for _ in range(CYCLES):
            stream = c.messages.stream(**params(extra_headers=scenario("F18", after=1)))
            await leave(stream)
            assert isinstance(stream.error, arx.StreamAbortedError)
        # Wait on a worker thread: the loop must stay free to run the cancelled tasks' cleanup.
        await anyio.to_thread.run_sync(_baseline_after, emu, CYCLES, baseline)
    gc.collect()
    assert "never retrieved" not in caplog.text and "Traceback" not in caplog.text


# -- F19 - F22 ---------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("variant", ["crlf", "cr"])
async def test_f19_crlf_and_cr_framing_give_the_lf_events(emu: Emulator, variant: str) -> None:
    normal = normal_run(emu)
    run, _ = await fault_run("async", emu, scenario("F19", variant=variant))
    assert run.completed and run.dumps() == normal.dumps()


@pytest.mark.anyio
@pytest.mark.parametrize("variant", ["json", "html"])
async def test_f20_a_200_that_is_not_an_event_stream_is_a_validation_error(
    emu: Emulator, variant: str
) -> None:
    headers = scenario("F20", variant=variant)
    run, stream = await fault_run("async", emu, headers)
    error = assert_labelled(run.error, stream, attempts=1)
    assert type(error) is arx.APIResponseValidationError and error.status_code == 200
    assert ("Just a moment" if variant == "html" else '"type":"message"') in error.body
    assert "text/event-stream" in str(error) and run.events == []
    assert attempts_seen(emu, headers) == 1


@pytest.mark.anyio
async def test_f20_an_empty_200_is_an_incomplete_stream(emu: Emulator) -> None:
    run, stream = await fault_run("async", emu, scenario("F20", variant="empty"))
    error = assert_labelled(run.error, stream, attempts=1)
    assert type(error) is arx.IncompleteStreamError and "before message_start" in str(error)


@pytest.mark.anyio
async def test_f21_a_413_html_page_is_request_too_large_and_not_retried(emu: Emulator) -> None:
    headers = scenario("F21")
    run, stream = await fault_run("async", emu, headers)
    error = assert_labelled(run.error, stream, attempts=1)
    assert type(error) is arx.RequestTooLargeError and error.status_code == 413
    assert isinstance(error.body, str) and "413 Request Entity Too Large" in error.body
    assert attempts_seen(emu, headers) == 1 and run.events == []


@pytest.mark.parametrize("variant", ["307", "308"])
@pytest.mark.parametrize("follow", [False, True], ids=["own-http", "http-that-follows"])
def test_f22_a_redirect_is_never_followed_so_the_target_gets_neither_key_nor_prompt(
    emu: Emulator, variant: str, follow: bool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    http = httpx.Client(follow_redirects=True) if follow else None
    try:
        with client(emu, http_client=http) as c:
            stream = c.messages.stream(**params(extra_headers=scenario("F22", variant=variant)))
            run = run_sync(stream)
    finally:
        if http is not None:
            http.close()
    error = assert_labelled(run.error, stream, attempts=1)
    assert type(error) is arx.APIStatusError and error.status_code == int(variant)
    assert "not followed" in str(error) and emu.target_url in str(error)
    assert emu.stats.requests(origin="target") == []
    assert all(c.origin == "primary" for c in emu.stats.connections())
    assert KEY not in error_texts(error) and KEY not in caplog.text
