"""`from_recording`: replay a recorded ``.sse`` file, at once or at a simulated token pace."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Literal

from reactivex import Observable, abc
from reactivex.disposable import CompositeDisposable
from reactivex.scheduler import TimeoutScheduler

from .._timed import play
from ..events import ContentBlockDeltaEvent, EventDecoder, StreamEvent
from ._bytes import from_bytes

__all__ = ["from_recording"]


def _tokens(event: StreamEvent) -> int:
    """Roughly how many tokens an event carries: about four characters a token."""
    if not isinstance(event, ContentBlockDeltaEvent):
        return 0
    delta = event.delta
    text = getattr(delta, "text", None) or getattr(delta, "thinking", None)
    text = text or getattr(delta, "partial_json", None) or ""
    return max(1, math.ceil(len(text) / 4))


class _FileChunks:
    """The bytes of a file, read anew by each iteration (so each subscription reads it)."""

    __slots__ = ("_file",)

    def __init__(self, file: Path) -> None:
        self._file = file

    def __iter__(self) -> Iterator[bytes]:
        with self._file.open("rb") as f:
            while chunk := f.read(1 << 16):
                yield chunk


def from_recording(
    path: str | os.PathLike[str],
    *,
    pace: float | Literal["instant"] = "instant",
    scheduler: abc.SchedulerBase | None = None,
) -> Observable[StreamEvent]:
    """Make a cold Observable that replays a recorded event stream (an ``.sse`` file).

    Cold: each subscription reads the file again. ``.sse`` files hold bytes, not timings,
    so ``pace`` simulates the model's speed: ``"instant"`` replays everything at once in the
    subscribing thread (like `from_bytes`); a number is tokens per second, and each content
    delta then waits its share (about four characters a token) on *scheduler* — pass a
    ``reactivex.testing.TestScheduler`` to replay in virtual time. Completes after the last
    event.

    Args:
        path: the recording, byte for byte as the API sent it.
        pace: ``"instant"``, or simulated tokens per second.
        scheduler: where timed replay runs (default: the subscription's scheduler, else
            reactivex's ``TimeoutScheduler``).

    Example:
        >>> arx.from_recording("hello.sse", pace=50).pipe(text_only()).subscribe(print)

    Errors:
        `OSError` when the file cannot be read, then as `from_bytes`.
    """
    file = Path(path)
    if pace == "instant":
        # from_bytes itself, so operators take its fused path (decode, parse and accumulate
        # in one loop); the file is read again by each subscription.
        return from_bytes(_FileChunks(file))
    if isinstance(pace, str) or not pace > 0:
        raise ValueError(f"expected pace to be 'instant' or a positive number, got {pace!r}")
    seconds_per_token = 1.0 / pace

    def subscribe(
        observer: abc.ObserverBase[StreamEvent], scheduler_: abc.SchedulerBase | None = None
    ) -> abc.DisposableBase:
        clock = scheduler or scheduler_ or TimeoutScheduler.singleton()
        try:
            data = file.read_bytes()
        except Exception as exc:
            observer.on_error(exc)
            return CompositeDisposable()
        events = EventDecoder().events((data,))

        def steps() -> Iterator[tuple[float, Callable[[], None]]]:
            # One event at a time, so a broken one fails after every event before it.
            while True:
                try:
                    event = next(events)
                except StopIteration:
                    break
                except Exception as exc:
                    observer.on_error(exc)
                    return
                yield _tokens(event) * seconds_per_token, partial(observer.on_next, event)
            observer.on_completed()

        return play(clock, steps(), relative=True)

    return Observable(subscribe)
