"""The per-request shortcuts: what is sent and what is kept is what httpx would send and keep."""

from __future__ import annotations

import anyio
import httpx

import anthropic_rx as arx
from anthropic_rx.client._http import lean_cookies
from anthropic_rx.emulator import Emulator

from .helpers import WAIT, async_client, client, params, run_async, run_sync


def test_the_http_clients_own_headers_are_sent_and_ours_win_over_them(emu: Emulator) -> None:
    headers = {"X-Team": "rx", "Accept": "text/html", "User-Agent": "theirs"}
    with httpx.Client(headers=headers) as http, client(emu, http_client=http) as c:
        assert run_sync(c.messages.stream(**params())).completed
    (record,) = emu.stats.requests()
    assert record.header("x-team") == "rx"
    assert record.header("accept") == "text/event-stream"
    assert (record.header("user-agent") or "").startswith(f"anthropic-rx/{arx.__version__} ")
    assert [name for name, _ in record.headers].count("accept") == 1
    assert emu.stats.wait_for(lambda s: s.connections_open == 0, WAIT)


def test_an_async_stream_on_aiohttp_sends_the_same_headers(emu: Emulator) -> None:
    async def main() -> None:
        async with async_client(emu) as c:
            assert (await run_async(c.messages.stream(**params()))).completed

    anyio.run(main)
    (record,) = emu.stats.requests()
    assert record.header("accept") == "text/event-stream"
    assert record.header("connection") == "keep-alive"
    assert record.header("x-arx-attempt") == "1"
    assert emu.stats.wait_for(lambda s: s.connections_open == 0, WAIT)


def _response(**headers: str) -> httpx.Response:
    return httpx.Response(200, headers=headers, request=httpx.Request("POST", "http://127.0.0.1/"))


def test_a_lean_jar_keeps_and_sends_cookies_as_httpx_does() -> None:
    http = httpx.Client()
    lean_cookies(http)
    http.cookies.extract_cookies(_response(**{"request-id": "req_1"}))
    assert not http.cookies
    http.cookies.extract_cookies(_response(**{"Set-Cookie": "session=s1; Path=/"}))
    assert http.cookies["session"] == "s1"
    assert http.build_request("GET", "http://127.0.0.1/v1").headers["cookie"] == "session=s1"
    http.close()


def test_an_http_client_passed_in_keeps_its_own_jar() -> None:
    with httpx.Client() as http, arx.Client(api_key="sk-ant-test", http_client=http):
        assert type(http.cookies) is httpx.Cookies
