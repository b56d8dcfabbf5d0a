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

from ._batch_types import BatchInputError as BatchInputError
from ._batch_types import BatchRequestCanceledError as BatchRequestCanceledError
from ._batch_types import BatchRequestError as BatchRequestError
from ._batch_types import BatchRequestExpiredError as BatchRequestExpiredError
from ._batch_types import BatchRequestFailedError as BatchRequestFailedError
from ._batch_types import BatchResultUnreadableError as BatchResultUnreadableError
from ._batch_types import DeletedMessageBatch as DeletedMessageBatch
from ._batch_types import MessageBatch as MessageBatch
from ._batch_types import MessageBatchCanceledResult as MessageBatchCanceledResult
from ._batch_types import MessageBatchErroredResult as MessageBatchErroredResult
from ._batch_types import MessageBatchExpiredResult as MessageBatchExpiredResult
from ._batch_types import MessageBatchIndividualResponse as MessageBatchIndividualResponse
from ._batch_types import MessageBatchRequestCounts as MessageBatchRequestCounts
from ._batch_types import MessageBatchResult as MessageBatchResult
from ._batch_types import MessageBatchSucceededResult as MessageBatchSucceededResult
from ._batch_types import MessageBatchUnreadableResult as MessageBatchUnreadableResult
from ._batch_types import ResultError as ResultError
from ._batch_types import ResultErrorResponse as ResultErrorResponse
from ._batch_types import outcome_of as outcome_of
from ._batch_wire import MAX_BATCH_BYTES as MAX_BATCH_BYTES
from ._batch_wire import MAX_BATCH_REQUESTS as MAX_BATCH_REQUESTS
from ._batch_wire import split_batches as split_batches
from ._batches import AsyncBatches as AsyncBatches
from ._batches import Batches as Batches
from ._client import AsyncClient as AsyncClient
from ._client import AsyncMessages as AsyncMessages
from ._client import AsyncMessagesWithRawResponse as AsyncMessagesWithRawResponse
from ._client import Client as Client
from ._client import ClientOptions as ClientOptions
from ._client import Messages as Messages
from ._client import MessagesWithRawResponse as MessagesWithRawResponse
from ._extras import RawResponse as RawResponse
from ._hooks import Call as Call
from ._hooks import CallWatcher as CallWatcher
from ._hooks import ClientHook as ClientHook
from ._hooks import add_client_hook as add_client_hook
from ._hooks import remove_client_hook as remove_client_hook
from ._info import StreamInfo as StreamInfo
from ._params import ConversationParams as ConversationParams
from ._params import CountTokensParams as CountTokensParams
from ._params import MessageParams as MessageParams
from ._retry import backoff as backoff  # package-public: for `concurrency`, not in __all__
from ._retry import parse_retry_after as parse_retry_after  # likewise

__all__ = [
    "AsyncBatches",
    "AsyncClient",
    "AsyncMessages",
    "AsyncMessagesWithRawResponse",
    "BatchInputError",
    "BatchRequestCanceledError",
    "BatchRequestError",
    "BatchRequestExpiredError",
    "BatchRequestFailedError",
    "BatchResultUnreadableError",
    "Batches",
    "Call",
    "CallWatcher",
    "Client",
    "ClientHook",
    "ClientOptions",
    "ConversationParams",
    "CountTokensParams",
    "DeletedMessageBatch",
    "MAX_BATCH_BYTES",
    "MAX_BATCH_REQUESTS",
    "MessageBatch",
    "MessageBatchCanceledResult",
    "MessageBatchErroredResult",
    "MessageBatchExpiredResult",
    "MessageBatchIndividualResponse",
    "MessageBatchRequestCounts",
    "MessageBatchResult",
    "MessageBatchSucceededResult",
    "MessageBatchUnreadableResult",
    "MessageParams",
    "Messages",
    "MessagesWithRawResponse",
    "RawResponse",
    "ResultError",
    "ResultErrorResponse",
    "StreamInfo",
    "add_client_hook",
    "outcome_of",
    "remove_client_hook",
    "split_batches",
]

for _cls in (AsyncClient, Client, RawResponse, StreamInfo):
    _cls.__module__ = "anthropic_rx"  # the facade exports it: reprs show that path
del _cls
