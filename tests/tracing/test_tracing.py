"""OpenTelemetry spans, read back from the SDK's in-memory exporter."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

pytest.importorskip("opentelemetry.sdk")

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

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


def no_secret(span: ReadableSpan) -> None:
    text = json.dumps(
        {**dict(span.attributes or {}), "events": [str(e.attributes) for e in span.events]}
    )
    assert KEY not in text


def test_a_stream_is_one_client_span(
    emu: Emulator, spans: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = spans
    with instrument(tracer_provider=provider), arx.Client(api_key=KEY, base_url=emu.base_url) as c:
        stream = c.messages.stream(**params(temperature=0.5, stop_sequences=["END"]))
        message = stream.pipe(final_message()).run()
        assert stream.wait(10)
    (span,) = exporter.get_finished_spans()
    attrs = dict(span.attributes or {})
    assert span.name == "chat claude-emulated" and span.kind is SpanKind.CLIENT
    assert attrs["gen_ai.system"] == "anthropic"
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.request.model"] == "claude-emulated"
    assert attrs["gen_ai.request.max_tokens"] == 64
    assert attrs["gen_ai.request.temperature"] == 0.5
    assert attrs["gen_ai.request.stop_sequences"] == ("END",)
    assert attrs["gen_ai.response.id"] == message.id
    assert attrs["gen_ai.usage.input_tokens"] == message.usage.input_tokens
    assert attrs["gen_ai.usage.output_tokens"] == message.usage.output_tokens
    assert attrs["gen_ai.response.finish_reasons"] == (message.stop_reason,)
    assert attrs["anthropic.request_id"] == stream.info.request_id
    assert attrs["anthropic.attempts"] == 1
    assert attrs["server.address"] == "127.0.0.1"
    assert float(attrs["gen_ai.response.time_to_first_chunk"]) > 0  # type: ignore[arg-type]
    assert "gen_ai.input.messages" not in attrs and "gen_ai.output.messages" not in attrs
    assert span.status.status_code is StatusCode.UNSET
    no_secret(span)


def test_content_only_when_asked_and_parent_from_context(
    emu: Emulator, spans: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = spans
    app = provider.get_tracer("app")
    with (
        instrument(tracer_provider=provider, capture_content=True),
        arx.Client(api_key=KEY, base_url=emu.base_url) as c,
        app.start_as_current_span("handler") as handler,
    ):
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
    with (
        instrument(tracer_provider=provider),
        arx.Client(api_key=KEY, base_url=emu.base_url, max_retry_wait=60) as c,
    ):
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
    with instrument(tracer_provider=provider), arx.Client(api_key=KEY, base_url=emu.base_url) as c:
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
    with instrument(tracer_provider=provider), arx.Client(api_key=KEY, base_url=emu.base_url) as c:
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
