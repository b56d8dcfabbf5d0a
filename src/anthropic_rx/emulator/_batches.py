"""The Message Batches API of the emulator: ``/v1/messages/batches…``, results as JSONL.

A batch is processed on the emulator's clock: its requests end one after another, evenly
spread over ``batch_time`` seconds (option, default 1), so ``request_counts`` move as they
would on a busy day, compressed. Options come from the create request's ``x-emulator-options``
header (or the server's ``options=``) and stay with the batch:

- ``batch_time``: seconds the batch takes to process (0: ended at once);
- ``batch_gate``: the name of a gate (`Emulator.release`) the batch waits on before it
  starts processing, so a test holds it ``in_progress`` as long as it likes;
- ``counts``: ``"live"`` (default) moves the counts as requests end; ``"at_end"`` keeps
  every request ``processing`` until the batch ends, as the API documents;
- ``fail``: custom_ids whose request is ``errored`` (``error_type``, ``message``), and
  ``fail_every``: every n-th request errored; a request whose params the emulator refuses
  (`check_body`) is errored with the API's message, as the API errors it at processing;
- ``expire_after``: seconds after which the requests not done yet are ``expired``;
- ``cancel_time``: seconds a cancel stays ``canceling`` before the batch ends (default 0);
- ``poll_429``: the first N retrieves of the batch get a 429 with ``retry_after`` seconds
  (default 0.05, sent as ``retry-after-ms`` and ``retry-after``);
- ``cut_results``: the first N results downloads stop mid-line (a FIN without the chunked
  end) after ``cut_after`` lines (default: half of them);
- ``bad_lines``: custom_ids whose result line is written as JSON cut in its middle;
- ``refuse_creates_after``: creations after the first N (of this emulator) get a 400.

Each request's memory is a few short fields, and the results file is written lazily in
64 KiB writes, so a batch of 100,000 requests costs the emulator little.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import parse_qsl

from ._exchange import Exchange
from ._generate import last_user_text
from ._validate import Problem, check_auth, check_body, check_version, parse_body
from ._wire import JSONObject, dumps, is_list

__all__ = ["MAX_REQUESTS", "BatchStore"]

#: The API's limits of one batch: requests, and bytes of the create request's body.
MAX_REQUESTS = 100_000
_CUSTOM_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_WRITE = 64 * 1024
_PATH = re.compile(r"^/v1/messages/batches(?:/([^/]+)(?:/(cancel|results))?)?/?$")


def _stamp(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat().replace("+00:00", "Z")


@dataclass(slots=True)
class _Request:
    """What the emulator keeps of one request: enough to write its result line."""

    custom_id: str
    model: str
    prompt: str
    max_tokens: int
    problem: str | None  # errored with this message (the API's wording)
    error_type: str = "invalid_request_error"
    bad_line: bool = False


@dataclass
class _Batch:
    id: str
    requests: list[_Request]
    options: dict[str, Any]
    created: float  # wall clock, for the timestamps
    started: float | None  # monotonic; None while held by its gate
    gate: str | None
    cancel_at: float | None = None  # monotonic
    canceled_wall: float | None = None
    never_started: bool = False  # canceled while held by its gate: nothing was processed
    polls: int = 0
    downloads: int = 0
    ended_at: float | None = None
    outcome: list[str] = field(default_factory=list[str])  # per request once ended

    def duration(self) -> float:
        return max(0.0, float(self.options.get("batch_time", 1.0)))


class BatchStore:
    """Every batch of one emulator, and the handlers of the batch endpoints."""

    def __init__(self) -> None:
        self.batches: dict[str, _Batch] = {}
        self.creates = 0

    def reset(self) -> None:
        """Forget every batch."""
        self.batches.clear()

    # -- the clock ----------------------------------------------------------------------

    def _done(self, batch: _Batch, now: float) -> int:
        """How many requests have ended processing by *now* (in order)."""
        if batch.started is None or batch.never_started:
            return 0
        n = len(batch.requests)
        duration = batch.duration()
        if duration <= 0:
            return n
        return min(n, math.floor(n * (now - batch.started) / duration))

    def _advance(self, batch: _Batch, ex: Exchange) -> None:
        """Move *batch* on to *now*: start it when its gate opens, end it when it is due."""
        now = time.monotonic()
        if batch.started is None and (batch.gate is None or ex.hub.gate(batch.gate).is_set()):
            batch.started = now
        if batch.ended_at is not None:
            return
        n = len(batch.requests)
        expire = batch.options.get("expire_after")
        if batch.cancel_at is not None:
            if now >= batch.cancel_at + float(batch.options.get("cancel_time", 0.0)):
                self._end(batch, self._done(batch, batch.cancel_at), "canceled")
        elif expire is not None and batch.started is not None and now >= batch.started + expire:
            self._end(batch, self._done(batch, batch.started + float(expire)), "expired")
        elif self._done(batch, now) >= n and batch.started is not None:
            self._end(batch, n, "")

    def _end(self, batch: _Batch, done: int, rest: str) -> None:
        batch.outcome = [
            ("errored" if r.problem is not None else "succeeded") if i < done else rest
            for i, r in enumerate(batch.requests)
        ]
        batch.ended_at = time.time()

    def _counts(self, batch: _Batch) -> dict[str, int]:
        names: tuple[str, ...] = ("processing", "succeeded", "errored", "canceled", "expired")
        counts: dict[str, int] = dict.fromkeys(names, 0)
        if batch.ended_at is not None:
            for outcome in batch.outcome:
                counts[outcome] += 1
            return counts
        n = len(batch.requests)
        done = 0 if batch.options.get("counts") == "at_end" else self._done(batch, time.monotonic())
        errored = sum(1 for r in batch.requests[:done] if r.problem is not None)
        counts.update(processing=n - done, succeeded=done - errored, errored=errored)
        return counts

    def _json(self, batch: _Batch, origin: str) -> JSONObject:
        ended = batch.ended_at is not None
        canceling = batch.cancel_at is not None
        status = "ended" if ended else ("canceling" if canceling else "in_progress")
        return {
            "id": batch.id,
            "type": "message_batch",
            "processing_status": status,
            "request_counts": self._counts(batch),
            "created_at": _stamp(batch.created),
            "expires_at": _stamp(batch.created + 86400),
            "ended_at": _stamp(batch.ended_at) if batch.ended_at is not None else None,
            "cancel_initiated_at": (
                _stamp(batch.canceled_wall) if batch.canceled_wall is not None else None
            ),
            "archived_at": None,
            "results_url": f"{origin}/v1/messages/batches/{batch.id}/results" if ended else None,
        }

    # -- the endpoints ------------------------------------------------------------------

    async def handle(
        self,
        ex: Exchange,
        scope: Mapping[str, Any],
        headers: Mapping[str, str],
        raw: bytes,
        api_key: str | None,
        require_version: bool,
        too_large: bool,
        problem: Problem | None,
    ) -> None:
        """Check a batch request as the API does (key, version, size), then answer it."""
        problem = problem or check_auth(headers, api_key)
        problem = problem or check_version(headers, require_version)
        if problem is None and too_large:
            problem = Problem(413, "request_too_large", "Request exceeds the maximum size.")
        if problem is not None:
            await ex.send_error(problem.status, problem.type, problem.message)
            return
        server = scope.get("server") or ("127.0.0.1", 0)
        host = headers.get("host") or f"{server[0]}:{server[1]}"
        query = cast("bytes", scope.get("query_string", b"")).decode("latin-1")
        body, _ = parse_body(raw) if raw else (None, None)
        await self.respond(ex, scope["method"], scope["path"], query, f"http://{host}", body)

    async def respond(
        self, ex: Exchange, method: str, path: str, query: str, origin: str, body: JSONObject | None
    ) -> None:
        """Answer one request to a batch endpoint (auth and version already checked)."""
        match = _PATH.match(path)
        if match is None:
            await ex.send_error(404, "not_found_error", "Not Found")
            return
        batch_id, action = match.group(1), match.group(2)
        allowed = {None: ("GET", "POST"), "cancel": ("POST",), "results": ("GET",)}[action]
        if batch_id is not None and action is None:
            allowed = ("GET", "DELETE")
        if method not in allowed:
            await ex.send_error(
                405, "invalid_request_error", "Method Not Allowed", {"allow": ", ".join(allowed)}
            )
            return
        if batch_id is None:
            if method == "POST":
                await self._create(ex, origin, body)
            else:
                await self._list(ex, origin, query)
            return
        batch = self.batches.get(batch_id)
        if batch is None:
            await ex.send_error(404, "not_found_error", f"message_batch {batch_id} not found")
            return
        self._advance(batch, ex)
        if action == "results":
            await self._results(ex, batch)
        elif action == "cancel":
            if batch.ended_at is None and batch.cancel_at is None:
                batch.cancel_at, batch.canceled_wall = time.monotonic(), time.time()
                if batch.started is None:  # a held batch is canceled all the same
                    batch.started, batch.never_started = batch.cancel_at, True
            self._advance(batch, ex)
            await ex.send_json(200, self._json(batch, origin))
        elif method == "DELETE":
            if batch.ended_at is None:
                await ex.send_error(
                    400,
                    "invalid_request_error",
                    f"Batch {batch.id} cannot be deleted while it is processing: cancel it first",
                )
                return
            del self.batches[batch.id]
            await ex.send_json(200, {"id": batch.id, "type": "message_batch_deleted"})
        else:
            batch.polls += 1
            if batch.polls <= int(batch.options.get("poll_429", 0)):
                wait = float(batch.options.get("retry_after", 0.05))
                headers = {
                    "retry-after-ms": str(round(wait * 1000)),
                    "retry-after": str(math.ceil(wait)),
                }
                await ex.send_error(429, "rate_limit_error", "Rate limited", headers)
                return
            await ex.send_json(200, self._json(batch, origin))

    async def _create(self, ex: Exchange, origin: str, body: JSONObject | None) -> None:
        self.creates += 1
        limit = ex.options.get("refuse_creates_after")
        if limit is not None and self.creates > int(limit):
            await ex.send_error(400, "invalid_request_error", "emulator: creation refused")
            return
        requests, problem = _parse_requests(body, ex.options)
        if problem is not None:
            await ex.send_error(problem.status, problem.type, problem.message)
            return
        batch_id = "msgbatch_01" + "".join(secrets.choice(_BASE62) for _ in range(22))
        options = dict(ex.options)
        gate = options.get("batch_gate")
        batch = _Batch(
            batch_id,
            requests,
            options,
            created=time.time(),
            started=None,
            gate=str(gate) if gate else None,
        )
        self.batches[batch_id] = batch
        self._advance(batch, ex)
        await ex.send_json(200, self._json(batch, origin))

    async def _list(self, ex: Exchange, origin: str, query: str) -> None:
        params = dict(parse_qsl(query))
        try:
            limit = int(params.get("limit", 20))
        except ValueError:
            limit = 0
        if not 1 <= limit <= 1000:
            await ex.send_error(400, "invalid_request_error", "limit: must be from 1 to 1000")
            return
        ids = list(reversed(self.batches))  # newest first, as the API lists them
        if "after_id" in params and params["after_id"] in ids:
            ids = ids[ids.index(params["after_id"]) + 1 :]
        elif "before_id" in params and params["before_id"] in ids:
            ids = ids[: ids.index(params["before_id"])][-limit:]
        page = ids[:limit]
        data: list[JSONObject] = []
        for batch_id in page:
            batch = self.batches[batch_id]
            self._advance(batch, ex)
            data.append(self._json(batch, origin))
        await ex.send_json(
            200,
            {
                "data": data,
                "has_more": len(ids) > len(page),
                "first_id": page[0] if page else None,
                "last_id": page[-1] if page else None,
            },
        )

    async def _results(self, ex: Exchange, batch: _Batch) -> None:
        if batch.ended_at is None:
            await ex.send_error(
                400,
                "invalid_request_error",
                f"Batch {batch.id} has not ended processing: its results are not ready",
            )
            return
        batch.downloads += 1
        cut = batch.downloads <= int(batch.options.get("cut_results", 0))
        cut_after = int(batch.options.get("cut_after", len(batch.requests) // 2))
        await ex.start(200, "application/binary")
        pending: list[bytes] = []
        size = 0
        for i, line in enumerate(_lines(batch)):
            if cut and i == cut_after:
                pending.append(line[: len(line) // 2])  # half a line, then the connection ends
                await ex.write(b"".join(pending))
                await ex.fin()
                return
            pending.append(line)
            size += len(line)
            if size >= _WRITE:
                if not await ex.write(b"".join(pending)):
                    return
                pending, size = [], 0
        await ex.end(b"".join(pending))


def _parse_requests(
    body: JSONObject | None, options: Mapping[str, Any]
) -> tuple[list[_Request], Problem | None]:
    """Check a create request's body as the API does; keep what each result needs."""

    def bad(message: str) -> tuple[list[_Request], Problem]:
        return [], Problem(400, "invalid_request_error", message)

    items: object = body.get("requests") if body is not None else None
    if not is_list(items) or not items:
        return bad("requests: Field required (a non-empty list of requests)")
    if len(items) > MAX_REQUESTS:
        return bad(f"requests: at most {MAX_REQUESTS} requests in a batch, got {len(items)}")
    fail = {str(x) for x in options.get("fail", ())}
    bad_lines = {str(x) for x in options.get("bad_lines", ())}
    every = int(options.get("fail_every", 0))
    error_type = str(options.get("error_type", "invalid_request_error"))
    message = str(options.get("message", "emulator: this request failed"))
    seen: set[str] = set()
    out: list[_Request] = []
    for i, item in enumerate(cast("list[object]", items)):
        if not isinstance(item, dict):
            return bad(f"requests.{i}: Input should be an object")
        entry = cast("JSONObject", item)
        custom_id, params = entry.get("custom_id"), entry.get("params")
        if not isinstance(custom_id, str) or not _CUSTOM_ID.match(custom_id):
            return bad(
                f"requests.{i}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'"
            )
        if custom_id in seen:
            return bad(f"requests.{i}.custom_id: Duplicate custom_id {custom_id!r}")
        seen.add(custom_id)
        if not isinstance(params, dict):
            return bad(f"requests.{i}.params: Field required")
        params = cast("JSONObject", params)
        if params.get("stream"):
            return bad(f"requests.{i}.params.stream: streaming is not supported in batches")
        problem = check_body(params)
        failed = custom_id in fail or (every > 0 and (i + 1) % every == 0)
        max_tokens = params.get("max_tokens")
        out.append(
            _Request(
                custom_id,
                str(params.get("model", "")),
                last_user_text(params)[:200],
                max_tokens if isinstance(max_tokens, int) else 16,
                problem.message if problem is not None else (message if failed else None),
                error_type if problem is None else problem.type,
                custom_id in bad_lines,
            )
        )
    return out, None


def _message(request: _Request) -> JSONObject:
    """A small, deterministic message for a request (cheap: 100,000 of them must be fast)."""
    digest = hashlib.sha256(request.custom_id.encode()).hexdigest()
    words = f"Batched answer to: {request.prompt}".split()[: max(1, request.max_tokens)]
    return {
        "id": f"msg_01{digest[:22]}",
        "type": "message",
        "role": "assistant",
        "model": request.model,
        "content": [{"type": "text", "text": " ".join(words)}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {
            "input_tokens": max(1, len(request.prompt) // 4),
            "output_tokens": len(words),
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "service_tier": "batch",
        },
    }


def _lines(batch: _Batch) -> Iterator[bytes]:
    """Each request's result line, made when it is written."""
    for request, outcome in zip(batch.requests, batch.outcome, strict=True):
        result: JSONObject
        if outcome == "succeeded":
            result = {"type": "succeeded", "message": _message(request)}
        elif outcome == "errored":
            error = {"type": request.error_type, "message": request.problem or ""}
            result = {"type": "errored", "error": {"type": "error", "error": error}}
        else:
            result = {"type": outcome}
        line = dumps({"custom_id": request.custom_id, "result": result}).encode()
        if request.bad_line:
            line = line[: len(line) // 2]  # JSON cut in its middle, on a line of its own
        yield line + b"\n"
