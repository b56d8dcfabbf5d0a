"""Many streams at once: start them with a bound, merge them tagged, compare them, race them.

```python
import anthropic_rx as arx
from reactivex import operators as ops
from anthropic_rx.concurrency import side_by_side, stream_many, stream_sources

questions = {
    name: {"model": MODEL, "max_tokens": 512, "messages": [{"role": "user", "content": q}]}
    for name, q in QUESTIONS.items()
}
with arx.Client() as client:  # closing it aborts its streams: wait for them inside
    events = stream_many(client, questions, max_concurrent=8)
    events.pipe(ops.do_action(lambda item: print(item.key, item.value.type))).run()
    answers = {m: {**questions["intro"], "model": m} for m in ("claude-a", "claude-b")}
    side_by_side(stream_sources(client, answers)).pipe(ops.do_action(show_columns)).run()
```

| function | what comes out |
| --- | --- |
| `stream_many(client, requests)` | ``Tagged(key, event)`` of N requests, a few at a time |
| `stream_sources(client, requests)` | the requests as cold sources by key, for the three below |
| `merge_tagged(sources)` | ``Tagged(key, item)`` of any Observables (recordings too) |
| `side_by_side(sources)` | a read-only ``{key: MessageSnapshot}`` whenever a stream changes |
| `first_to_finish(sources)` | ``Tagged(key, Message)`` of the first stream to end; rest aborted |
| ``.pipe(final_messages())`` | ``Tagged(key, Message)`` of every stream, as each one ends |
| ``.pipe(final_texts())`` | ``Tagged(key, text)`` of every stream, as each one ends |

What they all promise:

- **Nothing lost, order kept.** Every item of every source comes out, each source's in its
  own order, one at a time (never two ``on_next`` at once), on one of the sources' threads
  (with an `AsyncClient`, on the loop).
- **Bounded.** With ``max_concurrent=n`` at most *n* sources are subscribed at once; the
  next one is subscribed (for a request: made and sent) only when one ends.
- **Errors.** The first error ends everything and is passed on unchanged, typed, with a
  note naming its key. With ``isolate_errors=True`` it arrives as
  ``Tagged(key, StreamFailed(error))`` and the other streams go on; completion comes when
  all have ended.
- **Dispose aborts.** Disposing the subscription disposes every running source; a
  `MessageStream` whose last subscriber leaves aborts its request and closes the
  connection.
- **429 slows the group.** With `stream_many` / `stream_sources`, a 429 on any request holds
  back the requests not started yet for its ``retry-after`` (capped by ``max_pause``)
  instead of letting them all hit the limit; the client retries the 429'd one itself.
- **Both clients.** With a `Client` streams read on threads; with an `AsyncClient` they run
  as tasks on the loop (asyncio or trio) where you subscribe.
"""

from __future__ import annotations

from ._finals import final_messages as final_messages
from ._finals import final_texts as final_texts
from ._merge import StreamFailed as StreamFailed
from ._merge import Tagged as Tagged
from ._merge import merge_tagged as merge_tagged
from ._requests import stream_many as stream_many
from ._requests import stream_sources as stream_sources
from ._views import first_to_finish as first_to_finish
from ._views import side_by_side as side_by_side

__all__ = [
    "StreamFailed",
    "Tagged",
    "final_messages",
    "final_texts",
    "first_to_finish",
    "merge_tagged",
    "side_by_side",
    "stream_many",
    "stream_sources",
]

for _cls in (StreamFailed, Tagged):
    _cls.__module__ = __name__  # reprs and docs show the public path
del _cls
