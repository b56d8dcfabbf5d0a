"""A `BatchRun`'s decisions, driven by hand: the run is written once, without I/O.

`BatchRun._steps` yields each request it needs and gets its answer back; the sync and the
async drivers only do the requests and the waits. Here the test is the driver: it answers
each step and checks what the run asks next (no server, no thread, no clock).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

import anthropic_rx as arx
from anthropic_rx.batches._run import (
    BatchRun,
    Cancel,
    Create,
    Failed,
    Read,
    Retrieve,
    Stepper,
    Wait,
)
from anthropic_rx.client import MessageBatch, MessageBatchRequestCounts

from .helpers import KEY, requests

_NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _batch(batch_id: str, status: str = "in_progress", done: int = 0) -> MessageBatch:
    return MessageBatch(
        id=batch_id,
        processing_status=status,
        request_counts=MessageBatchRequestCounts(processing=2 - done, succeeded=done),
        created_at=_NOW,
        expires_at=_NOW,
        results_url=f"http://127.0.0.1:9/{batch_id}/results" if status == "ended" else None,
    )


@pytest.fixture
def client() -> Iterator[arx.Client]:
    with arx.Client(api_key=KEY, base_url="http://127.0.0.1:9") as client:  # never contacted
        yield client


def _drive(
    client: arx.Client, parts: list[dict[str, Any]] | None, ids: tuple[str, ...] = ()
) -> tuple[BatchRun, Stepper]:
    run = BatchRun(client, parts, ids, poll_interval=1.0, max_poll_interval=60.0, backoff=2.0)
    return run, Stepper(run._steps())  # pyright: ignore[reportPrivateUsage]


def test_create_wait_poll_with_backoff_then_read(client: arx.Client) -> None:
    part = requests(2)
    run, steps = _drive(client, [part])
    assert steps.next == Create(part)
    steps.answer(_batch("b1"))
    assert steps.next == Wait(1.0)
    steps.answer(None)
    assert steps.next == Retrieve("b1")
    steps.answer(_batch("b1"))  # no change: the next wait is longer
    assert steps.next == Wait(2.0)
    steps.answer(None)
    steps.answer(_batch("b1", done=1))  # a change: the wait stays
    assert steps.next == Wait(2.0)
    steps.answer(None)
    ended = _batch("b1", "ended", done=2)
    steps.answer(ended)
    assert steps.next == Read("b1", ended)
    steps.answer(True)
    assert steps.next is None
    assert run.latest is not None
    assert (run.latest.processing_status, run.latest.polls) == ("ended", 3)


def test_a_429_while_polling_waits_at_least_its_retry_after(client: arx.Client) -> None:
    _, steps = _drive(client, [requests(2)])
    steps.answer(_batch("b1"))
    steps.answer(None)
    assert steps.next == Retrieve("b1")
    limited = arx.RateLimitError("429 rate_limit_error", status_code=429)
    limited.retry_after = 5.0
    steps.answer(Failed(limited))
    assert isinstance(steps.next, Wait)
    assert steps.next.delay >= 5.0


def test_a_failed_creation_cancels_what_was_made_and_names_it(client: arx.Client) -> None:
    first, second = requests(1, "a"), requests(1, "b")
    _, steps = _drive(client, [first, second])
    steps.answer(_batch("b1"))
    assert steps.next == Create(second)
    down = arx.APIConnectionError("could not connect")
    steps.answer(Failed(down))
    assert steps.next == Cancel("b1")
    with pytest.raises(arx.APIConnectionError) as caught:
        steps.answer(Failed(arx.APIConnectionError("still down")))  # logged, not raised
    assert caught.value is down
    assert "b1" in " ".join(getattr(down, "__notes__", []))


def test_abort_cancels_before_the_next_poll(client: arx.Client) -> None:
    run, steps = _drive(client, [requests(2)])
    steps.answer(_batch("b1"))
    assert steps.next == Wait(1.0)
    run.abort()
    steps.answer(None)
    assert steps.next == Cancel("b1")
    refused = arx.APIStatusError("409 it has ended", status_code=409)
    steps.answer(Failed(refused))  # it ended meanwhile: the run polls on
    assert steps.next == Wait(1.0)
    steps.answer(None)
    assert steps.next == Retrieve("b1")


def test_attach_retrieves_each_batch_then_reads_the_ended_ones(client: arx.Client) -> None:
    run, steps = _drive(client, None, ("b1", "b2"))
    assert steps.next == Retrieve("b1")
    one = _batch("b1", "ended", done=2)
    steps.answer(one)
    assert steps.next == Retrieve("b2")
    two = _batch("b2", "ended", done=2)
    steps.answer(two)
    assert steps.next == Read("b1", one)
    steps.answer(True)
    assert steps.next == Read("b2", two)
    steps.answer(True)
    assert steps.next is None
    assert run.batch_ids == ("b1", "b2")


def test_a_run_stopped_while_reading_asks_nothing_more(client: arx.Client) -> None:
    _, steps = _drive(client, None, ("b1",))
    steps.answer(_batch("b1", "ended", done=2))
    assert isinstance(steps.next, Read)
    steps.answer(False)  # the driver stopped reading: the run was detached
    assert steps.next is None
