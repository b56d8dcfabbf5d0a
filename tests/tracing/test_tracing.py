"""OpenTelemetry spans, read back from the SDK's in-memory exporter."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pytest

pytest.importorskip("opentelemetry.sdk")

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Span, SpanKind, StatusCode

import anthropic_rx as arx
from anthropic_rx.conversations import tool
from anthropic_rx.emulator import Emulator
from anthropic_rx.operators import final_message
from anthropic_rx.tracing import instrument

from ..client.helpers import KEY, PROMPT, params, scenario
from ..relay.support import wait_until


@pytest.fixture
def spans() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider, exporter
    provider.shutdown()


@contextmanager
def traced(
    emu: Emulator, provider: TracerProvider, *, capture_content: bool = False, **options: Any
) -> Iterator[arx.Client]:
    """A client of *emu* made with *options*, traced into *provider* while it is open."""
    with (
        instrument(tracer_provider=provider, capture_content=capture_content),
        arx.Client(api_key=KEY, base_url=emu.base_url, **options) as c,
    ):
        yield c


@contextmanager
def in_a_handler(emu: Emulator, provider: TracerProvider) -> Iterator[tuple[arx.Client, Span]]:
    """A client traced with content, called inside the application's own span "handler"."""
    with (
        traced(emu, provider, capture_content=True) as c,
        provider.get_tracer("app").start_as_current_span("handler") as handler,
    ):
        yield c, handler


def no_secret(span: ReadableSpan) -> None:
    text = json.dumps(
        {**dict(span.attributes or {}), "events": [str(e.attributes) for e in span.events]}
    )
    assert KEY not in text


def assert_a_chat(attrs: Mapping[str, Any], message: arx.Message, request_id: str | None) -> None:
    """*attrs* are those of one chat (``params(temperature=0.5)``) answered by *message*, in
    one attempt, with *request_id*."""
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.request.model"] == "claude-emulated"
    assert attrs["gen_ai.request.max_tokens"] == 64
    assert attrs["gen_ai.request.temperature"] == 0.5
    assert attrs["gen_ai.response.id"] == message.id
    assert attrs["gen_ai.usage.input_tokens"] == message.usage.input_tokens
    assert attrs["gen_ai.usage.output_tokens"] == message.usage.output_tokens
    assert attrs["gen_ai.response.finish_reasons"] == (message.stop_reason,)
    assert attrs["anthropic.request_id"] == request_id
    assert attrs["anthropic.attempts"] == 1


def test_a_stream_is_one_client_span(
    emu: Emulator, spans: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = spans
    with traced(emu, provider) as c:
        stream = c.messages.stream(**params(temperature=0.5, stop_sequences=["END"]))
        message = stream.pipe(final_message()).run()
        assert stream.wait(10)
    (span,) = exporter.get_finished_spans()
    attrs = dict(span.attributes or {})
    assert span.name == "chat claude-emulated" and span.kind is SpanKind.CLIENT
    assert attrs["gen_ai.system"] == "anthropic"
    assert_a_chat(attrs, message, stream.info.request_id)
    assert attrs["gen_ai.request.stop_sequences"] == ("END",)
    assert attrs["server.address"] == "127.0.0.1"
    assert float(attrs["gen_ai.response.time_to_first_chunk"]) > 0  # type: ignore[arg-type]
    assert "gen_ai.input.messages" not in attrs and "gen_ai.output.messages" not in attrs
    assert span.status.status_code is StatusCode.UNSET
    no_secret(span)


def test_content_only_when_asked_and_parent_from_context(
    emu: Emulator, spans: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = spans
    with in_a_handler(emu, provider) as (c, handler):
        stream = c.messages.stream(**params())
        text = stream.pipe(arx.operators.final_text()).run()
        assert stream.wait(10)
    chat = next(s for s in exporter.get_finished_spans() if s.name.startswith("chat"))
    attrs = dict(chat.attributes or {})
    assert PROMPT in str(attrs["gen_ai.input.messages"])
    assert json.loads(str(attrs["gen_ai.output.messages"]))[0]["content"][0]["text"] == text
    assert chat.parent is not None and chat.parent.span_id == handler.get_span_context().span_id


def test_retries_with_their_causes(
    emu: Emulator, spans: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = spans
    with traced(emu, provider, max_retry_wait=60) as c:
        stream = c.messages.stream(
            **params(), extra_headers=scenario("F02", status=529, retry_after=0)
        )
        stream.pipe(final_message()).run()
        assert stream.wait(10)
    (span,) = exporter.get_finished_spans()
    assert dict(span.attributes or {})["anthropic.attempts"] == 2
    (retry,) = [e for e in span.events if e.name == "retry"]
    assert dict(retry.attributes or {})["cause"] == "HTTP 529"


def test_errors_are_recorded_with_their_type(
    emu: Emulator, spans: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = spans
    with traced(emu, provider) as c:
        stream = c.messages.stream(**params(), extra_headers=scenario("F03", after=2))
        with pytest.raises(arx.OverloadedError):
            stream.pipe(final_message()).run()
        assert stream.wait(10)
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
    assert dict(span.attributes or {})["error.type"] == "OverloadedError"
    assert any(e.name == "exception" for e in span.events)
    no_secret(span)


def test_off_after_uninstrument(
    emu: Emulator, spans: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = spans
    tracing = instrument(tracer_provider=provider)
    tracing.uninstrument()
    with arx.Client(api_key=KEY, base_url=emu.base_url) as c:
        stream = c.messages.stream(**params())
        stream.pipe(final_message()).run()
    assert exporter.get_finished_spans() == ()


@tool
def get_weather(city: str) -> str:
    """Get the weather in a city."""
    return f"sunny in {city}"


@tool
def broken(city: str) -> str:
    """Always fails."""
    raise RuntimeError("no weather today")


@pytest.mark.parametrize("fn", [get_weather, broken])
def test_conversation_tools_are_child_spans(
    emu: Emulator, spans: tuple[TracerProvider, InMemorySpanExporter], fn: arx.Tool
) -> None:
    provider, exporter = spans
    with traced(emu, provider) as c:
        conversation = c.messages.conversation(tools=[fn], max_turns=3, **params())
        conversation.final_message(timeout=20)
        # The run's span ends with its ConversationStopped event, told just after the end.
        assert wait_until(
            lambda: any(s.name == "invoke_agent" for s in exporter.get_finished_spans())
        )
    finished = exporter.get_finished_spans()
    (run,) = [s for s in finished if s.name == "invoke_agent"]
    tools = [s for s in finished if s.name == f"execute_tool {fn.name}"]
    chats = [s for s in finished if s.name.startswith("chat")]
    assert tools and len(chats) >= 2
    run_id = run.get_span_context().span_id
    assert all(s.parent is not None and s.parent.span_id == run_id for s in tools + chats)
    attrs = dict(tools[0].attributes or {})
    assert attrs["gen_ai.tool.name"] == fn.name and attrs["gen_ai.operation.name"] == "execute_tool"
    assert "gen_ai.tool.call.arguments" not in attrs
    if fn is broken:
        assert tools[0].status.status_code is StatusCode.ERROR
        assert attrs["error.type"] == "RuntimeError"


def counting() -> dict[str, Any]:
    """The parameters of a count_tokens request (those of `params` but max_tokens)."""
    return {k: v for k, v in params().items() if k != "max_tokens"}


def test_create_is_one_client_span_like_a_streams(
    emu: Emulator, spans: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = spans
    with in_a_handler(emu, provider) as (c, handler):
        message = c.messages.create(**params(temperature=0.5))
        raw = c.messages.with_raw_response.create(**params())
        counted = c.messages.count_tokens(**counting())
    chat, raw_chat, count = [s for s in exporter.get_finished_spans() if s.name != "handler"]
    attrs = dict(chat.attributes or {})
    assert chat.name == "chat claude-emulated" and chat.kind is SpanKind.CLIENT
    assert chat.parent is not None and chat.parent.span_id == handler.get_span_context().span_id
    assert_a_chat(attrs, message, message.info.request_id)
    assert attrs["gen_ai.response.model"] == message.model
    assert PROMPT in str(attrs["gen_ai.input.messages"])
    text = message.content[0].text  # type: ignore[union-attr]
    assert json.loads(str(attrs["gen_ai.output.messages"]))[0]["content"][0]["text"] == text
    assert chat.status.status_code is StatusCode.UNSET
    raw_attrs = dict(raw_chat.attributes or {})
    assert raw_attrs["gen_ai.response.id"] == raw.parse().id
    assert raw_attrs["anthropic.request_id"] == raw.request_id
    assert count.name == "count_tokens claude-emulated"
    count_attrs = dict(count.attributes or {})
    assert count_attrs["gen_ai.operation.name"] == "count_tokens"
    assert count_attrs["gen_ai.usage.input_tokens"] == counted.input_tokens
    for span in (chat, raw_chat, count):
        no_secret(span)
    assert emu.stats.wait_idle(10)


def test_create_retries_and_errors_are_recorded(
    emu: Emulator, spans: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = spans
    with traced(emu, provider, max_retry_wait=60) as c:
        c.messages.create(**params(), extra_headers=scenario("F02", status=529, retry_after=0))
        with pytest.raises(arx.OverloadedError):
            c.with_options(max_retries=0).messages.create(
                **params(), extra_headers=scenario("F02", status=529, retry_after=0)
            )
    retried, failed = exporter.get_finished_spans()
    assert dict(retried.attributes or {})["anthropic.attempts"] == 2
    (retry,) = [e for e in retried.events if e.name == "retry"]
    assert dict(retry.attributes or {})["cause"] == "HTTP 529"
    assert retried.status.status_code is StatusCode.UNSET
    assert failed.status.status_code is StatusCode.ERROR
    attrs = dict(failed.attributes or {})
    assert attrs["error.type"] == "OverloadedError" and attrs["anthropic.attempts"] == 1
    assert "gen_ai.usage.input_tokens" not in attrs
    assert any(e.name == "exception" for e in failed.events)
    no_secret(failed)
    assert emu.stats.wait_idle(10)


@pytest.mark.anyio
async def test_async_create_is_a_span_under_the_callers_context(
    emu: Emulator, spans: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = spans
    app = provider.get_tracer("app")
    with instrument(tracer_provider=provider), app.start_as_current_span("handler") as handler:
        async with arx.AsyncClient(api_key=KEY, base_url=emu.base_url) as c:
            message = await c.messages.create(**params())
            counted = await c.messages.count_tokens(**counting())
            with pytest.raises(arx.OverloadedError):
                await c.with_options(max_retries=0).messages.create(
                    **params(), extra_headers=scenario("F02", status=529)
                )
    chat, count, failed = [s for s in exporter.get_finished_spans() if s.name != "handler"]
    for span in (chat, count, failed):
        assert span.parent is not None
        assert span.parent.span_id == handler.get_span_context().span_id
    assert dict(chat.attributes or {})["gen_ai.response.id"] == message.id
    assert dict(count.attributes or {})["gen_ai.usage.input_tokens"] == counted.input_tokens
    assert dict(failed.attributes or {})["error.type"] == "OverloadedError"
    assert failed.status.status_code is StatusCode.ERROR
    assert emu.stats.wait_idle(10)
