"""A web chat: a Starlette service relays Claude's streaming answer to a page (EventSource).

Run it (on the local emulator without ``ANTHROPIC_API_KEY``, on the API with one)::

    pip install 'anthropic-rx[web,emulator]'
    python examples/web_chat/web_chat.py          # then open http://127.0.0.1:8000

The page shows the answer streaming in, the input of a tool call forming in a side pane, a
Stop button that aborts the upstream request (its connection closes), and a Reconnect button
that drops the page's connection and opens a new one from the last event it saw: the
relay serves what it missed from its buffer, then the live events, with no second request.

``POST /chat`` starts a request and answers ``{"id": …}``; ``GET /events/{id}`` is the
event stream (resumable: ``Last-Event-ID`` or ``?last_event_id=``); ``POST /stop/{id}``
aborts it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from reactivex import Observable
from reactivex import operators as ops
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

import anthropic_rx as arx
from anthropic_rx.events import (
    ContentBlockDeltaEvent,
    ContentBlockStartEvent,
    InputJSONDelta,
    MessageDeltaEvent,
    MessageStartEvent,
    StreamEvent,
    TextDelta,
    ToolUseBlock,
)
from anthropic_rx.relay import RelayRegistry

HERE = Path(__file__).parent
MODEL = os.environ.get("WEB_CHAT_MODEL", "claude-sonnet-4-5")
WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Get the current weather in a city.",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "unit": {"type": "string"}},
        "required": ["city"],
    },
}


def ui_item(event: StreamEvent) -> dict[str, Any] | None:
    """The small shape the page reads: text pieces, tool input pieces, the stop reason."""
    if isinstance(event, ContentBlockDeltaEvent):
        if isinstance(event.delta, TextDelta):
            return {"type": "text", "text": event.delta.text}
        if isinstance(event.delta, InputJSONDelta):
            return {"type": "tool_json", "index": event.index, "json": event.delta.partial_json}
    elif isinstance(event, ContentBlockStartEvent) and isinstance(
        event.content_block, ToolUseBlock
    ):
        block = event.content_block
        return {"type": "tool", "index": event.index, "name": block.name, "id": block.id}
    elif isinstance(event, MessageStartEvent):
        return {"type": "start", "model": event.message.model}
    elif isinstance(event, MessageDeltaEvent):
        return {"type": "stop", "stop_reason": event.delta.stop_reason}
    return None


def ui_shape(stream: Observable[StreamEvent]) -> Observable[dict[str, Any]]:
    """The operator pipeline the relay applies: events → the page's items."""
    items: Observable[dict[str, Any] | None] = stream.pipe(ops.map(ui_item))
    return cast("Observable[dict[str, Any]]", items.pipe(ops.filter(lambda i: i is not None)))


def create_app(
    client: arx.Client,
    *,
    request_options: Mapping[str, Any] | None = None,
    max_tokens: int = 400,
) -> Starlette:
    """The service: *client* makes the requests (with *request_options* added to each)."""
    relays = RelayRegistry(ttl=600, max_streams=100)
    streams: dict[str, arx.MessageStream] = {}

    async def index(request: Request) -> Response:
        return FileResponse(HERE / "index.html")

    async def chat(request: Request) -> Response:
        body = await request.json()
        prompt = str(body.get("prompt") or "").strip()
        if not prompt:
            return JSONResponse({"error": "empty prompt"}, status_code=400)
        stream = client.messages.stream(
            model=MODEL,
            max_tokens=max_tokens,
            messages=[{"role": "user", "content": prompt}],
            tools=[WEATHER_TOOL],
            **dict(request_options or {}),
        )
        key = uuid.uuid4().hex
        streams[key] = stream
        relays.open(key, stream, shape=ui_shape, retry_ms=500)
        return JSONResponse({"id": key})

    async def events(request: Request) -> Any:
        relay = relays.get(request.path_params["key"])
        return relay or PlainTextResponse("no such stream", status_code=404)

    async def stop(request: Request) -> Response:
        relay = relays.get(request.path_params["key"])
        if relay is None:
            return PlainTextResponse("no such stream", status_code=404)
        relay.abort()
        return JSONResponse({"stopped": True})

    app = Starlette(
        routes=[
            Route("/", index),
            Route("/chat", chat, methods=["POST"]),
            Route("/events/{key}", events),
            Route("/stop/{key}", stop, methods=["POST"]),
        ]
    )
    app.state.relays = relays
    app.state.streams = streams
    return app


def main() -> None:
    import uvicorn

    from anthropic_rx.emulator import Emulator

    if os.environ.get("ANTHROPIC_API_KEY"):
        with arx.Client() as client:
            uvicorn.run(create_app(client), host="127.0.0.1", port=8000)
        return
    with Emulator(pace=25) as emu, arx.Client(api_key="emulated", base_url=emu.base_url) as client:
        print(f"no ANTHROPIC_API_KEY: answering from the emulator at {emu.base_url}")
        uvicorn.run(create_app(client), host="127.0.0.1", port=8000)


if __name__ == "__main__":
    main()
