"""`BatchRun`, `attach`, `run_requests`: the hot handle over real sockets to the emulator."""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import pytest
from reactivex import operators as ops

import anthropic_rx as arx
from anthropic_rx.batches import (
    MAX_BATCH_REQUESTS,
    BatchInputError,
    BatchProgress,
    BatchRequestCanceledError,
    BatchRequestExpiredError,
    BatchRequestFailedError,
    BatchResultUnreadableError,
    attach,
    run_batch,
    run_requests,
    split_batches,
)
from anthropic_rx.concurrency import Tagged
from anthropic_rx.emulator import Emulator

from .helpers import (
    FAST,
    WAIT,
    async_client,
    batch_requests,
    client,
    collect,
    params,
    requests,
)


def _creates(emu: Emulator) -> list[Any]:
    return [r for r in batch_requests(emu) if r.method == "POST" and r.path.endswith("batches")]


def test_progress_then_typed_results(emu: Emulator) -> None:
    with client(emu, batch_time=0.1, fail=["q2"], bad_lines=["q3"]) as c:
        run = run_batch(c, requests(5), **FAST)
        got, _ = collect(run)
        got.wait()
    assert got.completed and got.error is None
    progress = got.progress
    assert progress[0].processing_status == "creating"
    assert progress[-1].processing_status == "ended"
    assert progress[-1].request_counts.succeeded + progress[-1].request_counts.errored == 5
    assert all(a != b for a, b in itertools.pairwise(progress))  # only changes
    assert all(isinstance(p, BatchProgress) for p in progress)
    results = got.results
    assert sorted(results) == ["q0", "q1", "q2", "q3", "q4"]
    assert isinstance(results["q0"], arx.Message)
    assert isinstance(results["q2"], BatchRequestFailedError)
    assert isinstance(results["q3"], BatchResultUnreadableError)  # that line only
    assert isinstance(results["q4"], arx.Message)
    last_progress = max(i for i, item in enumerate(got.items) if isinstance(item, BatchProgress))
    first_result = min(i for i, item in enumerate(got.items) if isinstance(item, Tagged))
    assert first_result > got.items.index(progress[1])  # results only once the batch exists
    assert last_progress < len(got.items)


def test_the_message_is_the_class_a_stream_gives(emu: Emulator) -> None:
    with client(emu, batch_time=0) as c:
        items = run_batch(c, requests(1), **FAST).results().pipe(ops.to_list()).run()
    assert type(items[0].value) is arx.Message
    assert items[0].value.model_dump(mode="json")["type"] == "message"


def test_late_subscribers_get_the_latest_progress_and_what_follows(emu: Emulator) -> None:
    with client(emu, batch_gate="late", batch_time=0) as c:
        run = run_batch(c, requests(2), **FAST)
        first, _ = collect(run)
        first.wait_for(lambda items: items and items[-1].processing_status == "in_progress")
        second, _ = collect(run.results())
        latest, _ = collect(run.progress())
        assert latest.items == [run.latest]
        emu.release("late")
        first.wait()
        second.wait()
    assert sorted(second.results) == ["q0", "q1"]
    assert first.results.keys() == second.results.keys()
    after, _ = collect(run)  # after the end: the last progress, then completed
    assert after.wait().completed and after.items == [run.latest]


def test_polling_backs_off_and_waits_out_429s(emu: Emulator) -> None:
    with client(emu, batch_time=0.3, poll_429=3, retry_after=0.05) as c:
        c = c.with_options(max_retries=0)  # every 429 reaches the run, which waits it out
        run = run_batch(c, requests(2), poll_interval=0.02, max_poll_interval=0.08)
        got, _ = collect(run)
        got.wait()
    assert got.completed, got.error
    polls = [r for r in batch_requests(emu) if r.method == "GET" and "results" not in r.path]
    assert [r.status for r in polls[:3]] == [429, 429, 429]
    assert run.latest is not None and run.latest.polls == len(polls)
    # Never faster than poll_interval, and the 429s asked for 0.05 s: a bounded count.
    assert len(polls) <= 3 + 0.6 / 0.02


def test_abort_cancels_on_the_server_and_keeps_what_was_done(emu: Emulator) -> None:
    with client(emu, batch_time=20) as c:
        run = run_batch(c, requests(2000), **FAST)
        got, _ = collect(run)
        got.wait_for(lambda items: items and items[-1].request_counts.succeeded >= 1)
        run.abort()
        run.abort()  # twice is harmless
        got.wait()
    assert got.completed, got.error
    cancels = [r for r in batch_requests(emu) if r.path.endswith("/cancel")]
    assert len(cancels) == 1
    results = got.results
    assert len(results) == 2000
    done = [k for k, v in results.items() if isinstance(v, arx.Message)]
    canceled = [k for k, v in results.items() if isinstance(v, BatchRequestCanceledError)]
    assert done and canceled and len(done) + len(canceled) == 2000
    final = got.progress[-1]
    assert final.processing_status == "ended"
    assert (final.request_counts.succeeded, final.request_counts.canceled) == (
        len(done),
        len(canceled),
    )


def test_expired_requests_come_typed(emu: Emulator) -> None:
    with client(emu, batch_time=1000, expire_after=0.05) as c:
        got, _ = collect(run_batch(c, requests(3), **FAST))
        got.wait()
    assert all(isinstance(v, BatchRequestExpiredError) for v in got.results.values())
    assert got.progress[-1].request_counts.expired == 3


def test_a_restart_reattaches_by_id(emu: Emulator) -> None:
    with client(emu, batch_gate="restart", batch_time=0) as c:
        run = run_batch(c, requests(3), **FAST)
        got, subscription = collect(run)
        got.wait_for(lambda items: items and items[-1].processing_status == "in_progress")
        saved = run.batch_ids
        assert run.wait_created(WAIT) == saved and len(saved) == 1
        subscription.dispose()  # the last subscriber leaves: the run stops watching
        assert c.messages.batches.retrieve(saved[0]).processing_status == "in_progress"
    # "After the restart": a new client, the saved ids.
    with client(emu) as c:
        again = attach(c, saved, **FAST)
        got2, _ = collect(again)
        got2.wait_for(lambda items: items and isinstance(items[0], BatchProgress))
        assert got2.items[0].batch_ids == saved
        emu.release("restart")
        got2.wait()
    assert got2.completed and sorted(got2.results) == ["q0", "q1", "q2"]
    assert not got.done.is_set()  # the detached run never ended its old subscriber
    assert len(_creates(emu)) == 1


def test_splitting_at_the_count_limit_merges_back(emu: Emulator) -> None:
    with client(emu, batch_time=0.05) as c:
        run = run_batch(c, requests(5), max_requests=2, **FAST)
        got, _ = collect(run)
        got.wait()
    assert got.completed
    assert [len(json.loads(r.body)["requests"]) for r in _creates(emu)] == [2, 2, 1]
    assert len(got.progress[-1].batch_ids) == 3
    assert got.progress[-1].request_counts.succeeded == 5
    assert sorted(got.results) == sorted(requests(5))


def test_splitting_at_the_byte_limit(emu: Emulator) -> None:
    reqs = requests(4)
    one = len(json.dumps({"custom_id": "q0", "params": {**reqs["q0"], "stream": False}}))
    parts = split_batches(reqs, max_bytes=2 * one + 20)
    assert [list(p) for p in parts] == [["q0", "q1"], ["q2", "q3"]]
    with client(emu, batch_time=0) as c:
        got, _ = collect(run_batch(c, reqs, max_bytes=2 * one + 20, **FAST))
        got.wait()
    sizes = [len(r.body) for r in _creates(emu)]
    assert len(sizes) == 2 and all(size <= 2 * one + 20 for size in sizes)
    assert sorted(got.results) == sorted(reqs)


def test_splitting_at_the_api_limit() -> None:
    tiny = {"model": "m", "max_tokens": 1, "messages": [{"role": "user", "content": "x"}]}
    parts = split_batches({f"r{i}": tiny for i in range(MAX_BATCH_REQUESTS + 1)})
    assert [len(p) for p in parts] == [MAX_BATCH_REQUESTS, 1]


def test_a_failed_creation_cancels_the_batches_already_made(emu: Emulator) -> None:
    with client(emu, batch_gate="never", refuse_creates_after=1) as c:
        got, _ = collect(run_batch(c, requests(3), max_requests=2, **FAST))
        got.wait()
        assert isinstance(got.error, arx.BadRequestError)
        first = _creates(emu)[0]
        made = [n for n in getattr(got.error, "__notes__", []) if "canceled" in n]
        assert made, "the error names the batches it canceled"
        cancels = [r for r in batch_requests(emu) if r.path.endswith("/cancel")]
        assert len(cancels) == 1 and first.status == 200


def test_creation_error_is_typed_and_names_what_was_canceled() -> None:
    with Emulator(api_key="sk-only-this-key-0123456789") as emu:
        with arx.Client(api_key="sk-another-key-0123456789", base_url=emu.base_url) as c:
            got, _ = collect(run_batch(c, requests(3), max_requests=2, **FAST))
            got.wait()
            with pytest.raises(arx.AuthenticationError):
                run_batch(c, requests(1), **FAST).wait_created(WAIT)
        assert isinstance(got.error, arx.AuthenticationError)
        assert emu.stats.wait_idle(timeout=WAIT)


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        ({}, "at least one"),
        ({"bad id!": params("x")}, "1-64"),
        ({"ok": {"model": "m"}}, "missing required"),
    ],
)
def test_bad_input_is_refused_before_anything_is_sent(
    emu: Emulator, bad: dict[str, Any], match: str
) -> None:
    with client(emu) as c, pytest.raises(BatchInputError, match=match):
        run_batch(c, bad)
    assert batch_requests(emu) == []


def test_a_request_too_large_is_refused_before_sending(emu: Emulator) -> None:
    big = {"big": params("x" * 5000), "small": params("y")}
    with client(emu) as c, pytest.raises(BatchInputError, match="more than a whole batch") as e:
        run_batch(c, big, max_bytes=4000)
    assert e.value.custom_id == "big"
    assert batch_requests(emu) == []


def _texts(source: Any) -> dict[str, str]:
    """A per-request final-message pipeline that knows nothing of streams or batches."""
    pairs = source.pipe(
        ops.filter(lambda t: isinstance(t.value, arx.Message)),
        ops.map(lambda t: (t.key, t.value.content[0].text)),
        ops.to_list(),
    ).run()
    return dict(pairs)


def test_one_switch_from_streams_to_batches(emu: Emulator) -> None:
    reqs = requests(3)
    with client(emu, batch_time=0) as c:
        streamed = _texts(run_requests(c, reqs, via="stream"))
        batched = _texts(run_requests(c, reqs, via="batch", **FAST))
    assert sorted(streamed) == sorted(batched) == ["q0", "q1", "q2"]
    for key in reqs:  # the emulator answers each the way it does: both mention the question
        assert key.removeprefix("q") in batched[key]
    with client(emu) as c:
        with pytest.raises(ValueError, match="via"):
            run_requests(c, reqs, via="carrier-pigeon")  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="only a batch"):
            run_requests(c, reqs, via="stream", poll_interval=1)


def test_errors_are_items_on_both_paths(emu: Emulator) -> None:
    reqs = {"ok": params("x"), "bad": params("y", messages=[])}
    with client(emu, batch_time=0) as c:
        for via in ("stream", "batch"):
            items = run_requests(c, reqs, via=via, **(FAST if via == "batch" else {}))
            values = {t.key: t.value for t in items.pipe(ops.to_list()).run()}
            assert isinstance(values["ok"], arx.Message)
            assert isinstance(values["bad"], arx.AnthropicRxError)


def test_async_client_run(emu: Emulator) -> None:
    async def main() -> list[Any]:
        async with async_client(emu, batch_time=0.05, cut_results=1, cut_after=1) as c:
            run = run_batch(c, requests(3), max_requests=2, **FAST)
            return await run.pipe(ops.to_list())

    items = asyncio.run(main())
    results = {i.key: i.value for i in items if isinstance(i, Tagged)}
    assert sorted(results) == ["q0", "q1", "q2"]
    assert all(isinstance(v, arx.Message) for v in results.values())


def test_async_abort(emu: Emulator) -> None:
    async def main() -> list[Any]:
        async with async_client(emu, batch_gate="held") as c:
            run = run_batch(c, requests(2), **FAST)
            done = asyncio.get_running_loop().create_future()
            items: list[Any] = []

            def on_next(item: Any) -> None:
                items.append(item)
                if isinstance(item, BatchProgress) and item.processing_status == "in_progress":
                    run.abort()

            run.subscribe(on_next, done.set_exception, lambda: done.set_result(None))
            await asyncio.wait_for(done, WAIT)
            return items

    items = asyncio.run(main())
    results = [i.value for i in items if isinstance(i, Tagged)]
    assert len(results) == 2 and all(isinstance(v, BatchRequestCanceledError) for v in results)


def test_options_are_checked(emu: Emulator) -> None:
    with client(emu) as c:
        for bad in ({"poll_interval": 0}, {"max_poll_interval": float("inf")}, {"backoff": 0.5}):
            with pytest.raises(ValueError, match="expected"):
                run_batch(c, requests(1), **bad)
        with pytest.raises(ValueError, match="at least one"):
            attach(c, [])
    assert batch_requests(emu) == []


def test_async_client_run_on_trio(emu: Emulator) -> None:
    trio = pytest.importorskip("trio")

    async def main() -> list[Any]:
        async with async_client(emu, batch_time=0.05) as c:
            run = run_batch(c, requests(3), **FAST)
            return await arx.last_value(run.results().pipe(ops.to_list()))  # trio-safe await

    items = trio.run(main)
    assert sorted(i.key for i in items) == ["q0", "q1", "q2"]
