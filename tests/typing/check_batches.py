# pyright: strict
"""What the batch API infers: a run's items, its views, the resources' answers."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator, Iterator, Mapping
from typing import Any, assert_type

from reactivex import Observable

import anthropic_rx as arx
from anthropic_rx.batches import (
    BatchItem,
    BatchProgress,
    BatchRequestError,
    BatchRun,
    DeletedMessageBatch,
    MessageBatch,
    MessageBatchIndividualResponse,
    attach,
    run_batch,
    run_requests,
    split_batches,
)
from anthropic_rx.concurrency import Tagged

REQUESTS: dict[str, dict[str, Any]] = {}


def sync_client(client: arx.Client) -> None:
    run = run_batch(client, REQUESTS)
    assert_type(run, BatchRun)
    assert_type(run.progress(), Observable[BatchProgress])
    assert_type(run.results(), Observable[Tagged[str, arx.Message | BatchRequestError]])
    items: Observable[BatchItem] = run
    assert_type(items.pipe(lambda o: o), Observable[BatchItem])
    assert_type(run.wait_created(), tuple[str, ...])
    assert_type(attach(client, "msgbatch_1"), BatchRun)
    assert_type(
        run_requests(client, REQUESTS, via="batch"),
        Observable[Tagged[str, arx.Message | Exception]],
    )
    assert_type(split_batches(REQUESTS), list[dict[str, Mapping[str, Any]]])
    batches = client.messages.batches
    assert_type(batches.create(REQUESTS), MessageBatch)
    assert_type(batches.retrieve("id"), MessageBatch)
    assert_type(batches.list(), Iterator[MessageBatch])
    assert_type(batches.delete("id"), DeletedMessageBatch)
    assert_type(batches.results("id"), Generator[MessageBatchIndividualResponse, None, None])
    run_batch(client, REQUESTS, poll_interval="1")  # type: ignore[arg-type]
    run_requests(client, REQUESTS, via="pigeon")  # type: ignore[arg-type]


async def async_client(client: arx.AsyncClient) -> None:
    batches = client.messages.batches
    assert_type(await batches.create(REQUESTS), MessageBatch)
    assert_type(batches.results("id"), AsyncGenerator[MessageBatchIndividualResponse, None])
    assert_type(run_batch(client, REQUESTS), BatchRun)
