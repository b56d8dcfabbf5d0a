"""stream_many and friends against the emulator, with both clients: nothing lost, bounded, clean."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import anyio
import httpx
import pytest
import reactivex

import anthropic_rx as arx
from anthropic_rx.concurrency import (
    StreamFailed,
    Tagged,
    first_to_finish,
    side_by_side,
    stream_many,
    stream_sources,
)
from anthropic_rx.emulator import Emulator
from anthropic_rx.operators import final_text

from .helpers import (
    KEY,
    WAIT,
    AsyncCountingTransport,
    CountingTransport,
    Recorder,
    by_key,
    expected_events,
    params,
    scenario,
)

STREAMS = 100
BOUND = 8


def questions(count: int) -> dict[str, dict[str, Any]]:
    return {f"q{i:03d}": params(f"Tell me about pelican number {i}") for i in range(count)}


def dumped(items: list[Tagged[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    return {
        key: [e.model_dump(mode="json") for e in events] for key, events in by_key(items).items()
    }


def check_every_stream(
    requests: Mapping[str, dict[str, Any]], items: list[Tagged[str, arx.StreamEvent]]
) -> None:
    """Each key got exactly its own stream's events, none lost, in order."""
    got = dumped(items)
    assert sorted(got) == sorted(requests)
    for key, request in requests.items():
        assert got[key] == expected_events(request), key
    texts = {
        key: reactivex.from_iterable(events).pipe(final_text()).run()
        for key, events in by_key(items).items()
    }
    assert len(set(texts.values())) == len(requests)  # every stream is told apart


def test_merging_100_streams_loses_no_event_and_keeps_each_streams_order(emu: Emulator) -> None:
    requests = questions(STREAMS)
    transport = CountingTransport()
    out: Recorder[Tagged[str, arx.StreamEvent]] = Recorder()
    with (
        httpx.Client(transport=transport) as http,
        arx.Client(api_key=KEY, base_url=emu.base_url, http_client=http) as client,
    ):
        stream_many(client, requests, max_concurrent=BOUND).subscribe(out)
        out.wait()
    assert out.completed, out.error
    assert not out.overlapped  # delivered one at a time, though read on many threads
    check_every_stream(requests, out.items)
    assert transport.started == STREAMS and transport.peak <= BOUND
    assert len(emu.stats.requests()) == STREAMS


@pytest.mark.anyio
async def test_merging_100_async_streams_loses_no_event_and_keeps_order(emu: Emulator) -> None:
    requests = questions(STREAMS)
    transport = AsyncCountingTransport()
    out: Recorder[Tagged[str, arx.StreamEvent]] = Recorder()
    async with (
        httpx.AsyncClient(transport=transport) as http,
        arx.AsyncClient(api_key=KEY, base_url=emu.base_url, http_client=http) as client,
    ):
        stream_many(client, requests, max_concurrent=BOUND).subscribe(out)
        await out.await_end()
    assert out.completed, out.error
    assert not out.overlapped
    check_every_stream(requests, out.items)
    assert transport.started == STREAMS and transport.peak <= BOUND


def test_a_request_is_not_sent_before_its_slot_frees(emu: Emulator) -> None:
    requests = {
        "stalled": params("first", extra_headers=scenario("F08", after=1)),
        "next": params("second"),
    }
    out: Recorder[Tagged[str, arx.StreamEvent]] = Recorder()
    with arx.Client(api_key=KEY, base_url=emu.base_url) as client:
        stream_many(client, requests, max_concurrent=1).subscribe(out)
        assert emu.wait_stalled(1, timeout=WAIT)
        out.wait_for(lambda items: len(items) >= 3)  # "stalled" is delivering
        assert len(emu.stats.requests()) == 1
        assert {i.key for i in out.items} == {"stalled"}
        emu.release()
        out.wait()
    assert out.completed
    assert [r.body for r in emu.stats.requests()][1].find(b"second") > 0


def test_disposing_aborts_every_running_stream_and_sends_no_other(emu: Emulator) -> None:
    stall = scenario("F08", after=2)
    requests = {f"s{i}": params(f"stall {i}", extra_headers=stall) for i in range(5)}
    out: Recorder[Tagged[str, arx.StreamEvent]] = Recorder()
    with arx.Client(api_key=KEY, base_url=emu.base_url) as client:
        subscription = stream_many(client, requests, max_concurrent=3).subscribe(out)
        assert emu.wait_stalled(3, timeout=WAIT)
        subscription.dispose()
        assert emu.stats.wait_for(
            lambda s: all(r.outcome == "disconnected" for r in s.requests()), WAIT
        )
    assert len(emu.stats.requests()) == 3
    assert emu.stats.wait_idle(WAIT) and emu.stats.connections_closed == 3
    assert not out.done.is_set()


def test_the_first_error_aborts_the_others_and_names_its_key(emu: Emulator) -> None:
    requests = {
        "stalls": params("one", extra_headers=scenario("F08", after=1)),
        "breaks": params("two", extra_headers=scenario("F03", after=2)),
        "never": params("three"),
    }
    out: Recorder[Tagged[str, arx.StreamEvent]] = Recorder()
    with arx.Client(api_key=KEY, base_url=emu.base_url) as client:
        stream_many(client, requests, max_concurrent=2).subscribe(out)
        out.wait()
        assert isinstance(out.error, arx.OverloadedError)  # typed, as the stream sent it
        assert "'breaks'" in "".join(out.error.__notes__)
        assert out.error.snapshot is not None  # what "breaks" had received is kept
        assert emu.stats.wait_for(
            lambda s: [r.outcome for r in s.requests()].count("disconnected") == 1, WAIT
        )
    assert len(emu.stats.requests()) == 2  # "never" was never sent
    assert by_key(out.items).keys() <= {"stalls", "breaks"}


@pytest.mark.anyio
async def test_isolated_errors_let_the_other_async_streams_finish(emu: Emulator) -> None:
    requests = {
        "a": params("alpha"),
        "broken": params("beta", extra_headers=scenario("F03", after=2)),
        "c": params("gamma"),
    }
    out: Recorder[Tagged[str, arx.StreamEvent | StreamFailed]] = Recorder()
    async with arx.AsyncClient(api_key=KEY, base_url=emu.base_url) as client:
        stream_many(client, requests, max_concurrent=2, isolate_errors=True).subscribe(out)
        await out.await_end()
    assert out.completed and out.error is None
    grouped = by_key(out.items)
    failed = grouped["broken"][-1]
    assert isinstance(failed, StreamFailed) and isinstance(failed.error, arx.OverloadedError)
    assert all(not isinstance(v, StreamFailed) for v in grouped["broken"][:-1])
    for key in ("a", "c"):
        assert [e.model_dump(mode="json") for e in grouped[key]] == expected_events(requests[key])


def test_first_to_finish_aborts_the_losers_and_closes_their_connections(emu: Emulator) -> None:
    with arx.Client(api_key=KEY, base_url=emu.base_url) as client:
        sources = stream_sources(
            client,
            {
                "slow": params("slow", extra_headers=scenario("F08", after=1)),
                "fast": params("fast"),
            },
        )
        out: Recorder[Tagged[str, arx.Message]] = Recorder()
        first_to_finish(sources).subscribe(out)
        out.wait()
        assert out.completed and [i.key for i in out.items] == ["fast"]
        assert emu.stats.wait_for(
            lambda s: {r.outcome for r in s.requests()} == {"complete", "disconnected"}, WAIT
        )
    slow = next(r for r in emu.stats.requests() if b"slow" in r.body)
    assert slow.outcome == "disconnected" and slow.connection_id is not None
    assert emu.stats.wait_idle(WAIT)
    assert next(c for c in emu.stats.connections() if c.id == slow.connection_id).close_reason


@pytest.mark.anyio
async def test_side_by_side_of_async_client_streams(emu: Emulator) -> None:
    requests = {"x": params("first question"), "y": params("second question")}
    async with arx.AsyncClient(api_key=KEY, base_url=emu.base_url) as client:
        views = side_by_side(stream_sources(client, requests), max_concurrent=1)
        with anyio.fail_after(WAIT):
            last = await views
    assert list(last) == ["x", "y"] and all(s.complete for s in last.values())
    assert "first question" in last["x"].text and "second question" in last["y"].text


@pytest.mark.anyio
async def test_async_sources_must_be_subscribed_in_the_loop(emu: Emulator) -> None:
    out: Recorder[Tagged[str, arx.StreamEvent]] = Recorder()
    async with arx.AsyncClient(api_key=KEY, base_url=emu.base_url) as client:
        many = stream_many(client, {"a": params("a")})
        await anyio.to_thread.run_sync(lambda: many.subscribe(out))
        await out.await_end()
    assert isinstance(out.error, RuntimeError) and "event loop" in str(out.error)
    assert emu.stats.requests() == []


def test_bad_parameters_fail_their_own_stream(emu: Emulator) -> None:
    requests: dict[str, Any] = {"ok": params("fine"), "bad": {"model": "m"}}
    out: Recorder[Tagged[str, arx.StreamEvent | StreamFailed]] = Recorder()
    with arx.Client(api_key=KEY, base_url=emu.base_url) as client:
        stream_many(client, requests, isolate_errors=True).subscribe(out)
        out.wait()
    failed = by_key(out.items)["bad"]
    assert len(failed) == 1 and isinstance(failed[0], StreamFailed)
    assert isinstance(failed[0].error, TypeError)
