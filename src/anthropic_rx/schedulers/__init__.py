"""Layer 7: GUI schedulers, safe from any thread, and `on_gui` to put a pipeline on the GUI.

Streams are read on a background thread (sync clients) or an event loop (async ones), but
Tk and Qt widgets may be touched only from the GUI thread. reactivex's own GUI schedulers
call the toolkit from the thread that schedules, where Qt silently drops the work and Tk
raises "main thread is not in main loop" (ReactiveX/RxPY#233, #551). Ours never call the
toolkit from a worker: posting queues the work and wakes the GUI thread at most once per
batch; the GUI thread runs the batch in order.

| name | what |
| --- | --- |
| `TkScheduler(root)` | runs work on the Tk thread (``after`` timers; a pipe wakes it) |
| `QtScheduler(parent=None)` | runs work on the Qt GUI thread (posted events, Qt timers) |
| `on_gui(sched)` | operator: deliver values, error and completion on the GUI thread |
| `GuiScheduler` | their base: the queue, timers and `dispose`, for another toolkit |

Both are complete reactivex schedulers (``schedule``, ``schedule_relative``,
``schedule_absolute``, ``schedule_periodic``, ``now``), so they also drive time operators:

```python
sched = TkScheduler(root)
stream.pipe(coalesce_text(scheduler=sched), on_gui(sched)).subscribe(append_text)
```

One `MessageStream`, several views: Rx tells the subscribers of one source that it ended
one after another, not all at once, so when one view's ``on_completed`` runs another may
still be waiting for its own. To act once the whole answer is shown, subscribe once on the
GUI and fan out from there, or wait until every view has completed.
"""

from __future__ import annotations

from ._base import GuiScheduler as GuiScheduler
from ._on_gui import on_gui as on_gui
from ._qt import QtScheduler as QtScheduler
from ._tk import TkScheduler as TkScheduler

__all__ = ["GuiScheduler", "QtScheduler", "TkScheduler", "on_gui"]

GuiScheduler.__module__ = __name__
