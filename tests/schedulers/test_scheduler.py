"""What every GUI scheduler does, on Tk (pipe and poll wake-ups) and on Qt alike."""

# pyright: reportPrivateUsage=false
# (these tests look at the wake-up channel and the registrations, private on purpose)

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import reactivex
from reactivex import abc
from reactivex import operators as ops
from reactivex.disposable import BooleanDisposable

from .helpers import Gui

Ran = list[tuple[Any, bool]]


def in_threads(*targets: Callable[[], object]) -> None:
    """Run each target on its own worker thread and wait for all of them."""
    threads = [threading.Thread(target=target) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def recorder(gui: Gui, ran: Ran) -> Callable[[abc.SchedulerBase, Any], None]:
    """An action that records its state and whether it ran on the GUI thread."""

    def action(_: abc.SchedulerBase, state: Any = None) -> None:
        ran.append((state, gui.on_gui_thread()))

    return action


def count_wakeups(gui: Gui) -> list[int]:
    """Count the scheduler's wake-ups of the GUI thread from now on."""
    count = [0]
    wake = gui.scheduler._wake

    def counting() -> None:
        count[0] += 1
        wake()

    vars(gui.scheduler)["_wake"] = counting  # an instance attribute shadows the method
    return count


def test_work_posted_from_four_threads_runs_on_the_gui_thread_in_each_threads_order(
    gui: Gui,
) -> None:
    ran: Ran = []
    action = recorder(gui, ran)

    def post(worker: int) -> Callable[[], None]:
        def run() -> None:
            for i in range(250):
                gui.scheduler.schedule(action, (worker, i))

        return run

    in_threads(*(post(w) for w in range(4)))
    gui.pump(lambda: len(ran) == 1000)

    assert all(on_gui for _, on_gui in ran)
    for worker in range(4):
        assert [i for (w, i), _ in ran if w == worker] == list(range(250))


def test_a_burst_posted_before_the_loop_turns_waits_for_it_and_wakes_it_once(gui: Gui) -> None:
    wakeups = count_wakeups(gui)
    ran: Ran = []
    action = recorder(gui, ran)

    in_threads(*(lambda: [gui.scheduler.schedule(action) for _ in range(100)] for _ in range(4)))

    assert ran == []  # nothing runs until the GUI's loop turns
    assert wakeups[0] == 1
    gui.pump(lambda: len(ran) == 400)
    assert all(on_gui for _, on_gui in ran)


def test_schedule_from_the_gui_thread_waits_for_the_next_turn(gui: Gui) -> None:
    ran: Ran = []
    gui.scheduler.schedule(recorder(gui, ran), "later")
    assert ran == []
    gui.pump(lambda: bool(ran))
    assert ran == [("later", True)]


def test_schedule_relative_from_a_worker_fires_on_the_gui_thread(gui: Gui) -> None:
    ran: Ran = []
    action = recorder(gui, ran)

    def post() -> None:
        gui.scheduler.schedule_relative(0.02, action, "timed")
        gui.scheduler.schedule(action, "at once")

    in_threads(post)
    gui.pump(lambda: len(ran) == 2)
    assert ran == [("at once", True), ("timed", True)]


def test_schedule_relative_accepts_a_timedelta_and_zero_means_schedule(gui: Gui) -> None:
    ran: Ran = []
    action = recorder(gui, ran)
    gui.scheduler.schedule_relative(timedelta(milliseconds=10), action, "timedelta")
    gui.scheduler.schedule_relative(0, action, "zero")
    gui.scheduler.schedule_relative(-1.0, action, "negative")
    gui.pump(lambda: len(ran) == 3)
    # The queue and the toolkit's timers are separate event sources: only each one's order
    # is defined.
    assert [state for state, _ in ran if state != "timedelta"] == ["zero", "negative"]
    assert all(on_gui for _, on_gui in ran)


def test_schedule_absolute_fires_on_the_gui_thread(gui: Gui) -> None:
    ran: Ran = []
    action = recorder(gui, ran)
    due = gui.scheduler.now + timedelta(milliseconds=10)
    in_threads(lambda: gui.scheduler.schedule_absolute(due, action, "absolute"))
    gui.pump(lambda: bool(ran))
    assert ran == [("absolute", True)]
    assert gui.scheduler.now >= due


def test_schedule_periodic_runs_on_the_gui_thread_until_disposed(gui: Gui) -> None:
    states: list[tuple[int, bool]] = []

    def tick(state: int | None) -> int:
        assert state is not None
        states.append((state, gui.on_gui_thread()))
        return state + 1

    periodic = gui.scheduler.schedule_periodic(0.005, tick, 0)
    gui.pump(lambda: len(states) >= 3)
    in_threads(periodic.dispose)
    seen = len(states)
    ran: Ran = []
    gui.scheduler.schedule_relative(0.03, recorder(gui, ran))
    gui.pump(lambda: bool(ran))

    assert [s for s, _ in states] == list(range(seen))
    assert all(on_gui for _, on_gui in states)
    assert len(states) == seen  # six periods later, no tick since the dispose


def test_reactivex_time_operators_run_on_it(gui: Gui) -> None:
    got: list[tuple[int, bool]] = []
    done = threading.Event()
    reactivex.interval(0.005, scheduler=gui.scheduler).pipe(ops.take(3)).subscribe(
        lambda v: got.append((v, gui.on_gui_thread())), on_completed=done.set
    )
    gui.pump(done.is_set)
    assert got == [(0, True), (1, True), (2, True)]


def test_disposing_queued_work_from_a_worker_cancels_it(gui: Gui) -> None:
    ran: Ran = []
    action = recorder(gui, ran)
    items: list[abc.DisposableBase] = []
    in_threads(lambda: items.extend(gui.scheduler.schedule(action, i) for i in range(3)))
    in_threads(items[1].dispose)
    gui.settle()
    assert ran == [(0, True), (2, True)]


def test_disposing_a_timer_from_a_worker_cancels_it(gui: Gui) -> None:
    ran: Ran = []
    action = recorder(gui, ran)
    early = gui.scheduler.schedule_relative(0.01, action, "cancelled")
    in_threads(early.dispose)
    gui.scheduler.schedule_relative(0.04, action, "kept")
    gui.pump(lambda: bool(ran))
    assert ran == [("kept", True)]


def test_a_timer_scheduled_and_cancelled_by_a_worker_never_fires(gui: Gui) -> None:
    ran: Ran = []
    action = recorder(gui, ran)

    def worker() -> None:
        gui.scheduler.schedule_relative(0.01, action, "cancelled").dispose()
        gui.scheduler.schedule_relative(0.04, action, "kept")

    in_threads(worker)
    gui.pump(lambda: bool(ran))
    assert ran == [("kept", True)]


def test_what_an_action_returns_is_disposed_with_its_item(gui: Gui) -> None:
    inner = BooleanDisposable()
    ran = threading.Event()

    def action(_: abc.SchedulerBase, __: Any = None) -> abc.DisposableBase:
        ran.set()
        return inner

    item = gui.scheduler.schedule(action)
    gui.pump(ran.is_set)
    assert not inner.is_disposed
    item.dispose()
    assert inner.is_disposed


def test_dispose_from_a_worker_drops_queued_and_later_work_silently(gui: Gui) -> None:
    ran: Ran = []
    action = recorder(gui, ran)
    other = gui.make()
    called: list[bool] = []
    gui.scheduler.when_disposed(lambda: called.append(True))

    def worker() -> None:
        gui.scheduler.schedule(action, "queued")
        gui.scheduler.schedule_relative(0.01, action, "timed")
        gui.scheduler.dispose()
        gui.scheduler.dispose()  # idempotent
        gui.scheduler.schedule(action, "after")  # neither raises nor runs
        gui.scheduler.schedule_relative(0.01, action, "after, timed")

    in_threads(worker)
    done = threading.Event()
    other.schedule_relative(0.05, lambda _s, _st: done.set())
    gui.pump(done.is_set)

    assert ran == []
    assert called == [True]
    assert gui.scheduler.is_disposed


def test_dispose_on_the_gui_thread_cancels_armed_timers(gui: Gui) -> None:
    ran: Ran = []
    gui.scheduler.schedule_relative(0.01, recorder(gui, ran), "timed")
    gui.scheduler.dispose()
    done = threading.Event()
    gui.make().schedule_relative(0.05, lambda _s, _st: done.set())
    gui.pump(done.is_set)
    assert ran == []


def test_an_action_may_dispose_its_scheduler_and_the_rest_of_the_batch_is_dropped(
    gui: Gui,
) -> None:
    ran: Ran = []
    action = recorder(gui, ran)
    gui.scheduler.schedule(action, 1)
    gui.scheduler.schedule(lambda _s, _st: gui.scheduler.dispose())
    gui.scheduler.schedule(action, 2)
    gui.pump(lambda: gui.scheduler.is_disposed)
    done = threading.Event()
    gui.make().call_soon(done.set)
    gui.pump(done.is_set)
    assert ran == [(1, True)]


def test_when_disposed_runs_at_once_on_a_disposed_scheduler_and_can_be_unregistered(
    gui: Gui,
) -> None:
    calls: list[str] = []
    gui.scheduler.when_disposed(lambda: calls.append("kept"))
    gui.scheduler.when_disposed(lambda: calls.append("unregistered")).dispose()
    with gui.scheduler:
        pass  # a scheduler is a context manager that disposes it
    gui.scheduler.when_disposed(lambda: calls.append("late"))
    assert calls == ["kept", "late"]


def test_an_action_that_raises_is_reported_and_the_next_ones_still_run(gui: Gui) -> None:
    ran: Ran = []
    action = recorder(gui, ran)
    boom = ValueError("boom")

    def fail(_: abc.SchedulerBase, __: Any = None) -> None:
        raise boom

    def post() -> None:
        gui.scheduler.schedule(action, 1)
        gui.scheduler.schedule(fail)
        gui.scheduler.schedule_relative(0.005, fail)
        gui.scheduler.schedule(action, 2)
        gui.scheduler.schedule_relative(0.01, action, 3)

    in_threads(post)
    gui.pump(lambda: len(ran) == 3)
    assert ran == [(1, True), (2, True), (3, True)]
    assert gui.reported == [boom, boom]


def test_call_soon_calls_with_its_arguments_on_the_gui_thread(gui: Gui) -> None:
    got: list[tuple[int, str, bool]] = []

    def record(number: int, text: str) -> None:
        got.append((number, text, gui.on_gui_thread()))

    in_threads(lambda: gui.scheduler.call_soon(record, 1, "one"))
    gui.pump(lambda: bool(got))
    assert got == [(1, "one", True)]


def test_in_gui_thread_tells_the_gui_thread_from_workers(gui: Gui) -> None:
    seen: list[bool] = []
    in_threads(lambda: seen.append(gui.scheduler.in_gui_thread()))
    assert seen == [False]
    assert gui.scheduler.in_gui_thread()


def test_every_when_disposed_callback_runs_even_if_one_raises(gui: Gui) -> None:
    calls: list[int] = []
    boom = RuntimeError("boom")

    def fail() -> None:
        calls.append(1)
        raise boom

    gui.scheduler.when_disposed(fail)
    gui.scheduler.when_disposed(lambda: calls.append(2))
    with pytest.raises(RuntimeError, match="boom"):
        gui.scheduler.dispose()
    assert calls == [1, 2]
    assert gui.scheduler.is_disposed


def test_importing_the_package_imports_no_toolkit() -> None:
    code = (
        "import sys, anthropic_rx.schedulers\n"
        "print(sorted(m for m in ('tkinter', 'PySide6', 'PyQt6') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=20, check=True
    )
    assert out.stdout.strip() == "[]"


def test_a_very_long_timer_is_armed_within_the_toolkits_limit(gui: Gui) -> None:
    item = gui.scheduler.schedule_relative(timedelta(days=400), lambda _s, _st: None)
    item.dispose()


def test_a_nested_event_loop_in_an_action_keeps_the_order(gui: Gui) -> None:
    """An action that turns the event loop (a modal dialog) sees the actions queued after it
    run in order: the rest of its own batch first, then what was posted meanwhile."""
    order: list[str] = []

    def modal(_: abc.SchedulerBase, __: Any = None) -> None:
        order.append("modal")
        in_threads(lambda: gui.scheduler.call_soon(order.append, "posted meanwhile"))
        gui.settle()  # a nested event loop
        order.append("modal closed")

    gui.scheduler.schedule(modal)
    gui.scheduler.call_soon(order.append, "queued after")
    gui.pump(lambda: "modal closed" in order)

    assert order == ["modal", "queued after", "posted meanwhile", "modal closed"]
