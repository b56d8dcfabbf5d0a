"""A 429 on one request holds back the group's next starts (on a clock the test moves)."""

from __future__ import annotations

import logging
import threading
from typing import Any, cast

import anyio
import httpx
import pytest
from reactivex import Observable
from reactivex.abc import DisposableBase
from reactivex.disposable import Disposable

import anthropic_rx as arx
from anthropic_rx.client import StreamInfo
from anthropic_rx.concurrency import StreamFailed, Tagged, stream_many
from anthropic_rx.concurrency._requests import (  # pyright: ignore[reportPrivateUsage]
    _Pacer,
    _request_source,
)
from anthropic_rx.emulator import Emulator

from .helpers import KEY, WAIT, ManualScheduler, Recorder, by_key, params, scenario


def info_after(status: int, **headers: str) -> StreamInfo:
    info = StreamInfo("http://127.0.0.1/v1/messages")
    info.note_attempt()
    info.note_response(httpx.Response(status, headers=headers))
    return info


# -- the gate alone ---------------------------------------------------------------------


def test_the_gate_is_open_until_a_429() -> None:
    pacer = _Pacer(ManualScheduler(), max_pause=60)
    started: list[str] = []
    pacer.when_open(lambda: started.append("a"))
    pacer.on_response(info_after(200))
    pacer.when_open(lambda: started.append("b"))
    assert started == ["a", "b"]


def test_after_a_429_starts_wait_for_its_retry_after_then_go_in_order() -> None:
    clock = ManualScheduler()
    pacer = _Pacer(clock, max_pause=60)
    pacer.on_response(info_after(429, **{"retry-after": "2"}))
    started: list[str] = []
    for name in "abc":
        pacer.when_open(lambda name=name: started.append(name))
    assert started == [] and clock.pending == 1  # one timer for the whole group
    clock.advance(1.9)
    assert started == []
    clock.advance(0.1)
    assert started == ["a", "b", "c"]
    pacer.when_open(lambda: started.append("d"))  # open again
    assert started[-1] == "d"


def test_a_later_429_extends_the_pause() -> None:
    clock = ManualScheduler()
    pacer = _Pacer(clock, max_pause=60)
    pacer.on_response(info_after(429, **{"retry-after-ms": "1000"}))
    started: list[str] = []
    pacer.when_open(lambda: started.append("a"))
    clock.advance(0.5)
    pacer.on_response(info_after(429, **{"retry-after": "3"}))
    clock.advance(0.5)
    assert started == []  # the first timer fired, found the gate still closed, and re-armed
    clock.advance(3)
    assert started == ["a"]


def test_the_pause_is_capped_by_max_pause() -> None:
    clock = ManualScheduler()
    pacer = _Pacer(clock, max_pause=5)
    pacer.on_response(info_after(429, **{"retry-after": "3600"}))
    started: list[str] = []
    pacer.when_open(lambda: started.append("a"))
    clock.advance(5)
    assert started == ["a"]


def test_without_retry_after_the_pause_backs_off_like_the_client() -> None:
    clock = ManualScheduler()
    pacer = _Pacer(clock, max_pause=60)
    for _ in range(3):
        pacer.on_response(info_after(429))  # 0.5, 1, 2 s (jittered down by at most 25 %)
    started: list[str] = []
    pacer.when_open(lambda: started.append("a"))
    clock.advance(1.4)
    assert started == []
    clock.advance(0.6)
    assert started == ["a"]


def test_a_cancelled_wait_never_starts_and_frees_the_timer() -> None:
    clock = ManualScheduler()
    pacer = _Pacer(clock, max_pause=60)
    pacer.on_response(info_after(429, **{"retry-after": "1"}))
    started: list[str] = []
    waiting = pacer.when_open(lambda: started.append("a"))
    waiting.dispose()
    assert clock.pending == 0
    clock.advance(2)
    assert started == []


# -- the client's hook ----------------------------------------------------------------


def test_a_response_hook_sees_a_retried_429_then_the_success(emu: Emulator) -> None:
    seen: list[int | None] = []
    request = params("hook", extra_headers=scenario("F01", variant="ms", retry_after_ms=1))
    with arx.Client(api_key=KEY, base_url=emu.base_url) as client:
        stream = client.messages.stream(**request)
        stream.info.add_response_hook(lambda info: seen.append(info.status_code))
        assert stream.wait(0) is False
        stream.start()
        assert stream.wait(WAIT) and stream.error is None
    assert seen == [429, 200]


def test_a_hook_that_raises_is_logged_and_the_stream_goes_on(
    emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(info: StreamInfo) -> None:
        raise RuntimeError("broken hook")

    with arx.Client(api_key=KEY, base_url=emu.base_url) as client:
        stream = client.messages.stream(**params("hook"))
        stream.info.add_response_hook(broken)
        with caplog.at_level(logging.ERROR, logger="anthropic_rx.client"):
            stream.start()
            assert stream.wait(WAIT)
    assert stream.error is None and "broken hook" in caplog.text


# -- a group of requests ----------------------------------------------------------------


def group() -> dict[str, dict[str, Any]]:
    """r1, r2 stall until released; r0, started after them, is answered 429 once."""
    return {
        "r1": params("r1", extra_headers=scenario("F08", after=1)),
        "r2": params("r2", extra_headers=scenario("F08", after=1)),
        "r0": params("r0", extra_headers=scenario("F01", variant="ms", retry_after_ms=1)),
        "r3": params("r3"),
        "r4": params("r4"),
        "r5": params("r5"),
    }


def finished(*keys: str) -> Any:
    def check(items: list[Tagged[str, arx.StreamEvent]]) -> bool:
        done = {i.key for i in items if i.value.type == "message_stop"}
        return set(keys) <= done

    return check


def prompts_received(emu: Emulator) -> list[str]:
    return [r.body.split(b'"content":"')[1].split(b'"')[0].decode() for r in emu.stats.requests()]


def check_group(emu: Emulator, out: Recorder[Tagged[str, arx.StreamEvent]]) -> None:
    assert out.completed, out.error
    assert sorted(by_key(out.items)) == ["r0", "r1", "r2", "r3", "r4", "r5"]
    assert all(events[-1].type == "message_stop" for events in by_key(out.items).values())
    assert len(emu.stats.requests()) == 7  # six requests and the client's one retry


def test_a_429_holds_back_the_groups_next_starts_until_its_pause_ends(emu: Emulator) -> None:
    clock = ManualScheduler()
    out: Recorder[Tagged[str, arx.StreamEvent]] = Recorder()
    with arx.Client(api_key=KEY, base_url=emu.base_url) as client:
        stream_many(client, group(), max_concurrent=3, scheduler=clock).subscribe(out)
        out.wait_for(finished("r0"))  # its 429 was seen, and the client retried it itself
        assert clock.wait_pending(1, WAIT)  # r3 got r0's slot, and waits for the pause
        assert emu.wait_stalled(2, timeout=WAIT)
        emu.release()
        out.wait_for(finished("r1", "r2"))  # two more slots free: r4 and r5 wait as well
        assert sorted(prompts_received(emu)) == ["r0", "r0", "r1", "r2"]
        clock.advance(1.0)
        out.wait()
    check_group(emu, out)
    assert sorted(prompts_received(emu)[4:]) == ["r3", "r4", "r5"]  # sent after the pause


@pytest.mark.anyio
async def test_a_429_paces_async_streams_and_the_start_hops_back_to_the_loop(
    emu: Emulator,
) -> None:
    clock = ManualScheduler()
    out: Recorder[Tagged[str, arx.StreamEvent]] = Recorder()
    async with arx.AsyncClient(api_key=KEY, base_url=emu.base_url) as client:
        stream_many(client, group(), max_concurrent=3, scheduler=clock).subscribe(out)
        # Each wait on a worker thread: the loop stays free to run the streams.
        await anyio.to_thread.run_sync(out.wait_for, finished("r0"))
        assert await anyio.to_thread.run_sync(clock.wait_pending) and clock.pending == 1
        assert await anyio.to_thread.run_sync(emu.wait_stalled, 2, WAIT)
        emu.release()
        await anyio.to_thread.run_sync(out.wait_for, finished("r1", "r2"))
        assert sorted(prompts_received(emu)) == ["r0", "r0", "r1", "r2"]
        # The pause ends on another thread; the streams must still be made on the loop.
        await anyio.to_thread.run_sync(clock.advance, 1.0)
        await out.await_end()  # made on a worker thread, a stream would fail: no loop there
    check_group(emu, out)
    assert sorted(prompts_received(emu)[4:]) == ["r3", "r4", "r5"]


def test_the_default_clock_really_waits_for_the_pause(emu: Emulator) -> None:
    requests = {
        "r0": params("r0", extra_headers=scenario("F01", variant="ms", retry_after_ms=20)),
        "r1": params("r1"),
    }
    out: Recorder[Tagged[str, arx.StreamEvent]] = Recorder()
    with arx.Client(api_key=KEY, base_url=emu.base_url) as client:
        stream_many(client, requests, max_concurrent=1).subscribe(out)
        out.wait()
    assert out.completed, out.error
    assert prompts_received(emu) == ["r0", "r0", "r1"]


@pytest.mark.parametrize("bad", [-1.0, float("nan")])
def test_a_negative_pause_is_refused(bad: float) -> None:
    with (
        arx.Client(api_key=KEY, base_url="http://127.0.0.1:9") as client,
        pytest.raises(ValueError, match="max_pause"),
    ):
        stream_many(client, {}, max_pause=bad)


def test_a_rate_limit_error_event_mid_stream_pauses_the_group_too(emu: Emulator) -> None:
    clock = ManualScheduler()
    requests = {
        "r0": params("r0", extra_headers=scenario("F03", after=2, error_type="rate_limit_error")),
        "r1": params("r1"),
    }
    out: Recorder[Tagged[str, arx.StreamEvent | StreamFailed]] = Recorder()
    with arx.Client(api_key=KEY, base_url=emu.base_url) as client:
        many = stream_many(client, requests, max_concurrent=1, isolate_errors=True, scheduler=clock)
        many.subscribe(out)
        assert clock.wait_pending(1, WAIT)  # r0 failed with a 429 event; r1 waits for the pause
        failed = by_key(out.items)["r0"][-1]
        assert isinstance(failed, StreamFailed) and isinstance(failed.error, arx.RateLimitError)
        assert prompts_received(emu) == ["r0"]
        clock.advance(60)
        out.wait()
    assert out.completed and prompts_received(emu) == ["r0", "r1"]


def test_disposing_while_a_released_start_is_being_made_sends_nothing() -> None:
    # The pause ends on the timer's thread, which makes the stream; the subscriber disposes
    # meanwhile. The stream made after that must never start (never send its request).
    made = threading.Event()
    release = threading.Event()
    started: list[str] = []

    class Handle(Observable[arx.StreamEvent]):
        info = None

    class Messages:
        def stream(self, **params: Any) -> Handle:
            made.set()
            assert release.wait(WAIT)

            def subscribe(observer: Any, scheduler: Any = None) -> DisposableBase:
                started.append(params["model"])
                return Disposable()

            return Handle(subscribe)

    class FakeClient:
        messages = Messages()

    clock = ManualScheduler()
    pacer = _Pacer(clock, max_pause=60)
    pacer.rate_limited(1.0)
    source = _request_source(cast(Any, FakeClient()), params("late"), pacer)
    out: Recorder[arx.StreamEvent] = Recorder()
    subscription = source.subscribe(out)
    timer = threading.Thread(target=clock.advance, args=(1.0,))
    timer.start()
    assert made.wait(WAIT)  # the pause is over: the timer's thread is making the stream
    subscription.dispose()
    release.set()
    timer.join(WAIT)
    assert not timer.is_alive()
    assert started == []
