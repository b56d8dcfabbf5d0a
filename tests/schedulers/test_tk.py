"""What only `TkScheduler` does: wake-up modes, the mainloop, and following its widget's life."""

# pyright: reportPrivateUsage=false
# (these tests look at the wake-up channel and the registrations, private on purpose)

from __future__ import annotations

import os
import threading
import tkinter
from typing import Any

import pytest

from anthropic_rx.schedulers import TkScheduler

from ..gui_support import DEADLINE, pump_tk_until
from .helpers import post_from_two_workers


def test_the_wakeup_is_a_pipe_on_unix(tk_root: tkinter.Tk) -> None:
    with TkScheduler(tk_root) as sched:
        assert sched.wakeup == ("pipe" if os.name == "posix" else "poll")


@pytest.mark.parametrize("interval", [0, -1.0, float("nan")])
def test_a_poll_interval_must_be_positive(tk_root: tkinter.Tk, interval: float) -> None:
    with pytest.raises(ValueError, match="positive poll_interval"):
        TkScheduler(tk_root, wakeup="poll", poll_interval=interval)


def test_an_unknown_wakeup_is_refused_not_taken_for_poll(tk_root: tkinter.Tk) -> None:
    wakeup: Any = "Pipe"
    with pytest.raises(ValueError, match="wakeup"):
        TkScheduler(tk_root, wakeup=wakeup)


@pytest.mark.parametrize("wakeup", ["pipe", "poll"])
def test_mainloop_runs_work_posted_from_workers_before_it_started(
    tk_root: tkinter.Tk, wakeup: Any
) -> None:
    sched = TkScheduler(tk_root, wakeup=wakeup)
    ran = post_from_two_workers(sched, 200, tk_root.quit)
    watchdog = tk_root.after(int(DEADLINE * 1000), tk_root.quit)
    try:
        tk_root.mainloop()
    finally:
        tk_root.after_cancel(watchdog)
        sched.dispose()

    assert len(ran) == 200, "the watchdog stopped the loop first"
    assert all(on_gui for _, on_gui in ran)


def test_destroying_its_widget_disposes_the_scheduler_and_drops_queued_work(
    tk_root: tkinter.Tk,
) -> None:
    window = tkinter.Toplevel(tk_root)
    sibling = tkinter.Toplevel(tk_root)
    on_window = TkScheduler(window)
    on_root = TkScheduler(tk_root)
    ran: list[str] = []
    worker = threading.Thread(target=lambda: on_window.call_soon(ran.append, "dropped"))
    worker.start()
    worker.join()  # queued before the window goes
    sibling.destroy()  # another widget's <Destroy> is not ours
    assert not on_window.is_disposed
    window.destroy()
    assert on_window.is_disposed
    assert not on_root.is_disposed
    done = threading.Event()
    on_root.call_soon(done.set)
    pump_tk_until(tk_root, done.is_set)
    on_root.dispose()
    assert ran == []


def test_dispose_closes_the_pipe(tk_root: tkinter.Tk) -> None:
    sched = TkScheduler(tk_root, wakeup="pipe")
    read_fd, write_fd = sched._read_fd, sched._write_fd
    os.fstat(read_fd)
    sched.dispose()
    for fd in (read_fd, write_fd):
        with pytest.raises(OSError, match="Bad file descriptor"):
            os.fstat(fd)


def test_dispose_from_a_worker_closes_the_pipe_on_the_next_turn(tk_root: tkinter.Tk) -> None:
    sched = TkScheduler(tk_root, wakeup="pipe")
    worker = threading.Thread(target=sched.dispose)
    worker.start()
    worker.join()
    pump_tk_until(tk_root, lambda: sched._read_fd == -1)


def test_an_action_error_goes_to_report_callback_exception(
    tk_root: tkinter.Tk, monkeypatch: pytest.MonkeyPatch
) -> None:
    reported: list[BaseException] = []

    def report(_type: type[BaseException], exc: BaseException, _tb: object) -> None:
        reported.append(exc)

    monkeypatch.setattr(tk_root, "report_callback_exception", report)
    window = tkinter.Toplevel(tk_root)
    with TkScheduler(window) as sched:
        sched.call_soon(int, "not a number")
        pump_tk_until(tk_root, lambda: bool(reported))
    window.destroy()
    assert isinstance(reported[0], ValueError)
