"""What the batch resources share: encoding and checking requests, splitting, reading lines.

Pure code, no I/O: `encode_requests` turns a ``custom_id → params`` mapping into the JSON of
each request (checked here, before anything is sent), `split_requests` cuts them into
batches under the API's limits, and `LineReader` cuts a results body into lines in bounded
memory, whatever the chunking.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, cast

import httpx
from pydantic import ValidationError

from .._exceptions import APIResponseValidationError, excerpt
from ._batch_types import (
    BatchInputError,
    MessageBatchIndividualResponse,
    MessageBatchUnreadableResult,
)
from ._params import build_request

__all__ = [
    "MAX_BATCH_BYTES",
    "MAX_BATCH_REQUESTS",
    "EncodedRequest",
    "LineReader",
    "batch_body",
    "check_batch_id",
    "encode_requests",
    "parse_line",
    "same_origin",
    "split_batches",
    "split_requests",
]

#: The API's limits of one batch: 100,000 requests, 256 MB of request body.
MAX_BATCH_REQUESTS = 100_000
MAX_BATCH_BYTES = 256_000_000
_CUSTOM_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_ID_IN_LINE = re.compile(rb'"custom_id"\s*:\s*"([a-zA-Z0-9_-]{1,64})"')
_BODY_OVERHEAD = len(b'{"requests":[]}')
_BATCH_ID = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True, slots=True)
class EncodedRequest:
    """One request of a batch, as the JSON the API takes (``{"custom_id":…,"params":…}``)."""

    custom_id: str
    data: bytes


def _pairs(
    requests: Mapping[str, Mapping[str, Any]] | Iterable[Mapping[str, Any]],
) -> Iterator[tuple[object, object]]:
    if isinstance(requests, Mapping):
        yield from cast("Mapping[object, object]", requests).items()
        return
    for i, item in enumerate(requests):
        if not isinstance(item, Mapping) or set(item) != {"custom_id", "params"}:  # pyright: ignore[reportUnnecessaryIsInstance]
            raise BatchInputError(
                f"expected request {i} to be {{'custom_id': ..., 'params': ...}}, got {item!r:.80}"
            )
        yield item["custom_id"], item["params"]


def encode_requests(
    requests: Mapping[str, Mapping[str, Any]] | Iterable[Mapping[str, Any]],
) -> list[EncodedRequest]:
    """Check every request and encode it; raise before anything is sent.

    *requests* is a mapping ``custom_id → params`` (the shape `stream_many` takes), or the
    API's list of ``{"custom_id": ..., "params": ...}``. Params are the keyword arguments of
    ``messages.create`` (`MessageParams`), ``extra_body`` included; ``extra_headers`` and
    ``extra_query`` cannot travel inside a batch.

    Raises:
        BatchInputError: no request, a ``custom_id`` that is not a string of 1-64 letters,
            digits, ``_`` or ``-``, a duplicated one, params that are missing a required
            field, hold an unknown one or a non-finite number, or one request larger than
            a whole batch may be.
    """
    out: list[EncodedRequest] = []
    seen: set[str] = set()
    for custom_id, params in _pairs(requests):
        if not isinstance(custom_id, str) or not _CUSTOM_ID.fullmatch(custom_id):
            raise BatchInputError(
                f"expected each custom_id to be 1-64 letters, digits, '_' or '-', got "
                f"{custom_id!r:.80}",
                custom_id=custom_id if isinstance(custom_id, str) else None,
            )
        if custom_id in seen:
            raise BatchInputError(
                f"expected unique custom_ids, but {custom_id!r} comes twice", custom_id=custom_id
            )
        seen.add(custom_id)
        if not isinstance(params, Mapping):
            raise BatchInputError(
                f"expected the params of {custom_id!r} to be a mapping, got "
                f"{type(params).__name__}",
                custom_id=custom_id,
            )
        params = cast("Mapping[str, Any]", params)
        for name in ("extra_headers", "extra_query"):
            if params.get(name):
                raise BatchInputError(
                    f"request {custom_id!r}: {name} cannot travel inside a batch (the batch "
                    "is one HTTP request); pass API fields in extra_body",
                    custom_id=custom_id,
                )
        try:
            parts = build_request(params, stream=False)
        except (TypeError, ValueError) as exc:
            raise BatchInputError(f"request {custom_id!r}: {exc}", custom_id=custom_id) from exc
        data = b'{"custom_id":' + json.dumps(custom_id).encode() + b',"params":'
        data += parts["body"] + b"}"
        if len(data) + _BODY_OVERHEAD > MAX_BATCH_BYTES:
            raise BatchInputError(
                f"request {custom_id!r} takes {len(data):,} bytes, more than a whole batch "
                f"may ({MAX_BATCH_BYTES:,} bytes)",
                custom_id=custom_id,
            )
        out.append(EncodedRequest(custom_id, data))
    if not out:
        raise BatchInputError("expected at least one request, got none")
    return out


def split_requests(
    requests: list[EncodedRequest],
    *,
    max_requests: int = MAX_BATCH_REQUESTS,
    max_bytes: int = MAX_BATCH_BYTES,
) -> list[list[EncodedRequest]]:
    """Cut *requests* into batches of at most *max_requests* and *max_bytes* each, in order.

    Example:
        >>> [len(b) for b in split_requests(encoded, max_requests=2)]
        [2, 2, 1]
    """
    chunks: list[list[EncodedRequest]] = []
    current: list[EncodedRequest] = []
    size = _BODY_OVERHEAD
    for request in requests:
        cost = len(request.data) + (1 if current else 0)
        if current and (len(current) >= max_requests or size + cost > max_bytes):
            chunks.append(current)
            current, size, cost = [], _BODY_OVERHEAD, len(request.data)
        current.append(request)
        size += cost
    if current:
        chunks.append(current)
    return chunks


def split_batches(
    requests: Mapping[str, Mapping[str, Any]] | Iterable[Mapping[str, Any]],
    /,
    *,
    max_requests: int = MAX_BATCH_REQUESTS,
    max_bytes: int = MAX_BATCH_BYTES,
) -> list[dict[str, Mapping[str, Any]]]:
    """Check *requests* and cut them into the ``custom_id → params`` of each batch.

    Each part holds at most *max_requests* requests and *max_bytes* bytes of create
    request (the API's limits by default), in the order given.

    Raises:
        BatchInputError: bad input (see `encode_requests`), before anything is sent.
        ValueError: a limit below 1.

    Example:
        >>> [len(part) for part in split_batches(requests, max_requests=2)]
        [2, 2, 1]
    """
    if max_requests < 1 or max_bytes < 1:
        raise ValueError(f"expected limits >= 1, got {max_requests=} and {max_bytes=}")
    params = dict(_pairs(requests))
    encoded = encode_requests(cast("Mapping[str, Mapping[str, Any]]", params))
    for request in encoded:
        if len(request.data) + _BODY_OVERHEAD > max_bytes:
            raise BatchInputError(
                f"request {request.custom_id!r} takes {len(request.data):,} bytes, more than "
                f"a whole batch may ({max_bytes:,} bytes)",
                custom_id=request.custom_id,
            )
    return [
        {r.custom_id: cast("Mapping[str, Any]", params[r.custom_id]) for r in part}
        for part in split_requests(encoded, max_requests=max_requests, max_bytes=max_bytes)
    ]


def batch_body(requests: Iterable[EncodedRequest]) -> bytes:
    """The create request's body for *requests*."""
    return b'{"requests":[' + b",".join(r.data for r in requests) + b"]}"


def check_batch_id(batch_id: str) -> str:
    """Refuse an empty batch id, or one that would change the URL's path.

    Raises:
        ValueError: not a non-empty string of letters, digits, ``_`` and ``-``.
    """
    if not isinstance(batch_id, str) or not _BATCH_ID.fullmatch(batch_id):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise ValueError(f"expected a batch id such as 'msgbatch_01…', got {batch_id!r}")
    return batch_id


def same_origin(results_url: str, base: httpx.URL) -> httpx.URL:
    """The results URL, refused unless it is on the client's own origin (the key goes there).

    Raises:
        APIResponseValidationError: another scheme, host or port than ``base_url``'s.
    """
    url = httpx.URL(results_url)
    if (url.scheme, url.host, url.port) != (base.scheme, base.host, base.port):
        raise APIResponseValidationError(
            f"expected the batch's results_url on {base.scheme}://{base.host}, got "
            f"{results_url!r}: the API key is never sent to another origin",
            status_code=200,
        )
    return url


def parse_line(line: bytes) -> MessageBatchIndividualResponse:
    """Read one result line; a line that is not one becomes an ``unreadable`` result."""
    try:
        return MessageBatchIndividualResponse.model_validate_json(line)
    except (ValidationError, ValueError) as exc:
        match = _ID_IN_LINE.search(line)
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if isinstance(exc, ValidationError):
            reason = f"{exc.error_count()} validation error(s): {exc.errors()[0]['msg']}"
        return MessageBatchIndividualResponse(
            custom_id=match.group(1).decode() if match else "",
            result=MessageBatchUnreadableResult(line=excerpt(line), reason=reason),
        )


class LineReader:
    """Cut bytes into lines (LF or CRLF), holding at most one unfinished line.

    A line longer than *limit* bytes is not kept: it comes out as its first *limit* bytes
    (which do not parse, so its request gets an ``unreadable`` result) and the rest of it
    is skipped.
    """

    __slots__ = ("_buffer", "_limit", "_skipping")

    def __init__(self, limit: int | None) -> None:
        self._buffer = bytearray()
        self._limit = limit
        self._skipping = False

    def feed(self, chunk: bytes) -> list[bytes]:
        """Return the lines *chunk* completes (empty lines left out)."""
        lines: list[bytes] = []
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            if end < 0:
                break
            piece = chunk[start:end]
            if self._skipping:
                self._skipping = False
            else:
                if self._buffer:
                    self._buffer += piece
                    piece = bytes(self._buffer)
                    self._buffer.clear()
                piece = piece.rstrip(b"\r")
                if piece:
                    lines.append(piece)
            start = end + 1
        if not self._skipping:
            self._buffer += chunk[start:]
            if self._limit is not None and len(self._buffer) > self._limit:
                lines.append(bytes(self._buffer[: self._limit]))
                self._buffer.clear()
                self._skipping = True
        return lines

    def flush(self) -> bytes | None:
        """The last line when the body did not end with a newline, else ``None``."""
        rest = bytes(self._buffer).rstrip(b"\r")
        self._buffer.clear()
        return rest or None
