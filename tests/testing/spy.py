"""`SpyClock`: a virtual clock that counts how many actions wait on it at once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reactivex import abc, typing
from reactivex.disposable import CompositeDisposable, Disposable
from reactivex.scheduler.scheduler import Scheduler

from anthropic_rx.testing import VirtualClock


class SpyClock(Scheduler):
    """Schedules on a `VirtualClock`, noting the most actions ever waiting at one moment.

    A source that schedules its next event only once the previous one ran never has more
    than one waiting: on a real-time scheduler, where every waiting action is a timer
    thread, that is what keeps its events serial and in order.
    """

    def __init__(self) -> None:
        super().__init__()
        self.clock = VirtualClock()
        self.waiting = 0
        self.most_waiting = 0

    @property
    def now(self) -> datetime:
        return self.clock.now

    def _track(self, schedule: Any, due: Any, action: Any, state: Any) -> abc.DisposableBase:
        self.waiting += 1
        self.most_waiting = max(self.most_waiting, self.waiting)
        done = False

        def settle() -> None:
            nonlocal done
            if not done:
                done = True
                self.waiting -= 1

        def run(scheduler: abc.SchedulerBase, state: Any = None) -> Any:
            settle()
            return action(self, state)

        return CompositeDisposable(schedule(due, run, state), Disposable(settle))

    def schedule(
        self, action: typing.ScheduledAction[Any], state: Any = None
    ) -> abc.DisposableBase:
        return self._track(self.clock.schedule_relative, 0.0, action, state)

    def schedule_relative(
        self, duetime: typing.RelativeTime, action: typing.ScheduledAction[Any], state: Any = None
    ) -> abc.DisposableBase:
        return self._track(self.clock.schedule_relative, duetime, action, state)

    def schedule_absolute(
        self, duetime: typing.AbsoluteTime, action: typing.ScheduledAction[Any], state: Any = None
    ) -> abc.DisposableBase:
        return self._track(self.clock.schedule_absolute, duetime, action, state)


class RacingClock(Scheduler):
    """A virtual clock on which every other action runs before ``schedule_absolute`` returns.

    A real timer thread can fire that early; a source must not lose the actions that such
    an action schedules in turn.
    """

    def __init__(self) -> None:
        super().__init__()
        self.clock = VirtualClock()
        self._calls = 0

    @property
    def now(self) -> datetime:
        return self.clock.now

    def schedule(
        self, action: typing.ScheduledAction[Any], state: Any = None
    ) -> abc.DisposableBase:
        return self.schedule_absolute(self.now, action, state)

    def schedule_relative(
        self, duetime: typing.RelativeTime, action: typing.ScheduledAction[Any], state: Any = None
    ) -> abc.DisposableBase:
        return self.schedule_absolute(self.clock.add(self.now, duetime), action, state)

    def schedule_absolute(
        self, duetime: typing.AbsoluteTime, action: typing.ScheduledAction[Any], state: Any = None
    ) -> abc.DisposableBase:
        self._calls += 1
        if self._calls % 2 == 0:
            action(self, state)
            return Disposable()
        return self.clock.schedule_absolute(duetime, lambda _, s=None: action(self, s), state)
