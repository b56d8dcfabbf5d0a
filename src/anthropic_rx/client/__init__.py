"""Layer 6: `Client` and `AsyncClient`, the Messages API over httpx, as `MessageStream`s.

```python
import anthropic_rx as arx
from anthropic_rx.operators import final_message, text_only

with arx.Client() as client:                       # ANTHROPIC_API_KEY from the environment
    stream = client.messages.stream(model=MODEL, max_tokens=512, messages=messages)
    stream.pipe(text_only()).subscribe(print)      # the request starts here
    message = stream.pipe(final_message()).run()   # the same request, replayed
    print(stream.info.request_id, stream.info.attempts, stream.info.ratelimit)
```

What it promises (DESIGN.md decisions 6-10; research/reliability.md F01-F22). Before the
first content event has gone downstream, an attempt can be thrown away and retried:

- 408, 409, 429, 5xx and 529 are retried (``x-should-retry`` overrides the status), after
  ``retry-after-ms`` / ``retry-after`` in full, else the SDK's jittered backoff; 2 retries
  by default. A wait above ``max_retry_wait``, or a spend-limit 429, fails at once with
  `RateLimitError` (``.retry_after``).
- Connection failures (refused, reset, closed) and connect or idle timeouts are retried,
  and so is an ``event: error`` whose type is a retryable one (``overloaded_error``, …).

After it, nothing is retried, and the error goes out with what had arrived:
`APIConnectionError` (``mid_stream=True``), `StreamIdleTimeoutError` (no byte for
``idle_timeout``), `ContentTimeoutError` (no content event for ``content_timeout``; pings do
not count), or the `APIStatusError` subclass an ``event: error``'s type names. At any time,
``deadline`` gives `DeadlineExceededError`; a 3xx is an `APIStatusError` and is never
followed; a 200 that is not an event stream is `APIResponseValidationError`; a body that
ends before ``message_stop`` is `IncompleteStreamError`.

Events already delivered are never delivered again; each error carries ``.request_id``,
``.attempts`` and the partial ``.snapshot``. Every exit closes the response.

Hardened (issue 10): ``abort()`` and ``deadline`` act before the response headers too, on
both clients; no frame of an error's traceback holds the key; a key or header value that
cannot be a header, NaN in the body and malformed options are a `ValueError` before
anything is sent; plain http never goes through a proxy; one event (and what a gzip body
inflates to) is bounded by ``max_event_bytes``, 32 MiB by default.
"""

from __future__ import annotations

from ._client import AsyncClient as AsyncClient
from ._client import AsyncMessages as AsyncMessages
from ._client import AsyncMessagesWithRawResponse as AsyncMessagesWithRawResponse
from ._client import Client as Client
from ._client import ClientOptions as ClientOptions
from ._client import Messages as Messages
from ._client import MessagesWithRawResponse as MessagesWithRawResponse
from ._extras import CountTokensParams as CountTokensParams
from ._extras import RawResponse as RawResponse
from ._info import StreamInfo as StreamInfo
from ._params import ConversationParams as ConversationParams
from ._params import MessageParams as MessageParams

__all__ = [
    "AsyncClient",
    "AsyncMessages",
    "AsyncMessagesWithRawResponse",
    "Client",
    "ClientOptions",
    "ConversationParams",
    "CountTokensParams",
    "MessageParams",
    "Messages",
    "MessagesWithRawResponse",
    "RawResponse",
    "StreamInfo",
]
