"""``client.messages.batches`` against the emulator's batch endpoints, over real sockets."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import httpx
import pytest

import anthropic_rx as arx
from anthropic_rx.batches import (
    BatchInputError,
    BatchRequestCanceledError,
    BatchRequestExpiredError,
    BatchRequestFailedError,
    BatchResultUnreadableError,
    MessageBatch,
    MessageBatchUnreadableResult,
    outcome_of,
)
from anthropic_rx.emulator import Emulator

from .helpers import KEY, WAIT, async_client, batch_requests, client, params, requests


def _ended(emu: Emulator, c: arx.Client, batch_id: str) -> MessageBatch:
    """Poll (bounded by WAIT) until the batch has ended: a condition, not a fixed sleep."""
    deadline = time.monotonic() + WAIT
    while True:
        batch = c.messages.batches.retrieve(batch_id)
        if batch.processing_status == "ended":
            return batch
        assert time.monotonic() < deadline, f"batch {batch_id} did not end within {WAIT} s"
        threading.Event().wait(0.01)  # the emulator's batch clock runs in real time


def test_create_retrieve_results_delete(emu: Emulator) -> None:
    with client(emu, batch_time=0.05) as c:
        batch = c.messages.batches.create(requests(3))
        assert batch.processing_status == "in_progress"
        assert batch.request_counts.processing == 3
        assert batch.results_url is None
        ended = _ended(emu, c, batch.id)
        assert ended.request_counts.succeeded == 3
        assert ended.ended_at is not None and ended.results_url is not None
        lines = list(c.messages.batches.results(batch.id))
        assert [line.custom_id for line in lines] == ["q0", "q1", "q2"]
        message = outcome_of(lines[0])
        assert isinstance(message, arx.Message)
        assert "question 0" in message.content[0].text  # type: ignore[union-attr]
        deleted = c.messages.batches.delete(batch.id)
        assert (deleted.id, deleted.type) == (batch.id, "message_batch_deleted")
        with pytest.raises(arx.NotFoundError):
            c.messages.batches.retrieve(batch.id)


def test_the_api_list_shape_is_accepted(emu: Emulator) -> None:
    with client(emu, batch_time=0) as c:
        batch = c.messages.batches.create([{"custom_id": "only", "params": params("hi")}])
        assert batch.request_counts.total == 1
    body = json.loads(batch_requests(emu)[0].body)
    assert body["requests"][0]["custom_id"] == "only"
    assert body["requests"][0]["params"]["model"] == "claude-emulated"


def test_list_pages_forward_and_backward(emu: Emulator) -> None:
    with client(emu, batch_time=0) as c:
        ids = [c.messages.batches.create(requests(1)).id for _ in range(5)]
        before = len(batch_requests(emu))
        listed = [b.id for b in c.messages.batches.list(limit=2)]
        assert listed == list(reversed(ids))  # newest first, every page
        assert len(batch_requests(emu)) - before == 3  # 2 + 2 + 1
        after = [b.id for b in c.messages.batches.list(limit=10, after_id=ids[3])]
        assert after == list(reversed(ids[:3]))
        with pytest.raises(ValueError, match="limit"):
            c.messages.batches.list(limit=0).__next__()


def test_cancel_a_held_batch(emu: Emulator) -> None:
    with client(emu, batch_gate="held", batch_time=0) as c:
        batch = c.messages.batches.create(requests(2))
        canceled = c.messages.batches.cancel(batch.id)
        assert canceled.cancel_initiated_at is not None
        ended = _ended(emu, c, batch.id)
        assert ended.request_counts.canceled == 2
        results = [outcome_of(line, batch.id) for line in c.messages.batches.results(batch.id)]
        assert all(isinstance(r, BatchRequestCanceledError) for r in results)


def test_errored_expired_and_unreadable_results_are_typed(emu: Emulator) -> None:
    with client(emu, batch_time=0, fail=["q1"], bad_lines=["q2"], error_type="api_error") as c:
        batch = c.messages.batches.create(requests(4))
        _ended(emu, c, batch.id)
        lines = list(c.messages.batches.results(batch.id))
    outcomes = {line.custom_id: outcome_of(line, batch.id) for line in lines}
    assert isinstance(outcomes["q0"], arx.Message)
    failed = outcomes["q1"]
    assert isinstance(failed, BatchRequestFailedError)
    assert isinstance(failed.error, arx.InternalServerError)  # api_error, typed
    assert (failed.custom_id, failed.batch_id, failed.error_type) == ("q1", batch.id, "api_error")
    unreadable = outcomes["q2"]  # its line is cut in its middle: only that request fails
    assert isinstance(unreadable, BatchResultUnreadableError)
    assert isinstance(lines[2].result, MessageBatchUnreadableResult)
    assert isinstance(outcomes["q3"], arx.Message)
    with client(emu, batch_time=1000, expire_after=0.01) as c:
        batch = c.messages.batches.create(requests(2))
        _ended(emu, c, batch.id)
        expired = [outcome_of(line) for line in c.messages.batches.results(batch.id)]
    assert all(isinstance(r, BatchRequestExpiredError) for r in expired)


def test_invalid_params_are_errored_by_the_server_not_the_batch(emu: Emulator) -> None:
    with client(emu, batch_time=0) as c:
        bad = params("x", messages=[])  # the emulator refuses an empty conversation
        batch = c.messages.batches.create({"good": params("x"), "bad": bad})
        _ended(emu, c, batch.id)
        outcomes = {x.custom_id: outcome_of(x) for x in c.messages.batches.results(batch.id)}
    assert isinstance(outcomes["good"], arx.Message)
    assert isinstance(outcomes["bad"], BatchRequestFailedError)
    assert isinstance(outcomes["bad"].error, arx.BadRequestError)


def test_results_cut_mid_line_resume_without_repeating(emu: Emulator) -> None:
    with client(emu, batch_time=0, cut_results=1, cut_after=2) as c:
        batch = c.messages.batches.create(requests(5))
        _ended(emu, c, batch.id)
        ids = [line.custom_id for line in c.messages.batches.results(batch.id)]
    assert ids == ["q0", "q1", "q2", "q3", "q4"]  # each once, though the first body broke
    downloads = [r for r in batch_requests(emu) if r.path.endswith("/results")]
    assert len(downloads) == 2


def test_results_cut_every_time_is_a_typed_error_after_what_was_read(emu: Emulator) -> None:
    got: list[str] = []
    with client(emu, batch_time=0, cut_results=100, cut_after=2) as c:
        c = c.with_options(max_retries=1)
        batch = c.messages.batches.create(requests(4))
        _ended(emu, c, batch.id)
        lines = c.messages.batches.results(batch.id)
        with pytest.raises(arx.APIConnectionError) as caught:
            got.extend(line.custom_id for line in lines)
    assert got == ["q0", "q1"]
    assert caught.value.mid_stream


def test_polling_429_is_retried_after_retry_after(emu: Emulator) -> None:
    with client(emu, batch_time=0, poll_429=2, retry_after=0.01) as c:
        batch = c.messages.batches.create(requests(1))
        assert c.messages.batches.retrieve(batch.id).processing_status == "ended"
    statuses = [r.status for r in batch_requests(emu) if r.method == "GET"]
    assert statuses == [429, 429, 200]


def test_polling_429_past_the_retries_is_a_rate_limit_error(emu: Emulator) -> None:
    with client(emu, batch_time=0, poll_429=5, retry_after=0.01) as c:
        batch = c.messages.batches.create(requests(1))
        with pytest.raises(arx.RateLimitError) as caught:
            c.with_options(max_retries=0).messages.batches.retrieve(batch.id)
    assert caught.value.retry_after == pytest.approx(0.01)


def test_results_before_the_end_and_unknown_ids(emu: Emulator) -> None:
    with client(emu, batch_gate="never") as c:
        batch = c.messages.batches.create(requests(1))
        with pytest.raises(arx.APIResponseValidationError, match="in_progress"):
            list(c.messages.batches.results(batch.id))
        with pytest.raises(arx.BadRequestError, match="processing"):
            c.messages.batches.delete(batch.id)
        with pytest.raises(arx.NotFoundError):
            c.messages.batches.cancel("msgbatch_nope")
        with pytest.raises(ValueError, match="batch id"):
            c.messages.batches.retrieve("../../v1/messages")
        c.messages.batches.cancel(batch.id)


def test_a_results_url_on_another_origin_is_refused(emu: Emulator) -> None:
    from anthropic_rx.client._batch_wire import same_origin

    base = httpx.URL(emu.base_url + "/v1/messages")
    assert same_origin(emu.base_url + "/v1/messages/batches/x/results", base)
    with pytest.raises(arx.APIResponseValidationError, match="another origin"):
        same_origin("https://evil.example/v1/messages/batches/x/results", base)


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        ({}, "at least one request"),
        ({"has space": params("x")}, "1-64 letters"),
        ({"x" * 65: params("x")}, "1-64 letters"),
        ({"ok": {"model": "m"}}, "missing required"),
        ({"ok": params("x", temperature=float("nan"))}, "finite"),
        ({"ok": params("x", extra_headers={"a": "b"})}, "extra_headers"),
        ({"ok": params("x", colour="red")}, "unexpected keyword"),
    ],
)
def test_bad_input_fails_before_anything_is_sent(
    emu: Emulator, bad: dict[str, Any], match: str
) -> None:
    with client(emu) as c, pytest.raises(BatchInputError, match=match):
        c.messages.batches.create(bad)
    assert batch_requests(emu) == []


def test_a_duplicate_custom_id_fails_before_sending(emu: Emulator) -> None:
    twice = [{"custom_id": "a", "params": params("x")}, {"custom_id": "a", "params": params("y")}]
    with client(emu) as c, pytest.raises(BatchInputError, match="comes twice") as caught:
        c.messages.batches.create(twice)
    assert caught.value.custom_id == "a"
    assert batch_requests(emu) == []


def test_the_emulator_refuses_what_the_api_refuses(emu: Emulator) -> None:
    headers = {"x-api-key": KEY, "anthropic-version": "2023-06-01"}
    with httpx.Client(base_url=emu.base_url, headers=headers) as h:
        assert h.post("/v1/messages/batches", json={"requests": []}).status_code == 400
        twice = [{"custom_id": "a", "params": params("x")}] * 2
        answer = h.post("/v1/messages/batches", json={"requests": twice})
        assert answer.status_code == 400 and "Duplicate" in answer.json()["error"]["message"]
        assert h.put("/v1/messages/batches").status_code == 405
        assert h.get("/v1/messages/batches/x/nothing").status_code == 404
        assert h.get("/v1/messages/batches", headers={"x-api-key": ""}).status_code == 401


def test_async_client_every_endpoint(emu: Emulator) -> None:
    async def main() -> None:
        async with async_client(emu, batch_time=0, cut_results=1, cut_after=1) as c:
            batch = await c.messages.batches.create(requests(3))
            again = await c.messages.batches.retrieve(batch.id)
            assert again.processing_status == "ended"
            ids = [b.id async for b in c.messages.batches.list(limit=1)]
            assert ids == [batch.id]
            lines = [line.custom_id async for line in c.messages.batches.results(batch.id)]
            assert lines == ["q0", "q1", "q2"]
            assert (await c.messages.batches.cancel(batch.id)).processing_status == "ended"
            assert (await c.messages.batches.delete(batch.id)).id == batch.id

    asyncio.run(main())


def test_a_results_file_of_100000_lines(emu: Emulator) -> None:
    tiny = {"model": "m", "max_tokens": 1, "messages": [{"role": "user", "content": "x"}]}
    with client(emu, batch_time=0, fail_every=1000) as c:
        batch = c.messages.batches.create({f"r{i}": tiny for i in range(100_000)})
        assert batch.request_counts.total == 100_000
        seen = failed = 0
        last = ""
        for line in c.messages.batches.results(batch):
            seen += 1
            failed += line.result.type == "errored"
            last = line.custom_id
    assert (seen, failed, last) == (100_000, 100, "r99999")
    download = [r for r in batch_requests(emu) if r.path.endswith("/results")][-1]
    assert download.outcome == "complete" and download.bytes_sent > 20_000_000


def test_the_key_never_shows_in_a_batch_error(emu: Emulator) -> None:
    import traceback

    secret = "sk-ant-api03-" + "S3CRET" * 6
    with Emulator(api_key="sk-only-this-key-0123456789") as strict:
        with (
            arx.Client(api_key=secret, base_url=strict.base_url, max_retries=0) as c,
            pytest.raises(arx.AuthenticationError) as caught,
        ):
            c.messages.batches.retrieve("msgbatch_x")
        shown = "".join(traceback.format_exception(caught.value))
        shown += repr(caught.value) + str(caught.value.headers) + repr(c)
        frames = [frame for frame, _ in traceback.walk_tb(caught.value.__traceback__)]
        locals_ = [  # the library's frames (the first one is this test, which holds `secret`)
            f"{frame.f_code.co_name}: {value!r}"
            for frame in frames[1:]
            for value in frame.f_locals.values()
        ]
        assert "S3CRET" not in shown
        assert not [v for v in locals_ if "S3CRET" in v]
        assert strict.stats.wait_idle(timeout=WAIT)


def _one_answer_server(answer: bytes) -> tuple[str, threading.Event, threading.Thread]:
    """A loopback server that answers one request with *answer*, then waits for the close.

    Returns its base URL, an event set when the client closes the connection, and the
    thread (joined by the caller).
    """
    import socket

    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    closed = threading.Event()

    def serve() -> None:
        with listener:
            listener.settimeout(WAIT)
            conn, _ = listener.accept()
        with conn:
            conn.settimeout(WAIT)
            request = b""
            while b"\r\n\r\n" not in request:
                request += conn.recv(4096)
            conn.sendall(answer)
            try:
                while conn.recv(4096):
                    pass
                closed.set()
            except OSError:
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{port}", closed, thread


_BROTLI_RESULTS = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/binary\r\ncontent-encoding: br\r\n"
    b"content-length: 100\r\n\r\n" + b"x" * 10  # the rest never comes
)


def _ended_batch(base_url: str) -> MessageBatch:
    return MessageBatch.model_validate(
        {
            "id": "msgbatch_1",
            "processing_status": "ended",
            "request_counts": {"succeeded": 1},
            "created_at": "2026-01-01T00:00:00Z",
            "expires_at": "2026-01-02T00:00:00Z",
            "results_url": f"{base_url}/v1/messages/batches/msgbatch_1/results",
        }
    )


def test_results_in_an_encoding_not_asked_for_close_their_connection() -> None:
    base_url, closed, thread = _one_answer_server(_BROTLI_RESULTS)
    with arx.Client(api_key=KEY, base_url=base_url, max_retries=0) as c:
        with pytest.raises(arx.APIResponseValidationError, match="content-encoding 'br'"):
            list(c.messages.batches.results(_ended_batch(base_url)))
        assert closed.wait(WAIT), "the connection was left open"
    thread.join(WAIT)


def test_async_results_in_an_encoding_not_asked_for_close_their_connection() -> None:
    base_url, closed, thread = _one_answer_server(_BROTLI_RESULTS)

    async def main() -> None:
        async with arx.AsyncClient(api_key=KEY, base_url=base_url, max_retries=0) as c:
            with pytest.raises(arx.APIResponseValidationError, match="content-encoding 'br'"):
                async for _ in c.messages.batches.results(_ended_batch(base_url)):
                    pass
            assert await asyncio.to_thread(closed.wait, WAIT), "the connection was left open"

    asyncio.run(main())
    thread.join(WAIT)
