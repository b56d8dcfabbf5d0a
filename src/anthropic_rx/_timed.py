"""`play`: run timed steps on a scheduler one after another, as one Observable's source must.

Scheduling every step up front, each on its own timer, is what a virtual clock forgives and
a real one does not: reactivex's ``TimeoutScheduler`` gives each timer its own thread, so
two events due close together can run at once, or in the wrong order. Here each step is
taken from its iterator and scheduled only once the one before it has run, so the source's
observer is called serially and in order, on any scheduler. `from_recording` (paced) and
the timed streams of `anthropic_rx.testing` both play through it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from reactivex import abc
from reactivex.disposable import SerialDisposable

__all__ = ["play"]

Step = tuple[float, Callable[[], None]]


def play(
    clock: abc.SchedulerBase, steps: Iterable[Step], *, relative: bool = False
) -> abc.DisposableBase:
    """Run each ``(seconds, action)`` of *steps* on *clock*, each once the one before has run.

    *seconds* is the step's offset from now (so delays do not add up), or with *relative*
    its delay after the step before. *steps* is read one step at a time, right after the
    step before has run, so a generator may compute the next step then (or end the stream
    itself). Disposing the result cancels the step waiting its turn.

    Example:
        >>> subscription = play(clock, [(0.0, say_hello), (0.5, say_goodbye)])
    """
    source = iter(steps)
    origin = clock.now
    pending = SerialDisposable()
    lock = threading.Lock()
    latest = -1  # the number of the step whose timer `pending` holds
    local = threading.local()  # .scheduling, .after: this thread's trampoline

    def runner(number: int, action: Callable[[], None]) -> Callable[[abc.SchedulerBase, Any], None]:
        def run(_: abc.SchedulerBase, __: Any = None) -> None:
            action()
            if not pending.is_disposed:
                request(number + 1)

        return run

    def request(number: int) -> None:
        nonlocal latest
        if getattr(local, "scheduling", False):
            # The step before ran inline (an ImmediateScheduler, a timer that fired at
            # once): schedule this one when that call returns, not deeper in the stack.
            local.after = number
            return
        local.scheduling = True
        try:
            following: int | None = number
            while following is not None:
                local.after = None
                step = next(source, None)
                if step is None:
                    return
                seconds, action = step
                run = runner(following, action)
                if relative:
                    timer = clock.schedule_relative(seconds, run)
                else:
                    timer = clock.schedule_absolute(origin + timedelta(seconds=seconds), run)
                with lock:
                    # A real timer can fire before scheduling returns, on its own thread,
                    # and schedule the step after first: never replace (so cancel) that one.
                    if following > latest:
                        latest = following
                        pending.disposable = timer
                following = local.after
        finally:
            local.scheduling = False

    request(0)
    return pending
