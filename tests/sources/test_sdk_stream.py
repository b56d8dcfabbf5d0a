"""from_sdk_stream(): the official SDK's streams, read with our decoder, as a MessageStream.

The SDK runs for real over ``httpx2.MockTransport`` (``tests/sdk_reference.py``): nothing
leaves the process, and every wait is bounded.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anthropic
import httpx2
import pytest
from reactivex import operators as ops

import anthropic_rx as arx
from anthropic_rx.operators import final_message, text_only

from ..conftest import read_recording
from ..operators.helpers import record
from ..sdk_reference import normalize, sdk_client, sdk_final_message, sdk_stream
from .fakes import WAIT

REQUEST: dict[str, Any] = {
    "model": "claude-haiku-4-5",
    "max_tokens": 1024,
    "messages": [{"role": "user", "content": "hi"}],
}

RECORDINGS = ["sdkpy-basic-text.sse", "sdkpy-tool-use.sse", "otel-thinking-sonnet37.sse"]


def as_json(message: arx.Message) -> Any:
    return normalize(message.model_dump(mode="json"))


@pytest.fixture
def basic() -> bytes:
    return read_recording("sdkpy-basic-text.sse")


@pytest.fixture
def client(basic: bytes) -> Iterator[anthropic.Anthropic]:
    with sdk_client(basic) as client:
        yield client


@pytest.mark.parametrize("name", RECORDINGS)
def test_a_create_stream_gives_the_sdks_own_final_message(name: str) -> None:
    data = read_recording(name)
    with sdk_client(data) as client:
        stream = client.messages.create(stream=True, **REQUEST)
        assert isinstance(stream, anthropic.Stream)
        message = arx.from_sdk_stream(stream).pipe(final_message()).run()
    assert as_json(message) == normalize(sdk_final_message(data, beta=False))


@pytest.mark.parametrize("name", RECORDINGS)
def test_a_message_stream_gives_the_sdks_own_final_message(name: str) -> None:
    data = read_recording(name)
    with sdk_client(data) as client, sdk_stream(client, beta=False) as stream:
        message = arx.from_sdk_stream(stream).pipe(final_message()).run()
    assert as_json(message) == normalize(sdk_final_message(data, beta=False))


def test_a_beta_message_stream_works_too(basic: bytes) -> None:
    with sdk_client(basic) as client, sdk_stream(client, beta=True) as stream:
        message = arx.from_sdk_stream(stream).pipe(final_message()).run()
    assert as_json(message) == normalize(sdk_final_message(basic, beta=True))


def test_pings_arrive_as_ping_events(client: anthropic.Anthropic) -> None:
    """The SDK's iterator drops pings; read through our decoder they are typed events."""
    stream = arx.from_sdk_stream(client.messages.create(stream=True, **REQUEST))
    assert stream.start().wait(WAIT)
    events = record(stream)
    assert events.completed
    pings = [e for e in events.values if isinstance(e, arx.PingEvent)]
    assert len(pings) == 1
    assert [e.type for e in events.values][:3] == ["message_start", "content_block_start", "ping"]


def test_pipelines_on_an_sdk_stream_share_one_read_and_the_response_is_closed(
    client: anthropic.Anthropic,
) -> None:
    sdk = client.messages.create(stream=True, **REQUEST)
    stream = arx.from_sdk_stream(sdk)
    text = stream.pipe(text_only(), ops.to_list()).run()
    message = stream.pipe(final_message()).run()
    assert "".join(text) == message.content[0].model_dump()["text"]
    assert isinstance(stream.info, arx.StreamInfo) and stream.info.request_id == "req_test"
    assert sdk.response.is_closed


def test_an_sdk_stream_with_a_mid_stream_error_ends_with_the_typed_error() -> None:
    body = read_recording("sdkpy-basic-text.sse").split(b"event: message_delta")[0]
    body += b'event: error\ndata: {"type": "error", "error": {"type": "overloaded_error", '
    body += b'"message": "Overloaded"}}\n\n'
    with sdk_client(body) as client:
        stream = arx.from_sdk_stream(client.messages.create(stream=True, **REQUEST))
        assert stream.start().wait(WAIT)
        out = record(stream.pipe(text_only()))
    assert out.values
    assert isinstance(out.error, arx.OverloadedError)
    assert out.error.mid_stream


@pytest.mark.parametrize(
    "thing", [object(), None, b"event: ping\n\n", iter([b"x"])], ids=lambda v: type(v).__name__
)
def test_passing_something_that_is_not_an_sdk_stream_raises_type_error(thing: object) -> None:
    with pytest.raises(TypeError, match="expected an anthropic Stream"):
        arx.from_sdk_stream(thing)


def test_passing_a_stream_manager_not_yet_entered_raises_type_error_saying_to_enter_it(
    client: anthropic.Anthropic,
) -> None:
    manager = client.messages.stream(**REQUEST)
    with pytest.raises(TypeError, match="enter a stream manager with `with` first"):
        arx.from_sdk_stream(manager)


def test_without_the_sdk_the_import_error_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "anthropic", None)  # `import anthropic` now fails
    with pytest.raises(ImportError, match=r"pip install 'anthropic-rx\[sdk\]'") as caught:
        arx.from_sdk_stream(object())
    assert isinstance(caught.value.__cause__, ImportError)


# -- async ---------------------------------------------------------------------------------------


class AsyncChunks(httpx2.AsyncByteStream):
    def __init__(self, data: bytes) -> None:
        self._data = data

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for i in range(0, len(self._data), 64):
            yield self._data[i : i + 64]

    async def aclose(self) -> None:
        pass


def async_client(data: bytes) -> anthropic.AsyncAnthropic:
    def handler(request: httpx2.Request) -> httpx2.Response:
        headers = {"content-type": "text/event-stream"}
        return httpx2.Response(200, headers=headers, stream=AsyncChunks(data), request=request)

    transport = httpx2.MockTransport(handler)
    return anthropic.AsyncAnthropic(
        api_key="sk-test", http_client=httpx2.AsyncClient(transport=transport), max_retries=0
    )


@pytest.mark.anyio
async def test_async_sdk_streams_are_read_on_the_running_loop(basic: bytes) -> None:
    expected = normalize(sdk_final_message(basic, beta=False))
    async with async_client(basic) as client:
        created = await client.messages.create(stream=True, **REQUEST)
        assert isinstance(created, anthropic.AsyncStream)
        assert as_json(await arx.from_sdk_stream(created).pipe(final_message())) == expected
        async with client.messages.stream(**REQUEST) as stream:
            assert as_json(await arx.from_sdk_stream(stream).pipe(final_message())) == expected
