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


# Reprs and tracebacks show the public path (httpx does the same); pydantic models keep
# theirs, since pydantic resolves forward references through __module__.
def _show_public_path() -> None:
    for name in __all__:
        value = globals()[name]
        if isinstance(value, type) and not hasattr(value, "model_fields"):
            value.__module__ = "anthropic_rx"


_show_public_path()
