"""Layer 4: sources, the factories that turn bytes and responses into Observables of events.

| source | hot or cold | reads on |
| --- | --- | --- |
| `from_bytes` | cold | the subscribing thread |
| `from_recording` | cold | the subscribing thread, or a scheduler at a simulated pace |
| `from_response` | hot (`MessageStream`) | a background thread, or the event loop (async) |
| `from_async_bytes` | hot (`MessageStream`) | the event loop |
| `from_sdk_stream` | hot (`MessageStream`) | as `from_response` |
| `MessageStream(PushSource())` | hot | the thread that pushes |
"""

from __future__ import annotations

from ._bytes import from_bytes as from_bytes
from ._push import PushSource as PushSource
from ._recording import from_recording as from_recording
from ._response import AsyncResponseLike as AsyncResponseLike
from ._response import ResponseLike as ResponseLike
from ._response import SyncResponseLike as SyncResponseLike
from ._response import from_async_bytes as from_async_bytes
from ._response import from_response as from_response
from ._sdk import from_sdk_message as from_sdk_message
from ._sdk import from_sdk_stream as from_sdk_stream
from ._sdk import to_sdk_message as to_sdk_message
from ._stream import AsyncSource as AsyncSource
from ._stream import MessageStream as MessageStream
from ._stream import StreamWatcher as StreamWatcher
from ._stream import SyncSource as SyncSource

__all__ = [
    "AsyncResponseLike",
    "AsyncSource",
    "MessageStream",
    "PushSource",
    "ResponseLike",
    "StreamWatcher",
    "SyncResponseLike",
    "SyncSource",
    "from_async_bytes",
    "from_bytes",
    "from_recording",
    "from_response",
    "from_sdk_message",
    "from_sdk_stream",
    "to_sdk_message",
]

for _cls in (MessageStream,):
    _cls.__module__ = "anthropic_rx"  # the facade exports it: reprs show that path
del _cls
