"""The official SDK's tool runner and our loop send the same requests for the same conversation.

Both run against the emulator, which answers deterministically from the request body and
records every body it gets: same bodies in, same answers out, so equal sequences of bodies
(key order aside) show that the two loops build the same history, tool results included.

The emulator's answer depends on the body's bytes, key order included, and the SDK orders
keys its own way: both clients go through a transport that writes the body with sorted keys
(nothing else changes), so equal bodies get equal answers.

The SDK's runner keeps the history in a server-side thread by default (``thread: create`` /
``continue``, sending only the new messages); ``thread=False`` makes it send the whole
``messages`` list every turn, as the Messages API takes it and as our loop does.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

import anthropic_rx as arx
from anthropic_rx.emulator import Emulator

from .helpers import KEY, MODEL, PROMPT

anthropic = pytest.importorskip("anthropic")
httpx2 = pytest.importorskip("httpx2")


def sorted_keys(module: Any) -> Any:
    """A transport of *module* (httpx or the SDK's httpx2) that sorts the JSON body's keys."""

    class Transport(module.BaseTransport):  # type: ignore[misc]
        def __init__(self) -> None:
            self._inner = module.HTTPTransport()

        def handle_request(self, request: Any) -> Any:
            body = json.dumps(json.loads(request.read()), sort_keys=True).encode()
            headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
            canonical = module.Request(request.method, request.url, headers=headers, content=body)
            canonical.extensions = request.extensions
            return self._inner.handle_request(canonical)

        def close(self) -> None:
            self._inner.close()

    return module.Client(transport=Transport())


def get_weather(city: str, unit: str = "C") -> str:
    """Get the current weather in a city.

    Args:
        city: the city's name.
        unit: C or F.
    """
    return f"18 {unit} and sunny in {city}"


def lookup_population(city: str) -> str:
    """Look up how many people live in a city."""
    return json.dumps({"city": city, "population": 2_100_000})


def bodies(emu: Emulator) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in emu.stats.requests()]


def sdk_bodies(emu: Emulator, headers: dict[str, str], **runner: Any) -> list[dict[str, Any]]:
    emu.stats.reset()
    sdk = anthropic.Anthropic(
        api_key=KEY, base_url=emu.base_url, max_retries=0, http_client=sorted_keys(httpx2)
    )
    try:
        tools = [anthropic.beta_tool(get_weather), anthropic.beta_tool(lookup_population)]
        run = sdk.beta.messages.tool_runner(
            model=MODEL,
            max_tokens=512,
            messages=[{"role": "user", "content": PROMPT}],
            tools=tools,
            stream=True,
            thread=False,  # the whole history in every request, as the Messages API takes it
            extra_headers=headers,
            **runner,
        )
        for stream in run:
            for _ in stream:
                pass
    finally:
        sdk.close()
    return bodies(emu)


def our_bodies(emu: Emulator, headers: dict[str, str], **loop: Any) -> list[dict[str, Any]]:
    emu.stats.reset()
    http = sorted_keys(httpx)
    with http, arx.Client(api_key=KEY, base_url=emu.base_url, max_retries=0, http_client=http) as c:
        conversation = c.messages.conversation(
            model=MODEL,
            max_tokens=512,
            messages=[{"role": "user", "content": PROMPT}],
            tools=[arx.tool(get_weather), arx.tool(lookup_population)],
            extra_headers=headers,
            **loop,
        )
        conversation.final_message(10)
    return bodies(emu)


@pytest.mark.parametrize(
    ("options", "sdk_args", "our_args", "requests"),
    [
        # Two parallel calls, then the answer.
        ({"tool_calls": 2}, {}, {}, 2),
        # Calls started while the reply streams: the requests do not change.
        ({"tool_calls": 3}, {"run_tools_eagerly": True}, {"start_tools_early": True}, 2),
        # The model calls a tool on every turn: both stop after three requests.
        ({"tool": "lookup_population"}, {"max_iterations": 3}, {"max_turns": 3}, 3),
    ],
)
def test_the_sdk_tool_runner_sends_the_same_requests(
    emu: Emulator,
    options: dict[str, Any],
    sdk_args: dict[str, Any],
    our_args: dict[str, Any],
    requests: int,
) -> None:
    headers = {"x-emulator-options": json.dumps(options)}
    theirs = sdk_bodies(emu, headers, **sdk_args)
    ours = our_bodies(emu, headers, **our_args)
    assert len(ours) == requests
    assert ours == theirs
