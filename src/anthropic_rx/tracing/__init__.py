"""OpenTelemetry tracing of requests, conversations and tool calls (the ``otel`` extra).

`instrument` switches it on for every client of the process, `Instrumentation.uninstrument`
off. Spans follow the OpenTelemetry GenAI semantic conventions; prompts and answers are
recorded only when asked (``capture_content=True``), the API key never. Without
``instrument()`` nothing is imported and a request pays one truth test.

Example:
    >>> from opentelemetry.sdk.trace import TracerProvider
    >>> from anthropic_rx.tracing import instrument
    >>> with instrument(tracer_provider=TracerProvider()):
    ...     client.messages.stream(**params).pipe(final_message()).run()
"""

from __future__ import annotations

from ._otel import Instrumentation as Instrumentation
from ._otel import instrument as instrument

__all__ = ["Instrumentation", "instrument"]
