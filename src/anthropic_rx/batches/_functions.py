"""`run_batch`, `attach` and `run_requests`: the ways into a `BatchRun`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from reactivex import Observable
from reactivex import operators as ops

from ..client import (
    MAX_BATCH_BYTES,
    MAX_BATCH_REQUESTS,
    AsyncClient,
    Client,
    split_batches,
)
from ..concurrency import StreamFailed, Tagged, merge_tagged, stream_sources
from ..events import Message
from ..operators import final_message
from ._run import BatchRun

__all__ = ["attach", "run_requests", "run_batch"]


def run_batch(
    client: Client | AsyncClient,
    requests: Mapping[str, Mapping[str, Any]],
    /,
    *,
    poll_interval: float = 1.0,
    max_poll_interval: float = 60.0,
    backoff: float = 1.5,
    max_requests: int = MAX_BATCH_REQUESTS,
    max_bytes: int = MAX_BATCH_BYTES,
) -> BatchRun:
    """Make a `BatchRun` for ``custom_id → params``: nothing is sent until it starts.

    Every request is checked here, before anything is sent. A mapping larger than one
    batch allows (*max_requests* requests or *max_bytes* bytes, the API's limits by
    default) becomes several batches, created one after another and merged back: progress
    adds their counts up, results come from each as soon as it has ended.

    Args:
        client: a `Client` (the run polls on a thread) or an `AsyncClient` (a task on the
            running loop: call this inside it).
        requests: the parameters of each request by ``custom_id`` (1-64 letters, digits,
            ``_``, ``-``): the keyword arguments of ``messages.create``, the shape
            `stream_many` takes.
        poll_interval: seconds before the first poll.
        max_poll_interval: the longest wait between polls (60 s: about 60 requests per
            batch-hour, far below the API's limits for batch requests).
        backoff: how much longer each wait is than the last when nothing changed.
        max_requests: the most requests per batch.
        max_bytes: the most bytes of create request per batch.

    Raises:
        BatchInputError: an empty mapping, an invalid or duplicated ``custom_id``, bad
            params, or one request larger than a batch may be.
        ValueError: a polling option or a limit out of range.

    Example:
        >>> run = run_batch(client, {f"q{i}": params(q) for i, q in enumerate(questions)})
        >>> run.progress().subscribe(print)
        >>> messages = run.results().pipe(ops.to_list()).run()
    """
    parts = split_batches(requests, max_requests=max_requests, max_bytes=max_bytes)
    return BatchRun(
        client,
        parts,
        poll_interval=poll_interval,
        max_poll_interval=max_poll_interval,
        backoff=backoff,
    )


def attach(
    client: Client | AsyncClient,
    batch_ids: str | Iterable[str],
    /,
    *,
    poll_interval: float = 1.0,
    max_poll_interval: float = 60.0,
    backoff: float = 1.5,
) -> BatchRun:
    """Pick up batches that already exist (after a restart): the same `BatchRun`, by id.

    Nothing is created: the run polls the batches until they end and delivers every
    result of each (all of them: skip the ``custom_id``s you had already stored).

    Example:
        >>> saved = run.batch_ids            # before the restart
        >>> run = attach(client, saved)      # after it
    """
    ids = [batch_ids] if isinstance(batch_ids, str) else list(batch_ids)
    if not ids:
        raise ValueError("expected at least one batch id")
    return BatchRun(
        client,
        None,
        ids,
        poll_interval=poll_interval,
        max_poll_interval=max_poll_interval,
        backoff=backoff,
    )


def _unwrap(item: Tagged[str, Any]) -> Tagged[str, Message | Exception]:
    value = item.value
    return Tagged(item.key, value.error if isinstance(value, StreamFailed) else value)


def run_requests(
    client: Client | AsyncClient,
    requests: Mapping[str, Mapping[str, Any]],
    /,
    *,
    via: Literal["stream", "batch"] = "stream",
    max_concurrent: int | None = 4,
    **batch_options: Any,
) -> Observable[Tagged[str, Message | Exception]]:
    """Each request's final `Message` (or its error), by key: streamed now, or batched.

    The one switch between latency and cost: the same mapping, the same items, so a
    pipeline downstream works unchanged either way. ``via="stream"`` runs the requests
    with `stream_sources` (at most *max_concurrent* at once, a 429 pausing the group); a
    failed stream's item is its error. ``via="batch"`` runs them as a `BatchRun` (half
    the price, within 24 hours); an unsuccessful request's item is its
    `BatchRequestError`. Items come in the order requests finish.

    Args:
        client: a `Client` or an `AsyncClient`.
        requests: the parameters of each request by key (a ``custom_id`` for a batch).
        via: ``"stream"`` or ``"batch"``.
        max_concurrent: the most streams at once (streams only).
        **batch_options: options of `run_batch` (batches only).

    Example:
        >>> answers = run_requests(client, requests, via="batch").pipe(
        ...     ops.filter(lambda t: isinstance(t.value, arx.Message)),
        ...     ops.map(lambda t: (t.key, t.value.content[0].text)),
        ... )
    """
    if via == "batch":
        return run_batch(client, requests, **batch_options).results().pipe(ops.map(_unwrap))
    if via != "stream":
        raise ValueError(f"expected via='stream' or via='batch', got {via!r}")
    if batch_options:
        raise TypeError(f"options only a batch takes: {', '.join(sorted(batch_options))}")
    sources = {
        key: source.pipe(final_message())
        for key, source in stream_sources(client, requests).items()
    }
    merged = merge_tagged(sources, max_concurrent=max_concurrent, isolate_errors=True)
    return merged.pipe(ops.map(_unwrap))
