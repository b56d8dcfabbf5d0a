"""The harness the GUI tests share: one toolkit's scheduler, its thread and its loop pump."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from anthropic_rx.schedulers import GuiScheduler


def flush_qt_deletes() -> None:
    """Run Qt's pending ``deleteLater`` (a bare processEvents does not)."""
    from PySide6.QtCore import QCoreApplication, QEvent

    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@dataclass
class Gui:
    """One toolkit under test: its scheduler, its thread, and a way to turn its loop."""

    name: str
    scheduler: GuiScheduler
    pump: Callable[[Callable[[], bool]], None]
    make: Callable[..., GuiScheduler]  # another scheduler on the same GUI
    reported: list[BaseException] = field(default_factory=list[BaseException])
    thread: int = field(default_factory=threading.get_ident)

    def report(
        self, _type: type[BaseException], exc: BaseException, _tb: TracebackType | None
    ) -> None:
        """Stand in for the toolkit's exception reporter: record what it was given."""
        self.reported.append(exc)

    def settle(self) -> None:
        """Let everything already posted run: post a marker and wait for it."""
        done = threading.Event()
        self.scheduler.call_soon(done.set)
        self.pump(done.is_set)

    def on_gui_thread(self) -> bool:
        return threading.get_ident() == self.thread


def post_from_two_workers(
    scheduler: GuiScheduler, stop_after: int, stop: Callable[[], None]
) -> list[tuple[Any, bool]]:
    """From two worker threads, before the loop runs, post 100 actions each and a timer.

    Return the list that each action, when it runs, appends ``(state, on this thread)`` to;
    the action that makes it *stop_after* long calls *stop* (which quits the loop).
    """
    gui = threading.get_ident()
    ran: list[tuple[Any, bool]] = []

    def action(_: object, state: Any = None) -> None:
        ran.append((state, threading.get_ident() == gui))
        if len(ran) == stop_after:
            stop()

    def worker() -> None:
        for i in range(100):
            scheduler.schedule(action, i)
        scheduler.schedule_relative(0.01, action, "timed")

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return ran
