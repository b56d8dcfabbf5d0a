"""The relay from a Starlette app (skipped when Starlette is not installed): returned by an
endpoint like a response, found by key in a registry."""

from __future__ import annotations

import json

import httpx
import pytest

import anthropic_rx as arx
from anthropic_rx.emulator import Emulator
from anthropic_rx.relay import RelayRegistry

from ..client.helpers import KEY, params
from .support import Tab, serve

starlette = pytest.importorskip("starlette")


def test_starlette_routes_to_a_relay(emu: Emulator) -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, PlainTextResponse, Response
    from starlette.routing import Route

    relays = RelayRegistry()
    client = arx.Client(api_key=KEY, base_url=emu.base_url)

    async def start(request: Request) -> Response:
        key = request.path_params["key"]
        relays.open(key, client.messages.stream(**params()))
        return JSONResponse({"events": f"/events/{key}"})

    async def events(request: Request) -> object:
        relay = relays.get(request.path_params["key"])
        return relay or PlainTextResponse("gone", status_code=404)

    app = Starlette(
        routes=[
            Route("/chat/{key}", start, methods=["POST"]),
            Route("/events/{key}", events),  # type: ignore[arg-type]
        ]
    )
    with client, serve(app) as url:
        link = httpx.post(f"{url}/chat/c1").json()["events"]
        got = Tab(url + link).read()
        assert httpx.get(f"{url}/events/zz").status_code == 404
    assert json.loads(got[-1].data) == {"ok": True}
    assert got[0].event == "message_start"
    assert emu.stats.wait_idle(10.0)


def test_an_async_client_stream_made_in_the_servers_loop(emu: Emulator) -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    relays = RelayRegistry()
    clients: list[arx.AsyncClient] = []

    async def start(request: Request) -> Response:
        if not clients:
            clients.append(arx.AsyncClient(api_key=KEY, base_url=emu.base_url))
        relays.open("a", clients[0].messages.stream(**params()), abort_when_abandoned=0)
        return JSONResponse({})

    async def events(request: Request) -> object:
        return relays.get("a")

    async def close(request: Request) -> Response:
        await clients[0].aclose()
        return JSONResponse({})

    app = Starlette(
        routes=[
            Route("/start", start, methods=["POST"]),
            Route("/events", events),  # type: ignore[arg-type]
            Route("/close", close, methods=["POST"]),
        ]
    )
    with serve(app) as url:
        httpx.post(f"{url}/start")
        got = Tab(f"{url}/events").read()
        again = Tab(f"{url}/events", last_event_id="2").read()
        httpx.post(f"{url}/close")
    assert json.loads(got[-1].data) == {"ok": True}
    assert again == got[3:]
    assert emu.stats.wait_idle(10.0)
