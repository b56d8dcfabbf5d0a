"""output_format=: the request body equals the official SDK's for the same parameters.

Both clients send to the emulator over real sockets; the emulator records each body. The
SDK may fail to parse the emulator's answer (it validates the text against the model): that
happens after its request went out, which is all these tests compare.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import threading
import uuid
from typing import Annotated, Any, Literal

import anyio
import anyio.abc
import pydantic
import pytest

import anthropic_rx as arx
from anthropic_rx.emulator import Emulator

from .helpers import async_client, client, params, run_sync

anthropic = pytest.importorskip("anthropic")
httpx2 = pytest.importorskip("httpx2")


class Address(pydantic.BaseModel):
    """Where someone lives."""

    street: str
    city: str = pydantic.Field(description="The city", max_length=40)
    zip: str | None = None


class Person(pydantic.BaseModel):
    name: str
    age: Annotated[int, pydantic.Field(ge=0, le=150)]
    role: Literal["admin", "user"]
    born: datetime.date
    id: uuid.UUID
    tags: list[str] = pydantic.Field(min_length=2)
    nicknames: list[str] = pydantic.Field(min_length=1)
    home: Address
    other: list[Address] = []
    score: float | int = 0


FORMATS: list[Any] = [Person, Address, list[int], int, str, dict[str, float], Person | Address]


def _body(emu: Emulator) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(emu.stats.requests()[-1].body)
    return body


def _sdk(emu: Emulator) -> Any:
    return anthropic.Anthropic(
        api_key="sk-test", base_url=emu.base_url, http_client=httpx2.Client(), max_retries=0
    )


def sdk_stream_body(emu: Emulator, **changes: Any) -> dict[str, Any]:
    with _sdk(emu) as sdk:
        try:
            with sdk.messages.stream(**params(**changes)) as stream:
                stream.until_done()
        except (pydantic.ValidationError, ValueError):
            pass  # the emulator's answer is not JSON for the format: the request was sent
    return _body(emu)


def sdk_parse_body(emu: Emulator, **changes: Any) -> dict[str, Any]:
    with _sdk(emu) as sdk, contextlib.suppress(pydantic.ValidationError, ValueError):
        sdk.messages.parse(**params(**changes))
    return _body(emu)


def our_stream_body(emu: Emulator, **changes: Any) -> dict[str, Any]:
    with client(emu) as c:
        run_sync(c.messages.stream(**params(**changes)))
    return _body(emu)


def our_create_body(emu: Emulator, **changes: Any) -> dict[str, Any]:
    with client(emu) as c:
        c.messages.create(**params(**changes))
    return _body(emu)


@pytest.mark.parametrize("output_format", FORMATS, ids=repr)
def test_stream_sends_the_body_the_sdk_sends_for_the_same_output_format(
    emu: Emulator, output_format: Any
) -> None:
    ours = our_stream_body(emu, output_format=output_format)
    theirs = sdk_stream_body(emu, output_format=output_format)
    assert ours == theirs
    assert ours["output_config"]["format"]["type"] == "json_schema"


@pytest.mark.parametrize("output_format", [Person, list[int]], ids=repr)
def test_create_sends_the_body_the_sdks_parse_sends(emu: Emulator, output_format: Any) -> None:
    ours = our_create_body(emu, output_format=output_format)
    theirs = sdk_parse_body(emu, output_format=output_format)
    assert ours.pop("stream") is False  # the SDK leaves it out: the same request
    assert ours == theirs


def test_output_format_is_merged_into_the_output_config_given(emu: Emulator) -> None:
    given: dict[str, Any] = {
        "effort": "low",
        "format": {"type": "json_schema", "schema": {"type": "string"}},
    }
    ours = our_stream_body(emu, output_format=Address, output_config=given)
    theirs = sdk_stream_body(emu, output_format=Address, output_config=given)
    assert ours == theirs
    assert ours["output_config"]["effort"] == "low"
    assert ours["output_config"]["format"]["schema"]["title"] == "Address"
    assert given["format"]["schema"] == {"type": "string"}  # the caller's dict is untouched


def test_output_format_none_sends_the_output_config_as_given(emu: Emulator) -> None:
    ours = our_stream_body(emu, output_format=None, output_config={"effort": "high"})
    assert ours["output_config"] == {"effort": "high"}
    assert "output_format" not in ours


def test_the_schema_is_transformed_as_the_sdk_does() -> None:
    from anthropic.lib._parse._transform import (  # pyright: ignore[reportMissingTypeStubs]
        transform_schema as sdk_transform,
    )

    from anthropic_rx.client._output import transform_schema

    for output_format in FORMATS:
        schema = pydantic.TypeAdapter(output_format).json_schema()
        assert transform_schema(schema) == sdk_transform(schema)


@pytest.mark.anyio
async def test_the_async_client_sends_the_same_body(emu: Emulator) -> None:
    async with async_client(emu) as c:
        await c.messages.create(**params(output_format=Person))
        created = _body(emu)
        stream = c.messages.stream(**params(output_format=Person))
        assert stream.info.output_format is Person
        await arx.to_async_iterable(stream).__anext__()
        streamed = _body(emu)
        stream.abort()
    assert created == {**streamed, "stream": False}
    theirs = await anyio.to_thread.run_sync(lambda: sdk_parse_body(emu, output_format=Person))
    assert {**theirs, "stream": False} == created


class Opaque:
    """A class pydantic cannot build a schema for."""


@pytest.mark.parametrize(
    ("output_format", "message"),
    [
        (Opaque, "pydantic cannot build a JSON schema"),
        (threading.Lock, "pydantic cannot build a JSON schema"),
        (Any, "cannot be sent"),
        ("Person", "must be a type"),
        ({"type": "object"}, "must be a type"),
    ],
    ids=repr,
)
def test_a_format_without_a_schema_is_a_type_error_before_anything_is_sent(
    emu: Emulator, output_format: Any, message: str
) -> None:
    with client(emu) as c:
        with pytest.raises(TypeError, match=message):
            c.messages.stream(**params(output_format=output_format))
        with pytest.raises(TypeError, match=message):
            c.messages.create(**params(output_format=output_format))
    assert emu.stats.requests() == []


def test_stream_info_records_the_output_format(emu: Emulator) -> None:
    with client(emu) as c:
        assert c.messages.stream(**params(output_format=Person)).info.output_format is Person
        assert c.messages.stream(**params()).info.output_format is None
    assert emu.stats.requests() == []


# -- a schema the API rejects: its 400 passes through, message and all -----------------------

REJECTED = (
    "output_config.format.schema: Recursive schemas are not supported "
    "(found a $ref cycle at #/$defs/Node)"
)


class Node(pydantic.BaseModel):
    value: int
    children: list[Node] = []


async def _answer_400(stream: anyio.abc.SocketStream, bodies: list[bytes]) -> None:
    """Read one request, answer the API's 400 for it, close (a raw server: the real API's
    rejection of a schema, which the emulator does not imitate)."""
    async with stream:
        data = b""
        while b"\r\n\r\n" not in data:
            data += await stream.receive()
        head, _, body = data.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        while len(body) < length:
            body += await stream.receive()
        bodies.append(body)
        error = json.dumps(
            {
                "type": "error",
                "error": {"type": "invalid_request_error", "message": REJECTED},
                "request_id": "req_rejected",
            }
        ).encode()
        await stream.send(
            b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n"
            b"request-id: req_rejected\r\nconnection: close\r\n"
            b"content-length: " + str(len(error)).encode() + b"\r\n\r\n" + error
        )


@pytest.mark.anyio
async def test_a_schema_the_api_rejects_passes_its_400_through_with_its_message() -> None:
    bodies: list[bytes] = []
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, lambda s: _answer_400(s, bodies))
        async with arx.AsyncClient(
            api_key="sk-test", base_url=f"http://127.0.0.1:{port}", allow_insecure_http=True
        ) as c:
            with pytest.raises(arx.BadRequestError) as created:
                await c.messages.create(**params(output_format=Node))
            stream = c.messages.stream(**params(output_format=Node))
            with pytest.raises(arx.BadRequestError) as streamed:
                await stream.pipe(arx.operators.parsed_output())
        tg.cancel_scope.cancel()
    for caught in (created.value, streamed.value):
        assert REJECTED in str(caught) and caught.request_id == "req_rejected"
        assert caught.status_code == 400 and caught.attempts == 1
    assert len(bodies) == 2  # 400 is not retried
    assert json.loads(bodies[0])["output_config"]["format"]["schema"]["$ref"] == "#/$defs/Node"
