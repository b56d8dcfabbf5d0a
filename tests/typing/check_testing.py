# pyright: strict
"""What the helpers of anthropic_rx.testing infer, and misuses they reject."""

from __future__ import annotations

from typing import assert_type

from reactivex import Observable

import anthropic_rx as arx
from anthropic_rx.events import StreamEvent
from anthropic_rx.operators import accumulate, final_message, text_only
from anthropic_rx.testing import (
    ManualStream,
    Run,
    StreamScript,
    VirtualClock,
    assert_emitted,
    assert_error,
    marbles,
    run,
)

events = marbles("S-b-t-B-D-X|", {"t": ["Hel"]})
assert_type(events, Observable[StreamEvent])
texts = run(events.pipe(text_only()))
assert_type(texts, Run[str])
assert_type(texts.values, list[str])
assert_type(texts.last, str)
assert_type(run(lambda clock: events.pipe(accumulate())), Run[arx.MessageSnapshot])
assert_type(assert_error(texts, arx.OverloadedError), arx.OverloadedError)
assert_type(assert_error(texts), Exception)
assert_type(StreamScript().text("a").events(), list[StreamEvent])
manual: Observable[StreamEvent] = ManualStream()


def answer(stream: arx.MessageStream) -> Observable[str]:
    return stream.pipe(text_only())


# A ManualStream is a MessageStream: code typed for one takes the other.
pushed = ManualStream()
assert_type(answer(pushed), Observable[str])
as_stream: arx.MessageStream = pushed
assert_type(pushed.start(), ManualStream)
assert_type(pushed.wait(1.0), bool)
assert_type(pushed.snapshot, arx.MessageSnapshot | None)
assert_type(pushed.pipe(final_message()), Observable[arx.Message])
assert_type(pushed.events, tuple[StreamEvent, ...])
pushed.push({"type": "ping"}, StreamScript().events()[0])
VirtualClock().advance(1 / 60)

assert_emitted(texts, ["Hel"], end="done")  # type: ignore[arg-type]
run(events, scheduler=object())  # type: ignore[arg-type]
