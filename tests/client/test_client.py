"""The client's surface: what it sends, when it sends, what it exposes, and what it never shows."""

from __future__ import annotations

import json
import logging
import threading
import traceback
from typing import Any

import anyio
import httpx
import pytest
import reactivex
from reactivex import operators as ops

import anthropic_rx as arx
from anthropic_rx.emulator import Emulator
from anthropic_rx.operators import final_message, text_only

from .helpers import (
    KEY,
    WAIT,
    async_client,
    client,
    error_texts,
    normal_run,
    params,
    run_async,
    run_sync,
    scenario,
)

# -- what is sent ----------------------------------------------------------------------------------


def test_a_stream_sends_the_api_headers_and_exactly_the_body_it_was_given(emu: Emulator) -> None:
    urls: list[httpx.URL] = []
    tools = [{"name": "get_weather", "input_schema": {"type": "object"}}]
    with (
        httpx.Client(event_hooks={"request": [lambda r: urls.append(r.url)]}) as http,
        client(emu, http_client=http) as c,
    ):
        stream = c.messages.stream(
            **params(
                system="Be brief.",
                temperature=0.5,
                top_k=5,
                stop_sequences=["\n\nHuman:"],
                tools=tools,
                tool_choice={"type": "auto"},
                metadata={"user_id": "u-1"},
                top_p=None,  # None is "not given": not sent
                extra_headers={"x-trace": "abc"},
                extra_query={"beta": "true"},
                extra_body={"future_field": [1, 2]},
            )
        )
        assert run_sync(stream).completed
    (record,) = emu.stats.requests()
    assert json.loads(record.body) == {
        **params(),
        "stream": True,
        "system": "Be brief.",
        "temperature": 0.5,
        "top_k": 5,
        "stop_sequences": ["\n\nHuman:"],
        "tools": tools,
        "tool_choice": {"type": "auto"},
        "metadata": {"user_id": "u-1"},
        "future_field": [1, 2],
    }
    assert record.header("anthropic-version") == "2023-06-01"
    assert record.header("content-type") == "application/json"
    assert record.header("accept") == "text/event-stream"
    assert record.header("x-arx-attempt") == "1"
    assert record.header("x-trace") == "abc"
    assert (record.header("user-agent") or "").startswith(f"anthropic-rx/{arx.__version__} ")
    assert record.api_key == f"sk-…{KEY[-4:]}" and record.header("authorization") is None
    assert record.path == "/v1/messages" and urls[0].params["beta"] == "true"


def test_messages_may_be_any_iterable_and_may_hold_our_own_blocks(emu: Emulator) -> None:
    normal = normal_run(emu)
    with client(emu) as c:
        answer = c.messages.create(**params())
        history = iter([*params()["messages"], {"role": "assistant", "content": answer.content}])
        c.messages.create(**params(messages=history))
    body = json.loads(emu.stats.requests()[-1].body)
    assert body["messages"][1]["content"] == [{"type": "text", "text": normal.text()}]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"max_token": 5}, "'max_token'"),
        ({"extra_body": {"stream": False}}, "may not set 'stream'"),
        ({"extra_headers": {"X-Api-Key": "sk-other"}}, "api_key"),
    ],
)
def test_an_unknown_or_misplaced_parameter_is_a_type_error_before_anything_is_sent(
    emu: Emulator, changes: dict[str, Any], message: str
) -> None:
    with client(emu) as c, pytest.raises(TypeError, match=message):
        c.messages.stream(**params(**changes))
    assert emu.stats.requests() == []


def test_a_missing_required_parameter_is_a_type_error(emu: Emulator) -> None:
    with client(emu) as c, pytest.raises(TypeError, match="'max_tokens'"):
        c.messages.stream(model="m", messages=[])  # type: ignore[call-arg]


def test_nothing_is_sent_until_the_stream_starts_and_defer_repeats_it(emu: Emulator) -> None:
    with client(emu) as c:
        stream = c.messages.stream(**params())
        assert emu.stats.requests() == [] and stream.info.attempts == 0
        assert stream.start().wait(WAIT) and stream.error is None
        assert len(emu.stats.requests()) == 1
        again = reactivex.defer(lambda _: c.messages.stream(**params()))
        assert again.pipe(final_message()).run() == again.pipe(final_message()).run()
    assert len(emu.stats.requests()) == 3


def test_two_pipelines_on_one_stream_send_exactly_one_request(emu: Emulator) -> None:
    with client(emu) as c:
        stream = c.messages.stream(**params())
        text = stream.pipe(text_only(), ops.to_list()).run()
        message = stream.pipe(final_message()).run()
    assert "".join(text) == message.content[0].text  # type: ignore[union-attr]
    assert len(emu.stats.requests()) == 1 and emu.stats.connections_opened == 1


@pytest.mark.anyio
async def test_two_pipelines_on_one_async_stream_send_exactly_one_request(emu: Emulator) -> None:
    async with async_client(emu) as c:
        stream = c.messages.stream(**params())
        text = await arx.last_value(stream.pipe(text_only(), ops.to_list()))
        message = await arx.last_value(stream.pipe(final_message()))
    assert "".join(text) == message.content[0].text  # type: ignore[union-attr]
    assert len(emu.stats.requests()) == 1


# -- create() ----------------------------------------------------------------------------------


def test_create_returns_the_message_the_stream_would_end_with(emu: Emulator) -> None:
    normal = normal_run(emu)
    with client(emu) as c:
        message = c.messages.create(**params())
    streamed = arx.MessageAccumulator()
    for event in normal.events:
        streamed.feed(event)
    assert message == streamed.message()
    (record,) = emu.stats.requests()[-1:]
    assert json.loads(record.body)["stream"] is False
    assert record.header("accept") == "application/json"


@pytest.mark.anyio
async def test_async_create_retries_before_the_answer_and_returns_it(emu: Emulator) -> None:
    headers = scenario("F02", status=500)
    async with async_client(emu) as c:
        message = await c.messages.create(**params(extra_headers=headers))
    assert message.stop_reason in ("end_turn", "max_tokens")
    assert emu.stats.attempts(headers["x-emulator-key"]) == 2


def test_create_raises_the_typed_error_with_its_request(emu: Emulator) -> None:
    with client(emu) as c, pytest.raises(arx.RequestTooLargeError) as caught:
        c.messages.create(**params(extra_headers=scenario("F21")))
    assert caught.value.request_id is not None and caught.value.attempts == 1


# -- what a stream exposes -------------------------------------------------------------------------


def test_stream_info_holds_the_request_id_status_headers_and_rate_limits(emu: Emulator) -> None:
    with client(emu) as c:
        stream = c.messages.stream(**params())
        assert repr(stream.info) == "<StreamInfo attempts=0 status_code=None request_id=None>"
        assert run_sync(stream).completed
    info = stream.info
    assert isinstance(info, arx.StreamInfo) and info.attempts == 1 and info.status_code == 200
    (record,) = emu.stats.requests()
    assert info.request_id == record.request_id and info.request_ids == (record.request_id,)
    assert info.headers["content-type"].startswith("text/event-stream")
    assert info.ratelimit["anthropic-ratelimit-tokens-limit"] == "2400000"
    assert all(name.startswith("anthropic-ratelimit-") for name in info.ratelimit)
    assert info.url == f"{emu.base_url}/v1/messages"


# -- closing -----------------------------------------------------------------------------------

# The F18 server writes a filler only every 30 s, so a connection closed within WAIT (10 s)
# was closed by the client, not by the next byte arriving.


def test_abort_closes_the_connection_at_once(emu: Emulator) -> None:
    with client(emu) as c:
        stream = c.messages.stream(**params(extra_headers=scenario("F18", interval=30)))
        first = threading.Event()
        stream.subscribe(lambda _: first.set())
        assert first.wait(WAIT)
        stream.abort()
        assert emu.stats.wait_for(lambda s: s.connections_open == 0, WAIT)
    assert isinstance(stream.error, arx.StreamAbortedError)
    (record,) = emu.stats.requests()
    assert emu.stats.wait_for(lambda s: s.requests()[0].outcome == "disconnected", WAIT)
    assert record.scenario == "F18"


def test_the_last_subscriber_leaving_closes_the_connection(emu: Emulator) -> None:
    with client(emu) as c:
        stream = c.messages.stream(**params(extra_headers=scenario("F18", interval=30)))
        first = threading.Event()
        one = stream.subscribe(lambda _: first.set())
        two = stream.pipe(text_only()).subscribe(lambda _: None)
        assert first.wait(WAIT)
        one.dispose()
        assert not stream.done and emu.stats.connections_open == 1  # one subscriber is left
        two.dispose()
        assert emu.stats.wait_for(lambda s: s.connections_open == 0, WAIT)
    assert isinstance(stream.error, arx.StreamAbortedError)


def test_a_subscriber_leaving_from_its_own_callback_closes_the_connection(emu: Emulator) -> None:
    """``take(1)`` disposes inside ``on_next``, on the reading thread itself."""
    with client(emu) as c:
        stream = c.messages.stream(**params(extra_headers=scenario("F18", interval=30)))
        first = stream.pipe(ops.take(1)).run()
        assert first.type == "message_start"
        assert emu.stats.wait_for(lambda s: s.connections_open == 0, WAIT)
        # take(1) disposes on the reading thread right after run() has its value.
        assert stream.wait(WAIT) and isinstance(stream.error, arx.StreamAbortedError)


@pytest.mark.anyio
async def test_an_async_subscriber_leaving_from_its_own_callback_closes_the_connection(
    emu: Emulator,
) -> None:
    async with async_client(emu) as c:
        stream = c.messages.stream(**params(extra_headers=scenario("F18", interval=30)))
        first = await arx.last_value(stream.pipe(ops.take(1)))
        assert first.type == "message_start"
        closed = await anyio.to_thread.run_sync(
            emu.stats.wait_for, lambda s: s.connections_open == 0, WAIT
        )
        assert closed
    assert isinstance(stream.error, arx.StreamAbortedError)


def test_closing_the_client_aborts_its_running_streams_and_its_copies_streams(
    emu: Emulator,
) -> None:
    c = client(emu)
    copy = c.with_options(max_retries=0)
    streams = [
        owner.messages.stream(**params(extra_headers=scenario("F18", interval=30)))
        for owner in (c, copy)
    ]
    assert all(stream.start() is stream for stream in streams)
    assert emu.stats.wait_for(lambda s: s.connections_open == 2, WAIT)
    c.close()
    assert all(isinstance(stream.error, arx.StreamAbortedError) for stream in streams)
    assert emu.stats.wait_for(lambda s: s.connections_open == 0, WAIT)
    for owner in (c, copy):
        with pytest.raises(RuntimeError, match="closed"):
            owner.messages.stream(**params())


def test_an_http_client_passed_in_is_left_open(emu: Emulator) -> None:
    with httpx.Client() as http:
        with client(emu, http_client=http) as c:
            assert c.http_client is http
            assert run_sync(c.messages.stream(**params())).completed
        assert not http.is_closed
        assert http.get(f"{emu.base_url}/").status_code == 404  # still usable


@pytest.mark.anyio
async def test_an_async_http_client_passed_in_is_left_open(emu: Emulator) -> None:
    async with httpx.AsyncClient() as http:
        async with async_client(emu, http_client=http) as c:
            assert (await run_async(c.messages.stream(**params()))).completed
        assert not http.is_closed


def test_with_options_changes_one_setting_and_shares_the_connections(emu: Emulator) -> None:
    with client(emu) as c:
        quick = c.with_options(max_retries=0, idle_timeout=0.3)
        assert quick.http_client is c.http_client and "max_retries=0" in repr(quick)
        stream = quick.messages.stream(**params(extra_headers=scenario("F02", status=529)))
        run = run_sync(stream)
        assert isinstance(run.error, arx.OverloadedError) and run.error.attempts == 1
        quick.close()  # the shared connections stay
        assert run_sync(c.messages.stream(**params())).completed


def test_the_async_client_needs_a_running_loop_to_stream(emu: Emulator) -> None:
    c = async_client(emu)
    try:
        with pytest.raises(RuntimeError, match="running event loop"):
            c.messages.stream(**params())
    finally:
        anyio.run(c.aclose)


# -- settings ------------------------------------------------------------------------------------


def test_the_key_and_base_url_come_from_the_environment(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", emu.base_url)
    with arx.Client() as c:
        assert c.base_url == emu.base_url
        assert c.messages.create(**params()).content
    assert emu.stats.requests()[0].api_key == f"sk-…{KEY[-4:]}"


def test_the_default_base_url_is_the_api(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    with arx.Client(api_key=KEY) as c:
        assert c.base_url == "https://api.anthropic.com"


def test_no_key_anywhere_is_a_value_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(ValueError, match="ANTHROPIC_API_KEY"):
        arx.Client()


@pytest.mark.parametrize(
    "base_url", ["http://127.0.0.1:9", "http://localhost:9", "http://[::1]:9", "https://a.example"]
)
def test_https_or_loopback_http_is_accepted(base_url: str) -> None:
    with arx.Client(api_key=KEY, base_url=base_url) as c:
        assert c.base_url == base_url


def test_plain_http_off_loopback_is_refused_unless_explicitly_allowed() -> None:
    with pytest.raises(ValueError, match="in clear"):
        arx.Client(api_key=KEY, base_url="http://api.example.com")
    with arx.Client(api_key=KEY, base_url="http://api.example.com", allow_insecure_http=True):
        pass
    with pytest.raises(ValueError, match="http"):
        arx.Client(api_key=KEY, base_url="ftp://127.0.0.1")


@pytest.mark.parametrize(
    "options",
    [{"max_retries": -1}, {"idle_timeout": 0}, {"deadline": -1.0}, {"connect_timeout": 0}],
)
def test_a_nonsensical_limit_is_a_value_error(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(options))):
        arx.Client(api_key=KEY, **options)


# -- the key stays secret ------------------------------------------------------------------------


def test_reprs_mask_the_key() -> None:
    with arx.Client(api_key=KEY) as c:
        text = repr(c)
    assert KEY not in text and f"'sk-…{KEY[-4:]}'" in text
    short = arx.Client(api_key="sk-short")
    assert "sk-short" not in repr(short) and "'…'" in repr(short)
    short.close()


@pytest.mark.parametrize(
    ("code", "options"),
    [
        ("none", {}),
        ("F01", {"variant": "long"}),
        ("F03", {}),
        ("F05", {}),
        ("F11", {}),
        ("F20", {"variant": "html"}),
        ("F21", {}),
        ("F22", {}),
    ],
)
def test_the_key_appears_in_no_log_line_repr_or_error(
    emu: Emulator, code: str, options: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: ours, httpx's, httpcore's, the emulator's
    with client(emu) as c:
        stream = c.messages.stream(**params(extra_headers=scenario(code, **options)))
        run = run_sync(stream)
        texts = [caplog.text, repr(c), repr(stream.info), repr(dict(stream.info.headers))]
    if run.error is not None:
        texts += [error_texts(run.error), "".join(traceback.format_exception(run.error))]
        cause = run.error.__cause__
        request = getattr(cause, "request", None)
        if request is not None:  # httpx keeps the request: its headers must not hold the key
            texts.append(repr(dict(request.headers)))
    assert all(KEY not in text for text in texts)
    assert all(KEY[-12:] not in text for text in texts)  # not even most of it


def test_the_key_appears_in_no_connection_error_even_with_the_request_inside(
    emu: Emulator,
) -> None:
    with arx.Client(api_key=KEY, base_url=emu.refused_url, max_retries=0) as c:
        run = run_sync(c.messages.stream(**params()))
    assert isinstance(run.error, arx.APIConnectionError)
    cause = run.error.__cause__
    assert isinstance(cause, httpx.ConnectError)
    assert "x-api-key" not in cause.request.headers
    assert KEY not in error_texts(run.error)


def test_none_for_the_key_or_url_means_the_environment_and_with_options_keeps_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-from-the-environment-0000")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:1")
    with arx.Client(api_key=None, base_url=None) as client:
        assert client.base_url == "http://127.0.0.1:1"
        same = client.with_options(base_url=None, api_key=None, max_retries=0)
        assert same.base_url == "http://127.0.0.1:1"
        assert "…0000" in repr(same)
