"""`play`: run timed actions on a scheduler one after another, as one Observable's source must.

Scheduling every action up front, each on its own timer, is what a virtual clock forgives
and a real one does not: reactivex's ``TimeoutScheduler`` gives each timer its own thread,
so two events due close together can run at once, or in the wrong order. Here each action
is scheduled only once the one before it has run, at its offset from the start (so delays
do not add up), and the source's observer is called serially, in order, on any scheduler.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from reactivex import abc
from reactivex.disposable import SerialDisposable

__all__ = ["play"]


def play(
    clock: abc.SchedulerBase, plan: Sequence[tuple[float, Callable[[], None]]]
) -> abc.DisposableBase:
    """Run each action of *plan* at its offset, in seconds from now, on *clock*, in turn.

    Offsets must not decrease. Disposing the result cancels the action waiting its turn.

    Example:
        >>> subscription = play(clock, [(0.0, say_hello), (0.5, say_goodbye)])
    """
    start = clock.now
    pending = SerialDisposable()
    lock = threading.Lock()
    latest = -1  # the step whose timer `pending` holds
    local = threading.local()  # .scheduling, .after: this thread's trampoline

    def step_runner(step: int) -> Callable[[abc.SchedulerBase, Any], None]:
        def run(_: abc.SchedulerBase, __: Any = None) -> None:
            plan[step][1]()
            if step + 1 < len(plan) and not pending.is_disposed:
                request(step + 1)

        return run

    def request(step: int) -> None:
        nonlocal latest
        if getattr(local, "scheduling", False):
            # The step before ran inline (an ImmediateScheduler, a timer that fired at
            # once): schedule this one when that call returns, not deeper in the stack.
            local.after = step
            return
        local.scheduling = True
        try:
            next_step: int | None = step
            while next_step is not None:
                local.after = None
                due = start + timedelta(seconds=plan[next_step][0])
                timer = clock.schedule_absolute(due, step_runner(next_step))
                with lock:
                    # A real timer can fire before schedule_absolute returns, on its own
                    # thread, and schedule the step after first: never replace (and so
                    # cancel) that one.
                    if next_step > latest:
                        latest = next_step
                        pending.disposable = timer
                next_step = local.after
        finally:
            local.scheduling = False

    if plan:
        request(0)
    return pending
