"""OpenTelemetry spans for every request a client makes, on the GenAI semantic conventions."""

from __future__ import annotations

import json
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, final
from urllib.parse import urlsplit

from ..client import Call, add_client_hook, remove_client_hook
from ..conversations import (
    Conversation,
    ConversationStopped,
    ToolFinished,
    ToolStarted,
    TurnStarted,
)
from ..events import (
    ContentBlockDeltaEvent,
    ContentBlockStartEvent,
    Message,
    MessageStartEvent,
    StreamEvent,
)
from ..sources import MessageStream

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.trace import Span, Tracer, TracerProvider

__all__ = ["Instrumentation", "instrument"]

_SCOPE = "anthropic_rx"
_REQUEST_ATTRIBUTES = {
    "max_tokens": "gen_ai.request.max_tokens",
    "temperature": "gen_ai.request.temperature",
    "top_p": "gen_ai.request.top_p",
    "top_k": "gen_ai.request.top_k",
    "stop_sequences": "gen_ai.request.stop_sequences",
}


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":"))


@final
class Instrumentation:
    """Tracing switched on by `instrument`; `uninstrument` (or ``with``) switches it off."""

    def __init__(self, tracer: Tracer, *, capture_content: bool) -> None:
        self._tracer = tracer
        self._capture = capture_content
        self._turns: weakref.WeakKeyDictionary[MessageStream, _StreamSpan] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()
        self._on = True
        add_client_hook(self._made)

    def __enter__(self) -> Instrumentation:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.uninstrument()

    @property
    def tracer(self) -> Tracer:
        """The tracer the spans are made with."""
        return self._tracer

    @property
    def capture_content(self) -> bool:
        """Whether prompts and answers are recorded on the spans."""
        return self._capture

    def uninstrument(self) -> None:
        """Stop tracing new requests (spans already open still end)."""
        self._on = False
        remove_client_hook(self._made)

    def _made(self, made: object) -> None:
        from opentelemetry import context

        parent = context.get_current()
        if isinstance(made, MessageStream):
            record = _StreamSpan(self, made, parent)
            with self._lock:
                self._turns[made] = record
            made.watch(record)
        elif isinstance(made, Conversation):
            _ConversationSpans(self, made, parent, self._record_of)
        elif isinstance(made, Call):
            made.watch(_CallSpan(self, made, parent))

    def _record_of(self, stream: MessageStream) -> _StreamSpan | None:
        with self._lock:
            return self._turns.get(stream)


class _StreamSpan:
    """One request's span. Its start is noted when the stream starts; the span is made at
    the end with that start time, so a conversation's turn finds its parent (the run, told
    by the conversation's events on their own schedule) whatever the threads' timing."""

    def __init__(self, owner: Instrumentation, stream: MessageStream, parent: Context) -> None:
        self._owner = owner
        self._stream: weakref.ref[MessageStream] = weakref.ref(stream)
        self.parent = parent
        self._start_ns: int | None = None
        self._started = 0.0
        self._first = False
        self._attributes: dict[str, Any] = {}
        self._events: list[tuple[str, dict[str, Any], int]] = []
        info = stream.info
        self._params: Mapping[str, Any] = getattr(info, "params", None) or {}
        self._responses: list[tuple[int | None, str | None]] = []
        if info is not None and hasattr(info, "add_response_hook"):
            info.add_response_hook(self._on_response)

    def on_start(self) -> None:
        stream = self._stream()
        url = getattr(getattr(stream, "info", None), "url", None)
        self._attributes.update(
            _request_attributes("chat", self._params, url, self._owner.capture_content)
        )
        self._started = time.perf_counter()
        self._start_ns = time.time_ns()

    def _on_response(self, info: Any) -> None:
        self._responses.append((info.status_code, info.request_id))

    def on_event(self, event: StreamEvent) -> None:
        if self._start_ns is None:
            return
        if not self._first and isinstance(event, (ContentBlockDeltaEvent, ContentBlockStartEvent)):
            self._first = True
            ttft = time.perf_counter() - self._started
            self._attributes["gen_ai.response.time_to_first_chunk"] = ttft
            self._events.append(("gen_ai.first_chunk", {"seconds": ttft}, time.time_ns()))
        elif isinstance(event, MessageStartEvent):
            self._attributes["gen_ai.response.id"] = event.message.id
            self._attributes["gen_ai.response.model"] = event.message.model

    def on_end(self, error: Exception | None) -> None:
        from opentelemetry.trace import SpanKind

        if self._start_ns is None:
            return  # never started: no request, no span
        stream = self._stream()
        model = self._params.get("model")
        span = self._owner.tracer.start_span(
            f"chat {model}" if isinstance(model, str) else "chat",
            context=self.parent,
            kind=SpanKind.CLIENT,
            attributes=self._attributes,
            start_time=self._start_ns,
        )
        self._start_ns = None
        for name, attributes, at in self._events:
            span.add_event(name, attributes, timestamp=at)
        snapshot = stream.snapshot if stream is not None else None
        info = getattr(stream, "info", None)
        _finish(span, info, self._responses, snapshot, error, capture=self._owner.capture_content)


class _CallSpan:
    """A non-streaming call's span (``create()``, ``count_tokens()``, raw), from its start."""

    def __init__(self, owner: Instrumentation, call: Call, parent: Context) -> None:
        from opentelemetry.trace import SpanKind

        self._capture = owner.capture_content
        self._info = call.info
        self._responses: list[tuple[int | None, str | None]] = []
        call.info.add_response_hook(self._on_response)
        model = call.params.get("model")
        attributes = _request_attributes(call.operation, call.params, call.info.url, self._capture)
        self._span = owner.tracer.start_span(
            f"{call.operation} {model}" if isinstance(model, str) else call.operation,
            context=parent,
            kind=SpanKind.CLIENT,
            attributes=attributes,
        )

    def _on_response(self, info: Any) -> None:
        self._responses.append((info.status_code, info.request_id))

    def on_end(self, result: object, error: Exception | None) -> None:
        if isinstance(result, Message):
            self._span.set_attribute("gen_ai.response.id", result.id)
            self._span.set_attribute("gen_ai.response.model", result.model)
        _finish(self._span, self._info, self._responses, result, error, capture=self._capture)


def _request_attributes(
    operation: str, params: Mapping[str, Any], url: object, capture: bool
) -> dict[str, Any]:
    """A request's attributes, known before it is sent."""
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": operation,
        "gen_ai.system": "anthropic",
        "gen_ai.provider.name": "anthropic",
    }
    model = params.get("model")
    if isinstance(model, str):
        attributes["gen_ai.request.model"] = model
    for name, key in _REQUEST_ATTRIBUTES.items():
        value = params.get(name)
        if isinstance(value, (int, float, str)) and not isinstance(value, bool):
            attributes[key] = value
        elif isinstance(value, (list, tuple)):
            items: list[Any] | tuple[Any, ...] = value  # pyright: ignore[reportUnknownVariableType]
            attributes[key] = [str(v) for v in items]
    if isinstance(url, str):
        parts = urlsplit(url)
        if parts.hostname:
            attributes["server.address"] = parts.hostname
        if parts.port:
            attributes["server.port"] = parts.port
    if capture:
        messages = params.get("messages")
        if messages is not None:
            attributes["gen_ai.input.messages"] = _dumps(messages)
        system = params.get("system")
        if system is not None:
            attributes["gen_ai.system_instructions"] = _dumps(system)
    return attributes


def _finish(
    span: Span,
    info: object,
    responses: list[tuple[int | None, str | None]],
    result: object,
    error: Exception | None,
    *,
    capture: bool,
) -> None:
    """Record what the request's end tells (attempts, retries, usage, answer, error); end it.

    *result* is the message (a stream's snapshot), a token count, or None.
    """
    from opentelemetry.trace import Status, StatusCode

    attempts = getattr(info, "attempts", 0) or 0
    request_id = getattr(info, "request_id", None)
    if request_id:
        span.set_attribute("anthropic.request_id", request_id)
    if attempts:
        span.set_attribute("anthropic.attempts", attempts)
    for number in range(1, attempts):  # every attempt but the last was retried
        status, rid = responses[number - 1] if number <= len(responses) else (None, None)
        cause = f"HTTP {status}" if status is not None else "connection failure"
        event: dict[str, Any] = {"attempt": number, "cause": cause}
        if rid:
            event["request_id"] = rid
        span.add_event("retry", event)
    usage = getattr(result, "usage", None)  # a Message or a stream's MessageSnapshot
    if usage is not None:
        span.set_attribute("gen_ai.usage.input_tokens", usage.input_tokens or 0)
        span.set_attribute("gen_ai.usage.output_tokens", usage.output_tokens or 0)
        cache_read = getattr(usage, "cache_read_input_tokens", None)
        if cache_read is not None:
            span.set_attribute("gen_ai.usage.cache_read.input_tokens", cache_read)
        cache_made = getattr(usage, "cache_creation_input_tokens", None)
        if cache_made is not None:
            span.set_attribute("gen_ai.usage.cache_creation.input_tokens", cache_made)
        stop_reason = getattr(result, "stop_reason", None)
        if stop_reason is not None:
            span.set_attribute("gen_ai.response.finish_reasons", [stop_reason])
        if capture:
            blocks: list[Any] = getattr(result, "content", [])
            content = [block.model_dump(mode="json") for block in blocks]
            span.set_attribute(
                "gen_ai.output.messages", _dumps([{"role": "assistant", "content": content}])
            )
    else:
        counted = getattr(result, "input_tokens", None)  # a MessageTokensCount
        if isinstance(counted, int):
            span.set_attribute("gen_ai.usage.input_tokens", counted)
    if error is not None:
        span.set_attribute("error.type", type(error).__name__)
        span.record_exception(error)
        span.set_status(Status(StatusCode.ERROR, type(error).__name__))
    span.end()


class _ConversationSpans:
    """A conversation's runs as ``invoke_agent`` spans, its turns and tool calls under them."""

    def __init__(
        self,
        owner: Instrumentation,
        conversation: Conversation,
        parent: Context,
        record_of: Callable[[MessageStream], _StreamSpan | None],
    ) -> None:
        self._owner = owner
        self._record_of = record_of
        self._parent = parent
        self._run: Span | None = None
        self._tools: dict[str, Span] = {}
        conversation.watch().subscribe(self._on_event, self._on_error)

    def _context(self) -> Context:
        from opentelemetry import trace

        assert self._run is not None
        return trace.set_span_in_context(self._run, self._parent)

    def _on_event(self, event: object) -> None:
        from opentelemetry.trace import SpanKind, Status, StatusCode

        tracer = self._owner.tracer
        if isinstance(event, TurnStarted):
            if self._run is None:
                self._run = tracer.start_span(
                    "invoke_agent",
                    context=self._parent,
                    kind=SpanKind.INTERNAL,
                    attributes={
                        "gen_ai.operation.name": "invoke_agent",
                        "gen_ai.system": "anthropic",
                        "gen_ai.provider.name": "anthropic",
                    },
                )
            record = self._record_of(event.stream)
            if record is not None:
                record.parent = self._context()
        elif isinstance(event, ToolStarted) and self._run is not None:
            attributes: dict[str, Any] = {
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": event.call.name,
                "gen_ai.tool.call.id": event.call.id,
                "gen_ai.tool.type": "function",
                "anthropic_rx.turn": event.turn,
                "anthropic_rx.tool.early": event.early,
            }
            if self._owner.capture_content:
                attributes["gen_ai.tool.call.arguments"] = _dumps(event.call.input)
            self._tools[event.call.id] = tracer.start_span(
                f"execute_tool {event.call.name}",
                context=self._context(),
                kind=SpanKind.INTERNAL,
                attributes=attributes,
            )
        elif isinstance(event, ToolFinished):
            span = self._tools.pop(event.call.id, None)
            if span is None:
                return
            if self._owner.capture_content:
                span.set_attribute("gen_ai.tool.call.result", _dumps(event.content))
            if event.is_error:
                kind = type(event.error).__name__ if event.error is not None else "tool_error"
                span.set_attribute("error.type", kind)
                if event.error is not None:
                    span.record_exception(event.error)
                span.set_status(Status(StatusCode.ERROR, kind))
            span.end()
        elif isinstance(event, ConversationStopped) and self._run is not None:
            self._run.set_attribute("gen_ai.response.finish_reasons", [event.stop_reason])
            self._run.set_attribute("anthropic_rx.turns", event.turn)
            self._run.end()
            self._run = None

    def _on_error(self, error: Exception) -> None:
        from opentelemetry.trace import Status, StatusCode

        for span in self._tools.values():
            span.end()
        self._tools.clear()
        if self._run is not None:
            self._run.set_attribute("error.type", type(error).__name__)
            self._run.record_exception(error)
            self._run.set_status(Status(StatusCode.ERROR, type(error).__name__))
            self._run.end()
            self._run = None


def instrument(
    *, tracer_provider: TracerProvider | None = None, capture_content: bool = False
) -> Instrumentation:
    """Trace every request of every client, until ``uninstrument()``.

    Each stream that starts gets a ``chat {model}`` span (kind CLIENT) under the context
    current where ``stream()`` was called, with the GenAI semantic conventions' attributes:
    ``gen_ai.system``/``gen_ai.provider.name`` (``anthropic``), ``gen_ai.request.model``,
    ``.max_tokens``, ``.temperature``…, ``gen_ai.response.id``, ``gen_ai.response.model``,
    ``gen_ai.usage.input_tokens`` / ``output_tokens`` (and the cache ones),
    ``gen_ai.response.finish_reasons``, ``gen_ai.response.time_to_first_chunk`` (seconds),
    ``anthropic.request_id``, ``anthropic.attempts``, a ``retry`` event per retried attempt
    with its cause, and on failure ``error.type`` (the error's class), the exception and an
    ERROR status. ``messages.create()``, ``count_tokens()`` and their ``with_raw_response``
    twins (sync and async) get the same span from the caller's context (``count_tokens
    {model}`` for a count, with only the input tokens), without the time to first chunk.
    A conversation's run is an ``invoke_agent`` span with its turns' spans and
    one ``execute_tool {name}`` span per tool call under it.

    The prompt and the answer (``gen_ai.input.messages``, ``gen_ai.output.messages``, tool
    arguments and results) are recorded only with ``capture_content=True``; the API key
    never is.

    Args:
        tracer_provider: where spans go; the global one by default.
        capture_content: also record prompts, answers and tool arguments/results.

    Raises:
        ModuleNotFoundError: OpenTelemetry is not installed (``pip install anthropic-rx[otel]``).

    Example:
        >>> from anthropic_rx.tracing import instrument
        >>> tracing = instrument()           # the global TracerProvider
        >>> client.messages.stream(**params).pipe(final_message()).run()   # one span
        >>> tracing.uninstrument()
    """
    from opentelemetry import trace

    from .._version import __version__

    tracer = trace.get_tracer(_SCOPE, __version__, tracer_provider=tracer_provider)
    return Instrumentation(tracer, capture_content=capture_content)
