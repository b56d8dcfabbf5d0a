"""anthropic_rx: the Anthropic Messages API's streaming responses as ReactiveX Observables.

```python
import anthropic_rx as arx
from anthropic_rx.operators import final_message, text_only

events = arx.from_bytes(recorded_bytes)          # Observable[StreamEvent]
events.pipe(text_only()).subscribe(print)        # the text, as it streams
message = events.pipe(final_message()).run()     # the whole arx.Message
```

Layers, from the wire up: `SSEDecoder` (bytes → `ServerSentEvent`), `parse_event` (→ typed
events), `MessageAccumulator` (→ immutable `MessageSnapshot`s → `Message`), sources
(`from_bytes`, …), and `anthropic_rx.operators`. Every error is an `AnthropicRxError`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time, `_HOMES` loads each name
    from ._async import last_value as last_value
    from ._async import to_async_iterable as to_async_iterable
    from ._core import MessageAccumulator as MessageAccumulator
    from ._core import MessageSnapshot as MessageSnapshot
    from ._exceptions import AnthropicRxError as AnthropicRxError
    from ._exceptions import APIConnectionError as APIConnectionError
    from ._exceptions import APIError as APIError
    from ._exceptions import APIResponseValidationError as APIResponseValidationError
    from ._exceptions import APIStatusError as APIStatusError
    from ._exceptions import APITimeoutError as APITimeoutError
    from ._exceptions import AuthenticationError as AuthenticationError
    from ._exceptions import BadRequestError as BadRequestError
    from ._exceptions import BillingError as BillingError
    from ._exceptions import ConflictError as ConflictError
    from ._exceptions import ContentTimeoutError as ContentTimeoutError
    from ._exceptions import DeadlineExceededError as DeadlineExceededError
    from ._exceptions import EventParseError as EventParseError
    from ._exceptions import EventTooLargeError as EventTooLargeError
    from ._exceptions import IncompleteStreamError as IncompleteStreamError
    from ._exceptions import InternalServerError as InternalServerError
    from ._exceptions import NoTextError as NoTextError
    from ._exceptions import NotFoundError as NotFoundError
    from ._exceptions import OutputValidationError as OutputValidationError
    from ._exceptions import OverloadedError as OverloadedError
    from ._exceptions import PermissionDeniedError as PermissionDeniedError
    from ._exceptions import RateLimitError as RateLimitError
    from ._exceptions import RequestTimeoutError as RequestTimeoutError
    from ._exceptions import RequestTooLargeError as RequestTooLargeError
    from ._exceptions import SSEDecodeError as SSEDecodeError
    from ._exceptions import StreamAbortedError as StreamAbortedError
    from ._exceptions import StreamError as StreamError
    from ._exceptions import StreamIdleTimeoutError as StreamIdleTimeoutError
    from ._exceptions import StreamProtocolError as StreamProtocolError
    from ._exceptions import ToolInputError as ToolInputError
    from ._exceptions import UnprocessableEntityError as UnprocessableEntityError
    from ._iterate import to_iterable as to_iterable
    from ._sse import ServerSentEvent as ServerSentEvent
    from ._sse import SSEDecoder as SSEDecoder
    from ._sse import encode_comment as encode_comment
    from ._sse import encode_event as encode_event
    from ._version import __version__ as __version__
    from .client import AsyncClient as AsyncClient
    from .client import Client as Client
    from .client import RawResponse as RawResponse
    from .client import StreamInfo as StreamInfo
    from .conversations import Conversation as Conversation
    from .conversations import Tool as Tool
    from .conversations import tool as tool
    from .events import ContentBlock as ContentBlock
    from .events import Delta as Delta
    from .events import ErrorEvent as ErrorEvent
    from .events import Message as Message
    from .events import MessageTokensCount as MessageTokensCount
    from .events import PingEvent as PingEvent
    from .events import StreamEvent as StreamEvent
    from .events import UnknownEvent as UnknownEvent
    from .events import parse_event as parse_event
    from .operators import Partial as Partial
    from .operators import parse_output as parse_output
    from .sources import MessageStream as MessageStream
    from .sources import from_async_bytes as from_async_bytes
    from .sources import from_bytes as from_bytes
    from .sources import from_recording as from_recording
    from .sources import from_response as from_response
    from .sources import from_sdk_message as from_sdk_message
    from .sources import from_sdk_stream as from_sdk_stream
    from .sources import to_sdk_message as to_sdk_message

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AnthropicRxError",
    "AsyncClient",
    "AuthenticationError",
    "BadRequestError",
    "BillingError",
    "Client",
    "ConflictError",
    "ContentBlock",
    "ContentTimeoutError",
    "Conversation",
    "DeadlineExceededError",
    "Delta",
    "ErrorEvent",
    "EventParseError",
    "EventTooLargeError",
    "IncompleteStreamError",
    "InternalServerError",
    "Message",
    "MessageAccumulator",
    "MessageSnapshot",
    "MessageStream",
    "MessageTokensCount",
    "NoTextError",
    "NotFoundError",
    "OutputValidationError",
    "OverloadedError",
    "Partial",
    "PermissionDeniedError",
    "PingEvent",
    "RateLimitError",
    "RawResponse",
    "RequestTimeoutError",
    "RequestTooLargeError",
    "SSEDecodeError",
    "SSEDecoder",
    "ServerSentEvent",
    "StreamAbortedError",
    "StreamError",
    "StreamEvent",
    "StreamIdleTimeoutError",
    "StreamInfo",
    "StreamProtocolError",
    "Tool",
    "ToolInputError",
    "UnknownEvent",
    "UnprocessableEntityError",
    "__version__",
    "encode_comment",
    "encode_event",
    "from_async_bytes",
    "from_bytes",
    "from_recording",
    "from_response",
    "from_sdk_message",
    "from_sdk_stream",
    "last_value",
    "parse_event",
    "parse_output",
    "to_async_iterable",
    "to_iterable",
    "to_sdk_message",
    "tool",
]

#: Where each public name lives (the module under ``anthropic_rx`` that defines or re-exports
#: it). Nothing is imported until a name is first used (PEP 562), so that
#: ``import anthropic_rx.emulator`` or ``from anthropic_rx import Client`` loads only what it
#: needs. ``tests/test_public_api.py`` checks that this, the imports above and ``__all__`` agree.
_HOMES: dict[str, str] = {
    "last_value": "_async",
    "to_async_iterable": "_async",
    "MessageAccumulator": "_core",
    "MessageSnapshot": "_core",
    "AnthropicRxError": "_exceptions",
    "APIConnectionError": "_exceptions",
    "APIError": "_exceptions",
    "APIResponseValidationError": "_exceptions",
    "APIStatusError": "_exceptions",
    "APITimeoutError": "_exceptions",
    "AuthenticationError": "_exceptions",
    "BadRequestError": "_exceptions",
    "BillingError": "_exceptions",
    "ConflictError": "_exceptions",
    "ContentTimeoutError": "_exceptions",
    "DeadlineExceededError": "_exceptions",
    "EventParseError": "_exceptions",
    "EventTooLargeError": "_exceptions",
    "IncompleteStreamError": "_exceptions",
    "InternalServerError": "_exceptions",
    "NoTextError": "_exceptions",
    "NotFoundError": "_exceptions",
    "OutputValidationError": "_exceptions",
    "OverloadedError": "_exceptions",
    "PermissionDeniedError": "_exceptions",
    "RateLimitError": "_exceptions",
    "RequestTimeoutError": "_exceptions",
    "RequestTooLargeError": "_exceptions",
    "SSEDecodeError": "_exceptions",
    "StreamAbortedError": "_exceptions",
    "StreamError": "_exceptions",
    "StreamIdleTimeoutError": "_exceptions",
    "StreamProtocolError": "_exceptions",
    "ToolInputError": "_exceptions",
    "UnprocessableEntityError": "_exceptions",
    "to_iterable": "_iterate",
    "ServerSentEvent": "_sse",
    "SSEDecoder": "_sse",
    "encode_comment": "_sse",
    "encode_event": "_sse",
    "__version__": "_version",
    "AsyncClient": "client",
    "Client": "client",
    "RawResponse": "client",
    "StreamInfo": "client",
    "Conversation": "conversations",
    "Tool": "conversations",
    "tool": "conversations",
    "ContentBlock": "events",
    "Delta": "events",
    "ErrorEvent": "events",
    "Message": "events",
    "MessageTokensCount": "events",
    "PingEvent": "events",
    "StreamEvent": "events",
    "UnknownEvent": "events",
    "parse_event": "events",
    "Partial": "operators",
    "parse_output": "operators",
    "MessageStream": "sources",
    "from_async_bytes": "sources",
    "from_bytes": "sources",
    "from_recording": "sources",
    "from_response": "sources",
    "from_sdk_message": "sources",
    "from_sdk_stream": "sources",
    "to_sdk_message": "sources",
}

#: The public subpackages ``arx.<name>`` loads on first use, as ``import anthropic_rx.<name>``
#: would (the emulator stands apart: ``import anthropic_rx.emulator``).
_SUBPACKAGES = frozenset(
    {
        "batches",
        "client",
        "concurrency",
        "conversations",
        "events",
        "notebook",
        "operators",
        "relay",
        "schedulers",
        "sources",
        "testing",
        "tracing",
        "typing",
    }
)


def _load(name: str) -> object:
    """Load a public name on its first use, and keep it in the module for the next."""
    module = _HOMES.get(name)
    if module is None:
        if name in _SUBPACKAGES:
            return importlib.import_module(f"{__name__}.{name}")
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    # Each class it exports names itself `anthropic_rx.X` where it is defined (pydantic models
    # keep their modules: pydantic resolves forward references through __module__).
    value: object = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


# Type checkers see the imports above and not the hook: a module __getattr__ would let mypy
# accept any misspelt name (`arx.Clinet`) as Any.
if not TYPE_CHECKING:
    __getattr__ = _load
