"""Notebook helpers: live views of streams, side-by-side comparisons, and timelines.

Needs the ``notebook`` extra for display and plots (``pip install 'anthropic-rx[notebook]'``:
IPython, matplotlib); each helper imports them only when it shows or draws something, and
says which extra to install when they are missing.

```python
import anthropic_rx as arx
from anthropic_rx.notebook import Timeline, compare, live

view = live(client.messages.stream(model=MODEL, max_tokens=512, messages=msgs))
message = await view                       # or view.wait() in a sync cell

board = compare({"haiku": ask("claude-haiku-4-5"), "sonnet": ask("claude-sonnet-4-5")})
messages = await board                     # side by side, then a table of timings

timeline = Timeline()
for name, stream in streams.items():
    stream.pipe(timeline.record(name)).subscribe()
await timeline                             # every recorded stream has ended
timeline.plot()                            # one row per stream, a tick per event
```

| helper | what it gives |
| --- | --- |
| `live` → `LiveView` | a stream as it arrives: text, thinking, tool input; then timings, usage |
| `compare` → `Comparison` | streams in columns, then a table: first token, total, tokens/s |
| `Timeline` | ``record(label)`` notes each event's arrival; ``plot()`` draws them |

Threads: views and timelines are fed from whichever thread delivers the events (a sync
`Client`'s reader thread, a paced replay's timer, the kernel's loop for an `AsyncClient`)
and are safe to read from any thread. A cell waits for the end with ``wait()`` or
``await``; never with ``observable.run()``, which blocks the kernel's running loop.
"""

from __future__ import annotations

from ._timeline import CONTENT_KINDS as CONTENT_KINDS
from ._timeline import KINDS as KINDS
from ._timeline import Timeline as Timeline
from ._timeline import TimelineRow as TimelineRow
from ._views import Comparison as Comparison
from ._views import LiveView as LiveView
from ._views import compare as compare
from ._views import live as live

__all__ = [
    "CONTENT_KINDS",
    "Comparison",
    "KINDS",
    "LiveView",
    "Timeline",
    "TimelineRow",
    "compare",
    "live",
]

# Reprs and tracebacks show the public path, as the package's facade does.
for _cls in (Comparison, LiveView, Timeline, TimelineRow):
    _cls.__module__ = __name__
del _cls
