"""from_sdk_stream: the SDK's transport errors typed, ``.info`` a `StreamInfo`, and the SDK's
``with`` block left early a clear error. The SDK runs for real over ``httpx2.MockTransport``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import anthropic
import httpx2
import pytest
from reactivex import operators as ops

import anthropic_rx as arx
from anthropic_rx.operators import final_message, final_text
from tests.events_helpers import encode, text_stream
from tests.sdk_reference import sdk_stream

WAIT = 10.0
DATA = encode(text_stream("Hel", "lo"))


class BreakingStream(httpx2.SyncByteStream):
    """A body that yields *head*, then waits for *go* (or close) and raises *error*."""

    def __init__(self, head: bytes, error: Exception, *, wait: bool = False) -> None:
        self.head, self.error = head, error
        self.closed = threading.Event()
        self.wait = wait

    def __iter__(self) -> Iterator[bytes]:
        yield self.head
        if self.wait:
            assert self.closed.wait(WAIT)
        raise self.error

    def close(self) -> None:
        self.closed.set()


def client_of(body: httpx2.SyncByteStream) -> anthropic.Anthropic:
    def handler(request: httpx2.Request) -> httpx2.Response:
        headers = {"content-type": "text/event-stream", "request-id": "req_sdk"}
        return httpx2.Response(200, headers=headers, stream=body, request=request)

    return anthropic.Anthropic(
        api_key="sk-test",
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
        max_retries=0,
    )


@pytest.mark.parametrize(
    "error",
    [
        httpx2.ReadError("[Errno 104] Connection reset by peer"),
        httpx2.RemoteProtocolError("peer closed connection without sending complete message"),
    ],
)
def test_a_transport_error_is_a_typed_connection_error_with_the_partial_snapshot(
    error: Exception,
) -> None:
    cut = DATA[: DATA.index(b"content_block_stop")]
    with client_of(BreakingStream(cut, error)) as client, sdk_stream(client, beta=False) as s:
        stream = arx.from_sdk_stream(s)
        with pytest.raises(arx.APIConnectionError) as info:
            stream.pipe(final_message()).run()
    assert info.value.mid_stream and info.value.request_id == "req_sdk"
    assert info.value.snapshot is not None and info.value.snapshot.text == "Hello"
    assert type(error).__name__ in str(info.value) and info.value.__cause__ is error


def test_info_is_a_stream_info_as_the_clients_streams_have() -> None:
    body = BreakingStream(DATA, StopIteration())
    with client_of(body) as client, sdk_stream(client, beta=False) as s:
        stream = arx.from_sdk_stream(s)
        assert isinstance(stream.info, arx.StreamInfo)
        assert stream.info.request_id == "req_sdk" and stream.info.status_code == 200
        assert stream.info.headers["content-type"] == "text/event-stream"
        assert stream.info.url.endswith("/v1/messages")


def test_leaving_the_sdks_with_block_before_the_end_is_a_clear_error() -> None:
    head = DATA[: DATA.index(b"content_block_stop")]
    body = BreakingStream(head, httpx2.ReadError("[Errno 9] Bad file descriptor"), wait=True)
    with client_of(body) as client:
        with sdk_stream(client, beta=False) as s:
            stream = arx.from_sdk_stream(s)
            texts: list[str] = []
            stream.subscribe(on_next=lambda e: texts.append(e.type))
            # Leave the block while the reader thread is still reading.
        assert stream.wait(WAIT)
        with pytest.raises(arx.StreamAbortedError, match="`with` block was left"):
            stream.pipe(final_text()).run()


def test_an_error_that_is_not_a_transport_one_passes_unchanged() -> None:
    body = BreakingStream(DATA[:50], ValueError("boom"))
    with client_of(body) as client, sdk_stream(client, beta=False) as s:
        pipeline = arx.from_sdk_stream(s).pipe(final_message())
        error = pipeline.pipe(ops.materialize(), ops.last()).run().exception
    assert isinstance(error, ValueError) and str(error) == "boom"


def test_from_response_info_is_a_stream_info_too() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        headers = {"content-type": "text/event-stream", "request-id": "req_raw"}
        return httpx2.Response(200, headers=headers, content=DATA)

    with httpx2.Client(transport=httpx2.MockTransport(handler)) as http:
        request = http.build_request("POST", "http://127.0.0.1:9/v1/messages")
        response = http.send(request, stream=True)
        stream = arx.from_response(response)
        assert stream.pipe(final_text()).run() == "Hello"
    assert isinstance(stream.info, arx.StreamInfo)
    assert (stream.info.request_id, stream.info.status_code) == ("req_raw", 200)
    assert stream.info.url == "http://127.0.0.1:9/v1/messages"
