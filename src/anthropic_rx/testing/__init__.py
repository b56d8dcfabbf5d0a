"""Helpers for testing your own pipelines, GUIs and notebooks without a network.

Build a stream, run it in virtual time, and assert on what your pipeline emitted:

```python
from anthropic_rx.operators import coalesce_text
from anthropic_rx.testing import assert_emitted, marbles, run

def test_one_piece_of_text_per_frame():
    events = marbles("S-b-tttt-B-D-X|", {"t": ["Hel", "lo", ", wor", "ld"]}, tick=0.01)
    result = run(events.pipe(coalesce_text(0.025)))
    assert_emitted(result, ["Hel", "lo, wor", "ld"], times=[0.04, 0.065, 0.09])
```

| to | use |
| --- | --- |
| build a realistic stream | `StreamScript` (``.text()``, ``.tool_use()``, ``.stop()``, …) |
| draw one with its timing | `marbles` (``"S-b-t-t-B-D-X|"``, one letter an event) |
| replay a recording | ``arx.from_recording(path, pace=…)`` under `run`: paced in virtual time |
| run in virtual time | `run` → `Run` (``.values``, ``.times``, ``.error``, ``.completed``) |
| drive a UI by hand | `ManualStream` (push one delta, look at the UI, push the next) |
| step time yourself | `VirtualClock` (``.advance(seconds)``), a reactivex ``TestScheduler`` |
| assert | `assert_emitted`, `assert_text`, `assert_error` (plain ``AssertionError``s) |

Time is in seconds everywhere (reactivex's ``TestScheduler`` calls them ticks; a new
`VirtualClock` starts at 0, and `run` subscribes then). Every event is made from the API's
JSON by `anthropic_rx.parse_event`, so operators treat it exactly as they treat the wire:
they turn an ``event: error`` into the typed error (`OverloadedError`, …) in the run.
"""

from __future__ import annotations

from ._assertions import End as End
from ._assertions import assert_emitted as assert_emitted
from ._assertions import assert_error as assert_error
from ._assertions import assert_text as assert_text
from ._clock import Record as Record
from ._clock import Run as Run
from ._clock import VirtualClock as VirtualClock
from ._clock import run as run
from ._manual import ManualStream as ManualStream
from ._marbles import MarbleValue as MarbleValue
from ._marbles import marbles as marbles
from ._script import StreamScript as StreamScript

__all__ = [
    "End",
    "ManualStream",
    "MarbleValue",
    "Record",
    "Run",
    "StreamScript",
    "VirtualClock",
    "assert_emitted",
    "assert_error",
    "assert_text",
    "marbles",
    "run",
]

for _cls in (ManualStream, Record, Run, StreamScript, VirtualClock):
    _cls.__module__ = __name__  # reprs and docs show the public path
del _cls
