"""The transport an `AsyncClient` we make sends with: aiohttp on asyncio, httpx elsewhere."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from collections.abc import Callable
from typing import Any

import anyio.to_thread
import httpx
import pytest

import anthropic_rx as arx
from anthropic_rx.client import _transport, _urllib3
from anthropic_rx.emulator import Emulator

from .helpers import KEY, WAIT, Run, error_texts, params, run_async, run_sync
from .raw_server import (
    HTTPS_URL,
    Handler,
    RawServer,
    assert_the_proxy_saw_only_connect,
    proxy_by_env,
    read_request,
)


def sent_by_httpcore(response: httpx.Response) -> bool:
    """httpcore hands its socket over in the response's extensions; aiohttp does not."""
    return "network_stream" in response.extensions


async def probe(client: arx.AsyncClient, emu: Emulator) -> httpx.Response:
    response = await client.http_client.get(f"{emu.base_url}/v1/models")
    await response.aclose()
    return response


@pytest.mark.anyio
async def test_the_default_is_aiohttp_on_asyncio_and_httpx_on_trio(
    emu: Emulator, anyio_backend: str, http_transport: str
) -> None:
    async with arx.AsyncClient(api_key=KEY, base_url=emu.base_url) as c:
        response = await probe(c, emu)
        run = await run_async(c.messages.stream(**params()))
    assert run.completed, run.error
    aiohttp = anyio_backend == "asyncio" and http_transport == "default"
    assert sent_by_httpcore(response) is not aiohttp


@pytest.mark.anyio
async def test_transport_httpx_keeps_plain_httpx(emu: Emulator) -> None:
    async with arx.AsyncClient(api_key=KEY, base_url=emu.base_url, transport="httpx") as c:
        assert sent_by_httpcore(await probe(c, emu))
        run = await run_async(c.messages.stream(**params()))
    assert run.completed, run.error


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["trio"])
async def test_transport_aiohttp_on_trio_is_refused_naming_auto(emu: Emulator) -> None:
    async with arx.AsyncClient(api_key=KEY, base_url=emu.base_url, transport="aiohttp") as c:
        run = await run_async(c.messages.stream(**params()))
    assert isinstance(run.error, RuntimeError) and "transport='auto'" in str(run.error)
    assert emu.stats.requests() == []


@pytest.mark.parametrize(
    ("make", "error", "words"),
    [
        (lambda: arx.AsyncClient(api_key=KEY, transport="curl"), ValueError, "one of"),
        (
            lambda: arx.AsyncClient(api_key=KEY, transport=httpx.AsyncHTTPTransport()),
            TypeError,
            "http_client=",
        ),
        (lambda: arx.Client(api_key=KEY, transport="aiohttp"), ValueError, "sync Client"),
        (
            lambda: arx.AsyncClient(api_key=KEY).with_options(transport="httpx"),
            ValueError,
            "with_options",
        ),
    ],
    ids=["unknown", "an httpx transport", "aiohttp for the sync client", "with_options"],
)
def test_a_bad_transport_is_refused_when_the_client_is_made(
    make: Callable[[], Any], error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words):
        make()


def test_aiohttp_without_the_extra_is_refused_naming_the_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_transport, "aiohttp_available", lambda: False)
    with pytest.raises(ValueError, match=r"anthropic-rx\[fast\]"):
        arx.AsyncClient(api_key=KEY, transport="aiohttp")
    assert arx.Client(api_key=KEY, transport="httpx").base_url  # httpx is always there


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_aiohttp_keeps_no_copy_of_the_key_once_the_response_is_back(emu: Emulator) -> None:
    transport = _transport.AsyncDirectTransport(httpx.Limits())
    request = httpx.Request("GET", f"{emu.base_url}/v1/models", headers={"x-api-key": KEY})
    response = await transport.handle_async_request(request)
    try:
        body: Any = response.stream
        sent = body._inner._aiohttp_response.request_info.headers  # aiohttp's copy
        assert "host" in sent and "x-api-key" not in sent
    finally:
        await response.aclose()
        await transport.aclose()


@pytest.mark.anyio
async def test_https_keeps_the_proxy_variables_on_the_default_transport(
    raw: Callable[[Handler], RawServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = proxy_by_env(raw, monkeypatch, "HTTPS_PROXY")
    async with arx.AsyncClient(api_key=KEY, base_url=HTTPS_URL, max_retries=0) as c:
        run = await run_async(c.messages.stream(**params()))
    assert_the_proxy_saw_only_connect(run, proxy)


@pytest.mark.anyio
async def test_a_refused_connection_and_a_hang_up_are_the_errors_httpx_gives(
    emu: Emulator, raw: Callable[[Handler], RawServer]
) -> None:
    async with arx.AsyncClient(api_key=KEY, base_url=emu.refused_url, max_retries=0) as c:
        refused = await run_async(c.messages.stream(**params()))
    assert type(refused.error) is arx.APIConnectionError
    assert isinstance(refused.error.__cause__, httpx.ConnectError)
    assert "could not connect" in str(refused.error)

    def hang_up(conn: socket.socket, server: RawServer) -> None:
        read_request(conn)  # then close without a status line

    server = raw(hang_up)
    async with arx.AsyncClient(api_key=KEY, base_url=server.url, max_retries=0) as c:
        cut = await run_async(c.messages.stream(**params()))
    assert type(cut.error) is arx.APIConnectionError and not cut.error.mid_stream
    assert isinstance(cut.error.__cause__, httpx.RemoteProtocolError)


def test_the_sync_client_sends_with_urllib3_by_default_and_httpx_without_the_extra(
    emu: Emulator, http_transport: str
) -> None:
    with arx.Client(api_key=KEY, base_url=emu.base_url) as c:
        response = c.http_client.get(f"{emu.base_url}/v1/models")
        response.close()
        message = c.messages.create(**params())
    assert message.content
    urllib3 = http_transport == "default"
    assert isinstance(response.extensions["network_stream"], _urllib3._Stream) is urllib3


def test_urllib3_is_sync_only() -> None:
    with arx.Client(api_key=KEY, transport="urllib3") as c:
        assert c.base_url
    with pytest.raises(ValueError, match="sync Client's"):
        arx.AsyncClient(api_key=KEY, transport="urllib3")


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A certificate for 127.0.0.1 that no trust store knows (made by ``openssl``)."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = str(folder / "cert.pem"), str(folder / "key.pem")
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", key, "-out", cert, "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.mark.anyio
@pytest.mark.parametrize("trusted", [False, True], ids=["unknown", "trusted"])
@pytest.mark.parametrize(
    ("kind", "anyio_backend"),
    [("sync", "asyncio"), ("async", "asyncio"), ("async", "trio")],
    ids=["sync", "async-asyncio", "async-trio"],
)
async def test_tls_is_verified_on_every_transport(
    raw: Callable[[Handler], RawServer],
    self_signed: tuple[str, str],
    kind: str,
    trusted: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if trusted:  # every transport trusts what httpx trusts, SSL_CERT_FILE included
        monkeypatch.setenv("SSL_CERT_FILE", self_signed[0])
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*self_signed)

    def tls(conn: socket.socket, server: RawServer) -> None:
        try:
            with context.wrap_socket(conn, server_side=True) as secure:
                server.note(request=read_request(secure))
        except (ssl.SSLError, OSError) as exc:
            server.note(refused=repr(exc))

    server = raw(tls)
    url = f"https://127.0.0.1:{server.port}"

    async def one() -> Run:
        if kind == "async":
            async with arx.AsyncClient(api_key=KEY, base_url=url, max_retries=0) as c:
                return await run_async(c.messages.stream(**params()))
        return await anyio.to_thread.run_sync(lambda: sync_run(url))

    run = await one()
    assert type(run.error) is arx.APIConnectionError, run.error  # the server answers nothing
    if trusted:
        assert server.wait_for(lambda s: "request" in s.notes)
        assert server.notes["request"].startswith(b"POST /v1/messages ")
    else:
        assert "certificate" in error_texts(run.error).lower()
        assert server.wait_for(lambda s: "refused" in s.notes) and "request" not in server.notes


def sync_run(url: str) -> Run:
    with arx.Client(api_key=KEY, base_url=url, max_retries=0) as c:
        return run_sync(c.messages.stream(**params()))


def test_closing_the_sync_client_closes_its_pooled_connections(emu: Emulator) -> None:
    # A finished stream's connection goes back to the pool; close() must close it there
    # (urllib3 2.x's PoolManager.clear() alone only forgets its pools).
    with arx.Client(api_key=KEY, base_url=emu.base_url) as c:
        held = c.http_client  # as a caller's stream would: no collection closes it for us
        for _ in range(2):
            assert run_sync(c.messages.stream(**params())).completed
        assert emu.stats.connections_opened == 1  # reused from the pool
    assert emu.stats.wait_idle(timeout=WAIT), emu.stats
    assert emu.stats.close_reasons() == {"client_fin": 1}  # not the server's keep-alive timer
    assert held.is_closed


@pytest.mark.anyio
async def test_closing_the_async_client_closes_its_pooled_connections(emu: Emulator) -> None:
    async with arx.AsyncClient(api_key=KEY, base_url=emu.base_url) as c:
        for _ in range(2):
            assert (await run_async(c.messages.stream(**params()))).completed
    assert await anyio.to_thread.run_sync(lambda: emu.stats.wait_idle(timeout=WAIT)), emu.stats
    assert emu.stats.close_reasons() == {"client_fin": 1}  # not the server's keep-alive timer
